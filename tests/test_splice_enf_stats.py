"""ENF step statistics on a baseband whose truth is set exactly: the weighted window sums."""

from __future__ import annotations

import math

import numpy as np
import pytest

from auditor.detect.splice.enf.stats import joint_z, scale_test
from auditor.detect.splice.enf.sums import Line, sums
from auditor.detect.splice.enf.track import Baseband, Track, quiet_weights, track

R1 = 100  # hops per second


def _line(u: np.ndarray) -> tuple[Baseband, Track]:
    """A baseband that *is* the phasor ``u`` (one sample per hop, the track at zero)."""
    bb = Baseband(u, float(R1), 1, 0.0, 0.0)
    z = np.zeros(u.size)
    return bb, Track(z, z.copy(), u, z.copy())


def _noise(rng: np.random.Generator, var: np.ndarray) -> np.ndarray:
    return (rng.normal(size=var.size) + 1j * rng.normal(size=var.size)) * np.sqrt(var / 2)


def _loud_half(n: int = 2000) -> np.ndarray:
    """Per-hop noise variance: quiet, except hops 200-400 (speech 37 dB over the quiet)."""
    var = np.full(n, 0.5)
    var[200:400] = 2500.0
    return var


def test_weighted_sums_read_the_quiet_hops_and_report_their_own_noise(rng):
    """A window half in loud speech: the weighted sum's phase is as good as the quiet half
    alone (sd ~0.035 rad), where the plain sum's is no better than a guess; and the noise
    variance it reports is the variance its sum really has."""
    var = _loud_half()
    phase = 0.7
    err_w, err_p, z2 = [], [], []
    for _ in range(200):
        u = np.exp(1j * phase) + _noise(rng, var)
        s = sums(*_line(u))
        sw, nw = s.weighted(0, 400)
        sp, _ = s.window(0, 400)
        err_w.append(np.angle(sw * np.exp(-1j * phase)))
        err_p.append(np.angle(sp * np.exp(-1j * phase)))
        z2.append(abs(sw - np.exp(1j * phase) * s.weight(0, 400)) ** 2 / nw)
    rms_w, rms_p = float(np.sqrt(np.mean(np.square(err_w)))), float(np.sqrt(np.mean(
        np.square(err_p))))
    assert rms_w < 0.06, rms_w
    assert rms_p > 0.5, rms_p
    assert 0.8 < float(np.mean(z2)) < 1.25, np.mean(z2)


def test_a_small_step_beside_loud_speech_is_found_and_a_steady_line_is_not(rng):
    """A 0.5 rad step at hop 400, right where 1 s of loud speech stops: the 2 s window before
    the step is half speech; the step still stands at over 6 standard errors. The same line
    without the step stays under 4."""
    var = np.full(2000, 0.5)
    var[300:400] = 2500.0  # the second half of the left window is loud
    m = np.array([400])
    for step, lo, hi in ((0.5, 6.0, np.inf), (0.0, 0.0, 4.0)):
        u = np.exp(1j * (0.3 + step * (np.arange(2000) >= 400))) + _noise(rng, var)
        bb, tr = _line(u)
        st = scale_test(Line(bb, tr, sums(bb, tr), 1), 200, max_rate=0.01, m=m)
        assert lo <= float(st.z_phase[0]) < hi, (step, st.z_phase[0])
        if step:
            assert abs(float(st.dphi[0]) - step) < 0.15


def test_joint_z_matches_one_test_at_the_threshold_and_is_gated_by_the_first_line():
    z1 = np.array([6.0, 4.0, 4.0, 2.0, 3.0])
    z2 = np.array([0.0, 4.0, 0.0, 10.0, 6.0])
    z = joint_z(z1, z2)
    # chi-squared (2 dof) tail exp(-x/2) at x = 40 equals the normal two-sided tail at 6.0
    assert math.isclose(math.exp(-40.0 / 2), 2 * 0.5 * math.erfc(6.0 / math.sqrt(2)),
                        rel_tol=0.05)
    assert math.isclose(float(joint_z(np.array([6.0]), np.array([2.0]))[0]), 6.0)
    assert z[0] == 6.0  # the harmonic sees nothing: the line's own test stands
    assert math.isclose(z[1], math.sqrt(28.0))  # both see it: stronger than either
    assert z[2] == 4.0
    assert z[3] == 2.0  # the harmonic alone (a speech partial on it): ignored
    assert math.isclose(z[4], math.sqrt(41.0))


