"""The continuity audit: what the recordings cover, against the court's record of the session.

Session time outside announced breaks that no recording covers is a finding: ``late_start``
before the first recording, ``early_stop`` after the last, ``missing_segment`` in between. Each
unrecorded span is then checked against the acts of failure to record: no act is an
``act_issue`` (an unsanctioned suspension), an act that covers only part of the span is an
``act_issue`` for the rest. A span an act fully explains is still reported, since the hearing was
not recorded, at the lower severity of the policy's ``continuity_explained`` rule. Declared files
that are absent (``missing_file``), files that claim the same time (``overlap``), embedded starts
that contradict the record (``timestamp_mismatch``), and acts signed late, before the failure, with
too few signatures, or for time the recordings do cover (``act_issue``) complete the audit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from ..findings import Finding, format_time, severity_rank
from .policy import Policy
from .record import Session, file_key
from .timeline import Coverage, Interval, intersect, subtract, union

__all__ = ["DETECTOR", "audit_continuity", "format_duration", "format_span"]

DETECTOR = "continuity"

#: How far a finding can be trusted, by where the recording's start came from.
_SOURCE_CONFIDENCE = {"record": 1.0, "embedded": 0.9, "filename": 0.8, None: 0.7}
_NEAR = timedelta(seconds=1)
_ORDER = (
    "missing_file", "late_start", "missing_segment", "early_stop", "overlap",
    "timestamp_mismatch", "act_issue",
)  # fmt: skip


def format_duration(seconds: float) -> str:
    """``"12 min 30 s"``, ``"1 h 5 min"``, ``"2.5 s"`` for messages a person reads."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    total = int(round(seconds))
    h, rem = divmod(total, 3600)
    m, s = divmod(rem, 60)
    parts = [f"{h} h" if h else "", f"{m} min" if m else "", f"{s} s" if s else ""]
    return " ".join(p for p in parts if p)


def _clock(session: Session, when: datetime, with_date: bool) -> str:
    local = session.local(when + timedelta(microseconds=500_000)).replace(microsecond=0)
    return local.strftime("%Y-%m-%d %H:%M:%S" if with_date else "%H:%M:%S")


def format_span(session: Session, start: datetime, end: datetime) -> str:
    """``"10:47:10–10:59:40 (+05:00)"``; with dates when the span leaves the session's first day."""
    day = session.local(session.start).date()
    with_date = session.local(start).date() != day or session.local(end).date() != day
    offset = session.local(start).strftime("%z")
    return (
        f"{_clock(session, start, with_date)}–{_clock(session, end, with_date)} "
        f"({offset[:3]}:{offset[3:]})"
    )


def _iso(session: Session, when: datetime) -> str:
    local = session.local(when)
    return local.isoformat(timespec="seconds" if local.microsecond == 0 else "milliseconds")


