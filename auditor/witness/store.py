"""The witness's SQLite database: who it is, the logs it accepts, the latest checkpoint it
cosigned for each, and the signed checkpoints it refused (evidence of a log's misbehaviour).

Layout (schema version 1):

- ``meta(key, value)``: ``schema``, ``name`` (the witness's key name), ``key`` (the path of its
  private key file).
- ``logs(origin, vkey, added)``: the logs it witnesses, by checkpoint origin and the C2SP verifier
  key of the log's signing key (a log may have several, e.g. across a key rotation).
- ``latest(origin, size, root, note, updated)``: one row per log, the latest checkpoint it
  cosigned, with the log's signature and its own cosignature.
- ``refused(origin, at, status, reason, note)``: correctly signed checkpoints it would not cosign
  (c2sp.org/tlog-witness: "it might be proof of log misbehavior").

Checking a request against ``latest`` and replacing it happen in one ``BEGIN IMMEDIATE``
transaction, so two requests cannot roll a log back (the race the specification describes).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from ..errors import InputError, LedgerError
from ..ledger.note import VerifierKey

__all__ = ["SCHEMA_VERSION", "Latest", "WitnessDB"]

SCHEMA_VERSION = 1
_TABLES = ("meta", "logs", "latest", "refused")
_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE logs (origin TEXT NOT NULL, vkey TEXT NOT NULL, added TEXT NOT NULL,
                   PRIMARY KEY (origin, vkey));
CREATE TABLE latest (origin TEXT PRIMARY KEY, size INTEGER NOT NULL, root BLOB NOT NULL,
                     note TEXT NOT NULL, updated TEXT NOT NULL);
CREATE TABLE refused (origin TEXT NOT NULL, at TEXT NOT NULL, status INTEGER NOT NULL,
                      reason TEXT NOT NULL, note TEXT NOT NULL);
CREATE TRIGGER latest_no_rollback BEFORE UPDATE ON latest WHEN NEW.size < OLD.size
BEGIN SELECT RAISE(ABORT, 'a witness never rolls a log back'); END;
"""
_MAX_REFUSED = 10_000  # per log: the evidence a log's own key can make the witness keep


class Latest(NamedTuple):
    """The latest checkpoint a witness cosigned for one log."""

    size: int
    root: bytes
    note: str


