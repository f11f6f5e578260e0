"""Session time no recording covers: the gaps outside breaks and grace periods, where each lies
among the files, and whether an act of failure to record explains it.

A gap before the first recording is ``late_start``, after the last ``early_stop``, in between
``missing_segment``; a gap no act explains adds an ``act_issue`` (an unsanctioned suspension), and
the part of a gap an act does not cover adds an ``act_issue`` of its own.
"""

from __future__ import annotations

from typing import Any

from ..findings import format_time, severity_rank
from .audit import NEAR, SOURCE_CONFIDENCE, Audit
from .grace import unrecorded_spans
from .record import file_key
from .timeline import Interval, intersect, subtract
from .wording import format_duration, format_span, iso

__all__ = ["unrecorded"]


#: where an unreported span lies -> its finding's kind and rule
_KINDS = {"start": ("late_start", "late_start"), "end": ("early_stop", "early_stop"),
          "between": ("missing_segment", "continuity")}


def unrecorded(audit: Audit) -> None:
    for gap, place, tolerated in unrecorded_spans(audit.session, audit.coverages, audit.tol):
        if tolerated is None:
            _report_gap(audit, gap, *_KINDS[place])


def _report_gap(audit: Audit, gap: Interval, kind: str, rule_id: str) -> None:
    acts = [Interval(a.start, a.end) for a in audit.session.acts]
    explained = intersect([gap], acts)
    unexplained = [
        u
        for u in subtract([gap], acts)
        if u.seconds > max(audit.tol.act_tolerance_s, audit.tol.min_gap_s)
    ]
    where, file, start, end, evidence = _locate(audit, gap)
    confidence = evidence.pop("confidence")
    declared = _declared_missing(audit, gap)
    if declared:
        evidence["declared_missing_files"] = declared
    head = {
        "late_start": f"recording began {format_duration(gap.seconds)} after the session "
        f"opened: {audit.span_text(gap)} not recorded",
        "early_stop": f"recording ended {format_duration(gap.seconds)} before the session "
        f"closed: {audit.span_text(gap)} not recorded",
        "missing_segment": f"{format_duration(gap.seconds)} of the session not recorded, "
        f"{audit.span_text(gap)}",
    }[kind]
    head += f"{where}, outside any announced break"
    if declared:
        head += f"; the record declares {', '.join(declared)} for this time, but it is missing"
    evidence["acts"] = [
        i for i, a in enumerate(audit.session.acts) if intersect([gap], [Interval(a.start, a.end)])
    ]
    evidence["explained_by_act"] = "none" if not explained else "partial" if unexplained else "full"
    severity = None
    if not explained:
        message = f"{head}; no act explains it"
    elif not unexplained:
        message = f"{head}; an act explains it ({_act_reasons(audit, gap)})"
        lower = audit.policy.rule("continuity_explained").severity
        if kind == "missing_segment":
            rule_id = "continuity_explained"
        elif severity_rank(lower) < severity_rank(audit.policy.rule(rule_id).severity):
            severity = lower
    else:
        message = f"{head}; an act explains only part of it"
    audit.add(
        kind,
        rule_id,
        gap,
        message,
        file=file,
        start=start,
        end=end,
        confidence=confidence,
        evidence=evidence,
        severity=severity,
    )
    if not explained:
        audit.add(
            "act_issue",
            "suspension",
            gap,
            f"no act of failure to record explains the {format_duration(gap.seconds)} not "
            f"recorded at {audit.span_text(gap)}{where}: an unsanctioned suspension of the "
            "recording",
            file=file,
            start=start,
            end=end,
            confidence=confidence,
        )
        return
    for piece in unexplained:
        audit.add(
            "act_issue",
            "act_partial",
            piece,
            f"the act for this gap ({_act_reasons(audit, gap)}) does not cover "
            f"{audit.span_text(piece)} ({format_duration(piece.seconds)}) of the "
            f"{format_duration(gap.seconds)} not recorded, {audit.span_text(gap)}",
            confidence=confidence,
            evidence={
                "gap_start": iso(audit.session, gap.start),
                "gap_end": iso(audit.session, gap.end),
            },
        )


def _act_reasons(audit: Audit, gap: Interval) -> str:
    parts = []
    for a in audit.session.acts:
        if intersect([gap], [Interval(a.start, a.end)]):
            parts.append(
                f"{a.reason or 'no reason given'}, {format_span(audit.session, a.start, a.end)}"
            )
    return "; ".join(parts)


def _locate(
    audit: Audit, gap: Interval
) -> tuple[str, str | None, float | None, float | None, dict[str, Any]]:
    """Where a gap lies: inside one file, after the last, before the first, or between."""
    for c in audit.present:
        claimed = c.claimed
        assert claimed is not None
        if claimed.start <= gap.start and gap.end <= claimed.end:
            a, b = c.offset_of(gap.start), c.offset_of(gap.end)
            return (
                f" (inside {c.file} at {format_time(a)}–{format_time(b)}, "
                "where it holds no real recording)",
                c.file,
                a,
                b,
                {"confidence": SOURCE_CONFIDENCE[c.start_source], "inside_file": True},
            )
    before = [c for c in audit.present if c.wall_end is not None and c.wall_end <= gap.start + NEAR]
    after = [
        c for c in audit.present if c.wall_start is not None and c.wall_start >= gap.end - NEAR
    ]
    prev = max(before, key=lambda c: c.wall_end or gap.start, default=None)
    nxt = min(after, key=lambda c: c.wall_start or gap.end, default=None)
    evidence: dict[str, Any] = {}
    sources = []
    if prev is not None:
        evidence["before"] = {"file": prev.file, "at": prev.offset_of(gap.start)}
        sources.append(prev.start_source)
    if nxt is not None:
        evidence["after"] = {"file": nxt.file, "at": nxt.offset_of(gap.end)}
        sources.append(nxt.start_source)
    evidence["confidence"] = min((SOURCE_CONFIDENCE[s] for s in sources), default=1.0)
    if nxt is not None and prev is None:
        return f" (before {nxt.file})", nxt.file, 0.0, 0.0, evidence
    if prev is not None and nxt is None:
        return f" (after {prev.file})", prev.file, prev.duration, prev.duration, evidence
    if prev is not None and nxt is not None:
        return f" (between {prev.file} and {nxt.file})", None, None, None, evidence
    return "", None, None, None, evidence


def _declared_missing(audit: Audit, gap: Interval) -> list[str]:
    """Missing declared files whose declared start falls inside ``gap``."""
    given = {file_key(c.file): c for c in audit.coverages}
    out = []
    for rec in audit.session.recordings:
        cov = given.get(file_key(rec.file))
        start = rec.start if cov is None else cov.wall_start
        if (cov is None or cov.missing) and start is not None:
            if gap.start - NEAR <= start < gap.end:
                out.append(rec.file)
    return out
