"""The audit's resumable state: one SQLite database, one writer, one row per audited file.

A row holds what auditing one file gave (:class:`~.work.FileResult`, as JSON) under the file's
identity -- its path in the archive, size, modification time (ns) and inode -- and the fingerprint
of the scan parameters and tool version that produced it. A later run reuses a row only when the
file and the fingerprint are unchanged, so an interrupted audit restarts where it stopped and no
file is read twice unless it changed.

Each result is committed on its own (WAL journal, ``synchronous=NORMAL``): a run killed at any
moment loses at most the files that were being read. Only the process that runs the audit writes;
workers return results to it.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from ..errors import InputError
from .walk import Found
from .work import FileResult

__all__ = ["STATE_SCHEMA", "AuditState"]

STATE_SCHEMA = "auditor.archive-state/1"


class AuditState:
    """An open state database; use as a context manager."""

    def __init__(self, path: str | os.PathLike[str], *, fingerprint: str) -> None:
        self.path = os.fspath(path)
        self.fingerprint = fingerprint
        try:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(self.path, isolation_level=None, timeout=30.0)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS files (rel TEXT PRIMARY KEY, size INTEGER, "
                "mtime_ns INTEGER, inode INTEGER, fingerprint TEXT, status TEXT, result TEXT)"
            )
            row = self._conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if row is None:
                self._conn.execute("INSERT INTO meta VALUES ('schema', ?)", (STATE_SCHEMA,))
        except sqlite3.Error as exc:
            raise InputError(f"cannot open the audit state database: {exc}", path=self.path,
                             hint="give another --state file, or delete this one to start "
                             "the audit afresh") from None  # fmt: skip
        if row is not None and row[0] != STATE_SCHEMA:
            self._conn.close()
            raise InputError(f"not an archive audit state ({row[0]!r})", path=self.path,
                             hint="give another --state file")  # fmt: skip

    def close(self) -> None:
        """Close the database."""
        self._conn.close()

    def __enter__(self) -> AuditState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def done(self, found: Iterable[Found]) -> set[str]:
        """The ``rel`` paths among ``found`` whose stored result is valid and final.

        A file that could not be opened, changed while it was read, or crashed its worker is
        read again on the next run, even if its identity is unchanged (a permission fixed by
        ``chmod`` does not change the modification time).
        """
        valid = set()
        for rel, size, mtime_ns, inode, fingerprint in self._conn.execute(
            "SELECT rel, size, mtime_ns, inode, fingerprint FROM files "
            "WHERE status IN ('ok', 'unreadable')"
        ):
            valid.add((rel, size, mtime_ns, inode, fingerprint))
        return {f.rel for f in found if (f.rel, *f.identity, self.fingerprint) in valid}

    def record(self, result: FileResult) -> None:
        """Store one file's result (replacing an older one), committed at once."""
        data = json.dumps(result.to_json(), sort_keys=True, allow_nan=False)
        try:
            self._conn.execute(
                "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?)",
                (result.rel, result.size, result.mtime_ns, result.inode, self.fingerprint,
                 result.status, data),
            )
        except sqlite3.Error as exc:
            raise InputError(f"cannot write the audit state: {exc}", path=self.path,
                             hint="free disk space; the audit resumes from here") from None

    def results(self, found: Iterable[Found]) -> list[FileResult]:
        """The stored results of ``found`` (valid ones only), in ``rel`` order."""
        wanted = {f.rel: f.identity for f in found}
        out = []
        for rel, size, mtime_ns, inode, fingerprint, data in self._conn.execute(
            "SELECT rel, size, mtime_ns, inode, fingerprint, result FROM files ORDER BY rel"
        ):
            if wanted.get(rel) == (size, mtime_ns, inode) and fingerprint == self.fingerprint:
                out.append(FileResult.from_json(json.loads(data)))
        return out

    def count(self) -> int:
        """Number of stored results (any fingerprint)."""
        return int(self._conn.execute("SELECT COUNT(*) FROM files").fetchone()[0])
