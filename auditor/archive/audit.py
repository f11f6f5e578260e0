"""``auditor archive audit``, as one library call: walk, audit every file, join, report.

Steps: walk the archive (:mod:`.walk`); read the session records and the ledger, checking the
ledger's own integrity (:func:`auditor.ledger.verify.verify_log`); audit every file whose stored
result is missing or stale (:mod:`.work`, run by :mod:`.run`, recorded in :mod:`.state` by this
process alone); join everything (:mod:`.join`); build the contract's report from the stored
results in path order, so inline, ``--workers N`` and Dask runs give byte-identical JSON.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from .. import __version__
from ..detect import ScanParams
from ..errors import InputError, SessionError
from ..findings import Finding
from ..ledger.store import Ledger
from ..ledger.verify import verify_log
from ..report import build_report
from ..scan import grid_params
from ..session import load_policy, load_session
from .join import Declared, join_archive
from .logged import LedgerView
from .report import archive_section
from .run import CONNECT_TIMEOUT, execute, scheduler_address
from .state import AuditState
from .walk import Found, Problem, Walk, walk_archive
from .work import FileResult, Task

__all__ = ["ArchiveAudit", "audit_archive", "default_state_path"]

#: Called with (files to read, their bytes, files reused) once; returns a per-file callback.
ProgressFactory = Callable[[int, int, int], Callable[[FileResult], None]]


@dataclass
class ArchiveAudit:
    """The report and the problems that kept part of the archive from being checked."""

    report: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)

    @property
    def blocking(self) -> list[Problem]:
        """Problems that leave files unchecked (the audit is incomplete: exit 2)."""
        return [p for p in self.problems if p.blocking]


def default_state_path(ledger: str | os.PathLike[str]) -> Path:
    """Where the resumable state goes by default: beside the ledger, ``NAME.audit-state.db``."""
    p = Path(ledger)
    return p.with_name(p.stem + ".audit-state.db")


def _same(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Whether two paths name one file (by device and inode; by path when either is absent)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


def _state_is(state: Path, what: str, name: str | os.PathLike[str], ledger: str) -> InputError:
    return InputError(
        f"--state {state} is {what} ({os.fspath(name)}): the audit would write its state "
        "database into it; nothing was written",
        hint=f"give --state a file of its own, or leave out --state (the default is "
        f"{default_state_path(ledger)}, beside the ledger)",
    )


def _check_state(state: Path, *, ledger: str | os.PathLike[str],
                inputs: dict[str, str | os.PathLike[str]]) -> None:
    """Refuse a state file that is the ledger or another of the audit's inputs.

    Parameters
    ----------
    state
        The state database's path.
    ledger
        The ledger's path.
    inputs
        Other inputs, by what they are ("the policy file": path).

    Raises
    ------
    InputError
        If ``state`` is the same file (or folder) as any of them, by inode: a hard or symbolic
        link or another spelling of the path is the same file.
    """
    for what, path in {"the ledger": ledger, **inputs}.items():
        if _same(state, path):
            raise _state_is(state, what, path, os.fspath(ledger))


def _check_state_walked(state: Path, walk: Walk, ledger: str) -> None:
    """Refuse a state file that is a recording or session record the walk found."""
    try:
        inode = os.stat(state).st_ino
    except OSError:
        return  # a file that does not exist yet is none of the archive's
    for found, what in [(f, "a recording of the archive") for f in walk.recordings] + [
            (f, "a session record") for f in walk.sessions]:
        if found.inode == inode and _same(state, found.path):
            raise _state_is(state, what, found.rel, ledger)


#: The code a stored result depends on: a change to any of it invalidates stored results.
_CODE = ("detect", "media", "scan.py", "riff.py", "findings.py", "ledger/recording.py",
         "archive/work.py")


def _fingerprint(params: ScanParams, grids: dict[str, ScanParams] | None = None) -> str:
    """What a stored result depends on: tool version, scan parameters (and the grids session
    records give their files) and the scanning code."""
    facts: dict[str, Any] = {"version": __version__, "scan": params.to_json()}
    if grids:
        facts["grids"] = {rel: p.grid for rel, p in grids.items()}
    h = hashlib.sha256(json.dumps(facts, sort_keys=True).encode())
    base = Path(__file__).resolve().parents[1]
    for part in _CODE:
        for path in sorted((base / part).rglob("*.py")) if (base / part).is_dir() else [
                base / part]:
            h.update(path.relative_to(base).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]


def _inside(path: str, root: str) -> str | None:
    """``path``'s ``/`` path from ``root`` (both real paths), or None when it is outside."""
    rel = os.path.relpath(path, root)
    return None if rel == os.pardir or rel.startswith(os.pardir + os.sep) else Path(rel).as_posix()


