"""The single streaming pass: per-window level and DC, constant-value runs, band ceiling frames.

Every audio detector works on what this pass keeps, so a recording is decoded once. Memory is
constant in the recording's length apart from the feature tracks themselves (a few floats per
50 ms window and a spectrum every 2 s: about 33 MB for 8 hours of stereo).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from .runs import Runs, RunTracker

__all__ = ["FeatureParams", "Features", "FeatureExtractor", "StreamAnalyser", "mono_mix",
           "window_frames", "window_sums", "join_blocks"]

_TINY = np.float64(1e-20)


def window_sums(xw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sum and the sum of squares of each window of each channel, float32 (``xw``: float32,
    shape (windows, samples, channels)).

    Each channel is summed as contiguous rows, the way numpy sums a mono file's windows. On
    the interleaved samples of a stereo file, ``einsum`` summed them one strided
    multiply-add at a time, five times slower: a third of the CPU time of an 8 h 48 kHz stereo
    scan. float32 sums of one window (at most 2400 samples) keep 6 significant digits: plenty
    for dB.
    """
    nwin, win, channels = xw.shape
    total = np.empty((nwin, channels), np.float32)
    squares = np.empty((nwin, channels), np.float32)
    buf: np.ndarray | None = None
    for c in range(channels):
        xc = xw[:, :, c]
        if not xc.flags.c_contiguous:
            buf = np.empty((nwin, win), np.float32) if buf is None else buf
            np.copyto(buf, xc)
            xc = buf
        total[:, c] = np.einsum("ws->w", xc)
        squares[:, c] = np.einsum("ws,ws->w", xc, xc)
    return total, squares


def join_blocks(blocks: list[np.ndarray], dtype: Any = None) -> np.ndarray:
    """``np.concatenate(blocks)`` that lets each block go as soon as it is copied, emptying
    the list: the join is allocated before the blocks' memory is freed, and the blocks of a
    stream are many small arrays whose holes it could not reuse, so concatenating first and
    freeing after held both, twice the track, at the scan's peak (8 h stereo: 24 MB more).
    ``blocks`` must not be empty; all are joined along their first axis.
    """
    tail, kind = blocks[0].shape[1:], blocks[0].dtype if dtype is None else dtype
    out = np.empty((sum(b.shape[0] for b in blocks), *tail), kind)
    at = 0
    for i, b in enumerate(blocks):
        out[at: at + b.shape[0]] = b
        at += b.shape[0]
        blocks[i] = None  # type: ignore[call-overload]
        del b
    blocks.clear()
    return out


def blackman_harris(n: int) -> np.ndarray:
    """4-term Blackman-Harris window (Harris, Proc. IEEE 66(1), 1978), symmetric, float32."""
    a = (0.35875, 0.48829, 0.14128, 0.01168)
    k = 2.0 * np.pi * np.arange(n) / max(n - 1, 1)
    w = a[0] - a[1] * np.cos(k) + a[2] * np.cos(2 * k) - a[3] * np.cos(3 * k)
    return w.astype(np.float32)