class _Audit:
    """One audit run: the inputs, and the findings as they are made."""

    def __init__(self, session: Session, coverages: Sequence[Coverage], policy: Policy) -> None:
        self.session = session
        self.policy = policy
        self.tol = policy.tolerances
        self.coverages = list(coverages)
        self.present = [c for c in self.coverages if c.claimed is not None]
        self.findings: list[Finding] = []

    def add(
        self,
        kind: str,
        rule_id: str,
        span: Interval,
        message: str,
        *,
        file: str | None = None,
        start: float | None = None,
        end: float | None = None,
        confidence: float = 1.0,
        evidence: dict[str, Any] | None = None,
        severity: str | None = None,
    ) -> None:
        rule = self.policy.rule(rule_id)
        if not rule.enabled:
            return
        self.findings.append(
            Finding(
                kind=kind,
                file=file,
                start=start,
                end=end,
                severity=severity or rule.severity,
                confidence=confidence,
                detector=DETECTOR,
                message=message,
                evidence={"rule_text": rule.text, **(evidence or {})},
                wall_start=_iso(self.session, span.start),
                wall_end=_iso(self.session, span.end),
                rule=self.policy.ref(rule_id),
            )
        )

    def span_text(self, span: Interval) -> str:
        return format_span(self.session, span.start, span.end)

    # -- files ------------------------------------------------------------------------------

    def missing_files(self) -> None:
        given = {file_key(c.file) for c in self.coverages}
        absent = [(c.file, c.wall_start, c.missing) for c in self.coverages if c.missing]
        for rec in self.session.recordings:
            if file_key(rec.file) not in given:
                absent.append((rec.file, rec.start, "not among the files given to the audit"))
        for file, start, why in absent:
            when = start or self.session.start
            self.add(
                "missing_file",
                "missing_file",
                Interval(when, when),
                f"{file} is declared in the session record but {why}"
                + (
                    f"; it was declared to start at {_clock(self.session, start, True)}"
                    if start
                    else ""
                ),
                file=file,
                evidence={"reason": why},
            )

    def timestamps(self) -> None:
        tolerance = self.tol.timestamp_tolerance_s
        session_span = [Interval(self.session.start, self.session.end)]
        for c in self.present:
            claimed = c.claimed
            assert claimed is not None and c.wall_start is not None
            confidence = _SOURCE_CONFIDENCE[c.start_source]
            if c.start_source == "record":
                for label, other, severity in (
                    ("embedded in the file", c.embedded_start, None),
                    ("in the file's name", None if c.embedded_start else c.name_start, "info"),
                ):
                    if other is None:
                        continue
                    diff = (other - c.wall_start).total_seconds()
                    if abs(diff) <= tolerance:
                        continue
                    self.add(
                        "timestamp_mismatch",
                        "timestamp_mismatch",
                        Interval(c.wall_start, c.wall_start),
                        f"{c.file}: the record says it started at "
                        f"{_clock(self.session, c.wall_start, False)}, the start {label} is "
                        f"{_clock(self.session, other, False)} "
                        f"({format_duration(abs(diff))} {'later' if diff > 0 else 'earlier'})",
                        file=c.file,
                        start=0.0,
                        end=0.0,
                        evidence={
                            "record_start": _iso(self.session, c.wall_start),
                            "other_start": _iso(self.session, other),
                            "other_source": "embedded"
                            if label.startswith("embedded")
                            else "filename",
                            "difference_s": diff,
                        },
                        severity=severity,
                    )
            if not intersect([claimed], session_span):
                self.add(
                    "timestamp_mismatch",
                    "timestamp_mismatch",
                    claimed,
                    f"{c.file} claims {self.span_text(claimed)} (start from the "
                    f"{c.start_source}), entirely outside the session",
                    file=c.file,
                    start=0.0,
                    end=c.duration,
                    confidence=confidence,
                    evidence={"start_source": c.start_source},
                )

    def overlaps(self) -> None:
        ordered = sorted(self.present, key=lambda c: (c.wall_start, c.file))
        for i, a in enumerate(ordered):
            for b in ordered[i + 1 :]:
                ca, cb = a.claimed, b.claimed
                assert ca is not None and cb is not None
                both = intersect([ca], [cb])
                if not both or both[0].seconds < self.tol.overlap_min_s:
                    continue
                span = both[0]
                self.add(
                    "overlap",
                    "overlap",
                    span,
                    f"{a.file} and {b.file} both claim {self.span_text(span)} "
                    f"({format_duration(span.seconds)}); at least one start time is wrong",
                    file=b.file,
                    start=b.offset_of(span.start),
                    end=b.offset_of(span.end),
                    confidence=min(
                        _SOURCE_CONFIDENCE[a.start_source], _SOURCE_CONFIDENCE[b.start_source]
                    ),
                    evidence={
                        "other_file": a.file,
                        "other_start": a.offset_of(span.start),
                        "other_end": a.offset_of(span.end),
                        "seconds": span.seconds,
                    },
                )

    # -- unrecorded time ----------------------------------------------------------------------

    def unrecorded(self) -> None:
        s = self.session
        breaks = [Interval(b.start, b.end) for b in s.breaks]
        covered = union(span for c in self.present for span in c.covered())
        gaps = subtract([Interval(s.start, s.end)], breaks + covered)
        first = covered[0].start if covered else None
        last = covered[-1].end if covered else None
        for gap in gaps:
            if gap.seconds < self.tol.min_gap_s:
                continue
            near_break = any(gap.start == b.end or gap.end == b.start for b in breaks)
            if near_break and gap.seconds <= self.tol.break_grace_s:
                continue
            if first is not None and gap.end <= first:
                kind, rule_id = "late_start", "late_start"
                if gap.start == s.start and gap.seconds <= self.tol.start_grace_s:
                    continue
            elif last is not None and gap.start >= last:
                kind, rule_id = "early_stop", "early_stop"
                if gap.end == s.end and gap.seconds <= self.tol.end_grace_s:
                    continue
            else:
                kind, rule_id = "missing_segment", "continuity"
            self.report_gap(gap, kind, rule_id)

    def report_gap(self, gap: Interval, kind: str, rule_id: str) -> None:
        acts = [Interval(a.start, a.end) for a in self.session.acts]
        explained = intersect([gap], acts)
        unexplained = [
            u
            for u in subtract([gap], acts)
            if u.seconds > max(self.tol.act_tolerance_s, self.tol.min_gap_s)
        ]
        where, file, start, end, evidence = self.locate(gap)
        confidence = evidence.pop("confidence")
        declared = self.declared_missing(gap)
        if declared:
            evidence["declared_missing_files"] = declared
        head = {
            "late_start": f"recording began {format_duration(gap.seconds)} after the session "
            f"opened: {self.span_text(gap)} not recorded",
            "early_stop": f"recording ended {format_duration(gap.seconds)} before the session "
            f"closed: {self.span_text(gap)} not recorded",
            "missing_segment": f"{format_duration(gap.seconds)} of the session not recorded, "
            f"{self.span_text(gap)}",
        }[kind]
        head += f"{where}, outside any announced break"
        if declared:
            head += f"; the record declares {', '.join(declared)} for this time, but it is missing"
        evidence["acts"] = [
            i
            for i, a in enumerate(self.session.acts)
            if intersect([gap], [Interval(a.start, a.end)])
        ]
        evidence["explained_by_act"] = (
            "none" if not explained else "partial" if unexplained else "full"
        )
        severity = None
        if not explained:
            message = f"{head}; no act explains it"
        elif not unexplained:
            message = f"{head}; an act explains it ({self.act_reasons(gap)})"
            lower = self.policy.rule("continuity_explained").severity
            if kind == "missing_segment":
                rule_id = "continuity_explained"
            elif severity_rank(lower) < severity_rank(self.policy.rule(rule_id).severity):
                severity = lower
        else:
            message = f"{head}; an act explains only part of it"
        self.add(
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
            self.add(
                "act_issue",
                "suspension",
                gap,
                f"no act of failure to record explains the {format_duration(gap.seconds)} not "
                f"recorded at {self.span_text(gap)}{where}: an unsanctioned suspension of the "
                "recording",
                file=file,
                start=start,
                end=end,
                confidence=confidence,
            )
            return
        for piece in unexplained:
            self.add(
                "act_issue",
                "act_partial",
                piece,
                f"the act for this gap ({self.act_reasons(gap)}) does not cover "
                f"{self.span_text(piece)} ({format_duration(piece.seconds)}) of the "
                f"{format_duration(gap.seconds)} not recorded, {self.span_text(gap)}",
                confidence=confidence,
                evidence={
                    "gap_start": _iso(self.session, gap.start),
                    "gap_end": _iso(self.session, gap.end),
                },
            )

    def act_reasons(self, gap: Interval) -> str:
        parts = []
        for a in self.session.acts:
            if intersect([gap], [Interval(a.start, a.end)]):
                parts.append(
                    f"{a.reason or 'no reason given'}, {format_span(self.session, a.start, a.end)}"
                )
        return "; ".join(parts)

    def locate(
        self, gap: Interval
    ) -> tuple[str, str | None, float | None, float | None, dict[str, Any]]:
        """Where a gap lies: inside one file, after the last, before the first, or between."""
        for c in self.present:
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
                    {"confidence": _SOURCE_CONFIDENCE[c.start_source], "inside_file": True},
                )
        before = [
            c for c in self.present if c.wall_end is not None and c.wall_end <= gap.start + _NEAR
        ]
        after = [
            c for c in self.present if c.wall_start is not None and c.wall_start >= gap.end - _NEAR
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
        evidence["confidence"] = min((_SOURCE_CONFIDENCE[s] for s in sources), default=1.0)
        if nxt is not None and prev is None:
            return f" (before {nxt.file})", nxt.file, 0.0, 0.0, evidence
        if prev is not None and nxt is None:
            return f" (after {prev.file})", prev.file, prev.duration, prev.duration, evidence
        if prev is not None and nxt is not None:
            return f" (between {prev.file} and {nxt.file})", None, None, None, evidence
        return "", None, None, None, evidence

    def declared_missing(self, gap: Interval) -> list[str]:
        """Missing declared files whose declared start falls inside ``gap``."""
        given = {file_key(c.file): c for c in self.coverages}
        out = []
        for rec in self.session.recordings:
            cov = given.get(file_key(rec.file))
            start = rec.start if cov is None else cov.wall_start
            if (cov is None or cov.missing) and start is not None:
                if gap.start - _NEAR <= start < gap.end:
                    out.append(rec.file)
        return out

    # -- acts -------------------------------------------------------------------------------

    def acts(self) -> None:
        s, tol = self.session, self.tol
        covered = union(span for c in self.present for span in c.covered())
        limit = s.end + timedelta(hours=tol.act_signing_max_delay_h)
        for i, act in enumerate(s.acts):
            span = Interval(act.start, act.end)
            label = f"act {i + 1} ({act.reason or 'no reason given'}, {self.span_text(span)})"
            ev: dict[str, Any] = {"act": i}
            if act.signed_at is None:
                self.add(
                    "act_issue",
                    "act_signatures",
                    span,
                    f"{label} does not say when it was signed",
                    evidence=ev,
                )
            elif act.signed_at > limit:
                late = (act.signed_at - s.end).total_seconds()
                self.add(
                    "act_issue",
                    "act_late",
                    span,
                    f"{label} was signed {_clock(s, act.signed_at, True)}, "
                    f"{format_duration(late)} after the session closed (the policy allows "
                    f"{tol.act_signing_max_delay_h:g} h); it may have been backdated",
                    evidence={**ev, "signed_at": _iso(s, act.signed_at), "delay_s": late},
                )
            elif act.signed_at < act.start:
                self.add(
                    "act_issue",
                    "act_late",
                    span,
                    f"{label} was signed {_clock(s, act.signed_at, True)}, before the failure "
                    "it records began",
                    evidence={**ev, "signed_at": _iso(s, act.signed_at)},
                )
            if len(act.signed_by) < tol.act_min_signatories:
                self.add(
                    "act_issue",
                    "act_signatures",
                    span,
                    f"{label} carries {len(act.signed_by)} signature(s); the policy requires "
                    f"{tol.act_min_signatories}",
                    evidence={**ev, "signed_by": list(act.signed_by)},
                )
            recorded = intersect([span], covered)
            total = sum(r.seconds for r in recorded)
            if total > max(tol.act_tolerance_s, tol.min_gap_s):
                self.add(
                    "act_issue",
                    "act_contradicted",
                    span,
                    f"{label} says the session was not recorded, but the recordings cover "
                    f"{format_duration(total)} of it: "
                    + ", ".join(self.span_text(r) for r in recorded),
                    evidence={
                        **ev,
                        "recorded": [[_iso(s, r.start), _iso(s, r.end)] for r in recorded],
                    },
                )


def audit_continuity(
    session: Session, coverages: Sequence[Coverage], policy: Policy
) -> list[Finding]:
    """Compare what the recordings cover with the court's record of the session.

    Parameters
    ----------
    session
        The validated session record.
    coverages
        One :class:`~auditor.session.timeline.Coverage` per file (see ``build_coverage``),
        including missing ones (``Coverage.missing`` set). A declared recording with no coverage
        at all is reported as a ``missing_file`` too.
    policy
        Tolerances, severities and citations.

    Returns
    -------
    list of Finding
        Detector ``"continuity"``, ordered by wall-clock time; ``wall_start``/``wall_end`` are in
        the session's offset; ``rule`` names the policy and the provision (``"kz-2015 p.6"``).
        No finding lies inside an announced break.
    """
    audit = _Audit(session, coverages, policy)
    audit.missing_files()
    audit.timestamps()
    audit.overlaps()
    audit.unrecorded()
    audit.acts()
    return sorted(audit.findings, key=lambda f: (f.wall_start or "", _ORDER.index(f.kind)))
