"""Retention: when a recording may be destroyed, and whether the archive kept to it.

The retention end is the first day a recording may be destroyed. It is the ``until`` of the
recording's latest ``retention`` ledger entry when one was logged, else the policy's period
counted from the date the verdict entered into force (the session record's
``verdict_in_force``; kz-2015 point 27: one year). A legal hold is active from a ``hold`` entry
until a ``hold_release`` entry, in log order.

Judgement, with ``as_of`` the audit's reference day:

- a ``destruction`` entry dated before the retention end, or while a hold was active:
  ``early_destruction``;
- no destruction logged and the file absent: ``missing_file`` (the archive lost a logged
  recording), and also ``early_destruction`` when the retention has not ended or a hold is active
  (an undocumented destruction before its time);
- the file present after its retention end (``as_of`` later than the end) with no active hold:
  ``retention_overdue`` (personal data kept too long), also when a destruction was logged but
  the file is still there.

A recording whose retention end cannot be known (no retention entry, no verdict date) is not
judged on time, only on presence; the report counts such recordings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ..findings import Finding
from ..ledger.entries import Entry
from ..session import Policy

__all__ = ["RetentionEnd", "retention_end", "judge_retention"]

DETECTOR = "retention"


@dataclass(frozen=True)
class RetentionEnd:
    """The first day a recording may be destroyed, and where that date comes from."""

    end: date | None
    source: str
    verdict: date | None = None

    def evidence(self) -> dict[str, Any]:
        """The facts a finding cites."""
        return {"retention_end": None if self.end is None else self.end.isoformat(),
                "retention_source": self.source,
                "verdict_in_force": None if self.verdict is None else self.verdict.isoformat()}


def _at(entry: Entry) -> datetime:
    assert entry.at is not None
    return datetime.fromisoformat(entry.at.replace("Z", "+00:00"))


def retention_end(events: list[tuple[int, Entry]], verdict: date | None,
                  policy: Policy) -> RetentionEnd:
    """The retention end of a recording from its ledger events and its verdict date.

    Parameters
    ----------
    events
        ``(ledger index, entry)`` of the recording's lifecycle entries, in log order.
    verdict
        The date the verdict entered into force, if a session record gives it.
    policy
        Gives the period (``policy.retention``) when no retention entry was logged.
    """
    logged = [(i, e) for i, e in events if e.type == "retention"]
    if logged:
        idx, entry = logged[-1]
        return RetentionEnd(date.fromisoformat(entry.fields["until"]),
                            f"ledger entry {idx}, retention under {entry.fields['policy']}",
                            verdict)  # fmt: skip
    if verdict is None:
        return RetentionEnd(None, "unknown: no retention entry and no verdict date")
    r = policy.retention
    return RetentionEnd(r.until(verdict), f"policy {policy.name}: {r.years} y {r.months} m "
                        f"{r.days} d after the verdict entered into force", verdict)


def _hold_at(events: list[tuple[int, Entry]], when: datetime) -> tuple[int, Entry] | None:
    """The hold in force at ``when`` (its index and entry), if any."""
    active: tuple[int, Entry] | None = None
    for idx, entry in events:
        if entry.type not in ("hold", "hold_release") or _at(entry) > when:
            continue
        active = (idx, entry) if entry.type == "hold" else None
    return active


def judge_retention(*, label: str, events: list[tuple[int, Entry]], end: RetentionEnd,
                    present: bool, as_of: datetime, policy: Policy, recording: int | None,
                    context: dict[str, Any]) -> list[Finding]:
    """The retention findings of one recording; see the module docstring.

    Parameters
    ----------
    label
        The file's name in the findings (its archive path, or the logged name when absent).
    events
        Its lifecycle entries, in log order (empty for a file never logged).
    end
        Its retention end.
    present
        Whether the file is in the archive.
    as_of
        The audit's reference time (timezone-aware).
    policy
        Rules, severities and citations.
    recording
        Its ledger recording id, or None.
    context
        Case, court and session facts added to every finding's evidence.
    """
    out: list[Finding] = []
    rule = policy.rule("retention")
    if not rule.enabled:
        return out
    base = {**context, "recording": recording, **end.evidence()}

    def finding(kind: str, message: str, **evidence: Any) -> Finding:
        return Finding(kind, label, None, None, rule.severity, 1.0, DETECTOR, message,
                       {**base, **evidence}, rule=policy.ref("retention"))  # fmt: skip

    destructions = [(i, e) for i, e in events if e.type == "destruction"]
    for idx, entry in destructions:
        when = _at(entry)
        f = entry.fields
        facts = {"destroyed_at": entry.at, "destruction_entry": idx, "order": f["order"],
                 "authority": f["authority"], "by": f["by"]}  # fmt: skip
        hold = _hold_at(events, when)
        if hold is not None:
            out.append(finding(
                "early_destruction",
                f"destroyed on {when.date()} (ledger entry {idx}, order {f['order']!r}) while a "
                f"legal hold was active (entry {hold[0]}: {hold[1].fields['reason']})",
                **facts, hold_entry=hold[0], hold_by=hold[1].fields["by"],
            ))  # fmt: skip
        elif end.end is not None and when.date() < end.end:
            out.append(finding(
                "early_destruction",
                f"destroyed on {when.date()} (ledger entry {idx}, order {f['order']!r}) before "
                f"its retention ended on {end.end} ({end.source})", **facts,
            ))  # fmt: skip
    hold_now = _hold_at(events, as_of)
    ended = end.end is not None and as_of.date() > end.end
    if not present and not destructions and (hold_now is not None or
                                             (end.end is not None and not ended)):
        why = (f"a legal hold is active (entry {hold_now[0]})" if hold_now is not None
               else f"its retention runs until {end.end} ({end.source})")
        out.append(finding(
            "early_destruction",
            f"gone from the archive with no destruction logged, while {why}",
            absent=True, hold_entry=None if hold_now is None else hold_now[0],
        ))  # fmt: skip
    if present and ended and hold_now is None:
        assert end.end is not None
        days = (as_of.date() - end.end).days
        note = "; a destruction is logged, yet the file is still here" if destructions else ""
        out.append(finding(
            "retention_overdue",
            f"kept {days} day(s) past its retention end {end.end} ({end.source}) with no "
            f"legal hold{note}", days_overdue=days,
        ))  # fmt: skip
    return out
