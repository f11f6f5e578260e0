"""The court's record of a session (``auditor.session/1``): parse, validate, serialise.

A session record says when a hearing opened and closed, which breaks were announced, which
recording files the court declares and when each began, and which acts of failure to record were
drawn up. Every time carries a UTC offset; a time without one is an error, because a wall-clock
time without an offset cannot be compared with a recording's timestamps.

Unknown fields are errors (a misspelt ``"brakes"`` would otherwise drop every break silently);
fields of your own start with ``x-`` and are ignored. The JSON form is the contract in
``DESIGN.md``. The CSV form, for court IT exports, holds the same
fields with one row per event; see :mod:`auditor.session.csvform`. Reading either from a file is
:func:`auditor.session.load.load_session`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path, PurePath
from typing import Any

from ..errors import SessionError
from ._parse import (
    _check_fields,
    _date,
    _file_name,
    _grid_hz,
    _list,
    _signatories,
    _text,
    parse_time,
    show,
)

__all__ = [
    "SCHEMA",
    "Act",
    "Break",
    "Recording",
    "Session",
    "parse_time",
]

SCHEMA = "auditor.session/1"
#: The largest session record read (bytes). A record lists one hearing: a few kilobytes.
MAX_RECORD_BYTES = 10 * 2**20

_TOP_FIELDS = frozenset({"schema", "court", "case", "judge", "secretary", "start", "end", "breaks",
                         "recordings", "acts", "verdict_in_force", "grid_hz"})
_BREAK_FIELDS = frozenset({"start", "end", "reason"})
_RECORDING_FIELDS = frozenset({"file", "start"})
_ACT_FIELDS = frozenset({"start", "end", "reason", "signed_at", "signed_by"})


@dataclass(frozen=True)
class Break:
    """An announced break (recess, deliberation, adjournment): recording may stop.

    Parameters
    ----------
    start, end
        Wall-clock bounds, timezone-aware.
    reason
        As the record gives it ("recess", "deliberation room").
    """

    start: datetime
    end: datetime
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The break as in the record."""
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "reason": self.reason}


@dataclass(frozen=True)
class Recording:
    """A recording file the court declares.

    Parameters
    ----------
    file
        The path as declared; relative paths resolve against the record's folder.
    start
        The declared wall-clock start, or None when the record does not give one (the start then
        comes from the file's embedded metadata or its name).
    """

    file: str
    start: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        """The recording as in the record."""
        return {"file": self.file, "start": None if self.start is None else self.start.isoformat()}


@dataclass(frozen=True)
class Act:
    """An act drawn up because (part of) the session could not be recorded.

    Parameters
    ----------
    start, end
        The span of the session the act says was not recorded.
    reason
        The reason the act gives ("equipment failure").
    signed_at
        When the act was signed, or None when the record does not say.
    signed_by
        Who signed it (names or roles), in the record's order.
    """

    start: datetime
    end: datetime
    reason: str | None = None
    signed_at: datetime | None = None
    signed_by: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The act as in the record."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "reason": self.reason,
            "signed_at": None if self.signed_at is None else self.signed_at.isoformat(),
            "signed_by": list(self.signed_by),
        }


