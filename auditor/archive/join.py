"""The join: audited files x ledger x session records -> the archive's findings.

Each audited file is matched to a logged recording by its SHA-256 (intact), else by its file name
within the same case (altered: :func:`auditor.ledger.verify.compare_chunks` names the chunks that
changed), else it is an ``unlogged_file``. Every logged recording that no file matches is absent:
``missing_file`` and the retention judgement (:mod:`.retention`). Every session record found is
audited for continuity (:func:`auditor.session.audit_continuity`) against the files it declares,
and every file gets the quality check (:mod:`.quality`). A file that two session records declare
is a ``duplicate_claim`` in each; a file a record puts outside the archive is never read: it is
that record's ``missing_file``, with ``evidence.outside_archive``.

Every finding's evidence names its ``court``, ``case``, ``session`` (the record's path in the
archive) and ``year`` (of the session, else of the logging), so the report can group them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any

from ..errors import AuditorError
from ..findings import Finding
from ..ledger.recording import ChunkHash
from ..ledger.verify import compare_chunks
from ..session import Policy, Recording, Session, audit_continuity, build_coverage
from ..session.timeline import uncovered_spans
from .logged import LedgerView, Logged
from .quality import quality_findings
from .retention import RetentionEnd, judge_retention, retention_end
from .walk import Problem
from .work import FileResult

__all__ = ["Declared", "JoinResult", "join_archive"]


@dataclass(frozen=True)
class Declared:
    """A recording a session record declares, placed in the archive.

    ``outside``: the record puts the file outside the archive, where the audit never reads.
    """

    rel: str
    session_rel: str
    session: Session
    recording: Recording
    outside: bool = False


@dataclass
class JoinResult:
    """Findings, the report's file entries, and counts."""

    findings: list[Finding] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def _context(decl: Declared | None, logged: Logged | None) -> dict[str, Any]:
    if decl is not None:
        s = decl.session
        return {"court": s.court, "case": s.case, "session": decl.session_rel,
                "year": s.start.year}  # fmt: skip
    facts = logged.session if logged is not None else {}
    year = int(logged.logged_at[:4]) if logged is not None else None
    return {"court": facts.get("court"), "case": facts.get("case"), "session": None,
            "year": year}  # fmt: skip


def _with_context(f: Finding, ctx: dict[str, Any], file: str | None = None) -> Finding:
    return replace(f, file=f.file if file is None else file, evidence={**f.evidence, **ctx})


def _chunks(result: FileResult, rec: Logged) -> list[ChunkHash] | None:
    frames, pcm = rec.layout
    rows = result.chunks.get(f"{frames}/{pcm}")
    if rows is None:
        return None
    return [ChunkHash(int(i), int(a), int(b), str(h), None) for i, a, b, h in rows]


def _info(result: FileResult) -> SimpleNamespace:
    info = result.info or {}
    embedded = info.get("embedded_start")
    return SimpleNamespace(
        sample_rate=info.get("sample_rate"), channels=info.get("channels"),
        duration=float(info.get("duration") or 0.0),
        embedded_start=None if not embedded else datetime.fromisoformat(embedded),
    )  # fmt: skip


