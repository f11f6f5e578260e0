"""The ledger: an open log database that is read, proved from and appended to (:class:`Ledger`).

The file's tables and append-only triggers are in :mod:`._db`; the database only ever grows.
Each append is one ``BEGIN IMMEDIATE`` transaction in WAL mode with ``synchronous = FULL``: it
takes the write lock first (two processes appending are serialised), reads the tree edge, writes
entries, nodes and the signed checkpoint, and commits -- durably, or, if killed, leaving nothing
behind. The rows of a large batch are made a slice at a time (:mod:`._batch`) and written with
multi-row INSERTs (:func:`._db.insert_rows`), all in that one transaction.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

import sqlite_utils

from ..errors import LedgerError
from . import _tree
from ._batch import prepared
from ._db import (
    SCHEMA_VERSION,
    TABLES,
    blob,
    connect,
    create_schema,
    insert_rows,
    sqlite_failure,
)
from ._signing import SigningKey
from .entries import Entry
from .keys import KeyHistory, key_entry
from .note import Checkpoint, VerifierKey

__all__ = ["SCHEMA_VERSION", "Batch", "Ledger", "Row"]

Batch = Callable[[int], Sequence[Entry]]
"""Makes the entries of one append, given the index the first of them will get."""


class Row(NamedTuple):
    """One row of the ``entries`` table as stored."""

    idx: int
    type: str
    recording: int | None
    name: str | None
    sha256: str | None
    data: bytes
    leaf: bytes


class Ledger:
    """An open ledger database. Use :meth:`create` or :meth:`open`, then :meth:`close`."""

    def __init__(self, conn: sqlite3.Connection, path: str) -> None:
        self.path = path
        self._conn = conn
        self.db = sqlite_utils.Database(conn)
        self.origin = self._meta("origin")
        # the key entries among the first ``_keys_read`` entries, read once: rows never change
        self._key_rows: list[tuple[int, bytes]] = []
        self._keys_read = 0

    # -- opening -----------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        path: str | os.PathLike[str],
        *,
        key: SigningKey,
        origin: str,
        now: datetime | None = None,
    ) -> Ledger:
        """Create a new ledger whose first entry introduces ``key``; signed as ``origin``."""
        where = os.fspath(path)
        if Path(path).exists():
            raise LedgerError("refusing to overwrite an existing file", path=where)
        VerifierKey(origin, key.public_bytes())  # validates the name
        try:
            conn = connect(path, "rwc")
            create_schema(conn, origin)
        except sqlite3.Error as exc:
            raise sqlite_failure(exc, where) from None
        ledger = cls(conn, where)
        ledger.append_at([key_entry("introduced", origin, key)], key=key, now=now or _now())
        return ledger

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, writable: bool = False) -> Ledger:
        """Open an existing ledger, checking it is one and that its schema is not newer."""
        where = os.fspath(path)
        if not Path(path).is_file():
            raise LedgerError(
                "no such ledger", path=where, hint="create it with `auditor ledger init`"
            )
        try:
            conn = connect(path, "rw" if writable else "ro")
            tables = {
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            if not set(TABLES) <= tables:
                raise LedgerError(
                    f"not an auditor ledger (tables {sorted(tables)})",
                    path=where,
                    hint="create a ledger with `auditor ledger init`",
                )
            row = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        except sqlite3.Error as exc:
            raise sqlite_failure(exc, where) from None
        if row is None or not str(row[0]).isdigit():
            raise LedgerError("the ledger has no schema version", path=where)
        if int(row[0]) > SCHEMA_VERSION:
            raise LedgerError(
                f"ledger schema {row[0]} is newer than this auditor supports ({SCHEMA_VERSION})",
                path=where,
                hint="upgrade auditor to read this ledger",
            )
        return cls(conn, where)

    def close(self) -> None:
        """Close the database connection."""
        self._conn.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading -----------------------------------------------------------------------------

    def _meta(self, key: str) -> str:
        row = self._query("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        if row is None:
            raise LedgerError(f"the ledger has no {key!r} setting", path=self.path)
        return str(row[0])

    def _query(self, sql: str, params: Sequence[object] = ()) -> sqlite3.Cursor:
        try:
            return self._conn.execute(sql, params)
        except sqlite3.Error as exc:
            raise sqlite_failure(exc, self.path) from None

    @property
    def size(self) -> int:
        """Number of entries in the log."""
        return int(self._query("SELECT COALESCE(MAX(idx) + 1, 0) FROM entries").fetchone()[0])

    def node(self, level: int, index: int) -> bytes:
        """The stored hash of complete subtree ``(level, index)`` (see :mod:`._tree`)."""
        row = self._conn.execute(
            "SELECT hash FROM nodes WHERE level = ? AND idx = ?", (level, index)
        ).fetchone()
        if row is None:
            raise LedgerError(f"tree node ({level}, {index}) is missing", path=self.path)
        return bytes(row[0])

    def data(self, index: int) -> bytes:
        """The stored bytes of entry ``index``."""
        row = self._query("SELECT data FROM entries WHERE idx = ?", (index,)).fetchone()
        if row is None:
            raise LedgerError(f"no entry {index} in a log of {self.size}", path=self.path)
        return blob(row[0])

    def entry(self, index: int) -> Entry:
        """The entry at ``index``, parsed."""
        return Entry.decode(self.data(index))

    def rows(self, start: int = 0) -> Iterator[Row]:
        """Every stored row of the log, in index order from ``start``, as stored (unchecked)."""
        cur = self._query(
            "SELECT idx, type, recording, name, sha256, data, leaf FROM entries "
            "WHERE idx >= ? ORDER BY idx",
            (start,),
        )
        for idx, kind, recording, name, sha256, data, leaf in cur:
            yield Row(idx, kind, recording, name, sha256, blob(data), blob(leaf))

    def nodes(self, level: int, first: int, last: int) -> dict[int, bytes]:
        """Stored subtree hashes ``{index: hash}`` of ``level`` for indices ``first..last``."""
        cur = self._query(
            "SELECT idx, hash FROM nodes WHERE level = ? AND idx BETWEEN ? AND ?",
            (level, first, last),
        )
        return {int(i): bytes(h) for i, h in cur}

    def node_count(self) -> int:
        """Number of stored subtree hashes."""
        return int(self._query("SELECT COUNT(*) FROM nodes").fetchone()[0])

    def recording(self, index: int) -> list[tuple[int, bytes]]:
        """``(index, entry bytes)`` of the ingest at ``index`` and every entry about it."""
        cur = self._query(
            "SELECT idx, data FROM entries WHERE recording = ? ORDER BY idx", (index,)
        )
        return [(int(i), blob(d)) for i, d in cur]

    def find_ingests(self, *, sha256: str | None = None, name: str | None = None) -> list[int]:
        """Indices of ingest entries with this file SHA-256 or file name, oldest first."""
        column, value = ("sha256", sha256) if sha256 is not None else ("name", name)
        cur = self._query(
            f"SELECT idx FROM entries WHERE type = 'ingest' AND {column} = ? ORDER BY idx",
            (value,),
        )
        return [int(r[0]) for r in cur]

    def checkpoints(self) -> Iterator[tuple[int, str]]:
        """``(size, signed note)`` of every checkpoint, oldest first."""
        for size, note in self._query("SELECT size, note FROM checkpoints ORDER BY size"):
            yield int(size), str(note)

    def checkpoint(self, size: int | None = None) -> str:
        """The signed checkpoint note at ``size`` (default: the latest)."""
        if size is None:
            row = self._query("SELECT note FROM checkpoints ORDER BY size DESC LIMIT 1").fetchone()
        else:
            row = self._query("SELECT note FROM checkpoints WHERE size = ?", (size,)).fetchone()
        if row is None:
            raise LedgerError(f"no checkpoint at size {size}", path=self.path)
        return str(row[0])

    def key_history(self) -> KeyHistory:
        """The signing keys of this ledger, from its ``key`` entries."""
        cur = self._query("SELECT idx, data FROM entries WHERE type = 'key' ORDER BY idx")
        return KeyHistory.from_entries(self.origin, ((int(i), bytes(d)) for i, d in cur))

    def root(self, size: int | None = None) -> bytes:
        """Merkle Tree Hash of the first ``size`` entries (default: all)."""
        size = self.size if size is None else size
        return _tree.Frontier.load(self.node, size).root()

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """Audit path of entry ``index`` in the tree of ``size`` entries, lowest level first."""
        size = self.size if size is None else size
        if not 0 <= index < size <= self.size:
            raise LedgerError(f"no entry {index} in a tree of {size} (log has {self.size})")
        return _tree.inclusion_proof(self.node, index, size)

    def consistency_proof(self, size1: int, size2: int | None = None) -> list[bytes]:
        """RFC 9162 consistency proof from ``size1`` to ``size2`` (default: the whole log)."""
        size2 = self.size if size2 is None else size2
        if not 0 < size1 <= size2 <= self.size:
            raise LedgerError(f"no consistency proof from {size1} to {size2} (log has {self.size})")
        return _tree.consistency_proof(self.node, size1, size2)

    # -- appending ---------------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise sqlite_failure(exc, self.path) from None
        try:
            yield self._conn
            self._conn.execute("COMMIT")
        except BaseException as exc:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise sqlite_failure(exc, self.path) from None
            raise

    def _signing_keys(self, size: int) -> KeyHistory:
        """:meth:`key_history` of a log of ``size`` entries, reading only the entries appended
        since the last call (the table is append-only, so rows already read cannot change; a
        full read would scan every entry, there being no index on ``type``)."""
        cur = self._query(
            "SELECT idx, data FROM entries WHERE idx >= ? AND idx < ? AND type = 'key' "
            "ORDER BY idx",
            (self._keys_read, size),
        )
        self._key_rows += [(int(i), blob(d)) for i, d in cur]
        self._keys_read = size
        return KeyHistory.from_entries(self.origin, self._key_rows)

    def append(self, entries: Sequence[Entry] | Batch, *, key: SigningKey) -> list[int]:
        """:meth:`append_at` with the current time."""
        return self.append_at(entries, key=key, now=_now())

    def append_at(
        self, entries: Sequence[Entry] | Batch, *, key: SigningKey, now: datetime
    ) -> list[int]:
        """Append entries stamped with time ``now`` and sign a checkpoint, atomically.

        Parameters
        ----------
        entries
            Entries to append, in order (their ``at`` is replaced by ``now``); or a function
            that makes them given the index the first will get (a recording's entries name
            their ingest's index), called once the write lock is held.
        key
            The ledger's current signing key (a ``key`` entry that rotates to a new key must be
            appended with the new key).
        now
            Time of the append, timezone-aware.

        Returns
        -------
        list of int
            The log indices given to the entries.
        """
        with self._write() as conn:
            size = self.size
            if callable(entries):
                entries = entries(size)
            if size:
                self._signing_keys(size).check_signer(
                    key.public_bytes(), at=size + len(entries), new=entries
                )
            frontier = _tree.Frontier.load(self.node, size)
            for writes in prepared(entries, now, frontier):
                for write in writes:
                    insert_rows(conn, write.table, write.rows, write.columns)
            note = Checkpoint(self.origin, frontier.size, frontier.root()).sign(key)
            conn.execute("INSERT INTO checkpoints VALUES (?, ?)", (frontier.size, note))
        return list(range(size, frontier.size))


def _now() -> datetime:
    return datetime.now(UTC)
