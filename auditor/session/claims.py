"""What the files claim, against the record: declared files that are absent (``missing_file``),
starts that contradict the record or lie outside the session (``timestamp_mismatch``), and two
files that claim the same time (``overlap``)."""

from __future__ import annotations

from .audit import SOURCE_CONFIDENCE, Audit
from .record import file_key
from .timeline import Interval, intersect
from .wording import clock, format_duration, iso

__all__ = ["missing_files", "overlaps", "timestamps"]


def missing_files(audit: Audit) -> None:
    given = {file_key(c.file) for c in audit.coverages}
    absent = [(c.file, c.wall_start, c.missing) for c in audit.coverages if c.missing]
    for rec in audit.session.recordings:
        if file_key(rec.file) not in given:
            absent.append((rec.file, rec.start, "not among the files given to the audit"))
    for file, start, why in absent:
        when = start or audit.session.start
        audit.add(
            "missing_file",
            "missing_file",
            Interval(when, when),
            f"{file} is declared in the session record but {why}"
            + (
                f"; it was declared to start at {clock(audit.session, start, True)}"
                if start
                else ""
            ),
            file=file,
            evidence={"reason": why},
        )


def timestamps(audit: Audit) -> None:
    tolerance = audit.tol.timestamp_tolerance_s
    session_span = [Interval(audit.session.start, audit.session.end)]
    for c in audit.present:
        claimed = c.claimed
        assert claimed is not None and c.wall_start is not None
        confidence = SOURCE_CONFIDENCE[c.start_source]
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
                audit.add(
                    "timestamp_mismatch",
                    "timestamp_mismatch",
                    Interval(c.wall_start, c.wall_start),
                    f"{c.file}: the record says it started at "
                    f"{clock(audit.session, c.wall_start, False)}, the start {label} is "
                    f"{clock(audit.session, other, False)} "
                    f"({format_duration(abs(diff))} {'later' if diff > 0 else 'earlier'})",
                    file=c.file,
                    start=0.0,
                    end=0.0,
                    evidence={
                        "record_start": iso(audit.session, c.wall_start),
                        "other_start": iso(audit.session, other),
                        "other_source": "embedded" if label.startswith("embedded") else "filename",
                        "difference_s": diff,
                    },
                    severity=severity,
                )
        if not intersect([claimed], session_span):
            audit.add(
                "timestamp_mismatch",
                "timestamp_mismatch",
                claimed,
                f"{c.file} claims {audit.span_text(claimed)} (start from the "
                f"{c.start_source}), entirely outside the session",
                file=c.file,
                start=0.0,
                end=c.duration,
                confidence=confidence,
                evidence={"start_source": c.start_source},
            )


def overlaps(audit: Audit) -> None:
    ordered = sorted(audit.present, key=lambda c: (c.wall_start, c.file))
    for i, a in enumerate(ordered):
        for b in ordered[i + 1 :]:
            ca, cb = a.claimed, b.claimed
            assert ca is not None and cb is not None
            both = intersect([ca], [cb])
            if not both or both[0].seconds < audit.tol.overlap_min_s:
                continue
            span = both[0]
            audit.add(
                "overlap",
                "overlap",
                span,
                f"{a.file} and {b.file} both claim {audit.span_text(span)} "
                f"({format_duration(span.seconds)}); at least one start time is wrong",
                file=b.file,
                start=b.offset_of(span.start),
                end=b.offset_of(span.end),
                confidence=min(
                    SOURCE_CONFIDENCE[a.start_source], SOURCE_CONFIDENCE[b.start_source]
                ),
                evidence={
                    "other_file": a.file,
                    "other_start": a.offset_of(span.start),
                    "other_end": a.offset_of(span.end),
                    "seconds": span.seconds,
                },
            )
