"""What a splice cue reports: a candidate edit point, and whether the cue could apply at all.

The types every cue module (``enf``, ``background``, ``waveform``) returns and the fusion in
:mod:`auditor.detect.splice` reads; kept apart so that the cues never import the fusion.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Cue", "CueStatus"]


@dataclass(frozen=True)
class Cue:
    """One cue's candidate edit point.

    ``strength`` is the cue's own score normalised so that 1.0 is its detection threshold;
    ``uncertainty`` is the half-width (seconds) of the interval where the edit can lie;
    ``sample`` is the exact sample when the cue locates it that finely, else None.
    ``evidence`` holds the measured values (JSON-ready, rounded) a reader needs to judge it.
    """

    cue: str
    time: float
    strength: float
    uncertainty: float
    sample: int | None = None
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CueStatus:
    """Whether a cue could apply to a file, and why not when it could not (measured)."""

    cue: str
    applicable: bool
    reason: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"applicable": self.applicable}
        if self.reason:
            out["reason"] = self.reason
        out.update(self.evidence)
        return out
