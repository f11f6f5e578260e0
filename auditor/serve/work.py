"""What the app's jobs do: the library calls the commands make, on one job's files.

* :func:`scan_work` is ``auditor scan FILES... [--session S] --policy P [--grid G]`` and the
  report's renderings (``auditor report``: HTML, PDF, CSV) from the saved JSON;
* :func:`bundle_work` is ``auditor bundle verify BUNDLE [--trusted-key K | --no-key]``;
* :func:`compare_work` is ``auditor compare REFERENCE COPY...``.

No check is made here that the library does not make itself; what is added is only what an
app on a person's computer needs: the recordings a session record declares must be among the
uploaded files (a record cannot make the app read elsewhere on the disk).
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import InputError, VerificationError
from ..report.explain import N_
from .jobs import Job
from .messages import AppError

__all__ = ["scan_work", "bundle_work", "compare_work", "render", "MEDIA_TYPES", "REPORT_FILE",
           "COMPARE_FILE"]

#: Where a job's own outputs are kept in its folder: an uploaded file's name never starts with a
#: dot (uploads.safe_name), so no upload can be written over them or they over an upload.
REPORT_FILE = ".report.json"
COMPARE_FILE = ".compare.json"

#: Download formats and their media types.
MEDIA_TYPES = {"json": "application/json", "html": "text/html; charset=utf-8",
               "pdf": "application/pdf", "csv": "text/csv; charset=utf-8"}


def _inside(folder: Path, path: Path) -> bool:
    return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(folder))


def _expect(job: Job, paths: list[Path]) -> None:
    """List the files in the progress table before the work starts, with their durations."""
    from ..media import probe

    for p in paths:
        try:
            total: float | None = probe(p).duration
        except InputError:
            total = None  # the scan says why, in the report
        job.expect(p.name, None if total == float("inf") else total)


def scan_work(job: Job) -> dict[str, Any]:
    """Scan the job's recordings (with its session record, if any); save ``report.json``.

    Options (``job.options``): ``recordings`` (paths), ``session`` (path or None),
    ``policy``, ``grid`` (None, ``50``, ``60`` or ``auto``), ``lang``.
    """
    from ..report import dumps
    from ..scan import grid_params, make_params, scan_files, scan_report, scan_with_session
    from ..session import load_policy, load_session

    o = job.options
    recordings: list[Path] = o["recordings"]
    params = make_params(None, {}, o.get("grid"))
    created = datetime.now(UTC)
    session_path: Path | None = o.get("session")
    if session_path is not None:
        session = load_session(session_path)
        declared = []
        for rec in session.recordings:
            path = session.resolve(rec)
            if not _inside(job.folder, path):
                raise AppError(
                    N_("the session record declares %(file)s, outside the files you gave"),
                    file=repr(rec.file), path=session_path.name,
                    hint=N_("in the app a session record names its recordings by their file "
                            "names only (e.g. part1.wav); give those files with the record"))
            declared.append(Path(os.path.realpath(path)))
        _expect(job, [p for p in (session.resolve(r) for r in session.recordings) if p.exists()])
        extra = [p for p in recordings if Path(os.path.realpath(p)) not in declared]
        _expect(job, extra)
        # the declared files by their declared names; any other upload makes the list explicit
        files = [str(p) for p in recordings] if extra else []
        report, _ = scan_with_session(files, str(session_path), o["policy"], params,
                                      created=created, progress=job.progress, lang=o["lang"])
    else:
        if not recordings:
            raise AppError(N_("no recordings given"),
                           hint=N_("choose the recording files, and the session record if you "
                                   "have it"))
        _expect(job, recordings)
        params = grid_params(params, policy=load_policy(o["policy"]))
        scans, unreadable = scan_files(recordings, params, progress=job.progress,
                                       labels=[p.name for p in recordings])
        report = scan_report(scans, params, created=created, unreadable=unreadable)
    job.check_cancelled()
    text = dumps(report)
    (job.folder / REPORT_FILE).write_text(text, encoding="utf-8")
    return {"report": json.loads(text), "rendered": {}}


def render(job: Job, fmt: str, lang: str) -> str | bytes:
    """A finished scan's report in ``fmt`` (html, pdf, csv, json) and ``lang``, as ``auditor
    report report.json --format FMT --lang LANG`` writes it (kept for the next request)."""
    from ..report import render_report
    from ..report.html import prepare_excerpts, render_html
    from ..report.i18n import get_lang

    get_lang(lang)
    report = job.result["report"]
    if fmt == "json":
        return (job.folder / REPORT_FILE).read_text(encoding="utf-8")
    key = (fmt, "" if fmt == "csv" else lang)
    cache = job.result["rendered"]
    if key in cache:
        return cache[key]
    if fmt == "html":
        # the excerpts are decoded once for the three languages (render_report decodes them
        # for each); the page is the same text
        with job.lock:
            if "excerpts" not in job.result:
                job.result["excerpts"] = prepare_excerpts(report)
        out: str | bytes = render_html(report, lang=lang, excerpts=job.result["excerpts"])
    else:
        out = render_report(report, fmt, lang=lang)
    cache[key] = out
    return out


def bundle_work(job: Job) -> dict[str, Any]:
    """Verify the job's evidence bundle; the checks passed, and the first that failed.

    Options: ``bundle`` (path), ``key`` (path of the trusted public key, or None), ``no_key``.
    """
    from ..ledger.bundle import verify_bundle
    from ..ledger.check import NOT_AUTHENTICATED
    from ..ledger.keyfiles import read_verifier_key

    o = job.options
    trusted = read_verifier_key(str(o["key"])) if o.get("key") else None
    checks: list[str] = []
    try:
        verify_bundle(o["bundle"], trusted_key=trusted, on_check=checks.append)
    except VerificationError as exc:
        return {"checks": checks, "failed": exc.what, "verdict": "FAILED"}
    if trusted is not None:
        verdict = "bundle verified"
    else:
        verdict = f"bundle {NOT_AUTHENTICATED} (no trusted key given)"
    return {"checks": checks, "failed": None, "verdict": verdict,
            "authenticated": trusted is not None}


def compare_work(job: Job) -> dict[str, Any]:
    """Compare the job's copies with its reference (a recording or an evidence bundle).

    Options: ``reference`` (path), ``copies`` (paths), ``key`` (trusted key path or None).
    """
    from ..compare.check import compare_copy, load_reference
    from ..compare.html import render_compare_html
    from ..compare.report import describe_file
    from ..ledger.keyfiles import read_verifier_key
    from ..report import dumps

    o = job.options
    copies = [str(p) for p in o["copies"]]
    if not copies:
        raise AppError(N_("no copy given"), hint=N_("choose the copy you want to check"))
    _expect(job, [o["reference"], *o["copies"]])
    trusted = read_verifier_key(str(o["key"])) if o.get("key") else None
    copy_files = [describe_file(p, "copy") for p in copies]
    ref_fp, ref_files, source = load_reference(str(o["reference"]), trusted_key=trusted,
                                               progress=job.progress)
    # the report names the files as the person named them, not by the app's temporary folder
    for entry, path in [*zip(copy_files, o["copies"], strict=True),
                        (ref_files[0], o["reference"]), (source, o["reference"])]:
        entry["path"] = Path(path).name
    job.check_cancelled()
    report = compare_copy(ref_fp, ref_files, copies, copy_files=copy_files, source=source,
                          min_span=0.75, progress=job.progress, created=datetime.now(UTC))
    text = dumps(report)
    (job.folder / COMPARE_FILE).write_text(text, encoding="utf-8")
    saved = json.loads(text)
    return {"report": saved, "html": render_compare_html(saved)}
