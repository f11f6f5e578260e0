"""The scan verb: recordings (and a session record) in, the contract's report out.

:func:`scan_file` probes, hashes and decodes one recording once and runs the detectors on it;
:func:`scan_files` does several, listing the ones it could not check; :func:`scan_with_session`
also audits what the recordings cover against the court's record; :func:`scan_report` builds
the JSON report (``auditor.report/1``). Rendering it is :mod:`auditor.report`'s job.

A scan uses the cores it has. While this thread decodes and measures the features, the file's
bytes are hashed (unless the command line started that before it imported this module:
:class:`~auditor.digest.EarlyDigest`) and its packet times read on a thread pool, and every
detector's streaming analyser (ENF decimation, background frames, click screening) runs on a
lane of its own (:mod:`auditor.lanes`); the click analyser hands its prediction tests to one
more thread. The ENF cue's analysis, the longest work after the stream, starts as soon as its own
lane ends, two pieces of the file at a time, and the splice detector runs beside the other
detectors. numpy releases the interpreter lock in all of these, and every analyser still sees
its blocks in order from one thread, so the reports are those of a serial scan, byte for byte
(``bench/check_identical.py``). Of the 2 h speech hearing's 2.6 CPU-seconds
(``bench/bench_scan.py``), the click analysis takes about 30 %, the ENF analysis 23 %, and the
rest goes to the ENF decimation, decoding, hashing, imports, the features and the other
detectors (``bench/README.md``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from .detect import (
    REGISTRY,
    VIDEO,
    DetectorInput,
    ScanParams,
    cancel_pending,
    run_detectors,
    stream_analysers,
)
from .detect.base import GRID_FROM_OPTION
from .detect.features import FeatureExtractor
from .digest import EarlyDigest
from .errors import AuditorError, InputError, MediaError
from .findings import Finding, format_time
from .lanes import (
    close_lanes,
    in_lanes,
    release_free_memory,
    single_thread,
    tune_allocator,
)
from .media import Decoder, MediaInfo, file_sha256, packet_times, probe
from .report.model import build_report
from .session import (
    Policy,
    Recording,
    Session,
    audit_continuity,
    build_coverage,
    load_policy,
    load_session,
    render_timeline,
)
from .session.timeline import uncovered_spans

__all__ = ["FileScan", "Unreadable", "check_detectors", "scan_file", "scan_files", "ScanParams",
           "make_params", "grid_params", "scan_report", "scan_with_session", "declared_paths"]

Progress = Callable[[str, float, float], None]

#: the largest decoded block (bytes of float32 samples); a scan's results do not depend on it
BLOCK_BYTES = 8 << 20


@dataclass
class FileScan:
    """The result of scanning one file."""

    label: str
    info: MediaInfo
    sha256: str
    decoded_duration: float
    findings: list[Finding] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    checks: dict[str, Any] = field(default_factory=dict)

    def file_json(self) -> dict[str, object]:
        """The file's entry in the report's ``files`` list."""
        out: dict[str, object] = {"path": self.label, "sha256": self.sha256,
                                  **self.info.to_json(),
                                  "decoded_duration": round(self.decoded_duration, 6)}
        if self.checks:
            out["checks"] = self.checks
        return out


def check_detectors(params: ScanParams) -> None:
    """Raise :class:`InputError` if ``params`` names a detector that does not exist."""
    unknown = [d for d in params.detectors if d not in REGISTRY]
    if unknown:
        raise InputError(f"unknown detector {unknown[0]!r}",
                         hint="choose from: " + ", ".join(REGISTRY))


def scan_file(path: str | os.PathLike[str], params: ScanParams | None = None, *,
              label: str | None = None, progress: Progress | None = None,
              early: EarlyDigest | None = None) -> FileScan:
    """Probe, hash and decode one recording once, and run the detectors on it.

    ``early`` is a hash started before (:class:`~auditor.digest.EarlyDigest`, by the command
    line while it imported this module); it is used if it is of this file as probed.

    Raises
    ------
    MediaError
        The file cannot be read or decoded, or it changed while it was being read.
    """
    params = params or ScanParams()
    check_detectors(params)
    tune_allocator()
    # BLAS on one thread for the whole scan: the scan runs its own threads (lanes.py)
    with single_thread():
        return _scan_file(os.fspath(path), params, label or os.fspath(path), progress, early)


def _scan_file(spath: str, params: ScanParams, label: str,
               progress: Progress | None, early: EarlyDigest | None = None) -> FileScan:
    info = probe(spath)
    names = params.detectors or tuple(REGISTRY)
    want_video = info.video is not None and any(n in VIDEO for n in names)
    # each detector's own streaming work runs on a thread of its own, beside the decoding,
    # the hashing and the features of this thread (lanes.py)
    extractor = FeatureExtractor(info.sample_rate, info.channels)
    hop = extractor.block_multiple
    # blocks of ``block_seconds``, but at most BLOCK_BYTES of float32 samples: up to a few
    # blocks are in flight at once (one per lane), and a minute of 48 kHz stereo is 23 MB
    frames = min(params.block_seconds * info.sample_rate,
                 BLOCK_BYTES / (4 * max(info.channels, 1)))
    block = max(1, int(frames) // hop) * hop
    analysers = in_lanes(stream_analysers(info.sample_rate, info.channels, params),
                         block_bytes=block * info.channels * 4)
    try:
        extractor.analysers = dict(analysers)
        decoder = Decoder(info, block_frames=block, video_checks=want_video,
                          black_min=params.video_black_min, frozen_min=params.video_frozen_min)
        total = info.duration if info.duration != float("inf") else 0.0
        # while the audio decodes, other threads hash the file's bytes and read the packet
        # timestamps (a stream copy in its own ffmpeg process); hashlib, libsndfile and pipes
        # all release the GIL
        with ThreadPoolExecutor(max_workers=2) as pool:
            digest_job = early.job(info.path, info.size, info.mtime) if early else None
            if digest_job is None:
                digest_job = pool.submit(file_sha256, spath)
            audio_job = (pool.submit(packet_times, info, "a") if "timestamp_gap" in names
                         else None)
            video_job = (pool.submit(packet_times, info, "v")
                         if want_video and "video_gap" in names else None)
            for chunk in decoder:
                extractor.update(chunk)
                if progress is not None:
                    progress(label, extractor.frames / info.sample_rate, total)
            digest = digest_job.result()
            audio_packets = audio_job.result() if audio_job else None
            video_packets = video_job.result() if video_job else None
        release_free_memory()
        features = extractor.finish()
    finally:
        close_lanes(analysers)
    try:
        if features.frames == 0:
            raise MediaError("no audio could be decoded from this file", path=spath,
                             hint="the file is damaged or empty; re-copy it from the recorder")
        _check_unchanged(info)
    except BaseException:
        cancel_pending(features)  # what the stream left under way stops too
        raise
    release_free_memory()
    inp = DetectorInput(
        label=label, info=info, features=features,
        audio_packets=audio_packets, video_packets=video_packets,
        video_events=decoder.video_events, decoder_warnings=decoder.warnings,
    )  # fmt: skip
    findings = run_detectors(inp, params)
    if features.invalid:
        t0 = features.first_invalid / info.sample_rate
        findings.append(Finding(
            kind="invalid_samples", file=label, start=t0, end=t0, severity="high",
            confidence=1.0, detector="decoder",
            message=f"{features.invalid} samples are not numbers (NaN or infinite), the first at "
            f"{format_time(t0)}: the file was not written by a working recorder; they were "
            "treated as zero for the other checks",
            evidence={"invalid_samples": features.invalid},
        ))  # fmt: skip
    return FileScan(label=label, info=info, sha256=digest,
                    decoded_duration=features.frames / info.sample_rate,
                    findings=sorted(findings, key=Finding.sort_key), warnings=decoder.warnings,
                    checks=inp.checks)


def _check_unchanged(info: MediaInfo) -> None:
    try:
        st = os.stat(info.path)
    except OSError:
        raise MediaError("the file disappeared while it was being scanned", path=info.path,
                         hint="scan it again once it is in place") from None
    if st.st_size != info.size or st.st_mtime != info.mtime:
        raise MediaError(
            f"the file changed while it was being scanned (size {info.size} -> {st.st_size} "
            "bytes): it is still being written",
            path=info.path, hint="wait until the recording is closed, then scan again")


@dataclass(frozen=True)
class Unreadable:
    """A file that could not be checked, and why (the error's diagnostics)."""

    path: str
    error: str

    def to_json(self) -> dict[str, str]:
        """The file's entry in the report's ``unreadable`` list."""
        return {"path": self.path, "error": self.error}


def scan_files(paths: Sequence[str | os.PathLike[str]], params: ScanParams | None = None, *,
               progress: Progress | None = None, labels: Sequence[str] | None = None,
               early: EarlyDigest | None = None) -> tuple[list[FileScan], list[Unreadable]]:
    """Scan several files in order: the files that could be checked, and those that could not.

    One unreadable file does not stop the others; the caller reports both (and exits 2).
    ``labels`` names the files in the report (default: their paths as given), e.g. the names
    a person chose when the files were copied into a temporary folder. ``early``: as for
    :func:`scan_file` (the file it hashed, if among ``paths``).

    Raises
    ------
    InputError
        If the parameters themselves are wrong (an unknown detector): no file can be checked.
    """
    params = params or ScanParams()
    check_detectors(params)
    scans: list[FileScan] = []
    unreadable: list[Unreadable] = []
    names = list(labels) if labels is not None else [os.fspath(p) for p in paths]
    if len(names) != len(paths):
        raise ValueError("scan_files: one label per path")
    for p, name in zip(paths, names, strict=True):
        try:
            scans.append(scan_file(p, params, label=name, progress=progress, early=early))
        except AuditorError as exc:
            unreadable.append(Unreadable(name, exc.diagnostics()))
    return scans, unreadable


def make_params(detectors: str | None, overrides: dict[str, float | None],
                grid: str | None = None) -> ScanParams:
    """ScanParams from command-line values (None means the default); a ``grid`` given here
    overrides the session record's and the policy's (:func:`grid_params`)."""
    params = ScanParams() if grid is None else ScanParams(grid=grid, grid_from=GRID_FROM_OPTION)
    known = {f.name for f in fields(ScanParams)}
    values: dict[str, Any] = {k: v for k, v in overrides.items() if v is not None and k in known}
    for k, v in values.items():
        if v <= 0:
            raise InputError(f"--{k.replace('_', '-')} must be positive, got {v}")
    if detectors:
        values["detectors"] = tuple(d.strip() for d in detectors.split(",") if d.strip())
    return replace(params, **values)


def grid_params(params: ScanParams, *, session: Session | None = None,
                policy: Policy | None = None) -> ScanParams:
    """``params`` with the grid's nominal frequency set, the most specific source first: the
    command line's (``grid_from`` :data:`~auditor.detect.base.GRID_FROM_OPTION`), else the
    session record's ``grid_hz``, else the policy's ``grid``, else as it is (``auto``).
    ``grid_from`` says which one it was, for the report."""
    if params.grid_from == GRID_FROM_OPTION:
        return params
    if session is not None and session.grid_hz is not None:
        return replace(params, grid=str(session.grid_hz), grid_from="session record")
    if policy is not None and policy.grid is not None:
        return replace(params, grid=policy.grid, grid_from=f"policy {policy.name}")
    return params


def scan_report(scans: list[FileScan], params: ScanParams, *, created: datetime | None,
                session: dict[str, Any] | None = None, extra_findings: list | None = None,
                unreadable: Sequence[Unreadable] = ()) -> dict[str, Any]:
    """The contract's JSON report for scanned files (and session findings, if any).

    Files that could not be checked are listed under ``unreadable`` (``path``, ``error``); the
    field is there only when there are some, so a clean scan's report keeps its bytes.
    """
    findings = [f for s in scans for f in s.findings] + list(extra_findings or [])
    report = build_report(
        files=[{**s.file_json(), "location": os.path.abspath(s.info.path)} for s in scans],
        findings=findings,
        parameters=params.to_json(), session=session, created=created,
    )  # fmt: skip
    if unreadable:
        report["unreadable"] = [u.to_json() for u in unreadable]
    return report


def declared_paths(session_path: str) -> list[str]:
    """The paths of the recordings a session record declares (resolved like the audit does)."""
    session = load_session(session_path)
    return [os.fspath(session.resolve(r)) for r in session.recordings]


def _key(path: str | os.PathLike[str]) -> str:
    return os.path.normcase(os.path.realpath(path))


def scan_with_session(
    files: list[str], session_path: str, policy_name: str, params: ScanParams, *,
    created: datetime | None = None, progress: Progress | None = None, lang: str = "en",
    early: EarlyDigest | None = None,
) -> tuple[dict[str, Any], str]:
    """Scan ``files`` (or, when empty, the recordings the record declares) and audit continuity;
    return the report and the text timeline of the session against what was recorded (its words
    in ``lang``).

    A declared recording that is absent or unreadable is a ``missing_file`` finding, not an error;
    a file given on the command line that cannot be read goes to the report's ``unreadable`` list
    (and the command exits 2). The grid is the record's or the policy's unless ``params`` has
    one from the command line (:func:`grid_params`). ``early``: as for :func:`scan_file`.
    """
    check_detectors(params)
    session = load_session(session_path)
    policy = load_policy(policy_name)
    params = grid_params(params, session=session, policy=policy)
    declared = {_key(session.resolve(r)): r for r in session.recordings}
    given = {_key(f): f for f in files}
    scans: list[FileScan] = []
    coverages = []

    def absent(rec: Recording, problem: str) -> None:
        coverages.append(build_coverage(rec, None, session=session,
                                        name_patterns=policy.name_patterns, problem=problem))

    for key, rec in declared.items():
        path = session.resolve(rec)
        if files and key not in given:
            absent(rec, "not among the files given to the audit")
            continue
        if not Path(path).exists():
            absent(rec, "not found")
            continue
        try:
            result = scan_file(path, params, label=given.get(key, rec.file), progress=progress,
                               early=early)
        except MediaError as exc:
            absent(rec, exc.diagnostics())
            continue
        scans.append(result)
        coverages.append(build_coverage(rec, result.info, session=session,
                                        uncovered=uncovered_spans(result.findings),
                                        name_patterns=policy.name_patterns))
    unreadable: list[Unreadable] = []
    for key, f in given.items():
        if key in declared:
            continue
        try:
            result = scan_file(f, params, progress=progress, early=early)
        except AuditorError as exc:
            unreadable.append(Unreadable(f, exc.diagnostics()))
            continue
        scans.append(result)
        coverages.append(build_coverage(Recording(f), result.info, session=session,
                                        uncovered=uncovered_spans(result.findings),
                                        name_patterns=policy.name_patterns))
    continuity = audit_continuity(session, coverages, policy)
    report = scan_report(scans, params, created=created, session=session.to_json(),
                         extra_findings=continuity, unreadable=unreadable)
    report["tool"]["parameters"] = {**report["tool"]["parameters"], "policy": policy.to_json()}
    return report, render_timeline(session, coverages, continuity,
                                   tolerances=policy.tolerances, lang=lang)
