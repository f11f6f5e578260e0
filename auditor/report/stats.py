"""Statistics for a study: many saved reports in, the study's tables out.

Reads scan reports (``auditor.report/1``, with or without a session record) and archive audit
reports (the same schema with an ``archive`` section whose ``cases[].sessions[]`` name each
session and the indices of its findings). A *hearing* is one session record: the ``session`` of a
scan report, or one entry of an archive report's sessions. A hearing met twice (same court, case
and start, e.g. a hearing scanned on its own and again in an archive audit) is counted once, from
the first input in path order; the other input says so.

The numbers, from the reports alone (nothing else is read):

- findings per court, year and kind: every finding of every report; court and year are the
  session's (an archive finding's own ``evidence.court``/``evidence.year``); a scan without a
  session record counts under ``(unknown)``;
- unrecorded session time: the wall-clock spans of a hearing's ``late_start``, ``missing_segment``
  and ``early_stop`` findings (session time outside announced breaks and the policy's grace
  periods that no recording covers), merged so no second is counted twice; *without an act*: the
  part of them no act of failure to record explains (``evidence.explained_by_act``, and for a
  partly explained span the ``act_issue`` findings that name its uncovered pieces);
- acts of failure to record: the session record's ``acts`` (known for scan reports; an archive
  report does not copy the records' acts, so its hearings count as "acts not known").

A report that cannot be read is kept in :attr:`Study.problems` with what is wrong; the others
are still counted. Rows are sorted, so the same reports give the same tables byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import InputError
from .events import GAP_KINDS
from .validate import validate_report

__all__ = ["GAP_KINDS", "UNKNOWN", "ALL", "TABLES", "Hearing", "Source", "Study", "read_study",
           "study_tables"]

UNKNOWN = "(unknown)"
ALL = "(all)"
#: The tables of a study, in the order a reader meets them: name -> columns.
TABLES: dict[str, tuple[str, ...]] = {
    "findings": ("court", "year", "kind", "findings"),
    "unrecorded": ("court", "year", "hearings", "hearings_unrecorded", "share_unrecorded",
                   "unrecorded_spans", "unrecorded_minutes", "minutes_without_act",
                   "scheduled_minutes"),
    "acts": ("court", "hearings", "hearings_acts_known", "acts", "hearings_with_acts",
             "act_minutes", "spans_without_act"),
    "hearings": ("court", "case", "date", "report", "record", "scheduled_minutes",
                 "unrecorded_spans", "unrecorded_minutes", "minutes_without_act", "acts",
                 "act_minutes", "findings"),
    "inputs": ("report", "sha256", "type", "hearings", "findings", "status"),
}


@dataclass(frozen=True)
class Hearing:
    """One session: where it came from and what its findings say about it (seconds)."""

    report: str
    record: str | None
    court: str
    case: str
    start: str
    scheduled_s: float | None
    unrecorded_s: float
    without_act_s: float
    spans: int
    spans_without_act: int
    acts: int | None
    act_s: float | None
    findings: int

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.court, self.case, self.start)

    @property
    def date(self) -> str:
        return self.start[:10]


@dataclass(frozen=True)
class Source:
    """One input report: its SHA-256 and what of it was counted."""

    report: str
    sha256: str | None
    type: str
    hearings: int = 0
    findings: int = 0
    status: str = "counted"


@dataclass
class Study:
    """Every input's hearings and finding counts; :attr:`problems` are the unreadable ones."""

    sources: list[Source] = field(default_factory=list)
    hearings: list[Hearing] = field(default_factory=list)
    counts: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    problems: list[InputError] = field(default_factory=list)
    version: str = __version__


def _seconds(spans: Iterable[tuple[datetime, datetime]]) -> float:
    """Total length of the union of ``spans``."""
    total, end = 0.0, None
    for a, b in sorted(spans):
        if end is not None and a < end:
            a = end
        if b > a:
            total += (b - a).total_seconds()
            end = b if end is None else max(end, b)
    return total


def _span(obj: dict[str, Any], a: str = "wall_start", b: str = "wall_end"
          ) -> tuple[datetime, datetime] | None:
    if not isinstance(obj.get(a), str) or not isinstance(obj.get(b), str):
        return None
    return datetime.fromisoformat(obj[a]), datetime.fromisoformat(obj[b])


def _text(value: Any) -> str:
    return UNKNOWN if value in (None, "") else str(value)


