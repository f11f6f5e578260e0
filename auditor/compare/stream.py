"""A reference fingerprint fed block by block from audio another reader already decodes.

The ledger decodes a recording once, at its own rate and channel count, to hash its chunks;
:class:`BlockFingerprinter` takes those same blocks (int16 or float, shape ``(n, channels)``),
downmixes them to mono, resamples them to 8 kHz (:class:`~.resample.Resampler`) and feeds the
Haitsma-Kalker extractor (:class:`~.fingerprint.Extractor`), so the fingerprint costs no second
decode. It agrees with :func:`~.fingerprint.fingerprint_files` (where ffmpeg resamples) well
enough to place a cut in a lossy copy (tests/test_ledger_fingerprint.py).

Cost: about 20 ms of CPU per minute of audio, three quarters of it resampling
(bench/bench_ledger_fingerprint.py). Computing on a worker thread beside the decode was
measured and gained nothing on a loaded two-core machine, so it is done in line.
"""

from __future__ import annotations

import numpy as np

from ._fpformat import Fingerprint
from .fingerprint import RATE, Extractor
from .resample import Resampler

__all__ = ["BlockFingerprinter"]


class BlockFingerprinter:
    """Fingerprint a stream of decoded blocks.

    Parameters
    ----------
    rate
        The blocks' sample rate (Hz), any integer from 4000.
    stride
        Keep every ``stride``-th 20 ms sub-fingerprint (10 for a ledger's reference).
    """

    def __init__(self, rate: int, *, stride: int) -> None:
        self._res = Resampler(int(rate), RATE)
        self._ext = Extractor(stride=stride)

    def update(self, block: np.ndarray) -> None:
        """Add a block, shape ``(n,)`` or ``(n, channels)``: int16 (full scale 32768) or float
        (full scale 1.0)."""
        x = np.asarray(block)
        scale = np.float32(1 / 32768) if x.dtype == np.int16 else np.float32(1)
        if x.ndim == 2:
            mono = (x[:, 0] if x.shape[1] == 1 else x.mean(axis=1, dtype=np.float32))
        else:
            mono = x
        self._ext.update(self._res.update(mono.astype(np.float32) * scale))

    def finish(self) -> Fingerprint:
        """The fingerprint of every block fed (call once)."""
        self._ext.update(self._res.flush())
        return self._ext.finish()
