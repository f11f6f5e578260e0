"""A recording's start time from its file name.

Court recorders commonly name files by the time they started: ``20260302_100004.wav``,
``2026-03-02T10-00-04.flac``, ``hearing_2026.03.02_10.00.04.mp3``. A name carries no UTC offset,
so the caller gives the offset of the court's local time (the session's).

A pattern is either a ``strftime``-like template using ``%Y %m %d %H %M %S`` (every other
character is literal; ``*`` matches anything), or a regular expression with the named groups
``Y m d H M S``. Patterns are tried in order; the first that matches a valid date wins.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import PurePath

from ..errors import SessionError
from ._parse import plausible

__all__ = ["DEFAULT_NAME_PATTERNS", "compile_name_pattern", "start_from_name"]


#: The patterns tried when none are configured: year-month-day, then hour-minute-second,
#: with the usual separators (none, ``-``, ``.``, ``_``, space, ``T``) between them.
DEFAULT_NAME_PATTERNS: tuple[str, ...] = (
    r"(?<!\d)(?P<Y>(?:19|20)\d\d)(?P<s1>[-._]?)(?P<m>\d\d)(?P=s1)(?P<d>\d\d)"
    r"[T_ -]?(?P<H>\d\d)(?P<s2>[-._:hm]?)(?P<M>\d\d)(?P=s2)(?P<S>\d\d)(?!\d)",
)

_TOKENS = {
    "%Y": r"(?P<Y>\d{4})",
    "%m": r"(?P<m>\d{2})",
    "%d": r"(?P<d>\d{2})",
    "%H": r"(?P<H>\d{2})",
    "%M": r"(?P<M>\d{2})",
    "%S": r"(?P<S>\d{2})",
}
_REQUIRED = ("Y", "m", "d", "H", "M", "S")


def compile_name_pattern(pattern: str) -> re.Pattern[str]:
    """Compile a file-name pattern (``strftime``-like template or regular expression).

    Parameters
    ----------
    pattern
        ``"%Y%m%d_%H%M%S"``, ``"hearing_%Y.%m.%d_%H.%M.%S"``, or a regular expression with the
        named groups ``Y m d H M S``.

    Returns
    -------
    re.Pattern

    Raises
    ------
    SessionError
        If the pattern is not valid or does not give every field of a date and time.
    """
    if "%" in pattern:
        parts = re.split(r"(%[A-Za-z])", pattern)
        out = []
        for part in parts:
            if part in _TOKENS:
                out.append(_TOKENS[part])
            elif part.startswith("%") and len(part) == 2:
                raise SessionError(
                    f"file-name pattern {pattern!r} uses {part}, which is not supported",
                    hint="use only %Y %m %d %H %M %S (the name carries no offset)",
                )
            else:
                out.append(".*?".join(re.escape(p) for p in part.split("*")))
        source = "".join(out)
    else:
        source = pattern
    try:
        compiled = re.compile(source)
    except re.error as exc:
        raise SessionError(
            f"file-name pattern {pattern!r} is not a valid regular expression: {exc}"
        ) from None
    missing = [g for g in _REQUIRED if g not in compiled.groupindex]
    if missing:
        raise SessionError(
            f"file-name pattern {pattern!r} does not give {', '.join(missing)}",
            hint="a pattern must give year, month, day, hour, minute and second",
        )
    return compiled


def start_from_name(
    name: str,
    *,
    tz: timezone,
    patterns: Sequence[str] = DEFAULT_NAME_PATTERNS,
) -> datetime | None:
    """The start time a file's name gives, in the offset ``tz``.

    Parameters
    ----------
    name
        The file's name or path; only the last component is read.
    tz
        The court's UTC offset (the session's), since a name carries none.
    patterns
        Patterns to try in order (see the module's documentation).

    Returns
    -------
    datetime or None
        The start, timezone-aware, or None when no pattern gives a valid date and time.

    Examples
    --------
    >>> from datetime import timedelta
    >>> start_from_name("20260302_100004.wav", tz=timezone(timedelta(hours=5))).isoformat()
    '2026-03-02T10:00:04+05:00'
    """
    base = PurePath(name).name
    for pattern in patterns:
        for match in compile_name_pattern(pattern).finditer(base):
            g = match.groupdict()
            try:
                when = datetime(
                    int(g["Y"]),
                    int(g["m"]),
                    int(g["d"]),
                    int(g["H"]),
                    int(g["M"]),
                    int(g["S"]),
                    tzinfo=tz,
                )
            except ValueError:
                continue
            if plausible(when):  # "00010101_000000" is a counter, not a date
                return when
    return None