def _hearing(report: str, record: str | None, session: dict[str, Any],
             findings: list[dict[str, Any]], *, scheduled: bool) -> Hearing:
    gaps = [(f, span) for f in findings if f["kind"] in GAP_KINDS
            for span in [_span(f)] if span is not None]
    pieces = [(_span(f.get("evidence") or {}, "gap_start", "gap_end"), span)
              for f in findings if f["kind"] == "act_issue"
              for span in [_span(f)] if span is not None]
    unexplained: list[tuple[datetime, datetime]] = []
    for g, span in gaps:
        how = (g.get("evidence") or {}).get("explained_by_act", "none")
        if how == "none":
            unexplained.append(span)
        elif how == "partial":  # the act_issue findings name the pieces no act covers
            unexplained += [piece for gap, piece in pieces if gap == span]
    whole = _span(session, "start", "end")
    scheduled_s = acts = act_s = None
    if scheduled and whole is not None:
        breaks = [b for b in (_span(x, "start", "end") for x in session.get("breaks") or [])
                  if b is not None]
        clipped = [(max(a, whole[0]), min(b, whole[1])) for a, b in breaks]
        scheduled_s = max((whole[1] - whole[0]).total_seconds() - _seconds(clipped), 0.0)
    if isinstance(session.get("acts"), list):
        spans = [s for s in (_span(a, "start", "end") for a in session["acts"]) if s]
        acts, act_s = len(session["acts"]), _seconds(spans)
    return Hearing(
        report=report, record=record, court=_text(session.get("court")),
        case=_text(session.get("case")), start=str(session.get("start") or ""),
        scheduled_s=scheduled_s, unrecorded_s=_seconds(span for _, span in gaps),
        without_act_s=_seconds(unexplained), spans=len(gaps), spans_without_act=sum(
            (g.get("evidence") or {}).get("explained_by_act", "none") != "full" for g, _ in gaps),
        acts=acts, act_s=act_s, findings=len(findings))


Group = tuple[Hearing | None, list[tuple[str, str, str]]]


def _archive_groups(report: str, data: dict[str, Any]) -> list[Group]:
    """An archive report's sessions, each with its findings' (court, year, kind)."""
    findings = data["findings"]

    def bad(where: str, what: str) -> InputError:
        return InputError(f"archive.{where} {what}", path=report,
                          hint="give the unmodified file written by auditor archive audit")

    def key(f: dict[str, Any]) -> tuple[str, str, str]:
        ev = f.get("evidence") or {}
        return (_text(ev.get("court")), _text(ev.get("year")), f["kind"])

    arc = data["archive"]
    cases = arc.get("cases") if isinstance(arc, dict) else None
    if not isinstance(cases, list):
        raise bad("cases", "must be a list")
    used: set[int] = set()
    groups: list[Group] = []
    for i, case in enumerate(cases):
        sessions = case.get("sessions") if isinstance(case, dict) else None
        if not isinstance(sessions, list):
            raise bad(f"cases[{i}].sessions", "must be a list")
        for j, s in enumerate(sessions):
            where = f"cases[{i}].sessions[{j}]"
            idx = s.get("findings") if isinstance(s, dict) else None
            if not isinstance(idx, list) or not all(
                    isinstance(k, int) and not isinstance(k, bool) and 0 <= k < len(findings)
                    for k in idx):
                raise bad(f"{where}.findings", "must be a list of indices into findings")
            try:
                _span(s, "start", "end")
            except (TypeError, ValueError):
                raise bad(where, "has a start or end that is not an ISO 8601 time") from None
            own = [findings[k] for k in idx]
            used.update(idx)
            groups.append((_hearing(report, str(s.get("record")), s, own, scheduled=False),
                           [key(f) for f in own]))
    rest = [key(f) for k, f in enumerate(findings) if k not in used]
    return [*groups, (None, rest)] if rest else groups


