"""How the continuity audit writes time: durations, clock times and spans for a person to read,
and instants for a finding's ``wall_start``/``wall_end`` (in the session's offset)."""

from __future__ import annotations

from datetime import datetime, timedelta

from .record import Session

__all__ = ["clock", "format_duration", "format_span", "iso"]


def format_duration(seconds: float) -> str:
    """``"12 min 30 s"``, ``"1 h 5 min"``, ``"2.5 s"`` for messages a person reads."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    total = int(round(seconds))
    h, rem = divmod(total, 3600)
    m, s = divmod(rem, 60)
    parts = [f"{h} h" if h else "", f"{m} min" if m else "", f"{s} s" if s else ""]
    return " ".join(p for p in parts if p)


def clock(session: Session, when: datetime, with_date: bool) -> str:
    local = session.local(when + timedelta(microseconds=500_000)).replace(microsecond=0)
    return local.strftime("%Y-%m-%d %H:%M:%S" if with_date else "%H:%M:%S")


def format_span(session: Session, start: datetime, end: datetime) -> str:
    """``"10:47:10–10:59:40 (+05:00)"``; with dates when the span leaves the session's first day."""
    day = session.local(session.start).date()
    with_date = session.local(start).date() != day or session.local(end).date() != day
    offset = session.local(start).strftime("%z")
    return (
        f"{clock(session, start, with_date)}–{clock(session, end, with_date)} "
        f"({offset[:3]}:{offset[3:]})"
    )


def iso(session: Session, when: datetime) -> str:
    local = session.local(when)
    return local.isoformat(timespec="seconds" if local.microsecond == 0 else "milliseconds")
