"""ENF step statistics on a baseband whose truth is set exactly: the weighted window sums."""

from __future__ import annotations

import numpy as np

from auditor.detect._enf_stats import scale_test, sums
from auditor.detect._enf_track import Baseband, Track

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
        st = scale_test(bb, tr, sums(bb, tr), 200, harmonic=1, max_rate=0.01, m=m)
        assert lo <= float(st.z_phase[0]) < hi, (step, st.z_phase[0])
        if step:
            assert abs(float(st.dphi[0]) - step) < 0.15
