"""ENF steps of one mains line: track it, search it for edits (:mod:`.search`) and for spans
where it vanishes (:mod:`.locate`), track it again around what was found and search again;
and whether the hum behaves like a grid's at all.

Pure numpy on arrays (see :mod:`auditor.detect.splice.enf` for the method: the phase analysis
of Rodriguez, Apolinario and Biscainho, 2010, on the frequency track of Grigoras, 2005).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .hum import HumLine
from .locate import Gap, gaps, locate_edge
from .search import Candidate, Settings, candidates
from .stats import GRID, ScaleTest, peaks, scale_test
from .sums import Line, sums
from .track import Baseband, Track, baseband, follow, frame_peaks, track

#: share of the phase threshold at which a boundary is kept out of the re-estimated track
SUSPECT = 0.5
#: strength of a vanished-line edge is capped here (the absence is certain beyond it)
GAP_STRENGTH_CAP = 10.0


@dataclass
class Analysis:
    bb: Baseband
    track: Track
    candidates: list[Candidate]
    gaps: list[Gap]
    windows: tuple[float, ...]
    #: median over the file of the smallest phase step (rad, at the harmonic) the most
    #: sensitive window would flag
    min_phase_jump: float
    #: how fast the tracked frequency moves (mHz per second at the fundamental, 90th percentile)
    pace: float = float("nan")
    #: False when the hum wanders faster than a power grid can (no steps were tested)
    grid_like: bool = True


def _gap_candidates(line: Line, found: list[Gap], cfg: Settings) -> list[Candidate]:
    """The edges of the spans without the line, as candidates (the mutes the line resumes in
    step after are left to the digital_silence detector)."""
    bb, s = line.bb, line.s
    out = []
    for g in found:
        if g.digital and g.z_phase < cfg.z_phase:
            # exact zeros with the line resuming in phase: a mute, no time removed or added
            # (the digital_silence detector reports the mute itself)
            continue
        # exact zeros: how far the phase moved is the evidence; else that the line vanished
        strength = (g.z_phase / cfg.z_phase if g.digital
                    else min(g.z_absent / cfg.z_gap, GAP_STRENGTH_CAP))
        for rng_, falling in ((g.before, True), (g.after, False)):
            m, half = locate_edge(line, rng_[0] - s.block // 2, rng_[1] + s.block // 2,
                                  falling=falling)
            # the line's side: the window on the other side holds the gap
            n = max(2, min(s.block, g.end - g.start))
            st = scale_test(line, n, max_rate=cfg.max_rate, m=np.array([m]),
                            cuts=np.array([m - n, m + n]))
            if st.m.size == 0:
                continue
            out.append(Candidate(
                boundary=m, time=bb.boundary_time(m), half_width=half / bb.r1,
                window=float(st.span[0]), z_phase=g.z_phase, z_freq=0.0, dphi=g.dphi,
                f_left=float(st.f_left[0]), f_right=float(st.f_right[0]),
                snr_left=float(st.snr_left[0]), snr_right=float(st.snr_right[0]),
                strength=strength, kind="gap", gap=g))
    return out


def _gap_mask(size: int, found: list[Gap], pad: int) -> np.ndarray:
    """Hops in (or padded around) spans without the line: no track frame may hold one."""
    exclude = np.zeros(size, bool)
    for g in found:
        exclude[max(0, g.before[0] - pad): g.after[1] + pad] = True
    return exclude


def analyse(y: np.ndarray, rate: float, t0: float, hum: HumLine,
            cfg: Settings | None = None, second: HumLine | None = None) -> Analysis:
    """Track the line ``hum`` and test every hop boundary for a phase or frequency step, and
    look for spans where the line vanishes.

    A first pass finds candidates; the track is then re-estimated with the frames around them
    left out (so an edit does not bend the reference it is measured against) and the tests
    repeated: the second pass's candidates are the result. With ``second`` (another harmonic
    of the same hum), its phase test joins the line's (:func:`~.stats.joint_z`), its
    phase removed with the line's track.
    """
    cfg = cfg or Settings()
    k = hum.harmonic
    bb = baseband(y, rate, t0, hum.freq)
    bb2 = (baseband(y, rate, t0, hum.freq * second.harmonic / k)
           if second is not None else None)
    peaks = frame_peaks(bb, k)
    tr = track(bb, k, peaks=peaks)
    pace = pace_mhz_s(tr.freq, bb.r1, k)
    if pace > cfg.max_pace:
        return Analysis(bb, tr, [], [], cfg.windows, float("nan"), pace, grid_like=False)
    line = _line(bb, tr, k, bb2, second)
    cands, tests = candidates(line, cfg)
    found = gaps(line, max_rate=cfg.max_rate, z=cfg.z_gap)
    doubt = _suspects(tests, cfg, bb.b.size)
    if cands or found or doubt.any():
        cuts = np.array(sorted({c.boundary for c in cands}
                               | {b for g in found for b in (g.start, g.end)}), np.int64)
        exclude = _gap_mask(bb.b.size, found, max(1, int(round(0.1 * bb.r1)))) | doubt
        line = _line(bb, track(bb, k, exclude, cuts, peaks), k, bb2, second)
        found = gaps(line, max_rate=cfg.max_rate, z=cfg.z_gap)
        # no test window reaches into a span without the line
        fixed = np.array(sorted({b for g in found for b in (g.before[0], g.after[1])}),
                         np.int64)
        cands, tests = candidates(line, cfg, fixed)
    edges = _gap_candidates(line, found, cfg)
    block = line.s.block
    # a step found at a gap's edge is the gap's: keep the gap's account of it
    cands = [c for c in cands
             if not any(g.before[0] - block <= c.boundary <= g.after[1] + block
                        for g in found)]
    cands = sorted(cands + edges, key=lambda c: c.time)
    return Analysis(bb, line.tr, cands, found, cfg.windows, _min_phase_jump(tests, cfg), pace)


def _min_phase_jump(tests: list[ScaleTest], cfg: Settings) -> float:
    """The smallest phase step (rad, at the harmonic) the most sensitive window would flag, at
    the median noise of the file's boundaries; NaN when no window measured the line."""
    min_jump = float("nan")
    for st in tests:
        # |dphi| / sd >= z_phase: the smallest flagged jump is z_phase * sd (the line alone)
        sd = np.abs(st.dphi) / np.maximum(st.z_one, 1e-9)
        good = np.isfinite(sd) & (st.z_one > 0)
        if good.any():
            j = float(min(np.pi, cfg.z_phase * np.median(sd[good])))
            min_jump = j if not np.isfinite(min_jump) else min(min_jump, j)
    return min_jump


