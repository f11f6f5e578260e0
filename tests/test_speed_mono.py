"""The stereo mix the streaming analysers take is numpy's float32 mean, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from auditor.detect.features import mono_mix


def awkward(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Random samples with signed zeros, subnormals and exact opposites among them."""
    x = rng.standard_normal(shape).astype(np.float32)
    flat = x.reshape(-1, shape[-1])
    flat[::7, 0] = -0.0
    flat[::5, -1] = -0.0
    flat[::11, 0] = 0.0
    flat[::17] = -0.0
    flat[::19, 0] = np.float32(1e-45)
    flat[::23, -1] = np.float32(-1e-45)
    flat[::29, -1] = -flat[::29, 0]
    return x


@pytest.mark.parametrize("shape", [(10_000, 2), (100, 64, 2), (1000, 1), (100, 64, 1), (1000, 3),
                                   (0, 2), (0, 1)])
def test_mono_mix_is_numpys_float32_mean(shape):
    x = awkward(np.random.default_rng(7), shape)
    want = np.mean(x, axis=-1, dtype=np.float32)
    got = mono_mix(x)
    assert got.dtype == np.float32 and got.shape == want.shape
    assert np.array_equal(got.view(np.uint32), want.view(np.uint32))


def test_mono_mix_writes_into_out():
    x = awkward(np.random.default_rng(8), (5000, 2))
    out = np.full(5000, np.nan, np.float32)
    assert mono_mix(x, out=out) is out
    assert np.array_equal(out.view(np.uint32),
                          np.mean(x, axis=1, dtype=np.float32).view(np.uint32))
