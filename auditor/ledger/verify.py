"""Verify a ledger from its raw rows, and re-hash recordings against it.

:func:`verify_log` trusts nothing stored but the entry bytes: it recomputes every leaf hash, every
stored subtree hash and the root at every checkpoint, checks each checkpoint's Ed25519 note
signature with the key the log's own ``key`` entries put in use (and, when given, that a key the
caller trusts is in that chain), and checks every recording's chunks against its seal. A caller
that kept an earlier checkpoint gets a consistency proof from it (RFC 9162, 2.1.4) checked too.
Anything wrong is a ``ledger_inconsistent`` finding; an ingested but unsealed recording is an
``unsealed`` finding.

:func:`verify_file` re-hashes a recording and reports ``unlogged_file``, ``unsealed`` or one
``hash_mismatch`` per changed chunk with its time span; a file shorter (``evidence.reason`` =
``truncated``) or longer (``extended``) than logged is a ``hash_mismatch`` over the missing or
added span, so every consumer that knows the contract's kinds sees it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..errors import AuditorError, VerificationError
from ..findings import Finding
from . import _tree
from ._merkle import leaf_hash, verify_consistency
from .entries import Entry
from .keys import KeyHistory
from .note import Checkpoint, VerifierKey
from .recording import ChunkHash, hash_chunks, logged_pcm
from .store import Ledger
from .structure import RecordingChecker, RecordingState

__all__ = ["LogReport", "verify_log", "verify_file", "compare_chunks"]

_BATCH = 4096


@dataclass
class LogReport:
    """What :func:`verify_log` found: findings, the checks it made, the head it verified."""

    size: int = 0
    root: bytes = b""
    checkpoint: str | None = None
    findings: list[Finding] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)

    def inconsistent(self, message: str, **evidence: Any) -> None:
        """Record a ``ledger_inconsistent`` finding."""
        self.findings.append(
            Finding(
                "ledger_inconsistent", None, None, None, "high", 1.0, "ledger", message, evidence
            )  # fmt: skip
        )


def verify_log(
    ledger: Ledger,
    *,
    trusted_key: VerifierKey | None = None,
    trusted_checkpoint: str | None = None,
) -> LogReport:
    """Check a whole ledger; see the module docstring.

    Parameters
    ----------
    ledger
        The open ledger.
    trusted_key
        A key the caller trusts (``auditor keygen``'s ``.pub``); it must be in the ledger's key
        chain. Without it the ledger's first key is trusted as found.
    trusted_checkpoint
        A signed checkpoint note the caller verified before; the ledger must extend it.
    """
    report = LogReport()
    history = KeyHistory(ledger.origin, [])
    checkpoints = dict(ledger.checkpoints())
    frontier = _tree.Frontier()
    recordings = RecordingChecker(report.inconsistent)
    pending: list[tuple[int, int, bytes]] = []
    expected = 0
    for row in ledger.rows():
        if row.idx != expected:
            report.inconsistent(f"entry index {row.idx} follows {expected - 1}: rows were "
                                f"deleted or renumbered", index=row.idx)  # fmt: skip
            expected = row.idx
        expected += 1
        leaf = leaf_hash(row.data)
        if leaf != row.leaf:
            report.inconsistent(f"entry {row.idx}: stored leaf hash does not match its bytes",
                                index=row.idx)  # fmt: skip
        _check_row(report, history, recordings, row)
        pending.extend(frontier.append(leaf))
        size = frontier.size
        if size in checkpoints:
            _check_checkpoint(report, ledger.origin, history, size, checkpoints.pop(size),
                              frontier.root())  # fmt: skip
        if len(pending) >= _BATCH:
            _check_nodes(report, ledger, pending)
            pending = []
    _check_nodes(report, ledger, pending)
    report.size, report.root = frontier.size, frontier.root()
    report.checks.append(
        f"recomputed {report.size} leaf hashes and the tree root {report.root.hex()}"
    )
    if ledger.node_count() != 2 * report.size - bin(report.size).count("1"):
        report.inconsistent("the stored tree has nodes that no entry accounts for")
    for size in sorted(checkpoints):
        report.inconsistent(f"checkpoint for size {size} but the log has {report.size} entries",
                            checkpoint_size=size)  # fmt: skip
    try:
        report.checkpoint = ledger.checkpoint()
        if Checkpoint.from_body(report.checkpoint.split("\n\n")[0] + "\n").size != report.size:
            report.inconsistent(f"the last {report.size} entries are not covered by a checkpoint")
    except AuditorError as exc:
        report.inconsistent(f"no usable latest checkpoint: {exc.what}")
    if report.size == 0:
        report.inconsistent("the ledger holds no entries")
    elif trusted_key is not None:
        if history.knows(trusted_key):
            report.checks.append(f"the trusted key {trusted_key.key_id.hex()} is in the key chain")
        else:
            report.inconsistent(f"the ledger is not signed by the trusted key {trusted_key} "
                                "(its key was replaced?)")  # fmt: skip
    if trusted_checkpoint is not None:
        _check_trusted(report, ledger, history, trusted_checkpoint)
    report.findings.extend(recordings.finish())
    n = len(recordings.states)
    report.checks.append("checked 1 recording against its seal" if n == 1
                         else f"checked {n} recordings against their seals")
    return report


def _check_row(
    report: LogReport, history: KeyHistory, recordings: RecordingChecker, row: Any
) -> None:
    try:
        entry = Entry.decode(row.data)
    except VerificationError as exc:
        report.inconsistent(f"entry {row.idx}: {exc.what}", index=row.idx)
        return
    f = entry.fields
    ingest = entry.type == "ingest"
    lookup = (
        entry.type,
        row.idx if ingest else entry.recording,
        f.get("name") if ingest else None,
        f.get("sha256") if ingest else None,
    )
    if (row.type, row.recording, row.name, row.sha256) != lookup:
        report.inconsistent(f"entry {row.idx}: lookup columns disagree with the entry",
                            index=row.idx)  # fmt: skip
    if entry.type == "key":
        try:
            history.add(row.idx, entry)
        except VerificationError as exc:
            report.inconsistent(exc.what, index=row.idx)
    recordings.add(row.idx, entry, leaf_hash(row.data))


def _check_checkpoint(
    report: LogReport, origin: str, history: KeyHistory, size: int, note: str, root: bytes
) -> None:
    try:
        checkpoint = Checkpoint.open(note, history.current(size), origin=origin)
    except VerificationError as exc:
        report.inconsistent(f"checkpoint {size}: {exc.what}", checkpoint_size=size)
        return
    if checkpoint.size != size or checkpoint.root != root:
        report.inconsistent(
            f"checkpoint {size} signs root {checkpoint.root.hex()} of size {checkpoint.size}, "
            f"but the entries give {root.hex()}",
            checkpoint_size=size,
        )


def _check_nodes(report: LogReport, ledger: Ledger, nodes: list[tuple[int, int, bytes]]) -> None:
    by_level: dict[int, dict[int, bytes]] = {}
    for level, index, h in nodes:
        by_level.setdefault(level, {})[index] = h
    for level, computed in by_level.items():
        stored = ledger.nodes(level, min(computed), max(computed))
        for index, h in computed.items():
            if stored.get(index) != h:
                report.inconsistent(f"stored tree node ({level}, {index}) is wrong or missing",
                                    level=level, node=index)  # fmt: skip
                return


def _check_trusted(report: LogReport, ledger: Ledger, history: KeyHistory, note: str) -> None:
    try:
        old = Checkpoint.from_body(note.split("\n\n")[0] + "\n")
        Checkpoint.open(note, history.current(old.size), origin=ledger.origin)
        if old.size > report.size:
            raise VerificationError(f"the ledger has {report.size} entries, fewer than the "
                                    f"{old.size} of the trusted checkpoint")  # fmt: skip
        proof = ledger.consistency_proof(old.size, report.size)
        verify_consistency(old.size, report.size, proof, old.root, report.root)
    except AuditorError as exc:
        report.inconsistent(f"the ledger does not extend the trusted checkpoint: {exc.what}")
        return
    report.checks.append(
        f"consistency proof from the trusted checkpoint (size {old.size}) verified"
    )


def _finding(
    kind: str,
    path: str,
    start: float | None,
    end: float | None,
    message: str,
    severity: str = "high",
    **evidence: Any,
) -> Finding:
    return Finding(kind, path, start, end, severity, 1.0, "ledger", message, evidence)


def verify_file(ledger: Ledger, path: str | os.PathLike[str], *,
                sha256: str | None = None) -> list[Finding]:
    """Re-hash one recording against the ledger; see the module docstring.

    ``sha256`` is the file's SHA-256 when the caller has just computed it (else it is computed
    here).

    Raises
    ------
    MediaError
        If the file cannot be read or decoded.
    """
    from ..media import file_sha256, probe

    spath = os.fspath(path)
    sha256 = sha256 or file_sha256(spath)
    by_hash = ledger.find_ingests(sha256=sha256)
    candidates = by_hash or ledger.find_ingests(name=os.path.basename(spath))
    if not candidates:
        return [_finding("unlogged_file", spath, None, None,
                         "the file is not in the ledger (neither its bytes nor its name)",
                         sha256=sha256)]  # fmt: skip
    states = [RecordingChecker.load(ledger, i) for i in candidates]
    sealed = [s for s in states if s.sealed]
    state = (sealed or states)[-1]
    if not state.sealed:
        return [_finding("unsealed", spath, None, None,
                         "the recording was ingested but never sealed: its chunks may not all "
                         "be in the ledger", recording=state.index)]  # fmt: skip
    if by_hash:
        return []
    info = probe(spath)
    chunks = hash_chunks(spath, chunk_frames=state.ingest.fields["chunk_frames"], info=info,
                         pcm=logged_pcm(state.ingest.fields["media"]))
    return compare_chunks(state, spath, sha256=sha256, info=info, chunks=chunks)


def compare_chunks(
    state: RecordingState, label: str, *, sha256: str, info: Any, chunks: Iterable[ChunkHash]
) -> list[Finding]:
    """The findings of a file whose bytes differ from its logged recording ``state``.

    :func:`verify_file`'s comparison, for a caller that already hashed the file's chunks
    (the archive audit hashes on its workers and compares in one process).

    Parameters
    ----------
    state
        The sealed recording the file is checked against (:meth:`RecordingChecker.load`).
    label
        The file's name in the findings.
    sha256
        The SHA-256 of the file's bytes.
    info
        The probed file (``sample_rate``, ``channels``, ``duration`` in seconds).
    chunks
        The file's chunk hashes at the recording's ``chunk_frames`` and ``media.pcm``
        (:func:`~.recording.hash_chunks`), in order; read only when the format matches.
    """
    from ..findings import format_time

    spath = label
    media = state.ingest.fields["media"]
    rate = int(media["sample_rate"])
    if (info.sample_rate, info.channels) != (rate, media["channels"]):
        return [_finding("hash_mismatch", spath, 0.0, info.duration,
                         f"format changed: logged {rate} Hz x{media['channels']}, file is "
                         f"{info.sample_rate} Hz x{info.channels}", reason="format",
                         recording=state.index)]  # fmt: skip
    logged = {c.fields["index"]: c.fields for c in state.chunks}
    findings: list[Finding] = []
    file_end = 0
    for chunk in chunks:
        file_end = chunk.end
        want = logged.get(chunk.index)
        if want is None or (want["start"], want["end"]) != (chunk.start, chunk.end):
            continue  # past the logged end, or a partial last chunk: see the length check
        if want["pcm_sha256"] != chunk.pcm_sha256:
            a, b = chunk.start / rate, chunk.end / rate
            findings.append(_finding(
                "hash_mismatch", spath, a, b,
                f"chunk {chunk.index} ({format_time(a)}-{format_time(b)}) differs from the ledger",
                chunk=chunk.index, expected=want["pcm_sha256"], actual=chunk.pcm_sha256,
                recording=state.index, reason="changed",
            ))  # fmt: skip
    logged_end = int(state.seal.fields["frames"]) if state.seal else 0
    if file_end < logged_end:
        findings.append(_finding(
            "hash_mismatch", spath, file_end / rate, logged_end / rate,
            f"the file is truncated: audio from {format_time(file_end / rate)} to "
            f"{format_time(logged_end / rate)} is missing",
            reason="truncated", file_frames=file_end, logged_frames=logged_end,
            recording=state.index,
        ))  # fmt: skip
    elif file_end > logged_end:
        findings.append(_finding(
            "hash_mismatch", spath, logged_end / rate, file_end / rate,
            f"the file is longer than logged: audio from {format_time(logged_end / rate)} on "
            "was added", reason="extended", file_frames=file_end, logged_frames=logged_end,
            recording=state.index,
        ))  # fmt: skip
    if not findings:
        findings.append(_finding(
            "hash_mismatch", spath, None, None,
            "the file's bytes differ from the ledger but every chunk of decoded audio matches: "
            "the container or metadata was changed", reason="container", recording=state.index,
            expected=state.ingest.fields["sha256"], actual=sha256,
        ))  # fmt: skip
    return findings