def _read(path: str) -> tuple[str, str, list[Group]]:
    """An input's SHA-256, type and groups; :class:`InputError` when it cannot be read."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the report: {exc.strerror}", path=path) from None
    sha = hashlib.sha256(raw).hexdigest()
    try:
        data = json.loads(raw.decode("utf-8"))
    except RecursionError:
        raise InputError("the report is nested too deeply to be one", path=path) from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"not a JSON report: {str(exc).partition(';')[0]}", path=path,
                         hint="give a file written by auditor scan --format json or "
                              "auditor archive audit") from None
    validate_report(data, path=path)
    if data.get("archive") is not None:
        return sha, "archive", _archive_groups(path, data)
    session = data.get("session")
    court_year = (_text(session.get("court")), _text(str(session.get("start") or "")[:4])
                  ) if session else (UNKNOWN, UNKNOWN)
    keys = [(*court_year, f["kind"]) for f in data["findings"]]
    if not session:
        return sha, "scan", [(None, keys)]
    return sha, "scan", [(_hearing(path, None, session, data["findings"], scheduled=True), keys)]


def read_study(paths: Sequence[str | os.PathLike[str]]) -> Study:
    """Read every report (in path order, each once) and gather the study's counts.

    Parameters
    ----------
    paths
        Saved JSON reports: ``auditor scan --format json`` or ``auditor archive audit``.

    Returns
    -------
    Study
        Hearings, counts per (court, year, kind), one :class:`Source` per input, and the
        inputs that could not be read (:attr:`Study.problems`), which are not counted.
    """
    study = Study()
    seen: dict[tuple[str, str, str], str] = {}
    given: set[str] = set()
    for path in sorted({os.fspath(p) for p in paths}):
        real = os.path.realpath(path)
        if real in given:
            study.sources.append(Source(path, None, "duplicate", status="the same file as "
                                        "another input: counted once"))
            continue
        given.add(real)
        try:
            sha, kind, groups = _read(path)
        except InputError as exc:
            study.problems.append(exc)
            study.sources.append(Source(path, None, "unreadable",
                                        status="not counted: " + exc.what))
            continue
        hearings = findings = 0
        again: list[str] = []
        for hearing, keys in groups:
            if hearing is not None:
                if hearing.key in seen:
                    again.append(seen[hearing.key])
                    continue
                seen[hearing.key] = path
                study.hearings.append(hearing)
                hearings += 1
            study.counts.update(keys)
            findings += len(keys)
        status = "counted"
        if again:
            status = (f"{len(again)} hearing(s) not counted again: already counted from "
                      + ", ".join(sorted(set(again))))
        study.sources.append(Source(path, sha, kind, hearings, findings, status))
    return study


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60.0, 3)


def _unrecorded_row(court: str, year: str, hs: list[Hearing]) -> dict[str, Any]:
    known = [h.scheduled_s for h in hs if h.scheduled_s is not None]
    hit = sum(h.unrecorded_s > 0 for h in hs)
    return {"court": court, "year": year, "hearings": len(hs), "hearings_unrecorded": hit,
            "share_unrecorded": round(hit / len(hs), 4) if hs else None,
            "unrecorded_spans": sum(h.spans for h in hs),
            "unrecorded_minutes": _minutes(sum(h.unrecorded_s for h in hs)),
            "minutes_without_act": _minutes(sum(h.without_act_s for h in hs)),
            "scheduled_minutes": _minutes(sum(known)) if known else None}


def study_tables(study: Study) -> dict[str, list[dict[str, Any]]]:
    """The rows of each table in :data:`TABLES`, sorted; ``unrecorded`` ends with an
    ``(all)``/``(all)`` row and ``acts`` with an ``(all)`` row over every hearing."""
    hs = study.hearings
    by_court_year: dict[tuple[str, str], list[Hearing]] = {}
    by_court: dict[str, list[Hearing]] = {}
    for h in hs:
        by_court_year.setdefault((h.court, h.start[:4] or UNKNOWN), []).append(h)
        by_court.setdefault(h.court, []).append(h)
    unrecorded = [_unrecorded_row(c, y, g) for (c, y), g in sorted(by_court_year.items())]
    acts = []
    for court, group in [*sorted(by_court.items()), (ALL, hs)]:
        known = [h for h in group if h.acts is not None]
        acts.append({"court": court, "hearings": len(group), "hearings_acts_known": len(known),
                     "acts": sum(h.acts or 0 for h in known),
                     "hearings_with_acts": sum(bool(h.acts) for h in known),
                     "act_minutes": _minutes(sum(h.act_s or 0.0 for h in known)),
                     "spans_without_act": sum(h.spans_without_act for h in group)})
    hearings = [{"court": h.court, "case": h.case, "date": h.date, "report": h.report,
                 "record": h.record, "scheduled_minutes": _minutes(h.scheduled_s),
                 "unrecorded_spans": h.spans, "unrecorded_minutes": _minutes(h.unrecorded_s),
                 "minutes_without_act": _minutes(h.without_act_s), "acts": h.acts,
                 "act_minutes": _minutes(h.act_s), "findings": h.findings}
                for h in sorted(hs, key=lambda h: (h.court, h.start, h.case, h.report))]
    return {
        "findings": [{"court": c, "year": y, "kind": k, "findings": n}
                     for (c, y, k), n in sorted(study.counts.items())],
        "unrecorded": [*unrecorded, _unrecorded_row(ALL, ALL, hs)],
        "acts": acts,
        "hearings": hearings,
        "inputs": [{"report": s.report, "sha256": s.sha256, "type": s.type,
                    "hearings": s.hearings, "findings": s.findings, "status": s.status}
                   for s in study.sources],
    }