@dataclass(frozen=True)
class Session:
    """A court session record, validated when constructed.

    Construct it with :meth:`from_json` or :func:`load_session`; the constructor itself checks
    every rule that ties fields together (end after start, breaks inside the session and not
    overlapping, acts inside the session, no file declared twice) and raises
    :class:`~auditor.errors.SessionError` naming the field and the value.

    Parameters
    ----------
    start, end
        When the session opened and closed (timezone-aware).
    breaks, recordings, acts
        Announced breaks, declared recording files, acts of failure to record.
    court, case, judge, secretary
        Who and what, as text.
    verdict_in_force
        The date the verdict entered into force (starts the retention period), if known.
    grid_hz
        The mains frequency where the court sits (50 or 60), if the record gives it: the
        splice cues use it instead of measuring it.
    base_dir
        The folder relative recording paths resolve against.
    source
        The record's file, named in error messages.
    labels
        Field name -> a fuller label for messages (the CSV reader maps ``breaks[0]`` to its row).
    """

    start: datetime
    end: datetime
    breaks: tuple[Break, ...] = ()
    recordings: tuple[Recording, ...] = ()
    acts: tuple[Act, ...] = ()
    court: str | None = None
    case: str | None = None
    judge: str | None = None
    secretary: str | None = None
    verdict_in_force: date | None = None
    grid_hz: int | None = None
    base_dir: Path | None = field(default=None, compare=False)
    source: str | None = field(default=None, compare=False)
    labels: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            value = getattr(self, name)
            if value.tzinfo is None or value.utcoffset() is None:
                self._fail(name, f"{value.isoformat()} has no UTC offset")
        if self.end <= self.start:
            self._fail(
                "end",
                f"{self.end.isoformat()} is not after start {self.start.isoformat()}",
                hint="check the session's start and end",
            )
        self._check_spans("breaks", self.breaks, overlap_ok=False)
        self._check_spans("acts", self.acts, overlap_ok=True)
        seen: dict[str, int] = {}
        for i, rec in enumerate(self.recordings):
            key = os.path.normpath(rec.file)
            if key in seen:
                first = self._label(f"recordings[{seen[key]}]")
                self._fail(
                    f"recordings[{i}].file",
                    f"{rec.file} is declared twice (also {first})",
                    hint="declare each recording file once",
                )
            seen[key] = i

    def _label(self, where: str) -> str:
        head, _, tail = where.partition(".")
        if head in self.labels:
            return f"{self.labels[head]}{'.' + tail if tail else ''}"
        return where

    def _fail(self, where: str, what: str, *, hint: str | None = None) -> None:
        raise SessionError(f"{self._label(where)} {what}", path=self.source, hint=hint)

    def _check_spans(self, name: str, spans: Sequence[Break | Act], *, overlap_ok: bool) -> None:
        for i, span in enumerate(spans):
            where = f"{name}[{i}]"
            for end in ("start", "end"):
                value = getattr(span, end)
                if value.tzinfo is None or value.utcoffset() is None:
                    self._fail(f"{where}.{end}", f"{value.isoformat()} has no UTC offset")
            if span.end <= span.start:
                self._fail(
                    f"{where}.end",
                    f"{span.end.isoformat()} is not after {where}.start {span.start.isoformat()}",
                )
            if span.start < self.start or span.end > self.end:
                self._fail(
                    where,
                    f"{span.start.isoformat()}–{span.end.isoformat()} lies outside the session "
                    f"{self.start.isoformat()}–{self.end.isoformat()}",
                    hint="check the dates and offsets, or the session's start and end",
                )
        if overlap_ok:
            return
        order = sorted(range(len(spans)), key=lambda k: spans[k].start)
        for a, b in zip(order, order[1:], strict=False):
            if spans[b].start < spans[a].end:
                self._fail(
                    f"{name}[{b}]",
                    f"{spans[b].start.isoformat()}–{spans[b].end.isoformat()} overlaps "
                    f"{self._label(f'{name}[{a}]')} "
                    f"{spans[a].start.isoformat()}–{spans[a].end.isoformat()}",
                    hint="merge the overlapping breaks into one",
                )

    @property
    def tz(self) -> timezone:
        """The session's UTC offset (of its start), used to print wall-clock times."""
        offset = self.start.utcoffset()
        assert offset is not None  # checked at construction
        return timezone(offset)

    def local(self, when: datetime) -> datetime:
        """``when`` in the session's offset."""
        return when.astimezone(self.tz)

    def resolve(self, recording: Recording) -> Path:
        """The path of a declared recording, relative paths taken from the record's folder."""
        path = Path(recording.file)
        if path.is_absolute() or self.base_dir is None:
            return path
        return self.base_dir / path

    @classmethod
    def from_json(
        cls,
        data: object,
        *,
        base_dir: str | os.PathLike[str] | None = None,
        source: str | os.PathLike[str] | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> Session:
        """Parse and validate an ``auditor.session/1`` object.

        Parameters
        ----------
        data
            The decoded JSON object.
        base_dir
            The folder relative recording paths resolve against (the record's folder).
        source
            The record's file, named in error messages.
        labels
            Fuller labels for fields, e.g. ``{"breaks[0]": "breaks[0] (CSV row 3)"}``.

        Returns
        -------
        Session

        Raises
        ------
        SessionError
            Naming the field, the offending value and what to do.
        """
        src = None if source is None else os.fspath(source)
        lab = dict(labels or {})

        def name(where: str) -> str:
            head, _, tail = where.partition(".")
            return f"{lab.get(head, head)}{'.' + tail if tail else ''}"

        obj = _check_fields(data, _TOP_FIELDS, where="the session record", source=src)
        schema = obj.get("schema")
        if schema != SCHEMA:
            raise SessionError(
                f"schema {show(schema)} is not supported" if schema else "schema is missing",
                path=src,
                hint=f'this version reads "schema": "{SCHEMA}"',
            )
        start = parse_time(obj.get("start"), where=name("start"), source=src)
        tz = start.tzinfo

        def when(value: object, where: str) -> datetime:
            return parse_time(value, where=name(where), source=src, example_tz=tz)

        breaks = []
        for i, raw in enumerate(_list(obj, "breaks", source=src)):
            w = f"breaks[{i}]"
            item = _check_fields(raw, _BREAK_FIELDS, where=name(w), source=src)
            breaks.append(
                Break(
                    start=when(item.get("start"), f"{w}.start"),
                    end=when(item.get("end"), f"{w}.end"),
                    reason=_text(item.get("reason"), where=name(f"{w}.reason"), source=src),
                )
            )
        recordings = []
        for i, raw in enumerate(_list(obj, "recordings", source=src)):
            w = f"recordings[{i}]"
            item = _check_fields(raw, _RECORDING_FIELDS, where=name(w), source=src)
            file = _file_name(item.get("file"), where=name(f"{w}.file"), source=src)
            rec_start = item.get("start")
            recordings.append(
                Recording(
                    file=file,
                    start=None if rec_start in (None, "") else when(rec_start, f"{w}.start"),
                )
            )
        acts = []
        for i, raw in enumerate(_list(obj, "acts", source=src)):
            w = f"acts[{i}]"
            item = _check_fields(raw, _ACT_FIELDS, where=name(w), source=src)
            signed_at = item.get("signed_at")
            acts.append(
                Act(
                    start=when(item.get("start"), f"{w}.start"),
                    end=when(item.get("end"), f"{w}.end"),
                    reason=_text(item.get("reason"), where=name(f"{w}.reason"), source=src),
                    signed_at=None
                    if signed_at in (None, "")
                    else when(signed_at, f"{w}.signed_at"),
                    signed_by=_signatories(
                        item.get("signed_by"), where=name(f"{w}.signed_by"), source=src
                    ),
                )
            )
        verdict = obj.get("verdict_in_force")
        return cls(
            start=start,
            end=when(obj.get("end"), "end"),
            breaks=tuple(breaks),
            recordings=tuple(recordings),
            acts=tuple(acts),
            court=_text(obj.get("court"), where="court", source=src),
            case=_text(obj.get("case"), where="case", source=src),
            judge=_text(obj.get("judge"), where="judge", source=src),
            secretary=_text(obj.get("secretary"), where="secretary", source=src),
            verdict_in_force=_date(verdict, where=name("verdict_in_force"), source=src),
            grid_hz=_grid_hz(obj.get("grid_hz"), where=name("grid_hz"), source=src),
            base_dir=None if base_dir is None else Path(base_dir),
            source=src,
            labels=lab,
        )

    def to_json(self) -> dict[str, Any]:
        """The record as an ``auditor.session/1`` object (for the report's ``session`` field);
        ``grid_hz`` only when the record gives it."""
        grid = {} if self.grid_hz is None else {"grid_hz": self.grid_hz}
        return {
            "schema": SCHEMA,
            "court": self.court,
            "case": self.case,
            "judge": self.judge,
            "secretary": self.secretary,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "breaks": [b.to_json() for b in self.breaks],
            "recordings": [r.to_json() for r in self.recordings],
            "acts": [a.to_json() for a in self.acts],
            "verdict_in_force": (
                None if self.verdict_in_force is None else self.verdict_in_force.isoformat()
            ),
            **grid,
        }


def file_key(name: str) -> str:
    """A normalised form of a declared file name, for matching coverages to recordings."""
    return PurePath(os.path.normpath(name)).as_posix()
