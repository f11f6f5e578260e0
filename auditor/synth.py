"""Test hearings built from known parts: mains hum that follows a real ENF trace, room noise.

Used by ``auditor demo``, the tests and the benchmarks, so every accuracy figure is measured on
signals whose truth is known. No detector imports this module.

The hum is synthesised from the *phase* of a real mains reference recording (for example the
ENF-WHU ``H1_ref`` files, 400 Hz): the reference is band-passed around the nominal frequency, its
analytic signal (Hilbert transform) gives the instantaneous phase, which is unwrapped and
interpolated to the output rate; harmonic ``k`` is then ``cos(k * phase + theta_k)``. The hum
therefore wanders exactly as the grid did when the reference was made, and a cut or insertion
made afterwards leaves the phase discontinuity a real edit leaves.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

__all__ = ["reference_phase", "hum_from_phase", "room_noise"]


def reference_phase(ref: np.ndarray, ref_rate: int, nominal: float, *,
                    bandwidth: float = 1.0) -> np.ndarray:
    """Unwrapped instantaneous phase (radians) of the mains fundamental in a reference recording.

    Parameters
    ----------
    ref : np.ndarray, shape (n,)
        The mains reference signal.
    ref_rate : int
        Its sample rate (Hz); must exceed ``2 * (nominal + bandwidth)``.
    nominal : float
        50.0 or 60.0 (Hz).
    bandwidth : float
        Half-width (Hz) of the zero-phase band-pass around ``nominal``.

    Returns
    -------
    np.ndarray, shape (n,), float64
    """
    from scipy.signal import butter, hilbert, sosfiltfilt

    if ref_rate <= 2 * (nominal + bandwidth):
        raise ValueError(f"reference rate {ref_rate} Hz is too low for {nominal} Hz")
    sos = butter(4, [nominal - bandwidth, nominal + bandwidth], btype="bandpass", fs=ref_rate,
                 output="sos")
    band = sosfiltfilt(sos, np.asarray(ref, np.float64))
    return np.unwrap(np.angle(hilbert(band)))


def hum_from_phase(phase: np.ndarray, phase_rate: int, out_rate: int, n: int, *,
                   amplitudes: Mapping[int, float], offset: float = 0.0,
                   phases: Mapping[int, float] | None = None) -> np.ndarray:
    """Mains hum with harmonics, following ``phase`` from time ``offset`` (seconds) on.

    Parameters
    ----------
    phase : np.ndarray
        Unwrapped fundamental phase at ``phase_rate`` (from :func:`reference_phase`).
    out_rate, n
        Output sample rate (Hz) and length (samples).
    amplitudes
        Peak amplitude (full scale = 1) of each harmonic number, e.g. ``{1: 0.003, 3: 0.001}``.
    offset
        Where in the reference the hum starts (seconds); ``offset + n / out_rate`` must lie
        inside the reference.
    phases
        Extra constant phase (radians) per harmonic.

    Returns
    -------
    np.ndarray, shape (n,), float32
    """
    t_ref = np.arange(phase.size) / phase_rate
    t = offset + np.arange(n) / out_rate
    if t[-1] > t_ref[-1]:
        raise ValueError(f"the reference is {t_ref[-1]:.1f} s long; {t[-1]:.1f} s needed")
    ph = np.interp(t, t_ref, phase)
    out = np.zeros(n, np.float64)
    for k, a in amplitudes.items():
        out += a * np.cos(k * ph + (phases or {}).get(k, 0.0))
    return out.astype(np.float32)


def room_noise(rng: np.random.Generator, n: int, *, level_db: float = -50.0,
               colour: float = 0.95) -> np.ndarray:
    """Room noise: first-order low-passed Gaussian noise at ``level_db`` dBFS RMS, float32."""
    from scipy.signal import lfilter

    x = lfilter([1.0], [1.0, -colour], rng.normal(0.0, 1.0, n))
    x *= 10 ** (level_db / 20) / max(float(np.std(x)), 1e-12)
    return x.astype(np.float32)
