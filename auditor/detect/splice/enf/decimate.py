"""ENF streaming stage: the mono mix low-passed and decimated block by block, and the
signal it leaves (:class:`Parts`).

Pure numpy; :mod:`auditor.detect.splice.enf` documents the method,
:mod:`auditor.detect.splice.enf.track` reads the result.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ....lanes import single_thread

#: decimated rate is the input rate divided by ``rate // TARGET_RATE`` (so 1.2-2.4 kHz)
TARGET_RATE = 1200
#: highest frequency the decimated signal must keep (7th harmonic of 60 Hz plus margin)
PASS_EDGE = 430.0
#: stop-band attenuation of the decimation filter (dB): speech that aliases onto a line ends
#: 20-40 dB under the hum
STOP_DB = 60.0

# --------------------------------------------------------------------------- decimation


@dataclass(frozen=True)
class Decimation:
    """A polyphase FIR low-pass + decimation by ``factor`` of the mono mix.

    ``taps`` has shape ``(K, factor * channels)``: output ``j`` is
    ``sum_k taps[k] . X[j - k]`` where ``X[j]`` is input frames ``j*factor ..`` flattened.
    ``t0`` is the time (seconds) of output 0, with the filter's delay taken out.
    """

    factor: int
    channels: int
    taps: np.ndarray
    t0: float

    @property
    def rows(self) -> int:
        return self.taps.shape[0]


def kaiser_order(stop_db: float, width: float) -> tuple[int, float]:
    """Length and Kaiser beta of a low-pass FIR with ``stop_db`` of attenuation and a transition
    ``width`` (a fraction of the Nyquist frequency): Kaiser's formulas (Kaiser, "Nonrecursive
    digital filter design using the I0-sinh window function", ISCAS 1974), as
    ``scipy.signal.kaiserord`` gives them -- here in numpy, so a scan need not import
    ``scipy.signal`` (over a second on a busy machine).
    """
    a = abs(stop_db)
    if a > 50:
        beta = 0.1102 * (a - 8.7)
    elif a > 21:
        beta = 0.5842 * (a - 21) ** 0.4 + 0.07886 * (a - 21)
    else:
        beta = 0.0
    numtaps = int(np.ceil((a - 7.95) / 2.285 / (np.pi * width) + 1))
    return numtaps, beta


def kaiser_lowpass(numtaps: int, cutoff: float, beta: float, fs: float) -> np.ndarray:
    """Windowed-sinc low-pass, unit gain at DC (``scipy.signal.firwin(numtaps, cutoff,
    window=("kaiser", beta), fs=fs)``), float64."""
    m = np.arange(numtaps) - (numtaps - 1) / 2
    fc = 2 * cutoff / fs
    h = fc * np.sinc(fc * m) * np.kaiser(numtaps, beta)
    return h / h.sum()


def design_decimation(sample_rate: int, channels: int) -> Decimation:
    """Kaiser-window FIR keeping 0..PASS_EDGE Hz, decimating to ``sample_rate // (rate //
    TARGET_RATE)``; no filter (factor 1) below 2 * TARGET_RATE."""
    factor = max(1, sample_rate // TARGET_RATE)
    if factor == 1:
        taps = np.full((1, channels), 1.0 / channels, np.float32)
        return Decimation(1, channels, taps, 0.0)
    out_rate = sample_rate / factor
    # what aliases onto 0..PASS_EDGE comes from out_rate - PASS_EDGE up
    width = (out_rate - 2 * PASS_EDGE) / (sample_rate / 2)
    numtaps, beta = kaiser_order(STOP_DB, width)
    rows = -(-numtaps // factor)
    n = rows * factor
    h = kaiser_lowpass(n, out_rate / 2, beta, sample_rate)
    # g_k[i] = h[k*factor + factor-1-i]: output j is the filter at input frame j*factor+factor-1
    g = h.reshape(rows, factor)[:, ::-1] / channels
    taps = np.repeat(g, channels, axis=1).astype(np.float32)
    t0 = (factor - 1 - (n - 1) / 2) / sample_rate
    return Decimation(factor, channels, np.ascontiguousarray(taps), t0)


class Decimator:
    """Streaming state of a :class:`Decimation`.

    Each call multiplies the block's whole rows by the taps (no copy of the block: its rows are
    a view) and keeps the last ``rows - 1`` columns of that product, which the next call's
    first outputs need; an incomplete row is carried to the next call.
    """

    def __init__(self, dec: Decimation, *, compact: bool = False):
        self.dec = dec
        #: keep each block's output as 16-bit integers with its own scale (see :class:`Parts`)
        self.compact = compact
        self._scales: list[float] = []
        self._carry = np.zeros((dec.rows, max(dec.rows - 1, 0)), np.float32)
        self._partial = np.zeros(0, np.float32)
        self._buf = np.zeros((dec.rows, 0), np.float32)  # reused: no 4 MB temporary per block
        self.out: list[np.ndarray] = []

    def update(self, block: np.ndarray) -> None:
        flat = np.asarray(block, np.float32).reshape(-1)
        width = self.dec.factor * self.dec.channels
        if self._partial.size:
            need = width - self._partial.size
            if flat.size < need:
                self._partial = np.concatenate([self._partial, flat])
                return
            self._rows(np.concatenate([self._partial, flat[:need]]))
            flat = flat[need:]
        whole = flat.size - flat.size % width
        if whole:
            self._rows(flat[:whole])
        self._partial = flat[whole:].copy()

    def _rows(self, flat: np.ndarray) -> None:
        """Filter the whole rows in ``flat`` (a multiple of the row width)."""
        d = self.dec
        x = flat.reshape(-1, d.factor * d.channels)
        m = x.shape[0]
        if self._buf.shape[1] != m:
            self._buf = np.empty((d.rows, m), np.float32)
        p = self._buf
        with single_thread():
            np.matmul(d.taps, x.T, out=p)  # p[k, j] = taps[k] . x[j]; BLAS streams over x once
        y = p[0].copy()
        k0 = d.rows - 1
        # output j: sum_k p[k, j - k]; the first k outputs reach back into the carried columns
        for k in range(1, d.rows):
            if k < m:
                y[k:] += p[k, : m - k]
            head = min(k, m)
            y[:head] += self._carry[k, k0 - k: k0 - k + head]
        if k0:
            if m >= k0:
                self._carry = p[:, m - k0:].copy()
            else:
                self._carry = np.concatenate([self._carry, p], axis=1)[:, -k0:]
        if self.compact:
            peak = float(np.max(np.abs(y))) if y.size else 0.0
            scale = peak / 32767.0 if peak > 0 else 1.0
            self.out.append(np.round(y / np.float32(scale)).astype(np.int16))
            self._scales.append(scale)
        else:
            self.out.append(y)

    def finish(self) -> np.ndarray:
        """The decimated signal, the filter flushed with zeros so the last input is covered."""
        y = self.finish_parts().span(0, None)
        self.out = [y]
        return y

    def finish_parts(self) -> Parts:
        """:meth:`finish` without joining the blocks' outputs into one array (which would hold
        the signal twice for a moment: 140 MB more for 8 hours at 48 kHz)."""
        d = self.dec
        width = d.factor * d.channels
        tail = self._partial
        pad = (-tail.size) % width
        flush = (d.rows // 2 + 1) * width if d.rows > 1 else 0
        if tail.size or flush:
            self._rows(np.concatenate([tail, np.zeros(pad + flush, np.float32)]))
        self._partial = np.zeros(0, np.float32)
        return Parts(self.out, self._scales if self.compact else None)


class Parts:
    """A signal kept as the consecutive arrays it was produced in; :meth:`span` joins only the
    stretch asked for.

    With ``scales``, part ``i`` holds 16-bit integers standing for ``part * scales[i]``: block
    floating point, each block's peak at full scale. Its rounding error is 101 dB under the
    block's peak in power, spread over the whole band: under speech peaking at -20 dBFS, about
    -150 dBFS in 1 Hz, 80 dB under hum at -70 dBFS. It halves what 8 hours at 48 kHz keep
    (138 MB as float32).
    """

    def __init__(self, parts: list[np.ndarray], scales: list[float] | None = None):
        keep = [i for i, p in enumerate(parts) if p.size]
        self.parts = [parts[i] for i in keep]
        self.scales = None if scales is None else [scales[i] for i in keep]
        self.starts = np.concatenate([[0], np.cumsum([p.size for p in self.parts])]
                                     ).astype(np.int64)

    @property
    def size(self) -> int:
        return int(self.starts[-1])

    def span(self, lo: int, hi: int | None, out: np.ndarray | None = None) -> np.ndarray:
        """Samples ``lo:hi`` (clipped to the signal) as one float32 array: ``out`` when given
        (float32, as long as the clipped span), each part's stretch written into it."""
        hi = self.size if hi is None else min(int(hi), self.size)
        lo = max(0, min(int(lo), hi))
        if out is None:
            out = np.empty(hi - lo, np.float32)
        i = int(np.searchsorted(self.starts, lo, side="right")) - 1
        j = int(np.searchsorted(self.starts, hi, side="left"))
        for k in range(i, j):
            start = int(self.starts[k])
            a, b = max(lo - start, 0), min(hi, int(self.starts[k + 1])) - start
            x, dst = self.parts[k][a:b], out[start + a - lo: start + b - lo]
            if self.scales is None:
                np.copyto(dst, x, casting="same_kind")
            else:
                np.multiply(x, np.float32(self.scales[k]), out=dst)
        return out
