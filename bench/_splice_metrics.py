"""Splice benchmark scoring: match findings to the truth, per case type and per cue, and fit
and check the calibration of the fused confidence.

A *group* is one fused candidate as the scan reports it with ``splice_min_confidence = 0``: its
time, location uncertainty and the strength of each cue in it. A finding is a group whose
confidence reaches the reporting threshold. A finding is correct when a real join lies within
``tol`` seconds of it; a join is found when a finding lies within ``tol`` of it (so two findings
at one join are both correct, and counted as duplicates).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from auditor.detect.splice import CALIBRATION_SCHEMA, Calibration, group_confidence

CUES = ("enf", "background", "waveform")
BINS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0001)


def confidences(rec: dict[str, Any], cal: Calibration | None) -> list[float]:
    """Each group's confidence under ``cal`` (the same function the scan uses)."""
    return [group_confidence(g["strengths"], cal) for g in rec["groups"]]


def _nearest(times: np.ndarray, t: float) -> float:
    return float(np.min(np.abs(times - t))) if times.size else math.inf


def label_groups(rec: dict[str, Any], tol: float) -> list[bool]:
    """Whether each group lies within ``tol`` of a real join."""
    truth = np.asarray(rec["truth"], float)
    return [_nearest(truth, g["time"]) <= tol for g in rec["groups"]]


STEP_BINS = (0.25, 0.5, 1.0)  # rad


def _step_bin(step: float | None) -> str:
    """Bin name of a join's ENF phase step magnitude."""
    if step is None:
        return "no hum"
    a = abs(step)
    lo = max([0.0, *[b for b in STEP_BINS if b <= a]])
    hi = min([b for b in STEP_BINS if b > a], default=None)
    return f"{lo:g}-{hi:g} rad" if hi is not None else f">={lo:g} rad"


def _pct(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 4) if values else None


def score(recs: Iterable[dict[str, Any]], *, threshold: float, tol: float,
          cal: Calibration | None) -> dict[str, Any]:
    """Recall, precision, false alarms per hour, location error and ENF applicability of one
    case type, overall and per cue (a cue counts for a join when it is in the finding there)."""
    n_truth = found = n_find = correct = dup = truth_enf = found_enf = 0
    hours = 0.0
    errors: list[float] = []
    unc: list[float] = []
    files = enf_ok = 0
    by_where: dict[str, list[int]] = {}
    by_step: dict[str, list[int]] = {}
    per_cue = {c: {"joins_found": 0, "findings": 0, "correct": 0, "errors": []}
               for c in CUES}
    for rec in recs:
        files += 1
        hours += rec["seconds"] / 3600
        applicable = bool(rec["checks"].get("enf", {}).get("applicable"))
        enf_ok += applicable
        truth = np.asarray(rec["truth"], float)
        truth_enf += truth.size * applicable
        conf = confidences(rec, cal)
        finds = [g for g, c in zip(rec["groups"], conf, strict=True) if c >= threshold]
        times = np.asarray([g["time"] for g in finds], float)
        n_truth += truth.size
        n_find += len(finds)
        hit_truth: set[int] = set()
        for g in finds:
            ok = _nearest(truth, g["time"]) <= tol
            correct += ok
            for c in g["strengths"]:
                if c in per_cue:
                    per_cue[c]["findings"] += 1
                    per_cue[c]["correct"] += ok
            if ok:
                hit_truth.add(int(np.argmin(np.abs(truth - g["time"]))))
        wheres = rec.get("where") or ["?"] * truth.size
        steps = rec.get("enf_step") or [None] * truth.size
        for t, where, step in zip(truth, wheres, steps, strict=True):
            at = by_where.setdefault(where, [0, 0])
            jb = by_step.setdefault(_step_bin(step), [0, 0])
            at[0] += 1
            jb[0] += 1
            if not times.size or np.min(np.abs(times - t)) > tol:
                continue
            at[1] += 1
            jb[1] += 1
            found += 1
            found_enf += applicable
            g = finds[int(np.argmin(np.abs(times - t)))]
            errors.append(abs(g["time"] - t))
            unc.append(g["uncertainty"])
            for c, ct in g["cue_times"].items():
                if c in per_cue:
                    per_cue[c]["joins_found"] += 1
                    per_cue[c]["errors"].append(abs(ct - t))
        dup += sum(1 for g in finds if _nearest(truth, g["time"]) <= tol) - len(hit_truth)
    false = n_find - correct
    out: dict[str, Any] = {
        "files": files, "hours": round(hours, 4), "joins": n_truth, "found": found,
        "recall": round(found / n_truth, 4) if n_truth else None,
        "findings": n_find, "false": false, "duplicates": dup,
        "precision": round(correct / n_find, 4) if n_find else None,
        "false_per_hour": round(false / hours, 3) if hours else None,
        "loc_err_median": _pct(errors, 50), "loc_err_p90": _pct(errors, 90),
        "uncertainty_median": _pct(unc, 50),
        "enf_applicable": round(enf_ok / files, 4) if files else None,
        "joins_enf_applicable": truth_enf,
        "recall_enf_applicable": round(found_enf / truth_enf, 4) if truth_enf else None,
        "recall_by_where": {w: round(f / n, 4) for w, (n, f) in sorted(by_where.items())},
        "recall_by_enf_step": {b: {"joins": n, "recall": round(f / n, 4)}
                               for b, (n, f) in sorted(by_step.items()) if b != "no hum"},
        "cues": {},
    }
    for c, v in per_cue.items():
        out["cues"][c] = {
            "recall": round(v["joins_found"] / n_truth, 4) if n_truth else None,
            "findings": v["findings"],
            "precision": round(v["correct"] / v["findings"], 4) if v["findings"] else None,
            "false_per_hour": round((v["findings"] - v["correct"]) / hours, 3) if hours else None,
            "loc_err_median": _pct(v["errors"], 50),
        }
    return out


