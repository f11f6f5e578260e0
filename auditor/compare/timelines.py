"""The comparison's picture: both timelines drawn one above the other, joined, as SVG.

The reference is drawn above, the copy below, each to its own duration's scale. Every aligned
segment is a band on both lines joined by a trapezoid, so a cut shows as the joins closing up
and an insertion as them opening; a span missing from the copy is marked on the reference
line, an inserted one on the copy line, an altered one on both, each with its number in the
report's table of differences (:mod:`.html`, the drawing's text equivalent).

The SVG is written by :func:`svg_element`, not by a plotting library: its geometry is exact (a
mark is at the pixel its time gives, which the browser test measures) and the same report gives
the same bytes (no library version changes an id, a rounding or the order of the elements).
Every attribute and text is escaped and made :func:`~auditor.findings.printable`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from ..findings import printable
from ..report.i18n import Lang, get_lang
from .edits import ALTERED, INSERTED, MISSING
from .words import fixed, kind_label, span

__all__ = ["Mismatch", "mismatches", "svg_element", "timelines_svg", "COLOURS",
           "WIDTH", "X0", "X1", "MARK_W"]

#: the picture's width, and where both time axes start and end (px)
WIDTH, X0, X1 = 900, 110.0, 880.0
#: a numbered label's width (labels closer than this go to another lane) and a lane's height
MARK_W, _LANE = 16.0, 18.0
_BAND, _SPAN = 6.0, 10.0   # half heights of an aligned band and of a difference's mark
COLOURS = {"band": "#6baed6", "join": "#c6dbef", "axis": "#bdbdbd", MISSING: "#d62728",
           INSERTED: "#ff7f0e", ALTERED: "#9467bd"}
_DETECTOR = "compare"


def svg_element(tag: str, body: Markup | str | list[Markup] = "", /, **attrs: Any) -> Markup:
    """One SVG element; every attribute value and text is escaped (and made printable).

    A keyword's underscores become hyphens (``text_anchor`` -> ``text-anchor``; a trailing
    one is dropped: ``class_``); floats are written with two decimals; None leaves it out.
    """
    head = [tag]
    for key, value in attrs.items():
        if value is None:
            continue
        text = f"{value:.2f}" if isinstance(value, float) else str(value)
        head.append(f'{key.rstrip("_").replace("_", "-")}="{escape(printable(text))}"')
    if isinstance(body, list):
        body = Markup("").join(body)
    if not body:
        return Markup(f"<{' '.join(head)}/>")
    inner = body if isinstance(body, Markup) else escape(printable(body))
    return Markup(f"<{' '.join(head)}>{inner}</{tag}>")


@dataclass(frozen=True)
class Mismatch:
    """A difference of the report: joined times of both sides (s) and what the table shows."""

    n: int
    kind: str
    copy_start: float
    copy_end: float
    ref_start: float
    ref_end: float
    finding: dict[str, Any]

    def label(self, tr: Lang) -> str:
        """``N: 1.50 s missing from the copy``, in the language."""
        return (f"{self.n}: {tr.gettext('%(n)s s', n=fixed(tr, self.length, 2))} "
                f"{kind_label(tr, self.kind)}")

    @property
    def length(self) -> float:
        return float(self.finding["evidence"].get("length", 0.0))


def mismatches(report: dict[str, Any]) -> list[Mismatch]:
    """The comparison's findings in report order, numbered from 1, in joined time."""
    out: list[Mismatch] = []
    for f in report.get("findings", []):
        if f.get("detector") != _DETECTOR:
            continue
        ev = f["evidence"]
        out.append(Mismatch(
            n=len(out) + 1, kind=f["kind"],
            copy_start=float(ev.get("copy_start_joined", f["start"])),
            copy_end=float(ev.get("copy_end_joined", f["end"])),
            ref_start=float(ev.get("reference_start_joined", ev["reference_start"])),
            ref_end=float(ev.get("reference_end_joined", ev["reference_end"])), finding=f))
    return out


