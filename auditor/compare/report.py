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
from .edits import ALTERED, INSERTED, MISSING, Comparison, Edit

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


_TITLES = {MISSING: "MISSING", INSERTED: "INSERTED", ALTERED: "ALTERED"}


def render_compare_text(report: dict[str, Any]) -> str:
    """The comparison for a person: inputs, offset, speed, coverage, then each difference."""
    comp = report["comparison"]
    lines = []
    for f in report["files"]:
        lines.append(f"{f.get('role', 'file'):9} {printable(f['path'])}  "
                     f"sha256 {f['sha256'][:16]}...  {format_time(f['duration'])}")
    src = comp.get("reference_source") or {}
    if src.get("kind") in ("bundle", "ledger"):
        lines.append(f"reference: the fingerprint logged as entry {src['fingerprint_entry']} "
                     f"for recording {src['recording']} ({printable(src['name'])}) in "
                     f"{src['kind']} {printable(src['path'])}: {printable(src['origin'])} "
                     f"tree size {src['tree_size']}, root {src['root'][:16]}...")
        if src.get("kind") == "bundle":
            lines.append("           its signer is authenticated by the trusted key"
                         if src.get("authenticated") else
                         "           its signer is NOT authenticated (no --trusted-key given):"
                         " anyone can make a consistent bundle")
    lines.append(f"offset {comp['offset']:+.3f} s (reference time minus copy time at the "
                 f"start), speed ratio {comp['speed_ratio']:.6f}, the copy covers "
                 f"{100 * comp['coverage']:.1f} % of the reference")
    found = [f for f in report["findings"] if f.get("detector") == DETECTOR]
    if not found:
        lines.append("no difference of at least "
                     f"{report['tool']['parameters'].get('min_span', 0.75)} s: the copy holds "
                     "the reference's audio")
    for f in found:
        ev = f["evidence"]
        lines.append(f"  {_TITLES.get(f['kind'], f['kind']):9} copy {printable(f['file'])} "
                     f"{format_time(f['start'])}-{format_time(f['end'])}  reference "
                     f"{format_time(ev['reference_start'])}-{format_time(ev['reference_end'])}"
                     f"  ({ev['length']:.2f} s, confidence {f['confidence']:.2f})")
        lines.append(f"            {printable(f['message'])}")
    return "\n".join(lines) + "\n"