# ----------------------------------------------------------------------------- calibration


def _design(groups: list[dict[str, Any]], cues: list[str]) -> tuple[np.ndarray, np.ndarray]:
    present = np.array([[c in g["strengths"] for c in cues] for g in groups], float)
    logs = np.array([[math.log(max(g["strengths"].get(c, 1.0), 1e-9)) for c in cues]
                     for g in groups], float)
    return present.reshape(len(groups), len(cues)), logs.reshape(len(groups), len(cues))


def fit_calibration(groups: list[dict[str, Any]], labels: list[bool], *,
                    meta: dict[str, Any], l2: float = 1e-4) -> Calibration:
    """Fit :class:`Calibration` by penalised maximum likelihood (L-BFGS-B, weights >= 0).

    The model is the one the scan evaluates: the logit is an intercept plus, per present cue,
    ``max(0, a_c + w_c ln s_c)``.
    """
    from scipy.optimize import minimize

    cues = sorted({c for g in groups for c in g["strengths"]})
    y = np.asarray(labels, float)
    present, logs = _design(groups, cues)
    k = len(cues)

    def loss(theta: np.ndarray) -> float:
        b, a, w = theta[0], theta[1: k + 1], theta[k + 1:]
        logit = b + (present * np.maximum(0.0, a + w * logs)).sum(axis=1)
        ll = np.logaddexp(0.0, -logit) * y + np.logaddexp(0.0, logit) * (1 - y)
        return float(ll.mean() + l2 * np.sum(theta[1:] ** 2))

    start = np.concatenate([[-2.0], np.full(k, 1.0), np.full(k, 1.0)])
    bounds = [(-20.0, 20.0)] + [(0.0, 20.0)] * (2 * k)
    res = minimize(loss, start, method="L-BFGS-B", bounds=bounds)
    theta = np.round(res.x, 4)
    weights = {c: (float(theta[1 + i]), float(theta[1 + k + i])) for i, c in enumerate(cues)}
    body = {"intercept": float(theta[0]),
            "cues": {c: list(v) for c, v in sorted(weights.items())}}
    version = "splice-cal-" + hashlib.sha256(json.dumps(body, sort_keys=True).encode()
                                            ).hexdigest()[:12]
    counts = {c: int(present[:, i].sum()) for i, c in enumerate(cues)}
    fitted = {**meta, "groups": len(groups), "real_edits": int(y.sum()),
              "groups_per_cue": counts, "log_loss": round(float(res.fun), 5)}
    return Calibration.from_json({"schema": CALIBRATION_SCHEMA, "version": version,
                                  "intercept": body["intercept"],
                                  "cues": {c: {"present": a, "log_strength": w}
                                           for c, (a, w) in weights.items()},
                                  "fitted": fitted})


def reliability(probs: list[float], labels: list[bool]) -> dict[str, Any]:
    """Reliability table (predicted confidence bins vs observed fraction of real edits),
    Brier score and expected calibration error (Guo et al., ICML 2017)."""
    p = np.asarray(probs, float)
    y = np.asarray(labels, float)
    rows = []
    ece = 0.0
    for lo, hi in zip(BINS[:-1], BINS[1:], strict=True):
        sel = (p >= lo) & (p < hi)
        n = int(sel.sum())
        if n:
            ece += n / p.size * abs(float(p[sel].mean()) - float(y[sel].mean()))
        rows.append({"bin": f"{lo:.1f}-{min(hi, 1.0):.1f}", "n": n,
                     "mean_confidence": round(float(p[sel].mean()), 4) if n else None,
                     "observed": round(float(y[sel].mean()), 4) if n else None})
    return {"groups": int(p.size), "real": int(y.sum()),
            "brier": round(float(np.mean((p - y) ** 2)), 5) if p.size else None,
            "ece": round(ece, 5) if p.size else None, "bins": rows}
