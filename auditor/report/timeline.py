"""The timeline picture: the session against what the recordings cover, as inline SVG.

With a session record, the coverage of each declared file is rebuilt from the saved report
exactly as the continuity audit built it (:func:`auditor.session.build_coverage`: the start from
the record, else the file's embedded start, else its name; the duration of the file; the spans
that are timestamp gaps or long digital silences do not count as recorded), so the picture shows
the facts the findings were computed from. Without a session record each file is drawn on its own
time axis. Findings are numbered marks at the time they locate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import PurePath
from typing import Any

from markupsafe import escape

from ..errors import AuditorError
from ..findings import printable
from .i18n import Lang

__all__ = ["Bar", "Timeline", "build_timeline", "timeline_svg"]

GAP_KINDS = ("missing_segment", "late_start", "early_stop")
COLOURS = {"session": "#9e9e9e", "break": "#9ecae1", "recorded": "#2ca02c",
           "noaudio": "#ff7f0e", "gap": "#d62728", "gap_act": "#9467bd", "missing": "#d62728"}
_W, _LABEL, _ROW, _TOP = 900, 200, 24, 26


@dataclass
class Bar:
    """One row: a label and coloured spans in axis seconds ``(a, b, colour key)``."""

    label: str
    spans: list[tuple[float, float, str]] = field(default_factory=list)
    marks: list[tuple[float, int, str]] = field(default_factory=list)  # (t, number, severity)
    note: str | None = None


@dataclass
class Timeline:
    """Rows over one axis. ``origin`` is the wall-clock zero (session mode) or None (file time)."""

    rows: list[Bar]
    length: float
    origin: datetime | None


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


def _session_timeline(report: dict[str, Any], lang: Lang) -> Timeline:
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
    marks = Bar(lang.gettext("findings"))
    for n, f in enumerate(findings, 1):
        wall = f.get("wall_start")
        if f["kind"] in GAP_KINDS and wall and f.get("wall_end"):
            act = (f.get("evidence") or {}).get("explained_by_act") == "full"
            gaps.spans.append((sec(datetime.fromisoformat(wall)),
                               sec(datetime.fromisoformat(f["wall_end"])),
                               "gap_act" if act else "gap"))
        when = datetime.fromisoformat(wall) if wall else None
        if when is None and f.get("file") in starts and f.get("start") is not None:
            when = starts[f["file"]] + timedelta(seconds=float(f["start"]))
        if when is not None:
            marks.marks.append((sec(when), n, f["severity"]))
    rows += [gaps, marks]
    return Timeline(rows=rows, length=max(sec(t1), 1.0), origin=session.local(t0))


def build_timeline(report: dict[str, Any], lang: Lang) -> Timeline:
    """The timeline rows of a report: session mode when it has a session record.

    A session record that cannot place the files on its clock (a hand-edited report) gives the
    files' own time axes rather than no report.
    """
    if report.get("session"):
        try:
            return _session_timeline(report, lang)
        except (AuditorError, KeyError, TypeError, ValueError):
            pass
    rows = []
    findings = report.get("findings", [])
    for entry in report.get("files", []):
        bar = Bar(entry["path"], [(0.0, float(entry.get("duration") or 0.0), "recorded")])
        bar.spans += [(a, b, "noaudio") for a, b in _uncovered(findings, entry["path"])]
        bar.marks = [(float(f["start"]), n, f["severity"]) for n, f in enumerate(findings, 1)
                     if f.get("file") == entry["path"] and f.get("start") is not None]
        rows.append(bar)
    length = max([1.0, *(float(e.get("duration") or 0.0) for e in report.get("files", []))])
    return Timeline(rows=rows, length=length, origin=None)


def _tick_step(length: float) -> float:
    steps = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600)
    return float(next((s for s in steps if length / s <= 12), steps[-1]))


def timeline_svg(tl: Timeline, *, title: str) -> str:
    """Draw a :class:`Timeline` as an SVG element (escaped text, presentation attributes only)."""
    height = _TOP + _ROW * len(tl.rows) + 6
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
    for i, row in enumerate(tl.rows):
        y = _TOP + i * _ROW
        label = printable(row.label)
        name = label if len(label) <= 30 else label[:29] + "…"
        out.append(f'<text x="4" y="{y + 15}" font-size="11"><title>{escape(label)}</title>'
                   f"{escape(name)}</text>")
        for a, b, colour in row.spans:
            out.append(f'<rect x="{_LABEL + a * scale:.1f}" y="{y + 4}" '
                       f'width="{max((b - a) * scale, 1.0):.1f}" height="{_ROW - 8}" '
                       f'fill="{COLOURS[colour]}"/>')
        for when, n, sev in row.marks:
            x = _LABEL + when * scale
            fill = "#d62728" if sev == "high" else "#ff7f0e" if sev == "warning" else "#1f77b4"
            out.append(f'<path d="M{x:.1f},{y + 4} l-4,-4 h8 z" fill="{fill}"/>'
                       f'<line x1="{x:.1f}" y1="{y + 4}" x2="{x:.1f}" y2="{y + _ROW - 4}" '
                       f'stroke="{fill}"/><text x="{x + 2:.1f}" y="{y + _ROW - 5}" '
                       f'font-size="8">{n if len(row.marks) <= 40 else ""}</text>')
        if row.note:
            out.append(f'<text x="{_LABEL + 4}" y="{y + 15}" font-size="11" fill="#d62728">'
                       f"{escape(printable(row.note))}</text>")
    out.append("</svg>")
    return "".join(out)
