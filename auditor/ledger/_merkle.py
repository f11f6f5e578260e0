"""RFC 6962 / RFC 9162 Merkle tree hashing and proof verification.

The hashing rules are those of Certificate Transparency (RFC 9162, section 2.1.1):
a leaf hash is ``SHA-256(0x00 || entry)``, an interior node is ``SHA-256(0x01 || left || right)``
and the tree of no leaves hashes to ``SHA-256("")``. Verification follows the algorithms of
RFC 9162 sections 2.1.3.2 and 2.1.4.2 in the bit-decomposed form used by transparency-dev's
``proof/verify.go``, plus two rules that reference adds: hashes must be exactly 32 bytes and a
consistency proof from the empty tree is meaningless.

Every verifier here returns None or raises :class:`~auditor.errors.VerificationError`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from ..errors import VerificationError

__all__ = [
    "LEAF_PREFIX",
    "NODE_PREFIX",
    "HASH_SIZE",
    "EMPTY_ROOT",
    "leaf_hash",
    "leaf_hashes",
    "node_hash",
    "tree_hash",
    "root_from_inclusion_proof",
    "verify_inclusion",
    "verify_consistency",
]

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

_sha256 = hashlib.sha256


def leaf_hash(entry: bytes) -> bytes:
    """Hash of one log entry: ``SHA-256(0x00 || entry)`` (RFC 9162, 2.1.1)."""
    return _sha256(LEAF_PREFIX + entry).digest()


def leaf_hashes(entries: Sequence[bytes]) -> list[bytes]:
    """:func:`leaf_hash` of each entry, in order."""
    return [_sha256(LEAF_PREFIX + e).digest() for e in entries]


def node_hash(left: bytes, right: bytes) -> bytes:
    """Hash of an interior node: ``SHA-256(0x01 || left || right)`` (RFC 9162, 2.1.1)."""
    return _sha256(NODE_PREFIX + left + right).digest()


def tree_hash(leaf_hashes: Sequence[bytes]) -> bytes:
    """Merkle Tree Hash (MTH) of a list of leaf hashes, by RFC 9162's recursive definition.

    Computed bottom-up in O(n) time: pairs are hashed level by level and an unpaired last node is
    promoted unchanged, which gives the same root as splitting at the largest power of two.

    Parameters
    ----------
    leaf_hashes
        The leaf hashes (already ``SHA-256(0x00 || entry)``), in log order.

    Returns
    -------
    bytes
        The 32-byte root; :data:`EMPTY_ROOT` for no leaves.
    """
    level = list(leaf_hashes)
    if not level:
        return EMPTY_ROOT
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def _check_hash(value: bytes, what: str) -> None:
    if len(value) != HASH_SIZE:
        raise VerificationError(f"{what} must be {HASH_SIZE} bytes, got {len(value)}")


def _decompose(index: int, size: int) -> tuple[int, int]:
    """Split an audit path for ``index`` in a tree of ``size`` into (inner, border) lengths."""
    inner = (index ^ (size - 1)).bit_length()
    border = bin(index >> inner).count("1")
    return inner, border


def _chain_inner(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    for i, h in enumerate(proof):
        seed = node_hash(seed, h) if (index >> i) & 1 == 0 else node_hash(h, seed)
    return seed


def _chain_inner_right(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    for i, h in enumerate(proof):
        if (index >> i) & 1:
            seed = node_hash(h, seed)
    return seed


def _chain_border_right(seed: bytes, proof: Sequence[bytes]) -> bytes:
    for h in proof:
        seed = node_hash(h, seed)
    return seed


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """Root implied by an inclusion proof (RFC 9162, 2.1.3.2).

    Parameters
    ----------
    index
        0-based index of the leaf.
    size
        Number of leaves in the tree the proof is for.
    leaf
        The 32-byte leaf hash.
    proof
        The audit path, lowest level first.

    Raises
    ------
    VerificationError
        If the index is outside the tree or a hash or the proof has the wrong length.
    """
    if not 0 <= index < size:
        raise VerificationError(f"leaf index {index} is outside a tree of {size} leaves")
    _check_hash(leaf, "leaf hash")
    for h in proof:
        _check_hash(h, "inclusion proof hash")
    inner, border = _decompose(index, size)
    if len(proof) != inner + border:
        raise VerificationError(
            f"inclusion proof for leaf {index} of {size} needs {inner + border} hashes, "
            f"got {len(proof)}"
        )
    return _chain_border_right(_chain_inner(leaf, proof[:inner], index), proof[inner:])


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf`` is at ``index`` in the tree of ``size`` leaves with ``root``.

    Raises
    ------
    VerificationError
        If the proof is malformed or does not lead to ``root``.
    """
    _check_hash(root, "root hash")
    if root_from_inclusion_proof(index, size, leaf, proof) != root:
        raise VerificationError(
            f"inclusion proof for leaf {index} does not lead to root {root.hex()} "
            f"of a tree of {size} leaves"
        )


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """Check that the tree of ``size2`` leaves extends the tree of ``size1`` (RFC 9162, 2.1.4.2).

    Equal sizes compare the two roots byte for byte, as upstream does (a published vector
    checks exactly that with roots that are not 32 bytes long).

    Raises
    ------
    VerificationError
        If the sizes are out of order, ``size1`` is 0, the proof is malformed, or either root
        does not match.
    """
    for h in proof:
        _check_hash(h, "consistency proof hash")
    if size2 < size1:
        raise VerificationError(f"tree size went backwards: {size1} -> {size2}")
    if size1 == 0:
        raise VerificationError("a consistency proof from the empty tree is meaningless")
    if size1 == size2:
        if proof:
            raise VerificationError(f"trees of equal size {size1} need an empty proof")
        if root1 != root2:
            raise VerificationError(f"two different roots for the same tree size {size1}")
        return
    _check_hash(root1, "first root hash")
    _check_hash(root2, "second root hash")
    if not proof:
        raise VerificationError(f"empty consistency proof from size {size1} to {size2}")

    inner, border = _decompose(size1 - 1, size2)
    shift = (size1 & -size1).bit_length() - 1
    inner -= shift
    if size1 == 1 << shift:
        seed, rest = root1, list(proof)
    else:
        seed, rest = proof[0], list(proof[1:])
    if len(rest) != inner + border:
        raise VerificationError(
            f"consistency proof from {size1} to {size2} has the wrong length {len(proof)}"
        )
    mask = (size1 - 1) >> shift
    hash1 = _chain_border_right(_chain_inner_right(seed, rest[:inner], mask), rest[inner:])
    if hash1 != root1:
        raise VerificationError(
            f"consistency proof does not reproduce the root {root1.hex()} of size {size1}"
        )
    hash2 = _chain_border_right(_chain_inner(seed, rest[:inner], mask), rest[inner:])
    if hash2 != root2:
        raise VerificationError(
            f"consistency proof does not reproduce the root {root2.hex()} of size {size2}"
        )
