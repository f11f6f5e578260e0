"""Fit the splice confidence at a realistic prior on the calibration split; report on the test
split.

The confidence a ``splice`` finding carries is the probability that it marks a real edit *in an
archive where edits are rare*: ``PRIOR`` edited joins per hour of recording (one per 10 hours).
It is fitted on the stress benchmark's calibration split (``bench_splice_fa.py --split
calibration``: voices, rooms and mains references of its own) by weighted maximum likelihood:
every fused candidate in unedited audio counts once, every candidate at a real join counts
``PRIOR * hours / joins`` times, so that the data hold real edits at the prior's rate (Saerens,
Latinne & Decaestecker, "Adjusting the outputs of a classifier to new a priori probabilities",
Neural Computation 14, 2002). The model is the scan's own (:class:`auditor.detect.splice.
Calibration`: an intercept plus, per cue present, ``max(0, a + w ln strength - d ln(1 + r))``
with ``r`` the candidates per minute its module found in that recording, as the scan records
it in each cue's evidence).

Two thresholds are then chosen on the calibration split alone:

* ``report``: the lowest confidence reported (at ``warning``): the lowest at which the 90 %
  upper confidence bound (Poisson, exact: Garwood 1936) of the false alarms per hour of
  unedited audio stays under the targets, ``FA_POOLED`` pooled and ``FA_WORST`` in every
  stress case. A stress case holds a few hours, so its count of false alarms is small and
  its rate uncertain; the bound keeps the margin that uncertainty needs;
* ``high``: a finding is ``high`` ("probable edit") only when at least two cues agree and its
  confidence reaches ``HIGH`` (a single cue, however strong, is at most a ``warning``).

Every figure printed for the test split comes from audio none of this saw; the
``independent`` split (``fetch_independent.py``) is only ever evaluated: fitting on it is
refused. Usage::

    .venv/bin/python bench/bench_splice_fa.py --split calibration   # scans, kept in bench/out
    .venv/bin/python bench/bench_splice_fa.py --split test
    .venv/bin/python bench/calibrate_splice.py [--write]            # fit, choose, report
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from auditor.detect.splice import (  # noqa: E402
    CALIBRATION_FILE,
    CALIBRATION_SCHEMA,
    Calibration,
)

PRIOR = 0.1  # edited joins per hour of recording
FA_POOLED = 0.5  # false alarms per hour at warning or above, pooled: the target...
FA_WORST = 1.0  # ... and in the worst stress case, each for the 90 % upper bound (CONFIDENCE)
CONFIDENCE = 0.9
HIGH = 0.8
TOL = 0.5
CUES = ("enf/phase_step", "enf/frequency_step", "enf/level_step", "enf/hum_gap", "background",
        "waveform")
FAMILIES = ("enf", "background", "waveform")  # the cue modules (their candidates per minute)
CAL_PATH = HERE.parent / "auditor" / "detect" / "splice" / CALIBRATION_FILE


#: splits nothing is ever fitted or chosen on (``_voices.HELD_OUT``): the independent check
HELD_OUT = ("independent",)


class HeldOutError(ValueError):
    """Fitting was asked of held-out material."""


def refuse_held_out(split: str, data: dict[str, Any]) -> None:
    """Raise :class:`HeldOutError` when ``split``, the results file's own split, or any of its
    hearings (named ``ind-...``) belongs to a held-out split."""
    named = {split, str(data.get("split", split))}
    cases = {str(r.get("case", ""))[:4] for r in data.get("records", [])}
    if named & set(HELD_OUT) or any(c.startswith(tuple(h[:3] + "-" for h in HELD_OUT))
                                    for c in cases):
        raise HeldOutError(f"refusing to fit on held-out material ({', '.join(HELD_OUT)}): it "
                           "is kept for the independent check; fit on the calibration split")


def load(out: Path, split: str, *, fitting: bool = False) -> list[dict[str, Any]]:
    """The scan records of ``bench_splice_fa.py --split SPLIT``; ``fitting``: they are about to
    be fitted or chosen on, which held-out material never is."""
    data = json.loads((out / f"splice-fa-{split}.json").read_text())
    if fitting:
        refuse_held_out(split, data)
    return list(data["records"])


def strengths(f: dict[str, Any]) -> dict[str, float]:
    """A candidate's cue strengths under the calibration table's names (the scan's
    ``calibration_key``: ENF steps by kind)."""
    return {(f"{c}/{v['kind']}" if c == "enf" and v.get("kind") else c): float(v["strength"])
            for c, v in f["cues"].items()}


def rates(f: dict[str, Any]) -> dict[str, float]:
    """Per cue module in a candidate, its candidates per minute in the recording."""
    return {c: float(v.get("candidates_per_minute", 0.0)) for c, v in f["cues"].items()}


Candidate = tuple[dict[str, float], dict[str, float]]  # (strengths, rates)


def groups(recs: list[dict[str, Any]]) -> tuple[list[Candidate], np.ndarray, list[int]]:
    """Every fused candidate's cue strengths and rates, whether it lies at a real join, its
    record."""
    out, labels, owner = [], [], []
    for i, r in enumerate(recs):
        truth = np.asarray(r["truth"], float)
        for f in r["splice"]:
            out.append((strengths(f), rates(f)))
            near = bool(truth.size) and float(np.min(np.abs(truth - f["time"]))) <= TOL
            labels.append(near)
            owner.append(i)
    return out, np.asarray(labels, bool), owner


def design(cands: list[Candidate]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per candidate and cue: present (0/1), ln strength, ln(1 + its module's rate)."""
    present = np.array([[c in g for c in CUES] for g, _ in cands], float).reshape(-1, len(CUES))
    logs = np.array([[np.log(max(g.get(c, 1.0), 1e-9)) for c in CUES] for g, _ in cands],
                    float).reshape(-1, len(CUES))
    busy = np.array([[np.log1p(r.get(c.split("/")[0], 0.0)) for c in CUES] for _, r in cands],
                    float).reshape(-1, len(CUES))
    return present, logs, busy


