"""A plain-text timeline of a session a person reads at a glance.

One row for the session, one for its announced breaks, one per recording file, one for the time
not recorded; then the same events as a chronological list with wall-clock times, then the
findings. Invisible and bidirectional control characters in names and reasons are shown as
``<U+202E>`` (:func:`auditor.findings.printable`), so none can reverse the times on its line.
The words come from the report's message catalogs (:mod:`auditor.report.i18n`), in English,
Russian or Kazakh; the bars are plain ASCII, so they survive terminals, e-mail and court filings
alike::

    session 2-123/2026: 2026-03-02 10:00:00–12:30:00 (+05:00), 2 h 30 min
               10:00     10:30     11:00     11:30     12:00
    session    [=================================================]
    breaks     [                    ------                       ]
    part1.wav  [###############                                  ]
    ...
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from ..findings import Finding, printable
from ..report.explain import N_, kind_title, reason_label, rule_label, severity_label
from ..report.i18n import Lang, get_lang
from ..report.sentences import finding_sentence
from .grace import GraceSpan, grace_spans
from .record import Session
from .terms import Tolerances
from .timeline import Coverage, Interval, intersect
from .wording import format_duration, format_span

__all__ = ["render_timeline"]

_GAP_KINDS = ("missing_segment", "late_start", "early_stop")
_STEPS_MIN = (1, 2, 5, 10, 15, 20, 30, 60, 120, 180, 360, 720, 1440)
#: what each grace period allows, for its line in the list
GRACE_WHY = {
    "start_grace_s": N_("the recording may begin this late after the session opens"),
    "end_grace_s": N_("the recording may stop this early before the session closes"),
    "break_grace_s": N_("the recording may stop or resume this far from an announced break"),
    "min_gap_s": N_("shorter spans are not reported"),
}
_LEGEND = N_(
    "= session  - break  # recorded  + partly  x no real audio in the file  "
    "! not recorded  ? not recorded, act"
)
#: where a file's start came from, for its ``recorded`` lines
_SOURCES = {"record": N_("(start from the record)"), "embedded": N_("(start from the embedded)"),
            "filename": N_("(start from the filename)")}
#: why a declared file could not be used, as the scan writes it; others stay as written
_MISSING = {"not found": N_("not found"),
            "not among the files given to the audit": N_("not among the files given to the audit")}
_NOTES = {"full": N_("an act explains it"), "partial": N_("an act explains part of it"),
          "none": N_("no act")}


def _wall(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _bar(
    cells: int, t0: datetime, step: float, spans: Sequence[Interval], full: str, part: str
) -> str:
    """One character per cell: ``full`` if the spans cover it, ``part`` if they cover some of it."""
    out = []
    for i in range(cells):
        cell = Interval(t0 + timedelta(seconds=i * step), t0 + timedelta(seconds=(i + 1) * step))
        got = sum(s.seconds for s in intersect([cell], spans))
        out.append(full if got >= 0.999 * step else part if got > 0 else " ")
    return "".join(out)


def _overlay(base: str, other: str) -> str:
    return "".join(o if o != " " else b for b, o in zip(base, other, strict=True))


def render_timeline(
    session: Session,
    coverages: Sequence[Coverage],
    findings: Sequence[Finding],
    *,
    width: int = 100,
    tolerances: Tolerances | Mapping[str, float] | None = None,
    lang: str = "en",
) -> str:
    """Draw the session, its breaks, each file's coverage and the gaps as text.

    Parameters
    ----------
    session
        The session record.
    coverages
        One coverage per file (missing files included).
    findings
        The continuity findings (``audit_continuity``); other findings are ignored.
    width
        Total line width in characters (at least 40).
    tolerances
        The policy's tolerances: with them, the spans not recorded but inside a grace period
        (so not findings) are lines of their own in the list, and the list has no unexplained
        jumps.
    lang
        ``en``, ``ru`` or ``kk``: the language of the words (the bars and times are the same).

    Returns
    -------
    str
        The timeline, lines separated by ``\\n``, ending with a newline.
    """
    tr = get_lang(lang)
    _ = tr.gettext
    present = [c for c in coverages if c.claimed is not None]
    claimed = [c.claimed for c in present if c.claimed is not None]
    t0 = min([session.start, *(c.start for c in claimed)])
    t1 = max([session.end, *(c.end for c in claimed)])
    names = [_("session"), _("breaks"), _("not rec.")]
    label_w = min(24, max([8, *(len(printable(c.file)) for c in coverages), *map(len, names)]))
    cells = max(20, width - label_w - 3)
    step = (t1 - t0).total_seconds() / cells

    def label(text: str) -> str:
        text = printable(text)
        return text if len(text) <= label_w else text[: label_w - 1] + "~"

    def row(name: str, bar: str) -> str:
        return f"{label(name):<{label_w}} [{bar}]"

    title = printable(session.case or session.court or _("session"))
    lines = [
        _("session %(title)s: %(span)s, %(duration)s", title=title,
          span=format_span(session, session.start, session.end),
          duration=_length(tr, (session.end - session.start).total_seconds())),
        " " * (label_w + 2) + _axis(session, t0, step, cells),
        row(names[0], _bar(cells, t0, step, [Interval(session.start, session.end)], "=", "=")),
        row(
            names[1],
            _bar(cells, t0, step, [Interval(b.start, b.end) for b in session.breaks], "-", "-"),
        ),
    ]
    for c in coverages:
        if c.claimed is None:
            lines.append(row(c.file, " " * cells) + "  " + _("MISSING"))
            continue
        bar = _bar(cells, t0, step, c.covered(), "#", "+")
        holes = _bar(cells, t0, step, [c.wall(a, b) for a, b in c.uncovered], "x", "x")
        lines.append(row(c.file, _overlay(bar, holes)))
    gaps = [f for f in findings if f.kind in _GAP_KINDS and f.wall_start and f.wall_end]

    def spans(explained: bool) -> list[Interval]:
        out = []
        for f in gaps:
            a, b = _wall(f.wall_start), _wall(f.wall_end)
            if a is not None and b is not None and (_explained(f) == "full") == explained:
                out.append(Interval(a, b))
        return out

    gap_bar = _overlay(
        _bar(cells, t0, step, spans(True), "?", "?"), _bar(cells, t0, step, spans(False), "!", "!")
    )
    lines.append(row(names[2], gap_bar))
    lines.append(_(_LEGEND))
    lines.append("")
    grace = grace_spans(session, coverages, tolerances) if tolerances is not None else []
    lines.extend(_events(tr, session, coverages, gaps, grace))
    if findings:
        lines.append("")
        lines.append(_("findings (%(n)s):", n=len(findings)))
        for f in findings:
            cite = _rule(tr, f.rule) if f.rule else f.detector
            head = (f"[{f.severity}] {f.kind} ({cite})" if tr.code == "en" else
                    f"[{severity_label(tr, f.severity)}] {kind_title(tr, f.kind)} "
                    f"({f.kind}; {cite})")
            lines.append(f"  {head}: {printable(_said(tr, f))}")
    return printable("\n".join(lines), keep="\n") + "\n"


def _code(tr: Lang, code: str, words: str) -> str:
    """A code as English readers know it (``missing_segment``); the words and the code for
    others (``Часть заседания не записана (missing_segment)``)."""
    return code if tr.code == "en" else f"{words} ({code})"


def _rule(tr: Lang, rule: str | None) -> str:
    """A rule citation: ``kz-2015 p.6`` in English, ``kz-2015, п. 6`` in the others."""
    return str(rule) if tr.code == "en" else rule_label(tr, rule)


def _length(tr: Lang, seconds: float) -> str:
    """A length as the continuity messages write it in English, in the language's words else."""
    return format_duration(seconds) if tr.code == "en" else tr.duration(seconds)


