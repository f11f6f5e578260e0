"""The finding: one located, explained observation, as the JSON report contract gives it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Finding", "SEVERITIES", "severity_rank", "format_time", "printable"]

SEVERITIES = ("info", "warning", "high")


def severity_rank(severity: str) -> int:
    """Order of a severity name: info < warning < high."""
    return SEVERITIES.index(severity)


#: Characters a reader cannot see, or that reorder or hide what follows them: C0/C1 controls,
#: the bidirectional controls (U+200E/F, U+202A-202E, U+2066-2069, U+061C), zero-width and other
#: format characters (Unicode category Cf), line/paragraph separators, lone surrogates (bytes of
#: a file name that are not UTF-8) and the other default-ignorable code points.
_INVISIBLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f"
    "\u200b-\u200f\u2028-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0"
    "\ufff0-\ufffb\u0600-\u0605\u06dd\u070f\u0890\u0891\u08e2\ud800-\udfff"
    "\U000110bd\U000110cd\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)


def printable(text: str, *, keep: str = "") -> str:
    """``text`` for a person to read: every invisible or reordering character made visible.

    A right-to-left override (U+202E) in a session's case number, a file name or a reason would
    otherwise reverse the times printed after it on the same line, and a zero-width space makes
    two names that differ look the same. Each such character becomes ``<U+202E>``. Letters of
    every script stay as they are. Renderers for people (text, HTML, PDF, CSV, messages) call
    this; the JSON report keeps the value as it was.

    Parameters
    ----------
    text
        Any text taken from an input.
    keep
        Characters to leave as they are (``"\n"`` for text that is already laid out in lines).

    Examples
    --------
    >>> printable("2-123\u202e/2026")
    '2-123<U+202E>/2026'
    """
    def visible(match: re.Match[str]) -> str:
        char = match.group()
        return char if char in keep else f"<U+{ord(char):04X}>"

    return _INVISIBLE.sub(visible, text)


def format_time(seconds: float) -> str:
    """Format seconds as ``HH:MM:SS.s`` for messages a person reads."""
    tenths = int(round(max(seconds, 0.0) * 10))
    h, rem = divmod(tenths, 36000)
    m, rem = divmod(rem, 600)
    s, t = divmod(rem, 10)
    return f"{h:02d}:{m:02d}:{s:02d}.{t}"


@dataclass(frozen=True)
class Finding:
    """One observation, located in a file (seconds) and/or in wall-clock time.

    Fields and meanings are fixed by the report contract (``auditor.report/1``).
    """

    kind: str
    file: str | None
    start: float | None
    end: float | None
    severity: str
    confidence: float
    detector: str
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    wall_start: str | None = None
    wall_end: str | None = None
    rule: str | None = None

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, got {self.severity!r}")
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence must be in 0..1, got {self.confidence}")

    def to_json(self) -> dict[str, Any]:
        """The finding as the report's JSON object (times rounded to microseconds)."""
        return {
            "kind": self.kind,
            "file": self.file,
            "start": None if self.start is None else round(float(self.start), 6),
            "end": None if self.end is None else round(float(self.end), 6),
            "wall_start": self.wall_start,
            "wall_end": self.wall_end,
            "severity": self.severity,
            "confidence": round(float(self.confidence), 4),
            "detector": self.detector,
            "rule": self.rule,
            "message": self.message,
            "evidence": self.evidence,
        }

    def sort_key(self) -> tuple[str, float, str, str]:
        """Stable order for reports: by file, time, kind, detector."""
        return (
            self.file or "",
            -1.0 if self.start is None else float(self.start),
            self.kind,
            self.detector,
        )
