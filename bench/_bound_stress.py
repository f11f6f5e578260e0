"""The splice ceiling (``bound_splice.py``) on the edited hearings of ``bench_splice_fa.py``.

The hearings are the ``cut`` and ``insert`` hearings of one split, planned as
``bench_splice_fa.py`` plans its figures (``_stress_cases.plan(split, hours=12.0,
seconds=450.0)``) and built in memory by ``_stress_cases.compose``: the same joins, samples and
true phase steps (each join's ``enf_phase_step``). Every join is bounded as in
``bound_splice.py``'s docstring (the ideal phase test, the ideal frequency test, the room
noise's innovation), on the edited samples themselves (no re-encoding), with these differences:

* every join is kept, also where the hearing has no hum line the cue can use (its phase and
  frequency tests then find nothing, the innovation and the grants below still apply): the
  recall of ``bench_splice_fa`` counts them all;
* a join lies in speech when either of its two samples (the last before it in its own
  recording, the first after it in its own recording) is speech in that recording's speech
  mask, not only where the edit was placed (a cut placed in a pause can end inside speech,
  an insertion's end can be in the inserted recording's speech); such joins are granted;
* the frequency allowance is the grid's own largest change on the split's references of that
  nominal (``_voices.references``, their phase read as ``_voices.reference_phase`` reads it),
  windows meeting a reference glitch (``_voices.glitches``, never used by a hearing) left out;
* a stress room is the AR(1) room noise *plus* its ventilation (``fan``: white hiss 3 dB
  under it; ``hvac``: a rumble below 150 Hz 3 dB under it that breathes slowly): that sum is no
  longer first order, the AR(1) innovation is not the best test at a join, and the one-step
  innovation of the sum is not proved to be either. Pause joins of the same room's noise in a
  room with ventilation are therefore *granted* (counted as found) in the ``any`` column. The
  ``any_vent`` column instead tests them with the one-step innovation of the true noise
  spectrum's best linear predictor (granted that spectrum), at the same ``WAVE_Z``: an
  estimate of the ceiling, not a bound;
* an insertion is from the same room when its room, noise level, colour and ventilation are
  the host's; insertions from another room are granted (to the background cue), as before.
Every edited host of ``_stress_cases`` has hum (so the "no host hum" rows stay empty); the rows
by hum line split the hearings by whether the ENF cue's best line of the edited hearing reaches
``enf_min_snr_db``.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import _stress_cases as sx  # noqa: E402 - bench/ is on sys.path when run as a script
import _voices as vo  # noqa: E402
import bound_splice as bs  # noqa: E402
import numpy as np

from auditor.detect.base import ScanParams

RATE = sx.RATE


@functools.cache
def natural(split: str, nominal: float, before: float, after: float) -> float:
    """The largest change (Hz) of the mean frequency between a window of ``before`` s and the
    adjacent window of ``after`` s, every 50 ms over the split's references of this nominal,
    their ``EDGE`` s ends and their glitches left out (no hearing's hum uses them)."""
    out = 0.0
    for ref in vo.references(split, nominal):
        phase_, sr, _ = vo.reference_phase(ref.rel)
        phase = np.asarray(phase_)
        axis = np.arange(phase.size) / sr
        t = np.arange(sx.EDGE + before, axis[-1] - sx.EDGE - after, 0.05)
        for g0, g1 in vo.glitches(ref.rel):
            t = t[(t + after <= g0) | (t - before >= g1)]
        if t.size == 0:
            continue
        p0, p1, p2 = (np.interp(t + d, axis, phase) for d in (-before, 0.0, after))
        df = (p2 - p1) / (2 * np.pi * after) - (p1 - p0) / (2 * np.pi * before)
        out = max(out, float(np.abs(df).max()))
    return out


def _sides(edits: list[Any], host_mask: np.ndarray, src_masks: list[np.ndarray | None]
           ) -> list[tuple[Any, np.ndarray, int, Any, np.ndarray, int]]:
    """Per join (in order): the recording before it, its mask and the sample (of that
    recording) just before the join; the recording after it, its mask and its first sample."""
    out = []
    for e, sm in zip(edits, src_masks, strict=True):
        if e.source is None:
            out.append(("host", host_mask, e.at - 1, "host", host_mask, e.at + e.removed))
        else:
            out += [("host", host_mask, e.at - 1, e.source, sm, 0),
                    (e.source, sm, e.inserted - 1, "host", host_mask, e.at + e.removed)]
    return out


def _room(s: sx.Scene) -> tuple[str, float, float, str]:
    return s.room, s.noise_db, s.colour, s.vent


@functools.cache
def _predictor(noise_db: float, colour: float, vent: str, taps: int = 2048) -> np.ndarray:
    """The prediction-error filter (first coefficient 1) of the room's noise: AR(1) at
    ``noise_db`` plus its ventilation at ``noise_db`` - 3 dB (its mean spectrum), from the
    minimum-phase factor of the spectrum (cepstrum)."""
    from scipy.signal import butter, sosfreqz

    nfft = 1 << 16
    w = 2 * np.pi * np.arange(nfft) / nfft
    s = 10 ** (noise_db / 10) * (1 - colour**2) / np.abs(1 - colour * np.exp(-1j * w)) ** 2
    if vent != "none":
        shape = np.ones(nfft)
        if vent == "hvac":
            _, h = sosfreqz(butter(2, 150.0, fs=RATE, output="sos"), worN=w)
            shape = np.abs(h) ** 2 / np.mean(np.abs(h) ** 2)
        s = s + 10 ** ((noise_db - 3) / 10) * shape
    c = np.fft.ifft(np.log(s)).real
    fold = np.zeros(nfft)
    fold[0] = c[0] / 2
    fold[1:nfft // 2] = c[1:nfft // 2]
    fold[nfft // 2] = c[nfft // 2] / 2
    h_min = np.exp(np.fft.fft(fold))  # the minimum-phase factor; its impulse starts at h0
    g = np.fft.ifft(1.0 / h_min).real
    return g[:taps] / g[0]


def _innovation_full_z(y: np.ndarray, j: int, host: sx.Scene) -> float:
    """As ``bound_splice._innovation_z``, with the best linear predictor of the room's full
    noise (AR(1) and ventilation) instead of the AR(1) alone."""
    g = _predictor(host.noise_db, host.colour, host.vent)
    a, b = max(g.size, j - RATE // 10), min(y.size, j + RATE // 10)
    e = np.convolve(y[a - g.size + 1:b].astype(np.float64), g, mode="valid")
    mine = e[j - a]
    scale = float(np.median(np.abs(np.delete(e, j - a)))) / 0.6745
    return abs(float(mine)) / max(scale, 1e-12)


def stress_bounds(case: sx.Case, z: float) -> dict[str, Any]:
    """Per true join of one edited stress hearing: its step, the ideal tests' best scores and
    the probabilities of each ceiling (and why a join is granted, where it is)."""
    host, edits, y, joins = sx.compose(case)
    _, host_mask = host.render(int(case.seconds * RATE))  # the samples compose edited
    src_masks = [e.source.render(e.inserted)[1] if e.source is not None else None
                 for e in edits]
    out: dict[str, Any] = {"name": case.name, "kind": case.kind, "room": host.room,
                           "vent": host.vent, "host_hum": host.hum is not None,
                           "hum_level_db": round(host.hum.level_db, 1) if host.hum else None,
                           "snr_db": None, "applicable": False, "joins": []}
    view = bs.enf_view(y)
    applicable = False
    if view is not None:
        line, bb, ctx = view
        applicable = line.snr_db >= ScanParams().enf_min_snr_db
        out["snr_db"], out["applicable"] = round(float(line.snr_db), 1), bool(applicable)
        bounds = bs.join_hops(bb, joins)
    hums = bs._join_hums(host, edits)
    sides = _sides(edits, host_mask, src_masks)
    nat = functools.partial(natural, case.split)
    for i, (j, (left, lm, li, right, rm, ri)) in enumerate(zip(joins, sides, strict=True)):
        step = j["enf_phase_step"]
        best, best_f = 0.0, -math.inf
        if view is not None and step is not None:
            best, best_f = bs.ideal_z(bb, ctx, bounds, i, step, hums[i], line.nominal, nat)
        speech = bool(lm[li] or rm[ri])
        other = right if left == "host" else left
        same = other == "host" or _room(other) == _room(host)
        zw = zv = math.nan
        if speech:
            granted = "speech"
        elif not same:
            granted = "other room"
        else:
            zw = bs._innovation_z(y, int(j["sample"]), host.colour)
            zv = _innovation_full_z(y, int(j["sample"]), host)
            granted = "vent noise" if host.vent != "none" else None
        p_wave = 1.0 if granted else float(zw >= bs.WAVE_Z)
        p_vent = 1.0 if granted in ("speech", "other room") else (
            float(zv >= bs.WAVE_Z) if granted == "vent noise" else p_wave)
        p_phase = bs._phi(best - z) if applicable and step is not None else 0.0
        p_freq = bs._phi(best_f - z) if applicable and math.isfinite(best_f) else 0.0
        miss = (1 - p_phase) * (1 - p_freq)
        out["joins"].append({
            "time": round(j["sample"] / RATE, 3), "side": j["side"], "step": step,
            "placed": edits[j["edit"]].where, "where": "speech" if speech else "pause",
            "same_room": same, "granted": granted, "z_ideal": round(best, 2),
            "z_freq_ideal": round(best_f, 2) if math.isfinite(best_f) else None,
            "z_wave": round(zw, 2) if math.isfinite(zw) else None,
            "z_wave_full": round(zv, 2) if math.isfinite(zv) else None,
            "p_found": round(p_phase, 4), "p_freq": round(p_freq, 4),
            "p_any": round(1 - miss * (1 - p_wave), 4),
            "p_any_vent": round(1 - miss * (1 - p_vent), 4)})
    return out


COLUMNS = (("phase", "p_found"), ("freq", "p_freq"), ("any", "p_any"),
           ("any_vent", "p_any_vent"))


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean ceilings per edit kind: over all joins, by whether the host has hum and by
    whether its hum line is one the ENF cue uses (SNR at or above ``enf_min_snr_db``)."""
    out: dict[str, Any] = {}
    for kind in sx.EDITED:
        groups = {"all": lambda h: True,
                  "host hum": lambda h: h["host_hum"],
                  "no host hum": lambda h: not h["host_hum"],
                  "hum line used": lambda h: h["applicable"],
                  "hum line too weak": lambda h: h["host_hum"] and not h["applicable"]}
        for label, keep in groups.items():
            js = [j for h in rows if h["kind"] == kind and keep(h) for j in h["joins"]]
            row: dict[str, Any] = {"joins": len(js),
                                   "hearings": sum(1 for h in rows
                                                   if h["kind"] == kind and keep(h))}
            for name, key in COLUMNS:
                row[name] = round(sum(j[key] for j in js) / len(js), 4) if js else None
            for why in ("speech", "other room", "vent noise"):
                row[f"granted: {why}"] = sum(1 for j in js if j["granted"] == why)
            out[f"{kind}/{label}"] = row
    return out


def run(split: str, z: float) -> dict[str, Any]:
    """Every edited hearing of the split's figures, bounded (one at a time)."""
    cases = [c for c in sx.plan(split, hours=12.0, seconds=450.0) if c.edited]
    rows = []
    for i, case in enumerate(cases):
        rows.append(stress_bounds(case, z))
        print(f"  {i + 1}/{len(cases)} {case.name}", flush=True)
    return {"split": split, "z": z, "wave_z": bs.WAVE_Z, "build_version": sx.BUILD_VERSION,
            "hours": 12.0, "hearing_seconds": 450.0, "summary": summary(rows),
            "hearings": rows}


def table(res: dict[str, Any]) -> str:
    lines = [f"ceiling on the edited hearings of bench_splice_fa ({res['split']} split, "
             f"build {res['build_version']}): ideal phase test at {res['z']:g} standard errors "
             f"(perfect track), ideal frequency test, innovation at {res['wave_z']:g}",
             "granted (counted as found in 'any'): joins in speech, joins to another room's "
             "noise, same-room pause joins in a room with ventilation noise ('any_vent' tests "
             "these by the full-spectrum innovation instead: an estimate, not a bound)", "",
             f"{'kind / joins of':28s} {'hear.':>5s} {'joins':>5s} {'phase':>6s} {'freq':>6s} "
             f"{'any':>6s} {'any_vent':>8s}  granted: speech / other room / vent"]
    for key, row in res["summary"].items():
        vals = " ".join(f"{row[n]:6.3f}" if row[n] is not None else f"{'-':>6s}"
                        for n, _ in COLUMNS[:3])
        av = f"{row['any_vent']:8.3f}" if row["any_vent"] is not None else f"{'-':>8s}"
        lines.append(f"{key:28s} {row['hearings']:5d} {row['joins']:5d} {vals} {av}  "
                     f"{row['granted: speech']} / {row['granted: other room']} / "
                     f"{row['granted: vent noise']}")
    return "\n".join(lines)