def fit(cands: list[Candidate], y: np.ndarray, w: np.ndarray) -> dict[str, Any]:
    from scipy.optimize import minimize

    present, logs, busy = design(cands)
    k, nf = len(CUES), len(FAMILIES)
    family = np.array([FAMILIES.index(c.split("/")[0]) for c in CUES])

    def loss(theta: np.ndarray) -> float:
        b, a, s, d = theta[0], theta[1:k + 1], theta[k + 1:2 * k + 1], theta[2 * k + 1:]
        logit = b + (present * np.maximum(0.0, a + s * logs - d[family] * busy)).sum(axis=1)
        ll = np.logaddexp(0.0, -logit) * y + np.logaddexp(0.0, logit) * (1 - y)
        return float(np.sum(w * ll) / np.sum(w) + 1e-4 * np.sum(theta[1:] ** 2))

    start = np.concatenate([[-6.0], np.full(k, 1.0), np.full(k, 1.0), np.zeros(nf)])
    bounds = [(-30.0, 10.0)] + [(0.0, 30.0)] * (2 * k + nf)
    res = minimize(loss, start, method="L-BFGS-B", bounds=bounds)
    theta = np.round(res.x, 4)
    return {"intercept": float(theta[0]),
            "cues": {c: {"present": float(theta[1 + i]), "log_strength": float(theta[1 + k + i])}
                     for i, c in enumerate(CUES)},
            "density": {f: float(theta[1 + 2 * k + i]) for i, f in enumerate(FAMILIES)}}


def probabilities(cal: Calibration, cands: list[Candidate]) -> np.ndarray:
    return np.array([cal.probability(g, r) for g, r in cands])


def evaluate(recs: list[dict[str, Any]], cal: Calibration, report: float,
             high: float) -> dict[str, Any]:
    """False alarms per hour (pooled, per stress case, at high), recall of joins, per split."""
    fa: dict[str, list[float]] = {}
    fa_high = 0
    hours = 0.0
    joins = found = 0
    found_by: dict[str, list[int]] = {}
    for r in recs:
        h = r["seconds"] / 3600
        hours += h
        truth = np.asarray(r["truth"], float)
        row = fa.setdefault(r["kind"], [0.0, 0.0])
        row[1] += h
        hit = np.zeros(truth.size, bool)
        for f in r["splice"]:
            s = strengths(f)
            p = cal.probability(s, rates(f))
            if p < report:
                continue
            d = np.abs(truth - f["time"]) if truth.size else np.zeros(0)
            if d.size and d.min() <= TOL:
                hit |= d <= TOL
                continue
            row[0] += 1
            fa_high += int(p >= high and len(s) >= 2)
        if r["edited"]:
            joins += truth.size
            found += int(hit.sum())
            key = f"{r['kind'].split('-')[0]}/{r['encoding']}"
            cell = found_by.setdefault(key, [0, 0])
            cell[0] += int(hit.sum())
            cell[1] += truth.size
    per_case = {k: round(v[0] / v[1], 3) for k, v in sorted(fa.items()) if v[1]}
    total_fa = sum(v[0] for v in fa.values())
    return {"fa_per_hour": round(total_fa / hours, 3), "fa_per_case": per_case,
            "fa_high_per_hour": round(fa_high / hours, 3), "hours": round(hours, 2),
            "recall": round(found / joins, 3) if joins else None,
            "recall_by": {k: round(a / b, 3) for k, (a, b) in sorted(found_by.items())}}


def clean_only(recs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in recs if not r["edited"]]


def upper(count: float, hours: float) -> float:
    """The CONFIDENCE upper bound of a Poisson rate (per hour) from ``count`` events in
    ``hours`` (exact: Garwood, Biometrika 28, 1936)."""
    from scipy.stats import chi2

    return float(chi2.ppf(CONFIDENCE, 2 * round(count) + 2)) / 2 / max(hours, 1e-12)


