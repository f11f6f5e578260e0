"""Findings grouped into events: what happened, once, however many findings describe it.

One unrecorded span of the session is one event, though the continuity audit reports it as a gap
(``missing_segment``, ``late_start`` or ``early_stop``), an ``act_issue`` when no act explains it,
and a finding in the file where the recording holds no real audio there (``digital_silence``,
``timestamp_gap``). Other findings at the same place in the same file (a splice at a level jump)
are one event too. The report's first screen counts events; each event lists the findings that
describe it, by their number in the report (1-based).

These are pure functions over the saved ``auditor.report/1`` dictionary: the JSON contract is
unchanged, events are a reading of it for people.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = ["CATEGORIES", "GAP_KINDS", "Event", "Unchecked", "category_of", "group_events",
           "unchecked", "unrecorded_seconds"]

#: kinds that are session time no recording covers
GAP_KINDS = ("missing_segment", "late_start", "early_stop")
#: what an event is about, in the order the report lists them
CATEGORIES = ("unrecorded", "altered", "procedure", "other")
_ALTERED = frozenset({
    "digital_silence", "silence", "dropout", "timestamp_gap", "level_jump", "format_change",
    "splice", "video_gap", "video_black", "video_frozen", "missing_file", "overlap",
    "timestamp_mismatch", "hash_mismatch", "missing_in_copy", "inserted_in_copy",
    "altered_in_copy", "invalid_samples", "early_destruction", "unusable_recording",
})
_PROCEDURE = frozenset({"act_issue", "unlogged_file", "retention_overdue",
                        "ledger_inconsistent", "unwitnessed", "untimestamped", "unsealed",
                        "duplicate_claim"})
_RANK = {"high": 2, "warning": 1, "info": 0}
#: findings in one file closer than this (seconds) are one place
_NEAR_S = 0.5


def category_of(kind: str) -> str:
    """``unrecorded`` (session time not recorded), ``altered`` (altered or missing audio, files),
    ``procedure`` (acts, ledger, retention) or ``other`` (a kind not known here)."""
    if kind in GAP_KINDS:
        return "unrecorded"
    if kind in _ALTERED:
        return "altered"
    return "procedure" if kind in _PROCEDURE else "other"


@dataclass(frozen=True)
class Event:
    """One thing that happened, and the findings that describe it.

    ``findings`` are 1-based numbers in the report's ``findings`` list, the first the one that
    names the event (the gap for an unrecorded span). ``seconds`` is the length of the span
    (wall-clock for an unrecorded span, in the file otherwise; 0 for an instant). ``explained``
    is the gap's ``explained_by_act`` (``none``, ``partial``, ``full``), empty for other events.
    """

    n: int
    category: str
    kind: str
    severity: str
    findings: tuple[int, ...]
    file: str | None
    start: float | None
    end: float | None
    wall_start: str | None
    wall_end: str | None
    seconds: float
    explained: str = ""


@dataclass(frozen=True)
class Unchecked:
    """Something the examination could not check: a file, and what and why (English codes).

    ``what`` is ``unreadable`` (the file could not be examined), ``no_session`` (no session
    record: continuity was not audited) or a splice cue's name (``enf``, ``background``,
    ``waveform``) that does not apply to the file; ``reason`` is the report's own words.
    """

    file: str | None
    what: str
    reason: str


def _time(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def _span(f: dict[str, Any]) -> tuple[float, float] | None:
    if f.get("start") is None:
        return None
    a = float(f["start"])
    return a, float(f["end"]) if f.get("end") is not None else a


def _same_wall(f: dict[str, Any], gap: dict[str, Any]) -> bool:
    ev = f.get("evidence") or {}
    for a, b in ((f.get("wall_start"), f.get("wall_end")),
                 (ev.get("gap_start"), ev.get("gap_end"))):
        if (_time(a) is not None and _time(a) == _time(gap.get("wall_start"))
                and _time(b) == _time(gap.get("wall_end"))):
            return True
    return False


def _inside_gap(f: dict[str, Any], gap: dict[str, Any]) -> bool:
    """A file finding at the place in the file where the gap lies (the cause of the gap)."""
    if f.get("wall_start") or not gap.get("file") or f.get("file") != gap.get("file"):
        return False
    fs, gs = _span(f), _span(gap)
    if fs is None or gs is None or gs[1] <= gs[0]:
        return False
    return min(fs[1], gs[1]) - max(fs[0], gs[0]) > 0


def _wall_seconds(f: dict[str, Any]) -> float:
    a, b = _time(f.get("wall_start")), _time(f.get("wall_end"))
    if a is not None and b is not None:
        return max(0.0, (b - a).total_seconds())
    span = _span(f)
    return max(0.0, span[1] - span[0]) if span else 0.0


def _worst(findings: list[dict[str, Any]]) -> str:
    return max((f.get("severity", "info") for f in findings), key=lambda s: _RANK.get(s, 0))


def group_events(report: dict[str, Any]) -> list[Event]:
    """The report's findings grouped into events: by category (:data:`CATEGORIES`), then in
    the order of their first finding.

    Parameters
    ----------
    report
        The ``auditor.report/1`` dictionary.

    Returns
    -------
    list of Event
        Every finding belongs to exactly one event.
    """
    findings: list[dict[str, Any]] = list(report.get("findings") or [])
    groups: list[list[int]] = []
    taken: set[int] = set()
    for i, gap in enumerate(findings):
        if gap.get("kind") not in GAP_KINDS or i in taken:
            continue
        members = [i]
        taken.add(i)
        for j, f in enumerate(findings):
            if j in taken or f.get("kind") in GAP_KINDS:
                continue
            if (f.get("kind") == "act_issue" and _same_wall(f, gap)) or _inside_gap(f, gap):
                members.append(j)
                taken.add(j)
        groups.append(members)
    open_: dict[str, list[int]] = {}  # file -> the group still growing there
    ends: dict[int, float] = {}
    rest = sorted((i for i in range(len(findings)) if i not in taken),
                  key=lambda i: (str(findings[i].get("file")), _span(findings[i]) or (0.0, 0.0)))
    for i in rest:
        f = findings[i]
        span = _span(f)
        file = f.get("file")
        if not file or span is None or f.get("wall_start"):
            groups.append([i])
            continue
        group = open_.get(file)
        if group is not None and span[0] <= ends[id(group)] + _NEAR_S:
            group.append(i)
            ends[id(group)] = max(ends[id(group)], span[1])
            continue
        group = [i]
        groups.append(group)
        open_[file] = group
        ends[id(group)] = span[1]
    groups = [sorted(g, key=lambda i: (findings[i].get("kind") not in GAP_KINDS, i))
              for g in groups]
    groups.sort(key=lambda g: (CATEGORIES.index(category_of(str(findings[g[0]].get("kind")))),
                               min(g)))
    out = []
    for n, members in enumerate(groups, 1):
        head = findings[members[0]]
        fs = [findings[i] for i in members]
        spans = [s for s in map(_span, fs) if s is not None]
        unrecorded = head.get("kind") in GAP_KINDS
        start = min((s[0] for s in spans), default=None)
        end = max((s[1] for s in spans), default=None)
        out.append(Event(
            n=n, category=category_of(str(head.get("kind"))), kind=str(head.get("kind")),
            severity=_worst(fs), findings=tuple(i + 1 for i in members),
            file=head.get("file"), start=start, end=end,
            wall_start=head.get("wall_start"), wall_end=head.get("wall_end"),
            seconds=_wall_seconds(head) if unrecorded else (
                max(0.0, end - start) if start is not None and end is not None else 0.0),
            explained=str((head.get("evidence") or {}).get("explained_by_act", "none"))
            if unrecorded else ""))
    return out


def unrecorded_seconds(events: list[Event]) -> tuple[float, float]:
    """Session time not recorded: ``(no act explains it, an act explains it)``, in seconds.

    A span an act explains only in part counts as unexplained.
    """
    gaps = [e for e in events if e.category == "unrecorded"]
    return (sum(e.seconds for e in gaps if e.explained != "full"),
            sum(e.seconds for e in gaps if e.explained == "full"))


def unchecked(report: dict[str, Any]) -> list[Unchecked]:
    """What the examination could not check, from the report: unreadable files, a missing
    session record, and the splice cues that do not apply to a file."""
    out = [Unchecked(u.get("path"), "unreadable", str(u.get("error", "")))
           for u in report.get("unreadable") or []]
    if not report.get("session") and report.get("files"):
        out.append(Unchecked(None, "no_session", ""))
    for f in report.get("files") or []:
        cues = ((f.get("checks") or {}).get("splice") or {})
        for name in ("enf", "background", "waveform"):
            cue = cues.get(name)
            if isinstance(cue, dict) and not cue.get("applicable", True):
                out.append(Unchecked(f.get("path"), name, str(cue.get("reason") or "")))
    return out
