"""Splice detection: fuse the forensic cues into one finding per edit point.

Each cue lives in its own module and offers two functions:

- ``analysers(sample_rate, channels, params) -> {name: StreamAnalyser}``: what it measures in
  the single streaming pass (decimated tracks, candidate points), kept small;
- ``cues(inp, params) -> (CueStatus, list[Cue])``: whether the cue could apply to this file
  (and the measured reason when it could not) and the candidate edit points it found.

The fusion groups candidates from different cues that fall within each other's location
uncertainty, takes the finest location any cue gives, and turns the group's cue strengths into
one confidence with a logistic model fitted on the splice benchmark (``bench/bench_splice.py``)
and shipped as ``splice_calibration.json``: a confidence of 0.9 means that, on the benchmark's
held-out hearings, about 9 in 10 findings at that confidence were real edits (Platt,
"Probabilistic outputs for support vector machines", 1999, is the same sigmoid fit).
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import numpy as np

from ...errors import InputError
from ...findings import Finding, format_time
from ..base import DetectorInput, ScanParams
from ..features import StreamAnalyser
from . import background, enf, waveform
from .cue import Cue, CueStatus
from .gate import measure_gate

__all__ = ["Cue", "CueStatus", "Calibration", "splice", "analysers", "group_confidence",
           "load_calibration", "CUE_MODULES", "CALIBRATION_SCHEMA"]

CALIBRATION_SCHEMA = "auditor.splice-calibration/2"
#: older tables (no ``density`` terms) still read
CALIBRATION_SCHEMAS = (CALIBRATION_SCHEMA, "auditor.splice-calibration/1")
CALIBRATION_FILE = "splice_calibration.json"
#: a splice candidate this close (seconds) to the edge of a run of digital silence, seen by no
#: ENF cue, is the mute's own edge: the digital_silence finding reports it
MUTE_EDGE = 0.05


@dataclass(frozen=True)
class Calibration:
    """Logistic map from the strengths of the cues in a group to P(real edit).

    ``logit = intercept + sum over present cues of max(0, present + per_log * ln(strength)
    - density * ln(1 + rate))``, where ``rate`` is how many candidates the cue's module (``enf``,
    ``background``, ``waveform``) found per minute of this recording: the more often a cue fires
    in one recording, the less each firing says (a voice that carries its own mains hum steps
    the hum's phase at every word; in an archive where edits are rare, dozens of steps in a few
    minutes are that, not dozens of edits). This is the empirical-Bayes reading of many tests on
    one recording (Efron, "Large-Scale Inference", 2010, ch. 5: a local false-discovery rate
    grows with how often the test fires where nothing is to be found). Every term is >= 0 and
    ``per_log >= 0``, so the confidence never falls when a cue's strength rises or when one
    more cue agrees. Cues the table does not know are left to
    :func:`group_confidence`.
    """

    version: str
    intercept: float
    weights: Mapping[str, tuple[float, float]]
    fitted: Mapping[str, Any] = field(default_factory=dict)
    #: a finding is ``high`` only when this many cues agree and its confidence reaches ``high``
    high: float = 0.8
    high_min_cues: int = 2
    #: the rate of real edits the probability assumes (edited joins per hour of recording)
    prior_per_hour: float | None = None
    #: per cue module, how much a cue's term falls per unit of ln(1 + its candidates per minute)
    density: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Any, *, path: str = CALIBRATION_FILE) -> Calibration:
        """Parse and validate a calibration table. Raises InputError naming ``path``."""
        hint = "reinstall auditor, or re-fit it with bench/bench_splice.py --calibrate"
        try:
            if data.get("schema") not in CALIBRATION_SCHEMAS:
                raise ValueError(f"schema {data.get('schema')!r}, expected {CALIBRATION_SCHEMA}")
            weights = {}
            for cue, w in data["cues"].items():
                present, per_log = float(w["present"]), float(w["log_strength"])
                if not (present >= 0 and per_log >= 0 and math.isfinite(present + per_log)):
                    raise ValueError(f"cue {cue!r}: weights must be finite and >= 0, got {w}")
                weights[str(cue)] = (present, per_log)
            intercept = float(data["intercept"])
            if not math.isfinite(intercept):
                raise ValueError(f"intercept {intercept}")
            th = data.get("thresholds") or {}
            high, min_cues = float(th.get("high", 0.8)), int(th.get("high_min_cues", 2))
            if not (0.0 < high <= 1.0 and min_cues >= 1):
                raise ValueError(f"thresholds {th}")
            prior = (data.get("prior") or {}).get("edited_joins_per_hour")
            density = {str(k): float(v) for k, v in (data.get("density") or {}).items()}
            if not all(v >= 0 and math.isfinite(v) for v in density.values()):
                raise ValueError(f"density terms must be finite and >= 0, got {density}")
            return cls(str(data["version"]), intercept, weights, dict(data.get("fitted", {})),
                       high, min_cues, None if prior is None else float(prior), density)
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise InputError(f"invalid splice calibration table: {exc}", path=path,
                             hint=hint) from None

    def to_json(self) -> dict[str, Any]:
        out = {"schema": CALIBRATION_SCHEMA, "version": self.version,
               "intercept": self.intercept,
               "cues": {c: {"present": p, "log_strength": w}
                        for c, (p, w) in sorted(self.weights.items())},
               "fitted": dict(self.fitted),
               "thresholds": {"high": self.high, "high_min_cues": self.high_min_cues}}
        if self.prior_per_hour is not None:
            out["prior"] = {"edited_joins_per_hour": self.prior_per_hour}
        if self.density:
            out["density"] = dict(sorted(self.density.items()))
        return out

    def probability(self, strengths: Mapping[str, float],
                    rates: Mapping[str, float] | None = None) -> float:
        """P(real edit) from the strengths of the cues this table knows (others ignored) and,
        per cue module, its candidates per minute in the recording (``rates``; none: 0)."""
        logit = self.intercept
        for cue, s in strengths.items():
            if cue in self.weights:
                present, per_log = self.weights[cue]
                family = cue.split("/", 1)[0]
                busy = self.density.get(family, 0.0) * math.log1p((rates or {}).get(family, 0.0))
                logit += max(0.0, present + per_log * math.log(max(s, 1e-9)) - busy)
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, logit))))


@functools.cache
def load_calibration() -> Calibration | None:
    """The calibration table shipped with the package, or None when there is none."""
    res = resources.files(__package__ or "auditor.detect.splice").joinpath(CALIBRATION_FILE)
    if not res.is_file():
        return None
    try:
        data = json.loads(res.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the splice calibration table: {exc}", path=str(res),
                         hint="reinstall auditor") from None
    return Calibration.from_json(data, path=str(res))


def _prior(strength: float) -> float:
    """Uncalibrated probability for one cue (used only when no table ships)."""
    return min(0.99, max(0.0, 1.0 - 0.5 / max(strength, 1e-9) ** 2))


def group_confidence(strengths: Mapping[str, float],
                     calibration: Calibration | None = None,
                     rates: Mapping[str, float] | None = None) -> float:
    """Confidence that a group of agreeing cues (``{cue: strength}``) marks a real edit, in a
    recording where each cue module found ``rates`` candidates per minute.

    The table's probability for the cues it knows; a cue it does not know (or every cue, with
    no table) joins as an independent witness with its uncalibrated prior (noisy OR).
    """
    known = {c: s for c, s in strengths.items()
             if calibration is not None and c in calibration.weights}
    miss = (1.0 - calibration.probability(known, rates) if calibration is not None and known
            else 1.0)
    for c, s in strengths.items():
        if c not in known:
            miss *= 1.0 - _prior(s)
    return 1.0 - miss


def calibration_version(calibration: Calibration | None) -> str:
    return calibration.version if calibration is not None else "none (uncalibrated prior)"


#: the cue modules, in the order their evidence is listed
CUE_MODULES: list[Any] = [enf, background, waveform]


def analysers(sample_rate: int, channels: int, params: ScanParams) -> dict[str, StreamAnalyser]:
    """Every cue's streaming analysers."""
    out: dict[str, StreamAnalyser] = {}
    for mod in CUE_MODULES:
        out.update(mod.analysers(sample_rate, channels, params))
    return out


