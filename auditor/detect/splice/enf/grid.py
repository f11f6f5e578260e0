"""Which grid: the nominal mains frequency the ENF cue follows, given or measured.

The grid's nominal frequency (50 or 60 Hz) is a parameter (``ScanParams.grid``): given by the
command line, the session record or the policy, the cue uses only that nominal's lines. In
``auto`` it is measured, and a line counts as mains hum only when it behaves like a grid, not
merely because it is the strongest line near 50 or 60 Hz (a voice's microphone may carry
another grid's hum, a fan or a projector a tone near 100 or 120 Hz). Hua, Liao, Wang, Zhang
and Ye ("Detection of electric network frequency in audio recordings: from theory to
practical detectors", IEEE Trans. Inf. Forensics Security 16, 2021) test for the presence of
ENF before using it, on what distinguishes it from other tones; here, cheaply, on the segments
and frames :func:`~.hum.measure` already reads:

1. **Present where nobody speaks.** Mains hum is there whether anyone talks or not. The line's
   SNR in the median frame without speech (frames of about 0.8 s within
   ``QUIET_DB`` of the file's floor, :mod:`.hum`) must reach :data:`QUIET_MIN_SNR_DB`. Hum
   that comes only with the voices (a gated microphone, a device switched with them) reads
   near 0 dB there. With fewer than :data:`MIN_QUIET_FRAMES` such frames (speech without
   pauses) the test cannot be made and does not reject.
2. **Harmonics that move with it.** A grid's harmonics are locked to its fundamental: the
   ``k``-th harmonic's deviation from ``k * f0``, divided by ``k``, equals the fundamental's,
   segment by segment. Where two or more of the nominal's own harmonics are usable (SNR at
   least ``enf_min_snr_db``; 300 Hz, shared by 50 and 60 Hz, does not count), each other
   one's deviation is compared with the followed line's over the segments where both stand at
   least :data:`SEGMENT_MIN_SNR_DB` over the noise: ``z = (d_j - d_k) / s`` with ``s`` the
   two estimates' combined error (Cramer-Rao bound for a tone's frequency in ``T``-second
   segments, ``sqrt(6 / ((2 pi)^2 SNR T^3))``, plus :data:`FREQ_FLOOR_HZ` for the
   interpolation between bins, each divided by its harmonic). The harmonics move in
   proportion when the median ``|z|`` of some pair is at most :data:`HARMONIC_MAX_Z`. Measured
   while setting it: grid hum (random-walk frequency, 12-37 dB) with and without speech gave
   0.4-1.0 (0.67 is a normal error's median); independent tones at 50 and 150 Hz gave 2.0-6.8.
   With no pair of :data:`MIN_SEGMENTS` such segments the test cannot be made.

The nominal the strongest lines point to (:func:`~.hum.best_line`) is tried first; when it
fails, the other one, if its lines are usable. When neither passes, the cue is not applicable
and says what was measured.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .hum import NOMINALS, HumLine, HumScan, best_line

__all__ = ["GridCheck", "Choice", "choose_line", "QUIET_MIN_SNR_DB", "HARMONIC_MAX_Z"]

#: the line must stand this far over the noise (dB in 1 Hz) in the frames without speech
QUIET_MIN_SNR_DB = 6.0
#: fewest frames without speech (about 0.4 s each) for the presence test
MIN_QUIET_FRAMES = 20
#: segments where both harmonics stand this far over the noise (dB in 1 Hz) are compared
SEGMENT_MIN_SNR_DB = 10.0
MIN_SEGMENTS = 8
#: frequency error of a segment's interpolated peak beyond the Cramer-Rao bound (Hz)
FREQ_FLOOR_HZ = 0.003
#: largest median |z| of two harmonics' deviations that still moves in proportion
HARMONIC_MAX_Z = 1.5


def _db(x: float) -> float | None:
    return round(10 * math.log10(max(x, 1e-3)), 1) if math.isfinite(x) else None


@dataclass(frozen=True)
class GridCheck:
    """What the grid test measured for one nominal, and why it failed (empty: it passed)."""

    line: HumLine
    quiet_snr_db: float | None
    speech_snr_db: float | None
    quiet_seconds: float
    harmonics: list[dict[str, Any]] = field(default_factory=list)
    failure: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"nominal_hz": self.line.nominal, "harmonic": self.line.harmonic,
                "snr_db": round(self.line.snr_db, 1), "quiet_snr_db": self.quiet_snr_db,
                "speech_snr_db": self.speech_snr_db,
                "quiet_s": round(self.quiet_seconds, 1), "harmonics": self.harmonics,
                "mains": not self.failure}


@dataclass(frozen=True)
class Choice:
    """The line the cue follows (None: none), and how the grid was set.

    ``reason`` says why no line was taken when the grid test refused every nominal.
    """

    line: HumLine | None
    lines: list[HumLine]
    grid: str
    given_by: str
    checks: list[GridCheck] = field(default_factory=list)
    reason: str = ""

    def evidence(self) -> dict[str, Any]:
        """The ``checks.splice.enf`` entries about the grid: where it was given, or, in
        ``auto`` when the test changed the choice or refused it, what was measured."""
        if self.grid != "auto":
            return {"grid_from": self.given_by}
        if any(c.failure for c in self.checks):
            return {"grid_from": "auto", "grid_checks": [c.to_json() for c in self.checks]}
        return {}

    def note(self) -> str:
        """For a message: `` (the grid, 50 Hz, is given by policy kz-2015)``."""
        return f" (the grid, {self.grid} Hz, is given by {self.given_by})" \
            if self.grid != "auto" else ""


def choose_line(scan: HumScan, *, grid: str, given_by: str, min_snr_db: float) -> Choice:
    """The mains line the ENF cue follows.

    Parameters
    ----------
    scan
        :func:`~.hum.measure`'s lines and per-line measurements.
    grid
        ``"50"`` or ``"60"`` (only that nominal's lines are used), or ``"auto"``.
    given_by
        Where a fixed grid came from, for the evidence.
    min_snr_db
        The cue's hum floor: lines under it are not usable.

    Returns
    -------
    Choice
        With a fixed grid, that nominal's strongest line. In ``auto``, the line
        :func:`~.hum.best_line` picks when its nominal passes the grid test; else the other
        nominal's strongest, when it is usable and passes; else no line and the reason.
    """
    lines = scan.lines
    if grid != "auto":
        own = [ln for ln in lines if ln.nominal == float(grid)]
        line = max(own, key=lambda ln: ln.snr_db) if own else None
        return Choice(line, lines, grid, given_by)
    first = best_line(lines)
    if first is None:
        return Choice(None, lines, grid, given_by)
    order = [first.nominal] + [f for f in NOMINALS if f != first.nominal]
    checks = []
    for nominal in order:
        line = max((ln for ln in lines if ln.nominal == nominal), key=lambda ln: ln.snr_db)
        if line.snr_db < min_snr_db:
            continue
        check = _check(scan, line, min_snr_db)
        checks.append(check)
        if not check.failure:
            return Choice(line, lines, grid, given_by, checks)
    if not checks:  # no usable hum at all: the cue says so with the strongest line's SNR
        return Choice(first, lines, grid, given_by)
    why = "; ".join(f"the {c.line.center:g} Hz line ({c.line.snr_db:.1f} dB over the noise in "
                    f"1 Hz) {c.failure}" for c in checks)
    return Choice(None, lines, grid, given_by, checks,
                  f"no line behaves like mains hum: {why}; a grid's hum is there whether anyone "
                  "speaks or not, and its harmonics move with it (give the grid with --grid or "
                  "the session record's grid_hz if it is known)")


def _check(scan: HumScan, line: HumLine, min_snr_db: float) -> GridCheck:
    i = scan.lines.index(line)
    quiet, speech = float(scan.quiet_snr[i]), float(scan.speech_snr[i])
    seconds = scan.quiet_frames * scan.frame_seconds
    failure = ""
    if scan.quiet_frames >= MIN_QUIET_FRAMES and 10 * math.log10(max(quiet, 1e-3)) \
            < QUIET_MIN_SNR_DB:
        failure = (f"is absent where nobody speaks: {_db(quiet)} dB over the noise in "
                   f"{seconds:.0f} s of pauses (needs {QUIET_MIN_SNR_DB:g} dB); it comes and "
                   "goes with the voices, as a gated microphone's or a device's hum does")
    pairs = _harmonics(scan, line, min_snr_db)
    conclusive = [p for p in pairs if p["median_z"] is not None]
    if not failure and conclusive and all(p["median_z"] > HARMONIC_MAX_Z for p in conclusive):
        p = min(conclusive, key=lambda p: p["median_z"])
        failure = (f"has harmonics that do not move with it: the {p['hz']:g} Hz line's "
                   f"deviation from {p['hz'] / line.center:g} x {line.center:g} Hz differs by "
                   f"{p['rms_mhz']} mHz rms (median |z| {p['median_z']}, needs at most "
                   f"{HARMONIC_MAX_Z:g}); these are separate tones, not one grid's harmonics")
    return GridCheck(line, _db(quiet), _db(speech), seconds, pairs, failure)


def _harmonics(scan: HumScan, line: HumLine, min_snr_db: float) -> list[dict[str, Any]]:
    """Each other usable harmonic of ``line``'s nominal against ``line``, segment by segment."""
    shared = {ln.center for ln in scan.lines if ln.nominal != line.nominal}
    k = scan.lines.index(line)
    t = scan.seg_seconds
    floor = 10 ** (SEGMENT_MIN_SNR_DB / 10)

    def dev(i: int, ok: np.ndarray) -> np.ndarray:
        ln = scan.lines[i]
        return np.asarray(scan.seg_freq[i][ok] / ln.harmonic - ln.nominal)

    def err(i: int, ok: np.ndarray) -> np.ndarray:
        snr = scan.seg_snr[i][ok]
        crlb = np.sqrt(6.0 / ((2 * np.pi) ** 2 * snr * t**3))
        return np.asarray((crlb + FREQ_FLOOR_HZ) / scan.lines[i].harmonic)

    out = []
    for j, other in enumerate(scan.lines):
        if (other.nominal != line.nominal or j == k or other.center in shared
                or other.snr_db < min_snr_db):
            continue
        ok = (scan.seg_snr[k] >= floor) & (scan.seg_snr[j] >= floor)
        entry: dict[str, Any] = {"hz": other.center, "segments": int(ok.sum()),
                                 "rms_mhz": None, "median_z": None}
        if ok.sum() >= MIN_SEGMENTS:
            diff = dev(j, ok) - dev(k, ok)
            z = diff / np.hypot(err(j, ok), err(k, ok))
            entry["rms_mhz"] = round(1000 * float(np.sqrt(np.mean(diff**2))), 1)
            entry["median_z"] = round(float(np.median(np.abs(z))), 2)
        out.append(entry)
    return out