def join_archive(*, results: list[FileResult], paths: dict[str, str], declared: list[Declared],
                 view: LedgerView, policy: Policy, as_of: datetime,
                 unlisted: tuple[str, ...] = ()) -> JoinResult:
    """Join the audited files with the ledger and the session records.

    Parameters
    ----------
    results
        Every audited file's result, in path order.
    paths
        Archive path -> absolute path, for the files that must be re-hashed here.
    declared
        The recordings the session records declare, in record order.
    view
        The ledger's recordings.
    policy
        Rules, tolerances, citations and retention period.
    as_of
        The audit's reference time.
    unlisted
        Folders the walk could not list: a logged recording not found may be in one of them,
        so its absence findings say so, at confidence 0.5.
    """
    out = JoinResult()
    by_rel = {d.rel: d for d in declared}
    present: set[int] = set()
    verdicts: dict[int, tuple[date | None, Declared | None]] = {}
    found_at: dict[int, str] = {}
    unjudged = 0
    for result in results:
        decl = by_rel.get(result.rel)
        matched = (None if result.status == "vanished"
                   else _match(result, view, decl.session.case if decl else None, present))
        ctx = _context(decl, None if matched is None else matched[0])
        entry: dict[str, Any] = {"path": result.rel, "status": result.status,
                                 "sha256": result.sha256, **(result.info or {}),
                                 "decoded_duration": result.decoded_duration,
                                 "session": ctx["session"], "case": ctx["case"]}
        findings = [_with_context(f, ctx) for f in result.finding_objects()]
        if result.status not in ("ok", "unreadable", "vanished"):
            out.problems.append(Problem(result.rel, result.status, result.error or "", True))
        if matched is not None:
            rec, how = matched
            entry["ledger"] = {"recording": rec.index, "match": how}
            found_at.setdefault(rec.index, result.rel)
            verdicts.setdefault(rec.index, (decl.session.verdict_in_force if decl else None,
                                            decl))
            if how == "name" and result.status == "ok":
                findings += [_with_context(f, ctx) for f in
                             _compare(result, rec, paths.get(result.rel))]
            elif how == "name" and result.status == "unreadable":
                findings.append(_with_context(Finding(
                    "hash_mismatch", result.rel, None, None, "high", 1.0, "ledger",
                    f"the file's bytes differ from logged recording {rec.index} and it no "
                    "longer decodes", {"recording": rec.index, "reason": "undecodable",
                                       "expected": rec.sha256, "actual": result.sha256}),
                    ctx))  # fmt: skip
        elif result.status in ("ok", "unreadable"):
            findings.append(_with_context(Finding(
                "unlogged_file", result.rel, None, None, "high", 1.0, "ledger",
                "the file is not in the ledger (neither its bytes nor its name): it was never "
                "logged, or logged under another name", {"sha256": result.sha256}), ctx))
            if decl is not None and decl.session.verdict_in_force is not None:
                end = retention_end([], decl.session.verdict_in_force, policy)
                findings += judge_retention(label=result.rel, events=[], end=end, present=True,
                                            as_of=as_of, policy=policy, recording=None,
                                            context=ctx)  # fmt: skip
        if result.status in ("ok", "unreadable"):
            findings += quality_findings(result, findings, policy=policy, context=ctx)
        out.findings += findings
        out.files.append(entry)
    declared_names = {(os.path.basename(d.rel), d.session.case): d for d in declared}
    for rec in view.recordings:
        verdict, decl = verdicts.get(rec.index, (None, None))
        if decl is None:
            decl = declared_names.get((rec.name, rec.case))
            verdict = None if decl is None else decl.session.verdict_in_force
        is_present = rec.index in present
        end = retention_end(rec.events, verdict, policy)
        unjudged += end.end is None
        label = found_at.get(rec.index) or (decl.rel if decl is not None else rec.name)
        ctx = _context(decl, rec)
        out.findings += judge_retention(label=label, events=rec.events, end=end,
                                        present=is_present, as_of=as_of, policy=policy,
                                        recording=rec.index, context=ctx)  # fmt: skip
        destroyed = any(e.type == "destruction" for _, e in rec.events)
        if not is_present and not destroyed and decl is None:
            out.findings.append(_missing(rec, label, end, policy, ctx))
    out.findings += _continuity(declared, results, view, policy, present)
    out.findings += _claims(declared)
    if unlisted:
        out.findings = [_uncertain(f, unlisted) for f in out.findings]
    out.counts = {"recordings": len(results), "sessions": len({d.session_rel for d in declared}),
                  "logged": len(view.recordings),
                  "absent": sum(r.index not in present for r in view.recordings),
                  "retention_unknown": unjudged}  # fmt: skip
    return out


def _match(result: FileResult, view: LedgerView, case: str | None,
           present: set[int]) -> tuple[Logged, str] | None:
    if result.sha256 and result.sha256 in view.by_sha:
        recs = view.by_sha[result.sha256]
        present.update(r.index for r in recs)
        return view.pick(recs), "sha256"
    named = [r for r in view.named(result.rel, case) if r.index not in present]
    if not named:
        return None
    rec = view.pick(named)
    present.add(rec.index)
    return rec, "name"


def _compare(result: FileResult, rec: Logged, path: str | None) -> list[Finding]:
    if not rec.state.sealed:
        return []  # verify_log reports it as unsealed
    assert result.sha256 is not None
    chunks = _chunks(result, rec)
    if chunks is None and path is not None:
        from ..ledger.recording import hash_chunks

        frames, pcm = rec.layout
        try:
            chunks = list(hash_chunks(path, chunk_frames=frames, pcm=pcm))
        except AuditorError:
            chunks = []
    return compare_chunks(rec.state, result.rel, sha256=result.sha256, info=_info(result),
                          chunks=chunks or [])


def _missing(rec: Logged, label: str, end: RetentionEnd, policy: Policy,
             ctx: dict[str, Any]) -> Finding:
    rule = policy.rule("missing_file")
    return Finding(
        "missing_file", label, None, None, rule.severity, 1.0, "ledger",
        f"logged as recording {rec.index} on {rec.logged_at[:10]} but not in the archive, and "
        "no destruction is logged",
        {**ctx, "recording": rec.index, "sha256": rec.sha256, "logged_at": rec.logged_at,
         "logged_name": rec.name, **end.evidence()},
        rule=policy.ref("missing_file"),
    )  # fmt: skip


