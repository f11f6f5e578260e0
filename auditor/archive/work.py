"""Auditing one file of an archive: the task a worker runs, a pure function of the file.

:func:`audit_file` scans the recording (:func:`auditor.scan.scan_file`: one decode gives every
detector's findings and the file's SHA-256) and, when the ledger holds a recording of that name
whose bytes differ, hashes its chunks the way the ledger logged them
(:func:`auditor.ledger.recording.hash_chunks`) so the one process that reads the ledger can name
the chunks that changed (:func:`auditor.ledger.verify.compare_chunks`). It never writes anything:
its :class:`FileResult` is plain data that pickles to a process or a Dask worker and back.

A file that vanishes, cannot be opened, or changes while it is read is a result with that
``status``, not an exception, so one bad file never stops an archive audit. Nor does a bug: an
unexpected exception while auditing a file is a ``failed`` result naming the exception, which the
report lists as a path that could not be checked (exit 2) and the next run reads again.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from typing import Any

from ..detect import ScanParams
from ..errors import AuditorError, ToolError
from ..findings import Finding

__all__ = ["Task", "FileResult", "audit_file", "failed_result", "CRASH_ONCE_ENV"]

#: Fault injection for the test suite only: when set to a path that does not exist yet, the first
#: worker to start a file creates it and dies at once (``os._exit``), as a killed worker would.
CRASH_ONCE_ENV = "AUDITOR_TEST_CRASH_ONCE"

#: Statuses of a result; ``ok`` and ``unreadable`` are final, the others describe the file
#: (``failed``: the audit of the file raised an unexpected exception, a bug).
STATUSES = ("ok", "unreadable", "denied", "vanished", "changed", "crashed", "failed")


@dataclass(frozen=True)
class Task:
    """One file to audit.

    ``hashes`` lists the ``(chunk_frames, pcm)`` layouts of the logged recordings with this file's
    name, and ``logged`` their SHA-256s: chunks are hashed only when the bytes match none.
    """

    rel: str
    path: str
    size: int
    mtime_ns: int
    inode: int
    params: ScanParams
    hashes: tuple[tuple[int, str], ...] = ()
    logged: frozenset[str] = frozenset()


@dataclass
class FileResult:
    """What auditing one file gave; JSON-serialisable with :meth:`to_json`."""

    rel: str
    size: int
    mtime_ns: int
    inode: int
    status: str
    sha256: str | None = None
    info: dict[str, Any] | None = None
    decoded_duration: float = 0.0
    findings: list[dict[str, Any]] = field(default_factory=list)
    chunks: dict[str, list[list[Any]]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    attempts: int = 1

    def to_json(self) -> dict[str, Any]:
        """The result as a JSON object."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FileResult:
        """The result from :meth:`to_json`'s object."""
        return cls(**data)

    def finding_objects(self) -> list[Finding]:
        """The scan's findings as :class:`~auditor.findings.Finding` objects."""
        return [Finding(**f) for f in self.findings]

    @property
    def hours(self) -> float:
        """Hours of audio decoded."""
        return self.decoded_duration / 3600.0


def _finding_json(f: Finding) -> dict[str, Any]:
    import json

    data = asdict(f)
    # evidence may hold numpy scalars: store what the report would print
    data["evidence"] = json.loads(json.dumps(data["evidence"], default=float))
    return data


def _crash_hook() -> None:
    marker = os.environ.get(CRASH_ONCE_ENV)
    if not marker:
        return
    try:
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return
    os.close(fd)
    os._exit(70)


def _identity(path: str) -> tuple[int, int, int]:
    st = os.stat(path)
    return st.st_size, st.st_mtime_ns, st.st_ino


