"""Plain-language explanations: what each kind of finding means and why it matters.

The detectors write their messages in English, with the measured values; a report in any
language keeps that message as the technical detail and puts beside it, in the reader's language,
the title and explanation of the finding's kind from this table, the rule it cites, and the
point of the Kazakhstan Guidelines behind the rule. A kind missing here (a new detector's) still
renders, through a generic explanation that names it.
"""

from __future__ import annotations

import re
from typing import Any

from .events import Event, group_events, unrecorded_seconds
from .i18n import Lang

__all__ = ["CUE_LABELS", "KINDS", "POINTS", "SEVERITY", "REASONS", "N_", "kind_title", "kind_text",
           "finding_title", "finding_text", "rule_label", "rule_points", "conclusion",
           "severity_label", "reason_label", "cite_label", "format_label", "policy_text"]


def N_(message: str) -> str:
    """Mark ``message`` for the catalogs; it is translated where it is shown."""
    return message


SEVERITY = {"high": N_("high"), "warning": N_("warning"), "info": N_("information")}
#: the splice detector's cues, as a file's ``checks.splice`` names them
CUE_LABELS = {"enf": N_("mains hum (ENF)"), "background": N_("room background"),
              "waveform": N_("waveform (clicks, bandwidth)")}

#: Common reasons for a break or an act, as session records write them; others stay as written.
REASONS = {
    "recess": N_("recess"), "break": N_("recess"), "deliberation": N_("deliberation room"),
    "adjournment": N_("adjournment"), "lunch": N_("lunch break"),
    "equipment failure": N_("equipment failure"), "technical failure": N_("technical failure"),
    "power outage": N_("power outage"),
}

