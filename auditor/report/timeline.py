"""The timeline picture: the session against what the recordings cover, as inline SVG.

With a session record, the coverage of each declared file is rebuilt from the saved report
exactly as the continuity audit built it (:func:`auditor.session.build_coverage`: the start from
the record, else the file's embedded start, else its name; the duration of the file; the spans
that are timestamp gaps or long digital silences do not count as recorded), so the picture shows
the facts the findings were computed from. Without a session record each file is drawn on its own
time axis. Events (:mod:`.events`: the findings that describe one thing, together) are numbered
marks at the time they locate, each a link to its line in the report's opening section; marks
that would touch are moved aside or stacked, with a line to their time, so none hides another.
Session time not recorded inside one of the policy's grace periods is drawn in its own colour,
and listed (``Timeline.grace``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import PurePath
from typing import Any

from markupsafe import escape

from ..errors import AuditorError
from ..findings import printable
from .events import GAP_KINDS, Event, group_events
from .explain import N_
from .i18n import Lang

__all__ = ["Bar", "Timeline", "build_timeline", "grace_lines", "place_marks", "timeline_svg",
           "MARK_W"]

COLOURS = {"session": "#9e9e9e", "break": "#9ecae1", "recorded": "#2ca02c",
           "noaudio": "#ff7f0e", "gap": "#d62728", "gap_act": "#9467bd", "missing": "#d62728",
           "grace": "#f4b4b4"}
_W, _LABEL, _ROW, _TOP = 900, 200, 24, 26
#: a numbered mark's width and a lane's height, in pixels; marks closer than this are moved
MARK_W, _LANE = 16.0, 18
_BOUNDS = (_LABEL + MARK_W / 2, _W - MARK_W / 2)


@dataclass
class Bar:
    """One row: a label and coloured spans in axis seconds ``(a, b, colour key)``."""

    label: str
    spans: list[tuple[float, float, str]] = field(default_factory=list)
    marks: list[tuple[float, int, str]] = field(default_factory=list)  # (t, event, severity)
    note: str | None = None
    titles: list[str] = field(default_factory=list)  # a tooltip per span, "" for none


@dataclass
class Timeline:
    """Rows over one axis. ``origin`` is the wall-clock zero (session mode) or None (file time)."""

    rows: list[Bar]
    length: float
    origin: datetime | None
    grace: list[Any] = field(default_factory=list)  # session.grace.GraceSpan, in time order


class _Located:
    """A report's finding as :func:`auditor.session.timeline.uncovered_spans` reads it."""

    def __init__(self, finding: dict[str, Any]) -> None:
        self._f = finding

    @property
    def kind(self) -> str:
        return str(self._f["kind"])

    @property
    def start(self) -> float | None:
        return self._f.get("start")

    @property
    def end(self) -> float | None:
        return self._f.get("end")


def _uncovered(findings: list[dict[str, Any]], name: str) -> list[tuple[float, float]]:
    from ..session.timeline import uncovered_spans

    return uncovered_spans(_Located(f) for f in findings if f.get("file") == name)


class _Probe:
    def __init__(self, entry: dict[str, Any]) -> None:
        self.duration = float(entry.get("duration") or 0.0)
        emb = entry.get("embedded_start")
        self.embedded_start = datetime.fromisoformat(emb) if emb else None


def _match(entries: dict[str, dict[str, Any]], declared: str) -> dict[str, Any] | None:
    if declared in entries:
        return entries[declared]
    same = [e for p, e in entries.items() if PurePath(p).name == PurePath(declared).name]
    return same[0] if len(same) == 1 else None