def _suspects(tests: list[ScaleTest], cfg: Settings, size: int) -> np.ndarray:
    """Hops the re-estimated track leaves out: within half a window of each boundary where
    that window's phase test reaches ``SUSPECT`` of the threshold.

    A 4 s frame across a phase step reads a frequency between the two sides' and the running
    median keeps it, so a track made across an edit bends to absorb part of the step it
    should reveal (a 0.5 rad step at 20 dB reads as 0.2-0.35 rad in 4 s windows). Leaving the
    frames out lets the track run across from both sides (as across a gap), and its error
    there grows with the distance to the nearest frame kept (``track``): that wider error
    also lowers the test of a step just under the threshold.
    """
    out = np.zeros(size, bool)
    for st in tests:
        half = max(1, st.n // 2)
        for j in peaks(st.z_one, SUSPECT * cfg.z_phase, GRID):
            m = int(st.m[j])
            out[max(0, m - half): m + half] = True
    return out


def _line(bb: Baseband, tr: Track, harmonic: int, bb2: Baseband | None,
          second: HumLine | None) -> Line:
    """The line's analysis context for the track ``tr``: its window sums, and the second
    harmonic's (its baseband ``bb2`` demodulated with ``tr`` scaled to it) when there is one."""
    s = sums(bb, tr)
    other = None
    if bb2 is not None and second is not None:
        tr2 = follow(bb2, tr, bb2.center / bb.center)
        other = Line(bb2, tr2, sums(bb2, tr2), second.harmonic)
    return Line(bb, tr, s, harmonic, other)


def pace_mhz_s(freq: np.ndarray, r1: float, harmonic: int, lag: int = 10) -> float:
    """How fast the hum's frequency moves: the 90th percentile of ``|f(t + lag) - f(t)| / lag``
    over one-second means of the track (mHz per second, at the fundamental).

    The ENF-WHU references move by at most 2.2 mHz/s on this measure (median 1.7); the lag of
    10 s keeps estimation noise out of it (at 10 dB SNR it adds under 1 mHz/s, where a one-second
    lag would add 5). A hum that moves faster than ``Settings.max_pace`` comes from a generator
    or is not mains hum, and its wander would read as steps. NaN when the file is shorter than
    ``lag + 1`` seconds (the test is then not made).
    """
    step = max(1, int(round(r1)))
    n = freq.size // step
    if n <= lag:
        return float("nan")
    f = freq[: n * step].reshape(n, step).mean(axis=1)
    d = np.abs(f[lag:] - f[:-lag]) / (lag * harmonic)
    return float(np.quantile(d, 0.9)) * 1e3
