"""ENF window sums: the tracked line's phasor summed over any span of hops, with the noise
of each sum, and the analysis context the step tests read (:class:`Line`).

Pure numpy on arrays (see :mod:`auditor.detect.splice.enf` for the method). Hops are the 10 ms
steps of :class:`~auditor.detect.splice.enf.track.Baseband`. The weighted sums are the
minimum-variance estimate of a constant phasor in noise of known, changing variance (Kay,
"Fundamentals of Statistical Signal Processing: Estimation Theory", 1993, 6.5).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .decimate import single_thread
from .track import Baseband, Track, box_diff, box_sum, csum

#: offsets (Hz) from the harmonic where the noise of a window sum is measured: nulls of every
#: rectangular test window (multiples of 0.5 s) fall on the harmonic itself
NOISE_OFFSETS = (-12.0, -10.0, -8.0, -6.0, -4.0, -2.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0)
#: seconds per block over which the noise near the line is measured
NOISE_BLOCK = 0.5
#: hops each side of a hop over which its local power is averaged for its weight in the window
#: sums (0.25 s: a door's thump near the line lasts about that; fewer hops would make the
#: weights depend on the hop's own noise, and the reported noise of a sum fall short of its
#: true noise: by 2.5 times with 2 hops, 9 % with 12, in tests/test_splice_enf_stats.py)
POWER_HALF = 12


@dataclass(frozen=True)
class Sums:
    """What every window length reads: the cumulative sum of ``u`` and the cumulative noise
    variance per hop near the line.

    The noise is measured in blocks of ``NOISE_BLOCK`` seconds: each block's DFT at the
    ``NOISE_OFFSETS`` (nulls of the block's rectangular window, so the line does not leak;
    what little does, the block mean times the window response, is taken out) gives 24
    degrees of freedom of the noise power near the line, which varies with speech from block
    to block; a window's noise is the sum over its hops.

    The step tests read *weighted* sums (:meth:`weighted`): each hop weighted by the inverse of
    its noise variance (its block's, or its own local power over ``POWER_HALF`` hops each side
    when larger), the minimum-variance estimate of a constant phasor in noise of known,
    changing variance (Kay, "Fundamentals of Statistical Signal Processing: Estimation
    Theory", 1993, 6.5). A window half in loud speech and half in a pause then reads about as
    well as the pause alone, where a plain sum drowns in the speech.

    The plain sums (``u``, ``noise``: only the gap and edge tests read them) and the sum of the
    weights (``w``: the level test) are taken when first read; a second harmonic's line, whose
    phase test alone joins the first's, never reads them.
    """

    hops: np.ndarray  # u per hop
    hop_noise: np.ndarray  # noise variance per hop (its block's)
    block: int  # hops per noise block
    block_sum: np.ndarray  # sum of u over each block
    block_noise: np.ndarray  # noise variance of that sum
    sd2: np.ndarray  # cumulative squared standard error of the track (Hz^2), size + 1
    uw: np.ndarray  # cumulative sum of w u, size + 1
    weights: np.ndarray  # the weight w of each hop
    w2v: np.ndarray  # cumulative sum of w^2 var (the noise variance of the sum of w u)

    @cached_property
    def u(self) -> np.ndarray:
        """Cumulative sum of u, size + 1."""
        return csum(self.hops)

    @cached_property
    def noise(self) -> np.ndarray:
        """Cumulative noise variance, size + 1."""
        return csum(self.hop_noise)

    @cached_property
    def w(self) -> np.ndarray:
        """Cumulative sum of the weights w, size + 1."""
        return csum(self.weights)

    def window(self, a: np.ndarray | int, b: np.ndarray | int
               ) -> tuple[np.ndarray, np.ndarray]:
        """Sum of u over hops [a, b) and the variance of its noise."""
        return self.u[b] - self.u[a], self.noise[b] - self.noise[a]

    def weighted(self, a: np.ndarray | int, b: np.ndarray | int
                 ) -> tuple[np.ndarray, np.ndarray]:
        """Sum of ``w u`` over hops [a, b) and the variance of its noise, ``sum w^2 var``
        (the line's amplitude per hop is that sum over :meth:`weight`)."""
        return self.uw[b] - self.uw[a], self.w2v[b] - self.w2v[a]

    def weight(self, a: np.ndarray | int, b: np.ndarray | int) -> np.ndarray:
        """Sum of the weights over hops [a, b)."""
        return self.w[b] - self.w[a]


def sums(bb: Baseband, tr: Track) -> Sums:
    u = tr.u
    size = u.size
    blk = max(2, int(round(NOISE_BLOCK * bb.r1)))
    nblk = max(1, size // blk)
    used = min(size, nblk * blk)
    i = np.arange(blk)
    offs = np.asarray(NOISE_OFFSETS)
    e = np.exp(-2j * np.pi * np.outer(i, offs) / bb.r1)  # (blk, offsets)
    if used >= blk:
        x = u[:used].reshape(nblk, blk)
        mu = x.mean(axis=1)
        # (offsets, blk) @ (blk, nblk): BLAS streams over u once
        with single_thread():
            dft = (e.T @ x.T).T - mu[:, None] * e.sum(axis=0)[None, :]
        per_hop = np.mean(np.abs(dft) ** 2, axis=1) / blk
        bsum = mu * blk
    else:
        per_hop = np.full(1, float(np.mean(np.abs(u - u.mean()) ** 2)) if size else 0.0)
        bsum = np.full(1, u.sum())
    var = np.repeat(per_hop, blk)[:size]
    if var.size < size:
        var = np.concatenate([var, np.full(size - var.size, per_hop[-1])])
    # weights in units of the typical variance; a block of exact zeros (a mute) holds no
    # evidence and weighs nothing. A hop's noise is its block's, or its own scatter about its
    # neighbours when larger (a partial gliding through the line within a block); its weight
    # also falls with its local power (a transient near the line, loud for a few hops of a
    # block whose mean it barely moves, is not a phasor to trust). Both are box sums
    # (:func:`scatter`, :func:`~.track.local_power`), their cumulative sums taken as one
    typical = float(np.median(per_hop[per_hop > 0])) if np.any(per_hop > 0) else 1.0
    c_local, c_power = csum_pair(_deviation(u), u.real**2 + u.imag**2)
    hop_var = np.maximum(var, box_diff(c_local, 2) / 5)
    power = box_diff(c_power, POWER_HALF) / (2 * POWER_HALF + 1)
    w = np.where(hop_var > 1e-12 * typical,
                 typical / np.maximum(np.maximum(hop_var, power), 1e-300), 0.0)
    sd2, w2v = csum_pair(tr.freq_sd**2, w * w * hop_var)
    return Sums(u, var, blk, bsum, per_hop * blk, sd2, csum(u * w), w, w2v)


@dataclass(frozen=True)
class Line:
    """The analysis context of one mains line, as the step tests and the locators read it: its
    baseband ``bb``, its frequency track ``tr``, the window sums ``s`` of the track's phasor
    ``u`` and its ``harmonic`` number. ``other`` is another harmonic of the same hum, its phase
    removed with this line's track scaled to it (:func:`~.track.follow`), whose phase test
    joins this one's (:func:`~.stats.joint_z`); None when no other harmonic is strong enough.
    """

    bb: Baseband
    tr: Track
    s: Sums
    harmonic: int
    other: Line | None = None


def csum_pair(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``csum(a)`` and ``csum(b)`` of two real arrays of one size, as the real and imaginary
    parts of one complex cumulative sum: each part adds on its own and in the same order, so
    the values are the same, and the pass over the data is one instead of two."""
    out = np.empty(a.size + 1, np.complex128)
    out[0] = 0
    out.real[1:] = a
    out.imag[1:] = b
    np.cumsum(out[1:], out=out[1:])
    return out.real, out.imag


def scatter(u: np.ndarray) -> np.ndarray:
    """Each hop's squared distance from the mean of the 5 hops about it, averaged over 5 hops:
    the local variance of ``u``, which a steady line does not raise."""
    return box_sum(_deviation(u), 2) / 5


def _deviation(u: np.ndarray) -> np.ndarray:
    """Each hop's squared distance from the mean of the 5 hops about it. The mean is the sum
    times 0.2: numpy divides a complex array by a real 5 as ``(re + im * 0) * (1 / 5)`` (Smith's
    method), so the two differ at most in the sign of a zero, which ``|.|`` drops; the
    product takes an eighth of the time."""
    return np.abs(u - box_sum(u, 2) * 0.2) ** 2


def phase_var(s: np.ndarray, var: np.ndarray) -> np.ndarray:
    """Variance of arg(s) for a phasor sum with noise variance ``var``: var / (2 |A|^2) with
    |A|^2 = |s|^2 - var the line's power, capped at pi^2/3 (a uniform phase)."""
    sig = np.abs(s) ** 2 - var
    out = var / (2 * np.maximum(sig, 1e-300))
    return np.where(sig > 0, np.minimum(out, np.pi**2 / 3), np.pi**2 / 3)
