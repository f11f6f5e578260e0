"""A split view, caught: two checkpoints signed by one log's key that cannot both be true.

A log shows a split view when it signs two trees that no one history holds: two different
roots at one size, or a larger tree that does not extend a smaller one (RFC 9162, 2.1.4: no
consistency proof joins them). Both signed notes are then the evidence, in the log's own
signature. :func:`compare_notes` checks both signatures with the log key the caller trusts,
then compares them: equal sizes by their roots, different sizes by a consistency proof taken
from a proof file (``auditor ledger prove --from-size`` JSON) or made from a copy of the ledger.

Only what is proven is called a split view. A copy of the ledger decides: when its tree at the
larger size is the larger checkpoint's (same root), its tree at the smaller size is the only
one the larger extends, so a different root there is a split view. A proof file that does not
verify decides nothing: it may be a split view, or a proof of something else. That is said
("not shown consistent"), never called a split view.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from ..errors import AuditorError, InputError, VerificationError
from ._merkle import verify_consistency
from .note import Checkpoint, VerifierKey

__all__ = ["Comparison", "compare_notes", "read_note"]

_MAX_NOTE = 64 * 1024


@dataclass(frozen=True)
class Comparison:
    """Two checkpoints of one log (``first`` the smaller), and whether they show a split view."""

    origin: str
    first: Checkpoint
    second: Checkpoint
    notes: tuple[str, str]
    split: bool
    reason: str
    proven: bool = True  # False: a proof that does not verify, so consistency is not shown

    @property
    def consistent(self) -> bool:
        return self.proven and not self.split

    def to_json(self) -> dict[str, Any]:
        return {"origin": self.origin, "split_view": self.split, "consistent": self.consistent,
                "reason": self.reason,
                "checkpoints": [{"size": c.size, "root": c.root.hex(), "note": n}
                                for c, n in zip((self.first, self.second), self.notes,
                                                strict=True)]}  # fmt: skip

    def to_text(self) -> str:
        state = ("SPLIT VIEW" if self.split else "consistent" if self.consistent
                 else "NOT SHOWN CONSISTENT")
        lines = [f"{state}: {self.origin}: {self.reason}"]
        if not self.consistent:
            lines.append("evidence, both signed by the log's key:" if self.split
                         else "the checkpoints, both signed by the log's key:")
            for c, n in zip((self.first, self.second), self.notes, strict=True):
                lines += [f"--- checkpoint of size {c.size} (root {c.root.hex()}):",
                          n.rstrip("\n")]
        return "\n".join(lines) + "\n"


def read_note(path: str | os.PathLike[str]) -> tuple[str, str]:
    """``(path, text)`` of a signed checkpoint note file (at most 64 KiB of UTF-8)."""
    where = os.fspath(path)
    try:
        with open(where, "rb") as fh:
            raw = fh.read(_MAX_NOTE + 1)
    except OSError as exc:
        raise InputError(f"cannot read the checkpoint: {exc.strerror}", path=where) from None
    if len(raw) > _MAX_NOTE:
        raise InputError(f"not a checkpoint note: over {_MAX_NOTE} bytes", path=where)
    try:
        return where, raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("not a checkpoint note: not UTF-8 text", path=where) from None


def compare_notes(a: tuple[str, str], b: tuple[str, str], key: VerifierKey, *,
                  ledger_path: str | None = None, proof_path: str | None = None) -> Comparison:
    """Compare signed notes ``a`` and ``b`` (each ``(path, text)``) of the log signed by ``key``.

    Raises
    ------
    InputError
        If a note is not a checkpoint signed by ``key``, they are of two logs, or their sizes
        differ and neither a proof nor a ledger is given (or either does not fit them).
    """
    opened = []
    for where, text in (a, b):
        try:
            opened.append((Checkpoint.open(text, key), text))
        except AuditorError as exc:
            raise InputError(f"not a checkpoint signed by {key.name}+{key.key_id.hex()}: "
                             f"{exc.what}", path=where,
                             hint="give checkpoints of the log whose key you trust") from None
    (first, n1), (second, n2) = sorted(opened, key=lambda p: p[0].size)
    if first.origin != second.origin:
        raise InputError(f"the checkpoints are of two logs: {first.origin!r} and "
                         f"{second.origin!r}")  # fmt: skip

    def result(split: bool, reason: str, proven: bool = True) -> Comparison:
        return Comparison(first.origin, first, second, (n1, n2), split, reason, proven)

    if first.size == second.size:
        if first.root != second.root:
            return result(True, f"two different roots at size {first.size}")
        return result(False, f"the same tree at size {first.size}")
    if first.size == 0:
        return result(False, "the empty tree is a prefix of every tree")
    if proof_path is None and ledger_path is not None:
        prefix = _ledger_prefix(ledger_path, first, second)
        if prefix != first.root:
            return result(True, f"size {second.size} does not extend size {first.size}: the "
                                f"tree of size {second.size} (in {ledger_path}) starts with root "
                                f"{prefix.hex()} at size {first.size}, not {first.root.hex()}")
        return result(False, f"size {second.size} extends size {first.size} (the tree of size "
                             f"{second.size} in {ledger_path})")
    if proof_path is None:
        raise InputError(f"the checkpoints have sizes {first.size} and {second.size}: only a "
                         "consistency proof can say whether one extends the other",
                         hint="give --proof PROOF.json (`auditor ledger prove --from-size "
                              f"{first.size} --size {second.size}`) or --ledger LEDGER.db")
    proof = _proof_file(proof_path, first.size, second.size)
    try:
        verify_consistency(first.size, second.size, proof, first.root, second.root)
    except VerificationError as exc:
        return result(False, f"the proof from {proof_path} does not join size {first.size} to "
                             f"size {second.size} ({exc.what}): a split view, unless that proof "
                             "is not the log's; compare with a copy of the log (--ledger) to "
                             "decide", proven=False)  # fmt: skip
    return result(False, f"size {second.size} extends size {first.size} (consistency proof "
                         f"from {proof_path})")


def _proof_file(path: str, size1: int, size2: int) -> list[bytes]:
    try:
        with open(path, "rb") as fh:
            data = json.loads(fh.read(1 << 20).decode("utf-8"))
        proof = [bytes.fromhex(h) for h in data["proof"]]
        sizes = (int(data["from_size"]), int(data["tree_size"]))
    except OSError as exc:
        raise InputError(f"cannot read the proof: {exc.strerror}", path=path) from None
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise InputError("not a consistency proof (`auditor ledger prove --from-size` JSON)",
                         path=path) from None  # fmt: skip
    if sizes != (size1, size2):
        raise InputError(f"the proof is from size {sizes[0]} to {sizes[1]}, not {size1} to "
                         f"{size2}", path=path)  # fmt: skip
    return proof


def _ledger_prefix(path: str, first: Checkpoint, second: Checkpoint) -> bytes:
    """The root at ``first.size`` of the tree that ``second`` signs, from a copy of the ledger
    whose tree at ``second.size`` is that one (RFC 9162, 2.1.4: the prefix is then fixed)."""
    from .store import Ledger

    with Ledger.open(path) as led:
        if led.origin != first.origin:
            raise InputError(f"the ledger is of log {led.origin!r}, not {first.origin!r}",
                             path=path)  # fmt: skip
        if led.size < second.size:
            raise InputError(f"the ledger holds {led.size} entries, fewer than {second.size}",
                             path=path, hint="give a copy of the ledger at least that long")
        if led.root(second.size) != second.root:
            raise InputError(
                f"this ledger's tree of size {second.size} is not the one of the checkpoint of "
                f"that size (root {second.root.hex()}): it is another history, which cannot "
                f"say whether that checkpoint extends size {first.size}", path=path,
                hint="give a copy of the ledger the larger checkpoint was signed from, or "
                "--proof")
        return led.root(first.size)
