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

__all__ = ["ORDER", "SideFit", "fit", "join_scores"]

ORDER = 12  # predictor order: a speech formant structure at 16 kHz, and any room noise
_GAUSS_MAD = 0.6745


class SideFit:
    """Autocorrelation-method predictors of many windows at once (Levinson-Durbin).

    ``a`` has shape (n, ORDER + 1) with ``a[:, 0] == 1``: the prediction error of sample ``t``
    is ``sum_k a[k] x[t - k]`` forwards and ``sum_k a[k] x[t + k]`` backwards (for the
    autocorrelation method, the backward predictor has the same coefficients).
    """

    def __init__(self, a: np.ndarray):
        self.a = a


def fit(windows: np.ndarray, order: int = ORDER) -> SideFit:
    """Fit an order-``order`` predictor to each row of ``windows`` (Hann-tapered, with a
    1e-9 white-noise floor so a silent window gives a stable, do-nothing predictor)."""
    n, m = windows.shape
    w = windows.astype(np.float64) * np.hanning(m + 2)[1:-1]
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
    return SideFit(a)


def _errors(x: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Forward prediction errors of rows ``x`` (shape (n, m)) for samples ``p..m-1``."""
    p = a.shape[1] - 1
    out = np.zeros((x.shape[0], x.shape[1] - p))
    for k in range(p + 1):
        out += a[:, k : k + 1] * x[:, p - k : x.shape[1] - k]
    return out


def join_scores(x: np.ndarray, centre: int, span: int,
                order: int = ORDER) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Scores of a join between ``x[:, centre - 1]`` and ``x[:, centre]``, per row.

    ``x`` has shape (n, 2 * centre) or wider; the model before is fitted on the ``span``
    samples ending 3 samples before the join, the model after on the ``span`` samples starting
    3 samples after it (a join's own error must not shape the model that tests it).

    Returns
    -------
    z_before, z_after : np.ndarray, shape (n,)
        Forward error at ``centre`` over the robust scale of the forward errors in the window
        before; backward error at ``centre - 1`` over that of the backward errors after.
    iso_before, iso_after : np.ndarray, shape (n,)
        Those errors over the largest other error of their side's window (a voiced sound
        has an error peak every glottal period: a splice has no peer).
    """
    xf = x.astype(np.float64)
    b0 = centre - 3 - span
    before = fit(xf[:, b0 : centre - 3], order)
    after = fit(xf[:, centre + 3 : centre + 3 + span][:, ::-1], order)
    ef = _errors(xf[:, b0 - order : centre + 1], before.a)  # samples b0 .. centre
    rev = xf[:, centre - 1 : centre + 3 + span + order][:, ::-1]
    eb = _errors(rev, after.a)[:, ::-1]  # samples centre - 1 .. centre + 2 + span
    f_win, f_at = np.abs(ef[:, :span]), np.abs(ef[:, -1])
    b_win, b_at = np.abs(eb[:, 4:]), np.abs(eb[:, 0])
    sf = np.median(f_win, axis=1) / _GAUSS_MAD
    sb = np.median(b_win, axis=1) / _GAUSS_MAD
    return (f_at / np.maximum(sf, 1e-12), b_at / np.maximum(sb, 1e-12),
            f_at / np.maximum(f_win.max(axis=1), 1e-12),
            b_at / np.maximum(b_win.max(axis=1), 1e-12))
