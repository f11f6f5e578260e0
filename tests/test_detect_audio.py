"""Audio detectors find planted defects to tolerance, and nothing in clean signals."""

import numpy as np
import pytest
from conftest import room_noise, speechlike, write

from auditor.detect import ScanParams
from auditor.scan import scan_file

SR = 16000


def kinds(scan, kind):
    return [f for f in scan.findings if f.kind == kind]


def test_clean_speechlike_has_no_findings(tmp_path, rng):
    x = speechlike(rng, 120 * SR, SR)
    scan = scan_file(write(tmp_path / "clean.wav", x, SR))
    assert scan.findings == []
    assert scan.decoded_duration == pytest.approx(120.0)


@pytest.mark.parametrize("start,dur", [(10.0, 0.010), (33.3, 4.2), (59.99, 0.5), (0.0, 0.2)])
def test_digital_silence_located_to_the_sample(tmp_path, rng, start, dur):
    x = speechlike(rng, 90 * SR, SR)
    a, n = int(start * SR), int(round(dur * SR))
    x[a : a + n] = 0.0
    # block_seconds=1 puts block edges inside the longer runs
    scan = scan_file(write(tmp_path / "s.wav", x, SR), ScanParams(block_seconds=1.0))
    [f] = kinds(scan, "digital_silence")
    assert abs(f.start - start) <= 0.010 and abs(f.end - (start + dur)) <= 0.010
    assert f.evidence["value"] == 0.0
    assert f.severity == ("high" if dur >= 1 else "info" if start == 0 else "warning")


def test_constant_nonzero_value_and_channel_named(tmp_path, rng):
    x = np.stack([speechlike(rng, 40 * SR, SR), speechlike(rng, 40 * SR, SR)], axis=1)
    x[20 * SR : 22 * SR, 1] = 0.25  # held value on channel 2 only
    scan = scan_file(write(tmp_path / "st.wav", x, SR))
    [f] = kinds(scan, "digital_silence")
    assert f.evidence["channels"] == [2]
    assert "on channel 2" in f.message and "constant sample value" in f.message
    assert f.start == pytest.approx(20.0, abs=1e-3) and f.end == pytest.approx(22.0, abs=1e-3)


def test_shorter_than_threshold_is_not_digital_silence(tmp_path, rng):
    x = speechlike(rng, 20 * SR, SR)
    x[5 * SR : 5 * SR + int(0.009 * SR)] = 0.0
    scan = scan_file(write(tmp_path / "s.wav", x, SR))
    assert kinds(scan, "digital_silence") == []
    [d] = kinds(scan, "dropout")  # 9 ms of zeros inside signal is a dropout
    assert d.start == pytest.approx(5.0, abs=1e-3)


def test_dropouts_inside_signal_and_bursts_merge(tmp_path, rng):
    x = speechlike(rng, 30 * SR, SR) + room_noise(rng, 30 * SR, -40)
    for t in (3.0, 12.5):
        a = int(t * SR)
        x[a : a + 48] = x[a - 1]  # sample-and-hold for 3 ms
    for t in (20.0, 20.01, 20.02):  # a burst of three lost packets
        a = int(t * SR)
        x[a : a + 32] = 0.0
    scan = scan_file(write(tmp_path / "d.wav", x, SR))
    found = kinds(scan, "dropout")
    assert [round(f.start, 2) for f in found] == [3.0, 12.5, 20.0]
    assert found[2].evidence["runs"] == 3


def test_quiet_runs_are_not_dropouts(tmp_path, rng):
    # 1-LSB noise repeats values often; without loud context these are not dropouts
    x = np.round(rng.normal(0, 0.6, 20 * SR)) / 32768
    scan = scan_file(write(tmp_path / "q.wav", x.astype(np.float32), SR),
                     ScanParams(detectors=("dropout",)))
    assert scan.findings == []


def test_acoustic_silence_located(tmp_path, rng):
    x = speechlike(rng, 150 * SR, SR)
    x[40 * SR : 100 * SR] = room_noise(rng, 60 * SR, -55)
    scan = scan_file(write(tmp_path / "m.wav", x, SR))
    [f] = kinds(scan, "silence")
    # the signal itself may pause up to 2.5 s before 40 s; silence starts at that pause
    assert 37.0 <= f.start <= 40.05 and 99.95 <= f.end <= 102.5
    assert f.severity == "warning"


def test_silence_shorter_than_minimum_is_not_reported(tmp_path, rng):
    x = speechlike(rng, 90 * SR, SR)
    x[40 * SR : 60 * SR] = room_noise(rng, 20 * SR, -55)
    assert kinds(scan_file(write(tmp_path / "m.wav", x, SR)), "silence") == []
    scan = scan_file(tmp_path / "m.wav", ScanParams(silence_min=15.0))
    assert len(kinds(scan, "silence")) == 1


def test_noise_floor_step_found(tmp_path, rng):
    x = speechlike(rng, 80 * SR, SR)
    x[40 * SR :] += room_noise(rng, 40 * SR, -30)  # another room from 40 s on
    [f] = kinds(scan_file(write(tmp_path / "l.wav", x, SR)), "level_jump")
    assert f.start == pytest.approx(40.0, abs=0.1)
    assert f.evidence["floor_step_db"] > 12