def test_a_second_harmonic_establishes_a_step_the_first_line_only_suggests(rng):
    """A cut leaves 0.3 rad at the fundamental and 0.9 rad at the 3rd harmonic, which is the
    stronger: the fundamental alone stays under the threshold, joined it passes; the same
    harmonic without a step leaves the fundamental's test as it was."""
    n, m = 2000, 1000
    var = np.full(n, 1.1)  # the fundamental: a 2 s window sum at 23 dB, 0.075 rad apart
    after = np.arange(n) >= m
    u1 = np.exp(1j * (0.2 + 0.3 * after)) + _noise(rng, var)
    bb1, tr1 = _line(u1)
    zs = {}
    for step3 in (0.9, 0.0):
        u3 = np.exp(1j * (1.0 + step3 * after)) + _noise(rng, var / 4)
        bb3, tr3 = _line(u3)
        line = Line(bb1, tr1, sums(bb1, tr1), 1, other=Line(bb3, tr3, sums(bb3, tr3), 3))
        st = scale_test(line, 200, max_rate=0.01, m=np.array([m]))
        zs[step3] = (float(st.z_one[0]), float(st.z_other[0]), float(st.z_phase[0]))
    one, other, joint = zs[0.9]
    assert 3.0 <= one < 6.0 and other >= 6.0 and joint >= 6.0 and joint > one, zs
    one0, _, joint0 = zs[0.0]
    assert one0 == one and joint0 < 6.0, zs


# --------------------------------------------------------------------------- the track


def test_quiet_weights_discount_loud_hops_and_leave_the_quiet_ones_whole(rng):
    """Hops flooded 30 dB over the usual power near the line weigh about 1/1000; the quiet
    ones 1; every weight is real and in (0, 1]."""
    b = _noise(rng, np.full(3000, 1.0))
    b[1000:1200] *= 31.6
    w = quiet_weights(b)
    assert w.dtype.kind == "f" and np.all((w > 0) & (w <= 1.0))
    assert np.median(w[1050:1150]) < 2e-3
    assert np.median(w[:900]) == 1.0 and np.median(w[1400:]) == 1.0


def test_the_track_holds_the_grid_through_a_loud_partial_beside_the_line(rng):
    """A 50 Hz line at 20 dB in 1 Hz, and for 4 s a partial 40 dB over it, 0.3 Hz away (a
    voice's low harmonic gliding by): the quiet-weighted frames keep the track within 30 mHz
    of the line there (without the weights the partial pulls the track about 0.26 Hz off;
    away from the burst its error is about 2 mHz)."""
    r1, n = 100.0, 12000  # 120 s of 10 ms hops
    t = np.arange(n) / r1
    f_line = 0.004 * np.sin(2 * np.pi * t / 40)
    line = np.exp(2j * np.pi * np.cumsum(f_line) / r1)
    noise = _noise(rng, np.full(n, 1.0)) * math.sqrt(r1 / 100)  # 20 dB in 1 Hz
    partial = np.zeros(n, complex)
    burst = slice(6000, 6400)
    partial[burst] = 100 * np.exp(2j * np.pi * (f_line[burst] + 0.3) * t[burst])
    bb = Baseband(line + noise + partial, r1, 1, 0.0, 0.0)
    tr = track(bb, 1)
    err = np.abs(tr.freq - f_line)
    assert np.max(err[5600:6800]) < 0.03, np.max(err[5600:6800])


def test_the_track_is_less_sure_across_frames_left_out(rng):
    """Frames left out around a suspected step: the track runs straight across, and its
    standard error grows with the distance to the nearest frame kept."""
    n = 12000
    b = np.exp(2j * np.pi * 0.002 * np.arange(n) / 100) + _noise(rng, np.full(n, 0.01))
    bb = Baseband(b, 100.0, 1, 0.0, 0.0)
    whole = track(bb, 1)
    out = np.zeros(n, bool)
    out[5500:6500] = True  # 10 s: frames of 4 s holding one of these hops are left out
    gap = track(bb, 1, exclude=out)
    mid = 6000
    assert gap.freq_sd[mid] > whole.freq_sd[mid] + 0.004  # about 7 s from a frame: +14 mHz
    assert abs(gap.freq_sd[1000] - whole.freq_sd[1000]) < 1e-4
    assert abs(gap.freq[mid] - 0.002) < 0.002


@pytest.mark.parametrize("length", [1, 2, 7, 100])
@pytest.mark.parametrize("size", [1, 2, 3, 4, 15, 16, 45])
def test_running_median_is_scipys_median_filter(length, size):
    # the track's running median replaces scipy.ndimage.median_filter (mode "nearest"; the
    # upper middle value for an even size) without importing scipy.ndimage
    from scipy.ndimage import median_filter

    from auditor.detect.splice.enf.track import running_median

    x = np.random.default_rng(length * 100 + size).normal(size=length)
    assert np.array_equal(running_median(x, size), median_filter(x, size=size, mode="nearest"))