def _continuity(declared: list[Declared], results: list[FileResult], view: LedgerView,
                policy: Policy, present: set[int]) -> list[Finding]:
    by_rel = {r.rel: r for r in results}
    sessions: dict[str, list[Declared]] = {}
    for d in declared:
        sessions.setdefault(d.session_rel, []).append(d)
    out: list[Finding] = []
    for decls in sessions.values():
        session = decls[0].session
        if any(_destroyed(d, by_rel, view, present) for d in decls):
            continue  # a lawfully destroyed recording leaves nothing to check continuity against
        coverages = []
        labels = {}
        for d in decls:
            labels[d.recording.file] = d.rel
            result = None if d.outside else by_rel.get(d.rel)
            if d.outside:
                coverages.append(build_coverage(
                    d.recording, None, session=session, name_patterns=policy.name_patterns,
                    problem=f"it is outside the archive, so it was not read (session record "
                    f"{d.session_rel})"))  # fmt: skip
            elif result is None or result.status == "vanished":
                coverages.append(build_coverage(d.recording, None, session=session,
                                                name_patterns=policy.name_patterns,
                                                problem="not in the archive"))
            elif result.status != "ok":
                coverages.append(build_coverage(d.recording, None, session=session,
                                                name_patterns=policy.name_patterns,
                                                problem=result.error or result.status))
            else:
                uncovered = uncovered_spans(result.finding_objects())
                coverages.append(build_coverage(d.recording, _info(result), session=session,
                                                uncovered=uncovered,
                                                name_patterns=policy.name_patterns))
        ctx = _context(decls[0], None)
        outside = {d.rel for d in decls if d.outside}
        for f in audit_continuity(session, coverages, policy):
            label = labels.get(f.file or "", f.file)
            extra: dict[str, Any] = {"outside_archive": True} if label in outside else {}
            if f.kind == "missing_file" and label is not None:
                logged = [r for r in view.named(label, session.case) if r.index not in present]
                if logged:
                    rec = view.pick(logged)
                    extra |= {"recording": rec.index, "sha256": rec.sha256,
                              "logged_at": rec.logged_at}  # fmt: skip
                    f = replace(f, message=f"{f.message}; logged as recording {rec.index} on "
                                f"{rec.logged_at[:10]}, no destruction logged")
            out.append(_with_context(f, {**ctx, **extra}, file=label))
    return out


def _claims(declared: list[Declared]) -> list[Finding]:
    """``duplicate_claim``: a recording that two or more session records declare.

    One file cannot be the recording of two sessions (one case's record claiming another case's
    file would count it as covering both). Which record is wrong is not for the audit to say:
    each claiming record gets a finding in its own session, naming every record that claims it.
    """
    by_file: dict[str, list[Declared]] = {}
    for d in declared:
        by_file.setdefault(d.rel, []).append(d)
    out = []
    for rel, decls in by_file.items():
        records = sorted({d.session_rel for d in decls})
        if len(records) < 2:
            continue
        cases = sorted({str(d.session.case) for d in decls})
        seen = set()
        for d in decls:
            if d.session_rel in seen:
                continue
            seen.add(d.session_rel)
            others = ", ".join(r for r in records if r != d.session_rel)
            out.append(Finding(
                "duplicate_claim", rel, None, None, "high", 1.0, "continuity",
                f"declared as a recording of this session by session record {d.session_rel}, "
                f"and also by {others} (case{'s' if len(cases) > 1 else ''} "
                f"{', '.join(cases)}): one file cannot be the recording of two sessions; check "
                "which record it belongs to",
                {**_context(d, None), "claimed_by": records, "cases": cases,
                 "declared_as": d.recording.file},
            ))  # fmt: skip
    return out


def _destroyed(d: Declared, by_rel: dict[str, FileResult], view: LedgerView,
               present: set[int]) -> bool:
    """Whether a declared recording is gone and its destruction is logged."""
    if d.rel in by_rel and by_rel[d.rel].status != "vanished":
        return False
    return any(e.type == "destruction" for r in view.named(d.rel, d.session.case)
               if r.index not in present for _, e in r.events)


def _uncertain(f: Finding, unlisted: tuple[str, ...]) -> Finding:
    """An absence finding made while some folders could not be listed."""
    if not (f.kind == "missing_file" or f.evidence.get("absent")):
        return f
    return replace(f, confidence=min(f.confidence, 0.5),
                   message=f"{f.message} (but {len(unlisted)} folder(s) could not be listed: "
                   "it may be in one of them)",
                   evidence={**f.evidence, "unlisted_folders": list(unlisted)})