def splice(inp: DetectorInput, params: ScanParams) -> list[Finding]:
    """Fused splice findings for one file.

    Each cue's applicability goes into ``inp.checks["splice"]``; the calibration version and
    any candidate dropped as a digital-silence edge go into ``inp.checks["splice_fusion"]``.
    """
    statuses: list[CueStatus] = []
    found: dict[str, list[Cue]] = {}
    for mod in CUE_MODULES:
        status, cue_list = mod.cues(inp, params)
        statuses.append(status)
        found[status.cue] = cue_list if status.applicable else []
    statuses = _ungated(inp, statuses, found)
    cues = [c for s in statuses if s.applicable for c in found[s.cue]]
    inp.checks["splice"] = {s.cue: s.to_json() for s in statuses}
    calibration = load_calibration()
    edges = _mute_edges(inp, params)
    minutes = inp.features.frames / inp.features.sample_rate / 60 if inp.features.sample_rate \
        else 0.0
    rates = {s.cue: len(found[s.cue]) / minutes if minutes > 0 else 0.0
             for s in statuses if s.applicable}
    out, dropped = [], []
    for group in _group(cues):
        f = _finding(inp, group, statuses, calibration, rates)
        edge = _at_mute_edge(f, edges)
        if edge is not None:
            dropped.append({"time": round(f.start or 0.0, 4), "mute_edge": round(edge, 4),
                            "cues": sorted(f.evidence["cues"])})
        elif f.confidence >= params.splice_min_confidence:
            out.append(f)
    inp.checks["splice_fusion"] = {**inp.checks.get("splice_fusion", {}),
                                   "calibration": calibration_version(calibration),
                                   **_assumptions(calibration, params),
                                   # how often each applicable cue fired here: the more often,
                                   # the less each firing weighs (Calibration)
                                   "candidates_per_minute": {c: round(r, 3) for c, r
                                                             in sorted(rates.items())},
                                   "at_digital_silence_edge": dropped}
    return out


