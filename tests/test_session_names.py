"""Start times from file names."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from auditor.errors import SessionError
from auditor.session.names import compile_name_pattern, start_from_name

PLUS5 = timezone(timedelta(hours=5))


@pytest.mark.parametrize(
    "name",
    [
        "20260302_100004.wav",
        "20260302100004.wav",
        "2026-03-02T10-00-04.flac",
        "2026-03-02 10:00:04.wav",
        "hearing_2026.03.02_10.00.04.mp3",
        "/archive/court2/case-17/room3_2026-03-02_10-00-04_part1.wav",
    ],
)
def test_default_patterns(name: str) -> None:
    assert start_from_name(name, tz=PLUS5) == datetime(2026, 3, 2, 10, 0, 4, tzinfo=PLUS5)


@pytest.mark.parametrize(
    "name", ["part1.wav", "20261302_100004.wav", "2026-03-02T25-00-04.wav", "123420260302_1000.wav"]
)
def test_no_valid_time_in_name(name: str) -> None:
    assert start_from_name(name, tz=PLUS5) is None


def test_the_offset_is_the_callers() -> None:
    minus3 = timezone(timedelta(hours=-3))
    got = start_from_name("20260302_233000.wav", tz=minus3)
    assert got is not None
    assert got.isoformat() == "2026-03-02T23:30:00-03:00"


def test_strftime_like_pattern() -> None:
    got = start_from_name(
        "Zal3-02.03.2026-10h00m04.wav", tz=PLUS5, patterns=["Zal*-%d.%m.%Y-%Hh%Mm%S"]
    )
    assert got == datetime(2026, 3, 2, 10, 0, 4, tzinfo=PLUS5)


def test_regex_pattern_and_fallback_order() -> None:
    patterns = [r"x(?P<d>\d\d)(?P<m>\d\d)(?P<Y>\d{4})(?P<H>\d\d)(?P<M>\d\d)(?P<S>\d\d)"]
    assert start_from_name("x02032026100004.wav", tz=PLUS5, patterns=patterns) == datetime(
        2026, 3, 2, 10, 0, 4, tzinfo=PLUS5
    )
    assert start_from_name("20260302_100004.wav", tz=PLUS5, patterns=patterns) is None


@pytest.mark.parametrize(
    ("pattern", "match"),
    [
        ("%Y%m%d", r"does not give H, M, S"),
        ("%Y%m%d_%H%M%S%z", r"uses %z, which is not supported"),
        ("(?P<Y>", r"is not a valid regular expression"),
    ],
)
def test_bad_patterns(pattern: str, match: str) -> None:
    with pytest.raises(SessionError, match=match):
        compile_name_pattern(pattern)
