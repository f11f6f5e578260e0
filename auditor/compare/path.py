"""The cheapest path of offsets through the copy: a Viterbi pass, run only where needed.

Where the copy plainly follows one offset (over a window of ``ANCHOR_STEPS`` steps its mean
bit errors at that offset are low and every other offset's clearly higher), the path is that
offset: no path that leaves it can be cheaper, since leaving costs a switch and every other
state costs more there. The Viterbi recursion runs only over the stretches between such anchors
(a margin of one window on each side), tied to the anchors' offsets at both ends: a clean
copy of two hours costs a few thousand steps instead of 45,000.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import maximum_filter1d

__all__ = ["best_path", "viterbi"]

_FORBID = 1e12
#: the window (steps of the reference grid, 0.16 s each: 4 s) and thresholds of an anchor
ANCHOR_STEPS = 25
ANCHOR_BITS = 6.0
ANCHOR_MARGIN = 3.0


def best_path(cost: np.ndarray, unmatched: float, switch: float, gap: float) -> np.ndarray:
    """The state of every step (see :func:`viterbi`), computed piecewise between anchors."""
    n, k = cost.shape
    w = ANCHOR_STEPS
    if n < 4 * w:
        return viterbi(cost, unmatched, switch, gap)
    csum = np.concatenate([np.zeros((1, k)), np.cumsum(cost, axis=0, dtype=np.float64)])
    mean = (csum[w:] - csum[:-w]) / w                       # window starting at each step
    order = np.sort(mean, axis=1)
    best = np.argmin(mean, axis=1)
    margin = order[:, 1] - order[:, 0] if k > 1 else np.full(mean.shape[0], np.inf)
    # and no 3 steps (0.5 s) inside the window cost more than unmatched: a short mute or
    # replacement in a clean stretch still goes to the Viterbi pass
    c3 = (csum[3:] - csum[:-3]) / 3
    peak = maximum_filter1d(c3, size=w - 2, axis=0, mode="nearest")[(w - 2) // 2:][: n - w + 1]
    clean = ((order[:, 0] <= ANCHOR_BITS) & (margin >= ANCHOR_MARGIN)
             & (peak[np.arange(best.size), best] < unmatched))
    label = np.where(clean, best, -1)                        # per window start
    # a step is anchored when every window that holds it is clean at one and the same offset
    padded = np.concatenate([np.full(w - 1, label[0]), label, np.full(w - 1, label[-1])])
    windows = np.lib.stride_tricks.sliding_window_view(padded, w)
    low, high = windows.min(axis=1), windows.max(axis=1)
    anchor = np.where((low == high) & (low >= 0), low, -1)
    states = anchor.copy()
    free = np.flatnonzero(anchor < 0)
    if free.size == 0:
        return states
    # stretches without an anchor, widened by a window each side and merged where they meet
    breaks = np.flatnonzero(np.diff(free) > 1)
    spans: list[list[int]] = []
    for a, b in zip(np.concatenate([[0], breaks + 1]), np.concatenate([breaks, [free.size - 1]]),
                    strict=True):
        lo, hi = max(0, int(free[a]) - w), min(n, int(free[b]) + w + 1)
        if spans and lo <= spans[-1][1]:
            spans[-1][1] = hi
        else:
            spans.append([lo, hi])
    for lo, hi in spans:
        start = int(anchor[lo]) if lo > 0 else None
        end = int(anchor[hi - 1]) if hi < n else None
        states[lo:hi] = viterbi(cost[lo:hi], unmatched, switch, gap, start, end)
    return states


def viterbi(cost: np.ndarray, unmatched: float, switch: float, gap: float,
            start: int | None = None, end: int | None = None) -> np.ndarray:
    """The cheapest state path over ``cost`` (``(steps, K)``); states ``0..K-1`` are the
    offsets, ``K..2K-1`` unmatched-after-offset. ``start``/``end``: offsets the path must
    begin/end at. Returns the state of every step."""
    n, k = cost.shape
    m = cost[0].astype(np.float64).copy()
    u = np.full(k, unmatched + gap)
    if start is not None:
        m += np.where(np.arange(k) == start, 0.0, _FORBID)
        u += _FORBID
    back_m = np.empty((n, k), np.int32)   # 0 stay, 1 jump from best M, 2 from own U, 3 best U
    back_u = np.empty((n, k), np.int8)    # 0 stay, 1 from own M, 2 from best U (switch)
    jump_m = np.empty(n, np.int32)
    jump_u = np.empty(n, np.int32)
    idx = np.arange(k)
    for t in range(1, n):
        bm, bu = int(np.argmin(m)), int(np.argmin(u))
        opts = np.stack([m, np.full(k, m[bm] + switch), u + gap, np.full(k, u[bu] + gap + switch)])
        choice = np.argmin(opts, axis=0)
        new_m = opts[choice, idx] + cost[t]
        opts_u = np.stack([u, m + gap, np.full(k, u[bu] + switch)])
        choice_u = np.argmin(opts_u, axis=0)
        new_u = opts_u[choice_u, idx] + unmatched
        back_m[t], back_u[t] = choice, choice_u
        jump_m[t], jump_u[t] = bm, bu
        m, u = new_m, new_u
    states = np.empty(n, np.int64)
    state = int(np.argmin(np.concatenate([m, u]))) if end is None else end
    for t in range(n - 1, -1, -1):
        states[t] = state
        if t == 0:
            break
        if state < k:
            c = back_m[t, state]
            state = state if c == 0 else (jump_m[t] if c == 1 else
                                          (state + k if c == 2 else jump_u[t] + k))
        else:
            c = back_u[t, state - k]
            state = state if c == 0 else (state - k if c == 1 else jump_u[t] + k)
    return states


