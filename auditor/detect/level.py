"""Level and DC-offset steps: the noise floor or the DC offset changes from one side to the other.

A recording made in one room through one chain keeps its noise floor and DC offset; an insertion
from another recording, a gain change, or a stop and restart of a different device moves them
(cf. Zhao, Chen, Wang & Malik, "Audio splicing detection and localization using environmental
signature", Multimedia Tools and Applications, 2017). The floor on each side of a boundary is the
5th percentile of the 50 ms window levels over ``level_context`` seconds; the DC offset is the
median window mean. Boundaries are tried every second and refined to one window.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..findings import Finding, format_time
from .base import DetectorInput, ScanParams, channel_label

__all__ = ["level_jump"]

_PCT = 5.0


def _side_stats(x: np.ndarray, ctx: int, step: int, stat: str) -> tuple[np.ndarray, np.ndarray]:
    """Statistic of the ``ctx`` windows before and after each boundary ``j * step``.

    ``ctx`` must be a multiple of ``step``. Returns the boundaries and an array (n, 2) of the
    statistic before and after each.
    """
    if x.shape[0] < 2 * ctx:
        return np.zeros(0, np.int64), np.zeros((0, 2))
    view = sliding_window_view(x, ctx)[::step]  # view[i] covers [i*step, i*step + ctx)
    nans = np.isnan(view).sum(axis=1)
    # an order statistic by partition (linear time); NaN windows sort last, as +inf
    k = int(round(_PCT / 100 * (ctx - 1))) if stat == "floor" else ctx // 2
    vals = np.partition(np.where(np.isnan(view), np.inf, view), k, axis=1)[:, k]
    # a side mostly of digital silence says nothing about the room
    vals[nans > ctx // 2] = np.nan
    lag = ctx // step
    j = np.arange(lag, vals.shape[0])
    return j * step, np.stack([vals[j - lag], vals[j]], axis=1)


def _best_split(x: np.ndarray, around: int, ctx: int, radius: int, stat: str) -> tuple[int, float]:
    best, best_d = around, 0.0
    for b in range(max(ctx, around - radius), min(x.shape[0] - ctx, around + radius) + 1):
        a, c = x[b - ctx : b], x[b : b + ctx]
        if np.isnan(a).sum() > ctx // 2 or np.isnan(c).sum() > ctx // 2:
            continue
        if stat == "floor":
            d = float(np.nanpercentile(c, _PCT) - np.nanpercentile(a, _PCT))
        else:
            d = float(np.nanmedian(c) - np.nanmedian(a))
        if abs(d) > abs(best_d):
            best, best_d = b, d
    return best, best_d


def _steps(
    x: np.ndarray, ctx: int, step: int, threshold: float, stat: str
) -> list[tuple[int, float]]:
    bounds, sides = _side_stats(x, ctx, step, stat)
    if not bounds.size:
        return []
    diff = sides[:, 1] - sides[:, 0]
    cand = np.flatnonzero(np.abs(np.nan_to_num(diff)) >= threshold)
    found: list[tuple[int, float]] = []
    for i in cand[np.argsort(-np.abs(diff[cand]), kind="stable")]:
        b = int(bounds[i])
        if any(abs(b - f) < ctx for f, _ in found):
            continue
        split, d = _best_split(x, b, ctx, step, stat)
        if abs(d) >= threshold:
            found.append((split, d))
    return sorted(found)


def level_jump(inp: DetectorInput, params: ScanParams) -> list[Finding]:
    """Noise-floor steps of ``level_jump_db`` or more, and DC-offset steps of ``dc_jump``."""
    f = inp.features
    wsec = f.window_seconds
    step = max(1, int(round(1.0 / wsec)))
    ctx = step * max(1, int(round(params.level_context)))
    level = f.power_db()
    level = np.where(np.isfinite(level), level, np.nan)
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
                evidence={"floor_step_db": round(d, 2), "context_s": params.level_context,
                          "channel": ch + 1},
            ))  # fmt: skip
        for b, d in _steps(f.mean[:, ch], ctx, step, params.dc_jump, "dc"):
            t = b * wsec
            out.append(Finding(
                kind="level_jump", file=inp.label, start=t, end=t, severity="warning",
                confidence=0.7, detector="level_jump",
                message=f"the DC offset steps by {d:+.4f} of full scale at {format_time(t)}{chan}:"
                " a different device or signal chain from there on",
                evidence={"dc_step": round(d, 5), "context_s": params.level_context,
                          "channel": ch + 1},
            ))  # fmt: skip
    return out