def _session_timeline(report: dict[str, Any], lang: Lang, events: list[Event]) -> Timeline:
    from ..session import Recording, Session, build_coverage

    session = Session.from_json(report["session"])
    pol = report.get("tool", {}).get("parameters", {}).get("policy") or {}
    patterns = pol.get("file_name_patterns") or None
    findings = report.get("findings", [])
    entries = {f["path"]: f for f in report.get("files", [])}
    covs, used = [], set()
    for rec in session.recordings:
        entry = _match(entries, rec.file)
        kw: dict[str, Any] = {"session": session}
        if patterns:
            kw["name_patterns"] = patterns
        if entry is None:
            covs.append((rec.file, build_coverage(rec, None, problem="missing", **kw)))
            continue
        used.add(entry["path"])
        covs.append((entry["path"], build_coverage(
            rec, _Probe(entry), uncovered=_uncovered(findings, entry["path"]), **kw)))
    for path, entry in entries.items():
        if path not in used:
            try:
                covs.append((path, build_coverage(Recording(path), _Probe(entry),
                                                  uncovered=_uncovered(findings, path), **kw)))
            except AuditorError:
                continue  # no start anywhere: the file cannot be placed on the session's clock
    spans = [c.claimed for _, c in covs if c.claimed is not None]
    t0 = min([session.start, *(s.start for s in spans)])
    t1 = max([session.end, *(s.end for s in spans)])

    def sec(when: datetime) -> float:
        return (when - t0).total_seconds()

    rows = [Bar(lang.gettext("session"), [(sec(session.start), sec(session.end), "session")]),
            Bar(lang.gettext("breaks"), [(sec(b.start), sec(b.end), "break")
                                         for b in session.breaks])]
    starts: dict[str, datetime] = {}
    for name, c in covs:
        bar = Bar(name)
        if c.claimed is None:
            bar.note = lang.gettext("missing")
        else:
            assert c.wall_start is not None
            starts[name] = c.wall_start
            bar.spans = [(sec(i.start), sec(i.end), "recorded") for i in c.covered()]
            bar.spans += [(sec(c.wall(a, b).start), sec(c.wall(a, b).end), "noaudio")
                          for a, b in c.uncovered]
        rows.append(bar)
    gaps = Bar(lang.gettext("not recorded"))
    for f in findings:
        wall = f.get("wall_start")
        if f["kind"] in GAP_KINDS and wall and f.get("wall_end"):
            act = (f.get("evidence") or {}).get("explained_by_act") == "full"
            gaps.spans.append((sec(datetime.fromisoformat(wall)),
                               sec(datetime.fromisoformat(f["wall_end"])),
                               "gap_act" if act else "gap"))
    grace = _grace(session, [c for _, c in covs], pol.get("tolerances"))
    gaps.titles = [""] * len(gaps.spans)
    for g in grace:
        gaps.spans.insert(0, (sec(g.span.start), sec(g.span.end), "grace"))
        gaps.titles.insert(0, lang.gettext("not recorded, within the policy's grace period"))
    marks = Bar(lang.gettext("events"))
    for e in events:
        when = datetime.fromisoformat(e.wall_start) if e.wall_start else None
        if when is None and e.file in starts and e.start is not None:
            when = starts[e.file] + timedelta(seconds=float(e.start))
        if when is not None:
            marks.marks.append((sec(when), e.n, e.severity))
    rows += [gaps, marks]
    return Timeline(rows=rows, length=max(sec(t1), 1.0), origin=session.local(t0), grace=grace)


#: what each of the policy's grace periods allows (``auditor.session.render.GRACE_WHY``)
GRACE_WHY = {
    "start_grace_s": N_("the recording may begin this late after the session opens"),
    "end_grace_s": N_("the recording may stop this early before the session closes"),
    "break_grace_s": N_("the recording may stop or resume this far from an announced break"),
    "min_gap_s": N_("shorter spans are not reported"),
}


def grace_lines(tl: Timeline, lang: Lang) -> list[str]:
    """One sentence per span of the timeline inside a grace period, in the reader's language."""
    out = []
    for g in tl.grace:
        zone = tl.origin.tzinfo if tl.origin is not None else None
        a, b = g.span.start.astimezone(zone), g.span.end.astimezone(zone)
        out.append(lang.gettext(
            "%(span)s (%(length)s): not recorded, within the policy's grace period of "
            "%(limit)s (rule %(rule)s): %(why)s.",
            span=f"{a:%H:%M:%S} – {b:%H:%M:%S}", length=lang.duration(g.span.seconds),
            limit=lang.duration(g.limit), rule=f"tolerances.{g.rule}",
            why=lang.gettext(GRACE_WHY[g.rule])))
    return out


def _grace(session: Any, coverages: list[Any], tolerances: Any) -> list[Any]:
    from ..session.grace import grace_spans

    if not isinstance(tolerances, dict):
        return []
    return grace_spans(session, coverages, tolerances)


def build_timeline(report: dict[str, Any], lang: Lang, *,
                   events: list[Event] | None = None) -> Timeline:
    """The timeline rows of a report: session mode when it has a session record (``events``:
    the report's :func:`~.events.group_events`, when the caller has them).

    A session record that cannot place the files on its clock (a hand-edited report) gives the
    files' own time axes rather than no report.
    """
    if events is None:
        events = group_events(report)
    if report.get("session"):
        try:
            return _session_timeline(report, lang, events)
        except (AuditorError, KeyError, TypeError, ValueError):
            pass
    rows = []
    findings = report.get("findings", [])
    for entry in report.get("files", []):
        bar = Bar(entry["path"], [(0.0, float(entry.get("duration") or 0.0), "recorded")])
        bar.spans += [(a, b, "noaudio") for a, b in _uncovered(findings, entry["path"])]
        bar.marks = [(float(e.start), e.n, e.severity) for e in events
                     if e.file == entry["path"] and e.start is not None]
        rows.append(bar)
    length = max([1.0, *(float(e.get("duration") or 0.0) for e in report.get("files", []))])
    return Timeline(rows=rows, length=length, origin=None)


def _tick_step(length: float) -> float:
    steps = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600)
    return float(next((s for s in steps if length / s <= 12), steps[-1]))


