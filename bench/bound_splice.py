"""How much of the splice benchmark any ENF phase test could find: a ceiling for the recall.

A join steps the mains hum's phase by a known amount (``_splice_cases.enf_jumps``: the truth,
from the reference's own phase). Whatever method measures that step, it compares the hum's
phase in some stretch before the join with some stretch after it, and the noise near the hum
line in those stretches bounds how well it can. This script measures, at every true join of
the benchmark's hum hearings (the same hearings as ``bench_splice.py``, built in memory), that
noise exactly as the ENF cue does (:func:`auditor.detect.splice.enf.sums.sums`: each 10 ms
hop's noise measured beside the line, hops weighted by the inverse of it), for windows of 0.5,
1, 2, 4 and 8 s each side stopped at the neighbouring joins, and adds only the grid's own
phase wobble that no track follows (measured on clean references: ``GRID_WOBBLE``). It grants
the test a perfect track (no frequency error at all). The best window's ideal score is then

    z_ideal = |step at the analysed harmonic| / sqrt(phase noise of both windows + wobble^2)

and a test at the cue's threshold (6 standard errors) finds the join with probability
``Phi(z_ideal - 6)``. The sum of those over the joins is the recall no phase test at that
false-alarm rate can beat on these hearings; the cue is measured against it.

A cut inside a pause joins room noise to the same room's noise, and so does an insertion
from the same room recorded on another day (half of the benchmark's insertions). The
benchmark's room noise is first-order autoregressive (``x[n] = c x[n-1] + e[n]``, ``c`` the
room's colour), so the best test of a join at one sample is its innovation ``x[j] - c x[j-1]``
(the likelihood ratio of "independent of the past" against the model depends on nothing
else), granted the true ``c`` here. Over an hour of 16 kHz audio a Gaussian innovation passes
``WAVE_Z`` = 5.6 standard deviations about once: a join is counted as seen when its own
innovation passes that. Joins in speech, and joins to another room's noise, are *granted* to
some other test (counted as found), so the combined ceiling, ``1 - (1 - p_phase) (1 -
p_wave)`` per join, is an upper bound for any combination of cues.

A cut also joins the grid's frequency at two moments, and that can step it where the phase
happens not to step. The frequency column grants an ideal frequency test: the true change of
the mean frequency between the window before and the window after the join (from the
reference's own phase), against the largest change the grid itself makes between two adjacent
windows of that length on the clean references of the same nominal (the allowance no test of
a grid's frequency can go under without flagging the grid), in standard errors of the best
slope estimate each side (a line's slope over ``T`` s measured to ``sd_phase sqrt(12) / T``,
``sd_phase`` the window sum's phase noise as above). It finds the join with probability
``Phi((|df| - allowance) / sd - 6)``, and the "any cue" column combines all three.

With ``--stress-split calibration|test`` the same ceilings are measured instead at every join of
the edited hearings (``cut``, ``insert``) of ``bench_splice_fa.py``'s figures on that split
(``_stress_cases.plan(split, hours=12.0, seconds=450.0)``, built in memory by
``_stress_cases.compose``), per edit kind, over all joins, by whether the host has hum and by
whether its hum line is strong enough for the ENF cue; written to
``out/bound-stress-<split>.json``. Those rooms add ventilation noise to the AR(1) noise, so the
innovation above is not the best test there: their same-room pause joins are granted, and a
join counts as in speech from the speech masks of both its sides (``_bound_stress.py`` says
what else differs and what is granted).

Usage::

    python bench/bound_splice.py                # the test set of bench_splice.py (seed 2015, 12 h)
    python bench/bound_splice.py --hours 2      # fewer hearings
    python bench/bound_splice.py --stress-split test   # the joins of bench_splice_fa.py's figures
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import _splice_cases as sc  # noqa: E402 - bench/ is on sys.path when run as a script
import numpy as np
from bench_splice import plan  # noqa: E402

from auditor.detect.base import ScanParams
from auditor.detect.splice import enf
from auditor.detect.splice.enf import hum
from auditor.detect.splice.enf import stats as st
from auditor.detect.splice.enf import track as trk
from auditor.detect.splice.enf.sums import Line, sums

WINDOWS = (0.5, 1.0, 2.0, 4.0, 8.0)
BINS = (0.0, 0.25, 0.5, 1.0, 4.0)
#: standard deviations a Gaussian innovation passes about once an hour at 16 kHz
WAVE_Z = 5.6


def _phi(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def join_bounds(seed: int, case: sc.Case, seconds: float, z: float) -> dict[str, Any]:
    """The hearing's hum SNR and, per true join, its step and the ideal test's best score."""
    host, edits, _, y, joins = sc.compose(seed, case, seconds)
    steps_ = sc.enf_jumps(host, edits)
    out: dict[str, Any] = {"name": case.name, "snr_db": None, "joins": []}
    view = enf_view(y)
    if view is None:
        return out
    line, bb, ctx = view
    out["snr_db"] = round(line.snr_db, 1)
    applicable = line.snr_db >= ScanParams().enf_min_snr_db
    bounds = join_hops(bb, joins)
    # per join: where it lies, and whether the noise on both sides is the same room's
    sides = [(e.where, e.source is None or (e.source.noise_db, e.source.colour)
              == (host.noise_db, host.colour))
             for e in edits for _ in range(1 if e.source is None else 2)]
    hums = _join_hums(host, edits)
    for i, (j, step) in enumerate(zip(joins, steps_, strict=True)):
        if step is None:
            continue
        where, same = sides[i]
        best, best_f = ideal_z(bb, ctx, bounds, i, step, hums[i], line.nominal, _natural)
        # joins in speech, and to another room's noise (the background cue's), are granted
        p_wave, zw = 1.0, math.nan
        if where == "pause" and same:
            zw = _innovation_z(y, int(j["sample"]), host.colour)
            p_wave = float(zw >= WAVE_Z)
        p_phase = _phi(best - z) if applicable else 0.0
        p_freq = _phi(best_f - z) if applicable and math.isfinite(best_f) else 0.0
        out["joins"].append({"time": round(j["sample"] / sc.RATE, 3), "step": step,
                             "where": where, "z_ideal": round(best, 2),
                             "z_freq_ideal": round(best_f, 2) if math.isfinite(best_f) else None,
                             "z_wave": round(zw, 2) if math.isfinite(zw) else None,
                             "p_found": round(p_phase, 4), "p_freq": round(p_freq, 4),
                             "p_any": round(1 - (1 - p_phase) * (1 - p_freq) * (1 - p_wave),
                                            4)})
    return out


def enf_view(y: np.ndarray) -> tuple[hum.HumLine, trk.Baseband, Line] | None:
    """The ENF cue's view of a hearing: its best hum line (None without one), that line's
    baseband, and the cue's context granted a perfect track (no frequency error at all: the
    phase test's standard error is then the noise of both windows and the grid's wobble)."""
    an = enf.EnfAnalyser(sc.RATE, 1)
    block = 30 * sc.RATE
    for a in range(0, y.size, block):
        an.update(y[a:a + block, None].astype(np.float32), a)
    sig = an.finish()
    line = hum.best_line(hum.hum_lines(sig.y, sig.rate))
    if line is None:
        return None
    bb = trk.baseband(sig.y.span(0, None), sig.rate, sig.t0, line.freq)
    tr = dataclasses.replace(trk.track(bb, line.harmonic), freq_sd=np.zeros(bb.b.size))
    return line, bb, Line(bb, tr, sums(bb, tr), line.harmonic)


def join_hops(bb: trk.Baseband, joins: list[dict[str, Any]]) -> np.ndarray:
    """The hop boundary of every join (its ``sample`` in the hearing)."""
    return np.array([int(round((j["sample"] / sc.RATE - bb.t0) * bb.r1)) for j in joins],
                    np.int64)


def ideal_z(bb: trk.Baseband, ctx: Line, bounds: np.ndarray, i: int, step: float,
            side: Side | None, nominal: float, natural: Natural) -> tuple[float, float]:
    """The best score over :data:`WINDOWS` of the ideal phase test and of the ideal frequency
    test (-inf where none applies) at join ``i`` of ``bounds`` whose true phase step is
    ``step``; ``natural`` gives the grid's own largest frequency change (:func:`_natural`)."""
    k = ctx.harmonic
    best, best_f = 0.0, -math.inf
    others = np.delete(bounds, i)
    for w in WINDOWS:
        n = max(2, int(round(w * bb.r1)))
        t = st.scale_test(ctx, n, max_rate=ScanParams().enf_max_rate, m=bounds[i: i + 1],
                          cuts=others)
        if t.m.size == 0 or t.z_one[0] <= 0:  # a side too short, or without the line
            continue
        sd = abs(float(t.dphi[0])) / float(t.z_one[0])
        best = max(best, abs(math.remainder(k * step, 2 * math.pi)) / sd)
        best_f = max(best_f, _frequency_z(bb, t, int(bounds[i]), n, others, k, side, nominal,
                                          natural))
    return best, best_f


