"""``auditor scan ... --session``: scan the recordings and audit them against the session record."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from .detect import ScanParams
from .errors import AuditorError, MediaError
from .findings import Finding
from .scan import FileScan, Unreadable, check_detectors, scan_file
from .scanner import scan_report
from .session import (
    Recording,
    audit_continuity,
    build_coverage,
    load_policy,
    load_session,
    render_timeline,
)

__all__ = ["scan_with_session", "declared_paths", "uncovered_spans", "LONG_DIGITAL_SILENCE"]

#: Digital silence at least this long does not count as recorded time.
LONG_DIGITAL_SILENCE = 1.0


def uncovered_spans(findings: list[Finding]) -> list[tuple[float, float]]:
    """Spans of a file (s) that are not real recording: time gaps and long digital silence."""
    spans = []
    for f in findings:
        if f.start is None or f.end is None or f.end <= f.start:
            continue
        if f.kind == "timestamp_gap" or (
            f.kind == "digital_silence" and f.end - f.start >= LONG_DIGITAL_SILENCE
        ):
            spans.append((float(f.start), float(f.end)))
    return sorted(spans)


def declared_paths(session_path: str) -> list[str]:
    """The paths of the recordings a session record declares (resolved like the audit does)."""
    session = load_session(session_path)
    return [os.fspath(session.resolve(r)) for r in session.recordings]


def _key(path: str | os.PathLike[str]) -> str:
    return os.path.normcase(os.path.realpath(path))


def scan_with_session(
    files: list[str], session_path: str, policy_name: str, params: ScanParams, *,
    created: datetime | None = None, progress: Callable[[str, float, float], None] | None = None,
) -> tuple[dict[str, Any], str]:
    """Scan ``files`` (or, when empty, the recordings the record declares) and audit continuity.

    A declared recording that is absent or unreadable is a ``missing_file`` finding, not an error;
    a file given on the command line that cannot be read goes to the report's ``unreadable`` list
    (and the command exits 2).
    """
    check_detectors(params)
    session = load_session(session_path)
    policy = load_policy(policy_name)
    declared = {_key(session.resolve(r)): r for r in session.recordings}
    given = {_key(f): f for f in files}
    scans: list[FileScan] = []
    coverages = []
    for key, rec in declared.items():
        path = session.resolve(rec)
        if files and key not in given:
            coverages.append(build_coverage(rec, None, session=session,
                                            name_patterns=policy.name_patterns,
                                            problem="not among the files given to the audit"))
            continue
        if not Path(path).exists():
            coverages.append(build_coverage(rec, None, session=session,
                                            name_patterns=policy.name_patterns,
                                            problem="not found"))
            continue
        try:
            result = scan_file(path, params, label=given.get(key, rec.file), progress=progress)
        except MediaError as exc:
            coverages.append(build_coverage(rec, None, session=session,
                                            name_patterns=policy.name_patterns,
                                            problem=exc.diagnostics()))
            continue
        scans.append(result)
        coverages.append(build_coverage(rec, result.info, session=session,
                                        uncovered=uncovered_spans(result.findings),
                                        name_patterns=policy.name_patterns))
    unreadable: list[Unreadable] = []
    for key, f in given.items():
        if key in declared:
            continue
        try:
            result = scan_file(f, params, progress=progress)
        except AuditorError as exc:
            unreadable.append(Unreadable(f, exc.diagnostics()))
            continue
        scans.append(result)
        coverages.append(build_coverage(Recording(f), result.info, session=session,
                                        uncovered=uncovered_spans(result.findings),
                                        name_patterns=policy.name_patterns))
    continuity = audit_continuity(session, coverages, policy)
    report = scan_report(scans, params, created=created, session=session.to_json(),
                         extra_findings=continuity, unreadable=unreadable)
    report["tool"]["parameters"] = {**report["tool"]["parameters"], "policy": policy.to_json()}
    return report, render_timeline(session, coverages, continuity)
