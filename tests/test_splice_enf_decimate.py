"""ENF streaming stage: the decimation filter across blocks, and the signal it leaves."""

from __future__ import annotations

import numpy as np
import pytest

from auditor.detect.splice.enf import decimate as dec_
from auditor.detect.splice.enf import hum as trk


@pytest.mark.parametrize("sr,ch", [(8000, 1), (16000, 1), (44100, 2), (96000, 1), (1000, 1),
                                   (400, 1), (11025, 3)])
def test_decimation_matches_a_direct_filter_across_blocks(sr, ch, rng):
    x = rng.normal(0, 0.1, (sr * 3 + 17, ch)).astype(np.float32)
    dec = dec_.design_decimation(sr, ch)
    d = dec_.Decimator(dec)
    pos = 0
    for size in (1, 5, sr // 3, sr + 7, 10**9):  # blocks cut anywhere, even mid-row
        d.update(x[pos: pos + size])
        pos += size
    y = d.finish()
    h = (dec.taps[:, ::ch][:, ::-1] * ch).reshape(-1)
    ref = np.convolve(x.mean(axis=1), h)[dec.factor - 1:: dec.factor]
    n = min(ref.size, y.size)
    assert n >= x.shape[0] // dec.factor
    np.testing.assert_allclose(y[:n], ref[:n], atol=1e-6)
    rate = sr / dec.factor
    assert rate >= 2 * dec_.PASS_EDGE or dec.factor == 1
    # what one hour keeps (float32) stays under 25 MB at every rate
    assert rate * 4 * 3600 <= 25e6


def test_parts_give_any_span_as_the_joined_signal_would(rng):
    chunks = [rng.normal(0, 1, k).astype(np.float32) for k in (5, 0, 1, 17, 3, 40)]
    whole = np.concatenate(chunks)
    parts = dec_.Parts(chunks)
    assert parts.size == whole.size
    for lo, hi in [(0, None), (0, 5), (4, 6), (5, 6), (6, 23), (3, 60), (60, 66), (10, 10),
                   (50, 1000), (-3, 2)]:
        np.testing.assert_array_equal(parts.span(lo, hi), whole[max(lo, 0):hi])
    # 16-bit parts with a scale each: within half a step of the block's peak / 32767
    scales = [float(np.abs(c).max()) / 32767 if c.size else 1.0 for c in chunks]
    ints = [np.round(c / s).astype(np.int16) for c, s in zip(chunks, scales, strict=True)]
    step = np.concatenate([np.full(c.size, s) for c, s in zip(chunks, scales, strict=True)])
    packed = dec_.Parts(ints, scales)
    got = packed.span(0, None)
    assert got.dtype == np.float32 and got.size == whole.size
    assert np.all(np.abs(got - whole) <= 0.5001 * step + 1e-12)
    np.testing.assert_array_equal(packed.span(6, 23), got[6:23])
    # hum_lines reads the same segments from parts as from the joined signal
    t = np.arange(120 * 1200) / 1200
    y = (3e-3 * np.cos(2 * np.pi * 50.02 * t) + 1e-3 * np.cos(2 * np.pi * 150.06 * t + 1.0)
         + rng.normal(0, 1e-3, t.size)).astype(np.float32)
    cut = [y[i: i + 1777] for i in range(0, y.size, 1777)]
    assert trk.hum_lines(dec_.Parts(cut), 1200.0) == trk.hum_lines(y, 1200.0)