Side = tuple[sc.Hum, int, sc.Hum, int]
#: (nominal, before, after) -> the grid's own largest change of the mean frequency (Hz)
Natural = Callable[[float, float, float], float]


def _join_hums(host: sc.Recording, edits: list[sc.Edit]) -> list[Side | None]:
    """Per join (in order): the hum before it and the sample of its own recording where that
    side ends, the hum after it and where that side starts (None where a side has no hum)."""
    h = host.hum
    out: list[Side | None] = []
    for e in edits:
        src = e.source.hum if e.source is not None else None
        if e.source is None:
            out.append((h, e.at, h, e.at + e.removed) if h else None)
        elif h is not None and src is not None:
            out += [(h, e.at, src, 0), (src, e.inserted, h, e.at + e.removed)]
        else:
            out += [None, None]
    return out


def _mean_freq(hum: sc.Hum, a: int, b: int) -> float:
    """The hum's mean fundamental frequency (Hz) over samples [a, b] of its recording."""
    return (hum.phase_at(b) - hum.phase_at(a)) / (2 * math.pi * (b - a) / sc.RATE)


@functools.cache
def _natural(nominal: float, before: float, after: float) -> float:
    """The largest change (Hz) of the mean frequency between a window of ``before`` s and the
    adjacent window of ``after`` s, every 50 ms over the clean references of this nominal (the
    stretch the hearings' hum is taken from)."""
    out = 0.0
    for rel, nom, _ in sc.references():
        if nom != nominal:
            continue
        phase, sr = sc.ref_phase(rel, nom)
        axis = np.arange(phase.size) / sr
        # the hearings' hum starts at least EDGE s into a reference (its ends hold the
        # phase estimate's own transients)
        t = np.arange(sc.EDGE + before, axis[-1] - sc.EDGE - after, 0.05)
        p0, p1, p2 = (np.interp(t + d, axis, phase) for d in (-before, 0.0, after))
        df = (p2 - p1) / (2 * np.pi * after) - (p1 - p0) / (2 * np.pi * before)
        out = max(out, float(np.abs(df).max()))
    return out


