"""Field parsers for session records: times with offsets, text, lists, dates, signatories.

Each parser names the field (``breaks[1].start``) and the file in its error, and says what to
write instead.
"""

from __future__ import annotations

import reprlib
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta, tzinfo
from pathlib import PurePath
from typing import Any

from ..errors import SessionError

__all__ = ["FIRST_YEAR", "LAST_YEAR", "MAX_TEXT", "parse_time", "plausible", "show"]

#: The years a time in a record may fall in. Court recordings are younger than 1900, and a year
#: far from ``datetime.min``/``max`` keeps every offset and duration added to it representable.
FIRST_YEAR, LAST_YEAR = 1900, 2199
#: The longest text a field may hold (characters): PATH_MAX, and far beyond any name or reason.
MAX_TEXT = 4096
_NAME_MAX = 255  # bytes in one part of a path, on every common file system

_SHOW = reprlib.Repr()
_SHOW.maxstring = _SHOW.maxother = 60
_SHOW.maxlevel = 2


def show(value: object) -> str:
    """A short ``repr`` of a value for a message, however large or deep the value is."""
    return _SHOW.repr(value)


def plausible(when: date) -> bool:
    """Whether a date or time falls in the years :data:`FIRST_YEAR`..:data:`LAST_YEAR`."""
    return FIRST_YEAR <= when.year <= LAST_YEAR


def _years(where: str, text: str, source: str | None) -> SessionError:
    return SessionError(
        f"{where} {text} is outside the years {FIRST_YEAR}–{LAST_YEAR}",
        path=source,
        hint="check the year; a session record holds the times of a hearing",
    )


def _offset_text(tz: tzinfo | None) -> str:
    """``+05:00`` for a fixed offset (``+00:00`` for UTC)."""
    offset = datetime(2000, 1, 1, tzinfo=tz).utcoffset() if tz else None
    if offset is None:
        return "+00:00"
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def parse_time(
    value: object, *, where: str, source: str | None, example_tz: tzinfo | None = None
) -> datetime:
    """Parse an ISO 8601 time that carries a UTC offset.

    Parameters
    ----------
    value
        The raw value from the record (a string is expected).
    where
        The field's name for error messages, e.g. ``"breaks[1].start"``.
    source
        The record's file, for error messages.
    example_tz
        The session's offset, used to suggest a corrected value.

    Returns
    -------
    datetime
        A timezone-aware datetime.

    Raises
    ------
    SessionError
        If the value is not a string, not ISO 8601, or has no UTC offset.
    """
    if not isinstance(value, str) or not value.strip():
        raise SessionError(
            f"{where} must be an ISO 8601 time with a UTC offset, got {show(value)}",
            path=source,
            hint='write it like "2026-03-02T10:00:00+05:00"',
        )
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise SessionError(
            f"{where} {show(text)[1:-1]} is not an ISO 8601 time",
            path=source,
            hint='write it like "2026-03-02T10:00:00+05:00"',
        ) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise SessionError(
            f"{where} {text} has no UTC offset",
            path=source,
            hint=f"write it as {parsed.isoformat()}{_offset_text(example_tz)} "
            "(with the offset of the court's local time)",
        )
    if not plausible(parsed):
        raise _years(where, text, source)
    return parsed


def _text(value: object, *, where: str, source: str | None, required: bool = False) -> str | None:
    if value is None or value == "":
        if required:
            raise SessionError(f"{where} is missing", path=source, hint=f"add {where}")
        return None
    if not isinstance(value, str):
        raise SessionError(f"{where} must be text, got {show(value)}", path=source)
    if len(value) > MAX_TEXT:
        raise SessionError(
            f"{where} is {len(value)} characters long; at most {MAX_TEXT} are accepted",
            path=source,
            hint="check that the field holds what the record means",
        )
    return value


def _file_name(value: object, *, where: str, source: str | None) -> str:
    """A declared recording's path: text that a file system can hold."""
    name = _text(value, where=where, source=source, required=True)
    assert name is not None
    if "\x00" in name:
        raise SessionError(
            f"{where} {show(name)} contains a NUL character, which no file name can hold",
            path=source,
            hint="write the recording's path as it is on disk",
        )
    longest = max((len(part.encode("utf-8", "surrogateescape")) for part in PurePath(name).parts),
                  default=0)
    if longest > _NAME_MAX:
        raise SessionError(
            f"{where} has a part of {longest} bytes; file systems allow {_NAME_MAX}",
            path=source,
            hint="write the recording's path as it is on disk",
        )
    return name


def _check_fields(
    obj: object, allowed: frozenset[str], *, where: str, source: str | None
) -> Mapping[str, Any]:
    if not isinstance(obj, Mapping):
        raise SessionError(
            f"{where} must be an object, got {type(obj).__name__} {show(obj)}", path=source
        )
    unknown = sorted(k for k in obj if k not in allowed and not str(k).startswith("x-"))
    if unknown:
        raise SessionError(
            f"{where} has unknown field {show(unknown[0])}",
            path=source,
            hint=f"known fields are {', '.join(sorted(allowed))}; prefix your own fields with 'x-'",
        )
    return obj


def _list(obj: Mapping[str, Any], key: str, *, source: str | None) -> Sequence[Any]:
    value = obj.get(key)
    if value is None:
        return ()
    if not isinstance(value, list):
        raise SessionError(
            f"{key} must be a list, got {type(value).__name__} {show(value)}", path=source
        )
    return value


def _signatories(value: object, *, where: str, source: str | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(
        isinstance(v, str) and v.strip() and len(v) <= MAX_TEXT for v in value
    ):
        raise SessionError(
            f"{where} must be a list of names, got {show(value)}",
            path=source,
            hint='write it like ["secretary A. B.", "head of office C. D."]',
        )
    return tuple(v.strip() for v in value)


def _date(value: object, *, where: str, source: str | None) -> date | None:
    if value in (None, ""):
        return None
    try:
        if not isinstance(value, str):
            raise ValueError
        parsed = date.fromisoformat(value.strip())
    except ValueError:
        raise SessionError(
            f"{where} {show(value)} is not a date", path=source, hint='write it like "2026-04-01"'
        ) from None
    if not plausible(parsed):
        raise _years(where, value.strip(), source)
    return parsed


#: the mains frequencies a session record's ``grid_hz`` may give
GRID_HZ = (50, 60)


def _grid_hz(value: object, *, where: str, source: str | None) -> int | None:
    """The record's mains frequency: 50 or 60 (Hz), or None when it does not say."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            pass
    if isinstance(value, int | float) and not isinstance(value, bool) and value in GRID_HZ:
        return int(value)
    raise SessionError(
        f"{where} must be 50 or 60 (the mains frequency in Hz), got {show(value)}",
        path=source,
        hint="give 50 where the grid is 50 Hz (Kazakhstan, Europe, most of Asia and Africa) or "
        "60 (most of the Americas), or leave the field out to have the grid measured",
    )
