"""Wall-clock coverage of recordings, and interval arithmetic on wall-clock time.

A :class:`Coverage` is what one declared file actually covers: a wall-clock start (from the
record, else the file's embedded metadata, else its name), a duration from the decoded audio, and
the spans inside the file that are not real recording (a timestamp gap, a long digital silence:
:func:`uncovered_spans`, the one place that rule is written), which do not count as covered.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal, Protocol

from ..errors import MediaError, SessionError
from ._parse import plausible
from .names import DEFAULT_NAME_PATTERNS, start_from_name
from .record import Recording, Session

__all__ = [
    "LONG_DIGITAL_SILENCE",
    "Coverage",
    "Interval",
    "Located",
    "ProbeResult",
    "build_coverage",
    "intersect",
    "subtract",
    "uncovered_spans",
    "union",
]

StartSource = Literal["record", "embedded", "filename"]
#: The longest duration placed on the clock (s): ten years, far beyond any recording.
MAX_DURATION = 10 * 366 * 86400.0
#: Digital silence at least this long (s) does not count as recorded time.
LONG_DIGITAL_SILENCE = 1.0


@dataclass(frozen=True, order=True)
class Interval:
    """A half-open wall-clock span ``[start, end)`` of timezone-aware datetimes."""

    start: datetime
    end: datetime

    @property
    def seconds(self) -> float:
        """Length in seconds."""
        return (self.end - self.start).total_seconds()


def union(spans: Iterable[Interval]) -> list[Interval]:
    """Merge spans into sorted, disjoint spans (touching spans are joined)."""
    out: list[Interval] = []
    for span in sorted(s for s in spans if s.end > s.start):
        if out and span.start <= out[-1].end:
            if span.end > out[-1].end:
                out[-1] = Interval(out[-1].start, span.end)
        else:
            out.append(span)
    return out


def subtract(spans: Iterable[Interval], holes: Iterable[Interval]) -> list[Interval]:
    """``spans`` minus ``holes``, as sorted disjoint spans."""
    out: list[Interval] = []
    cut = union(holes)
    for span in union(spans):
        pieces = [span]
        for hole in cut:
            if hole.end <= span.start or hole.start >= span.end:
                continue
            next_pieces = []
            for p in pieces:
                if hole.start > p.start:
                    next_pieces.append(Interval(p.start, min(hole.start, p.end)))
                if hole.end < p.end:
                    next_pieces.append(Interval(max(hole.end, p.start), p.end))
            pieces = [p for p in next_pieces if p.end > p.start]
        out.extend(pieces)
    return out


def intersect(a: Iterable[Interval], b: Iterable[Interval]) -> list[Interval]:
    """Sorted disjoint spans covered by both ``a`` and ``b``."""
    out = []
    for x in union(a):
        for y in union(b):
            lo, hi = max(x.start, y.start), min(x.end, y.end)
            if hi > lo:
                out.append(Interval(lo, hi))
    return union(out)


class ProbeResult(Protocol):
    """What :func:`build_coverage` reads from a probed file (``auditor.media.MediaInfo``)."""

    @property
    def duration(self) -> float: ...

    @property
    def embedded_start(self) -> datetime | None: ...


class Located(Protocol):
    """What :func:`uncovered_spans` reads from a finding (``auditor.findings.Finding``)."""

    @property
    def kind(self) -> str: ...

    @property
    def start(self) -> float | None: ...

    @property
    def end(self) -> float | None: ...


def uncovered_spans(findings: Iterable[Located]) -> list[tuple[float, float]]:
    """Spans of a file (s) that are not real recording: time gaps and long digital silence.

    Parameters
    ----------
    findings
        The findings about one file, with ``start`` and ``end`` in seconds from its start.

    Returns
    -------
    list of (float, float)
        ``(start_s, end_s)`` of every ``timestamp_gap``, and of every ``digital_silence`` at
        least :data:`LONG_DIGITAL_SILENCE` long, sorted; what :func:`build_coverage` takes as
        ``uncovered``.
    """
    spans = []
    for f in findings:
        if f.start is None or f.end is None or f.end <= f.start:
            continue
        if f.kind == "timestamp_gap" or (
            f.kind == "digital_silence" and f.end - f.start >= LONG_DIGITAL_SILENCE
        ):
            spans.append((float(f.start), float(f.end)))
    return sorted(spans)


@dataclass(frozen=True)
class Coverage:
    """The wall-clock span one recording file covers.

    Parameters
    ----------
    file
        The path as declared in the session record (or as given on the command line).
    wall_start
        The wall-clock time of the file's first sample (timezone-aware); None only for a missing
        file whose start nobody declared.
    duration
        Seconds of decoded audio; 0 for a missing file.
    start_source
        Where ``wall_start`` came from: ``"record"``, ``"embedded"`` or ``"filename"``.
    embedded_start
        The start embedded in the file (BWF ``bext``, MP4 ``creation_time``), if any.
    name_start
        The start the file name gives, if any (in the session's offset).
    uncovered
        Spans inside the file, ``(start_s, end_s)`` in seconds from its start, that are not real
        recording (timestamp gaps, long digital silences).
    missing
        Why the file could not be used ("absent", "cannot be decoded: ..."), or None.
    """

    file: str
    wall_start: datetime | None
    duration: float
    start_source: StartSource | None
    embedded_start: datetime | None = None
    name_start: datetime | None = None
    uncovered: tuple[tuple[float, float], ...] = field(default=())
    missing: str | None = None

    @property
    def wall_end(self) -> datetime | None:
        """The wall-clock time just after the file's last sample."""
        if self.wall_start is None:
            return None
        return self.wall_start + timedelta(seconds=self.duration)

    @property
    def claimed(self) -> Interval | None:
        """The whole span the file claims, ``[wall_start, wall_end)`` (None when missing)."""
        if self.missing is not None or self.wall_start is None or self.duration <= 0:
            return None
        end = self.wall_end
        assert end is not None
        return Interval(self.wall_start, end)

    def covered(self) -> list[Interval]:
        """The spans of real recording: the claimed span minus the uncovered spans."""
        claimed = self.claimed
        if claimed is None:
            return []
        return subtract([claimed], [self.wall(a, b) for a, b in self.uncovered])

    def wall(self, start_s: float, end_s: float) -> Interval:
        """The wall-clock span of seconds ``start_s..end_s`` of the file."""
        assert self.wall_start is not None
        return Interval(
            self.wall_start + timedelta(seconds=start_s), self.wall_start + timedelta(seconds=end_s)
        )

    def offset_of(self, when: datetime) -> float:
        """Seconds from the file's start to the wall-clock time ``when``."""
        assert self.wall_start is not None
        return (when - self.wall_start).total_seconds()


def build_coverage(
    recording: Recording,
    info: ProbeResult | None,
    *,
    uncovered: Sequence[tuple[float, float]] = (),
    session: Session,
    name_patterns: Sequence[str] = DEFAULT_NAME_PATTERNS,
    problem: str | None = None,
) -> Coverage:
    """The coverage of one declared recording.

    The start comes from the record, else from the file's embedded metadata, else from its name.

    Parameters
    ----------
    recording
        The recording as declared (``Recording(file, start=None)`` for a file given only on the
        command line).
    info
        The probed file (``auditor.media.probe``), or None when the file is absent or unreadable.
    uncovered
        Spans inside the file, ``(start_s, end_s)`` seconds, that are not real recording.
    session
        The session; its offset applies to a start read from a file name, and to an embedded
        start that carries no offset.
    name_patterns
        File-name patterns (``Policy.name_patterns``).
    problem
        Why the file is missing, when ``info`` is None ("not found", the probe's error).

    Returns
    -------
    Coverage

    Raises
    ------
    SessionError
        If the file is present but no start can be found for it.
    MediaError
        If the file's duration is not a number of seconds a recording can last
        (:data:`MAX_DURATION`).
    """
    name_start = start_from_name(recording.file, tz=session.tz, patterns=name_patterns)
    embedded = None if info is None else info.embedded_start
    if embedded is not None and not plausible(embedded):
        embedded = None  # a recorder's unset or corrupt clock (year 1, 9999): no time at all
    if embedded is not None and embedded.tzinfo is None:
        embedded = embedded.replace(tzinfo=session.tz)
    start: datetime | None
    source: StartSource | None
    if recording.start is not None:
        start, source = recording.start, "record"
    elif embedded is not None:
        start, source = embedded, "embedded"
    elif name_start is not None:
        start, source = name_start, "filename"
    else:
        start, source = None, None
    if info is None:
        return Coverage(
            file=recording.file,
            wall_start=start,
            duration=0.0,
            start_source=source,
            name_start=name_start,
            missing=problem or "absent or unreadable",
        )
    if start is None:
        raise SessionError(
            "no start time for this recording: the session record gives none, the file embeds "
            "none, and its name holds no date and time",
            path=recording.file,
            hint="add its start to the session record's recordings[].start "
            '(e.g. "2026-03-02T10:00:04+05:00")',
        )
    duration = float(info.duration)
    if not 0.0 <= duration <= MAX_DURATION:
        raise MediaError(
            f"the file's duration {duration!r} s cannot be placed on the session's clock",
            path=recording.file,
            hint="check the file: its header may be damaged (re-export the recording)",
        )
    spans = []
    for a, b in uncovered:
        lo, hi = max(0.0, float(a)), min(duration, float(b))
        if hi > lo:
            spans.append((lo, hi))
    return Coverage(
        file=recording.file,
        wall_start=start,
        duration=duration,
        start_source=source,
        embedded_start=embedded,
        name_start=name_start,
        uncovered=tuple(sorted(spans)),
    )
