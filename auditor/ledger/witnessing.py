"""Asking outside parties about a ledger's checkpoint: witnesses for cosignatures (C2SP
tlog-witness, as a client) and a time-stamping authority for an RFC 3161 token.

For each witness of the policy, :func:`witness_checkpoint` sends ``add-checkpoint`` with the
size that witness last cosigned for this ledger (kept with its cosignatures, 0 the first time)
and an RFC 9162 consistency proof from that size, checked against the signed roots before it
leaves. A 409 answer names the size the witness holds: the request is made again from that
size. Witnesses are asked at the same time, each with its own timeout (1 s by default, as
Tessera's). Valid cosignatures are stored; one witness down or refusing does not stop the
others, and the result says which cosigned and why the others did not.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from ..errors import VerificationError
from ._http import Answer, post
from .attestations import (
    add_cosignature,
    add_timestamp,
    cosignature_lines,
    last_cosigned,
)
from .cosignature import Cosignature
from .proofs import checked_consistency_proof, signed_checkpoint
from .store import Ledger
from .witnesses import Quorum, Witness, WitnessPolicy

__all__ = ["Outcome", "WitnessRun", "witness_checkpoint", "timestamp_checkpoint"]

_ROUNDS = 3
_MAX_REPLY = 64 * 1024
SIZE_TYPE = "text/x.tlog.size"
"""The content type of a witness's 409 that names the size it holds (c2sp.org/tlog-witness)."""


@dataclass(frozen=True)
class Outcome:
    """What one witness did: cosigned, or why not."""

    witness: str
    cosigned: bool
    message: str


@dataclass(frozen=True)
class WitnessRun:
    """The answers of every witness, and the quorum they make for the checkpoint at ``size``."""

    size: int
    outcomes: tuple[Outcome, ...]
    quorum: Quorum

    def describe(self) -> str:
        lines = [f"{o.witness}: {o.message}" for o in self.outcomes]
        return "\n".join([*lines, self.quorum.describe()])


def witness_checkpoint(ledger: Ledger, policy: WitnessPolicy, *, timeout: float = 1.0,
                       size: int | None = None) -> WitnessRun:
    """Ask every witness of ``policy`` to cosign the checkpoint at ``size`` (default: latest).

    Raises
    ------
    LedgerError
        If the checkpoint or a consistency proof does not verify in the ledger itself.
    """
    size = ledger.size if size is None else size
    checkpoint = signed_checkpoint(ledger, size)
    note, body = ledger.checkpoint(size), checkpoint.body()
    outcomes: dict[str, Outcome] = {}
    pending: dict[str, int] = {}
    for w in policy.witnesses:
        if w.url is None:
            outcomes[w.name] = Outcome(w.name, False, "no URL in the witnesses file")
        else:
            pending[w.name] = last_cosigned(ledger, w.key)
    by_name = {w.name: w for w in policy.witnesses}
    for _ in range(_ROUNDS):
        if not pending:
            break
        requests: dict[str, bytes] = {}
        for name, old in pending.items():
            try:
                requests[name] = _request(ledger, old, size, note)
            except _Failed as exc:
                outcomes[name] = Outcome(name, False, str(exc))
        answers = _send(requests, by_name, timeout)
        pending = {}
        for name, answer in answers.items():
            try:
                if isinstance(answer, OSError):
                    raise _Failed(f"not reached: {answer}")
                retry = _handle(ledger, by_name[name], answer, size, body)
            except _Failed as exc:
                outcomes[name] = Outcome(name, False, str(exc))
                continue
            if retry is None:
                outcomes[name] = Outcome(name, True, f"cosigned size {size}")
            else:
                pending[name] = retry
    for name in pending:
        outcomes[name] = Outcome(name, False, "kept answering 409 (size conflict)")
    quorum = policy.check(body, size, cosignature_lines(ledger, size))
    ordered = tuple(outcomes[w.name] for w in policy.witnesses)
    return WitnessRun(size, ordered, quorum)


