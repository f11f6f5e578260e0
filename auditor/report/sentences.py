"""What one finding says, as a sentence in the reader's language.

The detectors and the continuity audit write each finding's ``message`` in English, with the
measured values; the JSON report keeps it as written. A report in Russian or Kazakh shows instead
the sentence this module builds from the finding's kind, times and evidence, and keeps the English
message only as technical detail. A finding this module has no sentence for (a kind or a variant
it does not know) gives None: the report then shows the message as written.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from .explain import CUE_LABELS, N_
from .i18n import Lang

__all__ = ["finding_sentence"]

_NOTES = {"none": N_("no act explains it"), "full": N_("an act explains it"),
          "partial": N_("an act explains only part of it")}


def _num(lang: Lang, value: Any, digits: int = 1) -> str:
    return lang.number(abs(float(value)), digits)


def _length(f: dict[str, Any]) -> float:
    if f.get("wall_start") and f.get("wall_end"):
        a, b = datetime.fromisoformat(f["wall_start"]), datetime.fromisoformat(f["wall_end"])
        return (b - a).total_seconds()
    return max(0.0, float(f.get("end") or 0.0) - float(f.get("start") or 0.0))


def _wall(f: dict[str, Any]) -> str:
    """``10:01:19–10:01:23 (+05:00)``, with dates when the span crosses midnight."""
    a, b = datetime.fromisoformat(f["wall_start"]), datetime.fromisoformat(f["wall_end"])
    fmt = "%H:%M:%S" if a.date() == b.date() else "%Y-%m-%d %H:%M:%S"
    off = a.strftime("%z")
    zone = f" ({off[:3]}:{off[3:]})" if off else ""
    return f"{a.strftime(fmt)}–{b.strftime(fmt)}{zone}"


def _where(lang: Lang, f: dict[str, Any]) -> str:
    """Where an unrecorded span of the session lies among the files, as a clause (or "")."""
    ev = f.get("evidence") or {}
    before, after = ev.get("before") or {}, ev.get("after") or {}
    if ev.get("inside_file") and f.get("file"):
        return lang.gettext(" (inside %(file)s at %(start)s–%(end)s, where it holds no real "
                            "recording)", file=f["file"], start=lang.clock(float(f["start"])),
                            end=lang.clock(float(f["end"])))
    if before.get("file") and after.get("file"):
        return lang.gettext(" (between %(first)s and %(second)s)", first=before["file"],
                            second=after["file"])
    if before.get("file"):
        return lang.gettext(" (after %(file)s)", file=before["file"])
    if after.get("file"):
        return lang.gettext(" (before %(file)s)", file=after["file"])
    return ""


def _gap(lang: Lang, f: dict[str, Any]) -> str | None:
    if not (f.get("wall_start") and f.get("wall_end")):
        return None
    ev = f.get("evidence") or {}
    values = {"length": lang.duration(_length(f)), "span": _wall(f), "where": _where(lang, f)}
    head = {
        "missing_segment": N_("%(length)s of the session not recorded, %(span)s%(where)s, "
                              "outside any announced break"),
        "late_start": N_("The recording began %(length)s after the session opened: %(span)s "
                         "not recorded%(where)s, outside any announced break"),
        "early_stop": N_("The recording ended %(length)s before the session closed: %(span)s "
                         "not recorded%(where)s, outside any announced break"),
    }[f["kind"]]
    note = _NOTES.get(str(ev.get("explained_by_act", "none")), _NOTES["none"])
    text = lang.gettext(head, **values)
    if ev.get("declared_missing_files"):
        text += lang.gettext("; the record declares %(files)s for this time, but it is missing",
                             files=", ".join(map(str, ev["declared_missing_files"])))
    return f"{text}; {lang.gettext(note)}."


def _act(lang: Lang, f: dict[str, Any]) -> str | None:
    ev = f.get("evidence") or {}
    if "act" in ev or not (f.get("wall_start") and f.get("wall_end")):
        return None  # an act of the record: its own message names what is wrong with it
    if "gap_start" in ev:
        return lang.gettext(
            "The act for this gap does not cover %(span)s (%(length)s) of the session time not "
            "recorded.", span=_wall(f), length=lang.duration(_length(f)))
    return lang.gettext(
        "No act of failure to record explains the %(length)s not recorded at %(span)s: an "
        "unsanctioned suspension of the recording.", length=lang.duration(_length(f)),
        span=_wall(f))


def _dropout(lang: Lang, f: dict[str, Any]) -> str:
    runs = int((f.get("evidence") or {}).get("runs") or 1)
    if runs > 1:
        return lang.ngettext(
            "%(num)s dropout of exact zeros inside the signal within %(length)s from %(at)s.",
            "%(num)s dropouts of exact zeros inside the signal within %(length)s from %(at)s.",
            runs, length=lang.duration(_length(f)), at=lang.clock(float(f["start"])))
    return lang.gettext("A dropout of %(length)s of exact zeros inside the signal at %(at)s.",
                        length=lang.duration(_length(f)), at=lang.clock(float(f["start"])))


def _digital(lang: Lang, f: dict[str, Any]) -> str:
    value = (f.get("evidence") or {}).get("value", 0.0)
    what = (N_("%(length)s of digital silence (exact zeros) at %(at)s.") if not value else
            N_("%(length)s of digital silence (one constant value) at %(at)s."))
    return lang.gettext(what, length=lang.duration(_length(f)), at=lang.clock(float(f["start"])))


def _silence(lang: Lang, f: dict[str, Any]) -> str:
    return lang.gettext("%(length)s of acoustic silence (no sound above the room's noise floor) "
                        "from %(at)s.", length=lang.duration(_length(f)),
                        at=lang.clock(float(f["start"])))


def _timestamp(lang: Lang, f: dict[str, Any]) -> str | None:
    ev = f.get("evidence") or {}
    at = lang.clock(float(f["start"]))
    if "gap_s" in ev and float(ev["gap_s"]) > 0:
        return lang.gettext(
            "%(length)s of time missing from the recording at %(at)s: the file's timestamps "
            "jump forward (audio cut out or never recorded; players do not show it).",
            length=lang.duration(float(ev["gap_s"])), at=at)
    if "gap_s" in ev:
        return lang.gettext("The file's timestamps go back by %(length)s at %(at)s: audio "
                            "overlaps or was re-joined there.",
                            length=lang.duration(abs(float(ev["gap_s"]))), at=at)
    if "declared_s" in ev:
        return lang.gettext("The file is truncated: %(length)s of audio are missing at its end.",
                            length=lang.duration(_length(f)))
    return None


def _level(lang: Lang, f: dict[str, Any]) -> str | None:
    ev = f.get("evidence") or {}
    at = lang.clock(float(f["start"]))
    if "floor_step_db" in ev:
        what = (N_("The background noise level rises by %(db)s dB at %(at)s: the room or the "
                   "recording chain changes there.") if float(ev["floor_step_db"]) > 0 else
                N_("The background noise level falls by %(db)s dB at %(at)s: the room or the "
                   "recording chain changes there."))
        return lang.gettext(what, db=_num(lang, ev["floor_step_db"]), at=at)
    if "dc_step" in ev:
        return lang.gettext("The DC offset steps by %(step)s of full scale at %(at)s: a "
                            "different device or signal chain from there on.",
                            step=_num(lang, ev["dc_step"], 4), at=at)
    return None


def _splice(lang: Lang, f: dict[str, Any]) -> str:
    cues = sorted((f.get("evidence") or {}).get("cues") or {})
    names = ", ".join(lang.gettext(CUE_LABELS.get(c, c)) for c in cues)
    what = (N_("Probable edit at %(at)s; the cues that show it: %(cues)s (confidence %(p)s).")
            if f.get("severity") == "high" else
            N_("An anomaly worth listening to at %(at)s; the cues that show it: %(cues)s "
               "(confidence %(p)s)."))
    return lang.gettext(what, at=lang.clock(float(f["start"])), cues=names or "—",
                        p=lang.number(float(f.get("confidence") or 0.0), 2))


_SENTENCES: dict[str, Callable[[Lang, dict[str, Any]], str | None]] = {
    "missing_segment": _gap, "late_start": _gap, "early_stop": _gap, "act_issue": _act,
    "dropout": _dropout, "digital_silence": _digital, "silence": _silence,
    "timestamp_gap": _timestamp, "level_jump": _level, "splice": _splice,
}


def finding_sentence(lang: Lang, finding: dict[str, Any]) -> str | None:
    """What ``finding`` (a report's finding, as in the JSON) says, in the reader's language.

    Parameters
    ----------
    lang
        The report language.
    finding
        One entry of the report's ``findings``.

    Returns
    -------
    str or None
        The sentence, or None when this module has none for the finding (its ``message`` is
        then the only text of what was measured).
    """
    make = _SENTENCES.get(finding.get("kind", ""))
    if make is None:
        return None
    try:
        return make(lang, finding)
    except (KeyError, TypeError, ValueError):  # a hand-edited report: fall back to the message
        return None
