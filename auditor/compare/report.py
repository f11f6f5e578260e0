"""The comparison as an ``auditor.report/1`` report (JSON) and as text for a person.

Findings follow the contract: ``file`` is the copy, ``start``/``end`` are seconds of that
file, ``evidence.reference_start``/``reference_end`` seconds of the reference (of
``evidence.reference_file`` when the reference is in several files). The report's
``comparison`` object holds the overall offset, the speed ratio, the fraction of the reference
the copy covers and the aligned segments.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ..findings import Finding, format_time, printable
from ._fpformat import METHOD
from .edits import INSERTED, MISSING, Comparison, Edit

__all__ = ["describe_file", "build_compare_report", "render_compare_text", "DETECTOR"]

DETECTOR = "compare"


def describe_file(path: str | os.PathLike[str], role: str) -> dict[str, Any]:
    """A file of the report: path, role (reference or copy), SHA-256 and its media facts."""
    from ..media import file_sha256, probe

    info = probe(path)
    return {"path": os.fspath(path), "role": role, "sha256": file_sha256(path),
            **info.to_json()}


def _locate(t: float, names: Sequence[str], parts: Sequence[float]) -> tuple[str, float, int]:
    """The file holding time ``t`` of files joined in order, and the time within it."""
    start = 0.0
    for i, (name, length) in enumerate(zip(names, parts, strict=True)):
        if t < start + length or i == len(parts) - 1:
            return name, max(0.0, t - start), i
        start += length
    return names[-1], t, len(parts) - 1


def _finding(edit: Edit, copies: Sequence[str], copy_parts: Sequence[float],
             refs: Sequence[str], ref_parts: Sequence[float]) -> Finding:
    name, start, i = _locate(edit.copy_start, copies, copy_parts)
    end = min(copy_parts[i], start + (edit.copy_end - edit.copy_start))
    ref_name, ref_start, j = _locate(edit.ref_start, refs, ref_parts)
    ref_end = ref_start + (edit.ref_end - edit.ref_start)
    length = (edit.ref_end - edit.ref_start if edit.kind == MISSING
              else edit.copy_end - edit.copy_start)
    if edit.kind == MISSING:
        message = (f"{length:.2f} s of the reference ({format_time(ref_start)}-"
                   f"{format_time(ref_end)}) is missing from the copy at {format_time(start)}")
    elif edit.kind == INSERTED:
        message = (f"{length:.2f} s at {format_time(start)}-{format_time(end)} of the copy "
                   f"is not in the reference there (reference at {format_time(ref_start)})")
        if edit.evidence.get("matches_reference_elsewhere"):
            message += "; part of it is reference audio from another place"
    else:
        message = (f"{length:.2f} s at {format_time(start)}-{format_time(end)} of the copy is "
                   f"aligned with the reference's {format_time(ref_start)}-"
                   f"{format_time(ref_end)} but is not the same audio (muted, replaced or "
                   f"overdubbed)")
    evidence = {"reference_start": round(ref_start, 3), "reference_end": round(ref_end, 3),
                "reference_file": ref_name, "length": round(length, 3), **edit.evidence}
    if len(copies) > 1 or len(refs) > 1:
        evidence.update(copy_start_joined=round(edit.copy_start, 3),
                        copy_end_joined=round(edit.copy_end, 3),
                        reference_start_joined=round(edit.ref_start, 3),
                        reference_end_joined=round(edit.ref_end, 3))
    return Finding(kind=edit.kind, file=name, start=start, end=end, severity="high",
                   confidence=round(edit.confidence, 3), detector=DETECTOR, message=message,
                   evidence=evidence)


def build_compare_report(*, comparison: Comparison, reference_files: Sequence[dict[str, Any]],
                         copy_files: Sequence[dict[str, Any]], reference_parts: Sequence[float],
                         copy_parts: Sequence[float], parameters: dict[str, Any],
                         created: datetime | None = None,
                         reference_source: dict[str, Any] | None = None,
                         earlier_findings: Sequence[Finding] = ()) -> dict[str, Any]:
    """The ``auditor.report/1`` dictionary of a comparison.

    ``reference_files`` and ``copy_files`` are :func:`describe_file` entries in the order the
    files were joined; ``*_parts`` their decoded durations (the fingerprints' ``parts``).
    ``reference_source`` (``comparison.reference_source``) says where the reference came from:
    ``kind`` ``recording``, ``bundle`` or ``ledger``, and for the last two the bundle's hash,
    the ledger's origin, tree size, root and the fingerprint entry. ``earlier_findings`` are
    reported with the comparison's (a ledger's own problems, for ``ledger verify --copy-of``).
    """
    from ..report.model import build_report

    refs = [f["path"] for f in reference_files]
    copies = [f["path"] for f in copy_files]
    findings = [*earlier_findings, *(_finding(e, copies, copy_parts, refs, reference_parts)
                                      for e in comparison.edits)]
    extra = {"comparison": {
        "reference": refs, "copy": copies,
        "offset": round(comparison.offset, 3) + 0.0,   # never -0.0
        "speed_ratio": round(comparison.speed_ratio, 6),
        "coverage": round(comparison.coverage, 4),
        "reference_duration": round(comparison.reference_duration, 3),
        "copy_duration": round(comparison.copy_duration, 3),
        "segments": comparison.segments,
    }}
    if reference_source is not None:
        extra["comparison"]["reference_source"] = reference_source
    params = {"fingerprint": METHOD, **parameters}
    return build_report(files=[*reference_files, *copy_files], findings=findings,
                        parameters=params, created=created, extra=extra)


def render_compare_text(report: dict[str, Any], lang: str = "en") -> str:
    """The comparison for a person: inputs, offset, speed, coverage, then each difference, in
    ``lang`` (``en``, ``ru`` or ``kk``; :mod:`.words`)."""
    from ..report.i18n import get_lang
    from .words import finding_message, fixed, heading, role_label, seconds

    tr = get_lang(lang)
    comp = report["comparison"]
    lines = []
    for f in report["files"]:
        lines.append(f"{role_label(tr, f.get('role', 'file')):9} {printable(f['path'])}  "
                     f"sha256 {f['sha256'][:16]}...  {tr.clock(f['duration'])}")
    src = comp.get("reference_source") or {}
    if src.get("kind") in ("bundle", "ledger"):
        values = {"entry": src["fingerprint_entry"], "recording": src["recording"],
                  "name": printable(src["name"]), "path": printable(src["path"]),
                  "origin": printable(src["origin"]), "size": src["tree_size"],
                  "root": src["root"][:16]}
        lines.append(tr.gettext(
            "reference: the fingerprint logged as entry %(entry)s for recording %(recording)s "
            "(%(name)s) in evidence bundle %(path)s: %(origin)s tree size %(size)s, root "
            "%(root)s...", **values) if src["kind"] == "bundle" else tr.gettext(
            "reference: the fingerprint logged as entry %(entry)s for recording %(recording)s "
            "(%(name)s) in ledger %(path)s: %(origin)s tree size %(size)s, root %(root)s...",
            **values))
        if src.get("kind") == "bundle":
            lines.append("           " + (
                tr.gettext("its signer is authenticated by the trusted key")
                if src.get("authenticated") else
                tr.gettext("its signer is NOT authenticated (no --trusted-key given): anyone "
                           "can make a consistent bundle")))
    lines.append(tr.gettext(
        "offset %(offset)s s (reference time minus copy time at the start), speed ratio "
        "%(ratio)s, the copy covers %(percent)s %% of the reference",
        offset=fixed(tr, comp["offset"], 3, sign=True), ratio=fixed(tr, comp["speed_ratio"], 6),
        percent=fixed(tr, 100 * comp["coverage"], 1)))
    found = [f for f in report["findings"] if f.get("detector") == DETECTOR]
    if not found:
        lines.append(tr.gettext(
            "no difference of at least %(span)s: the copy holds the reference's audio",
            span=seconds(tr, report["tool"]["parameters"].get("min_span", 0.75))))
    for f in found:
        ev = f["evidence"]
        lines.append(f"  {heading(tr, f['kind']):9} " + tr.gettext(
            "copy %(file)s %(start)s-%(end)s  reference %(ref_start)s-%(ref_end)s  "
            "(%(length)s s, confidence %(confidence)s)", file=printable(f["file"]),
            start=tr.clock(f["start"]), end=tr.clock(f["end"]),
            ref_start=tr.clock(ev["reference_start"]), ref_end=tr.clock(ev["reference_end"]),
            length=fixed(tr, ev["length"], 2), confidence=fixed(tr, f["confidence"], 2)))
        lines.append(f"            {finding_message(tr, f)}")
    return "\n".join(lines) + "\n"