def _frequency_z(bb: trk.Baseband, t: st.ScaleTest, m: int, n: int, cuts: np.ndarray, k: int,
                 side: Side | None, nominal: float, natural: Natural) -> float:
    """The ideal frequency test at boundary ``m`` with windows of ``n`` hops each side
    (stopped at ``cuts``), whose phase test ``t`` measured the window sums: the true frequency
    change beyond the grid's own largest, in standard errors of the best line slope each side
    (see the module docstring)."""
    if side is None:
        return -math.inf
    lo, hi = st._limits(np.array([m]), n, bb.b.size, cuts)
    tl, tr_ = (m - int(lo[0])) / bb.r1, (int(hi[0]) - m) / bb.r1
    # a window sum's phase variance is 1 / (2 SNR); the slope of a line over T s whose mean
    # phase is known to sd_phase is known to sd_phase sqrt(12) / T
    sd = math.hypot(*(math.sqrt(12.0 / (2.0 * float(snr[0]))) / (2 * math.pi * k * w)
                      for snr, w in ((t.snr_left, tl), (t.snr_right, tr_))))
    hum_l, end, hum_r, start = side
    df = (_mean_freq(hum_r, start, start + round(tr_ * sc.RATE))
          - _mean_freq(hum_l, end - round(tl * sc.RATE), end))
    return (abs(df) - natural(nominal, round(tl, 2), round(tr_, 2))) / max(sd, 1e-12)