def _ungated(inp: DetectorInput, statuses: list[CueStatus],
             found: dict[str, list[Cue]]) -> list[CueStatus]:
    """The statuses with the cues a gated microphone disturbs made not applicable
    (:mod:`.gate`); what was measured goes into the fusion's checks (``gated_microphone``)."""
    f = inp.features
    g = measure_gate(found, f.frames / f.sample_rate if f.sample_rate else 0.0)
    if not g.found:
        return statuses
    effect = {"enf": "not applicable" if g.hum else "unaffected",
              "background": "not applicable" if g.background else "unaffected",
              "waveform": "unaffected"}
    inp.checks["splice_fusion"] = {"gated_microphone": {**g.evidence, "hum_comes_and_goes": g.hum,
                                      "background_comes_and_goes": g.background,
                                      "effect_on_cues": effect}}
    out = []
    for s in statuses:
        if s.cue == "enf" and g.hum and s.applicable:
            s = CueStatus("enf", False, GATED_HUM.format(**g.evidence), dict(s.evidence))
        elif s.cue == "background" and g.background and s.applicable:
            s = CueStatus("background", False, GATED_BACKGROUND.format(**g.evidence),
                          dict(s.evidence))
        out.append(s)
    return out


GATED_HUM = ("the mains hum vanishes or changes level {hum_gaps_and_level_steps} times: it comes "
             "and goes (a gated microphone, an automatic mixer, or a device switched on and "
             "off), and restarts each time, so its continuity cannot show edits")
GATED_BACKGROUND = ("the background changes {background_changes} times, back and forth: a "
                    "gated microphone, an automatic mixer or a machine switched on and off, so "
                    "a change of room cannot be told from it")


#: half-width (seconds) below which no cue's interval counts when grouping: two cues 10 ms
#: apart, each sure to a few milliseconds, still mark one edit (the ENF cue's location errors
#: reach 30 ms at its 90th percentile on the benchmark)
GROUP_FLOOR = 0.05


def _group(cues: list[Cue]) -> list[list[Cue]]:
    """Cluster candidates whose uncertainty intervals (at least :data:`GROUP_FLOOR` wide)
    overlap (single linkage, in time order)."""
    groups: list[list[Cue]] = []
    end = -1.0
    for c in sorted(cues, key=lambda c: (c.time, c.cue)):
        half = max(c.uncertainty, GROUP_FLOOR)
        if groups and c.time - half <= end:
            groups[-1].append(c)
            end = max(end, c.time + half)
        else:
            groups.append([c])
            end = c.time + half
    return groups


def _mute_edges(inp: DetectorInput, params: ScanParams) -> np.ndarray:
    """Times (s) of both edges of every run the digital_silence detector reports, when it runs.

    A run of exact zeros starts and ends with a step in the waveform and in the noise floor,
    which the waveform and background cues see; that step is the mute itself, already reported.
    """
    if params.detectors and "digital_silence" not in params.detectors:
        return np.zeros(0)
    f = inp.features
    min_len = max(2, int(round(params.digital_silence_min * f.sample_rate)))
    edges = [np.zeros(0)]
    for runs in f.runs:
        sel = runs.length >= min_len
        edges += [runs.start[sel] / f.sample_rate, (runs.start[sel] + runs.length[sel])
                  / f.sample_rate]
    return np.sort(np.concatenate(edges))