class _Failed(Exception):
    pass


def _request(ledger: Ledger, old: int, size: int, note: str) -> bytes:
    """The add-checkpoint body from ``old``: old size line, proof lines, blank line, note."""
    if old > size:
        raise _Failed(_bigger(old, size))
    proof = checked_consistency_proof(ledger, old, size) if 0 < old < size else []
    lines = [f"old {old}", *(base64.b64encode(h).decode() for h in proof)]
    return ("\n".join(lines) + "\n\n" + note).encode()


def _bigger(held: int, size: int) -> str:
    return (f"the witness has cosigned size {held} of this log, but this ledger's checkpoint is "
            f"at size {size}: it saw another log under this origin (a split view, or a rebuilt "
            "ledger)")


def _send(requests: dict[str, bytes], witnesses: dict[str, Witness],
          timeout: float) -> dict[str, Answer | OSError]:
    def one(name: str) -> Answer | OSError:
        url = str(witnesses[name].url).rstrip("/") + "/add-checkpoint"
        try:
            return post(url, requests[name], "text/plain; charset=utf-8", timeout=timeout,
                        max_reply=_MAX_REPLY)  # fmt: skip
        except OSError as exc:
            return exc

    if not requests:
        return {}
    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        futures = {name: pool.submit(one, name) for name in requests}
        return {name: f.result() for name, f in futures.items()}


def _handle(ledger: Ledger, witness: Witness, answer: Answer, size: int,
            body: str) -> int | None:
    """Store a 200's cosignature (None), or the size a 409 names (retry); else :class:`_Failed`."""
    text = answer.body.decode("utf-8", "replace")
    # a 409 of another type is a refusal with its reason (another root at the size it holds)
    if answer.status == 409 and answer.content_type.split(";")[0].strip() == SIZE_TYPE:
        first = text.split("\n", 1)[0].strip()
        if not (first.isascii() and first.isdigit()) or len(first) > 19:  # sizes < 2^63
            raise _Failed(f"answered 409 without a size: {first[:80]!r}")
        held = int(first)
        if held > size:
            raise _Failed(_bigger(held, size))
        ours = last_cosigned(ledger, witness.key)
        if held < ours:  # its own cosignature of a larger size is in this ledger
            raise _Failed(f"answered that the latest it cosigned of this log is size {held}, "
                          f"but this ledger holds its cosignature of size {ours}: the witness "
                          "lost or rolled back what it cosigned (its operator must restore it; "
                          "it is not asked again from the older size)")
        return held
    if answer.status != 200:
        reason = " ".join(text.split())[:300] or "no reason given"
        raise _Failed(f"refused (HTTP {answer.status}): {reason}")
    for line in text.splitlines():
        try:
            cosig = Cosignature.parse(line)
        except VerificationError:
            continue
        if cosig.by(witness.key):
            try:
                cosig.verify(body, witness.key)
            except VerificationError as exc:
                raise _Failed(f"answered an invalid cosignature: {exc.what}") from None
            add_cosignature(ledger, size, witness.key, cosig)
            return None
    raise _Failed(f"answered without a cosignature by its key {witness.key}")


def timestamp_checkpoint(ledger: Ledger, url: str, *, certs: Sequence[object] | None = None,
                         timeout: float = 5.0, size: int | None = None) -> datetime:
    """Get and store an RFC 3161 timestamp over the signed checkpoint note at ``size``
    (default: latest), verified against ``certs`` when given; return its time."""
    from .tsa import request_timestamp

    size = ledger.size if size is None else size
    signed_checkpoint(ledger, size)
    note = ledger.checkpoint(size).encode("utf-8")
    der, when = request_timestamp(url, note, timeout=timeout,
                                  certs=None if certs is None else list(certs))
    add_timestamp(ledger, size, url, der, when)
    return when
