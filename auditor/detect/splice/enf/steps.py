"""ENF step search: run the tests of :mod:`auditor.detect.splice.enf.stats` over a file, find where
edits lie, and whether the hum behaves like a grid's at all.

Pure numpy on arrays (see :mod:`auditor.detect.splice.enf` for the method).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .stats import (
    GAP_STRENGTH_CAP,
    GRID,
    MAX_ROUNDS,
    PRE,
    Gap,
    Harmonic,
    ScaleTest,
    Sums,
    gaps,
    locate,
    locate_edge,
    peaks,
    scale_test,
    sums,
)
from .track import Baseband, HumLine, Track, baseband, follow, track


@dataclass
class Candidate:
    """One candidate edit: a boundary between two hops where the line's phase or frequency
    steps. Frequencies are at the analysed harmonic, relative to ``Baseband.center``."""

    boundary: int
    time: float
    half_width: float  # seconds
    window: float  # seconds per side of the test that found it
    z_phase: float
    z_freq: float
    dphi: float
    f_left: float
    f_right: float
    snr_left: float  # line power over noise power of the window sum
    snr_right: float
    strength: float
    kind: str  # "phase", "frequency", "level" or "gap" (an edge of a span without the line)
    gap: Gap | None = None
    z_level: float = 0.0  # the line's level step beyond its tolerance, in standard errors
    level_db: float = 0.0  # the line's level after the boundary over before (dB)
    z_other: float = 0.0  # the second harmonic's own phase test (z_phase joins both)


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


#: share of the phase threshold at which a boundary is kept out of the re-estimated track
SUSPECT = 0.5


@dataclass(frozen=True)
class Settings:
    windows: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0)
    z_phase: float = 6.0
    z_freq: float = 6.0
    max_rate: float = 0.01  # Hz/s at the fundamental
    max_pace: float = 5.0  # mHz/s: above it the hum does not follow a grid (see pace_mhz_s)
    freq_min_window: float = 1.9  # shorter half-windows cannot measure frequency usefully
    level_min_window: float = 1.9  # nor the line's level against speech leaking into it
    z_gap: float = 4.0  # sd under half the usual line amplitude for a span to lack the line


def _tests(bb: Baseband, tr: Track, s: Sums, cfg: Settings, harmonic: int,
           m: np.ndarray | None = None, cuts: np.ndarray | None = None) -> list[ScaleTest]:
    out = []
    for w in cfg.windows:
        n = max(2, int(round(w * bb.r1)))
        if 2 * n <= bb.b.size or m is not None:
            out.append(scale_test(bb, tr, s, n, harmonic=harmonic, max_rate=cfg.max_rate, m=m,
                                  cuts=cuts))
    return out


def _group(peaks_: list[tuple[float, int, int]]) -> list[list[tuple[float, int, int]]]:
    """Group (strength, boundary, window) peaks of different windows that mark the same point:
    closer than half the shorter window. Strongest first."""
    groups: list[list[tuple[float, int, int]]] = []
    for p in sorted(peaks_, key=lambda p: -p[0]):
        for g in groups:
            if any(abs(q[1] - p[1]) <= min(q[2], p[2]) // 2 for q in g):
                g.append(p)
                break
        else:
            groups.append([p])
    return groups


def _evaluate(bb: Baseband, tr: Track, s: Sums, cfg: Settings, harmonic: int, m: int,
              half: float, kind: str, cuts: np.ndarray) -> Candidate | None:
    """The candidate at boundary m, its evidence from the strongest window (clipped at the
    other edits): None when no window reaches the threshold any more."""
    best: Candidate | None = None
    for st in _tests(bb, tr, s, cfg, harmonic, np.array([m]), cuts):
        if st.m.size == 0:
            continue
        if kind == "phase":
            strength = float(st.z_phase[0]) / cfg.z_phase
        elif kind == "level" and st.n >= cfg.level_min_window * bb.r1:
            strength = float(st.z_level[0]) / cfg.z_phase
        elif kind == "frequency" and st.n >= cfg.freq_min_window * bb.r1:
            strength = float(st.z_freq[0]) / cfg.z_freq
        else:
            continue
        if np.isfinite(strength) and (best is None or strength > best.strength):
            best = Candidate(
                boundary=m, time=bb.boundary_time(m), half_width=half / bb.r1,
                window=float(st.span[0]), z_phase=float(st.z_phase[0]),
                z_freq=float(st.z_freq[0]), dphi=float(st.dphi[0]), f_left=float(st.f_left[0]),
                f_right=float(st.f_right[0]), snr_left=float(st.snr_left[0]),
                snr_right=float(st.snr_right[0]), strength=strength, kind=kind,
                z_level=float(st.z_level[0]), level_db=float(st.level_db[0]),
                z_other=float(st.z_other[0]))
    return best if best is not None and best.strength >= 1.0 else None


def _search(bb: Baseband, tr: Track, s: Sums, cfg: Settings, harmonic: int,
            known: list[Candidate], fixed: np.ndarray) -> tuple[list[Candidate], list[ScaleTest]]:
    """New candidates, with windows clipped at the ``known`` edits and the ``fixed`` points
    (edges of spans without the line): phase-step peaks of every window, grouped, located with
    the shortest window that saw each; then level steps and frequency steps (long windows)
    that no phase step explains."""
    cuts = np.array(sorted({c.boundary for c in known} | set(fixed.tolist())), np.int64)
    tests = _tests(bb, tr, s, cfg, harmonic, cuts=cuts)
    near = [(c.boundary, max(2 * c.half_width * bb.r1, 0.25 * bb.r1)) for c in known]
    out: list[Candidate] = []
    found = [(float(st.z_phase[j]) / cfg.z_phase, int(st.m[j]), st.n)
             for st in tests for j in peaks(st.z_phase, PRE * cfg.z_phase, GRID)]
    for g in _group(found):
        _, m0, n0 = min(g, key=lambda p: p[2])
        if any(abs(m0 - b) <= d for b, d in near):
            continue
        c = _located(bb, tr, s, cfg, harmonic, g, cuts)
        if c is not None:
            out.append(c)
    taken = [(c.boundary, int(round(c.window * bb.r1))) for c in known + out
             if c.kind == "phase"]
    # a window that holds a phase step measures a false slope: explained
    fpeaks = _long_peaks(tests, "z_freq", cfg.freq_min_window * bb.r1, cfg.z_freq,
                         lambda m, w: not any(abs(m - b) <= w + n for b, n in taken)
                         and not any(abs(m - b) <= d for b, d in near))
    for g in _group(fpeaks):
        _, m, n = g[0]
        c = _evaluate(bb, tr, s, cfg, harmonic, m, n / 2, "frequency", cuts)
        if c is not None:
            out.append(c)
    out += _level_steps(bb, tr, s, cfg, harmonic, tests, known + out, near, cuts)
    return out, tests


def _located(bb: Baseband, tr: Track, s: Sums, cfg: Settings, harmonic: int,
             group: list[tuple[float, int, int]], cuts: np.ndarray) -> Candidate | None:
    """The candidate a group of phase-step peaks marks: located from each window's peak (a
    short window's peak can sit on speech and locate the change point seconds away where a
    longer one's does not), the strongest located point that keeps the evidence; else a level
    step at the shortest window's located point (the line may start or stop there); else the
    strongest peak itself (the located points lost the evidence to noise)."""
    members = sorted(group, key=lambda p: p[2])
    best: Candidate | None = None
    first: tuple[int, float] | None = None
    for _, m0, n0 in members:
        m, half = locate(tr, s, m0, n0, cuts)
        first = first or (m, half)
        c = _evaluate(bb, tr, s, cfg, harmonic, m, half, "phase", cuts)
        if c is not None and (best is None or c.strength > best.strength):
            best = c
    if best is None and first is not None:
        best = _evaluate(bb, tr, s, cfg, harmonic, first[0], first[1], "level", cuts)
    if best is None:
        for _, m0, n0 in members:
            c = _evaluate(bb, tr, s, cfg, harmonic, m0, n0 / 2, "phase", cuts)
            if c is not None and (best is None or c.strength > best.strength):
                best = c
    return best


def _long_peaks(tests: list[ScaleTest], stat: str, min_n: float, threshold: float,
                clear: Callable[[int, int], bool]) -> list[tuple[float, int, int]]:
    """(strength, boundary, window) of the peaks of ``stat`` ("z_freq" or "z_level") in the
    windows of at least ``min_n`` hops that ``clear(boundary, window)`` leaves unexplained."""
    out = []
    for st in tests:
        if st.n < min_n:
            continue
        z = getattr(st, stat)
        for j in peaks(z, PRE * threshold, GRID):
            m = int(st.m[j])
            if clear(m, st.n):
                out.append((float(z[j]) / threshold, m, st.n))
    return out


def _level_steps(bb: Baseband, tr: Track, s: Sums, cfg: Settings, harmonic: int,
                 tests: list[ScaleTest], taken: list[Candidate], near: list[tuple[int, float]],
                 cuts: np.ndarray) -> list[Candidate]:
    """Candidates where the line's level steps (long windows) away from every step already
    found: the boundary located as the change point of the line's phasor, which a level step
    moves as a phase step does."""
    busy = [(c.boundary, int(round(c.window * bb.r1))) for c in taken]
    found = _long_peaks(tests, "z_level", cfg.level_min_window * bb.r1, cfg.z_phase,
                        lambda m, w: not any(abs(m - b) <= max(n, w) for b, n in busy)
                        and not any(abs(m - b) <= d for b, d in near))
    out = []
    for g in _group(found):
        _, m0, n0 = min(g, key=lambda p: p[2])
        m, half = locate(tr, s, m0, n0, cuts)
        c = _evaluate(bb, tr, s, cfg, harmonic, m, half, "level", cuts)
        if c is None:
            c = _evaluate(bb, tr, s, cfg, harmonic, m0, n0 / 2, "level", cuts)
        if c is not None:
            out.append(c)
    return out


def _candidates(bb: Baseband, tr: Track, s: Sums, cfg: Settings, harmonic: int,
                fixed: np.ndarray | None = None) -> tuple[list[Candidate], list[ScaleTest]]:
    """Binary-segmentation style: find candidates, then re-measure each with windows that stop
    at its neighbours (two edits a few seconds apart must not share a window), drop those that
    no longer reach the threshold, and search again between them, until nothing changes."""
    fixed = np.zeros(0, np.int64) if fixed is None else fixed
    accepted: list[Candidate] = []
    first: list[ScaleTest] = []
    for _ in range(MAX_ROUNDS):
        new, tests = _search(bb, tr, s, cfg, harmonic, accepted, fixed)
        first = first or tests
        if not new:
            break
        accepted = sorted(accepted + new, key=lambda c: c.boundary)
        for _ in range(3):
            kept = []
            for c in accepted:
                cuts = np.array([o.boundary for o in accepted if o is not c] + fixed.tolist(),
                                np.int64)
                m, half = c.boundary, c.half_width * bb.r1
                if c.kind in ("phase", "level"):
                    m, half = locate(tr, s, c.boundary, max(2, int(round(c.window * bb.r1))),
                                     cuts)
                e = _evaluate(bb, tr, s, cfg, harmonic, m, half, c.kind, cuts)
                if e is None and m != c.boundary:
                    e = _evaluate(bb, tr, s, cfg, harmonic, c.boundary, c.half_width * bb.r1,
                                  c.kind, cuts)
                if e is not None:
                    kept.append(e)
            # two candidates located onto one point are one
            kept = sorted(kept, key=lambda c: -c.strength)
            kept = sorted((c for i, c in enumerate(kept)
                           if all(abs(c.boundary - o.boundary) > 1 for o in kept[:i])),
                          key=lambda c: c.boundary)
            stable = [c.boundary for c in kept] == [c.boundary for c in accepted]
            accepted = kept
            if stable:
                break
    return accepted, first


def _gap_candidates(bb: Baseband, tr: Track, s: Sums, found: list[Gap], cfg: Settings,
                    harmonic: int) -> list[Candidate]:
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
            m, half = locate_edge(tr, s, rng_[0] - s.block // 2, rng_[1] + s.block // 2,
                                  falling=falling)
            # the line's side: the window on the other side holds the gap
            n = max(2, min(s.block, g.end - g.start))
            st = scale_test(bb, tr, s, n, harmonic=harmonic, max_rate=cfg.max_rate,
                            m=np.array([m]), cuts=np.array([m - n, m + n]))
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


def analyse(y: np.ndarray, rate: float, t0: float, line: HumLine,
            cfg: Settings | None = None, second: HumLine | None = None) -> Analysis:
    """Track the line and test every hop boundary for a phase or frequency step, and look for
    spans where the line vanishes.

    A first pass finds candidates; the track is then re-estimated with the frames around them
    left out (so an edit does not bend the reference it is measured against) and the tests
    repeated: the second pass's candidates are the result. With ``second`` (another harmonic
    of the same hum), its phase test joins the line's (:func:`~.stats.joint_z`), its
    phase removed with the line's track.
    """
    cfg = cfg or Settings()
    k = line.harmonic
    bb = baseband(y, rate, t0, line.freq)
    bb2 = (baseband(y, rate, t0, line.freq * second.harmonic / k)
           if second is not None else None)
    tr = track(bb, k)
    pace = pace_mhz_s(tr.freq, bb.r1, k)
    if pace > cfg.max_pace:
        return Analysis(bb, tr, [], [], cfg.windows, float("nan"), pace, grid_like=False)
    s = _sums(bb, tr, bb2, second)
    cands, tests = _candidates(bb, tr, s, cfg, k)
    found = gaps(bb, tr, s, harmonic=k, max_rate=cfg.max_rate, z=cfg.z_gap)
    doubt = _suspects(tests, cfg, bb.b.size)
    if cands or found or doubt.any():
        cuts = np.array(sorted({c.boundary for c in cands}
                               | {b for g in found for b in (g.start, g.end)}), np.int64)
        exclude = _gap_mask(bb.b.size, found, max(1, int(round(0.1 * bb.r1)))) | doubt
        tr = track(bb, k, exclude, cuts)
        s = _sums(bb, tr, bb2, second)
        found = gaps(bb, tr, s, harmonic=k, max_rate=cfg.max_rate, z=cfg.z_gap)
        # no test window reaches into a span without the line
        fixed = np.array(sorted({b for g in found for b in (g.before[0], g.after[1])}),
                         np.int64)
        cands, tests = _candidates(bb, tr, s, cfg, k, fixed)
    edges = _gap_candidates(bb, tr, s, found, cfg, k)
    # a step found at a gap's edge is the gap's: keep the gap's account of it
    cands = [c for c in cands
             if not any(g.before[0] - s.block <= c.boundary <= g.after[1] + s.block
                        for g in found)]
    cands = sorted(cands + edges, key=lambda c: c.time)
    min_jump = float("nan")
    for st in tests:
        # |dphi| / sd >= z_phase: the smallest flagged jump is z_phase * sd (the line alone)
        sd = np.abs(st.dphi) / np.maximum(st.z_one, 1e-9)
        good = np.isfinite(sd) & (st.z_one > 0)
        if good.any():
            j = float(min(np.pi, cfg.z_phase * np.median(sd[good])))
            min_jump = j if not np.isfinite(min_jump) else min(min_jump, j)
    return Analysis(bb, tr, cands, found, cfg.windows, min_jump, pace)


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


def _sums(bb: Baseband, tr: Track, bb2: Baseband | None, second: HumLine | None) -> Sums:
    """The line's window sums, carrying the second harmonic's when there is one."""
    s = sums(bb, tr)
    if bb2 is not None and second is not None:
        tr2 = follow(bb2, tr, bb2.center / bb.center)
        s.other = Harmonic(bb2, tr2, sums(bb2, tr2), second.harmonic)
    return s


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
