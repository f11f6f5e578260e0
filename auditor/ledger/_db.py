"""The ledger's SQLite file below :class:`~.store.Ledger`: its schema, how it is opened, and what
a SQLite error means for the person running the command.

Layout (schema version 1):

- ``meta(key, value)``: ``schema``, ``origin`` (the log's checkpoint origin and key name).
- ``entries(idx, type, recording, name, sha256, data, leaf)``: the log; ``data`` are the canonical
  entry bytes, ``leaf`` their RFC 6962 leaf hash; the other columns are lookup copies.
- ``nodes(level, idx, hash)``: every complete subtree hash (see :mod:`._tree`), for O(log n) proofs.
- ``checkpoints(size, note)``: the C2SP signed checkpoint written at the end of every append.

Triggers abort any UPDATE or DELETE and any INSERT that would replace or skip a row, so the
database only ever grows.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence
from itertools import chain
from pathlib import Path

import sqlite_utils

from ..errors import LedgerError

__all__ = [
    "SCHEMA_VERSION",
    "TABLES",
    "blob",
    "connect",
    "create_schema",
    "insert_rows",
    "sqlite_failure",
    "unwritable_copy",
]

SCHEMA_VERSION = 1
TABLES = ("meta", "entries", "nodes", "checkpoints")
_GUARDS = {
    "meta": "EXISTS (SELECT 1 FROM meta WHERE key = NEW.key)",
    "entries": "NEW.idx IS NOT (SELECT COALESCE(MAX(idx) + 1, 0) FROM entries)",
    "nodes": "EXISTS (SELECT 1 FROM nodes WHERE level = NEW.level AND idx = NEW.idx)",
    "checkpoints": "NEW.size <= (SELECT COALESCE(MAX(size), -1) FROM checkpoints)",
}


def unwritable_copy(path: Path) -> bool:
    """Whether to read ``path`` as immutable: this user may not write it or its folder (a
    write-once copy, a read-only mount), and no write-ahead log holds what the file lacks.

    A WAL database opened read-only otherwise needs its ``-shm`` file, which it cannot create
    there ("attempt to write a readonly database") or, where it can, leaves behind.
    """
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        return False
    return not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK))


def connect(path: str | os.PathLike[str], mode: str) -> sqlite3.Connection:
    """A connection to the ledger at ``path`` in SQLite ``mode`` (``ro``, ``rw``, ``rwc``), in
    autocommit, waiting up to a minute for another writer, foreign keys on.

    Commits are durable: ``synchronous = FULL``, so in WAL mode every commit syncs the
    write-ahead log before it returns and a power cut cannot lose an append that was reported
    done (SQLite's compiled-in default is the same, but a build may differ; it is set here).
    ``temp_store = MEMORY`` keeps the statement journal of a large insert off the disk.
    """
    full = Path(path).resolve()
    uri = full.as_uri() + f"?mode={mode}"
    if mode == "ro" and unwritable_copy(full):
        uri += "&immutable=1"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=60.0)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA temp_store = MEMORY")
    return conn


#: Most values one INSERT statement of :func:`insert_rows` binds (less if the SQLite build's
#: limits on parameters or on the length of a statement are lower).
MAX_PARAMETERS = 100_000


def insert_rows(
    conn: sqlite3.Connection,
    table: str,
    rows: Sequence[tuple[object, ...]],
    columns: Sequence[str] | None = None,
) -> None:
    """Insert ``rows`` (tuples of the values of ``columns``, default all the table's columns,
    in order; the others are NULL) with multi-row INSERTs.

    One ``INSERT ... VALUES (...), (...)`` per :data:`MAX_PARAMETERS` values rather than one
    statement per row (``executemany``): the append-only triggers still run for every row, but
    SQLite opens one statement journal per statement, and a statement that touches the same
    pages for thousands of rows journals each page once (most of the cost of a row by row
    insert into a table with triggers and indexes). SQLite works without the GIL meanwhile.
    """
    if not rows:
        return
    width = len(rows[0])
    head = f"INSERT INTO {table}" + (f" ({', '.join(columns)})" if columns else "") + " VALUES "
    one = "(" + ",".join("?" * width) + ")"
    params = min(MAX_PARAMETERS, conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
    length = conn.getlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH) - len(head)
    step = max(1, min(params // width, length // (len(one) + 1)))
    full = head + ",".join([one] * step)
    for start in range(0, len(rows), step):
        part = rows[start : start + step]
        sql = full if len(part) == step else head + ",".join([one] * len(part))
        conn.execute(sql, list(chain.from_iterable(part)))


def create_schema(conn: sqlite3.Connection, origin: str) -> None:
    """Make the tables, indexes and append-only triggers of a new ledger, in WAL mode, and record
    its schema version and ``origin``."""
    db = sqlite_utils.Database(conn)
    db.enable_wal()
    with conn:
        db.table("meta").create({"key": str, "value": str}, pk="key")
        db.table("entries").create(
            {
                "idx": int,
                "type": str,
                "recording": int,
                "name": str,
                "sha256": str,
                "data": bytes,
                "leaf": bytes,
            },
            pk="idx",
            not_null={"type", "data", "leaf"},
        )
        db.table("entries").create_index(["recording", "idx"])
        db.table("entries").create_index(["sha256"])
        db.table("entries").create_index(["name"])
        conn.execute(
            "CREATE TABLE nodes (level INTEGER NOT NULL, idx INTEGER NOT NULL, "
            "hash BLOB NOT NULL, PRIMARY KEY (level, idx)) WITHOUT ROWID"
        )
        db.table("checkpoints").create({"size": int, "note": str}, pk="size", not_null={"note"})
        for table in TABLES:
            for action in ("UPDATE", "DELETE"):
                conn.execute(
                    f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON "
                    f"{table} BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END"
                )
            conn.execute(
                f"CREATE TRIGGER {table}_insert_guard BEFORE INSERT ON {table} "
                f"WHEN {_GUARDS[table]} BEGIN "
                f"SELECT RAISE(ABORT, 'ledger is append-only'); END"
            )
        db.table("meta").insert_all(
            [
                {"key": "schema", "value": str(SCHEMA_VERSION)},
                {"key": "origin", "value": origin},
            ]
        )


def sqlite_failure(exc: sqlite3.Error, path: str) -> LedgerError:
    """The :class:`~auditor.errors.LedgerError` that says what ``exc`` means for the ledger at
    ``path`` (read-only, disk full, locked, not a ledger) and what to do about it."""
    text = str(exc)
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        wal = Path(path + "-wal")
        if wal.exists() and wal.stat().st_size > 0 and not os.access(path, os.W_OK):
            return LedgerError(
                f"the ledger is read-only here and its write-ahead log {wal.name} holds changes "
                f"not yet in it ({text})",
                path=path,
                hint=f"copy the ledger with its {wal.name} file into a folder you can write "
                "and check the copy",
            )
        return LedgerError(
            f"the ledger is read-only for this user (file, folder or mount; {text})",
            path=path,
            hint="reading commands (verify, prove, bundle, archive audit) work on a read-only "
            "ledger; to append, run as its owner on a writable copy",
        )
    if "full" in text:
        return LedgerError(
            f"the disk is full; nothing was written ({text})",
            path=path,
            hint="free space and run the command again",
        )
    if "locked" in text or "busy" in text:
        return LedgerError(
            f"another process holds the ledger ({text})", path=path, hint="retry when it is done"
        )
    if "not a database" in text or "malformed" in text:
        return LedgerError(
            f"not a readable SQLite ledger ({text})",
            path=path,
            hint="check the path; restore the ledger from a backup if it is damaged",
        )
    return LedgerError(f"SQLite error: {text}", path=path)


def blob(value: object) -> bytes:
    """A stored value as bytes, whatever type a hand edit may have left in the column."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return b"" if value is None else str(value).encode()
