"""ENF change points: where exactly the tracked line steps, and spans where it vanishes.

Pure numpy on arrays (see :mod:`auditor.detect.splice.enf` for the method). A step found by
the tests of :mod:`.stats` is located as the maximum-likelihood change point of the line's
phasor mean (Hinkley, "Inference about the change-point in a sequence of random variables",
Biometrika 57(1), 1-17, 1970), each hop weighted by its own noise; a span without the line
(:func:`gaps`) is found from the noise blocks of :class:`~.sums.Sums` and its edges located the
same way. Hops and boundaries are those of :mod:`.stats`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .stats import _limits
from .sums import Line, phase_var, scatter

#: location half-width = LOCATE_K * (noise variance per hop) / |step per hop|^2 (hops)
LOCATE_K = 5.0


def _changepoint(line: Line, lo: int, hi: int, mu_l: complex, mu_r: complex
                 ) -> tuple[int, float]:
    """Boundary in [lo, hi] where the complex mean of ``u`` goes from ``mu_l`` to ``mu_r``.

    Maximum likelihood with each hop weighted by its own noise variance (loud speech counts
    little): the log-likelihood of a change at boundary ``lo + j`` is the cumulative sum of
    ``(|u - mu_r|^2 - |u - mu_l|^2) / var`` over hops ``lo .. lo+j-1``. The half-width is
    ``LOCATE_K`` times ``var / |mu_r - mu_l|^2`` at the boundary (hops), the scale of the
    argmax's error for a step in white noise; at least half a hop.
    """
    seg, s = line.tr.u[lo:hi], line.s
    # each hop's own noise: the block's noise near the line, or the hop's scatter about its
    # neighbours (loud speech fills the hop's whole band), whichever is larger
    # (floored: a hop of exact zeros would otherwise swamp the sum's precision)
    floor = 1e-4 * max(abs(mu_r - mu_l) ** 2, 1e-300)
    var = np.maximum(np.maximum(np.diff(s.noise[lo: hi + 1]), scatter(seg)), floor)
    inc = (np.abs(seg - mu_r) ** 2 - np.abs(seg - mu_l) ** 2) / var
    g = np.concatenate([[0.0], np.cumsum(inc)])
    j = int(np.argmax(g))
    # the noise about the step (the step's own scatter at the located hop is not noise)
    v = float(np.median(var)) if var.size else 1.0
    half = LOCATE_K * v / max(abs(mu_r - mu_l) ** 2, 1e-300)
    return lo + j, float(np.clip(half, 0.5, max(0.5, (hi - lo) / 2)))


def locate(line: Line, m0: int, n: int, cuts: np.ndarray | None = None) -> tuple[int, float]:
    """Where near the test peak ``m0`` (window ``n``) the line's phasor steps, and how sure
    (hops): a :func:`_changepoint` over ``m0 +- n/2`` with the means of the ``n`` hops beyond
    either end of that span (never across another edit in ``cuts``).

    A change point found at the span's very edge means the step lies beyond it (a window test
    peaks anywhere in a plateau when one side's line is much louder than the other's): the span
    is then doubled, up to three times.
    """
    size, s = line.tr.u.size, line.s
    h = max(1, n // 2)
    lims = _limits(np.array([m0]), 10 * n, size, cuts)
    lo_lim, hi_lim = int(lims[0][0]), int(lims[1][0])
    found = (m0, n / 2)
    for _ in range(4):
        lo, hi = max(lo_lim + 2, m0 - h), min(hi_lim - 2, m0 + h)
        la, rb = max(lo_lim, lo - n), min(hi_lim, hi + n)
        if lo - la < 2 or rb - hi < 2 or hi <= lo:
            return found
        sl, _ = s.weighted(la, lo)
        sr, _ = s.weighted(hi, rb)
        wl, wr = float(s.weight(la, lo)), float(s.weight(hi, rb))
        if wl <= 0 or wr <= 0:
            return found
        found = _changepoint(line, lo, hi, complex(sl) / wl, complex(sr) / wr)
        if lo + 1 < found[0] < hi - 1:
            break
        h *= 2
    return found


# --------------------------------------------------------------------------- hum gaps


@dataclass
class Gap:
    """A span (hops [start, end)) where the line is confidently absent while present on both
    sides: hum that vanishes and comes back."""

    start: int
    end: int
    z_absent: float  # how many noise sd the span's line amplitude lies under half the usual
    drop_db: float  # line power in the span relative to the usual (dB; -inf: none measured)
    digital: bool  # the span is exact zeros (a mute: the digital_silence detector's)
    dphi: float  # phase of the line after the span relative to before (rad, at the harmonic)
    z_phase: float  # |dphi| over its standard error (track extrapolated across the span)
    before: tuple[int, int]  # hops where the line's end lies (after the last present block)
    after: tuple[int, int]  # hops where the line's return lies


def gaps(line: Line, *, max_rate: float, z: float, window: float = 1.0) -> list[Gap]:
    """Spans where the line is absent: each 0.5 s block's line amplitude ``|S| / B`` against
    half the file's median amplitude ``A``; a block is *present* when ``|S|/B - z sd > A/2``.
    Maximal runs of not-present blocks between present ones are tested as a whole: the span
    is a gap when its amplitude plus ``z`` standard errors is still under ``A / 2``.
    The phase across the gap compares ``window`` seconds of ``u`` either side (the track is
    interpolated across the gap); its standard error adds the extrapolation error of an
    unknown grid wander, ``2 pi k (max_rate / 4) d^2`` for a gap of ``d`` seconds.
    """
    bb, s, harmonic = line.bb, line.s, line.harmonic
    blk = s.block
    bs, bn = s.block_sum, s.block_noise
    if bs.size < 3:
        return []
    amp = np.abs(bs) / blk
    sd = np.sqrt(np.maximum(bn, 0) / 2) / blk
    typical = float(np.sqrt(np.median(np.maximum(np.abs(bs) ** 2 - bn, 0)))) / blk
    if typical <= 0:
        return []
    present = amp - 2 * sd > typical / 2
    absent = amp + 2 * sd < typical / 2
    out: list[Gap] = []
    idx = np.flatnonzero(present)
    n = max(2, int(round(window * bb.r1)))
    size = line.tr.u.size
    count_absent = np.concatenate([[0], np.cumsum(absent)])
    # consecutive present blocks a < b with an absent block between them
    pairs = np.flatnonzero(count_absent[idx[1:]] - count_absent[idx[:-1] + 1] > 0)
    for a, b in zip(idx[pairs], idx[pairs + 1], strict=True):
        inner = np.flatnonzero(absent[a + 1: b]) + a + 1
        lo, hi = int(inner[0]), int(inner[-1]) + 1  # from the first to the last absent block
        ssum = complex(bs[lo:hi].sum())
        snoise = float(bn[lo:hi].sum())
        count = (hi - lo) * blk
        a_run = abs(ssum) / count
        e_run = np.sqrt(max(snoise, 0) / 2) / count
        z_abs = (typical / 2 - a_run) / max(e_run, 1e-12 * typical)
        if z_abs < z:
            continue
        start, end = lo * blk, hi * blk
        # exact zeros decode to an exactly zero baseband (bar the filter's reach at the edges)
        digital = bool(np.mean(bb.b[start:end] == 0) > 0.5)
        # the line either side, beyond where its end and return can lie
        sl, nl = s.window(max(0, (a + 1) * blk - n), (a + 1) * blk)
        sr, nr = s.window(b * blk, min(size, b * blk + n))
        dphi = float(np.angle(sr * np.conj(sl)))
        d = (end - start) / bb.r1
        var = float(phase_var(np.array(sl), np.array(nl)) + phase_var(np.array(sr), np.array(nr)))
        var += (2 * np.pi * harmonic * (max_rate / 4) * d * d) ** 2
        power = max(abs(ssum) ** 2 - snoise, 0.0) / count**2
        drop = 10 * np.log10(power / typical**2) if power > 0 else float("-inf")
        out.append(Gap(start, end, float(z_abs), float(drop), bool(digital), dphi,
                       abs(dphi) / np.sqrt(var), ((a + 1) * blk, lo * blk),
                       (hi * blk, b * blk)))
    return out


def locate_edge(line: Line, lo: int, hi: int, *, falling: bool) -> tuple[int, float]:
    """Where in hops [lo, hi] the line stops (``falling``) or starts again: a
    :func:`_changepoint` between the line's phasor (measured over the block beside the range
    where it is present) and nothing."""
    size, s = line.tr.u.size, line.s
    lo, hi = max(0, lo), min(size, hi)
    ref_a, ref_b = (max(0, lo - s.block), lo) if falling else (hi, min(size, hi + s.block))
    if ref_b - ref_a < 2 or hi <= lo:
        return (lo + hi) // 2, max(0.5, (hi - lo) / 2)
    sm, _ = s.window(ref_a, ref_b)
    mu = complex(sm) / (ref_b - ref_a)
    return _changepoint(line, lo, hi, mu, 0j) if falling else \
        _changepoint(line, lo, hi, 0j, mu)