def choose_report(recs: list[dict[str, Any]], cal: Calibration) -> float:
    """The lowest threshold whose false alarms (unedited audio) keep their upper bound under
    FA_POOLED pooled and FA_WORST in every stress case."""
    clean = clean_only(recs)
    hours: dict[str, float] = {}
    for r in clean:
        hours[r["kind"]] = hours.get(r["kind"], 0.0) + r["seconds"] / 3600
    grid = sorted({round(float(x), 4) for x in np.geomspace(1e-4, 0.99, 200)})
    for t in grid:
        e = evaluate(clean, cal, t, HIGH)
        if upper(e["fa_per_hour"] * e["hours"], e["hours"]) <= FA_POOLED and all(
                upper(rate * hours[k], hours[k]) <= FA_WORST
                for k, rate in e["fa_per_case"].items()):
            return t
    return 0.99


def ece(recs: list[dict[str, Any]], cal: Calibration, report: float, w_pos: float) -> float:
    """Expected calibration error of the reported findings, real edits weighted to the prior."""
    s, y, _ = groups(recs)
    p = probabilities(cal, s)
    keep = p >= report
    p, y = p[keep], y[keep]
    w = np.where(y, w_pos, 1.0)
    bins = np.linspace(0, 1.0001, 11)
    total = 0.0
    for lo, hi in zip(bins[:-1], bins[1:], strict=True):
        sel = (p >= lo) & (p < hi)
        if sel.any():
            ww = w[sel]
            total += ww.sum() * abs(np.average(p[sel], weights=ww) - np.average(y[sel], weights=ww))
    return round(float(total / w.sum()), 4) if w.size else 0.0


def positive_weight(recs: list[dict[str, Any]]) -> float:
    hours = sum(r["seconds"] for r in recs) / 3600
    joins = sum(len(r["truth"]) for r in recs if r["edited"])
    return PRIOR * hours / max(joins, 1)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    ap.add_argument("--out", type=Path, default=HERE / "out")
    ap.add_argument("--write", action="store_true",
                    help=f"write the fitted table to {CAL_PATH.relative_to(HERE.parent)}")
    args = ap.parse_args(argv)
    try:
        cal_recs = load(args.out, "calibration", fitting=True)
    except HeldOutError as e:
        print(f"error: {args.out / 'splice-fa-calibration.json'}: {e}", file=sys.stderr)
        return 2
    s, y, _ = groups(cal_recs)
    w_pos = positive_weight(cal_recs)
    body = fit(s, y, np.where(y, w_pos, 1.0))
    version = "splice-cal-" + hashlib.sha256(json.dumps(body, sort_keys=True).encode()
                                            ).hexdigest()[:12]
    table = {"schema": CALIBRATION_SCHEMA, "version": version, **body, "fitted": {}}
    cal = Calibration.from_json(table)
    report = choose_report(cal_recs, cal)
    table["thresholds"] = {"report": report, "high": HIGH, "high_min_cues": 2}
    table["prior"] = {"edited_joins_per_hour": PRIOR}
    c_eval = evaluate(cal_recs, cal, report, HIGH)
    table["fitted"] = {"split": "calibration", "candidates": len(s), "at_joins": int(y.sum()),
                       "positive_weight": round(w_pos, 6),
                       "false_alarms_per_hour": c_eval["fa_per_hour"],
                       "recall": c_eval["recall"]}
    cal = Calibration.from_json(table)
    out: dict[str, Any] = {"calibration": {**c_eval, "ece": ece(cal_recs, cal, report, w_pos),
                                           "fa_unedited_per_hour": evaluate(
                                               clean_only(cal_recs), cal, report,
                                               HIGH)["fa_per_hour"]},
                           "table": table}
    test_path = args.out / "splice-fa-test.json"
    if test_path.is_file():
        test = load(args.out, "test")
        t_eval = evaluate(test, cal, report, HIGH)
        out["test"] = {**t_eval, "ece": ece(test, cal, report, positive_weight(test)),
                       "fa_unedited_per_hour": evaluate(clean_only(test), cal, report,
                                                        HIGH)["fa_per_hour"]}
        out["test_curve"] = [{"threshold": t, **{k: v for k, v in
                                                 evaluate(test, cal, t, HIGH).items()
                                                 if k in ("fa_per_hour", "recall")}}
                             for t in sorted({report, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5,
                                              0.8})]
    ind_path = args.out / "splice-fa-independent.json"
    if ind_path.is_file():  # evaluated with the frozen table the scans used, never fitted on
        ind = load(args.out, "independent")
        frozen = json.loads(CAL_PATH.read_text())
        f_cal, f_rep = Calibration.from_json(frozen), float(frozen["thresholds"]["report"])
        out["independent"] = {"table": frozen["version"],
                              **evaluate(ind, f_cal, f_rep, HIGH),
                              "ece": ece(ind, f_cal, f_rep, positive_weight(ind)),
                              "fa_unedited_per_hour": evaluate(clean_only(ind), f_cal, f_rep,
                                                               HIGH)["fa_per_hour"]}
    print(json.dumps(out, indent=1))
    if args.write:
        CAL_PATH.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n")
        print(f"written: {CAL_PATH}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
