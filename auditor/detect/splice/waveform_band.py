"""Splice cue, part of the waveform cue: where a span with a lower bandwidth starts and ends.

A segment inserted from a recording with a lower sample rate, or passed through a lossy encoder
with a lower cutoff, has nothing above its own band edge (Grigoras, "Statistical tools for
multimedia forensics", 2010). :func:`auditor.detect.band.band_edges` finds the edge of every
2-second segment and :func:`auditor.detect.band.band_steps` the steps between
``waveform_band_context`` seconds either side; here each step is located to the 100 ms frames of
the background analyser: every frame around the step is classed by the level of the bands
between the two edges relative to the bands below them (close to the median of the frames
before the step, or to that of the frames after it), and the edit lies between the last frame
of the old class and the first of the new one (a least-misclassification split).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..band import band_edges, band_steps
from ..base import DetectorInput, ScanParams
from .background import BackgroundFrames
from .cue import Cue

__all__ = ["band_cues"]

_DEAD_DB = -150.0
_OWN_BAND = 0.9  # a band edge this close to Nyquist (fraction) is the file's own band
_MIN_CONTRAST_DB = 10.0  # class medians closer than this cannot place a frame


def _locate(bg: BackgroundFrames, t: float, seg_s: float, lo_hz: float, hi_hz: float,
            ctx_s: float) -> tuple[float, float] | None:
    """Time and half-width (s) of the step near ``t`` from background frames, or None."""
    edges = bg.band_hz
    # the edge of a 2 s segment of speech can read low: the upper half of the gap is empty
    upper = (edges[:-1] >= (lo_hz + hi_hz) / 2) & (edges[1:] <= hi_hz * 1.01)
    lower = edges[1:] <= lo_hz
    if not upper.any() or not lower.any():
        return None
    # only the frames of the context (a whole 8-hour file's would be 50 MB as float64)
    tc = bg.centres()
    i0, i1 = np.searchsorted(tc, [t - ctx_s, t + ctx_s], side="left")
    i1 = min(tc.size, int(i1) + 1)
    tc = tc[i0:i1]
    db = bg.db[i0:i1].astype(np.float64)
    live = np.all(db > _DEAD_DB, axis=1)
    u = db[:, upper].mean(axis=1) - db[:, lower].mean(axis=1)
    near = 1.5 * seg_s
    before = live & (tc >= t - ctx_s) & (tc < t - near)
    after = live & (tc > t + near) & (tc <= t + ctx_s)
    if before.sum() < 5 or after.sum() < 5:
        return None
    mb, ma = float(np.median(u[before])), float(np.median(u[after]))
    if abs(ma - mb) < _MIN_CONTRAST_DB:
        return None
    # a frame belongs to a side only when the other side's frames (5th-95th percentile)
    # never look like it: speech can be weak in the upper bands on the full-band side too
    sign = 1.0 if ma > mb else -1.0
    old_hi = float(np.percentile(sign * u[before], 95))  # the old side lies below this...
    new_lo = float(np.percentile(sign * u[after], 5))  # ...the new side above this
    idx = np.flatnonzero(live & (tc >= t - near) & (tc <= t + near))
    su = sign * u[idx]
    clear = (su > old_hi) ^ (su < new_lo)
    idx, new = idx[clear], su[clear] > old_hi
    if idx.size < 2 or new.all() or not new.any():
        return None
    # split s puts frames idx[:s] on the old side: count the frames it misclassifies
    wrong = (np.concatenate([[0], np.cumsum(new)])
             + np.concatenate([np.cumsum((~new)[::-1])[::-1], [0]]))
    best = np.flatnonzero(wrong == wrong.min())
    s_lo, s_hi = int(best.min()), int(best.max())
    half = bg.n_fft / 2 / bg.sample_rate
    early = tc[idx[s_lo - 1]] + half if s_lo > 0 else t - near
    late = tc[idx[s_hi]] - half if s_hi < idx.size else t + near
    if late < early:
        early = late = (early + late) / 2
    return (early + late) / 2, (late - early) / 2 + half


def band_cues(inp: DetectorInput, params: ScanParams) -> tuple[list[Cue], dict[str, Any]]:
    """Band-limit change points, and what the check saw (for the cue's status)."""
    f = inp.features
    edges = band_edges(f.spectra)
    seg_s = f.spectrum_hop / f.sample_rate
    ctx = max(2, int(round(params.waveform_band_context / seg_s)))
    nyq = f.sample_rate / 2
    bg = f.extra.get("background")
    out = []
    for b, e0, e1 in band_steps(edges, ctx, params.band_change):
        if max(e0, e1) < _OWN_BAND:  # two stretches both below the file's band: not an edge
            continue
        t = b * seg_s
        where = None
        if isinstance(bg, BackgroundFrames):
            where = _locate(bg, t, seg_s, min(e0, e1) * nyq, max(e0, e1) * nyq, ctx * seg_s)
        time, unc = where if where is not None else (t, seg_s)
        out.append(Cue(
            cue="waveform", time=round(time, 4), strength=abs(e1 - e0) / params.band_change,
            uncertainty=round(unc, 4),
            evidence={"type": "band_limit", "band_edge_before_hz": round(e0 * nyq),
                      "band_edge_after_hz": round(e1 * nyq),
                      "located_by": "frames" if where is not None else "segments"},
        ))  # fmt: skip
    return out, {"band_limit_changes": len(out)}
