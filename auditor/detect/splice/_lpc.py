"""Linear prediction either side of a point: how well each side's own model predicts the join.

A sound that reached a microphone is, over a few milliseconds, well predicted by an
autoregressive model of its own recent past (speech and room noise alike; Makhoul, "Linear
prediction: a tutorial review", Proc. IEEE 63, 1975). A click is a sample that the model of the
signal around it does not predict (Vaseghi & Rayner, "Detection and suppression of impulsive
noise in speech communication systems", IEE Proc. I 137, 1990; Godsill & Rayner, *Digital Audio
Restoration*, Springer 1998, ch. 5). At a butt splice, the model fitted on the audio *before*
the join fails to predict the first sample after it, and the model fitted on the audio *after*
the join, run backwards, fails to predict the last sample before it. A sound that starts in
the room fails only the first test: its first samples are small (nothing that passed an
anti-alias filter starts at full amplitude), so the backward model predicts the quiet before
it. Each side's error is measured against that side's own prediction error (robust scale), so
a join of quiet room noise to loud speech is measured against the noise on one side and
against the speech's own, much smaller, prediction error on the other.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["ORDER", "after_scores", "fit", "join_scores", "reach", "side_scores"]

ORDER = 12  # predictor order: a speech formant structure at 16 kHz, and any room noise
_GAUSS_MAD = 0.6745


def reach(span: int, offsets: tuple[int, ...], order: int = ORDER) -> int:
    """Samples :func:`side_scores` reads before ``centre`` (and :func:`after_scores` after it)."""
    return span + order + 3 + max(abs(o) for o in offsets)


def fit(windows: np.ndarray, order: int = ORDER) -> np.ndarray:
    """Autocorrelation-method predictors of each row of ``windows`` (Levinson-Durbin;
    Hann-tapered, with a 1e-9 white-noise floor so a silent window gives a stable, do-nothing
    predictor), shape (n, order + 1) with ``a[:, 0] == 1``: the prediction error of sample
    ``t`` is ``sum_k a[k] x[t - k]`` forwards and ``sum_k a[k] x[t + k]`` backwards (for the
    autocorrelation method, the backward predictor has the same coefficients)."""
    n, m = windows.shape
    w = np.multiply(windows, np.hanning(m + 2)[1:-1], dtype=np.float64)  # a new C-order array
    r = np.stack([np.einsum("ij,ij->i", w[:, k:], w[:, : m - k]) for k in range(order + 1)],
                 axis=1)
    r[:, 0] = r[:, 0] * (1.0 + 1e-9) + 1e-30
    a = np.zeros((n, order + 1))
    a[:, 0] = 1.0
    err = r[:, 0].copy()
    for i in range(1, order + 1):
        acc = np.einsum("ij,ij->i", a[:, :i], r[:, i:0:-1])
        k = -acc / err
        a[:, 1 : i + 1] = a[:, 1 : i + 1] + k[:, None] * a[:, i - 1 :: -1][:, :i]
        err = err * (1.0 - k * k)
    return a


def _errors(x: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Forward prediction errors of rows ``x`` (shape (n, m)) for samples ``p..m-1``."""
    p = a.shape[1] - 1
    lagged = sliding_window_view(x, p + 1, axis=1)  # lagged[n, i, k] = x[n, i + k]
    return np.matmul(lagged, a[:, ::-1, None])[:, :, 0]


def side_scores(x: np.ndarray, centre: int, span: int, offsets: tuple[int, ...] = (0,),
                order: int = ORDER) -> tuple[np.ndarray, np.ndarray]:
    """How badly the model of the audio before predicts the first sample after a join
    between ``x[:, centre + o - 1]`` and ``x[:, centre + o]``, per row and offset ``o``.

    The model is fitted on the ``span`` samples ending ``3 + max|o|`` samples before
    ``centre`` (a join's own error must not shape the model that tests it); ``x`` needs
    ``centre >= reach(span, offsets, order)``. The test of the side after is this one on the
    rows reversed (:func:`after_scores`): the autocorrelation method's backward predictor is
    the forward one.

    Returns
    -------
    z : np.ndarray, shape (n, len(offsets))
        The error at the join over the robust scale of the errors in the fitted window.
    iso : np.ndarray, shape (n, len(offsets))
        The error at the join over the largest error in that window (a voiced sound has an
        error peak every glottal period: a splice has no peer).
    """
    g = 3 + max(abs(o) for o in offsets)
    xf = np.asarray(x, np.float64)
    b0 = centre - g - span
    a = fit(xf[:, b0 : centre - g], order)
    e = _errors(xf[:, b0 - order : centre + max(offsets) + 1], a)  # b0 .. centre + max(o)
    win = np.abs(e[:, :span])
    at = np.abs(e[:, [span + g + o for o in offsets]])
    # the upper middle value as the median, by sorting (np.median's even-count mean costs five
    # times as much; numpy's vectorised sort is faster than its partition on rows this short)
    scale = np.sort(win, axis=1)[:, span // 2 : span // 2 + 1] / _GAUSS_MAD
    return (at / np.maximum(scale, 1e-12),
            at / np.maximum(win.max(axis=1, keepdims=True), 1e-12))


def after_scores(x: np.ndarray, centre: int, span: int, offsets: tuple[int, ...] = (0,),
                 order: int = ORDER) -> tuple[np.ndarray, np.ndarray]:
    """:func:`side_scores` of the side after the join, run backwards: the backward error at
    ``centre + o - 1`` against the errors of the ``span`` samples after the join. ``x`` needs
    ``reach(span, offsets, order)`` samples from ``centre`` on."""
    return side_scores(x[:, ::-1], x.shape[1] - centre, span, tuple(-o for o in offsets),
                       order)


def join_scores(x: np.ndarray, centre: int, span: int, offsets: tuple[int, ...] = (0,),
                order: int = ORDER) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Both sides' scores of a join between ``x[:, centre + o - 1]`` and ``x[:, centre + o]``:
    ``z_before, z_after, iso_before, iso_after``, each of shape (n, len(offsets)), from
    :func:`side_scores` and :func:`after_scores`."""
    z_b, iso_b = side_scores(x, centre, span, offsets, order)
    z_a, iso_a = after_scores(x, centre, span, offsets, order)
    return z_b, z_a, iso_b, iso_a