def _sessions(walk: Walk, root: str) -> tuple[list[Declared], list[dict[str, Any]],
                                               list[Problem]]:
    """The recordings the session records declare, placed in the archive.

    A declared file is looked for where the record puts it (relative to the record's folder),
    then relative to the archive's root (records kept apart, ``--sessions``). One that is
    neither in nor under the archive is ``outside``: it is never read.
    """
    real = {os.path.realpath(f.path): f.rel for f in walk.recordings}
    real_root = os.path.realpath(root)
    declared: list[Declared] = []
    listed: list[dict[str, Any]] = []
    problems: list[Problem] = []
    for found in walk.sessions:
        try:
            session = load_session(found.path)
        except SessionError as exc:
            problems.append(Problem(found.rel, "session", f"unusable session record: "
                                    f"{exc.what}", True))  # fmt: skip
            continue
        rels = []
        for rec in session.recordings:
            places = (os.path.realpath(session.resolve(rec)),
                      os.path.realpath(os.path.join(root, rec.file)))
            rel = real.get(places[0]) or real.get(places[1])
            outside = False
            if rel is None:  # absent: name it where the record expects it
                rel = _inside(places[0], real_root) or _inside(places[1], real_root)
                outside = rel is None
                rel = rel or Path(rec.file).as_posix()
            rels.append(rel)
            declared.append(Declared(rel, found.rel, session, rec, outside=outside))
        listed.append({"record": found.rel, "court": session.court, "case": session.case,
                       "start": session.start.isoformat(), "end": session.end.isoformat(),
                       "verdict_in_force": None if session.verdict_in_force is None
                       else session.verdict_in_force.isoformat(), "files": rels})
    return declared, listed, problems


def _grids(params: ScanParams, declared: list[Declared]) -> dict[str, ScanParams]:
    """The scan parameters of each declared file whose session record gives the grid (the
    first record that declares it; ``--grid`` still wins, :func:`~auditor.scan.grid_params`)."""
    out: dict[str, ScanParams] = {}
    for d in declared:
        own = grid_params(params, session=d.session)
        if d.rel not in out and own != params:
            out[d.rel] = own
    return out


def _tasks(todo: list[Found], view: LedgerView, declared: list[Declared],
           params: ScanParams, grids: dict[str, ScanParams]) -> list[Task]:
    cases = {d.rel: d.session.case for d in declared}
    tasks = []
    for f in todo:
        named = view.named(f.rel, cases.get(f.rel))
        tasks.append(Task(f.rel, f.path, f.size, f.mtime_ns, f.inode, grids.get(f.rel, params),
                          hashes=tuple(sorted({r.layout for r in named})),
                          logged=frozenset(r.sha256 for r in named)))  # fmt: skip
    return tasks


