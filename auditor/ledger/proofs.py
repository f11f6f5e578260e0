"""Proofs that leave the tool: each one checked against the signed checkpoint first.

The store answers proofs from its cached subtree hashes (:mod:`._tree`), and a hand edit of the
``nodes`` table can damage those without touching an entry or a signature. So before a proof is
printed (``ledger prove``) or bundled (``ledger bundle``), it is verified the way a relying party
will verify it (RFC 9162, 2.1.3.2 and 2.1.4.2) against the root that the checkpoint at that size
signs, the signature checked with the key the log's own ``key`` entries put in use. When it does
not verify, the stored nodes the proof was built from are recomputed from the entries' bytes to
name what is damaged, and nothing is given out.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import islice

from ..errors import AuditorError, LedgerError, VerificationError
from . import _tree
from ._merkle import leaf_hash, tree_hash, verify_consistency, verify_inclusion
from .note import Checkpoint
from .store import Ledger

__all__ = ["signed_checkpoint", "checked_inclusion_proof", "checked_consistency_proof"]

_SHOWN = 3  # damaged nodes named in one message


def _inconsistent(ledger: Ledger, what: str) -> LedgerError:
    return LedgerError(
        f"the ledger is inconsistent (ledger_inconsistent): {what}; no proof was given out",
        path=ledger.path,
        hint=f"run `auditor ledger verify {ledger.path}` to see every problem, and restore the "
        "ledger from a backup or a replica",
    )


def signed_checkpoint(ledger: Ledger, size: int) -> Checkpoint:
    """The checkpoint at ``size``, its signature checked with the key in use at that size.

    Raises
    ------
    LedgerError
        If there is no checkpoint at ``size`` or it does not verify.
    """
    note = ledger.checkpoint(size)
    try:
        checkpoint = Checkpoint.open(note, ledger.key_history().current(size),
                                     origin=ledger.origin)  # fmt: skip
    except AuditorError as exc:
        raise _inconsistent(ledger, f"the checkpoint at size {size} does not verify: "
                                    f"{exc.what}") from None  # fmt: skip
    if checkpoint.size != size:
        raise _inconsistent(ledger, f"the checkpoint stored for size {size} signs size "
                                    f"{checkpoint.size}")  # fmt: skip
    return checkpoint


def checked_inclusion_proof(
    ledger: Ledger, index: int, size: int, checkpoint: Checkpoint | None = None
) -> list[bytes]:
    """The inclusion proof of entry ``index`` in the tree of ``size``, verified against the
    root ``checkpoint`` (default: the checkpoint at ``size``) signs.

    Raises
    ------
    LedgerError
        If there is no such entry or checkpoint, or the proof does not lead to the signed root;
        the message names the damaged tree node or entry.
    """
    checkpoint = checkpoint or signed_checkpoint(ledger, size)
    proof = ledger.inclusion_proof(index, size)
    _check(ledger,
           lambda: verify_inclusion(index, size, leaf_hash(ledger.data(index)), proof,
                                    checkpoint.root),
           lambda used: _tree.inclusion_proof(used, index, size),
           f"the inclusion proof of entry {index} does not lead to the signed root",
           f"entry {index}'s bytes were changed after they were signed (they no longer hash "
           f"to what the checkpoint at size {size} covers)")  # fmt: skip
    return proof


def checked_consistency_proof(ledger: Ledger, size1: int, size2: int) -> list[bytes]:
    """The consistency proof from ``size1`` to ``size2``, verified against the root the
    checkpoint at ``size2`` signs and the root of ``size1`` (its signed checkpoint, else
    recomputed from the first ``size1`` entries' bytes).

    Raises
    ------
    LedgerError
        As :func:`checked_inclusion_proof`.
    """
    new = signed_checkpoint(ledger, size2)
    signed = {s for s, _ in ledger.checkpoints()}
    if size1 in signed:
        old_root = signed_checkpoint(ledger, size1).root
    else:
        frontier = _tree.Frontier()
        for row in islice(ledger.rows(0), size1):
            frontier.append(leaf_hash(row.data))
        old_root = frontier.root()
    proof = ledger.consistency_proof(size1, size2)
    _check(ledger,
           lambda: verify_consistency(size1, size2, proof, old_root, new.root),
           lambda used: _tree.consistency_proof(used, size1, size2),
           f"the consistency proof from size {size1} to {size2} does not verify",
           f"entries were changed after they were signed (the roots of sizes {size1} and "
           f"{size2} do not fit the stored entries)")  # fmt: skip
    return proof


def _check(ledger: Ledger, verify: Callable[[], None],
           rebuild: Callable[[_Recorder], object], what: str, otherwise: str) -> None:
    """Run ``verify``; when it fails, rebuild the proof with a :class:`_Recorder` to name the
    damaged stored nodes (else ``otherwise``) and raise ``ledger_inconsistent``."""
    try:
        verify()
    except VerificationError:
        used = _Recorder(ledger)
        rebuild(used)
        damage = _damaged(ledger, used.nodes) or otherwise
        raise _inconsistent(ledger, f"{what}: {damage}") from None


class _Recorder:
    """A node getter that remembers which stored nodes a proof was built from."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.nodes: list[tuple[int, int]] = []

    def __call__(self, level: int, index: int) -> bytes:
        self.nodes.append((level, index))
        return self.ledger.node(level, index)


def _damaged(ledger: Ledger, nodes: list[tuple[int, int]]) -> str | None:
    """Name the stored nodes whose hash is not that of their entries' bytes (or None)."""
    bad = []
    for level, index in sorted(set(nodes)):
        lo, hi = index << level, (index + 1) << level
        leaves = [leaf_hash(r.data) for r in islice(ledger.rows(lo), hi - lo) if r.idx < hi]
        span = f"entries {lo}-{hi - 1}" if hi - lo > 1 else f"entry {lo}"
        if len(leaves) != hi - lo:
            bad.append(f"{span} (under tree node (level {level}, index {index})) are missing")
        elif tree_hash(leaves) != ledger.node(level, index):
            bad.append(f"stored tree node (level {level}, index {index}), the hash of {span}, "
                       "is damaged")  # fmt: skip
    if not bad:
        return None
    more = f" (and {len(bad) - _SHOWN} more)" if len(bad) > _SHOWN else ""
    return "; ".join(bad[:_SHOWN]) + more
