"""The JSON report of the contract: ``auditor.report/1``.

Same inputs and parameters give the same bytes, apart from ``created``: findings are sorted,
keys keep a fixed order, floats are rounded, and nothing else varies with time or machine.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from .. import __version__
from ..findings import Finding, severity_rank

__all__ = ["SCHEMA", "build_report", "dumps", "exit_code"]

SCHEMA = "auditor.report/1"


def build_report(
    *,
    files: Sequence[dict[str, Any]],
    findings: Iterable[Finding],
    parameters: dict[str, Any],
    session: dict[str, Any] | None = None,
    created: datetime | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Assemble the report dictionary.

    ``created`` defaults to now (UTC, whole seconds); pass it for byte-identical output.
    """
    ordered = sorted(findings, key=Finding.sort_key)
    by_kind = Counter(f.kind for f in ordered)
    by_sev = Counter(f.severity for f in ordered)
    when = (created or datetime.now(UTC)).replace(microsecond=0)
    report: dict[str, Any] = {
        "schema": SCHEMA,
        "tool": {"name": "auditor", "version": __version__, "parameters": parameters},
        "created": when.isoformat(),
        "files": list(files),
        "session": session,
        "findings": [f.to_json() for f in ordered],
        "summary": {
            "findings": len(ordered),
            "by_kind": dict(sorted(by_kind.items())),
            "by_severity": {s: by_sev[s] for s in ("high", "warning", "info") if by_sev[s]},
        },
    }
    if extra:
        report.update(extra)
    return report


def dumps(report: dict[str, Any]) -> str:
    """Serialise a report: UTF-8 text, two-space indent, fixed key order, trailing newline."""
    return json.dumps(report, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def exit_code(findings: Iterable[Finding | dict[str, Any]], fail_on: str) -> int:
    """0 when no finding is at or above ``fail_on``, else 1 (the contract's exit codes)."""
    bar = severity_rank(fail_on)
    for f in findings:
        sev = f.severity if isinstance(f, Finding) else f["severity"]
        if severity_rank(sev) >= bar:
            return 1
    return 0