def _at_mute_edge(f: Finding, edges: np.ndarray) -> float | None:
    """The mute edge this finding is, or None.

    Decision: it is the mute's own edge when it lies within its location uncertainty (at least
    :data:`MUTE_EDGE`) of a digital-silence edge and no ENF cue is in the group. An ENF phase or
    frequency step across a mute means time was removed or inserted there as well, so such a
    finding stays.
    """
    if not edges.size or "enf" in f.evidence["cues"] or f.start is None:
        return None
    t = float(f.start)
    tol = max(MUTE_EDGE, float(f.evidence["location_uncertainty"]))
    i = int(np.searchsorted(edges, t))
    near = min(edges[max(0, i - 1): i + 1], key=lambda e: abs(float(e) - t))
    return float(near) if abs(float(near) - t) <= tol else None


def _finding(inp: DetectorInput, group: list[Cue], statuses: list[CueStatus],
             calibration: Calibration | None, rates: Mapping[str, float]) -> Finding:
    best: dict[str, Cue] = {}
    for c in group:
        if c.cue not in best or c.strength > best[c.cue].strength:
            best[c.cue] = c
    confidence = group_confidence({calibration_key(c): c.strength for c in best.values()},
                                  calibration, rates)
    # the finest location any cue gives
    loc = min(best.values(), key=lambda c: (c.uncertainty, -c.strength))
    lead = max(best.values(), key=lambda c: c.strength)
    evidence: dict[str, Any] = {
        "location_uncertainty": round(loc.uncertainty, 4),
        "sample": loc.sample,
        # candidates_per_minute: how often the cue fired in this recording (it weighs each
        # firing: see Calibration)
        "cues": {name: {"time": round(c.time, 4), "strength": round(c.strength, 3),
                        "candidates_per_minute": round(rates.get(name, 0.0), 3),
                        **c.evidence} for name, c in sorted(best.items())},
        "not_applicable": sorted(s.cue for s in statuses if not s.applicable),
        "calibration": calibration_version(calibration),
    }
    unknown = sorted(c for c in best if calibration is None or c not in calibration.weights)
    if calibration is not None and unknown:
        evidence["uncalibrated_cues"] = unknown
    names = " and ".join(sorted(best))
    high_at, min_cues = ((calibration.high, calibration.high_min_cues) if calibration is not None
                         else (0.8, 2))
    high = confidence >= high_at and len(best) >= min_cues
    seen = f"seen by the {names} cue" if len(best) == 1 else f"the {names} cues agree"
    if calibration is not None and calibration.prior_per_hour:
        odds = (f"; {_percent(confidence)} that it is an edit, where edits are as rare as "
                f"{_rate(calibration.prior_per_hour)}")
    else:
        odds = ""
    what = "probable edit" if high else "anomaly worth listening to"
    return Finding(
        kind="splice", file=inp.label, start=loc.time, end=loc.time,
        severity="high" if high else "warning", confidence=round(confidence, 4),
        detector=lead.cue, message=f"{what} at {format_time(loc.time)}: {seen}{odds}",
        evidence=evidence,
    )


def _assumptions(calibration: Calibration | None, params: ScanParams) -> dict[str, Any]:
    """What a reader needs to weigh a splice confidence: the rate of real edits it assumes and
    the thresholds of a report and of ``high``."""
    if calibration is None or calibration.prior_per_hour is None:
        return {}
    return {"prior_edited_joins_per_hour": calibration.prior_per_hour,
            "report_threshold": params.splice_min_confidence,
            "high_threshold": calibration.high, "high_min_cues": calibration.high_min_cues}


def calibration_key(c: Cue) -> str:
    """The name a cue's strength has in the calibration table: the ENF cue's kinds of step
    (phase, frequency, level, a gap in the hum) are told apart, as their false alarms differ."""
    kind = c.evidence.get("kind")
    return f"{c.cue}/{kind}" if c.cue == "enf" and kind else c.cue


def _percent(p: float) -> str:
    return f"{p:.0%}" if p >= 0.01 else "under 1%"


def _rate(per_hour: float) -> str:
    """``0.1`` -> "one edited join in 10 hours"."""
    hours = 1.0 / per_hour
    return f"one edited join in {hours:g} hours" if hours >= 1 else f"{per_hour:g} per hour"
