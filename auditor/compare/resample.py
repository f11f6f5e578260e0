"""Streaming band-limited resampling by FFT overlap-add, for any pair of integer rates.

The input is cut into frames of 5 s that overlap by 1 s; each is weighted by a window whose
overlapping cosine tapers sum to one, moved to the output rate in the frequency domain
(spectrum cut above 0.45 of the output rate, with a cosine roll-off to its Nyquist frequency)
and added back. Frames are whole seconds, so input and output frame lengths are integers
for every integer rate, and the output has no delay: sample ``k`` is at time ``k / rate_out``.

Written here because what the project has does not stream at any ratio: it is used on blocks
the ledger has already decoded (files go to ffmpeg, which resamples while decoding:
:class:`auditor.media.Decoder`'s ``rate``), ``scipy.signal.resample_poly`` keeps no state from
one block to the next (a recording would have to be held whole), and the ENF cue's decimator
(:mod:`auditor.detect.splice.enf.decimate`) divides the rate by whole numbers only (44.1 kHz is
no whole multiple of 8 kHz).
"""

from __future__ import annotations

import numpy as np
import scipy.fft

__all__ = ["Resampler"]

_HOP_S = 4
_OVERLAP_S = 1


class Resampler:
    """Resample a stream from ``rate_in`` to ``rate_out`` Hz (both integers).

    Feed mono float32 blocks to :meth:`update`, which returns the output samples completed so
    far; :meth:`flush` returns the rest. The output holds ``round(n * rate_out / rate_in)``
    samples for ``n`` input samples.
    """

    def __init__(self, rate_in: int, rate_out: int) -> None:
        if rate_in < 1 or rate_out < 1:
            raise ValueError("rates must be positive")
        self.rate_in, self.rate_out = int(rate_in), int(rate_out)
        self.same = self.rate_in == self.rate_out
        self.n_in = 0
        self.n_out = 0
        hop, ov = _HOP_S * self.rate_in, _OVERLAP_S * self.rate_in
        self._hop, self._ov = hop, ov
        self._frame_in = hop + ov
        self._frame_out = (_HOP_S + _OVERLAP_S) * self.rate_out
        self._hop_out = _HOP_S * self.rate_out
        ramp = np.sin(0.5 * np.pi * (np.arange(ov) + 0.5) / ov) ** 2
        self._win = np.concatenate([ramp, np.ones(hop - ov), ramp[::-1]]).astype(np.float32)
        keep = min(self._frame_in, self._frame_out) // 2 + 1
        freqs = np.arange(keep) / (_HOP_S + _OVERLAP_S)
        nyq = min(self.rate_in, self.rate_out) / 2
        knee = 0.9 * nyq
        gain = np.where(freqs <= knee, 1.0,
                        np.cos(0.5 * np.pi * np.clip((freqs - knee) / (nyq - knee), 0, 1)) ** 2)
        self._gain = (gain * self._frame_out / self._frame_in).astype(np.float32)
        self._keep = keep
        # the first frame starts one overlap before the signal: its leading taper sees zeros
        self._buf = np.zeros(ov, np.float32)
        self._acc = np.zeros(self._frame_out - self._hop_out, np.float32)
        self._emitted_skip = (_OVERLAP_S * self.rate_out)  # output of the lead-in to drop

    def update(self, x: np.ndarray) -> np.ndarray:
        """Add input samples; return the output samples that are now final."""
        x = np.asarray(x, np.float32)
        self.n_in += x.size
        if self.same:
            return x
        self._buf = np.concatenate([self._buf, x])
        out = []
        while self._buf.size >= self._frame_in:
            out.append(self._frame(self._buf[: self._frame_in]))
            self._buf = self._buf[self._hop:]
        return self._take(out)

    def flush(self) -> np.ndarray:
        """The remaining output samples (call once, at the end of the stream)."""
        if self.same:
            return np.zeros(0, np.float32)
        total = round(self.n_in * self.rate_out / self.rate_in)
        before = self.n_out
        pieces = []
        while self.n_out < total:
            if self._buf.size < self._frame_in:
                self._buf = np.concatenate([self._buf, np.zeros(self._frame_in, np.float32)])
            pieces.append(self._take([self._frame(self._buf[: self._frame_in])]))
            self._buf = self._buf[self._hop:]
        y = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
        self.n_out = total
        return y[: total - before]

    def _frame(self, frame: np.ndarray) -> np.ndarray:
        spec = scipy.fft.rfft(frame * self._win)[: self._keep]
        spec *= self._gain
        y = scipy.fft.irfft(spec, self._frame_out).astype(np.float32)
        y[: self._acc.size] += self._acc
        self._acc = y[self._hop_out:].copy()
        return y[: self._hop_out]

    def _take(self, out: list[np.ndarray]) -> np.ndarray:
        y = np.concatenate(out) if out else np.zeros(0, np.float32)
        if self._emitted_skip:
            drop = min(self._emitted_skip, y.size)
            y = y[drop:]
            self._emitted_skip -= drop
        self.n_out += y.size
        return y
