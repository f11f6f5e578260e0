"""The compare fingerprint: serialisation, size, and independence from how audio is cut."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import speechlike

from auditor.compare import FORMAT_VERSION, Fingerprint, fingerprint_signal
from auditor.compare.fingerprint import REFERENCE_STRIDE, Extractor
from auditor.errors import InputError

SR = 16000


@pytest.fixture(scope="module")
def signal() -> np.ndarray:
    return speechlike(np.random.default_rng(7), 180 * SR, SR)


def test_round_trip_bytes_base64_json(signal):
    fp = fingerprint_signal(signal, SR, stride=REFERENCE_STRIDE)
    for back in (Fingerprint.from_bytes(fp.to_bytes()), Fingerprint.from_base64(fp.to_base64()),
                 Fingerprint.from_json(fp.to_json())):
        assert np.array_equal(back.words, fp.words)
        assert np.array_equal(back.loudness, fp.loudness)
        assert (back.stride, back.duration, back.parts) == (fp.stride, fp.duration, fp.parts)
    assert fp.to_json()["method"]["version"] == FORMAT_VERSION


def test_reference_fingerprint_is_at_most_2_kb_per_minute(signal):
    fp = fingerprint_signal(signal, SR, stride=REFERENCE_STRIDE)
    per_minute = len(fp.to_bytes()) / (fp.duration / 60)
    assert 1000 < per_minute <= 2048, per_minute
    assert fp.words.size == pytest.approx(180 / 0.16, abs=3)
    # every 0.2 s: under 2 KB per minute even as base64 text
    sparse = fingerprint_signal(signal, SR, stride=10)
    assert len(sparse.to_base64()) / (sparse.duration / 60) <= 2048


def test_other_version_and_damage_are_refused(signal):
    raw = fingerprint_signal(signal[: 10 * SR], SR, stride=8).to_bytes()
    with pytest.raises(InputError, match="version 9 is not supported"):
        Fingerprint.from_bytes(raw[:4] + bytes([9]) + raw[5:])
    with pytest.raises(InputError, match="damaged fingerprint"):
        Fingerprint.from_bytes(raw[:-7])
    with pytest.raises(InputError, match="not an auditor fingerprint"):
        Fingerprint.from_bytes(b"RIFF....")
    with pytest.raises(InputError, match="not base64"):
        Fingerprint.from_base64("@@@")


def test_blocks_of_any_size_give_the_same_words(signal):
    x = fingerprint_signal(signal[: 60 * SR], SR).words
    from auditor.compare.resample import Resampler

    res, ext = Resampler(SR, 8000), Extractor()
    for i in range(0, 60 * SR, 12345):
        ext.update(res.update(signal[i : min(i + 12345, 60 * SR)]))
    ext.update(res.flush())
    assert np.array_equal(ext.finish().words, x)


def test_gain_does_not_change_the_bits(signal):
    a = fingerprint_signal(signal[: 30 * SR], SR).words
    b = fingerprint_signal(signal[: 30 * SR] * np.float32(0.25), SR).words
    errors = np.bitwise_count(a ^ b).sum() / (32 * a.size)
    assert errors < 0.01


def test_a_20_ms_shift_is_seen(signal):
    """The fine time resolution: a copy 20 ms late matches at offset 1 hop, not 0."""
    a = fingerprint_signal(signal[: 30 * SR], SR).words
    b = fingerprint_signal(signal[int(0.02 * SR) : 30 * SR], SR).words
    n = min(a.size, b.size) - 2
    same = np.bitwise_count(a[1 : n + 1] ^ b[:n]).mean() / 32
    off = np.bitwise_count(a[:n] ^ b[:n]).mean() / 32
    assert same < 0.05 < 0.2 < off
