"""A copy checked against its reference, end to end: the reference read from a recording, an
evidence bundle or a ledger, the copy fingerprinted and aligned, the report built.

What ``auditor compare`` does between parsing its options and writing the report, so that every
front end (the command line, the local app) runs the same steps.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from ..errors import InputError

__all__ = ["reference_kind", "reference_file", "load_reference", "compare_copy"]

_SQLITE = b"SQLite format 3\x00"
Progress = Callable[[str, float, float], None]


def reference_kind(path: str) -> str:
    """``bundle`` (a folder or a zip), ``ledger`` (an SQLite file) or ``recording``."""
    if os.path.isdir(path):
        return "bundle"
    try:
        with open(path, "rb") as fh:
            head = fh.read(len(_SQLITE))
    except OSError:
        return "recording"   # describe_file names the problem
    if head == _SQLITE:
        return "ledger"
    return "bundle" if zipfile.is_zipfile(path) else "recording"


def reference_file(source: dict[str, Any], duration: float) -> dict[str, Any]:
    """The report's ``files`` entry of a reference read from a bundle or a ledger: the logged
    recording's SHA-256 and media facts (its own bytes are not at hand)."""
    media = source.get("media") or {}
    return {"path": source["path"], "role": "reference", "reference_kind": source["kind"],
            "name": source["name"], "sha256": source["recording_sha256"],
            "duration": round(duration, 3),
            **{k: media.get(k) for k in ("sample_rate", "channels", "codec", "container")}}


def load_reference(reference: str, *, parts: Sequence[str] = (), name: str | None = None,
                   trusted_key: Any = None, progress: Progress | None = None,
                   ) -> tuple[Any, list[dict[str, Any]], dict[str, Any]]:
    """The reference's fingerprint, its report ``files`` entries and its ``source``.

    A recording (with its further ``parts``) is fingerprinted; a bundle is verified first
    (:func:`auditor.ledger.bundle.bundle_reference`, authenticated by ``trusted_key`` when
    given); a ledger's entry for ``name`` is checked against its signed checkpoint.

    Raises
    ------
    InputError
        A reference that cannot be read, or a bundle or ledger without the recording's
        fingerprint. :class:`~auditor.errors.VerificationError` when a bundle fails to verify.
    """
    from ..compare import fingerprint_reference
    from .report import describe_file

    kind = reference_kind(reference)
    if kind == "recording":
        refs = [reference, *parts]
        ref_files = [describe_file(p, "reference") for p in refs]   # a bad input fails here
        ref_fp = fingerprint_reference(refs, progress=progress)
        return ref_fp, ref_files, {"kind": "recording", "path": reference,
                                   "sha256": ref_files[0]["sha256"]}
    if kind == "ledger":
        from ..ledger.content import ledger_reference

        if name is None:
            raise InputError("REFERENCE is a ledger: say which recording with --name",
                             path=reference,
                             hint=f"auditor compare {reference} COPY --name hearing.wav")
        ref_fp, source = ledger_reference(reference, name)
    else:
        from ..ledger.bundle import bundle_reference

        ref_fp, source = bundle_reference(reference, trusted_key=trusted_key)
    return ref_fp, [reference_file(source, ref_fp.duration)], source


def compare_copy(ref_fp: Any, ref_files: list[dict[str, Any]], copies: Sequence[str], *,
                 copy_files: list[dict[str, Any]], source: dict[str, Any], min_span: float,
                 progress: Progress | None, created: datetime | None,
                 earlier: tuple[Any, ...] = ()) -> dict[str, Any]:
    """Fingerprint the copies (``copy_files``: their :func:`describe_file` entries), align them
    with ``ref_fp`` and build the report (``earlier``: findings made before the comparison,
    such as a ledger's)."""
    from ..compare import AlignParams, compare_fingerprints, fingerprint_copy
    from .report import build_compare_report

    copy_fp = fingerprint_copy(copies, progress=progress)
    if copy_fp.words.size < 25:
        raise InputError("the copy holds less than half a second of audio: nothing to compare",
                         path=copies[0], hint="check that this is the copy you were given")
    if ref_fp.words.size * ref_fp.stride < 50:
        raise InputError("the reference holds less than a second of audio", path=source["path"],
                         hint="check that this is the original recording")
    params = AlignParams()
    result = compare_fingerprints(ref_fp, copy_fp, params=params, min_span=min_span)
    return build_compare_report(
        comparison=result, reference_files=ref_files, copy_files=copy_files,
        reference_parts=ref_fp.parts, copy_parts=copy_fp.parts,
        parameters={"align": params.to_json(), "min_span": min_span,
                    "reference_stride": ref_fp.stride},
        created=created, reference_source=source, earlier_findings=earlier)