def mono_mix(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Mean over the last axis (the channels) in float32: bit for bit ``np.mean(x, axis=-1,
    dtype=np.float32)``, which for stereo is ``(x0 + (x1 + 0.0)) / 2`` (numpy's reduction adds
    the second channel to a zero first, which turns -0.0 into 0.0; tests/test_speed_mono.py
    holds it to that). numpy reduces an axis of two values a row at a time: for 48 kHz stereo
    this mix took longer than everything else the background analyser does."""
    if x.shape[-1] == 1:  # the mean of one value is that value, -0.0 made 0.0 as above
        return np.add(x[..., 0], np.float32(0.0), out=out, dtype=np.float32)
    if x.shape[-1] != 2:
        return np.asarray(np.mean(x, axis=-1, dtype=np.float32, out=out))
    out = np.add(x[..., 1], np.float32(0.0), out=out, dtype=np.float32)
    np.add(x[..., 0], out, out=out)
    np.divide(out, np.float32(2.0), out=out)
    return out


def window_frames(sample_rate: int, seconds: float = 0.05) -> int:
    """Analysis window length in samples (at least 2)."""
    return max(2, int(round(sample_rate * seconds)))


class StreamAnalyser(Protocol):
    """A detector's own measurement, taken in the same streaming pass as the features.

    ``update`` sees every decoded block in order (float32, shape ``(n, channels)``, NaN/Inf
    already replaced by 0) with the index of its first frame; ``finish`` returns what the
    detector will read from :attr:`Features.extra` under the analyser's name. Memory kept must
    stay small per hour of audio: keep decimated tracks or candidate points, never the signal.
    """

    def update(self, block: np.ndarray, start: int) -> None: ...

    def finish(self) -> Any: ...


@dataclass(frozen=True)
class FeatureParams:
    """What the streaming pass measures.

    ``run_min`` is the shortest constant run kept (seconds); ``spectrum_every`` is how many
    analysis windows lie between two spectral frames; ``n_fft`` the spectral frame length;
    ``segment_frames`` how many frames are averaged into one kept spectrum (so 8 hours keep
    about 15 MB of spectra).
    """

    window: float = 0.05
    run_min: float = 0.001
    spectrum_every: int = 10
    n_fft: int = 512
    segment_frames: int = 4


@dataclass
class Features:
    """What the detectors see of one recording.

    Attributes
    ----------
    sample_rate, channels, frames
        Of the decoded audio.
    win
        Samples per analysis window.
    power : np.ndarray, shape (n_windows, channels)
        Mean square per window (full scale = 1.0).
    mean : np.ndarray, shape (n_windows, channels)
        Mean (DC) per window.
    runs : list of Runs
        Constant-value runs per channel.
    spectra : np.ndarray, shape (n_segments, n_fft // 2 + 1)
        Mean power spectrum of the mono mix over each segment of ``segment_frames`` frames,
        one frame every ``spectrum_every`` windows.
    spectrum_hop
        Samples between two rows of ``spectra`` (one segment).
    invalid : int
        NaN/Inf samples found (replaced by 0 before analysis).
    first_invalid : int
        Sample index of the first invalid sample, or -1.
    extra : dict
        What each :class:`StreamAnalyser` returned from ``finish``, by name.
    """

    sample_rate: int
    channels: int
    frames: int
    win: int
    power: np.ndarray
    mean: np.ndarray
    runs: list[Runs]
    spectra: np.ndarray
    spectrum_hop: int
    n_fft: int
    invalid: int
    first_invalid: int
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def window_seconds(self) -> float:
        return self.win / self.sample_rate

    def power_db(self) -> np.ndarray:
        """Window level without DC, in dBFS (a full-scale sine is -3 dB).

        ``-inf`` for windows of one constant value (digital silence at any DC level).
        """
        # in place: an 8 h stereo file's windows are 9 MB a copy
        var = self.mean * self.mean
        np.subtract(self.power, var, out=var)
        var[~(var > self.power * 1e-9)] = 0.0
        with np.errstate(divide="ignore"):
            np.log10(var, out=var)
        var *= 10.0
        return var


class FeatureExtractor:
    """Accumulate :class:`Features` from decoded blocks of shape ``(n, channels)``."""

    def __init__(self, sample_rate: int, channels: int, params: FeatureParams | None = None,
                 analysers: Mapping[str, StreamAnalyser] | None = None):
        self.params = params or FeatureParams()
        self.analysers = dict(analysers or {})
        self.sample_rate = sample_rate
        self.channels = channels
        self.win = window_frames(sample_rate, self.params.window)
        self.hop = self.win * self.params.spectrum_every
        self.n_fft = min(self.params.n_fft, self.hop)
        # 92 dB sidelobes: speech harmonics must not leak up to the band edge
        self._taper = blackman_harris(self.n_fft)
        run_len = max(2, int(round(self.params.run_min * sample_rate)))
        self._trackers = [RunTracker(run_len) for _ in range(channels)]
        self._power: list[np.ndarray] = []
        self._mean: list[np.ndarray] = []
        self._spectra: list[np.ndarray] = []
        self._spec_pending = np.zeros((0, self.n_fft // 2 + 1), np.float32)
        self._carry = np.zeros((0, channels), np.float32)
        self.frames = 0
        self.invalid = 0
        self.first_invalid = -1

    @property
    def block_multiple(self) -> int:
        """Decode blocks that are a multiple of this many frames avoid any re-buffering."""
        return self.hop

    def update(self, block: np.ndarray) -> None:
        """Consume the next decoded block (float32, shape ``(n, channels)``)."""
        if not np.isfinite(block).all():
            block = self._sanitise(block)
        for ch, tracker in enumerate(self._trackers):
            tracker.update(block[:, ch])
        for analyser in self.analysers.values():
            analyser.update(block, self.frames)
        self.frames += block.shape[0]
        if self._carry.shape[0]:
            block = np.concatenate([self._carry, block])
        usable = block.shape[0] - block.shape[0] % self.hop
        self._carry = block[usable:].copy()
        if usable:
            self._windows(block[:usable])

    def _sanitise(self, block: np.ndarray) -> np.ndarray:
        bad = ~np.isfinite(block)
        if self.first_invalid < 0:
            self.first_invalid = self.frames + int(np.flatnonzero(bad.any(axis=1))[0])
        self.invalid += int(bad.sum())
        return np.where(bad, np.float32(0.0), block)

    def _windows(self, x: np.ndarray) -> None:
        nwin = x.shape[0] // self.win
        xw = x[: nwin * self.win].reshape(nwin, self.win, self.channels)
        total, squares = window_sums(xw)
        self._mean.append(total.astype(np.float64) / self.win)
        self._power.append(squares.astype(np.float64) / self.win)
        rows = x.reshape(-1, self.hop, self.channels)[:, : self.n_fft, :]
        frames = mono_mix(rows)
        spec = np.fft.rfft(frames * self._taper, axis=1)
        power = np.concatenate([self._spec_pending, (spec.real**2 + spec.imag**2)
                                .astype(np.float32)])
        seg = self.params.segment_frames
        whole = power.shape[0] - power.shape[0] % seg
        self._spectra.append(power[:whole].reshape(-1, seg, power.shape[1]).mean(axis=1))
        self._spec_pending = power[whole:]

    def finish(self) -> Features:
        """Flush the last partial windows and return the features."""
        tail = self._carry
        nwin = tail.shape[0] // self.win
        if nwin:
            xw = tail[: nwin * self.win].reshape(nwin, self.win, self.channels)
            self._mean.append(xw.mean(axis=1, dtype=np.float64))
            self._power.append(np.einsum("wsc,wsc->wc", xw, xw, dtype=np.float64) / self.win)
        nbins = self.n_fft // 2 + 1
        # each track is joined as its blocks are let go (an 8 h stereo file's are 33 MB)
        power = join_blocks(self._power) if self._power else np.zeros((0, self.channels))
        mean = join_blocks(self._mean) if self._mean else np.zeros((0, self.channels))
        spectra = (join_blocks(self._spectra) if self._spectra
                   else np.zeros((0, nbins), np.float32))
        return Features(
            sample_rate=self.sample_rate,
            channels=self.channels,
            frames=self.frames,
            win=self.win,
            power=power,
            mean=mean,
            runs=[t.finish() for t in self._trackers],
            spectra=spectra,
            spectrum_hop=self.hop * self.params.segment_frames,
            n_fft=self.n_fft,
            invalid=self.invalid,
            first_invalid=self.first_invalid,
            extra={name: a.finish() for name, a in self.analysers.items()},
        )
