"""Wall-clock interval arithmetic and building a file's coverage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import pytest

from auditor.errors import SessionError
from auditor.session.record import Recording, Session
from auditor.session.timeline import Interval, build_coverage, intersect, subtract, union

PLUS5 = timezone(timedelta(hours=5))
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=PLUS5)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def iv(a: float, b: float) -> Interval:
    return Interval(at(a), at(b))


@dataclass(frozen=True)
class Info:
    duration: float
    embedded_start: datetime | None = None


SESSION = Session(start=at(0), end=at(150))


def test_union_merges_touching_and_overlapping() -> None:
    assert union([iv(5, 10), iv(0, 2), iv(2, 3), iv(8, 12), iv(20, 20)]) == [iv(0, 3), iv(5, 12)]


def test_subtract() -> None:
    assert subtract([iv(0, 100)], [iv(10, 20), iv(15, 30), iv(90, 120)]) == [
        iv(0, 10),
        iv(30, 90),
    ]
    assert subtract([iv(0, 10)], [iv(-5, 15)]) == []
    assert subtract([iv(0, 10), iv(20, 30)], []) == [iv(0, 10), iv(20, 30)]


def test_intersect() -> None:
    assert intersect([iv(0, 10), iv(20, 30)], [iv(5, 25)]) == [iv(5, 10), iv(20, 25)]
    assert intersect([iv(0, 10)], [iv(10, 20)]) == []


def test_intervals_in_different_offsets_are_the_same_instants() -> None:
    utc = Interval(at(0).astimezone(UTC), at(10).astimezone(UTC))
    assert subtract([iv(0, 10)], [utc]) == []


def test_start_from_record_wins() -> None:
    rec = Recording("20260302_110000.wav", start=at(1))
    cov = build_coverage(rec, Info(600.0, embedded_start=at(2)), session=SESSION)
    assert cov.start_source == "record"
    assert cov.wall_start == at(1)
    assert cov.embedded_start == at(2)
    assert cov.name_start == at(60)
    assert cov.wall_end == at(11)


def test_start_from_embedded_then_from_name() -> None:
    cov = build_coverage(
        Recording("20260302_110000.wav"), Info(60.0, embedded_start=at(2)), session=SESSION
    )
    assert (cov.start_source, cov.wall_start) == ("embedded", at(2))
    cov = build_coverage(Recording("20260302_110000.wav"), Info(60.0), session=SESSION)
    assert (cov.start_source, cov.wall_start) == ("filename", at(60))


def test_naive_embedded_start_takes_the_session_offset() -> None:
    naive = datetime(2026, 3, 2, 10, 5)
    cov = build_coverage(Recording("a.wav"), Info(60.0, embedded_start=naive), session=SESSION)
    assert cov.wall_start == at(5)


def test_no_start_anywhere_is_an_error_naming_the_file() -> None:
    with pytest.raises(SessionError, match=r"^part1.wav: no start time for this recording"):
        build_coverage(Recording("part1.wav"), Info(60.0), session=SESSION)


def test_missing_file_coverage() -> None:
    cov = build_coverage(Recording("p.wav", start=at(3)), None, session=SESSION, problem="gone")
    assert cov.missing == "gone"
    assert cov.claimed is None and cov.covered() == []
    assert cov.wall_start == at(3)
    # A missing file with no start anywhere is still reported, not an error.
    assert build_coverage(Recording("p.wav"), None, session=SESSION).wall_start is None


def test_uncovered_spans_are_cut_out_and_clipped() -> None:
    rec = Recording("a.wav", start=at(0))
    cov = build_coverage(
        rec, Info(600.0), uncovered=[(500, 700), (60, 120), (-5, 0)], session=SESSION
    )
    assert cov.uncovered == ((60.0, 120.0), (500.0, 600.0))
    assert cov.covered() == [iv(0, 1), iv(2, 500 / 60)]
    assert cov.offset_of(at(2)) == pytest.approx(120.0)
