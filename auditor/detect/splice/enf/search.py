"""ENF step search: the step tests of :mod:`.stats` run over a whole line, their peaks
grouped, located (:mod:`.locate`) and re-measured until the set of edits is stable.

As in binary segmentation, every candidate is re-measured with windows that stop at its
neighbours (two edits seconds apart must not share a window) and the search repeated between
them. Pure numpy on arrays (see :mod:`auditor.detect.splice.enf` for the method); the driver
that tracks the line and runs this search twice is :mod:`auditor.detect.splice.enf.steps`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .locate import Gap, locate
from .stats import GRID, PRE, ScaleTest, peaks, scale_test
from .sums import Line

#: rounds of search-and-re-measure (each finds the edits the previous ones hid)
MAX_ROUNDS = 4


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


@dataclass(frozen=True)
class Settings:
    """What the step search tests: the window lengths (seconds each side), the thresholds in
    standard errors, and what a grid can do."""

    windows: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0)
    z_phase: float = 6.0
    z_freq: float = 6.0
    max_rate: float = 0.01  # Hz/s at the fundamental
    max_pace: float = 5.0  # mHz/s: above it the hum does not follow a grid (see pace_mhz_s)
    freq_min_window: float = 1.9  # shorter half-windows cannot measure frequency usefully
    level_min_window: float = 1.9  # nor the line's level against speech leaking into it
    z_gap: float = 4.0  # sd under half the usual line amplitude for a span to lack the line


def _tests(line: Line, cfg: Settings, m: np.ndarray | None = None,
          cuts: np.ndarray | None = None) -> list[ScaleTest]:
    """The step tests at every window length of ``cfg`` (too long for the line: left out, unless
    at given boundaries ``m``). Over the whole line, frequency and level steps are searched in
    the long windows only (:func:`_long_peaks`): the shorter make the phase test alone."""
    out = []
    for w in cfg.windows:
        n = max(2, int(round(w * line.bb.r1)))
        if 2 * n <= line.bb.b.size or m is not None:
            short = n < min(cfg.freq_min_window, cfg.level_min_window) * line.bb.r1
            out.append(scale_test(line, n, max_rate=cfg.max_rate, m=m, cuts=cuts,
                                  phase_only=m is None and short))
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


def _evaluate(line: Line, cfg: Settings, m: int, half: float, kind: str, cuts: np.ndarray
              ) -> Candidate | None:
    """The candidate at boundary m, its evidence from the strongest window (clipped at the
    other edits): None when no window reaches the threshold any more."""
    bb = line.bb
    best: Candidate | None = None
    for st in _tests(line, cfg, np.array([m]), cuts):
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


def _search(line: Line, cfg: Settings, known: list[Candidate], fixed: np.ndarray
            ) -> tuple[list[Candidate], list[ScaleTest]]:
    """New candidates, with windows clipped at the ``known`` edits and the ``fixed`` points
    (edges of spans without the line): phase-step peaks of every window, grouped, located with
    the shortest window that saw each; then level steps and frequency steps (long windows)
    that no phase step explains."""
    bb = line.bb
    cuts = np.array(sorted({c.boundary for c in known} | set(fixed.tolist())), np.int64)
    tests = _tests(line, cfg, cuts=cuts)
    near = [(c.boundary, max(2 * c.half_width * bb.r1, 0.25 * bb.r1)) for c in known]
    out: list[Candidate] = []
    found = [(float(st.z_phase[j]) / cfg.z_phase, int(st.m[j]), st.n)
             for st in tests for j in peaks(st.z_phase, PRE * cfg.z_phase, GRID)]
    for g in _group(found):
        _, m0, n0 = min(g, key=lambda p: p[2])
        if any(abs(m0 - b) <= d for b, d in near):
            continue
        c = _located(line, cfg, g, cuts)
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
        c = _evaluate(line, cfg, m, n / 2, "frequency", cuts)
        if c is not None:
            out.append(c)
    out += _level_steps(line, cfg, tests, known + out, near, cuts)
    return out, tests


def _located(line: Line, cfg: Settings, group: list[tuple[float, int, int]], cuts: np.ndarray
             ) -> Candidate | None:
    """The candidate a group of phase-step peaks marks: located from each window's peak (a
    short window's peak can sit on speech and locate the change point seconds away where a
    longer one's does not), the strongest located point that keeps the evidence; else a level
    step at the shortest window's located point (the line may start or stop there); else the
    strongest peak itself (the located points lost the evidence to noise)."""
    members = sorted(group, key=lambda p: p[2])
    best: Candidate | None = None
    first: tuple[int, float] | None = None
    for _, m0, n0 in members:
        m, half = locate(line, m0, n0, cuts)
        first = first or (m, half)
        c = _evaluate(line, cfg, m, half, "phase", cuts)
        if c is not None and (best is None or c.strength > best.strength):
            best = c
    if best is None and first is not None:
        best = _evaluate(line, cfg, first[0], first[1], "level", cuts)
    if best is None:
        for _, m0, n0 in members:
            c = _evaluate(line, cfg, m0, n0 / 2, "phase", cuts)
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


def _level_steps(line: Line, cfg: Settings, tests: list[ScaleTest], taken: list[Candidate],
                 near: list[tuple[int, float]], cuts: np.ndarray) -> list[Candidate]:
    """Candidates where the line's level steps (long windows) away from every step already
    found: the boundary located as the change point of the line's phasor, which a level step
    moves as a phase step does."""
    bb = line.bb
    busy = [(c.boundary, int(round(c.window * bb.r1))) for c in taken]
    found = _long_peaks(tests, "z_level", cfg.level_min_window * bb.r1, cfg.z_phase,
                        lambda m, w: not any(abs(m - b) <= max(n, w) for b, n in busy)
                        and not any(abs(m - b) <= d for b, d in near))
    out = []
    for g in _group(found):
        _, m0, n0 = min(g, key=lambda p: p[2])
        m, half = locate(line, m0, n0, cuts)
        c = _evaluate(line, cfg, m, half, "level", cuts)
        if c is None:
            c = _evaluate(line, cfg, m0, n0 / 2, "level", cuts)
        if c is not None:
            out.append(c)
    return out


def candidates(line: Line, cfg: Settings, fixed: np.ndarray | None = None
               ) -> tuple[list[Candidate], list[ScaleTest]]:
    """Binary-segmentation style: find candidates, then re-measure each with windows that stop
    at its neighbours (two edits a few seconds apart must not share a window), drop those that
    no longer reach the threshold, and search again between them, until nothing changes."""
    bb = line.bb
    fixed = np.zeros(0, np.int64) if fixed is None else fixed
    accepted: list[Candidate] = []
    first: list[ScaleTest] = []
    for _ in range(MAX_ROUNDS):
        new, tests = _search(line, cfg, accepted, fixed)
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
                    m, half = locate(line, c.boundary, max(2, int(round(c.window * bb.r1))),
                                     cuts)
                e = _evaluate(line, cfg, m, half, c.kind, cuts)
                if e is None and m != c.boundary:
                    e = _evaluate(line, cfg, c.boundary, c.half_width * bb.r1, c.kind, cuts)
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
