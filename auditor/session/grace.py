"""Session time not recorded that the policy tolerates: the spans inside its grace periods.

The continuity audit (:func:`auditor.session.gaps.unrecorded`) reports session time outside
breaks that no recording covers, except a span shorter than ``min_gap_s``, or next to a break
and within ``break_grace_s``, or at the session's opening or close and within ``start_grace_s`` /
``end_grace_s``. A timeline that left those spans out would show jumps no line explains; this
module names them, with the tolerance that lets each pass, in the same order of tests.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from .record import Session
from .terms import Tolerances
from .timeline import Coverage, Interval, subtract, union

__all__ = ["GraceSpan", "grace_spans"]


@dataclass(frozen=True)
class GraceSpan:
    """A span not recorded and not reported: ``rule`` names the tolerance (``start_grace_s``,
    ``end_grace_s``, ``break_grace_s`` or ``min_gap_s``), ``limit`` its value in seconds."""

    span: Interval
    rule: str
    limit: float


def grace_spans(
    session: Session,
    coverages: Sequence[Coverage],
    tolerances: Tolerances | Mapping[str, float],
) -> list[GraceSpan]:
    """The unrecorded spans of the session that the policy's tolerances leave unreported.

    Parameters
    ----------
    session
        The session record.
    coverages
        One coverage per file, as the continuity audit used them.
    tolerances
        The policy's tolerances (a :class:`Tolerances`, or its JSON mapping).

    Returns
    -------
    list of GraceSpan
        In time order.
    """
    tol = dict(dataclasses.asdict(tolerances) if isinstance(tolerances, Tolerances)
               else tolerances)
    breaks = [Interval(b.start, b.end) for b in session.breaks]
    covered = union(span for c in coverages if c.claimed is not None for span in c.covered())
    first = covered[0].start if covered else None
    last = covered[-1].end if covered else None
    out = []
    for gap in subtract([Interval(session.start, session.end)], breaks + covered):
        rule = _tolerated(gap, session, breaks, first, last, tol)
        if rule is not None:
            out.append(GraceSpan(gap, rule, float(tol[rule])))
    return out


def _tolerated(gap: Interval, session: Session, breaks: list[Interval], first: datetime | None,
               last: datetime | None, tol: dict[str, float]) -> str | None:
    if gap.seconds < float(tol.get("min_gap_s", 0.0)):
        return "min_gap_s"
    near_break = any(gap.start == b.end or gap.end == b.start for b in breaks)
    if near_break and gap.seconds <= float(tol.get("break_grace_s", -1.0)):
        return "break_grace_s"
    if first is not None and gap.end <= first:
        if gap.start == session.start and gap.seconds <= float(tol.get("start_grace_s", -1.0)):
            return "start_grace_s"
    elif last is not None and gap.start >= last:
        if gap.end == session.end and gap.seconds <= float(tol.get("end_grace_s", -1.0)):
            return "end_grace_s"
    return None
