"""The finding: one located, explained observation, as the JSON report contract gives it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Finding", "SEVERITIES", "severity_rank", "format_time"]

SEVERITIES = ("info", "warning", "high")


def severity_rank(severity: str) -> int:
    """Order of a severity name: info < warning < high."""
    return SEVERITIES.index(severity)


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
