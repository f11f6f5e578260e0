"""The comparison's words in the reader's language: kind titles, finding messages, conclusion.

The JSON report keeps the contract's English messages (as the scan's does); a comparison read
as text, HTML or PDF says each difference again in the chosen language, from the finding's own
numbers (its times in the copy, ``evidence.reference_start``/``reference_end``, its length), with
the sentences of the message catalogs (:mod:`auditor.report.i18n`). The terms follow the
catalogs' glossary: the reference (the original recording) is «оригинал записи» /
«жазбаның түпнұсқасы», the copy
«копия» / «көшірме».
"""

from __future__ import annotations

from typing import Any

from ..findings import printable
from ..report.explain import N_
from ..report.i18n import Lang
from .edits import ALTERED, INSERTED, MISSING

__all__ = ["TITLES", "HEADINGS", "kind_label", "heading", "finding_message", "conclusion",
           "fixed", "span", "seconds", "seconds_fixed", "role_label"]

#: a difference's kind as the timelines, the legend and the table name it
TITLES = {MISSING: N_("missing from the copy"), INSERTED: N_("inserted into the copy"),
          ALTERED: N_("altered in the copy")}
#: the same as a heading of the text report
HEADINGS = {MISSING: N_("MISSING"), INSERTED: N_("INSERTED"), ALTERED: N_("ALTERED")}
_ROLES = {"reference": N_("reference"), "copy": N_("copy")}


def kind_label(lang: Lang, kind: str) -> str:
    """The kind's title in the language; an unknown kind as it is named."""
    return lang.gettext(TITLES[kind]) if kind in TITLES else kind


def heading(lang: Lang, kind: str) -> str:
    """The kind in capitals, for the text report."""
    return lang.gettext(HEADINGS[kind]) if kind in HEADINGS else kind


def role_label(lang: Lang, role: str) -> str:
    """A file's role (``reference`` or ``copy``) in the language."""
    return lang.gettext(_ROLES[role]) if isinstance(role, str) and role in _ROLES else role


def fixed(lang: Lang, value: float, digits: int, *, sign: bool = False) -> str:
    """``value`` with exactly ``digits`` decimals and the language's decimal mark."""
    text = f"{value:+.{digits}f}" if sign else f"{value:.{digits}f}"
    return text.replace(".", lang.number(0.5, 1)[1]) if digits else text


def seconds_fixed(lang: Lang, value: float) -> str:
    """A measured length with two decimals: ``6.00 s``, ``6,00 с``."""
    return lang.gettext("%(n)s s", n=fixed(lang, value, 2))


def span(lang: Lang, a: float, b: float) -> str:
    """``HH:MM:SS.s – HH:MM:SS.s``, or one time for a span under 0.05 s."""
    if b - a >= 0.05:
        return f"{lang.clock(a)} – {lang.clock(b)}"
    return lang.gettext("at %(time)s", time=lang.clock(a))


def finding_message(lang: Lang, finding: dict[str, Any]) -> str:
    """What a difference is, in the language, from the finding's times.

    English keeps the message the report holds (the contract's); for another language, and
    for the comparison's own kinds, the sentence is said again from ``start``/``end`` (seconds
    of the copy) and ``evidence`` (seconds of the reference, the length).
    """
    kind, ev = finding.get("kind"), finding.get("evidence") or {}
    if lang.code == "en" or kind not in TITLES:
        return printable(str(finding.get("message", "")))
    values = {"length": seconds_fixed(lang, float(ev.get("length", 0.0))),
              "start": lang.clock(float(finding["start"])),
              "end": lang.clock(float(finding["end"])),
              "ref_start": lang.clock(float(ev["reference_start"])),
              "ref_end": lang.clock(float(ev["reference_end"]))}
    if kind == MISSING:
        return lang.gettext("%(length)s of the reference (%(ref_start)s – %(ref_end)s) is "
                            "missing from the copy at %(start)s.", **values)
    if kind == INSERTED:
        text = lang.gettext("%(length)s at %(start)s – %(end)s of the copy is not in the "
                            "reference there (the reference at %(ref_start)s).", **values)
        if ev.get("matches_reference_elsewhere"):
            text += " " + lang.gettext("Part of it is audio of the reference from another "
                                       "place.")
        return text
    return lang.gettext("%(length)s at %(start)s – %(end)s of the copy is aligned with "
                        "%(ref_start)s – %(ref_end)s of the reference but is not the same audio "
                        "(muted, replaced or overdubbed).", **values)


def seconds(lang: Lang, value: float) -> str:
    """A parameter in seconds as given (``0.75 s``, ``0,75 с``)."""
    return lang.gettext("%(n)s s", n=lang.number(float(value), 3))


def conclusion(lang: Lang, found: int, min_span: float) -> str:
    """The comparison's conclusion: the copy holds the reference's audio, or N differences."""
    if not found:
        return lang.gettext("The copy holds the reference's audio: no difference of at least "
                            "%(span)s.", span=seconds(lang, min_span))
    return lang.ngettext("%(num)s difference between the copy and the reference.",
                         "%(num)s differences between the copy and the reference.", found)
