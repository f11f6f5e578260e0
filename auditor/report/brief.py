"""The answer first: the report's opening section in plain words, one line per event.

What was not recorded (wall-clock spans and the total), what is missing or may have been altered,
other problems (acts, ledger, retention) and what could not be checked, each event numbered and
linked to the findings that describe it (:mod:`.events`). Every sentence comes from the message
catalogs; names and times are values in them, escaped where the template prints them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .events import CATEGORIES, Event, group_events, unchecked, unrecorded_seconds
from .explain import CUE_LABELS, N_, finding_title, severity_label
from .i18n import Lang

__all__ = ["brief", "HEADINGS"]

HEADINGS = {"unrecorded": N_("Not recorded"), "altered": N_("Missing or possibly altered"),
            "procedure": N_("Acts, ledger and retention"), "other": N_("Other findings")}
_WHERE = {
    "late_start": N_("Not recorded (%(length)s): the recording began after the session opened."),
    "early_stop": N_("Not recorded (%(length)s): the recording stopped before the session "
                     "closed."),
    "inside": N_("Not recorded (%(length)s): inside %(file)s, where the file holds no real "
                 "audio."),
    "between": N_("Not recorded (%(length)s): no recording covers this time."),
}
_ACT = {"none": N_("No act of failure to record explains it."),
        "partial": N_("An act of failure to record explains only part of it."),
        "full": N_("An act of failure to record explains it.")}


def _clock(value: str) -> str:
    return datetime.fromisoformat(value).strftime("%H:%M:%S")


def _event(tr: Lang, e: Event, findings: list[dict[str, Any]]) -> dict[str, Any]:
    head = findings[e.findings[0] - 1]
    length = tr.duration(e.seconds)
    act = ""
    if e.category == "unrecorded" and e.wall_start and e.wall_end:
        when = f"{_clock(e.wall_start)} – {_clock(e.wall_end)}"
        inside = (head.get("evidence") or {}).get("inside_file") and e.file
        key = "inside" if inside else e.kind if e.kind in _WHERE else "between"
        lead = tr.gettext(_WHERE[key], length=length, file=e.file or "")
        act = tr.gettext(_ACT.get(e.explained, _ACT["none"]))
    else:
        title = finding_title(tr, head)
        if e.file and e.start is not None:
            when = f"{e.file}, {tr.clock(e.start)}"
        elif e.wall_start:
            when = tr.datetime(e.wall_start)
        else:
            when = e.file or ""
        lead = f"{title} ({length})." if e.seconds > 0 else f"{title}."
    return {"n": e.n, "id": f"e{e.n}", "category": e.category, "severity": e.severity,
            "severity_label": severity_label(tr, e.severity), "when": when, "lead": lead,
            "act": act, "refs": sorted(e.findings),
            "titles": {n: finding_title(tr, findings[n - 1]) for n in e.findings}}


def _unchecked_lines(tr: Lang, report: dict[str, Any]) -> list[str]:
    out = []
    for u in unchecked(report):
        if u.what == "unreadable":
            out.append(tr.gettext("%(file)s could not be examined: %(reason)s",
                                  file=u.file or "?", reason=u.reason))
        elif u.what == "no_session":
            out.append(tr.gettext("No session record was given: the recordings were not "
                                  "compared with the session's times."))
        else:
            out.append(tr.gettext("%(file)s: the check by %(cue)s does not apply (%(reason)s).",
                                  file=u.file or "?", cue=tr.gettext(CUE_LABELS[u.what]),
                                  reason=u.reason or "—"))
    return out


def brief(tr: Lang, report: dict[str, Any], *,
          events: list[Event] | None = None) -> dict[str, Any]:
    """The opening section's content: events by category and the sentences around them
    (``events``: the report's :func:`~.events.group_events`, when the caller has them).

    Returns
    -------
    dict
        ``events`` (all, in order), ``sections`` (``(heading, summary sentences, events)`` per
        category, the categories with no event left out except ``unrecorded`` and ``altered``,
        which then say so), ``counts`` (one sentence) and ``unchecked`` (sentences).
    """
    findings = list(report.get("findings") or [])
    if events is None:
        events = group_events(report)
    rows = [_event(tr, e, findings) for e in events]
    has_session = bool(report.get("session"))
    sections = []
    for cat in CATEGORIES:
        mine = [r for r in rows if r["category"] == cat]
        said: list[str] = []
        if cat == "unrecorded":
            if not has_session and not mine:  # an archive's sessions bring their own events
                continue
            bare, with_act = unrecorded_seconds(events)
            if mine:
                said.append(tr.ngettext(
                    "%(duration)s of session time outside announced breaks was not recorded, "
                    "in %(num)s span.",
                    "%(duration)s of session time outside announced breaks was not recorded, "
                    "in %(num)s spans.", len(mine), duration=tr.duration(bare + with_act)))
                if with_act:
                    said.append(tr.gettext("Acts of failure to record explain %(duration)s of "
                                           "it.", duration=tr.duration(with_act)))
                else:
                    said.append(tr.gettext("No act of failure to record explains any of it."))
            else:
                said.append(tr.gettext("The recordings cover the whole session outside "
                                       "announced breaks, within the policy's grace periods."))
        elif cat == "altered" and not mine:
            said.append(tr.gettext("The checks that apply found nothing missing or altered "
                                   "inside the recordings."))
        elif not mine:
            continue
        sections.append({"id": cat, "heading": tr.gettext(HEADINGS[cat]), "said": said,
                         "events": mine})
    counts = tr.gettext("Events: %(events)s. Findings that describe them: %(findings)s "
                        "(section 4).", events=tr.number(len(events)),
                        findings=tr.number(len(findings)))
    return {"events": rows, "sections": sections, "counts": counts,
            "unchecked": _unchecked_lines(tr, report), "n_events": len(events)}
