"""Is an archived file a usable recording? The ``unusable_recording`` finding.

A file can pass every integrity check and still be worthless as a record of a hearing. One
``unusable_recording`` finding (severity ``high``) is made per file, for the first of these
reasons (``evidence.reason``):

- ``unreadable``: the file cannot be probed or decoded (damaged, not a recording, no audio);
- ``silent``: digital silence (exact zeros or a constant) and acoustic silence together cover at
  least :data:`SILENT_FRACTION` of the audio -- the microphones were off or the audio was muted;
- ``duration``: less than :data:`MIN_SECONDS` of audio decodes, or less than half of what the
  container declares (the file was cut short or its data was lost).

The rule cited is the policy's ``missing_file`` rule (kz-2015 points 6 and 27: a recording is made
and its copy attached to the case; an unusable copy cannot serve either purpose). The detectors'
own findings (``digital_silence``, ``silence``, ``timestamp_gap``) stay in the report with their
locations; this finding summarises what they mean for the file as a whole.
"""

from __future__ import annotations

from typing import Any

from ..findings import Finding
from ..session import Policy
from .work import FileResult

__all__ = ["KIND", "SILENT_FRACTION", "MIN_SECONDS", "quality_findings"]

KIND = "unusable_recording"
#: Fraction of a file's duration covered by silence that makes it unusable.
SILENT_FRACTION = 0.8
#: Shortest usable recording (s).
MIN_SECONDS = 1.0
_SILENT_KINDS = ("digital_silence", "silence")


def _covered(spans: list[tuple[float, float]]) -> float:
    """Total length (s) of the union of ``spans``."""
    total, end = 0.0, float("-inf")
    for a, b in sorted(spans):
        if b <= end:
            continue
        total += b - max(a, end)
        end = b
    return total


def quality_findings(result: FileResult, findings: list[Finding], *, policy: Policy,
                     context: dict[str, Any]) -> list[Finding]:
    """The ``unusable_recording`` finding of one file, if any (see the module docstring).

    Parameters
    ----------
    result
        The file's audit result (``status`` and decoded duration).
    findings
        The scan's findings for the file.
    policy
        Gives the cited rule.
    context
        Case, court and session facts added to the evidence.
    """
    rule = policy.rule("missing_file")

    def unusable(reason: str, message: str, **evidence: Any) -> list[Finding]:
        return [Finding(KIND, result.rel, None, None, "high", 1.0, "quality", message,
                        {**context, "reason": reason, **evidence},
                        rule=policy.ref("missing_file") if rule.enabled else None)]

    if result.status == "unreadable":
        return unusable("unreadable", f"not a usable recording: {result.error}",
                        error=result.error)
    if result.status != "ok" or result.info is None:
        return []
    duration = float(result.decoded_duration)
    declared = float(result.info.get("duration") or 0.0)
    spans = [(float(f.start), float(f.end)) for f in findings
             if f.kind in _SILENT_KINDS and f.start is not None and f.end is not None]
    silent = _covered(spans)
    if duration > 0 and silent / duration >= SILENT_FRACTION:
        return unusable("silent", f"{100 * silent / duration:.0f}% of the recording is silence "
                        f"(digital or acoustic): {silent:.1f} s of {duration:.1f} s",
                        silent_seconds=round(silent, 3), duration=round(duration, 6),
                        fraction=round(silent / duration, 4))  # fmt: skip
    if duration < MIN_SECONDS or (declared > 0 and duration < 0.5 * declared):
        return unusable("duration", f"only {duration:.2f} s of audio decodes, of "
                        f"{declared:.2f} s the container declares", decoded=round(duration, 6),
                        declared=round(declared, 6))  # fmt: skip
    return []
