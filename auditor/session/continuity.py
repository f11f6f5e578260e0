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

This module runs the checks in order and sorts what they find: :mod:`.claims` (the files),
:mod:`.gaps` (unrecorded time), :mod:`.acts` (the acts on their own), each adding to one
:class:`~.audit.Audit`; :mod:`.wording` writes the times in the messages.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..findings import Finding
from . import acts, claims, gaps
from .audit import DETECTOR, Audit
from .policy import Policy
from .record import Session
from .timeline import Coverage
from .wording import format_duration, format_span

__all__ = ["DETECTOR", "audit_continuity", "format_duration", "format_span"]

_ORDER = (
    "missing_file", "late_start", "missing_segment", "early_stop", "overlap",
    "timestamp_mismatch", "act_issue",
)  # fmt: skip


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
    audit = Audit(session, coverages, policy)
    claims.missing_files(audit)
    claims.timestamps(audit)
    claims.overlaps(audit)
    gaps.unrecorded(audit)
    acts.check_acts(audit)
    return sorted(audit.findings, key=lambda f: (f.wall_start or "", _ORDER.index(f.kind)))
