"""Fingerprint a recording logged without one, and read a logged fingerprint as a reference.

:func:`add_fingerprint_at` decodes the file again; every chunk of its decoded audio must hash
as logged, so the new ``fingerprint`` entry (:mod:`.fingerprints`) is provably of the logged
audio. :func:`ledger_reference` hands ``auditor compare`` and ``auditor ledger verify
--copy-of`` the fingerprint of a recording, with its inclusion proof checked against the
signed checkpoint.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..errors import InputError, LedgerError
from ._merkle import leaf_hash
from .fingerprints import (
    ADD_HINT,
    decode_fingerprint,
    fingerprint_entry,
    latest_fingerprint,
)
from .structure import RecordingChecker, RecordingState

if TYPE_CHECKING:
    from ..compare import Fingerprint
    from ._signing import SigningKey
    from .store import Ledger

__all__ = ["sealed_recording", "add_fingerprint_at", "ledger_reference"]


def sealed_recording(ledger: Ledger, *, name: str | None = None,
                     sha256: str | None = None) -> RecordingState:
    """The newest sealed recording logged with this file name (or these bytes).

    Raises
    ------
    InputError
        If the ledger holds no sealed recording of that name (or bytes).
    """
    found = ledger.find_ingests(sha256=sha256) if sha256 else []
    if not found and name is not None:
        found = ledger.find_ingests(name=name)
    states = [s for s in (RecordingChecker.load(ledger, i) for i in found) if s.sealed]
    if not states:
        what = f"no sealed recording named {name!r}" if name else "no sealed recording"
        raise InputError(f"the ledger holds {what}", path=ledger.path,
                         hint="give the recording's file name as the ledger logged it "
                              "(auditor ledger verify --format json lists them)")
    return states[-1]


def add_fingerprint_at(ledger: Ledger, path: str | os.PathLike[str], *, key: SigningKey,
                       now: datetime | None = None) -> tuple[int, int | None]:
    """Log a fingerprint for a recording logged without one, from the file's audio.

    The recording is found by the file's bytes, else by its name; every chunk of the file's
    decoded audio must hash as logged. Returns ``(recording, index of the new entry)``, the
    index None when the recording already has a fingerprint (nothing is appended).

    Raises
    ------
    InputError
        If the file is not a logged recording, or its audio differs from the logged chunks
        (nothing is appended).
    """
    from ..media import file_sha256, probe
    from .recording import fingerprint_lane, hash_chunks, logged_pcm

    spath = os.fspath(path)
    state = sealed_recording(ledger, name=os.path.basename(spath), sha256=file_sha256(spath))
    if latest_fingerprint(state) is not None:
        return state.index, None
    fields = state.ingest.fields
    info = probe(spath)
    if (info.sample_rate, info.channels) != (fields["media"]["sample_rate"],
                                             fields["media"]["channels"]):
        raise _differs(spath, state, "its sample rate or channels differ")
    leaves = []
    with fingerprint_lane(info.sample_rate) as printer:
        for chunk in hash_chunks(spath, chunk_frames=fields["chunk_frames"], info=info,
                                 pcm=logged_pcm(fields["media"]),
                                 on_block=lambda b: printer.update(b, 0)):
            logged = (state.chunks[chunk.index].fields if chunk.index < len(state.chunks)
                      else None)
            if logged is None or (logged["start"], logged["end"], logged["pcm_sha256"]) != (
                    chunk.start, chunk.end, chunk.pcm_sha256):
                raise _differs(spath, state, f"chunk {chunk.index} does not hash as logged")
            leaves.append(state.leaves[chunk.index])
        if len(leaves) != len(state.chunks):
            raise _differs(spath, state, f"it holds {len(leaves)} of the {len(state.chunks)} "
                                         "logged chunks")
        content = printer.finish()
    entry = fingerprint_entry(state.index, 0, len(leaves) - 1, leaves, content)
    try:
        (index,) = ledger.append_at([entry], key=key, now=now or datetime.now(UTC))
    except LedgerError as exc:
        raise LedgerError(f"{exc.what}: no fingerprint was added", path=exc.path,
                          hint=exc.hint) from None
    return state.index, index


def _differs(path: str, state: RecordingState, why: str) -> InputError:
    return InputError(
        f"the file's audio is not the audio logged as recording {state.index} "
        f"({state.ingest.fields['name']}): {why}; no fingerprint was added",
        path=path, hint="fingerprint the file that was logged (`auditor ledger verify LEDGER.db "
                        "FILE` shows what differs)")


def ledger_reference(ledger_path: str, name: str) -> tuple[Fingerprint, dict[str, Any]]:
    """The fingerprint of recording ``name`` in a ledger (opened read-only), with what a
    report records of it: the ledger's origin, size and signed checkpoint, and the entry's
    inclusion proof checked against that checkpoint's root.

    Raises
    ------
    InputError
        If the recording is not logged or has no fingerprint.
    LedgerError
        If the ledger cannot be read, or the entry is not in its signed tree.
    """
    from .proofs import checked_inclusion_proof, signed_checkpoint
    from .store import Ledger

    with Ledger.open(ledger_path) as led:
        state = sealed_recording(led, name=name)
        found = latest_fingerprint(state)
        if found is None:
            raise InputError(f"recording {state.index} ({name}) was logged without a content "
                             "fingerprint", path=ledger_path, hint=ADD_HINT)
        index, entry = found
        size = led.size
        signed = signed_checkpoint(led, size)
        proof = checked_inclusion_proof(led, index, size, signed)
        facts = {"kind": "ledger", "path": ledger_path, "origin": led.origin, "name": name,
                 "recording": state.index, "recording_sha256": state.ingest.fields["sha256"],
                 "fingerprint_entry": index, "leaf_hash": leaf_hash(led.data(index)).hex(),
                 "media": state.ingest.fields["media"],
                 "inclusion_proof": [h.hex() for h in proof], "tree_size": size,
                 "root": signed.root.hex(), "checkpoint": led.checkpoint(size)}
    return decode_fingerprint(entry), facts
