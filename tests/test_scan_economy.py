"""The scan's memory and speed rewrites give the results they replace, bit for bit: the joins
that let their blocks go, the in-place level track, the band reference taken a few bins at a
time, and the window sums taken channel by channel (whole reports, the 8 h one included, are
compared by ``bench/check_identical.py``)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from auditor.detect import band
from auditor.detect.features import Features, join_blocks, window_sums


@pytest.mark.parametrize("shape", [(7,), (5, 3), (4, 2, 2)])
def test_join_blocks_is_concatenate_and_empties_the_list(shape):
    rng = np.random.default_rng(3)
    blocks = [rng.standard_normal((n, *shape[1:])).astype(np.float32) for n in (shape[0], 0, 9, 1)]
    want = np.concatenate(blocks)
    got = join_blocks(blocks)
    assert blocks == []
    assert got.dtype == want.dtype and got.shape == want.shape
    assert np.array_equal(got.view(np.uint32), want.view(np.uint32))


def test_join_blocks_takes_strided_views_and_a_dtype():
    rng = np.random.default_rng(4)
    base = [rng.standard_normal((6, 5)).astype(np.float32) for _ in range(3)]
    got = join_blocks([b[:, :-1] for b in base], np.float64)
    assert got.dtype == np.float64 and got.flags.c_contiguous
    assert np.array_equal(got, np.concatenate([b[:, :-1] for b in base]).astype(np.float64))


def test_power_db_in_place_matches_the_plain_formula():
    rng = np.random.default_rng(5)
    mean = rng.standard_normal((1000, 2)) * 0.01
    power = mean * mean + np.abs(rng.standard_normal((1000, 2))) * 1e-4
    power[::9] = mean[::9] ** 2  # constant windows: no variance, -inf
    mean[::13] = 0.0
    power[::13] = 0.0  # digital silence
    f = Features(sample_rate=16000, channels=2, frames=1000 * 800, win=800, power=power,
                 mean=mean, runs=[], spectra=np.zeros((0, 3), np.float32), spectrum_hop=1,
                 n_fft=4, invalid=0, first_invalid=-1)
    var = power - mean * mean
    var = np.where(var > power * 1e-9, var, 0.0)
    with np.errstate(divide="ignore"):
        want = 10.0 * np.log10(var)
    got = f.power_db()
    assert np.isneginf(got[::13]).all() and np.isneginf(got[::9]).all()
    assert np.array_equal(got.view(np.uint64), want.view(np.uint64))


def test_band_reference_by_bins_is_the_whole_median():
    rng = np.random.default_rng(6)
    spectra = (rng.random((3001, 257)) ** 3).astype(np.float32)
    spectra[::5] = 0.0  # segments without signal are left out of the reference
    alive = spectra.sum(axis=1, dtype=np.float64) > 0
    ref = np.median(band._db(spectra[alive]), axis=0)
    edges = band.measure_band_edges(spectra)
    want = np.where(alive, np.concatenate([band._edges(band._db(spectra[i: i + 2048]), ref)
                                           for i in range(0, 3001, 2048)]), np.nan)
    assert np.array_equal(edges, want, equal_nan=True)


def test_window_sums_of_mono_are_einsums_own_bit_for_bit():
    x = np.random.default_rng(9).standard_normal((50, 800, 1)).astype(np.float32)
    total, squares = window_sums(x)
    assert np.array_equal(total.view(np.uint32), np.einsum("wsc->wc", x).view(np.uint32))
    assert np.array_equal(squares.view(np.uint32), np.einsum("wsc,wsc->wc", x, x).view(np.uint32))


@pytest.mark.parametrize("channels", [2, 3])
def test_window_sums_of_each_channel_are_its_mono_sums(channels):
    x = np.random.default_rng(10).standard_normal((40, 2400, channels)).astype(np.float32)
    x[:, :, -1] *= 1e-3
    total, squares = window_sums(x)
    for c in range(channels):
        mono = np.ascontiguousarray(x[:, :, c : c + 1])
        t1, s1 = window_sums(mono)
        assert np.array_equal(total[:, c].view(np.uint32), t1[:, 0].view(np.uint32))
        assert np.array_equal(squares[:, c].view(np.uint32), s1[:, 0].view(np.uint32))
    exact = x.astype(np.float64)
    assert np.allclose(total, exact.sum(axis=1), rtol=0, atol=1e-3)
    assert np.allclose(squares, (exact * exact).sum(axis=1), rtol=1e-5)


def test_band_steps_over_unmeasured_stretches_warn_nothing(monkeypatch):
    edges = np.full(400, 0.4)
    edges[:100] = 0.9  # a wide band, then a narrow one
    edges[100:120] = np.nan  # with nothing measured between, and longer than the context later
    edges[300:340] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("error")

        def shared_state(*args, **kwargs):
            raise AssertionError("warnings filters are one setting for every thread: a "
                                 "detector must not change them while others run")

        monkeypatch.setattr(warnings, "catch_warnings", shared_state)
        steps = band.band_steps(edges, 30, 0.1)
        assert band.band_steps(np.full(100, np.nan), 10, 0.1) == []
    [(b, before, after)] = steps
    assert 95 <= b <= 125 and before == pytest.approx(0.9) and after == pytest.approx(0.4)


@pytest.mark.parametrize("channels", [2, 3])
def test_background_mixes_only_its_frames_and_gets_the_mono_files_levels(channels):
    from auditor.detect.features import mono_mix
    from auditor.detect.splice.background import BackgroundAnalyser

    rate = 48000
    x = np.random.default_rng(12).standard_normal((rate * 3 + 777, channels)).astype(np.float32)
    x[:, 0] *= 0.01
    mono = mono_mix(x)[:, None]
    many = BackgroundAnalyser(rate, channels)
    one = BackgroundAnalyser(rate, 1)
    at = 0
    # blocks shorter than a frame, straddling frames, and long ones
    for size in (100, 5000, 333, 48000, 700, 96000, 1, 30000):
        many.update(x[at: at + size], at)
        one.update(mono[at: at + size], at)
        at += size
    many.update(x[at:], at)
    one.update(mono[at:], at)
    a, b = many.finish(), one.finish()
    assert a.level.size > 20
    assert np.array_equal(a.level.view(np.uint32), b.level.view(np.uint32))
    assert np.array_equal(a.db.view(np.uint32), b.db.view(np.uint32))


@pytest.mark.parametrize("n", [256, 255, 2, 1])
def test_click_row_medians_are_numpys_median(n):
    from auditor.detect.splice.clicks import _row_medians

    rng = np.random.default_rng(8)
    x = np.abs(rng.standard_normal((500, n))).astype(np.float32)
    x[::7] = np.float32(1.0)  # ties
    x[3, :] = 0.0
    x[5, 0] = np.nan  # numpy's median of a row with a NaN is NaN
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        want = np.median(x, axis=1)
    got = _row_medians(x)
    assert got.dtype == want.dtype == np.float32
    assert np.array_equal(np.isnan(got), np.isnan(want)) and np.isnan(got[5])
    ok = ~np.isnan(want)
    assert np.array_equal(got[ok].view(np.uint32), want[ok].view(np.uint32))


def test_click_gather_is_clipped_fancy_indexing():
    from auditor.detect.splice.clicks import _gather

    x = np.random.default_rng(9).standard_normal(1000).astype(np.float32)
    start = np.array([-40, -1, 0, 3, 500, 960, 961, 999, 1200])
    want = x[np.clip(start[:, None] + np.arange(40), 0, x.size - 1)]
    assert np.array_equal(_gather(x, start, 40), want)
    assert np.array_equal(_gather(x, start[2:6], 40), want[2:6])  # all inside
    out = np.zeros((start.size, 80), np.float32)
    _gather(x, start, 40, out=out[:, 40:])
    assert np.array_equal(out[:, 40:], want) and not out[:, :40].any()
    assert _gather(x, np.zeros(0, np.int64), 40).shape == (0, 40)
    short = x[:10]  # shorter than a row: every row reaches past an end
    assert np.array_equal(_gather(short, np.array([-3, 2]), 40),
                          short[np.clip(np.array([[-3], [2]]) + np.arange(40), 0, 9)])