#: kind -> (title, plain-language explanation). English text; the catalogs translate it.
KINDS: dict[str, tuple[str, str]] = {
    "digital_silence": (N_("Digital silence"), N_(
        "The recording holds exact zeros (or one constant value) here. A microphone in a room "
        "never produces perfectly constant samples, so the sound was muted, cut out or replaced "
        "at this point, by the equipment or by a person.")),
    "silence": (N_("Long silence"), N_(
        "The sound stays at the background-noise level for a long time. Microphones may have "
        "been switched off or the hearing was not being recorded; listen to the excerpt to "
        "judge.")),
    "dropout": (N_("Dropout"), N_(
        "A very short run of exact zeros inside speech or sound. Such dropouts come from "
        "equipment faults or lost data; a few are common, many suggest an unreliable "
        "recording.")),
    "timestamp_gap": (N_("Time missing from the recording"), N_(
        "The file's own timestamps jump forward: time passes in the file with no audio for it. "
        "Players close the gap silently, so a listener does not notice that part of the "
        "hearing is not there.")),
    "level_jump": (N_("Change of background level"), N_(
        "The background noise level changes abruptly. This happens when a recording is cut "
        "and joined, when equipment is switched, or when a microphone is moved; it marks a "
        "place to examine.")),
    "format_change": (N_("Change of recording format"), N_(
        "The audio bandwidth or format changes inside the file. Parts recorded or processed "
        "differently may have been joined together.")),
    "splice": (N_("Possible edit (splice)"), N_(
        "Forensic cues (mains-hum continuity, background signature, waveform) indicate that "
        "audio may have been cut, inserted or replaced here. The confidence and the evidence "
        "values state how strong the indication is.")),
    "video_gap": (N_("Gap in the video"), N_(
        "The video frames' timestamps jump forward: pictures for this time are missing.")),
    "video_black": (N_("Black picture"), N_(
        "The picture is black for this span: the camera was covered, off or disconnected.")),
    "video_frozen": (N_("Frozen picture"), N_(
        "The picture does not change for this span: the camera feed froze or a still image "
        "was recorded.")),
    "missing_segment": (N_("Part of the session not recorded"), N_(
        "During this time the session was in progress, no break had been announced, and no "
        "recording covers it. The rules require the recording to run without interruption.")),
    "late_start": (N_("Recording started late"), N_(
        "The session had opened before the recording began; the opening of the session is not "
        "recorded.")),
    "early_stop": (N_("Recording stopped early"), N_(
        "The recording ended before the session closed; the end of the session is not "
        "recorded.")),
    "overlap": (N_("Recordings overlap"), N_(
        "Two files claim the same time. Either a declared start time is wrong or a recording was "
        "copied or corrected.")),
    "missing_file": (N_("Declared recording missing"), N_(
        "The session record declares this recording, but it is absent or cannot be read, so "
        "it cannot be checked.")),
    "timestamp_mismatch": (N_("Start time contradicts the record"), N_(
        "The start time written inside the file does not agree with the session record. One of "
        "them was changed, or the recorder's clock was wrong.")),
    "act_issue": (N_("Problem with an act"), N_(
        "An act of failure to record is missing, incomplete, signed late or by too few people. "
        "An unrecorded span with no act is an unsanctioned suspension of the recording.")),
    "hash_mismatch": (N_("File altered since it was logged"), N_(
        "The file's content no longer matches the hash recorded in the ledger: it was changed "
        "after it was logged.")),
    "unlogged_file": (N_("File never logged"), N_(
        "The file is not in the ledger, so nothing shows that it is the recording made at the "
        "hearing.")),
    "early_destruction": (N_("Destroyed before the end of retention"), N_(
        "The recording was destroyed before its retention period ended.")),
    "retention_overdue": (N_("Kept past the retention period"), N_(
        "The recording is kept after its retention period ended, with no legal hold recorded.")),
    "ledger_inconsistent": (N_("Ledger inconsistent"), N_(
        "The ledger itself does not verify: its log, proofs or signatures disagree.")),
    "unwitnessed": (N_("Ledger not confirmed by enough witnesses"), N_(
        "The ledger's signed checkpoint lacks the cosignatures of the independent witnesses "
        "that the witnesses file requires, or a stored cosignature does not verify. Only such "
        "witnesses show that the court did not rebuild or backdate the ledger with its own "
        "key.")),
    "untimestamped": (N_("Ledger without a trusted timestamp"), N_(
        "No RFC 3161 timestamp from the trusted time-stamping authority verifies for the "
        "ledger's checkpoint. Without it, nothing independent of the court shows when the "
        "ledger reached this state.")),
    "unsealed": (N_("Recording logged but not sealed"), N_(
        "The ledger holds the start of this recording's entry but not its seal: adding it to "
        "the ledger did not finish, so its chunks may not all be logged. Add the file again.")),
    "duplicate_claim": (N_("Recording claimed by two session records"), N_(
        "One file is declared as the recording of two or more court sessions. It cannot be "
        "both: one session record names the wrong file, and the session it was meant for may "
        "have no recording.")),
    "unusable_recording": (N_("Not a usable recording"), N_(
        "The archived file cannot be read, is almost all silence, or holds far less audio than "
        "it declares (the finding gives the reason): it cannot serve as the recording of the "
        "session.")),
    "invalid_samples": (N_("Invalid samples"), N_(
        "The decoded audio holds values that are not numbers or are out of range: the file is "
        "damaged.")),
}

#: ``act_issue`` findings that are not about an act the record holds, told by their evidence:
#: no act explains an unrecorded span (rule ``suspension``: no ``act``, no ``gap_start``), or
#: an act explains only part of one (rule ``act_partial``: ``gap_start``).
ACT_VARIANTS: dict[str, tuple[str, str]] = {
    "no_act": (N_("No act explains the unrecorded time"), N_(
        "This time of the session was not recorded, no break had been announced, and no act of "
        "failure to record explains it: the recording was suspended without sanction.")),
    "act_partial": (N_("The act explains only part of the unrecorded time"), N_(
        "An act of failure to record covers part of this unrecorded time; the rest is "
        "unexplained: an unsanctioned suspension of the recording.")),
}

_GENERIC = N_("The detector “%(detector)s” reported a finding of kind “%(kind)s”. The technical "
              "detail below states what it measured.")

#: Points of the Kazakhstan Guidelines (2015) the kz-2015 profile cites.
POINTS: dict[str, str] = {
    "6": N_("Point 6: the recording runs without interruption during the session; stopping it "
            "after an announced deferral, break or retirement to the deliberation room, until "
            "proceedings resume, is not an interruption."),
    "10": N_("Point 10: when equipment cannot be used, the secretary informs the judge, the "
             "reason is entered in the record of the session, and the fault is reported to the "
             "court's IT specialist."),
    "16": N_("Point 16: if recording can no longer continue, the parties are notified."),
    "17": N_("Point 17: an act is drawn up when a recording cannot be made for technical "
             "reasons, or when it is discovered that a recording was not made."),
    "18": N_("Point 18: at first instance the act is signed by the secretary and the head of "
             "the clerk's office, on appeal also by the chief IT specialist; the act is attached "
             "to the record of the session."),
    "19": N_("Point 19: unsanctioned suspension or correction of a recording is not allowed."),
    "27": N_("Point 27: copies of the recordings are attached when a case is archived; "
             "recordings on the server are destroyed one year after the verdict or ruling "
             "enters into legal force."),
    "28": N_("Point 28: participants may listen to or view recordings in specially equipped "
             "places."),
}
_CITE = re.compile(r"^(?P<profile>\S+)\s+(?P<points>pp?\.\s*.+)$")