@dataclass(frozen=True)
class _Axis:
    """One timeline: its baseline ``y`` (px) and the duration drawn from X0 to X1 (s)."""

    y: float
    duration: float

    def x(self, t: float) -> float:
        if self.duration <= 0:
            return X0
        return X0 + (X1 - X0) * min(max(t, 0.0), self.duration) / self.duration


def _tick_step(duration: float) -> int:
    """Whole minutes between ticks (at most 12 ticks); under two minutes, 10 to 30 s."""
    steps = (10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800)
    return next((s for s in steps if duration / s <= 12), steps[-1])


def _tick_label(t: int) -> str:
    if t >= 3600:
        return f"{t // 3600}:{t // 60 % 60:02d}:{t % 60:02d}"
    return f"{t // 60}:{t % 60:02d}"


def _axis(axis: _Axis, name: str, below: bool, tr: Lang) -> list[Markup]:
    """The line, its name and length at the left, and its ticks (labels above or below)."""
    out = [svg_element("text", name, x=4, y=f"{axis.y - 2:g}", font_size=12, font_weight="bold"),
           svg_element("text", tr.clock(axis.duration), x=4, y=f"{axis.y + 12:g}",
                       font_size=10, fill="#444"),
           svg_element("line", class_="axis", x1=X0, y1=axis.y, x2=X1, y2=axis.y,
                       stroke=COLOURS["axis"], stroke_width=2)]
    step = _tick_step(axis.duration)
    for t in range(0, int(axis.duration) + 1, step):
        x = axis.x(float(t))
        y0, y1, ty = ((axis.y + _SPAN, axis.y + _SPAN + 4, axis.y + _SPAN + 15) if below else
                      (axis.y - _SPAN - 4, axis.y - _SPAN, axis.y - _SPAN - 7))
        out.append(svg_element("line", class_="tick", x1=x, y1=y0, x2=x, y2=y1, stroke="#555"))
        out.append(svg_element("text", _tick_label(t), x=x, y=ty, font_size=10,
                               text_anchor="middle", fill="#333"))
    return out


def _lanes(xs: list[float]) -> list[int]:
    """A lane for each label at ``xs``: the first in which it is MARK_W clear of the last."""
    last: list[float] = []
    lanes = [0] * len(xs)
    for i in sorted(range(len(xs)), key=xs.__getitem__):
        lane = next((k for k, x in enumerate(last) if xs[i] - x >= MARK_W), len(last))
        if lane == len(last):
            last.append(xs[i])
        last[lane] = xs[i]
        lanes[i] = lane
    return lanes


def _marks(tr: Lang, items: list[Mismatch], axis: _Axis, side: str, first_lane_y: float,
           direction: float) -> list[Markup]:
    """Each difference's span on ``axis`` (``side`` ``ref`` or ``copy``) with its label."""
    spans, labels = [], []
    xs = []
    for m in items:
        a, b = (m.ref_start, m.ref_end) if side == "ref" else (m.copy_start, m.copy_end)
        x0, x1 = axis.x(a), axis.x(b)
        xs.append((x0 + x1) / 2)
        spans.append(svg_element(
            "rect", svg_element("title", m.label(tr)), class_=f"mark {side}", data_n=m.n,
            data_kind=m.kind, x=x0, y=axis.y - _SPAN, width=max(2.0, x1 - x0),
            height=2 * _SPAN, fill=COLOURS[m.kind], fill_opacity="0.85"))
    for m, x, lane in zip(items, xs, _lanes(xs), strict=True):
        cy = first_lane_y + direction * lane * _LANE
        labels.append(svg_element("g", [
            svg_element("line", x1=x, y1=cy, x2=x, y2=axis.y + direction * _SPAN,
                        stroke=COLOURS[m.kind]),
            svg_element("circle", cx=x, cy=cy, r=f"{MARK_W / 2 - 0.5:g}", fill=COLOURS[m.kind],
                        stroke="#fff"),
            svg_element("text", str(m.n), x=x, y=cy + 3.5, font_size=9 if m.n < 100 else 7,
                        text_anchor="middle", fill="#fff")], class_=f"label {side}", data_n=m.n))
    return labels + spans  # the spans last: on top of the lines to their labels