class WitnessDB:
    """An open witness database. Use :meth:`create` or :meth:`open`, then :meth:`close`.

    One connection is shared by a server's threads: every statement runs under one reentrant
    lock and reads its rows at once, so no thread reads through another's open transaction
    step by step.
    """

    def __init__(self, conn: sqlite3.Connection, path: str) -> None:
        self.path = path
        self._conn = conn
        self.lock = threading.RLock()

    def _all(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        with self.lock:
            return self._conn.execute(sql, params).fetchall()

    @classmethod
    def create(cls, path: str | os.PathLike[str], *, name: str, key_path: str) -> WitnessDB:
        """A new witness database for the witness ``name`` whose private key is at
        ``key_path``."""
        where = os.fspath(path)
        if Path(where).exists():
            raise InputError("refusing to overwrite an existing file", path=where)
        try:
            conn = _connect(where, "rwc")
            conn.executescript(_SCHEMA)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.executemany("INSERT INTO meta VALUES (?, ?)",
                             [("schema", str(SCHEMA_VERSION)), ("name", name),
                              ("key", str(Path(key_path).resolve()))])  # fmt: skip
        except sqlite3.Error as exc:
            raise LedgerError(f"cannot create the witness database: {exc}", path=where) from None
        return cls(conn, where)

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> WitnessDB:
        """Open an existing witness database (made by :meth:`create`)."""
        where = os.fspath(path)
        if not Path(where).is_file():
            raise InputError("no such witness database", path=where,
                             hint="create it with `auditor witness init`")  # fmt: skip
        try:
            conn = _connect(where, "rw")
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            schema = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() \
                if "meta" in tables else None
        except sqlite3.Error as exc:
            raise LedgerError(f"not a readable witness database ({exc})", path=where) from None
        if not set(_TABLES) <= tables or schema is None:
            raise InputError("not an auditor witness database", path=where,
                             hint="create one with `auditor witness init`")  # fmt: skip
        if int(schema[0]) > SCHEMA_VERSION:
            raise InputError(f"witness schema {schema[0]} is newer than this auditor supports",
                             path=where, hint="upgrade auditor")  # fmt: skip
        return cls(conn, where)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> WitnessDB:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def meta(self, key: str) -> str:
        rows = self._all("SELECT value FROM meta WHERE key = ?", (key,))
        if not rows:
            raise InputError(f"the witness database has no {key!r} setting", path=self.path)
        return str(rows[0][0])

    # -- logs --------------------------------------------------------------------------------

    def add_log(self, key: VerifierKey, origin: str, now: datetime | None = None) -> bool:
        """Accept checkpoints of ``origin`` signed by ``key``; False if it already was."""
        if not origin or "\n" in origin:
            raise InputError(f"a log origin is one non-empty line: {origin!r}")
        added = (now or datetime.now(UTC)).isoformat()
        with self.lock:
            cur = self._conn.execute("INSERT OR IGNORE INTO logs VALUES (?, ?, ?)",
                                     (origin, str(key), added))  # fmt: skip
        return cur.rowcount == 1

    def log_keys(self, origin: str) -> list[VerifierKey]:
        """The keys accepted for ``origin`` (empty: an unknown log)."""
        cur = self._all("SELECT vkey FROM logs WHERE origin = ? ORDER BY added", (origin,))
        return [VerifierKey.parse(r[0]) for r in cur]

    def logs(self) -> list[tuple[str, str, int | None]]:
        """``(origin, vkey, latest cosigned size or None)`` of every accepted log key."""
        cur = self._all(
            "SELECT logs.origin, logs.vkey, latest.size FROM logs LEFT JOIN latest "
            "ON latest.origin = logs.origin ORDER BY logs.origin, logs.added")
        return [(str(o), str(v), None if s is None else int(s)) for o, v, s in cur]

    # -- checkpoints -------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction, taken before reading (``BEGIN IMMEDIATE``)."""
        with self.lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    def latest(self, origin: str) -> Latest | None:
        """The latest checkpoint cosigned for ``origin``, if any."""
        rows = self._all("SELECT size, root, note FROM latest WHERE origin = ?", (origin,))
        return None if not rows else Latest(int(rows[0][0]), bytes(rows[0][1]), str(rows[0][2]))

    def set_latest(self, origin: str, latest: Latest, now: datetime) -> None:
        """Replace the latest cosigned checkpoint of ``origin`` (inside :meth:`transaction`)."""
        self._conn.execute(
            "INSERT INTO latest VALUES (?, ?, ?, ?, ?) ON CONFLICT (origin) DO UPDATE SET "
            "size = excluded.size, root = excluded.root, note = excluded.note, "
            "updated = excluded.updated",
            (origin, latest.size, latest.root, latest.note, now.isoformat()))

    def refuse(self, origin: str, status: int, reason: str, note: str, now: datetime) -> None:
        """Keep a correctly signed checkpoint that was not cosigned, and why."""
        with self.lock:
            count = self._conn.execute("SELECT COUNT(*) FROM refused WHERE origin = ?",
                                       (origin,)).fetchone()[0]  # fmt: skip
            if count < _MAX_REFUSED:
                self._conn.execute("INSERT INTO refused VALUES (?, ?, ?, ?, ?)",
                                   (origin, now.isoformat(), status, reason, note))

    def refused(self, origin: str) -> list[tuple[str, int, str, str]]:
        """``(time, status, reason, signed note)`` of the checkpoints refused for ``origin``."""
        cur = self._all("SELECT at, status, reason, note FROM refused WHERE origin = ? "
                        "ORDER BY rowid", (origin,))  # fmt: skip
        return [(str(a), int(s), str(r), str(n)) for a, s, r, n in cur]


    def summary(self) -> dict[str, Any]:
        """JSON-ready: the witness's name and, per log, its accepted keys, the latest checkpoint
        cosigned (or None) and the checkpoints refused, each with its time, status and reason."""
        logs: dict[str, dict[str, Any]] = {}
        for origin, vkey, _ in self.logs():
            if origin not in logs:
                latest = self.latest(origin)
                logs[origin] = {
                    "origin": origin, "keys": [],
                    "latest": None if latest is None else {
                        "size": latest.size, "root": latest.root.hex(), "note": latest.note},
                    "refused": [{"time": t, "status": s, "reason": r, "note": n}
                                for t, s, r, n in self.refused(origin)]}  # fmt: skip
            logs[origin]["keys"].append(vkey)
        return {"witness": self.meta("name"), "logs": list(logs.values())}


def _connect(path: str, mode: str) -> sqlite3.Connection:
    uri = Path(path).resolve().as_uri() + f"?mode={mode}"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=10.0,
                           check_same_thread=False)  # fmt: skip
    conn.execute("PRAGMA synchronous = FULL")
    return conn
