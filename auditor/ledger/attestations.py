"""What others said about the ledger's checkpoints, kept beside the log: witnesses'
cosignatures (c2sp.org/tlog-cosignature) and RFC 3161 timestamp tokens.

Two tables, made the first time one is written (a ledger without them, older or never
witnessed, opens and verifies as before; a reader treats a missing table as empty):

- ``cosignatures(size, witness, line, time)``: a ``cosignature/v1`` line by ``witness`` (its
  verifier key) over the checkpoint the log signed at ``size``, and the time it states.
- ``timestamps(size, tsa, token, time)``: a DER RFC 3161 ``TimeStampResp`` from the TSA at URL
  ``tsa`` over the bytes of the signed checkpoint note at ``size``, and its genTime.

Both are append-only (triggers abort UPDATE and DELETE). Neither is part of the Merkle log: a
cosignature or token is a statement about a checkpoint, checked against the checkpoint itself.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from ._db import sqlite_failure
from .cosignature import Cosignature, CosignerKey
from .store import Ledger

__all__ = ["add_cosignature", "cosignature_lines", "last_cosigned", "add_timestamp",
           "timestamp_tokens", "cosigned_sizes", "timestamped_sizes", "COSIGNATURES_FILE",
           "TIMESTAMP_FILE"]

COSIGNATURES_FILE = "evidence/cosignatures.txt"
TIMESTAMP_FILE = "evidence/timestamp.tsr"

_TABLES = (
    "CREATE TABLE IF NOT EXISTS cosignatures (size INTEGER NOT NULL, witness TEXT NOT NULL, "
    "line TEXT NOT NULL, time INTEGER NOT NULL, PRIMARY KEY (size, witness))",
    "CREATE TABLE IF NOT EXISTS timestamps (size INTEGER NOT NULL, tsa TEXT NOT NULL, "
    "token BLOB NOT NULL, time TEXT NOT NULL, PRIMARY KEY (size, tsa))",
)
_SCHEMA = [*_TABLES, *(
    f"CREATE TRIGGER IF NOT EXISTS {table}_no_{action.lower()} BEFORE {action} ON {table} "
    "BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END"
    for table in ("cosignatures", "timestamps") for action in ("UPDATE", "DELETE"))]


def _write(ledger: Ledger, sql: str, params: tuple[object, ...]) -> None:
    conn = ledger.db.conn
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _SCHEMA:
                conn.execute(statement)
            conn.execute(sql, params)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    except sqlite3.Error as exc:
        raise sqlite_failure(exc, ledger.path) from None


def _read(ledger: Ledger, sql: str, params: tuple[object, ...]) -> list[tuple[Any, ...]]:
    try:
        return list(ledger.db.conn.execute(sql, params))
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return []
        raise sqlite_failure(exc, ledger.path) from None
    except sqlite3.Error as exc:
        raise sqlite_failure(exc, ledger.path) from None


def add_cosignature(ledger: Ledger, size: int, key: CosignerKey, cosig: Cosignature) -> None:
    """Keep a (verified) cosignature by ``key`` of the checkpoint at ``size``; a witness that
    cosigns one size again keeps its first cosignature."""
    _write(ledger, "INSERT OR IGNORE INTO cosignatures VALUES (?, ?, ?, ?)",
           (size, str(key), cosig.line(), cosig.timestamp))  # fmt: skip


def cosignature_lines(ledger: Ledger, size: int) -> list[str]:
    """The stored cosignature lines of the checkpoint at ``size`` (unverified)."""
    rows = _read(ledger, "SELECT line FROM cosignatures WHERE size = ? ORDER BY witness", (size,))
    return [str(r[0]).rstrip("\n") for r in rows]


def last_cosigned(ledger: Ledger, key: CosignerKey) -> int:
    """The largest size the witness with ``key`` cosigned for this ledger (0 if none)."""
    rows = _read(ledger, "SELECT MAX(size) FROM cosignatures WHERE witness = ?", (str(key),))
    return int(rows[0][0]) if rows and rows[0][0] is not None else 0


def cosigned_sizes(ledger: Ledger) -> list[int]:
    """Every checkpoint size with at least one stored cosignature, oldest first."""
    rows = _read(ledger, "SELECT DISTINCT size FROM cosignatures ORDER BY size", ())
    return [int(r[0]) for r in rows]


def add_timestamp(ledger: Ledger, size: int, tsa: str, token: bytes, when: datetime) -> None:
    """Keep an RFC 3161 response over the checkpoint note at ``size`` (one per TSA URL)."""
    _write(ledger, "INSERT OR IGNORE INTO timestamps VALUES (?, ?, ?, ?)",
           (size, tsa, token, when.isoformat()))  # fmt: skip


def timestamp_tokens(ledger: Ledger, size: int) -> list[tuple[str, bytes]]:
    """``(TSA URL, DER response)`` of the tokens stored for the checkpoint at ``size``."""
    rows = _read(ledger, "SELECT tsa, token FROM timestamps WHERE size = ? ORDER BY tsa", (size,))
    return [(str(t), bytes(k)) for t, k in rows]


def timestamped_sizes(ledger: Ledger) -> list[int]:
    """Every checkpoint size with at least one stored timestamp token, oldest first."""
    rows = _read(ledger, "SELECT DISTINCT size FROM timestamps ORDER BY size", ())
    return [int(r[0]) for r in rows]
