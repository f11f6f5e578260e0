"""Splice detection: fuse the forensic cues into one finding per edit point.

Each cue lives in its own module and offers two functions:

- ``analysers(sample_rate, channels, params) -> {name: StreamAnalyser}``: what it measures in
  the single streaming pass (decimated tracks, candidate points), kept small;
- ``cues(inp, params) -> (CueStatus, list[Cue])``: whether the cue could apply to this file
  (and the measured reason when it could not) and the candidate edit points it found.

The fusion groups candidates from different cues that fall within each other's location
uncertainty, and turns the group's cue strengths into one calibrated confidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..findings import Finding, format_time
from .base import DetectorInput, ScanParams
from .features import StreamAnalyser

__all__ = ["Cue", "CueStatus", "splice", "analysers", "CUE_MODULES"]


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


def _modules() -> list[Any]:
    from . import background, enf, waveform

    return [enf, background, waveform]


#: the cue modules, in the order their evidence is listed (filled lazily: they import this one)
CUE_MODULES: list[Any] = []


def analysers(sample_rate: int, channels: int, params: ScanParams) -> dict[str, StreamAnalyser]:
    """Every cue's streaming analysers."""
    out: dict[str, StreamAnalyser] = {}
    for mod in CUE_MODULES or _modules():
        out.update(mod.analysers(sample_rate, channels, params))
    return out


def splice(inp: DetectorInput, params: ScanParams) -> list[Finding]:
    """Fused splice findings for one file; each cue's applicability goes into ``inp.checks``."""
    statuses: list[CueStatus] = []
    cues: list[Cue] = []
    for mod in CUE_MODULES or _modules():
        status, found = mod.cues(inp, params)
        statuses.append(status)
        if status.applicable:
            cues.extend(found)
    inp.checks["splice"] = {s.cue: s.to_json() for s in statuses}
    return [f for f in (_finding(inp, g, statuses) for g in _group(cues))
            if f.confidence >= params.splice_min_confidence]


def _group(cues: list[Cue]) -> list[list[Cue]]:
    """Cluster candidates whose uncertainty intervals overlap (single linkage, in time order)."""
    groups: list[list[Cue]] = []
    end = -1.0
    for c in sorted(cues, key=lambda c: (c.time, c.cue)):
        if groups and c.time - c.uncertainty <= end:
            groups[-1].append(c)
            end = max(end, c.time + c.uncertainty)
        else:
            groups.append([c])
            end = c.time + c.uncertainty
    return groups


def _cue_probability(c: Cue) -> float:
    """Probability that one cue at this strength marks a real edit (placeholder: calibrated
    on the benchmark in ``bench/bench_splice.py``)."""
    return min(0.99, max(0.0, 1.0 - 0.5 / max(c.strength, 1e-9) ** 2))


def _finding(inp: DetectorInput, group: list[Cue], statuses: list[CueStatus]) -> Finding:
    best: dict[str, Cue] = {}
    for c in group:
        if c.cue not in best or c.strength > best[c.cue].strength:
            best[c.cue] = c
    miss = 1.0
    for c in best.values():
        miss *= 1.0 - _cue_probability(c)
    confidence = 1.0 - miss
    # the finest location any cue gives
    loc = min(best.values(), key=lambda c: (c.uncertainty, -c.strength))
    lead = max(best.values(), key=lambda c: c.strength)
    evidence: dict[str, Any] = {
        "location_uncertainty": round(loc.uncertainty, 4),
        "sample": loc.sample,
        "cues": {name: {"time": round(c.time, 4), "strength": round(c.strength, 3),
                        **c.evidence} for name, c in sorted(best.items())},
        "not_applicable": sorted(s.cue for s in statuses if not s.applicable),
    }
    names = " and ".join(sorted(best))
    return Finding(
        kind="splice", file=inp.label, start=loc.time, end=loc.time,
        severity="high" if confidence >= 0.8 else "warning", confidence=round(confidence, 4),
        detector=lead.cue,
        message=f"probable edit at {format_time(loc.time)}: {names} "
        f"{'cue' if len(best) == 1 else 'cues'} agree",
        evidence=evidence,
    )
