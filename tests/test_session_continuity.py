"""The continuity audit on sessions with known truth (file durations given directly)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from auditor.findings import Finding
from auditor.session.continuity import audit_continuity, format_duration
from auditor.session.policy import Policy
from auditor.session.policy_load import load_policy
from auditor.session.record import Session
from auditor.session.timeline import Coverage, build_coverage

KZ = load_policy("kz-2015")
PLUS5 = timezone(timedelta(hours=5))
DAY = datetime(2026, 3, 2, 10, 0)


@dataclass(frozen=True)
class Info:
    duration: float
    embedded_start: datetime | None = None


class Hearing:
    """A session built in minutes from its start, with files given as (start_min, length_min)."""

    def __init__(
        self,
        *,
        length: float = 150,
        breaks: Sequence[tuple[float, float]] = ((60, 75),),
        tz: timezone = PLUS5,
        day: datetime = DAY,
    ) -> None:
        self.tz = tz
        self.t0 = day.replace(tzinfo=tz)
        self.length = length
        self.breaks = breaks
        self.files: list[dict[str, Any]] = []
        self.acts: list[dict[str, Any]] = []

    def at(self, minutes: float) -> datetime:
        return self.t0 + timedelta(minutes=minutes)

    def iso(self, minutes: float) -> str:
        return self.at(minutes).isoformat()

    def file(
        self,
        start: float | None,
        length: float,
        *,
        name: str | None = None,
        present: bool = True,
        embedded: float | None = None,
        uncovered: Sequence[tuple[float, float]] = (),
        declared: bool = True,
        actual_start: float | None = None,
    ) -> Hearing:
        self.files.append(
            {
                "name": name or f"part{len(self.files) + 1}.wav",
                "start": start,
                "length": length,
                "present": present,
                "embedded": embedded,
                "uncovered": uncovered,
                "declared": declared,
            }
        )
        return self

    def act(
        self,
        start: float,
        end: float,
        *,
        signed_after_end_h: float = 1,
        signed_by: Sequence[str] = ("secretary", "head of office"),
    ) -> Hearing:
        self.acts.append(
            {
                "start": self.iso(start),
                "end": self.iso(end),
                "reason": "equipment failure",
                "signed_at": self.iso(self.length + 60 * signed_after_end_h),
                "signed_by": list(signed_by),
            }
        )
        return self

    def session(self) -> Session:
        return Session.from_json(
            {
                "schema": "auditor.session/1",
                "case": "2-123/2026",
                "start": self.iso(0),
                "end": self.iso(self.length),
                "breaks": [
                    {"start": self.iso(a), "end": self.iso(b), "reason": "recess"}
                    for a, b in self.breaks
                ],
                "recordings": [
                    {
                        "file": f["name"],
                        "start": None if f["start"] is None else self.iso(f["start"]),
                    }
                    for f in self.files
                    if f["declared"]
                ],
                "acts": self.acts,
            }
        )

    def coverages(self, session: Session) -> list[Coverage]:
        out = []
        for f in self.files:
            rec = next((r for r in session.recordings if r.file == f["name"]), None)
            if rec is None:
                from auditor.session.record import Recording

                rec = Recording(f["name"])
            info = None
            if f["present"]:
                emb = None if f["embedded"] is None else self.at(f["embedded"])
                info = Info(f["length"] * 60.0, emb)
            out.append(
                build_coverage(
                    rec,
                    info,
                    uncovered=[(a * 60.0, b * 60.0) for a, b in f["uncovered"]],
                    session=session,
                    problem=None if f["present"] else "not found",
                )
            )
        return out

    def audit(self, policy: Policy = KZ) -> list[Finding]:
        s = self.session()
        findings = audit_continuity(s, self.coverages(s), policy)
        assert_nothing_inside_breaks(s, findings)
        return findings


def assert_nothing_inside_breaks(session: Session, findings: Sequence[Finding]) -> None:
    for f in findings:
        if f.wall_start is None or f.wall_end is None:
            continue
        a, b = datetime.fromisoformat(f.wall_start), datetime.fromisoformat(f.wall_end)
        for brk in session.breaks:
            inside = max(a, brk.start) < min(b, brk.end)
            assert not inside, f"finding inside a break: {f}"


def kinds(findings: Sequence[Finding]) -> list[str]:
    return [f.kind for f in findings]


def only(findings: Sequence[Finding], kind: str) -> Finding:
    found = [f for f in findings if f.kind == kind]
    assert len(found) == 1, (kind, findings)
    return found[0]


def assert_span(h: Hearing, f: Finding, start_min: float, end_min: float) -> None:
    assert f.wall_start is not None and f.wall_end is not None
    start, end = datetime.fromisoformat(f.wall_start), datetime.fromisoformat(f.wall_end)
    assert abs((start - h.at(start_min)).total_seconds()) <= 1.0, (f.wall_start, start_min)
    assert abs((end - h.at(end_min)).total_seconds()) <= 1.0, (f.wall_end, end_min)
    assert start.utcoffset() == h.tz.utcoffset(None)


def test_a_clean_session_has_no_findings() -> None:
    # Starts 4 s late, resumes 20 s after the break, stops 30 s early: all within the grace.
    h = Hearing().file(4 / 60, 60 - 4 / 60).file(75 + 20 / 60, 74.5 - 20 / 60)
    assert h.audit() == []


def test_gap_outside_breaks_is_a_missing_segment_and_an_unsanctioned_suspension() -> None:
    h = Hearing().file(0, 47 + 10 / 60).file(59 + 40 / 60, 90 + 1 / 3).file(75, 75)
    findings = h.audit()
    assert kinds(findings) == ["missing_segment", "act_issue", "overlap"]
    gap = findings[0]
    assert_span(h, gap, 47 + 10 / 60, 59 + 40 / 60)
    assert gap.rule == "kz-2015 p.6" and gap.severity == "high"
    assert gap.message == (
        "12 min 30 s of the session not recorded, 10:47:10–10:59:40 (+05:00) "
        "(between part1.wav and part2.wav), outside any announced break; no act explains it"
    )
    assert gap.file is None
    assert gap.evidence["before"] == {"file": "part1.wav", "at": pytest.approx(2830.0)}
    assert gap.evidence["after"] == {"file": "part2.wav", "at": pytest.approx(0.0)}
    suspension = findings[1]
    assert suspension.rule == "kz-2015 p.19"
    assert "unsanctioned suspension" in suspension.message
    assert_span(h, suspension, 47 + 10 / 60, 59 + 40 / 60)


def test_gap_inside_a_break_is_not_a_finding_but_the_part_outside_is() -> None:
    # Recording stops at 55 (5 min before the break) and resumes at 80 (5 min after it).
    h = Hearing().file(0, 55).file(80, 70)
    findings = h.audit()
    gaps = [f for f in findings if f.kind == "missing_segment"]
    assert len(gaps) == 2
    assert_span(h, gaps[0], 55, 60)
    assert_span(h, gaps[1], 75, 80)


def test_short_gaps_below_the_policy_minimum_are_ignored() -> None:
    h = Hearing().file(0, 30).file(30 + 1.5 / 60, 30).file(75, 75)
    assert "missing_segment" not in kinds(h.audit())
    h = Hearing().file(0, 30).file(30 + 3 / 60, 30).file(75, 75)
    assert "missing_segment" in kinds(h.audit())


def test_late_start_and_early_stop() -> None:
    h = Hearing().file(7.5, 52.5).file(75, 60)
    findings = h.audit()
    late, early = only(findings, "late_start"), only(findings, "early_stop")
    assert_span(h, late, 0, 7.5)
    assert_span(h, early, 135, 150)
    assert late.message.startswith(
        "recording began 7 min 30 s after the session opened: 10:00:00–10:07:30 (+05:00)"
    )
    assert (late.file, late.start) == ("part1.wav", 0.0)
    assert (early.file, early.start) == ("part2.wav", 3600.0)
    assert early.rule == "kz-2015 p.6"
    assert kinds(findings).count("act_issue") == 2


def test_late_start_within_grace_is_not_a_finding() -> None:
    h = Hearing().file(0.9, 59.1).file(75, 75)
    assert h.audit() == []
    h = Hearing().file(1.1, 58.9).file(75, 75)
    assert "late_start" in kinds(h.audit())


def test_overlapping_files() -> None:
    h = Hearing().file(0, 40).file(35, 25).file(75, 75)
    f = only(h.audit(), "overlap")
    assert_span(h, f, 35, 40)
    assert (f.file, f.start, f.end) == ("part2.wav", 0.0, 300.0)
    assert f.evidence["other_file"] == "part1.wav"
    assert f.evidence["other_start"] == pytest.approx(2100.0)


def test_missing_file_and_the_gap_it_leaves() -> None:
    h = Hearing().file(0, 60).file(75, 40, present=False).file(115, 35)
    findings = h.audit()
    missing = only(findings, "missing_file")
    assert missing.file == "part2.wav"
    assert missing.rule == "kz-2015 p.6, p.27"
    assert "part2.wav is declared in the session record but not found" in missing.message
    gap = only(findings, "missing_segment")
    assert_span(h, gap, 75, 115)
    assert gap.evidence["declared_missing_files"] == ["part2.wav"]
    assert "the record declares part2.wav for this time, but it is missing" in gap.message


def test_declared_file_not_given_to_the_audit_is_missing() -> None:
    h = Hearing().file(0, 60).file(75, 75)
    s = h.session()
    covs = h.coverages(s)[:1]
    findings = audit_continuity(s, covs, KZ)
    f = only(findings, "missing_file")
    assert f.file == "part2.wav"
    assert "not among the files given to the audit" in f.message


def test_wrong_embedded_timestamp() -> None:
    h = Hearing().file(0, 60, embedded=0.05).file(75, 75, embedded=75 - 7)
    findings = h.audit()
    f = only(findings, "timestamp_mismatch")
    assert f.file == "part2.wav"
    assert f.evidence["difference_s"] == pytest.approx(-420.0)
    assert "the start embedded in the file is 11:08:00 (7 min earlier)" in f.message
    assert f.rule == "kz-2015 p.19"


def test_file_name_contradicting_the_record_is_info() -> None:
    h = Hearing().file(0, 60, name="20260302_101500.wav").file(75, 75)
    f = only(h.audit(), "timestamp_mismatch")
    assert f.severity == "info"
    assert f.evidence["other_source"] == "filename"


def test_file_entirely_outside_the_session() -> None:
    h = Hearing().file(0, 60).file(75, 75).file(None, 30, name="20260301_100000.wav")
    f = only(h.audit(), "timestamp_mismatch")
    assert "entirely outside the session" in f.message
    assert f.confidence == pytest.approx(0.8)


def test_no_recording_at_all() -> None:
    h = Hearing(breaks=()).file(0, 150, present=False)
    findings = h.audit()
    gap = only(findings, "missing_segment")
    assert_span(h, gap, 0, 150)
    assert "missing_file" in kinds(findings)


# -- acts --------------------------------------------------------------------------------------


def gap_hearing() -> Hearing:
    return Hearing().file(0, 40).file(50, 10).file(75, 75)


def test_an_act_that_explains_the_gap_lowers_its_severity() -> None:
    h = gap_hearing().act(40, 50)
    findings = h.audit()
    assert kinds(findings) == ["missing_segment"]
    gap = findings[0]
    assert gap.severity == "warning"
    assert gap.rule == "kz-2015 p.6, p.17"
    assert gap.evidence["explained_by_act"] == "full"
    assert "an act explains it (equipment failure, 10:40:00–10:50:00 (+05:00))" in gap.message


def test_an_act_written_to_the_minute_still_explains_the_gap() -> None:
    h = Hearing().file(0, 40 + 20 / 60).file(50 - 10 / 60, 10 + 10 / 60).file(75, 75).act(40, 50)
    assert kinds(h.audit()) == ["missing_segment"]


def test_an_act_that_covers_only_part_of_the_gap() -> None:
    h = gap_hearing().act(40, 45)
    findings = h.audit()
    gap = only(findings, "missing_segment")
    assert gap.severity == "high" and gap.evidence["explained_by_act"] == "partial"
    issue = only(findings, "act_issue")
    assert issue.rule == "kz-2015 p.17"
    assert_span(h, issue, 45, 50)
    assert "does not cover 10:45:00–10:50:00 (+05:00) (5 min)" in issue.message


def test_an_act_signed_long_after_the_session() -> None:
    h = gap_hearing().act(40, 50, signed_after_end_h=72)
    issue = only(h.audit(), "act_issue")
    assert issue.rule == "kz-2015 pp.17-18"
    assert "72 h after the session closed" in issue.message
    assert issue.evidence["delay_s"] == pytest.approx(72 * 3600)
    # The generic profile allows 72 h.
    assert "act_issue" not in kinds(
        gap_hearing().act(40, 50, signed_after_end_h=72).audit(load_policy("generic"))
    )


def test_an_act_signed_before_the_failure() -> None:
    h = gap_hearing().act(40, 50, signed_after_end_h=-2)  # 10:30, before 10:40
    issue = only(h.audit(), "act_issue")
    assert "before the failure it records began" in issue.message


def test_an_act_with_too_few_signatures_or_no_signing_time() -> None:
    h = gap_hearing().act(40, 50, signed_by=["secretary"])
    issue = only(h.audit(), "act_issue")
    assert issue.rule == "kz-2015 p.18"
    assert "carries 1 signature(s); the policy requires 2" in issue.message
    h = gap_hearing().act(40, 50)
    h.acts[0]["signed_at"] = None
    assert "does not say when it was signed" in only(h.audit(), "act_issue").message


def test_an_act_for_time_the_recordings_cover() -> None:
    h = Hearing().file(0, 60).file(75, 75).act(20, 30)
    issue = only(h.audit(), "act_issue")
    assert issue.rule == "kz-2015 p.17"
    assert "the recordings cover 10 min of it" in issue.message


def test_gap_inside_a_file() -> None:
    # Part 1 holds a 3-minute timestamp gap 20 min in.
    h = Hearing().file(0, 60, uncovered=[(20, 23)]).file(75, 75)
    findings = h.audit()
    gap = only(findings, "missing_segment")
    assert_span(h, gap, 20, 23)
    assert (gap.file, gap.start, gap.end) == (
        "part1.wav",
        pytest.approx(1200.0),
        pytest.approx(1380.0),
    )
    assert "inside part1.wav at 00:20:00.0–00:23:00.0" in gap.message


def test_disabled_rule_gives_no_finding() -> None:
    data = KZ.to_json()
    policy = Policy.from_json(data)
    rules = dict(policy.rules)
    rules["suspension"] = replace(rules["suspension"], enabled=False)
    quiet = replace(policy, rules=rules)
    h = gap_hearing()
    assert kinds(h.audit(quiet)) == ["missing_segment"]
    assert kinds(h.audit(KZ)) == ["missing_segment", "act_issue"]


# -- time zones and midnight -------------------------------------------------------------------


@pytest.mark.parametrize("hours", [5, -3, 0])
def test_offsets(hours: int) -> None:
    tz = timezone(timedelta(hours=hours))
    h = Hearing(tz=tz).file(2, 45).file(50, 10).file(75, 70)
    findings = h.audit()
    assert_span(h, only(findings, "late_start"), 0, 2)
    assert_span(h, only(findings, "missing_segment"), 47, 50)
    assert_span(h, only(findings, "early_stop"), 145, 150)
    offset = "+00:00" if hours == 0 else f"{hours:+03d}:00"
    assert all(f.wall_start is not None and f.wall_start.endswith(offset) for f in findings)
    assert f"10:47:00–10:50:00 ({offset})" in only(findings, "missing_segment").message


def test_recording_declared_in_another_offset() -> None:
    h = Hearing().file(0, 60).file(75, 75)
    s = h.session()
    utc_start = s.recordings[1].start
    assert utc_start is not None
    data = s.to_json()
    data["recordings"][1]["start"] = utc_start.astimezone(UTC).isoformat()
    s2 = Session.from_json(data)
    assert audit_continuity(s2, h.coverages(s2), KZ) == []


def test_session_crossing_midnight() -> None:
    h = Hearing(length=120, breaks=((50, 65),), day=datetime(2026, 3, 2, 23, 30), tz=UTC)
    h.file(0, 50, name="20260302_233000.wav", declared=False)
    h.file(None, 40, name="20260303_003500.wav")  # resumes at 00:35, the break ended 00:35
    h.file(None, 10, name="20260303_011500.wav")  # 00:35+40 = 01:15, then 10 min: gap at the end
    findings = h.audit()
    early = only(findings, "early_stop")
    assert_span(h, early, 115, 120)
    assert "2026-03-03 01:25:00–2026-03-03 01:30:00 (+00:00)" in early.message
    assert "missing_segment" not in kinds(findings)
    assert early.confidence == pytest.approx(0.8)


def test_format_duration() -> None:
    assert format_duration(750) == "12 min 30 s"
    assert format_duration(3600 + 300) == "1 h 5 min"
    assert format_duration(2.46) == "2.5 s"


def test_a_late_start_an_act_explains_is_reported_at_the_lower_severity() -> None:
    h = Hearing().file(10, 50).file(75, 75).act(0, 10)
    late = only(h.audit(), "late_start")
    assert late.severity == "warning"
    assert late.rule == "kz-2015 p.6"
    assert late.evidence["explained_by_act"] == "full"
