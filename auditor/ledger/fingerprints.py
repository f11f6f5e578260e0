"""Content fingerprints in the ledger: one ``fingerprint`` entry per recording.

A fingerprint (:mod:`auditor.compare`, Haitsma and Kalker 2002) lets a transcoded copy -- an
MP3 handed to a party -- be compared with the logged recording although no chunk hash of the
copy can match. ``ledger add`` computes it from the same decode that hashes the chunks and
appends it after the seal, in the same signed append. A recording logged before fingerprints
existed gets one later with :func:`add_fingerprint_at`: the file is decoded again and its
chunk hashes must all equal the logged ones, so the fingerprint is provably of the logged
audio; the entry names those chunks and their Merkle root (:mod:`.content`). Nothing is ever
rewritten.

One entry per recording (not a fingerprint in every chunk entry) keeps the chunk and seal
entries, and so the verification of every ledger written before, exactly as they were, needs
one inclusion proof to bring the fingerprint into an evidence bundle, and is the same entry
whether written at ``ledger add`` or later.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ._merkle import tree_hash
from .entries import Entry
from .structure import FINGERPRINT_METHOD, RecordingState

if TYPE_CHECKING:
    from ..compare import Fingerprint
    from ..compare.stream import BlockFingerprinter

__all__ = ["FINGERPRINT_STRIDE", "new_fingerprinter", "fingerprint_entry", "decode_fingerprint",
           "latest_fingerprint", "ADD_HINT"]

#: a sub-fingerprint every 10 x 20 ms = 0.2 s: about 1.4 KB per minute, under 2 KB in base64
FINGERPRINT_STRIDE = 10
ADD_HINT = "add one with `auditor ledger add LEDGER.db FILE --fingerprint-only --signing-key KEY`"


def new_fingerprinter(rate: int) -> BlockFingerprinter:
    """A fingerprinter for blocks of ``rate`` Hz (numpy and scipy load only here)."""
    from ..compare.stream import BlockFingerprinter

    return BlockFingerprinter(rate, stride=FINGERPRINT_STRIDE)


def fingerprint_entry(recording: int, first: int, last: int, leaves: Sequence[bytes],
                      fingerprint: Fingerprint) -> Entry:
    """The ``fingerprint`` entry of chunks ``first..last`` whose leaf hashes are ``leaves``
    (all the recording's chunk leaves, in order)."""
    return Entry("fingerprint", {
        "recording": recording, "first_chunk": first, "last_chunk": last,
        "chunks_root": tree_hash(list(leaves[first:last + 1])).hex(),
        "method": FINGERPRINT_METHOD, "stride": fingerprint.stride,
        "data": base64.b64encode(fingerprint.to_bytes()).decode("ascii"),
    })  # fmt: skip


def decode_fingerprint(entry: Entry) -> Fingerprint:
    """The :class:`~auditor.compare.Fingerprint` an entry holds."""
    from ..compare import Fingerprint

    return Fingerprint.from_base64(entry.fields["data"])


def latest_fingerprint(state: RecordingState) -> tuple[int, Entry] | None:
    """The newest fingerprint entry covering every chunk of the recording, if any."""
    whole = [(i, e) for i, e in state.fingerprints
             if e.fields["first_chunk"] == 0 and e.fields["last_chunk"] == len(state.chunks) - 1]
    return whole[-1] if whole else None
