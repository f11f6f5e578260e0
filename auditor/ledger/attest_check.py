"""Checking what outside parties said about a checkpoint: the witnesses' quorum
(:class:`~.witnesses.WitnessPolicy`) and RFC 3161 timestamps (:mod:`.tsa`), for a ledger
(:func:`check_ledger_attestations`) and for an evidence bundle, offline
(:func:`verify_bundle_attestations`).

A ledger's latest checkpoint must meet the quorum (else an ``unwitnessed`` finding) and carry a
token that verifies with the trusted TSA certificate (else ``untimestamped``), both ``high``;
the message names the witnesses that did and did not cosign, and the latest size that is
witnessed. Every earlier checkpoint is checked too: each stored cosignature by a listed
witness must verify over the checkpoint it is stored with (else ``unwitnessed``, ``high``: it
was altered), and a checkpoint with stored tokens needs one that verifies with the trusted TSA
certificate (else ``untimestamped``, ``warning``: it may come from another TSA, to be checked
with that TSA's certificate). Earlier checkpoints need not meet the quorum: a witness may have
been down then, and the latest checkpoint's cosignatures vouch for every tree before it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import LedgerError, VerificationError
from ..findings import Finding
from .attestations import (
    COSIGNATURES_FILE,
    TIMESTAMP_FILE,
    cosignature_lines,
    cosigned_sizes,
    timestamp_tokens,
    timestamped_sizes,
)
from .cosignature import signature_lines
from .store import Ledger
from .witnesses import WitnessPolicy

__all__ = ["AttestationCheck", "check_ledger_attestations", "verify_bundle_attestations",
           "bundle_tags"]

#: the tokens of further TSAs, beside :data:`TIMESTAMP_FILE` (one per TSA)
_EXTRA_TOKEN = re.compile(r"evidence/timestamp-[0-9]{1,3}\.tsr")


@dataclass
class AttestationCheck:
    """Checks made, findings, and facts for a report's ``ledger`` object."""

    checks: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)

    def finding(self, kind: str, message: str, evidence: dict[str, Any], *,
                severity: str = "high") -> None:
        self.findings.append(Finding(kind, None, None, None, severity, 1.0, "ledger", message,
                                     evidence))  # fmt: skip


def check_ledger_attestations(ledger: Ledger, *, policy: WitnessPolicy | None,
                              tsa_certs: Sequence[object] | None) -> AttestationCheck:
    """Check the stored cosignatures against ``policy`` (the quorum at the latest checkpoint)
    and the stored timestamps against ``tsa_certs``; either may be None: not checked."""
    result = AttestationCheck()
    size = ledger.size
    note = ledger.checkpoint(size)
    body, _ = signature_lines(note)
    if policy is not None:
        try:
            quorum = policy.check(body, size, cosignature_lines(ledger, size))
        except VerificationError as exc:
            result.finding("unwitnessed", f"a stored cosignature does not verify: {exc.what}",
                           {"size": size})  # fmt: skip
        else:
            result.facts["witnesses"] = quorum.to_json()
            if quorum.met:
                result.checks.append(quorum.describe())
            else:
                earlier = [s for s in cosigned_sizes(ledger) if s < size]
                since = (f"; the latest cosigned checkpoint is at size {earlier[-1]}" if earlier
                         else "; no checkpoint of this ledger is cosigned")
                result.finding("unwitnessed", quorum.describe() + since, quorum.to_json())
        _check_earlier_cosignatures(result, ledger, policy, size)
    if tsa_certs is not None:
        tokens = timestamp_tokens(ledger, size)
        _check_tokens(result, [t for _, t in tokens], note.encode("utf-8"), size, tsa_certs)
        _check_earlier_tokens(result, ledger, tsa_certs, size)
    return result


def _earlier_note(result: AttestationCheck, ledger: Ledger, kind: str, size: int) -> str | None:
    """The signed note at ``size``, or None (and a finding) when the ledger has none there."""
    try:
        return ledger.checkpoint(size)
    except LedgerError:
        result.finding(kind, f"attestations are stored for size {size}, where the ledger has no "
                             "signed checkpoint", {"size": size})  # fmt: skip
        return None


