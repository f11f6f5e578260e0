"""A live progress line for an archive audit: files, hours of audio, rate and time left.

The library calls :meth:`Progress.update` once per audited file; only the command line creates a
:class:`Progress` that draws, on standard error, and only when that is a terminal. The time left
is estimated from bytes (known for every file before it is read), the rate from hours of audio
decoded (known once a file is done).
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["Progress", "format_eta"]


def format_eta(seconds: float) -> str:
    """``"1:02:03"`` for a duration in seconds; ``"--:--"`` when unknown."""
    if seconds != seconds or seconds < 0 or seconds == float("inf"):
        return "--:--"
    s = int(round(seconds))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"


class Progress:
    """Counts audited files and draws ``files  hours  rate  ETA`` at most 5 times a second.

    Parameters
    ----------
    files, nbytes
        Files and bytes this run will read (files already audited are not counted).
    skipped
        Files reused from an earlier run.
    stream
        Where to draw (default: standard error); nothing is drawn unless it is a terminal.
    """

    def __init__(self, files: int, nbytes: int, *, skipped: int = 0,
                 stream: TextIO | None = None, clock: object = time.monotonic) -> None:
        self.files, self.nbytes, self.skipped = files, nbytes, skipped
        self.done_files = 0
        self.done_bytes = 0
        self.hours = 0.0
        self.stream = stream if stream is not None else sys.stderr
        self._clock = clock
        self.started = self._now()
        self._drawn = 0.0
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())

    def _now(self) -> float:
        return float(self._clock())  # type: ignore[operator]

    def update(self, nbytes: int, hours: float) -> None:
        """One more file done: its size and the hours of audio it held."""
        self.done_files += 1
        self.done_bytes += nbytes
        self.hours += hours
        now = self._now()
        if self.enabled and (now - self._drawn >= 0.2 or self.done_files == self.files):
            self._drawn = now
            self.stream.write("\r" + self.line(now))
            self.stream.flush()

    def line(self, now: float | None = None) -> str:
        """The progress text."""
        elapsed = max((self._now() if now is None else now) - self.started, 1e-9)
        rate = self.hours / elapsed
        left = self.nbytes - self.done_bytes
        eta = left / (self.done_bytes / elapsed) if self.done_bytes else float("nan")
        pct = 100.0 * self.done_bytes / self.nbytes if self.nbytes else 100.0
        reused = f" (+{self.skipped} already audited)" if self.skipped else ""
        return (f"  files {self.done_files}/{self.files}{reused}  {pct:5.1f}%  "
                f"{self.hours:8.2f} h audio  {rate * 3600:6.0f}x real time  ETA {format_eta(eta)} ")

    def close(self) -> None:
        """End the line."""
        if self.enabled and self.done_files:
            self.stream.write("\n")
            self.stream.flush()
