"""Session time not recorded that the policy tolerates: the spans inside its grace periods.

The continuity audit (:func:`auditor.session.gaps.unrecorded`) reports session time outside
breaks that no recording covers, except a span shorter than ``min_gap_s``, or next to a break
and within ``break_grace_s``, or at the session's opening or close and within ``start_grace_s`` /
``end_grace_s``. A timeline that left those spans out would show jumps no line explains; this
module names them, with the tolerance that lets each pass; :func:`unrecorded_spans` is the one
definition of those tests, which the continuity audit uses too.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .record import Session
from .terms import Tolerances
from .timeline import Coverage, Interval, subtract, union

__all__ = ["GraceSpan", "grace_spans", "unrecorded_spans"]


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
    tol = _as_dict(tolerances)
    return [GraceSpan(gap, rule, float(tol[rule]))
            for gap, _, rule in unrecorded_spans(session, coverages, tol) if rule is not None]


def unrecorded_spans(
    session: Session,
    coverages: Sequence[Coverage],
    tolerances: Tolerances | Mapping[str, float],
) -> list[tuple[Interval, str, str | None]]:
    """Every span of the session outside breaks that no recording covers, in time order.

    Returns
    -------
    list of (Interval, str, str or None)
        The span; where it lies: ``"start"`` (before the first recording), ``"end"`` (after
        the last) or ``"between"``; and the tolerance that leaves it unreported
        (``min_gap_s``, ``break_grace_s``, ``start_grace_s``, ``end_grace_s``), or None when
        the continuity audit reports it.
    """
    tol = _as_dict(tolerances)
    breaks = [Interval(b.start, b.end) for b in session.breaks]
    covered = union(span for c in coverages if c.claimed is not None for span in c.covered())
    first = covered[0].start if covered else None
    last = covered[-1].end if covered else None
    out = []
    for gap in subtract([Interval(session.start, session.end)], breaks + covered):
        place = ("start" if first is not None and gap.end <= first
                 else "end" if last is not None and gap.start >= last else "between")
        out.append((gap, place, _tolerated(gap, place, session, breaks, tol)))
    return out


def _as_dict(tolerances: Tolerances | Mapping[str, float]) -> dict[str, float]:
    return dict(dataclasses.asdict(tolerances) if isinstance(tolerances, Tolerances)
                else tolerances)


def _tolerated(gap: Interval, place: str, session: Session, breaks: list[Interval],
               tol: Mapping[str, float]) -> str | None:
    if gap.seconds < float(tol.get("min_gap_s", 0.0)):
        return "min_gap_s"
    near_break = any(gap.start == b.end or gap.end == b.start for b in breaks)
    if near_break and gap.seconds <= float(tol.get("break_grace_s", -1.0)):
        return "break_grace_s"
    if place == "start":
        if gap.start == session.start and gap.seconds <= float(tol.get("start_grace_s", -1.0)):
            return "start_grace_s"
    elif place == "end":
        if gap.end == session.end and gap.seconds <= float(tol.get("end_grace_s", -1.0)):
            return "end_grace_s"
    return None
