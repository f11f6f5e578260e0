"""One continuity audit run: its inputs, and the findings it adds under the policy's rules.

The checks (:mod:`.claims`, :mod:`.gaps`, :mod:`.acts`) each take an :class:`Audit` and add to
its findings; :func:`auditor.session.continuity.audit_continuity` runs them in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from ..findings import Finding
from .policy import Policy
from .record import Session
from .timeline import Coverage, Interval
from .wording import format_span, iso

__all__ = ["DETECTOR", "NEAR", "SOURCE_CONFIDENCE", "Audit"]

DETECTOR = "continuity"

#: How far a finding can be trusted, by where the recording's start came from.
SOURCE_CONFIDENCE = {"record": 1.0, "embedded": 0.9, "filename": 0.8, None: 0.7}
#: How close a file's end (start) must be to a gap's start (end) to count as next to it.
NEAR = timedelta(seconds=1)


class Audit:
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
                wall_start=iso(self.session, span.start),
                wall_end=iso(self.session, span.end),
                rule=self.policy.ref(rule_id),
            )
        )

    def span_text(self, span: Interval) -> str:
        return format_span(self.session, span.start, span.end)