def place_marks(xs: list[float], lo: float, hi: float) -> list[tuple[float, int]]:
    """Where to draw numbered marks wanted at ``xs`` so that none overlaps another.

    Each mark is :data:`MARK_W` wide. Marks are spread over as few lanes (rows of marks) as let
    every lane hold its share between ``lo`` and ``hi``; in a lane, a mark too close to the one
    before it moves right, and marks pushed past ``hi`` move back left.

    Returns
    -------
    list of (x, lane)
        The centre of each mark, in the order of ``xs``.
    """
    order = sorted(range(len(xs)), key=xs.__getitem__)
    per_lane = max(1, int((hi - lo) // MARK_W) + 1)
    lanes = max(1, -(-len(xs) // per_lane))
    out: list[tuple[float, int]] = [(0.0, 0)] * len(xs)
    for lane in range(lanes):
        idx = order[lane::lanes]
        pos: list[float] = []
        for i in idx:
            pos.append(max(xs[i], lo, pos[-1] + MARK_W if pos else lo))
        for k in range(len(pos) - 1, -1, -1):
            pos[k] = min(pos[k], hi if k == len(pos) - 1 else pos[k + 1] - MARK_W)
        for i, x in zip(idx, pos, strict=True):
            out[i] = (x, lane)
    return out


def _lanes(row: Bar) -> int:
    return max((lane for _, lane in place_marks([0.0] * len(row.marks), *_BOUNDS)),
               default=-1) + 1


def _marks(row: Bar, y: float, scale: float) -> list[str]:
    xs = [_LABEL + when * scale for when, _, _ in row.marks]
    spots = place_marks(xs, *_BOUNDS)
    lines, marks = [], []
    for (_, n, sev), x, (cx, lane) in zip(row.marks, xs, spots, strict=True):
        fill = "#d62728" if sev == "high" else "#ff7f0e" if sev == "warning" else "#1f77b4"
        cy = y + 11 + lane * _LANE
        lines.append(f'<path d="M{x:.1f},{y + 1} V{y + 4} L{cx:.1f},{cy:.1f}" fill="none" '
                     f'stroke="{fill}" stroke-width="1"/>')
        marks.append(f'<a href="#e{n}"><g class="marker" data-event="{n}">'
                     f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{MARK_W / 2 - 0.5:g}" '
                     f'fill="{fill}" stroke="#fff"/><text x="{cx:.1f}" y="{cy + 3:.1f}" '
                     f'font-size="{8 if n < 100 else 6.5}" text-anchor="middle" fill="#fff">{n}'
                     f'</text></g></a>')
    return lines + marks


def timeline_svg(tl: Timeline, *, title: str) -> str:
    """Draw a :class:`Timeline` as an SVG element (escaped text, presentation attributes only)."""
    heights = [_ROW + max(0, _lanes(r) - 1) * _LANE for r in tl.rows]
    height = _TOP + sum(heights) + 6
    scale = (_W - _LABEL - 24) / tl.length
    out = [f'<svg class="timeline" viewBox="0 0 {_W} {height}" width="{_W}" height="{height}" '
           f'role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">']
    step = _tick_step(tl.length)
    t = 0.0
    if tl.origin is not None:  # ticks on round wall-clock times
        o = tl.origin
        t = -((o.hour * 3600 + o.minute * 60 + o.second + o.microsecond / 1e6) % step)
    while t <= tl.length + 1e-9:
        if t >= 0:
            x = _LABEL + t * scale
            if tl.origin is not None:
                text = (tl.origin + timedelta(seconds=t)).strftime("%H:%M")
            else:
                s = int(round(t))
                text = f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"
            out.append(f'<line x1="{x:.1f}" y1="{_TOP - 6}" x2="{x:.1f}" y2="{height - 4}" '
                       f'stroke="#ddd"/><text x="{x:.1f}" y="{_TOP - 10}" font-size="10" '
                       f'text-anchor="middle">{text}</text>')
        t += step
    y = _TOP
    for row, row_h in zip(tl.rows, heights, strict=True):
        label = printable(row.label)
        name = label if len(label) <= 30 else label[:29] + "…"
        out.append(f'<text x="4" y="{y + 15}" font-size="11"><title>{escape(label)}</title>'
                   f"{escape(name)}</text>")
        for k, (a, b, colour) in enumerate(row.spans):
            tip = row.titles[k] if k < len(row.titles) else ""
            out.append(f'<rect x="{_LABEL + a * scale:.1f}" y="{y + 4}" '
                       f'width="{max((b - a) * scale, 1.0):.1f}" height="{_ROW - 8}" '
                       f'fill="{COLOURS[colour]}"'
                       + (f"><title>{escape(printable(tip))}</title></rect>" if tip else "/>"))
        out += _marks(row, y, scale)
        if row.note:
            out.append(f'<text x="{_LABEL + 4}" y="{y + 15}" font-size="11" fill="#d62728">'
                       f"{escape(printable(row.note))}</text>")
        y += row_h
    out.append("</svg>")
    return "".join(out)
