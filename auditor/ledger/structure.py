"""Check that each recording's entries fit together: ingest, contiguous chunks, one seal.

A recording's chunks must follow its ``ingest`` with consecutive indices and frame spans that
tile the audio (every chunk ``chunk_frames`` long but the last); its ``seal`` must count them,
carry the Merkle Tree Hash of their leaf hashes (RFC 9162, 2.1.1), the frame total and the
file's SHA-256; lifecycle entries must name an ingested recording; a ``destruction`` must carry
a valid Ed25519 signature of its statement by the authorising key it names; a ``fingerprint``
must follow the seal and name chunks of the recording and their Merkle Tree Hash.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import AuditorError
from ..findings import Finding
from ._merkle import leaf_hash, tree_hash
from ._signing import verify_signature
from .entries import Entry, statement
from .note import VerifierKey

__all__ = ["RecordingState", "RecordingChecker", "check_destruction", "fingerprint_problem"]

FINGERPRINT_METHOD = "haitsma-kalker-2002/1"
_FINGERPRINT_MAGIC = b"AUFP\x01"

Report = Callable[..., None]


@dataclass
class RecordingState:
    """A recording's entries as the log holds them."""

    index: int
    ingest: Entry
    chunks: list[Entry] = field(default_factory=list)
    leaves: list[bytes] = field(default_factory=list)
    seal: Entry | None = None
    events: list[tuple[int, Entry]] = field(default_factory=list)
    fingerprints: list[tuple[int, Entry]] = field(default_factory=list)

    @property
    def sealed(self) -> bool:
        """Whether a seal entry closed the recording."""
        return self.seal is not None

    @property
    def frames(self) -> int:
        """Frames covered by the chunks so far."""
        return int(self.chunks[-1].fields["end"]) if self.chunks else 0


def check_destruction(entry: Entry) -> None:
    """Raise :class:`~auditor.errors.AuditorError` unless the destruction is properly signed."""
    key = VerifierKey.parse(entry.fields["authorizer"])
    try:
        raw = base64.b64decode(entry.fields["signature"], validate=True)
    except ValueError:
        raise AuditorError("the destruction's signature is not base64") from None
    verify_signature(key.public, raw, statement(entry))


def fingerprint_problem(fields: Any) -> str | None:
    """What is wrong with a fingerprint entry's method and data (None: nothing), without
    decoding the fingerprint (its bytes are covered by the leaf hash like any other field)."""
    if fields["method"] != FINGERPRINT_METHOD:
        return f"uses method {fields['method']!r}, this auditor knows {FINGERPRINT_METHOD!r}"
    try:
        raw = base64.b64decode(fields["data"], validate=True)
    except ValueError:
        return "holds data that is not base64"
    if raw[:5] != _FINGERPRINT_MAGIC or len(raw) < 7 or raw[5] != fields["stride"]:
        return "holds data that is not a version-1 fingerprint of its stride"
    return None


class RecordingChecker:
    """Feed entries in log order with :meth:`add`; problems go to ``report(message, **kw)``."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.states: dict[int, RecordingState] = {}

    @classmethod
    def load(cls, ledger: Any, index: int) -> RecordingState:
        """The state of the recording whose ingest is entry ``index`` (problems not reported)."""
        checker = cls(lambda *a, **k: None)
        for idx, data in ledger.recording(index):
            checker.add(idx, Entry.decode(data), leaf_hash(data))
        return checker.states[index]

    def add(self, idx: int, entry: Entry, leaf: bytes) -> None:
        """Check one entry against what came before."""
        if entry.type == "key":
            return
        if entry.type == "ingest":
            self.states[idx] = RecordingState(idx, entry)
            return
        rec = entry.fields["recording"]
        state = self.states.get(rec)
        if state is None:
            self.report(f"entry {idx} ({entry.type}) names recording {rec}, which is not an "
                        "earlier ingest", index=idx)  # fmt: skip
            return
        if entry.type == "chunk":
            self._chunk(idx, state, entry, leaf)
        elif entry.type == "seal":
            self._seal(idx, state, entry)
        elif entry.type == "fingerprint":
            self._fingerprint(idx, state, entry)
        else:
            if entry.type == "destruction":
                try:
                    check_destruction(entry)
                except AuditorError as exc:
                    self.report(f"entry {idx} (destruction): {exc.what}", index=idx)
            state.events.append((idx, entry))

    def _chunk(self, idx: int, state: RecordingState, entry: Entry, leaf: bytes) -> None:
        f, size = entry.fields, state.ingest.fields["chunk_frames"]
        problem = None
        if state.sealed:
            problem = "comes after the recording's seal"
        elif f["index"] != len(state.chunks):
            problem = f"has index {f['index']}, expected {len(state.chunks)}"
        elif f["start"] != state.frames or not 0 < f["end"] - f["start"] <= size:
            problem = f"spans frames {f['start']}-{f['end']}, expected to start at {state.frames}"
        elif (
            state.chunks
            and state.chunks[-1].fields["end"] - state.chunks[-1].fields["start"] != size
        ):
            problem = "follows a short (final) chunk"
        if problem:
            self.report(f"entry {idx}: chunk of recording {state.index} {problem}", index=idx)
        state.chunks.append(entry)
        state.leaves.append(leaf)

    def _seal(self, idx: int, state: RecordingState, entry: Entry) -> None:
        f = entry.fields
        expected = {"chunks": len(state.chunks), "root": tree_hash(state.leaves).hex(),
                    "frames": state.frames, "sha256": state.ingest.fields["sha256"]}  # fmt: skip
        wrong = [k for k, v in expected.items() if f[k] != v]
        if state.sealed:
            wrong.append("duplicate seal")
        if wrong:
            self.report(f"entry {idx}: seal of recording {state.index} disagrees with its "
                        f"chunks ({', '.join(wrong)})", index=idx)  # fmt: skip
        state.seal = state.seal or entry

    def _fingerprint(self, idx: int, state: RecordingState, entry: Entry) -> None:
        f = entry.fields
        first, last = f["first_chunk"], f["last_chunk"]
        problem: str | None
        if not state.sealed:
            problem = "comes before the recording's seal"
        elif not 0 <= first <= last < len(state.chunks):
            problem = f"names chunks {first}-{last} of {len(state.chunks)}"
        elif f["chunks_root"] != tree_hash(state.leaves[first:last + 1]).hex():
            problem = f"does not carry the Merkle root of chunks {first}-{last}"
        else:
            problem = fingerprint_problem(f)
        if problem:
            self.report(f"entry {idx}: fingerprint of recording {state.index} {problem}",
                        index=idx)  # fmt: skip
            return
        state.fingerprints.append((idx, entry))

    def finish(self) -> list[Finding]:
        """One ``unsealed`` finding per recording that was ingested but never sealed."""
        return [
            Finding(
                "unsealed",
                s.ingest.fields["name"],
                None,
                None,
                "warning",
                1.0,
                "ledger",
                f"recording {s.index} ({s.ingest.fields['name']}) was ingested but never "
                f"sealed: {len(s.chunks)} chunks logged, the add did not finish",
                {"recording": s.index, "chunks": len(s.chunks)},
            )
            for s in self.states.values()
            if not s.sealed
        ]
