"""Background jobs: one folder each, progress per file with the time left, and a cancel.

A job is a piece of work the app started (a scan, a bundle check, a comparison) on the files
of one upload. Its id is random (:func:`secrets.token_urlsafe`, 128 bits) and names its folder
under the app's temporary folder; every file the app serves is looked up in that one folder by
a fixed name, so one job's page cannot reach another job's files. The work runs on a thread
and reports through :meth:`Job.progress`, the callback the library calls
(``progress(label, done_seconds, total_seconds)``, as ``auditor scan`` draws its progress bar);
a cancel makes the next call raise :class:`Cancelled`, which the library lets through.
"""

from __future__ import annotations

import re
import secrets
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import AuditorError

__all__ = ["Cancelled", "FileProgress", "Job", "Jobs", "JOB_ID"]

#: A job id as :func:`secrets.token_urlsafe` writes 16 bytes.
JOB_ID = re.compile(r"[A-Za-z0-9_-]{22}")


class Cancelled(Exception):  # noqa: N818 - a signal, not an error
    """Raised from the progress callback once the job is cancelled (not an AuditorError, so
    the scan does not record it as an unreadable file)."""


@dataclass
class FileProgress:
    """How far one file is: seconds of audio done out of ``total``, and since when."""

    label: str
    total: float | None = None
    done: float = 0.0
    started: float | None = None
    updated: float | None = None

    def left(self) -> float | None:
        """Seconds of wall-clock time left at the rate so far, or None when unknown."""
        if not self.total or self.started is None or self.updated is None or self.done <= 0:
            return None
        rate = self.done / max(self.updated - self.started, 1e-3)
        return max(self.total - self.done, 0.0) / rate


@dataclass
class Job:
    """One piece of work and what it produced."""

    id: str
    kind: str
    folder: Path
    state: str = "queued"  # queued, running, done, failed, cancelled
    files: list[FileProgress] = field(default_factory=list)
    error: str | None = None
    failure: AuditorError | None = None  # the error, to say it again in a page's language
    result: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    created: float = field(default_factory=time.monotonic)
    cancel_event: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def progress(self, label: str, done: float, total: float) -> None:
        """The library's progress callback; raises :class:`Cancelled` once cancelled."""
        if self.cancel_event.is_set():
            raise Cancelled()
        now = time.monotonic()
        with self.lock:
            entry = self._entry(label)
            if entry.started is None:
                entry.started = now
            entry.done, entry.updated = done, now
            if total:
                entry.total = total

    def expect(self, label: str, total: float | None) -> None:
        """List a file before its work starts, with its duration when known."""
        with self.lock:
            self._entry(label).total = total

    def _entry(self, label: str) -> FileProgress:
        name = Path(label).name
        for f in self.files:
            if f.label == label or f.label == name:
                return f
        f = FileProgress(label)
        self.files.append(f)
        return f

    def check_cancelled(self) -> None:
        """Raise :class:`Cancelled` if the job was cancelled (between steps of the work)."""
        if self.cancel_event.is_set():
            raise Cancelled()

    def status(self) -> dict[str, Any]:
        """The job's state for the progress page: per file, and the whole job's time left."""
        with self.lock:
            rows = [{"file": f.label, "done": round(f.done, 1),
                     "total": None if f.total is None else round(f.total, 1),
                     "percent": None if not f.total else round(min(100.0, 100 * f.done / f.total)),
                     "left": None if f.left() is None else round(f.left() or 0.0)}
                    for f in self.files]
            return {"state": self.state, "kind": self.kind, "files": rows,
                    "left": self._left(), "error": self.error}

    def _left(self) -> float | None:
        """Time left for the files not yet done, at the audio-seconds rate measured so far."""
        started = [f for f in self.files if f.started is not None and f.done > 0]
        if not started or any(f.total is None for f in self.files):
            return None
        spent = sum((f.updated or 0.0) - (f.started or 0.0) for f in started)
        rate = sum(f.done for f in started) / max(spent, 1e-3)
        remaining = sum(max((f.total or 0.0) - f.done, 0.0) for f in self.files)
        return round(remaining / rate)


class Jobs:
    """The app's jobs, each in a folder of its own under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        # one job works at a time (a scan uses every core already); the others wait, queued
        self._turn = threading.Lock()

    def new(self, kind: str) -> Job:
        """A job with a fresh random id and an empty folder (mode 0700)."""
        job_id = secrets.token_urlsafe(16)
        folder = self.root / job_id
        folder.mkdir(mode=0o700)
        job = Job(job_id, kind, folder)
        with self._lock:
            self._jobs[job_id] = job
        return job

    def get(self, job_id: str) -> Job | None:
        """The job of that id, or None (also for anything that is not an id)."""
        if not JOB_ID.fullmatch(job_id):
            return None
        with self._lock:
            return self._jobs.get(job_id)

    def drop(self, job: Job) -> None:
        """Forget a job and remove its folder."""
        with self._lock:
            self._jobs.pop(job.id, None)
        shutil.rmtree(job.folder, ignore_errors=True)

    def start(self, job: Job, work: Callable[[Job], dict[str, Any]]) -> None:
        """Run ``work(job)`` on a thread; its result (or its error, or the cancel) ends the job.

        Jobs run one at a time; a queued job can be cancelled while it waits. A cancelled or
        failed job's files are removed at once (a failed one keeps its message).
        """
        def run() -> None:
            try:
                while not self._turn.acquire(timeout=0.2):
                    job.check_cancelled()
                try:
                    job.check_cancelled()
                    job.state = "running"
                    result = work(job)
                    job.check_cancelled()
                finally:
                    self._turn.release()
            except Cancelled:
                job.state = "cancelled"
            except AuditorError as exc:
                job.error, job.failure, job.state = exc.diagnostics(), exc, "failed"
            except Exception as exc:  # noqa: BLE001 - a page, never a traceback, for a person
                job.error = (f"internal error: {type(exc).__name__}: {exc}\n  what to do: this "
                             "is a bug in auditor; run the same check with the command line "
                             "and AUDITOR_DEBUG=1, and report the traceback")
                job.state = "failed"
            else:
                job.result, job.state = result, "done"
                return
            shutil.rmtree(job.folder, ignore_errors=True)  # cancelled or failed: nothing kept

        threading.Thread(target=run, name=f"auditor-job-{job.id[:6]}", daemon=True).start()
