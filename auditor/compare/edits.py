"""From an alignment path to what was done to the copy: missing, inserted and altered spans.

The path's matched segments that follow the reference in order make the **chain** (the
heaviest sequence whose reference position keeps advancing; a segment matched somewhere else
in the reference, such as a passage repeated from elsewhere, is off the chain). Between two
consecutive links of the chain (and before the first and after the last, against the start
and end of both files) the copy advances ``gc`` seconds and the reference ``gr``:

* ``gc - gr >= min_span``: the copy holds ``gc - gr`` seconds the reference does not have
  there (**inserted_in_copy**); that length is the difference of the two offsets, known to
  20 ms, and the span is placed by both of its boundaries' estimates (their mean);
* ``gr - gc >= min_span``: reference audio absent from the copy (**missing_in_copy**);
* both ``gc`` and ``gr >= min_span`` (less half a frame: a changed span shows only on the
  frames wholly inside it): aligned time whose audio is not the reference's
  (muted, replaced, overdubbed: **altered_in_copy**), with a missing or inserted remainder
  when the two lengths differ by ``min_span`` or more.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .align import Segment
from .fingerprint import FRAME_S, HOP, TIME0

__all__ = ["Edit", "Comparison", "find_edits"]

MISSING, INSERTED, ALTERED = "missing_in_copy", "inserted_in_copy", "altered_in_copy"
#: shortest matched segment that links the chain (s)
MIN_LINK = 0.5


@dataclass(frozen=True)
class Edit:
    """One difference, in seconds of both files (a point in one file has start == end)."""

    kind: str
    copy_start: float
    copy_end: float
    ref_start: float
    ref_end: float
    confidence: float
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Comparison:
    """The result of comparing a copy with its reference."""

    edits: list[Edit]
    segments: list[dict[str, Any]]
    offset: float
    speed_ratio: float
    coverage: float
    reference_duration: float
    copy_duration: float


def _t(frame: float) -> float:
    return TIME0 + frame * HOP


def _times(seg: Segment, copy_duration: float, n_frames: int) -> tuple[float, float]:
    start = 0.0 if seg.start <= 0 else _t(seg.start)
    end = copy_duration if seg.end >= n_frames else _t(seg.end)
    return start, end


def _chain(segs: list[Segment]) -> list[int]:
    """Indices of the heaviest chain of matched segments advancing in the reference."""
    # a match shorter than MIN_LINK (a step or two between two unmatched stretches) is no
    # evidence of where the copy is
    idx = [i for i, s in enumerate(segs) if s.offset is not None
           and (s.end - s.start) * HOP >= MIN_LINK]
    if not idx:
        return []
    weight = {i: segs[i].end - segs[i].start for i in idx}
    best: dict[int, float] = {}
    prev: dict[int, int | None] = {}
    for n, i in enumerate(idx):
        best[i], prev[i] = weight[i], None
        for j in idx[:n]:
            # reference audio heard twice is unlikely: each second of overlap costs two
            overlap = max(0.0, segs[j].ref_end - segs[i].ref_start)
            score = best[j] + weight[i] - 2 * overlap
            if segs[i].ref_end > segs[j].ref_end and segs[i].ref_start > segs[j].ref_start \
                    and score > best[i]:
                best[i], prev[i] = score, j
    end: int | None = max(idx, key=lambda i: (best[i], -i))
    chain = []
    while end is not None:
        chain.append(end)
        end = prev[end]
    return chain[::-1]


def _quality(ber: float) -> float:
    """A match's bit error rate as 0..1: 1 at BER 0.1 or less, 0 at 0.45 (chance is 0.5)."""
    return float(np.clip((0.45 - ber) / 0.35, 0.0, 1.0))


