"""The terms a policy sets: the rules it enforces (:data:`RULES`, each a :class:`Rule` with its
severity and citation), the :class:`Tolerances` of the continuity audit, and the
:class:`Retention` period of the recordings. :mod:`.policy` reads them from a policy file."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

__all__ = ["RULES", "Retention", "Rule", "Tolerances"]

#: Rule id -> what it checks (the finding kind it produces).
RULES: Mapping[str, str] = {
    "continuity": "missing_segment: session time not recorded, outside breaks, no act for it",
    "continuity_explained": "missing_segment: session time not recorded, an act explains it",
    "late_start": "late_start: recording began after the session opened",
    "early_stop": "early_stop: recording ended before the session closed",
    "overlap": "overlap: two files claim the same time",
    "missing_file": "missing_file: a declared recording is absent or unreadable",
    "timestamp_mismatch": "timestamp_mismatch: an embedded start contradicts the record",
    "suspension": "act_issue: an unrecorded span with no act",
    "act_partial": "act_issue: an act covers only part of the span it explains",
    "act_late": "act_issue: an act signed long after the session, or before the failure",
    "act_signatures": "act_issue: an act without its signing time or enough signatures",
    "act_contradicted": "act_issue: an act for time the recordings cover",
    "retention": "early_destruction / retention_overdue (archive audit)",
}

@dataclass(frozen=True)
class Tolerances:
    """How far reality may differ from the record before it is a finding (seconds unless named)."""

    start_grace_s: float
    end_grace_s: float
    break_grace_s: float
    min_gap_s: float
    overlap_min_s: float
    timestamp_tolerance_s: float
    act_tolerance_s: float
    act_signing_max_delay_h: float
    act_min_signatories: int


@dataclass(frozen=True)
class Retention:
    """How long recordings are kept: a period counted from ``from_`` (``verdict_in_force``)."""

    from_: str
    years: int = 0
    months: int = 0
    days: int = 0

    def until(self, start: date) -> date:
        """The first day recordings may be destroyed, counting the period from ``start``.

        Parameters
        ----------
        start
            The date the period starts (e.g. the verdict entered into force).

        Returns
        -------
        date
            ``start`` plus the period; the 29th of February maps to the 28th in other years.
        """
        month0 = start.month - 1 + self.months + 12 * self.years
        year, month = start.year + month0 // 12, month0 % 12 + 1
        day = start.day
        while True:
            try:
                shifted = date(year, month, day)
                break
            except ValueError:
                day -= 1
        return shifted + timedelta(days=self.days)


@dataclass(frozen=True)
class Rule:
    """One rule: its severity, the provision it cites, and that provision's text."""

    id: str
    severity: str
    cite: str
    text: str
    enabled: bool = True
