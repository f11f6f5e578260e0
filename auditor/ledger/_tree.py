"""Growing a Merkle log and generating its proofs from stored complete subtrees.

A log of ``n`` leaves is kept as its *complete subtrees*: node ``(level, index)`` is the hash of
leaves ``[index * 2**level, (index + 1) * 2**level)``, stored once when its last leaf arrives and
never changed afterwards (the "compact range" / tile idea of transparency-dev). Any subtree hash
RFC 9162 asks for is then at most O(log n) stored nodes folded together, so inclusion and
consistency proofs cost O(log n) reads whatever the size of the log.

This module does no I/O: it works through a ``get(level, index) -> bytes`` callable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from hashlib import sha256
from itertools import repeat

from ._merkle import EMPTY_ROOT, NODE_PREFIX, node_hash

__all__ = ["Frontier", "NodeGetter", "subtree_nodes", "inclusion_proof", "consistency_proof"]

NodeGetter = Callable[[int, int], bytes]


def _split(n: int) -> int:
    """Largest power of two strictly below ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


def subtree_nodes(lo: int, hi: int) -> Iterator[tuple[int, int]]:
    """The complete subtrees ``(level, index)`` whose concatenation is leaves ``[lo, hi)``.

    Greedy from the left: the largest aligned subtree that starts at ``lo`` and fits. For the
    ranges RFC 9162's recursion produces, folding their hashes from the right gives MTH.
    """
    while lo < hi:
        level = (lo & -lo).bit_length() - 1 if lo else (hi - lo).bit_length() - 1
        while lo + (1 << level) > hi:
            level -= 1
        yield level, lo >> level
        lo += 1 << level


def _edge_levels(size: int) -> list[int]:
    """Levels of the complete subtrees :func:`subtree_nodes` ``(0, size)`` gives, left to right."""
    return [level for level in range(size.bit_length() - 1, -1, -1) if (size >> level) & 1]


def _range_hash(get: NodeGetter, lo: int, hi: int) -> bytes:
    nodes = [get(level, index) for level, index in subtree_nodes(lo, hi)]
    if not nodes:
        return EMPTY_ROOT
    acc = nodes[-1]
    for h in reversed(nodes[:-1]):
        acc = node_hash(h, acc)
    return acc


def inclusion_proof(get: NodeGetter, index: int, size: int) -> list[bytes]:
    """Audit path PATH(m, D[n]) of RFC 9162 section 2.1.3.1, lowest level first.

    Parameters
    ----------
    get
        Returns the stored hash of complete subtree ``(level, index)``.
    index, size
        The leaf (0-based) and the tree size; ``0 <= index < size``.
    """
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is outside a tree of {size} leaves")
    path: list[bytes] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            path.append(_range_hash(get, lo + k, hi))
            hi = lo + k
        else:
            path.append(_range_hash(get, lo, lo + k))
            lo += k
    path.reverse()
    return path


def consistency_proof(get: NodeGetter, size1: int, size2: int) -> list[bytes]:
    """Consistency proof PROOF(m, D[n]) of RFC 9162 section 2.1.4.1.

    Parameters
    ----------
    get
        Returns the stored hash of complete subtree ``(level, index)``.
    size1, size2
        The older and newer tree sizes, ``0 < size1 <= size2``.
    """
    if not 0 < size1 <= size2:
        raise ValueError(f"no consistency proof from size {size1} to {size2}")
    proof: list[bytes] = []
    lo, hi, m, complete = 0, size2, size1, True
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            proof.append(_range_hash(get, lo + k, hi))
            hi = lo + k
        else:
            proof.append(_range_hash(get, lo, lo + k))
            lo, m, complete = lo + k, m - k, False
    if not complete:
        proof.append(_range_hash(get, lo, hi))
    proof.reverse()
    return proof


class Frontier:
    """The right edge of a growing tree: one complete subtree root per set bit of its size.

    Appending a leaf returns the new complete nodes to store, so the log's node table grows by
    exactly the nodes that became complete (on average one per leaf).

    Parameters
    ----------
    size
        Number of leaves already in the tree.
    roots
        Hashes of the complete subtrees of :func:`subtree_nodes` ``(0, size)``, left to right.
    """

    def __init__(self, size: int = 0, roots: Iterable[bytes] = ()) -> None:
        self.size = size
        self._roots = list(roots)
        if len(self._roots) != bin(size).count("1"):
            raise ValueError(f"a tree of {size} leaves has {bin(size).count('1')} edge roots")

    @classmethod
    def load(cls, get: NodeGetter, size: int) -> Frontier:
        """Read the edge of a stored tree of ``size`` leaves."""
        return cls(size, [get(level, index) for level, index in subtree_nodes(0, size)])

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add one leaf hash; return the ``(level, index, hash)`` nodes it completed."""
        index = self.size
        new = [(0, index, leaf)]
        h, level = leaf, 0
        while (index >> level) & 1:
            h = node_hash(self._roots.pop(), h)
            level += 1
            new.append((level, index >> level, h))
        self._roots.append(h)
        self.size += 1
        return new

    def extend(self, leaves: Sequence[bytes]) -> list[tuple[int, int, bytes]]:
        """Add many leaf hashes; return every ``(level, index, hash)`` node they completed.

        The same nodes as :meth:`append` leaf by leaf, computed a level at a time: the new nodes
        of a level are paired left to right (the first with the edge root of that level when it
        is a right child) into the new nodes of the level above; an unpaired last node is the
        new edge root of its level. Returned level by level, lowest first.
        """
        size = self.size + len(leaves)
        old = dict(zip(_edge_levels(self.size), self._roots, strict=True))
        out: list[tuple[int, int, bytes]] = []
        edge: dict[int, bytes] = {}
        new, first, level = list(leaves), self.size, 0
        while new:
            out.extend(zip(repeat(level), range(first, first + len(new)), new, strict=False))
            edge[level] = new[-1]
            if first & 1:  # the first new node is a right child: its sibling is an edge root
                new.insert(0, old[level])
                first -= 1
            pairs = zip(new[::2], new[1::2], strict=False)  # an odd last node waits
            new = [sha256(NODE_PREFIX + a + b).digest() for a, b in pairs]
            first >>= 1
            level += 1
        # an edge root of the new size either was made above or was already an edge root
        self._roots = [edge[lv] if lv in edge else old[lv] for lv in _edge_levels(size)]
        self.size = size
        return out

    def root(self) -> bytes:
        """The Merkle Tree Hash of the leaves so far."""
        if not self._roots:
            return EMPTY_ROOT
        acc = self._roots[-1]
        for h in reversed(self._roots[:-1]):
            acc = node_hash(h, acc)
        return acc
