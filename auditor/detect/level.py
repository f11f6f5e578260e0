"""Level and DC-offset steps: the noise floor or the DC offset changes from one side to the other.

A recording made in one room through one chain keeps its noise floor and DC offset; an insertion
from another recording, a gain change, or a stop and restart of a different device moves them
(cf. Zhao, Chen, Wang & Malik, "Audio splicing detection and localization using environmental
signature", Multimedia Tools and Applications, 2017). The floor on each side of a boundary is the
5th percentile of the 50 ms window levels over ``level_context`` seconds (30 s: long enough that
continuous speech or sound cannot pass for the room's floor; a quarter of a short recording, at
least 5 s); the DC offset is the
median window mean. Boundaries are tried every second and refined to one window.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..findings import Finding, format_time
from ._rows import kth_of_rows
from .base import DetectorInput, ScanParams, channel_label

__all__ = ["level_jump"]

_PCT = 5.0
#: values of the side windows copied at once (2 MB of float64, three copies at a time; all at
#: once, 8 hours of 30 s sides would take 140 MB twice over)
_CHUNK_VALUES = 1 << 18


def _side_stats(x: np.ndarray, ctx: int, step: int, stat: str) -> tuple[np.ndarray, np.ndarray]:
    """Statistic of the ``ctx`` windows before and after each boundary ``j * step``.

    ``ctx`` must be a multiple of ``step``. Returns the boundaries and an array (n, 2) of the
    statistic before and after each.
    """
    if x.shape[0] < 2 * ctx:
        return np.zeros(0, np.int64), np.zeros((0, 2))
    view = sliding_window_view(x, ctx)[::step]  # view[i] covers [i*step, i*step + ctx)
    # an order statistic by partition (linear time); NaN windows sort last, as +inf
    k = int(round(_PCT / 100 * (ctx - 1))) if stat == "floor" else ctx // 2
    # (a side mostly of digital silence says nothing about the room: NaN)
    vals = kth_of_rows(view, k, _CHUNK_VALUES)
    lag = ctx // step
    j = np.arange(lag, vals.shape[0])
    return j * step, np.stack([vals[j - lag], vals[j]], axis=1)


def _locate(x: np.ndarray, b: int, ctx: int, before: float, after: float,
            stat: str) -> int:
    """The window where the step happens, searched within ``ctx`` windows of ``b``.

    Windows are classed by the level halfway between the two sides. A raised floor is never
    undercut afterwards, so the step follows the last window below halfway; a lowered floor
    shows at the first window below halfway; a DC step follows the last window on the old side.
    """
    lo, hi = max(0, b - ctx), min(x.shape[0], b + ctx)
    seg = x[lo:hi]
    mid = (before + after) / 2
    if stat == "floor" and after < before:
        hits = np.flatnonzero(seg < mid)
        return lo + int(hits[0]) if hits.size else b
    old_side = seg < mid if after > before else seg > mid
    hits = np.flatnonzero(old_side)
    return lo + int(hits[-1]) + 1 if hits.size else b


def _steps(
    x: np.ndarray, ctx: int, step: int, threshold: float, stat: str
) -> list[tuple[int, float]]:
    bounds, sides = _side_stats(x, ctx, step, stat)
    if not bounds.size:
        return []
    diff = sides[:, 1] - sides[:, 0]
    cand = np.flatnonzero(np.abs(np.nan_to_num(diff)) >= threshold)
    found: list[tuple[int, float]] = []
    taken: list[int] = []
    for i in cand[np.argsort(-np.abs(diff[cand]), kind="stable")]:
        b = int(bounds[i])
        if any(abs(b - t) < ctx for t in taken):
            continue
        taken.append(b)
        found.append((_locate(x, b, ctx, sides[i, 0], sides[i, 1], stat), float(diff[i])))
    return sorted(found)


def level_jump(inp: DetectorInput, params: ScanParams) -> list[Finding]:
    """Noise-floor steps of ``level_jump_db`` or more, and DC-offset steps of ``dc_jump``."""
    f = inp.features
    wsec = f.window_seconds
    step = max(1, int(round(1.0 / wsec)))
    # each side must be long enough that continuous sound cannot hide the floor: up to
    # ``level_context`` seconds, at least 5 s, a quarter of the recording when it is short
    seconds = min(params.level_context, max(5.0, f.frames / f.sample_rate / 4))
    ctx = step * max(1, int(round(seconds)))
    level = f.power_db()
    level[~np.isfinite(level)] = np.nan
    out = []
    for ch in range(f.channels):
        chan = channel_label([ch], f.channels)
        for b, d in _steps(level[:, ch], ctx, step, params.level_jump_db, "floor"):
            t = b * wsec
            out.append(Finding(
                kind="level_jump", file=inp.label, start=t, end=t, severity="warning",
                confidence=0.7, detector="level_jump",
                message=f"the background noise level {'rises' if d > 0 else 'falls'} by "
                f"{abs(d):.1f} dB at {format_time(t)}{chan}: the room or the recording chain "
                "changes there",
                evidence={"floor_step_db": round(d, 2), "context_s": ctx * wsec,
                          "channel": ch + 1},
            ))  # fmt: skip
        for b, d in _steps(f.mean[:, ch], ctx, step, params.dc_jump, "dc"):
            t = b * wsec
            out.append(Finding(
                kind="level_jump", file=inp.label, start=t, end=t, severity="warning",
                confidence=0.7, detector="level_jump",
                message=f"the DC offset steps by {d:+.4f} of full scale at {format_time(t)}{chan}:"
                " a different device or signal chain from there on",
                evidence={"dc_step": round(d, 5), "context_s": ctx * wsec,
                          "channel": ch + 1},
            ))  # fmt: skip
    return out