def audit_archive(
    root: str | os.PathLike[str], *, ledger: str | os.PathLike[str],
    sessions: str | os.PathLike[str] | None = None, policy: str = "generic",
    state: str | os.PathLike[str] | None = None, workers: int = 1, scheduler: str | None = None,
    as_of: date, params: ScanParams | None = None, created: datetime | None = None,
    trusted_key: Any = None, progress: ProgressFactory | None = None,
    connect_timeout: float = CONNECT_TIMEOUT,
    inputs: dict[str, str | os.PathLike[str]] | None = None,
) -> ArchiveAudit:
    """Audit an archive against its ledger, session records and retention policy.

    Parameters
    ----------
    root
        The archive folder (recordings and session records, any depth).
    ledger
        The ledger the recordings were logged in (opened read-only).
    sessions
        A folder of session records kept apart from the recordings.
    policy
        Policy profile name or file (continuity rules and retention period).
    state
        The resumable state database (default :func:`default_state_path`).
    workers, scheduler
        Local worker processes, or a Dask scheduler address.
    as_of
        The audit's reference day for retention (end of that day, UTC).
    params
        Scan parameters. Their grid, unless ``--grid`` gave it, is the policy's, and for a file
        a session record declares, the record's ``grid_hz`` when it has one.
    created
        The report's time.
    trusted_key
        A :class:`~auditor.ledger.note.VerifierKey` the ledger must be signed by.
    progress
        Progress display factory (see :data:`ProgressFactory`).
    connect_timeout
        Seconds to wait for the Dask scheduler to answer.
    inputs
        Other files the caller read for this audit, by what they are (``{"the --key file":
        path}``): the state must not be one of them.

    Raises
    ------
    InputError
        If an input cannot be used, or ``state`` is the ledger or any other input (refused
        before anything is opened for writing: every input is left byte for byte as it was).
    """
    top = os.path.abspath(root)
    if not os.path.isdir(top):
        raise InputError("not a folder", path=os.fspath(root), hint="give the archive's folder")
    if sessions is not None and not os.path.isdir(sessions):
        raise InputError("not a folder", path=os.fspath(sessions),
                         hint="--sessions names a folder of session records")
    if scheduler:
        scheduler = scheduler_address(scheduler)
    pol = load_policy(policy)
    params = grid_params(params or ScanParams(), policy=pol)
    state_path = Path(state) if state is not None else default_state_path(ledger)
    named: dict[str, str | os.PathLike[str]] = {"the archive folder": top, **(inputs or {})}
    if sessions is not None:
        named["the sessions folder"] = sessions
    if os.path.exists(policy):
        named["the policy file"] = policy
    _check_state(state_path, ledger=ledger, inputs=named)
    when = datetime.combine(as_of, time(23, 59, 59), tzinfo=UTC)
    with Ledger.open(ledger) as led:
        log = verify_log(led, trusted_key=trusted_key)
        view = LedgerView(led)
    # the state itself is walked: when it is a recording or a session record, it is refused
    skip = tuple(str(state_path) + s for s in ("-wal", "-shm", "-journal"))
    walk = walk_archive(top, extra=sessions, skip=skip)
    _check_state_walked(state_path, walk, os.fspath(ledger))
    declared, listed, session_problems = _sessions(walk, top)
    grids = _grids(params, declared)
    with AuditState(state_path, fingerprint=_fingerprint(params, grids)) as st:
        done = st.done(walk.recordings)
        todo = [f for f in walk.recordings if f.rel not in done]
        tick = progress(len(todo), sum(f.size for f in todo), len(done)) if progress else None

        def record(result: FileResult) -> None:
            st.record(result)
            if tick is not None:
                tick(result)

        execute(_tasks(todo, view, declared, params, grids), on_result=record, workers=workers,
                scheduler=scheduler, connect_timeout=connect_timeout)  # fmt: skip
        results = st.results(walk.recordings)
    if len(results) != len(walk.recordings):
        raise InputError(f"{len(walk.recordings) - len(results)} files have no stored result",
                         path=str(state_path), hint="run the audit again")  # fmt: skip
    joined = join_archive(results=results, paths={f.rel: f.path for f in walk.recordings},
                          declared=declared, view=view, policy=pol, as_of=when,
                          unlisted=tuple(p.rel for p in walk.problems if p.blocking))
    findings: list[Finding] = list(log.findings) + joined.findings
    problems = walk.problems + session_problems + joined.problems
    counts = {**joined.counts, "hours": round(sum(r.hours for r in results), 6)}
    report = build_report(
        files=joined.files, findings=findings, created=created,
        parameters={"scan": params.to_json(), "policy": pol.to_json(),
                    "as_of": as_of.isoformat()},
    )  # fmt: skip
    facts = {"root": os.fspath(root), "as_of": as_of.isoformat(),
             "ledger": {"path": os.fspath(ledger), "size": log.size, "root": log.root.hex(),
                        "checkpoint": log.checkpoint, "checks": log.checks},
             "counts": counts, "problems": [p.to_json() for p in problems]}  # fmt: skip
    report["archive"] = archive_section(report["findings"], sessions=listed, facts=facts)
    return ArchiveAudit(report, problems)