def find_edits(segs: list[Segment], *, n_frames: int, copy_duration: float,
               reference_duration: float, min_span: float = 0.75,
               drift_hops: int = 8, usable: np.ndarray | None = None,
               reference_stride: int = 8) -> Comparison:
    """Classify the gaps of the chain (see the module docstring) into :class:`Edit` values.

    ``usable`` marks the reference words that could show a difference (one per
    ``reference_stride`` hops); an altered span that comes with an insertion or a cut needs
    ``min_span`` seconds of them (else it is the edge of a pause, where no one can tell).
    """
    step = reference_stride * HOP

    def evidence(r0: float, r1: float) -> float:
        if usable is None:
            return r1 - r0
        a = max(0, int(np.ceil((r0 - TIME0) / step)))
        b = min(usable.size, int(np.floor((r1 - TIME0) / step)) + 1)
        return float(usable[a:b].sum()) * step if b > a else 0.0

    chain = _chain(segs)
    # copy a, b; ref a, b; ber; spread of the start and end boundaries
    links: list[tuple[float, ...]] = []
    for i in chain:
        a, b = _times(segs[i], copy_duration, n_frames)
        off = (segs[i].offset or 0) * HOP
        links.append((a, b, a + off, b + off, segs[i].ber, segs[i].start_spread,
                      segs[i].end_spread))
    edits: list[Edit] = []
    nodes = [(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0), *links,
             (copy_duration, copy_duration, reference_duration, reference_duration, 0.0, 0.0,
              0.0)]
    for left, right in zip(nodes[:-1], nodes[1:], strict=True):
        edits += _gap(left, right, segs, copy_duration, n_frames, min_span, evidence)
    covered = _union([(max(0.0, ln[2]), min(reference_duration, ln[3])) for ln in links])
    drift = steady = 0.0
    for one, two, x, y in zip(chain[:-1], chain[1:], links[:-1], links[1:], strict=True):
        step = (segs[two].offset or 0) - (segs[one].offset or 0)
        if abs(step) <= drift_hops:
            drift += step * HOP
            steady += (x[1] - x[0] + y[1] - y[0]) / 2
    span = sum(ln[1] - ln[0] for ln in links)
    ratio = 1.0 + drift / span if span > 0 and steady > 0 else 1.0
    rows = []
    for seg in segs:
        a, b = _times(seg, copy_duration, n_frames)
        row: dict[str, Any] = {"copy_start": round(a, 3), "copy_end": round(b, 3),
                               "offset": None if seg.offset is None
                               else round(seg.offset * HOP, 3),
                               "ber": round(seg.ber, 4)}
        rows.append(row)
    return Comparison(edits=edits, segments=rows,
                      offset=links[0][2] - links[0][0] if links else 0.0,
                      speed_ratio=ratio,
                      coverage=covered / reference_duration if reference_duration > 0 else 0.0,
                      reference_duration=reference_duration, copy_duration=copy_duration)


def _mean(x: float, spread_x: float, y: float, spread_y: float) -> float:
    """Two estimates of one time, weighed by the inverse of their uncertainty (s)."""
    wx, wy = 1.0 / (spread_x + 0.1), 1.0 / (spread_y + 0.1)
    return (wx * x + wy * y) / (wx + wy)


def _union(spans: list[tuple[float, float]]) -> float:
    total, reach = 0.0, -np.inf
    for a, b in sorted(spans):
        if b > reach:
            total += b - max(a, reach)
            reach = b
    return total


def _gap(left: tuple[float, ...], right: tuple[float, ...], segs: list[Segment],
         copy_duration: float, n_frames: int, min_span: float,
         evidence_s: Callable[[float, float], float]) -> list[Edit]:
    c0, r0, c1, r1 = left[1], left[3], right[0], right[2]
    gc, gr = c1 - c0, r1 - r0
    extra = gc - gr
    conf = min(_quality(left[4]) if left is not None and left[1] > 0 else 1.0,
               _quality(right[4]) if right[0] < copy_duration else 1.0)
    evidence: dict[str, Any] = {"copy_gap": round(gc, 3), "reference_gap": round(gr, 3),
                                "ber_before": round(left[4], 4), "ber_after": round(right[4], 4)}
    if left[6] or right[5]:   # a boundary in a pause: placed in its middle, this uncertain
        evidence["boundary_uncertainty"] = round(max(left[6], right[5]) / 2, 2)
    elsewhere = [s for s in segs if s.offset is not None and (s.end - s.start) * HOP >= MIN_LINK
                 and _times(s, copy_duration, n_frames)[0] >= c0 - 1e-6
                 and _times(s, copy_duration, n_frames)[1] <= c1 + 1e-6]
    if elsewhere:
        evidence["matches_reference_elsewhere"] = [
            {"copy_start": round(a, 3), "copy_end": round(b, 3),
             "reference_start": round(a + (s.offset or 0) * HOP, 3),
             "reference_end": round(b + (s.offset or 0) * HOP, 3)}
            for s in elsewhere for a, b in [_times(s, copy_duration, n_frames)]]
    out: list[Edit] = []
    # a changed span shows on frames wholly inside it: it looks shorter by up to half a frame
    smear = FRAME_S / 2
    altered = gc + smear >= min_span and gr + smear >= min_span
    if altered and abs(extra) >= min_span:
        altered = evidence_s(r0, r1) >= min_span
    if altered:
        out.append(Edit(ALTERED, c0, c1, r0, r1, conf, dict(evidence)))
        if extra >= min_span:
            out.append(Edit(INSERTED, c1 - extra, c1, r1, r1, conf, dict(evidence)))
        elif -extra >= min_span:
            out.append(Edit(MISSING, c1, c1, r1 + extra, r1, conf, dict(evidence)))
    elif extra >= min_span:
        # both boundaries' estimates, each weighed by how sharply the bits placed it
        start = max(0.0, _mean(c0, left[6], c1 - extra, right[5]))
        at = max(0.0, _mean(r0, left[6], r1, right[5]))
        out.append(Edit(INSERTED, start, min(copy_duration, start + extra), at, at, conf,
                        evidence))
    elif -extra >= min_span:
        at = max(0.0, _mean(c0, left[6], c1, right[5]))
        start = max(0.0, _mean(r0, left[6], r1 + extra, right[5]))
        out.append(Edit(MISSING, at, at, start, start - extra, conf, evidence))
    return out
