"""Retention judgement and the progress line, as units."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

from auditor.archive.progress import Progress, format_eta
from auditor.archive.retention import judge_retention, retention_end
from auditor.ledger.entries import Entry
from auditor.ledger.events import hold_entry, retention_entry
from auditor.session import load_policy

POLICY = load_policy("kz-2015")
AS_OF = datetime(2027, 6, 1, 23, 59, 59, tzinfo=UTC)


def at(entry: Entry, when: str) -> Entry:
    return entry.stamped(datetime.fromisoformat(when + "T12:00:00+00:00"))


def destruction(when: str) -> Entry:
    return at(Entry("destruction", {"recording": 1, "by": "x", "authority": "y", "order": "z",
                                    "authorizer": "k", "signature": ""}), when)  # fmt: skip


def judge(events, verdict=None, present=False):  # type: ignore[no-untyped-def]
    end = retention_end(events, verdict, POLICY)
    return [(f.kind, f.message) for f in judge_retention(
        label="a.wav", events=events, end=end, present=present, as_of=AS_OF, policy=POLICY,
        recording=1, context={})]  # fmt: skip


def test_retention_end_from_the_verdict_and_from_a_ledger_entry():
    assert retention_end([], date(2024, 2, 29), POLICY).end == date(2025, 2, 28)
    logged = [(5, at(retention_entry(1, policy="kz-2015", start="2026-01-01",
                                     until="2030-01-01"), "2026-01-02"))]
    end = retention_end(logged, date(2024, 2, 29), POLICY)
    assert end.end == date(2030, 1, 1) and "ledger entry 5" in end.source
    assert retention_end([], None, POLICY).end is None


def test_destruction_on_the_first_allowed_day_is_lawful_the_day_before_is_not():
    assert judge([(9, destruction("2026-04-01"))], date(2025, 4, 1)) == []
    (kind, message), = judge([(9, destruction("2026-03-31"))], date(2025, 4, 1))
    assert kind == "early_destruction" and "before its retention ended on 2026-04-01" in message


def test_a_released_hold_no_longer_protects():
    hold = (3, at(hold_entry(1, by="court", reason="appeal"), "2026-01-01"))
    release = (4, at(hold_entry(1, by="court", reason="done", release=True), "2026-05-01"))
    assert judge([hold, (9, destruction("2026-06-01"))], date(2025, 1, 1))[0][0] == \
        "early_destruction"
    assert judge([hold, release, (9, destruction("2026-06-01"))], date(2025, 1, 1)) == []
    # kept past the end: overdue unless a hold is active
    assert [k for k, _ in judge([], date(2025, 1, 1), present=True)] == ["retention_overdue"]
    assert judge([hold], date(2025, 1, 1), present=True) == []
    assert [k for k, _ in judge([hold, release], date(2025, 1, 1), present=True)] == [
        "retention_overdue"]


def test_absence_before_the_end_is_early_after_it_is_not():
    assert [k for k, _ in judge([], date(2027, 1, 1))] == ["early_destruction"]
    assert judge([], date(2026, 1, 1)) == []
    assert judge([], None) == []  # unknown end: judged on presence only (missing_file)


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_draws_files_hours_rate_and_eta_only_on_a_terminal():
    now = [100.0]
    out = _Tty()
    bar = Progress(4, 4000, skipped=2, stream=out, clock=lambda: now[0])
    now[0] = 110.0
    bar.update(1000, 1.0)
    line = out.getvalue()
    assert "files 1/4 (+2 already audited)" in line and "25.0%" in line
    assert "1.00 h audio" in line and "360x real time" in line and "ETA 0:00:30" in line
    plain = io.StringIO()
    quiet = Progress(1, 10, stream=plain)
    quiet.update(10, 0.5)
    quiet.close()
    assert plain.getvalue() == ""
    assert format_eta(float("nan")) == "--:--" and format_eta(3725) == "1:02:05"