#: ffmpeg's demuxer names (a file's ``container``) -> the name people know the format by
CONTAINERS = {"wav": "WAV", "w64": "Wave64", "flac": "FLAC", "ogg": "Ogg", "mp3": "MP3",
              "mov,mp4,m4a,3gp,3g2,mj2": "MP4/MOV", "matroska,webm": "MKV/WebM",
              "asf": "ASF (WMA/WMV)", "avi": "AVI", "mpegts": "MPEG-TS", "aiff": "AIFF",
              "aac": "AAC", "wv": "WavPack", "caf": "CAF"}
#: codecs with audio only in an MP4 container: the file is an M4A
_M4A_CODECS = ("aac", "alac", "mp3")
#: ffmpeg's codec names -> the name people know the codec by (``pcm_*`` is PCM)
CODECS = {"aac": "AAC", "mp3": "MP3", "mp3float": "MP3", "flac": "FLAC", "opus": "Opus",
          "vorbis": "Vorbis", "alac": "ALAC", "wmav1": "WMA", "wmav2": "WMA", "wmapro": "WMA Pro",
          "h264": "H.264", "hevc": "H.265", "mpeg4": "MPEG-4", "amr_nb": "AMR", "amr_wb": "AMR-WB"}


def severity_label(lang: Lang, severity: str) -> str:
    """The severity in words."""
    return lang.gettext(SEVERITY.get(severity, severity))


def reason_label(lang: Lang, reason: str | None) -> str:
    """A break's or act's reason: translated when it is a common one, else as written."""
    if not reason:
        return "—"
    key = reason.strip().lower()
    return lang.gettext(REASONS[key]) if key in REASONS else reason


def kind_title(lang: Lang, kind: str) -> str:
    """The kind's title; an unknown kind's own name, readable."""
    if kind in KINDS:
        return lang.gettext(KINDS[kind][0])
    return kind.replace("_", " ").capitalize()


def kind_text(lang: Lang, finding: dict[str, Any]) -> str:
    """What the finding's kind means and why it matters, in the reader's language."""
    kind = finding["kind"]
    if kind in KINDS:
        return lang.gettext(KINDS[kind][1])
    return lang.gettext(_GENERIC, detector=finding.get("detector", "?"), kind=kind)


def _act_variant(finding: dict[str, Any]) -> str | None:
    if finding.get("kind") != "act_issue":
        return None
    ev = finding.get("evidence") or {}
    if "gap_start" in ev:
        return "act_partial"
    return None if "act" in ev else "no_act"


def finding_title(lang: Lang, finding: dict[str, Any]) -> str:
    """The title of one finding: its kind's, or what an ``act_issue`` is really about."""
    variant = _act_variant(finding)
    if variant:
        return lang.gettext(ACT_VARIANTS[variant][0])
    return kind_title(lang, finding["kind"])


def finding_text(lang: Lang, finding: dict[str, Any]) -> str:
    """The explanation of one finding (:func:`kind_text`, or an ``act_issue`` variant's)."""
    variant = _act_variant(finding)
    if variant:
        return lang.gettext(ACT_VARIANTS[variant][1])
    return kind_text(lang, finding)


def _point_numbers(points: str) -> list[str]:
    nums: list[str] = []
    for part in re.split(r"\s*,\s*", points):
        m = re.match(r"pp?\.\s*(\d+)(?:\s*[-–]\s*(\d+))?$", part.strip())
        if not m:
            continue
        a, b = int(m.group(1)), int(m.group(2) or m.group(1))
        nums += [str(n) for n in range(a, b + 1)] if b - a < 20 else [str(a), str(b)]
    return nums