def _joins(tr: Lang, segments: list[dict[str, Any]], ref: _Axis, copy: _Axis
           ) -> list[Markup]:
    """Each aligned segment as a band on both lines joined by a trapezoid."""
    bands, joins = [], []
    for i, seg in enumerate(segments):
        if seg.get("offset") is None:
            continue
        off = float(seg["offset"])
        c0 = max(float(seg["copy_start"]), -off)            # the part inside the reference
        c1 = min(float(seg["copy_end"]), ref.duration - off)
        if c1 <= c0:
            continue
        rx0, rx1, cx0, cx1 = ref.x(c0 + off), ref.x(c1 + off), copy.x(c0), copy.x(c1)
        tip = tr.gettext("copy %(copy)s = reference %(reference)s", copy=span(tr, c0, c1),
                         reference=span(tr, c0 + off, c1 + off))
        joins.append(svg_element(
            "polygon", svg_element("title", tip), class_="join", data_segment=i,
            points=" ".join(f"{x:.2f},{y:.2f}" for x, y in (
                (rx0, ref.y + _BAND), (rx1, ref.y + _BAND), (cx1, copy.y - _BAND),
                (cx0, copy.y - _BAND))),
            fill=COLOURS["join"], stroke=COLOURS["band"], stroke_width="0.5"))
        for axis, x0, x1, side in ((ref, rx0, rx1, "ref"), (copy, cx0, cx1, "copy")):
            bands.append(svg_element("rect", class_=f"band {side}", data_segment=i, x=x0,
                                     y=axis.y - _BAND, width=max(0.5, x1 - x0),
                                     height=2 * _BAND, fill=COLOURS["band"]))
    return joins + bands


def timelines_svg(report: dict[str, Any], tr: Lang | None = None) -> Markup:
    """The two timelines of a comparison report as one inline ``<svg>`` element.

    Both axes run from :data:`X0` to :data:`X1` in the picture's own units (the ``viewBox`` is
    :data:`WIDTH` wide): a time ``t`` of the reference is at ``X0 + (X1 - X0) * t / D``, ``D``
    the reference's duration, and likewise for the copy. Elements carry classes (``axis``,
    ``band``, ``join``, ``mark ref`` / ``mark copy``, ``label``) and ``data-n`` (a
    difference's number) or ``data-segment`` (the index in ``comparison.segments``).
    """
    tr = tr or get_lang("en")
    comp = report["comparison"]
    found = mismatches(report)
    above = [m for m in found if m.kind != INSERTED]
    below = [m for m in found if m.kind != MISSING]
    probe = _Axis(0.0, float(comp["reference_duration"]))
    n_above = max(_lanes([probe.x((m.ref_start + m.ref_end) / 2) for m in above]), default=-1)
    probe = _Axis(0.0, float(comp["copy_duration"]))
    n_below = max(_lanes([probe.x((m.copy_start + m.copy_end) / 2) for m in below]), default=-1)
    ref = _Axis(44.0 + (n_above + 1) * _LANE, float(comp["reference_duration"]))
    copy = _Axis(ref.y + 130.0, float(comp["copy_duration"]))
    height = copy.y + 40.0 + (n_below + 1) * _LANE
    body = [svg_element("title", tr.gettext(
                "The reference (above) and the copy (below), each to its own scale; aligned "
                "stretches joined, differences numbered")),
            *_axis(ref, tr.gettext("Reference"), False, tr),
            *_axis(copy, tr.gettext("Copy"), True, tr),
            *_joins(tr, comp.get("segments") or [], ref, copy),
            *_marks(tr, above, ref, "ref", ref.y - _SPAN - 26.0, -1.0),
            *_marks(tr, below, copy, "copy", copy.y + _SPAN + 30.0, 1.0)]
    return svg_element("svg", body, class_="timelines", xmlns="http://www.w3.org/2000/svg",
                       viewBox=f"0 0 {WIDTH} {height:g}", width=WIDTH, height=f"{height:g}",
                       role="img", aria_label=tr.gettext("Timelines of the reference and the copy "
                                                         "(the tables below say the same in "
                                                         "text)"))
