"""The batch append path: the same entries give the same bytes, leaves, nodes, roots and signed
checkpoints as the code that wrote the ledgers in use, the file is written with
``synchronous=FULL``, and a batch is one transaction that a killed process never leaves half
written."""

from __future__ import annotations

import hashlib
from pathlib import Path

from conftest_ledger import KEY, NOW, ORIGIN, new_ledger

from auditor.ledger.entries import Entry
from auditor.ledger.events import hold_entry
from auditor.ledger.store import Ledger

# Computed by the append path as it was before batches were written with multi-row inserts
# (commit cf97af6): any change to an entry's bytes, a leaf, a stored node or a note shows here.
PINNED_SIZE = 5116
PINNED_ROOT = "9d742df2ec11b62393d532f1384bf1a470ff62353ff1a028c4a62292740b9be2"
PINNED_NOTE = (
    "court.example/hearings\n5116\nnXQt8uwRtiOT1TLxOEvxpHD/YjU/8aAoxKYiknQLm+I=\n\n"
    "— court.example/hearings Qn/gZzQYJF69WgZh5Ozw7Zzod4neaS/21q7o3dACmWdfFjmz2A9th/b4KNkQPFL7Ru"
    "FXWaOKU75UKGmrgZWtDoRFbgo=\n"
)
PINNED_ROWS = "09e36de48339b35292a56943a9ffa6d994540f03befd7d2668bee4af8fcefb49"
PINNED_NODES = "1c4f90392e7f8ea78278ec6c22d26ad414f6cbc5e2aa481b076b82606e4fb119"
PINNED_CHECKPOINTS = "30f3fcc359a0cc42740f72e20274d5f97d55e60732fffa0cda2092cc77361aca"


def _chunks(recording: int, start: int, n: int) -> list[Entry]:
    return [
        Entry("chunk", {"recording": recording, "index": i, "start": i * 960000,
                        "end": (i + 1) * 960000, "pcm_sha256": f"{i:064x}",
                        "bytes": None if i % 3 else {"offset": 44 + 2 * i, "length": 1920000,
                                                     "sha256": f"{7 * i:064x}"}})
        for i in range(start, start + n)
    ]  # fmt: skip


def _ingest(name: str) -> Entry:
    media = {"container": "wav", "codec": "pcm_s16le", "sample_rate": 16000, "channels": 1,
             "frames": 16000 * 3600, "bit_depth": 16, "pcm": "s16le"}  # fmt: skip
    session = {"court": "Sąd Rejonowy", "case": "II K 12/26"}
    return Entry("ingest", {"name": name, "size": 115_200_044, "sha256": "ab" * 32,
                            "media": media, "chunk_frames": 960000,
                            "session": session})  # fmt: skip


def _fill(led: Ledger) -> None:
    """Appends of many sizes (one leaf, ones that straddle powers of two, thousands) and
    entries whose JSON needs escapes, non-ASCII text, nested objects and lookup columns."""
    for n in (1, 5, 1000, 1, 4093, 7):
        led.append_at(_chunks(1, led.size, n), key=KEY, now=NOW)
    odd = hold_entry(1, by="clérk ☃ \U0001f512", reason='appeal "x"\n\t\\ \u2028 \x7f end')
    led.append_at([odd], key=KEY, now=NOW)
    led.append_at(lambda first: [_ingest("rozprawa 1.wav"), *_chunks(first, 0, 4)], key=KEY,
                  now=NOW)  # fmt: skip


def _digests(led: Ledger) -> tuple[str, str, str]:
    rows = hashlib.sha256()
    for r in led.rows():
        rows.update(repr((r.idx, r.type, r.recording, r.name, r.sha256)).encode())
        rows.update(len(r.data).to_bytes(4, "big") + r.data + r.leaf)
    nodes = hashlib.sha256()
    for level in range(led.size.bit_length()):
        for index, h in sorted(led.nodes(level, 0, led.size).items()):
            nodes.update(f"{level},{index},".encode() + h)
    notes = hashlib.sha256()
    for size, note in led.checkpoints():
        notes.update(f"{size}\n{note}".encode())
    return rows.hexdigest(), nodes.hexdigest(), notes.hexdigest()


def test_batches_write_what_the_previous_append_path_wrote(tmp_path: Path) -> None:
    with new_ledger(tmp_path / "l.db") as led:
        _fill(led)
        assert led.size == PINNED_SIZE
        assert led.node_count() == 2 * PINNED_SIZE - bin(PINNED_SIZE).count("1")
        assert led.root().hex() == PINNED_ROOT
        assert led.checkpoint() == PINNED_NOTE
        assert _digests(led) == (PINNED_ROWS, PINNED_NODES, PINNED_CHECKPOINTS)
        assert ORIGIN in led.checkpoint()