def rule_label(lang: Lang, rule: str | None) -> str:
    """A rule citation for people: ``kz-2015 p.6`` -> ``kz-2015, point 6`` (translated)."""
    if not rule:
        return ""
    m = _CITE.match(rule)
    nums = _point_numbers(m.group("points")) if m else []
    if not m or not nums:
        return rule
    text = lang.ngettext("point %(points)s", "points %(points)s", len(nums),
                         points=", ".join(nums))
    return f"{m.group('profile')}, {text}"


def cite_label(lang: Lang, cite: str | None) -> str:
    """A policy rule's citation for people: ``p.6, p.17`` -> ``points 6, 17`` (translated:
    ``пп. 6, 17``, ``6, 17-тармақтар``); a citation of another form as written."""
    nums = _point_numbers(cite or "")
    if not nums:
        return cite or ""
    return lang.ngettext("point %(points)s", "points %(points)s", len(nums),
                         points=", ".join(nums))


def policy_text(lang: Lang, text: Any) -> Any:
    """A text of a policy (a rule's, its title, source or grid note) in the reader's language
    when the catalogs hold it (the built-in profiles' texts: the project's translation), else as
    written; a value that is not text, as it is."""
    if not isinstance(text, str) or not text:
        return text
    return str(lang.translations.gettext(text))


def format_label(container: str | None, codec: str | None) -> str:
    """A file's format as people name it: ``MP4/M4A (AAC)``, ``WAV (PCM)``, ``FLAC``; a format
    this table does not know by ffmpeg's own name."""
    box = CONTAINERS.get(container or "", container or "")
    if box == "MP4/MOV" and (codec or "") in _M4A_CODECS:
        box = "MP4/M4A"
    name = "PCM" if (codec or "").startswith("pcm_") else CODECS.get(codec or "", codec or "")
    if not name or name == box:
        return box or name
    return f"{box} ({name})" if box else name


def rule_points(lang: Lang, rule: str | None) -> list[str]:
    """The translated text of each Guidelines point a ``kz-2015`` rule cites."""
    m = _CITE.match(rule or "")
    if not m or not m.group("profile").startswith("kz-2015"):
        return []
    return [lang.gettext(POINTS[n]) for n in _point_numbers(m.group("points")) if n in POINTS]


def conclusion(lang: Lang, report: dict[str, Any], *,
               events: list[Event] | None = None) -> list[str]:
    """The plain-language conclusion: paragraphs, in the reader's language (``events``: the
    report's :func:`~.events.group_events`, when the caller has them)."""
    findings = report.get("findings", [])
    by_sev = {s: sum(1 for f in findings if f["severity"] == s) for s in SEVERITY}
    nfiles = len(report.get("files", []))
    out = [lang.ngettext("%(num)s recording was examined.", "%(num)s recordings were examined.",
                         nfiles)]
    if not findings:
        if report.get("unreadable"):  # not every check ran: some files could not be read
            out.append(lang.gettext("No findings in the recordings that could be checked."))
            return out
        out.append(lang.gettext(
            "Every check that applies to these recordings ran and found nothing to report. "
            "This does not prove that no edit was made: it means that none of the methods "
            "listed under “Method” detected one."))
        return out
    out.append(lang.ngettext("The examination located %(num)s finding.",
                             "The examination located %(num)s findings.", len(findings)))
    if events is None:
        events = group_events(report)
    out.append(lang.ngettext("They describe %(num)s event, listed under “In brief” at the top.",
                             "They describe %(num)s events, listed under “In brief” at the top.",
                             len(events)))
    if any(e.category == "unrecorded" for e in events):
        out.append(lang.gettext(
            "The recordings do not cover the whole session: %(duration)s of session time "
            "outside announced breaks was not recorded.",
            duration=lang.duration(sum(unrecorded_seconds(events)))))
    if by_sev["high"]:
        out.append(lang.ngettext(
            "%(num)s finding is of high severity: each one, by itself, means the recording is "
            "not a complete and unaltered record of the hearing at that time, unless it is "
            "explained by the court.",
            "%(num)s findings are of high severity: each one, by itself, means the recording is "
            "not a complete and unaltered record of the hearing at that time, unless it is "
            "explained by the court.", by_sev["high"]))
    else:
        out.append(lang.gettext(
            "No finding is of high severity; the findings mark places that deserve listening "
            "and explanation."))
    out.append(lang.gettext(
        "The findings state facts measured in the files and their comparison with the session "
        "record; they do not establish who caused them or why."))
    return out