def _said(tr: Lang, finding: Finding) -> str:
    """What a finding says: its message in English; the translated sentence of its kind."""
    if tr.code == "en":
        return finding.message
    return finding_sentence(tr, finding.to_json()) or finding.message


def _axis(session: Session, t0: datetime, step: float, cells: int) -> str:
    """Tick labels (``HH:MM``) at round times, at least 8 cells apart."""
    minutes = next((m for m in _STEPS_MIN if m * 60 / step >= 8), _STEPS_MIN[-1])
    local0 = session.local(t0)
    first = local0.replace(second=0, microsecond=0)
    first -= timedelta(minutes=first.minute % minutes if minutes < 60 else first.minute)
    axis = [" "] * (cells + 6)
    tick = first
    while True:
        pos = round((tick - local0).total_seconds() / step)
        if pos > cells:
            break
        if pos >= 0:
            text = tick.strftime("%H:%M")
            if all(ch == " " for ch in axis[max(0, pos - 1) : pos + len(text)]):
                axis[pos : pos + len(text)] = text
        tick += timedelta(minutes=minutes)
    return "".join(axis).rstrip()


def _events(tr: Lang, session: Session, coverages: Sequence[Coverage],
            gaps: Sequence[Finding], grace: Sequence[GraceSpan] = ()) -> list[str]:
    """The chronological list: breaks, recorded spans, time not recorded (reported or in a
    grace period)."""
    _ = tr.gettext
    events: list[tuple[datetime, datetime, str, str]] = []
    for g in grace:
        events.append((g.span.start, g.span.end, _("grace period"), _(
            "%(length)s not recorded, within the policy's grace period of %(limit)s (rule "
            "tolerances.%(rule)s: %(why)s)", length=_length(tr, g.span.seconds),
            limit=f"{g.limit:g} s" if tr.code == "en" else tr.duration(g.limit), rule=g.rule,
            why=_(GRACE_WHY[g.rule]))))
    for brk in session.breaks:
        reason = printable(brk.reason or "") if tr.code == "en" or not brk.reason else \
            reason_label(tr, brk.reason)
        events.append((brk.start, brk.end, _("break"), reason))
    for c in coverages:
        if c.claimed is None:
            when = c.wall_start or session.start
            why = _(_MISSING[c.missing]) if c.missing in _MISSING else printable(c.missing or "")
            events.append((when, when, _("MISSING FILE"), f"{printable(c.file)}: {why}"))
            continue
        source = _(_SOURCES[c.start_source]) if c.start_source in _SOURCES else ""
        for span in c.covered():
            in_file = f"{_hms(c.offset_of(span.start))}–{_hms(c.offset_of(span.end))}"
            events.append((span.start, span.end, _("recorded"),
                           f"{printable(c.file)} {in_file} {source}".rstrip()))
    for f in gaps:
        a, b = _wall(f.wall_start), _wall(f.wall_end)
        assert a is not None and b is not None
        severity = f.severity if tr.code == "en" else severity_label(tr, f.severity)
        events.append((a, b, _("NOT RECORDED"),
                       f"{_length(tr, (b - a).total_seconds())}, "
                       f"{_code(tr, f.kind, kind_title(tr, f.kind))}; "
                       f"{_(_NOTES[_explained(f)])} [{severity}, {_rule(tr, f.rule)}]"))
    events.sort(key=lambda e: (e[0], e[1]))
    spans = [_when(session, a, b) for a, b, _t, _x in events]
    pad = max((len(w) for w in spans), default=0)
    tag_w = max([12, *(len(e[2]) for e in events)])
    return [f"{w:<{pad}}  {tag:<{tag_w}}  {text}".rstrip()
            for w, (_a, _b, tag, text) in zip(spans, events, strict=True)]


def _when(session: Session, start: datetime, end: datetime) -> str:
    """A span's wall-clock text; a single time for an instant."""
    text = format_span(session, start, end)
    if start == end:
        return f"{text.partition('–')[0]} {text[text.rindex('(') :]}"
    return text


def _explained(finding: Finding) -> str:
    """``"none"``, ``"partial"`` or ``"full"``: how far acts explain a gap finding."""
    how = str(finding.evidence.get("explained_by_act", "none"))
    return how if how in _NOTES else "none"


def _hms(seconds: float) -> str:
    total = int(round(seconds))
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"