def test_dc_step_found(tmp_path, rng):
    x = speechlike(rng, 60 * SR, SR)
    x[25 * SR :] += 0.05
    [f] = kinds(scan_file(write(tmp_path / "dc.wav", x, SR)), "level_jump")
    assert f.start == pytest.approx(25.0, abs=0.1)
    assert f.evidence["dc_step"] == pytest.approx(0.05, abs=0.005)


def test_band_limited_segment_found(tmp_path, rng):
    from scipy.signal import resample_poly

    x = speechlike(rng, 180 * SR, SR) + room_noise(rng, 180 * SR, -45)
    mid = x[60 * SR : 120 * SR]
    x[60 * SR : 120 * SR] = resample_poly(resample_poly(mid, 1, 2), 2, 1)  # an 8 kHz insert
    found = kinds(scan_file(write(tmp_path / "b.wav", x, SR)), "format_change")
    assert [round(f.start / 2) * 2 for f in found] == pytest.approx([60, 120], abs=4)
    assert found[0].evidence["band_edge_after_hz"] < 5000 < found[0].evidence["band_edge_before_hz"]


def test_nan_samples_are_a_finding_not_a_crash(tmp_path, rng):
    x = speechlike(rng, 10 * SR, SR)
    x[3 * SR : 3 * SR + 10] = np.nan
    scan = scan_file(write(tmp_path / "nan.wav", x, SR, subtype="FLOAT"))
    [f] = kinds(scan, "invalid_samples")
    assert f.evidence["invalid_samples"] == 10 and f.start == pytest.approx(3.0)


def test_findings_identical_whatever_the_block_size(tmp_path, rng):
    x = speechlike(rng, 60 * SR, SR)
    x[10 * SR : 11 * SR] = 0.0
    x[30 * SR : 30 * SR + 40] = 0.0
    path = write(tmp_path / "b.wav", x, SR)
    a = scan_file(path, ScanParams(block_seconds=60.0)).findings
    b = scan_file(path, ScanParams(block_seconds=0.5)).findings
    assert [f.to_json() for f in a] == [f.to_json() for f in b] and len(a) == 2


def test_continuous_sound_for_twenty_seconds_is_not_a_room_change(tmp_path, rng):
    x = speechlike(rng, 120 * SR, SR)
    t = np.arange(20 * SR) / SR
    x[50 * SR : 70 * SR] += (0.1 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)  # music
    assert kinds(scan_file(write(tmp_path / "m.wav", x, SR)), "level_jump") == []


def test_noise_floor_fall_located_at_the_first_quiet_window(tmp_path, rng):
    x = speechlike(rng, 90 * SR, SR)
    x[: 45 * SR] += room_noise(rng, 45 * SR, -30)  # the noisy room ends at 45 s
    [f] = kinds(scan_file(write(tmp_path / "f.wav", x, SR)), "level_jump")
    assert 45.0 <= f.start <= 47.5  # the first pause after the change shows the new floor
    assert f.evidence["floor_step_db"] < -12


@pytest.mark.parametrize("stat", ["floor", "dc"])
def test_level_side_statistics_are_the_same_in_chunks(stat, monkeypatch):
    """The side statistics, computed a few rows at a time (memory stays flat for 8 hours),
    equal the all-at-once result exactly, NaN sides (digital silence) included."""
    from auditor.detect import level

    rng = np.random.default_rng(7)
    x = rng.normal(-60, 3, 20_000)
    x[5_000:6_500] = np.nan
    whole = level._side_stats(x, 600, 20, stat)
    monkeypatch.setattr(level, "_CHUNK_VALUES", 600 * 7)
    chunked = level._side_stats(x, 600, 20, stat)
    assert np.array_equal(whole[0], chunked[0])
    assert np.array_equal(whole[1], chunked[1], equal_nan=True)
    assert np.isnan(whole[1]).any() and not np.isnan(whole[1]).all()


def test_blocks_capped_in_bytes_give_the_same_report(tmp_path, rng, monkeypatch):
    import auditor.scan as scan_module

    x = np.stack([speechlike(rng, 40 * SR, SR), speechlike(rng, 40 * SR, SR)], axis=1)
    x[12 * SR : 13 * SR] = 0.0
    path = write(tmp_path / "st.wav", x, SR)
    seen: list[int] = []
    real = scan_module.Decoder

    def spy(info, *, block_frames, **kw):
        seen.append(block_frames)
        return real(info, block_frames=block_frames, **kw)

    monkeypatch.setattr(scan_module, "Decoder", spy)
    a = scan_file(path, ScanParams(block_seconds=60.0))
    monkeypatch.setattr(scan_module, "BLOCK_BYTES", 3 * SR * 2 * 4)  # 3 s of stereo float32
    b = scan_file(path, ScanParams(block_seconds=60.0))
    assert seen[0] >= 40 * SR and seen[1] <= 3 * SR
    assert [f.to_json() for f in a.findings] == [f.to_json() for f in b.findings]
    assert a.checks == b.checks and any(f.kind == "digital_silence" for f in a.findings)
