"""The audio around each finding, re-read from the recording when the report is rendered.

For every finding located in a file, a window of :data:`EXCERPT_SECONDS` around it is decoded
(only that window), drawn (:func:`auditor.report.plots.picture`) and encoded as a small Ogg Opus
clip. Findings whose windows start within 0.1 s of each other share one excerpt. The work is
capped at :data:`MAX_PER_FILE` excerpts per file, so a report with hundreds of findings stays
fast and small; the report says which findings have none and why.

Before anything is read, the file found at report time is checked against the SHA-256 the report
recorded: an excerpt from a different file would be evidence of nothing. A file that is gone,
changed or unreadable gives a stated problem at its findings, never a failed report.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import AuditorError

__all__ = ["Excerpt", "ExcerptPlan", "plan_excerpts", "collect_excerpts",
           "EXCERPT_SECONDS", "MAX_PER_FILE"]

EXCERPT_SECONDS = 8.0
#: Excerpts drawn and encoded per file; later findings in the file are listed without one.
MAX_PER_FILE = 20
_CONTEXT = 2.0  # seconds shown before a finding longer than the window allows to centre

Key = tuple[str, float]


@dataclass(frozen=True)
class Excerpt:
    """One rendered excerpt, or the reason there is none.

    ``problem`` is one of ``"missing"``, ``"changed"``, ``"unreadable"`` (with ``detail``), or
    None when ``svg`` (the picture) and ``audio`` (base64 Ogg Opus) are set.
    """

    file: str
    start: float
    seconds: float
    svg: str | None = None
    audio: str | None = None
    problem: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class ExcerptPlan:
    """Which findings get which excerpt window, and how many were left without one."""

    by_finding: dict[int, Key]
    windows: dict[str, list[Key]]
    capped: dict[str, int]


def _window(finding: dict[str, Any], duration: float | None) -> float | None:
    if finding.get("file") is None or finding.get("start") is None:
        return None
    start = float(finding["start"])
    end = float(finding["end"] if finding.get("end") is not None else start)
    length = max(0.0, end - start)
    pre = (EXCERPT_SECONDS - length) / 2 if length <= EXCERPT_SECONDS - 2 * _CONTEXT else _CONTEXT
    t0 = start - pre
    if duration is not None and duration > 0:
        t0 = min(t0, duration - EXCERPT_SECONDS)
    return round(max(0.0, t0), 1)


def plan_excerpts(report: dict[str, Any], *, per_file: int = MAX_PER_FILE) -> ExcerptPlan:
    """Assign each file-located finding a window; at most ``per_file`` distinct windows per file."""
    durations = {f["path"]: f.get("duration") for f in report.get("files", [])}
    by_finding: dict[int, Key] = {}
    windows: dict[str, list[Key]] = {}
    capped: dict[str, int] = {}
    for i, f in enumerate(report.get("findings", [])):
        t0 = _window(f, durations.get(f.get("file")))
        if t0 is None:
            continue
        key = (str(f["file"]), t0)
        have = windows.setdefault(key[0], [])
        if key not in have:
            if len(have) >= per_file:
                capped[key[0]] = capped.get(key[0], 0) + 1
                continue
            have.append(key)
        by_finding[i] = key
    return ExcerptPlan(by_finding=by_finding, windows=windows, capped=capped)


def _roots(report: dict[str, Any], base: Path | None) -> list[Path]:
    """Folders a report's relative paths are relative to, most specific first.

    An archive audit's paths are relative to the archive root it records (``archive.root``, as
    given on its command line: when relative, from the folder the audit ran in, which is usually
    the report's own or the current one); a scan's are relative to ``base``.
    """
    roots: list[Path] = []
    root = (report.get("archive") or {}).get("root")
    if isinstance(root, str) and root:
        r = Path(root)
        roots += [r] if r.is_absolute() else [*([base / r] if base is not None else []), r]
    if base is not None:
        roots.append(base)
    return roots


def _locate(entry: dict[str, Any], roots: Sequence[Path]) -> Path | None:
    """The recording on disk: the location recorded at scan time, else the path under a root."""
    candidates = [entry.get("location"), *(os.fspath(r / entry["path"]) for r in roots),
                  entry["path"]]
    for c in candidates:
        if c and Path(c).is_file():
            return Path(c)
    return None


def _file_excerpts(entry: dict[str, Any], keys: Sequence[Key], roots: Sequence[Path]
                   ) -> dict[Key, Excerpt]:
    from ..media import file_sha256, probe
    from ..media.excerpt import encode_excerpt, read_span
    from .plots import picture

    def problem(kind: str, detail: str | None) -> dict[Key, Excerpt]:
        return {k: Excerpt(k[0], k[1], EXCERPT_SECONDS, problem=kind, detail=detail)
                for k in keys}

    path = _locate(entry, roots)
    if path is None:
        return problem("missing", entry.get("location") or entry["path"])
    try:
        if file_sha256(path) != entry.get("sha256"):
            return problem("changed", os.fspath(path))
        info = probe(path)
    except AuditorError as exc:
        return problem("unreadable", exc.diagnostics())

    def one(key: Key) -> Excerpt:
        try:
            x = read_span(info, key[1], EXCERPT_SECONDS)
            audio = base64.b64encode(encode_excerpt(x, info.sample_rate)).decode("ascii")
        except AuditorError as exc:
            return Excerpt(key[0], key[1], EXCERPT_SECONDS, problem="unreadable",
                           detail=exc.diagnostics())
        return Excerpt(key[0], key[1], x.size / info.sample_rate, audio=audio,
                       svg=picture(x, info.sample_rate, t0=key[1],
                                   mark=entry["_marks"].get(key[1], (key[1], key[1]))).svg)

    # the work is mostly in ffmpeg processes: a thread per core keeps them all busy
    with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
        return dict(zip(keys, pool.map(one, keys), strict=True))


def collect_excerpts(report: dict[str, Any], plan: ExcerptPlan, *, base: Path | None = None
                     ) -> dict[Key, Excerpt]:
    """Decode, draw and encode every planned window.

    Parameters
    ----------
    report
        The ``auditor.report/1`` dictionary.
    plan
        :func:`plan_excerpts` of the same report.
    base
        A folder relative file paths may resolve against (the saved report's folder); an
        archive report's paths resolve against its ``archive.root`` first.

    Returns
    -------
    dict
        ``(file, window start) -> Excerpt``; every planned key is present.
    """
    entries = {f["path"]: f for f in report.get("files", [])}
    marks: dict[Key, tuple[float, float]] = {}
    for i, key in plan.by_finding.items():
        f = report["findings"][i]
        s = float(f["start"])
        e = float(f["end"] if f.get("end") is not None else s)
        if key in marks:
            s, e = min(s, marks[key][0]), max(e, marks[key][1])
        marks[key] = (s, e)
    out: dict[Key, Excerpt] = {}
    roots = _roots(report, base)
    for name, keys in plan.windows.items():
        entry = entries.get(name)
        if entry is None:
            out.update({k: Excerpt(k[0], k[1], EXCERPT_SECONDS, problem="missing", detail=name)
                        for k in keys})
            continue
        entry = {**entry, "_marks": {k[1]: marks[k] for k in keys if k in marks}}
        out.update(_file_excerpts(entry, keys, roots))
    return out