def _innovation_z(y: np.ndarray, j: int, colour: float) -> float:
    """The innovation of the room's AR(1) model at sample ``j`` over its robust scale in the
    0.1 s either side."""
    a, b = max(1, j - sc.RATE // 10), min(y.size, j + sc.RATE // 10)
    e = y[a:b].astype(np.float64) - colour * y[a - 1:b - 1].astype(np.float64)
    mine = e[j - a]
    rest = np.delete(e, j - a)
    scale = float(np.median(np.abs(rest))) / 0.6745
    return abs(float(mine)) / max(scale, 1e-12)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=2015)
    ap.add_argument("--hours", type=float, default=12.0)
    ap.add_argument("--minutes", type=float, default=9.5)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "out")
    ap.add_argument("--stress-split", choices=("calibration", "test"), default=None,
                    help="bound the edited hearings of bench_splice_fa.py's split instead")
    args = ap.parse_args(argv)
    z = ScanParams().enf_z
    if args.stress_split is not None:
        import _bound_stress  # noqa: E402 - bench/ is on sys.path when run as a script

        res = _bound_stress.run(args.stress_split, z)
        args.out.mkdir(parents=True, exist_ok=True)
        dst = args.out / f"bound-stress-{args.stress_split}.json"
        dst.write_text(json.dumps(res, indent=1) + "\n")
        print(_bound_stress.table(res))
        print(f"written: {dst}")
        return 0
    rows = [join_bounds(seed, case, args.minutes * 60, z)
            for seed, case in plan(args.seed, args.hours, args.minutes * 60, False)
            if case.hum and case.op != "clean"]
    args.out.mkdir(parents=True, exist_ok=True)
    dst = args.out / "splice-bound.json"
    dst.write_text(json.dumps({"seed": args.seed, "z": z, "hearings": rows}, indent=1))
    print(f"ceiling of an ideal ENF phase test at {z:g} standard errors (perfect track, the "
          f"grid's own wobble, the noise at each join), seed {args.seed}")
    print(f"{'case':10s} {'joins':>5s} {'ceiling':>8s} {'freq':>6s} {'any cue':>8s}  phase, by "
          "step (rad): "
          + "  ".join(f"{a:g}-{b:g}" for a, b in zip(BINS[:-1], BINS[1:], strict=True)))
    for op in ("cut", "insert", "replace"):
        js = [j for h in rows if h["name"].split("-")[1] == op for j in h["joins"]]
        if not js:
            continue
        ceil = sum(j["p_found"] for j in js) / len(js)
        freq_any = (f"{sum(j['p_freq'] for j in js) / len(js):6.3f} "
                    f"{sum(j['p_any'] for j in js) / len(js):8.3f}")
        parts = []
        for a, b in zip(BINS[:-1], BINS[1:], strict=True):
            sub = [j for j in js if a <= abs(j["step"]) < b]
            parts.append(f"{sum(j['p_found'] for j in sub) / len(sub):.2f} ({len(sub)})"
                         if sub else "-")
        print(f"{op + '/hum':10s} {len(js):5d} {ceil:8.3f} {freq_any}  " + "  ".join(parts))
    print(f"written: {dst}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
