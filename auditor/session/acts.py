"""The acts of failure to record, checked on their own: when each was signed (not at all, long
after the session, before the failure), by how many, and whether the recordings cover the time it
says was not recorded (``act_issue``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from .audit import Audit
from .timeline import Interval, intersect, union
from .wording import clock, format_duration, iso

__all__ = ["check_acts"]


def check_acts(audit: Audit) -> None:
    s, tol = audit.session, audit.tol
    covered = union(span for c in audit.present for span in c.covered())
    limit = s.end + timedelta(hours=tol.act_signing_max_delay_h)
    for i, act in enumerate(s.acts):
        span = Interval(act.start, act.end)
        label = f"act {i + 1} ({act.reason or 'no reason given'}, {audit.span_text(span)})"
        ev: dict[str, Any] = {"act": i}
        if act.signed_at is None:
            audit.add(
                "act_issue",
                "act_signatures",
                span,
                f"{label} does not say when it was signed",
                evidence=ev,
            )
        elif act.signed_at > limit:
            late = (act.signed_at - s.end).total_seconds()
            audit.add(
                "act_issue",
                "act_late",
                span,
                f"{label} was signed {clock(s, act.signed_at, True)}, "
                f"{format_duration(late)} after the session closed (the policy allows "
                f"{tol.act_signing_max_delay_h:g} h); it may have been backdated",
                evidence={**ev, "signed_at": iso(s, act.signed_at), "delay_s": late},
            )
        elif act.signed_at < act.start:
            audit.add(
                "act_issue",
                "act_late",
                span,
                f"{label} was signed {clock(s, act.signed_at, True)}, before the failure "
                "it records began",
                evidence={**ev, "signed_at": iso(s, act.signed_at)},
            )
        if len(act.signed_by) < tol.act_min_signatories:
            audit.add(
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
            audit.add(
                "act_issue",
                "act_contradicted",
                span,
                f"{label} says the session was not recorded, but the recordings cover "
                f"{format_duration(total)} of it: "
                + ", ".join(audit.span_text(r) for r in recorded),
                evidence={
                    **ev,
                    "recorded": [[iso(s, r.start), iso(s, r.end)] for r in recorded],
                },
            )