def failed_result(task: Task, exc: BaseException) -> FileResult:
    """The ``failed`` result of a task whose audit raised ``exc`` unexpectedly.

    The error names the exception and the innermost line of auditor's code it came from (as a
    path inside the package, so every executor gives the same text).
    """
    import traceback

    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    where = ""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if os.path.abspath(frame.filename).startswith(package + os.sep):
            rel = os.path.relpath(frame.filename, os.path.dirname(package))
            where = f" (at {rel.replace(os.sep, '/')}:{frame.lineno})"
            break
    return FileResult(task.rel, task.size, task.mtime_ns, task.inode, "failed",
                      error=f"internal error: {type(exc).__name__}: {exc}{where}")  # fmt: skip


def audit_file(task: Task) -> FileResult:
    """Scan one file and hash what the ledger check needs; see the module docstring.

    Never raises (but for ``KeyboardInterrupt`` and ``SystemExit``): an unexpected exception is
    a ``failed`` result (:func:`failed_result`).

    Parameters
    ----------
    task
        The file and what to compute.

    Returns
    -------
    FileResult
        ``status`` ``ok`` with findings, SHA-256, media facts and chunk hashes; or ``unreadable``
        (not a usable recording: the error says why), ``denied`` (no permission), ``vanished``
        or ``changed`` (the file is not the one the walk found), ``failed`` (a bug).
    """
    _crash_hook()
    try:
        return _audit(task)
    except Exception as exc:  # noqa: BLE001 - one file's bug must not stop the archive audit
        return failed_result(task, exc)


def _audit(task: Task) -> FileResult:
    base = FileResult(task.rel, task.size, task.mtime_ns, task.inode, "ok")
    expected = (task.size, task.mtime_ns, task.inode)
    try:
        if _identity(task.path) != expected:
            return _with(base, "changed", "the file changed after the archive was listed")
        os.close(os.open(task.path, os.O_RDONLY))
    except FileNotFoundError:
        return _with(base, "vanished", "the file disappeared before it could be read")
    except PermissionError as exc:
        return _with(base, "denied", f"cannot open the file: {exc.strerror}")
    except OSError as exc:
        return _with(base, "denied", f"cannot read the file: {exc.strerror}")
    from ..ledger.recording import hash_chunks
    from ..scan import scan_file

    try:
        scan = scan_file(task.path, task.params, label=task.rel)
        chunks: dict[str, list[list[Any]]] = {}
        if scan.sha256 not in task.logged:
            for frames, pcm in task.hashes:
                chunks[f"{frames}/{pcm}"] = [
                    [c.index, c.start, c.end, c.pcm_sha256]
                    for c in hash_chunks(task.path, chunk_frames=frames, info=scan.info, pcm=pcm)
                ]
    except ToolError as exc:  # ffmpeg missing or broken on this machine: not the file's fault
        return FileResult(task.rel, task.size, task.mtime_ns, task.inode, "failed",
                          error=f"could not be checked here: {exc.diagnostics()}")
    except AuditorError as exc:
        status = _after(task.path, expected)
        if status != "ok":
            return _with(base, status, "the file changed or disappeared while it was read")
        out = _with(base, "unreadable", exc.what)
        try:
            from ..media import file_sha256

            out.sha256 = file_sha256(task.path)  # its bytes still identify it
        except AuditorError:
            pass
        return out
    status = _after(task.path, expected)
    if status != "ok":
        return _with(base, status, "the file changed or disappeared while it was read")
    return FileResult(
        task.rel, task.size, task.mtime_ns, task.inode, "ok", sha256=scan.sha256,
        info=scan.info.to_json(),
        decoded_duration=round(scan.decoded_duration, 6),
        findings=[_finding_json(f) for f in scan.findings], chunks=chunks,
        warnings=list(scan.warnings),
    )  # fmt: skip


def _after(path: str, expected: tuple[int, int, int]) -> str:
    try:
        return "ok" if _identity(path) == expected else "changed"
    except FileNotFoundError:
        return "vanished"
    except OSError:
        return "denied"


def _with(base: FileResult, status: str, error: str) -> FileResult:
    return FileResult(base.rel, base.size, base.mtime_ns, base.inode, status, error=error)
