"""Mains hum for the false-alarm benchmark's hearings: which stretch of which reference.

A hearing's hum follows the phase of a real mains reference of its split (``_voices.py``),
taken from a stretch that holds no glitch of the reference's own recording
(``_voices.glitches``): a hum built across one would hold a real phase step that no edit made.
"""

from __future__ import annotations

from dataclasses import dataclass

import _splice_cases as sc  # noqa: E402 - bench/ is on sys.path when run as a script
import _voices as vo  # noqa: E402
import numpy as np

EDGE = 3.0  # seconds of each reference left unused


@dataclass(frozen=True)
class Hum(sc.Hum):
    """Mains hum from a stretch of a reference (``_voices.Reference.rel``), RMS ``level_db``:
    the splice benchmark's hum, its phase read as ``_voices`` reads each reference (from the
    harmonic and band the reference needs)."""

    def reference(self) -> tuple[np.ndarray, int]:
        phase, sr, _ = vo.reference_phase(self.ref)
        return phase, sr


def pick_hum(rng: np.random.Generator, split: str, level_db: float, need: float, *,
             nominal: float | None = None, avoid: tuple[str, float] | None = None) -> Hum:
    """Hum from a random reference of ``split`` (of ``nominal`` when given) with room for
    ``need`` seconds; fundamental with 2nd, 3rd and 5th harmonics. ``avoid`` (ref, offset):
    another reference of the same grid, or the same one at least 60 s away."""
    refs = [r for r in vo.references(split, nominal)
            if vo.reference_phase(r.rel)[2] - 2 * EDGE >= need and _fits(r.rel, need)]
    if avoid is not None and rng.random() < 0.5:
        refs = [r for r in refs if r.rel == avoid[0]] or refs
    elif avoid is not None:
        refs = [r for r in refs if r.rel != avoid[0]] or refs
    ref = refs[int(rng.integers(len(refs)))]
    dur = vo.reference_phase(ref.rel)[2]
    lo, hi = EDGE, dur - EDGE - need
    spans = _clear_offsets(ref.rel, lo, hi, need)
    offset = _place(float(rng.uniform(lo, hi)), lo, hi, spans)
    if avoid is not None and ref.rel == avoid[0] and abs(offset - avoid[1]) < 60.0:
        offset = spans[0][0] if avoid[1] - spans[0][0] > spans[-1][1] - avoid[1] else spans[-1][1]
    harmonics = ((1, 1.0, float(rng.uniform(0, 2 * np.pi))),
                 (2, float(rng.uniform(0.1, 0.6)), float(rng.uniform(0, 2 * np.pi))),
                 (3, float(rng.uniform(0.2, 0.8)), float(rng.uniform(0, 2 * np.pi))),
                 (5, float(rng.uniform(0.0, 0.3)), float(rng.uniform(0, 2 * np.pi))))
    return Hum(ref.rel, ref.nominal, round(offset, 3), level_db, harmonics)


def _fits(rel: str, need: float) -> bool:
    """Whether the reference holds ``need`` seconds without a glitch (the independent split's
    references hold glitches mid-file: some hold no 7.5-minute clear stretch)."""
    dur = vo.reference_phase(rel)[2]
    try:
        _clear_offsets(rel, EDGE, dur - EDGE - need, need)
    except ValueError:
        return False
    return True


def _clear_offsets(rel: str, lo: float, hi: float, need: float) -> list[tuple[float, float]]:
    """The offsets in [lo, hi] whose ``need`` seconds of the reference hold no glitch
    (:func:`_voices.glitches`), as intervals; [lo, hi] itself for a clean reference."""
    spans = [(lo, hi)]
    for g0, g1 in vo.glitches(rel):
        cut = (g0 - need, g1)  # offsets whose stretch [offset, offset + need] meets the glitch
        spans = [part for a, b in spans
                 for part in ((a, min(b, cut[0])), (max(a, cut[1]), b)) if part[1] > part[0]]
    if not spans:
        raise ValueError(f"{rel} has no {need:.0f} s stretch without a glitch")
    return spans


def _place(u: float, lo: float, hi: float, spans: list[tuple[float, float]]) -> float:
    """The draw ``u`` (uniform on [lo, hi]) carried onto the clear ``spans`` in proportion: the
    same offset as before for a clean reference, and one random draw either way."""
    if spans == [(lo, hi)]:
        return u
    total = sum(b - a for a, b in spans)
    pos = (u - lo) / max(hi - lo, 1e-12) * total
    for a, b in spans:
        if pos <= b - a:
            return a + pos
        pos -= b - a
    return spans[-1][1]


def grid_of(rng: np.random.Generator) -> float:
    """The hearing's grid: 50 Hz three times in four, else 60 Hz."""
    return 60.0 if rng.random() < 0.25 else 50.0