def _check_earlier_cosignatures(result: AttestationCheck, ledger: Ledger,
                                policy: WitnessPolicy, latest: int) -> None:
    sizes = [s for s in cosigned_sizes(ledger) if s < latest]
    for size in sizes:
        note = _earlier_note(result, ledger, "unwitnessed", size)
        if note is None:
            continue
        body, _ = signature_lines(note)
        try:
            policy.check(body, size, cosignature_lines(ledger, size))
        except VerificationError as exc:
            result.finding("unwitnessed", f"a stored cosignature of the checkpoint at size "
                                          f"{size} does not verify: {exc.what}", {"size": size})
    result.facts["cosigned_checkpoints"] = len(sizes) + (latest in cosigned_sizes(ledger))
    if sizes:
        result.checks.append(f"witnesses: the stored cosignatures of {len(sizes)} earlier "
                             "checkpoint(s) checked")


def _check_earlier_tokens(result: AttestationCheck, ledger: Ledger, certs: Sequence[object],
                          latest: int) -> None:
    sizes = [s for s in timestamped_sizes(ledger) if s < latest]
    for size in sizes:
        note = _earlier_note(result, ledger, "untimestamped", size)
        if note is None:
            continue
        earlier = AttestationCheck()
        tokens = [t for _, t in timestamp_tokens(ledger, size)]
        _check_tokens(earlier, tokens, note.encode("utf-8"), size, certs)
        for found in earlier.findings:
            result.finding("untimestamped", found.message + " (if it came from another TSA, "
                           "check it with that TSA's certificate)", {"size": size},
                           severity="warning")
    if sizes:
        result.checks.append(f"timestamp: the stored tokens of {len(sizes)} earlier "
                             "checkpoint(s) checked")


def _check_tokens(result: AttestationCheck, tokens: list[bytes], message: bytes, size: int,
                  certs: Sequence[object]) -> None:
    from .tsa import verify_timestamp

    problems = []
    for token in tokens:
        try:
            when = verify_timestamp(token, message, list(certs))
        except VerificationError as exc:
            problems.append(exc.what)
            continue
        result.facts["timestamp"] = {"size": size, "time": when.isoformat()}
        result.checks.append(f"timestamp: an RFC 3161 token of the trusted TSA says the "
                             f"checkpoint at size {size} existed at {when.isoformat()}")
        return
    why = "; ".join(problems) if problems else "no timestamp token is stored for it"
    result.finding("untimestamped", f"the checkpoint at size {size} has no RFC 3161 timestamp "
                                    f"that verifies with the trusted TSA certificate: {why}",
                   {"size": size})  # fmt: skip


def verify_bundle_attestations(read: Callable[[str], bytes], names: Sequence[str], note: str,
                               size: int, *, policy: WitnessPolicy | None,
                               tsa_certs: Sequence[object] | None,
                               passed: Callable[[str], None]) -> None:
    """Check a bundle's cosignatures and timestamp token over its checkpoint ``note``.

    Raises
    ------
    VerificationError
        If the quorum is not met or no token verifies (or the bundle carries none).
    """
    if policy is not None:
        if COSIGNATURES_FILE not in names:
            raise VerificationError(f"the bundle carries no cosignatures ({COSIGNATURES_FILE}) "
                                    f"but a quorum of {policy.quorum} witnesses is required")
        try:
            lines = read(COSIGNATURES_FILE).decode("utf-8").splitlines()
        except UnicodeDecodeError:
            raise VerificationError(f"{COSIGNATURES_FILE} is not UTF-8 text") from None
        body, _ = signature_lines(note)
        passed(policy.require(body, size, lines).describe())
    if tsa_certs is not None:
        files = [n for n in names if n == TIMESTAMP_FILE or _EXTRA_TOKEN.fullmatch(n)]
        if not files:
            raise VerificationError(f"the bundle carries no timestamp token ({TIMESTAMP_FILE})")
        result = AttestationCheck()
        _check_tokens(result, [read(n) for n in sorted(files)], note.encode("utf-8"), size,
                      tsa_certs)  # fmt: skip
        if result.findings:
            raise VerificationError(result.findings[0].message)
        for text in result.checks:
            passed(text)


def bundle_tags(ledger: Ledger, size: int) -> dict[str, bytes]:
    """The bundle files of the attestations stored for the checkpoint at ``size``."""
    tags: dict[str, bytes] = {}
    lines = cosignature_lines(ledger, size)
    if lines:
        tags[COSIGNATURES_FILE] = ("\n".join(lines) + "\n").encode("utf-8")
    for number, (_, token) in enumerate(timestamp_tokens(ledger, size), 1):
        tags[TIMESTAMP_FILE if number == 1 else f"evidence/timestamp-{number}.tsr"] = token
    return tags

