"""Offline evidence bundles: a recording (or a span of it) with everything needed to check it.

A bundle is a BagIt bag (RFC 8493, see :mod:`._bag`) holding:

- ``data/<name>``: the recording as logged, or ``data/<stem>.chunks-<a>-<b>.wav``, the decoded
  samples of chunks ``a..b`` as a 32-bit float WAV, whose blocks hash exactly to those chunks;
- ``evidence/evidence.json`` (``auditor.bundle/1``): the recording's entries (ingest, every
  chunk, seal, lifecycle events) and all of the log's ``key`` entries, each as its canonical
  bytes with an RFC 9162 inclusion proof to the checkpoint;
- ``evidence/checkpoint.txt``: the C2SP signed checkpoint; ``evidence/key.pub``: its signer;
- ``evidence/cosignatures.txt`` and ``evidence/timestamp.tsr`` (when the ledger holds them): the
  witnesses' ``cosignature/v1`` lines over that checkpoint and an RFC 3161 token over its note
  (``evidence/timestamp-2.tsr``, ... from further TSAs; :mod:`.attest_check`), checked offline
  against a witnesses policy and a TSA certificate;
- ``evidence/fingerprint.json`` (``auditor.fingerprint/1``, when the recording has one): its
  content fingerprint, exactly the data of the logged ``fingerprint`` entry (which is among the
  bundled entries with its proof), for ``auditor compare BUNDLE COPY``.

:func:`verify_bundle` needs only the bundle (and, ideally, a public key the verifier trusts):
bag integrity, the key chain, the checkpoint signature, every inclusion proof, the recording's
structure, the fingerprint file against its logged entry and, finally, the payload's bytes or
decoded chunks against the logged hashes. :func:`bundle_reference` is that verification followed
by reading the fingerprint.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from ..errors import AuditorError, InputError, VerificationError
from ._bag import MAX_BUNDLE_BYTES, MAX_RATIO, Bag, open_bag, safe_name, write_bag
from ._merkle import leaf_hash, verify_inclusion
from .attest_check import bundle_tags, verify_bundle_attestations
from .entries import Entry
from .fingerprints import ADD_HINT, decode_fingerprint, latest_fingerprint
from .keys import KeyHistory
from .note import Checkpoint, VerifierKey
from .proofs import checked_inclusion_proof, signed_checkpoint
from .recording import logged_pcm
from .store import Ledger
from .structure import RecordingChecker, RecordingState
from .witnesses import WitnessPolicy

__all__ = ["BUNDLE_SCHEMA", "FINGERPRINT_FILE", "make_bundle", "verify_bundle",
           "bundle_reference"]

BUNDLE_SCHEMA = "auditor.bundle/1"
FINGERPRINT_FILE = "evidence/fingerprint.json"


def make_bundle(
    ledger: Ledger,
    source: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    start: float | None = None,
    end: float | None = None,
    as_zip: bool = False,
    now: datetime | None = None,
) -> Path:
    """Write an evidence bundle for the logged recording ``source``.

    Parameters
    ----------
    ledger
        The ledger that holds the recording (sealed).
    source
        The recording file; its bytes must be exactly those logged.
    out
        New folder, or new zip file when ``as_zip``.
    start, end
        Seconds: only the chunks overlapping ``[start, end)`` go in, as a float WAV excerpt.
    now
        Bagging date (default: today).

    Raises
    ------
    LedgerError
        If an inclusion proof does not lead to the root the latest checkpoint signs (a damaged
        ledger): nothing is written.
    """
    from .. import __version__
    from ..media import file_sha256

    spath = os.fspath(source)
    sha256 = file_sha256(spath)
    found = ledger.find_ingests(sha256=sha256)
    states = [s for s in (RecordingChecker.load(ledger, i) for i in found) if s.sealed]
    if not states:
        raise InputError(
            "this file is not a sealed recording in the ledger (its SHA-256 is unknown)",
            path=spath,
            hint="run `auditor ledger verify` on it to see what differs",
        )
    state = states[-1]
    size = ledger.size
    signed = signed_checkpoint(ledger, size)
    rows = dict(ledger.recording(state.index))
    rows.update({e.index: ledger.data(e.index) for e in ledger.key_history().events})
    entries = [
        {"index": i, "entry": base64.b64encode(data).decode(),
         "proof": [h.hex() for h in checked_inclusion_proof(ledger, i, size, signed)]}
        for i, data in sorted(rows.items())
    ]  # fmt: skip
    name = safe_name(f"data/{os.path.basename(spath)}")
    payload: dict[str, bytes | Path] = {}
    tmp = tempfile.TemporaryDirectory(prefix="auditor-excerpt-")
    with tmp:
        if start is None and end is None:
            payload[name] = Path(spath)
            kind: dict[str, Any] = {"path": name, "kind": "full"}
        else:
            first, last, excerpt = _excerpt(spath, state, start, end, Path(tmp.name))
            stem = os.path.splitext(os.path.basename(spath))[0]
            name = safe_name(f"data/{stem}.chunks-{first}-{last}.wav")
            payload[name] = excerpt
            kind = {"path": name, "kind": "excerpt", "first_chunk": first, "last_chunk": last}
        evidence = {"schema": BUNDLE_SCHEMA, "origin": ledger.origin, "tree_size": size,
                    "recording": state.index, "payload": kind, "entries": entries}  # fmt: skip
        checkpoint = ledger.checkpoint(size)
        signer = ledger.key_history().current(size)
        tags = {
            "evidence/evidence.json": json.dumps(evidence, indent=1, sort_keys=True).encode(),
            "evidence/checkpoint.txt": checkpoint.encode(),
            "evidence/key.pub": f"{signer}\n".encode(),
        }
        tags.update(bundle_tags(ledger, size))
        content = latest_fingerprint(state)
        if content is not None:
            fp_json = {**decode_fingerprint(content[1]).to_json(), "recording": state.index,
                       "entry": content[0], "origin": ledger.origin}
            tags[FINGERPRINT_FILE] = json.dumps(fp_json, indent=1, sort_keys=True).encode()
        date = (now or datetime.now(UTC)).date().isoformat()
        info = (f"Bagging-Date: {date}\nBag-Software-Agent: auditor {__version__}\n"
                f"External-Description: evidence for recording {state.index} "
                f"({os.path.basename(spath)}) of ledger {ledger.origin}\n")  # fmt: skip
        return write_bag(Path(out), payload, tags, info, as_zip=as_zip)


def _excerpt(
    path: str, state: Any, start: float | None, end: float | None, folder: Path
) -> tuple[int, int, Path]:
    import soundfile as sf

    from ..media import decode_blocks

    media, frames = state.ingest.fields["media"], state.ingest.fields["chunk_frames"]
    rate = int(media["sample_rate"])
    lo = max(0.0, start or 0.0)
    hi = end if end is not None else state.frames / rate
    first, last = int(lo * rate) // frames, (max(int(hi * rate) - 1, 0)) // frames
    last = min(last, len(state.chunks) - 1)
    if hi <= lo or first > last:
        raise InputError(f"empty time range {lo}-{hi} s for a recording of "
                         f"{state.frames / rate:.1f} s")  # fmt: skip
    out = folder / "excerpt.wav"
    pcm = logged_pcm(media)
    subtype = "PCM_16" if pcm == "s16le" else "FLOAT"
    with sf.SoundFile(out, "w", rate, int(media["channels"]), subtype, format="WAV") as snd:
        for i, block in enumerate(decode_blocks(path, block_frames=frames, pcm=pcm)):
            if first <= i <= last:
                snd.write(block)
    return first, last, out


def verify_bundle(
    path: str | os.PathLike[str],
    *,
    trusted_key: VerifierKey | None = None,
    on_check: Callable[[str], None] | None = None,
    max_bytes: int = MAX_BUNDLE_BYTES,
    max_ratio: float = MAX_RATIO,
    witnesses: WitnessPolicy | None = None,
    tsa_certs: Sequence[object] | None = None,
) -> list[str]:
    """Verify an evidence bundle offline; return the checks made, in order.

    With ``witnesses``, the bundled cosignatures must meet the policy's quorum; with
    ``tsa_certs``, the bundled RFC 3161 token must verify with that TSA certificate.

    A zip bundle is read where it lies, never unpacked; ``max_bytes`` and ``max_ratio`` cap its
    declared uncompressed size and each entry's compression ratio (see :mod:`._bag`).

    Raises
    ------
    VerificationError
        With the first check that failed.
    InputError
        If ``path`` is not a folder or zip file, or a zip exceeds a limit or is damaged.
    """
    checks: list[str] = []

    def passed(text: str) -> None:
        checks.append(text)
        if on_check is not None:
            on_check(text)

    _verified(path, trusted_key, passed, max_bytes, max_ratio, witnesses, tsa_certs)
    return checks


def _verified(path: str | os.PathLike[str], trusted: VerifierKey | None,
              passed: Callable[[str], None], max_bytes: int, max_ratio: float,
              witnesses: WitnessPolicy | None = None, tsa_certs: Sequence[object] | None = None,
              ) -> tuple[RecordingState, dict[str, Any], Checkpoint]:
    with open_bag(path, max_bytes=max_bytes, max_ratio=max_ratio) as (bag, bag_checks):
        for text in bag_checks:
            passed(text)
        try:
            found = _verify_evidence(bag, trusted, passed)
            if witnesses is not None or tsa_certs is not None:
                verify_bundle_attestations(bag.read, list(bag.names),
                                           bag.read("evidence/checkpoint.txt").decode("utf-8"),
                                           found[2].size, policy=witnesses, tsa_certs=tsa_certs,
                                           passed=passed)  # fmt: skip
            return found
        except (KeyError, TypeError, ValueError) as exc:
            raise VerificationError(f"evidence.json is malformed: {exc!r}") from None
        except AuditorError as exc:
            if isinstance(exc, VerificationError):
                raise
            raise VerificationError(exc.what) from None


def bundle_reference(path: str | os.PathLike[str], *,
                     trusted_key: VerifierKey | None = None) -> tuple[Any, dict[str, Any]]:
    """The logged fingerprint of a bundle's recording, once the whole bundle verifies.

    Returns the :class:`~auditor.compare.Fingerprint` and what a report records of its source:
    the bundle's SHA-256 (of the zip, or of a folder's tag manifest), the ledger's origin, tree
    size and checkpoint, the fingerprint entry's index and the checks made.

    Raises
    ------
    InputError
        If the bundle does not verify (the check that failed is in the message), or holds no
        fingerprint (a recording logged without one).
    """
    from ..media import file_sha256

    checks: list[str] = []
    try:
        state, evidence, checkpoint = _verified(path, trusted_key, checks.append,
                                                MAX_BUNDLE_BYTES, MAX_RATIO)
    except AuditorError as exc:
        raise InputError(f"the evidence bundle does not verify: {exc.what}",
                         path=os.fspath(path),
                         hint="see every check with `auditor bundle verify BUNDLE`; compare "
                              "against an intact copy of the bundle") from None
    found = latest_fingerprint(state)
    if found is None:
        raise InputError(
            f"the bundle holds no content fingerprint of recording {state.index} "
            f"({state.ingest.fields['name']}): it was logged without one", path=os.fspath(path),
            hint=f"{ADD_HINT}, then make the bundle again with `auditor ledger bundle`, or "
                 "compare against the original recording")
    where = Path(path)
    digest = file_sha256(where if where.is_file() else where / "tagmanifest-sha256.txt")
    facts = {"kind": "bundle", "path": os.fspath(path), "sha256": digest,
             "sha256_of": "zip" if where.is_file() else "tagmanifest-sha256.txt",
             "origin": evidence["origin"], "tree_size": checkpoint.size,
             "root": checkpoint.root.hex(), "recording": state.index,
             "name": state.ingest.fields["name"],
             "media": state.ingest.fields["media"],
             "recording_sha256": state.ingest.fields["sha256"], "fingerprint_entry": found[0],
             "authenticated": trusted_key is not None, "checks": checks}
    return decode_fingerprint(found[1]), facts


def _verify_evidence(bag: Bag, trusted: VerifierKey | None, passed: Callable[[str], None],
                     ) -> tuple[RecordingState, dict[str, Any], Checkpoint]:
    for required in ("evidence/evidence.json", "evidence/checkpoint.txt", "evidence/key.pub"):
        if required not in bag.names:
            raise VerificationError(f"bundle lacks {required}")
    evidence = json.loads(bag.read("evidence/evidence.json").decode("utf-8"))
    if evidence.get("schema") != BUNDLE_SCHEMA:
        raise VerificationError(f"not an {BUNDLE_SCHEMA} bundle: {evidence.get('schema')!r}")
    origin, size = str(evidence["origin"]), int(evidence["tree_size"])
    entries = {int(e["index"]): base64.b64decode(e["entry"], validate=True)
               for e in evidence["entries"]}  # fmt: skip
    history = KeyHistory.from_entries(
        origin, [(i, d) for i, d in sorted(entries.items()) if Entry.decode(d).type == "key"]
    )
    signer = history.current(size)
    bundled = VerifierKey.parse(bag.read("evidence/key.pub").decode("utf-8"))
    if bundled != signer:
        raise VerificationError(
            f"key.pub {bundled} is not the key in use at size {size} ({signer})"
        )
    if trusted is None:
        passed(f"key chain: NOT authenticated (no trusted key given); the bundle's own key "
               f"{signer} was taken as found")  # fmt: skip
    elif not history.knows(trusted):
        raise VerificationError(f"the bundle is not signed by the trusted key {trusted}")
    else:
        passed(
            f"key chain: the trusted key {trusted.key_id.hex()} leads to signer "
            f"{signer.key_id.hex()}"
        )
    checkpoint = Checkpoint.open(bag.read("evidence/checkpoint.txt").decode("utf-8"), signer,
                                 origin=origin)  # fmt: skip
    if checkpoint.size != size:
        raise VerificationError(f"checkpoint is for size {checkpoint.size}, evidence claims {size}")
    passed(f"checkpoint: Ed25519 signature by {signer.name}+{signer.key_id.hex()} over size {size}")
    for e in evidence["entries"]:
        index = int(e["index"])
        proof = [bytes.fromhex(h) for h in e["proof"]]
        try:
            verify_inclusion(index, size, leaf_hash(entries[index]), proof, checkpoint.root)
        except VerificationError as exc:
            raise VerificationError(f"entry {index}: {exc.what}") from None
    passed(f"inclusion proofs: {len(entries)} entries are in the signed tree")
    problems: list[str] = []
    checker = RecordingChecker(lambda message, **_: problems.append(message))
    for index, data in sorted(entries.items()):
        checker.add(index, Entry.decode(data), leaf_hash(data))
    state = checker.states.get(int(evidence["recording"]))
    if problems or state is None or not state.sealed:
        raise VerificationError("; ".join(problems) or "the recording's ingest or seal is missing")
    passed(f"recording {state.index}: {len(state.chunks)} chunks match the seal's Merkle root")
    if FINGERPRINT_FILE in bag.names:
        _verify_fingerprint_file(bag.read(FINGERPRINT_FILE), state, passed)
    payload = evidence["payload"]
    target = safe_name(payload["path"])
    if target not in bag.digests or not target.startswith("data/"):
        raise VerificationError(f"payload {payload['path']} is missing")
    if payload["kind"] == "full":
        if bag.digests[target] != state.ingest.fields["sha256"]:
            raise VerificationError(f"{payload['path']}: SHA-256 differs from the ingest entry")
        passed(f"payload: {payload['path']} has the logged size and SHA-256")
    else:
        with bag.open(target) as stream:
            _verify_excerpt(stream, state, int(payload["first_chunk"]),
                            int(payload["last_chunk"]))  # fmt: skip
        passed(f"payload: excerpt chunks {payload['first_chunk']}-{payload['last_chunk']} "
               "hash to the logged chunks")  # fmt: skip
    return state, evidence, checkpoint


def _verify_fingerprint_file(raw: bytes, state: RecordingState,
                             passed: Callable[[str], None]) -> None:
    try:
        data = json.loads(raw.decode("utf-8"))["data"]
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError):
        raise VerificationError(f"{FINGERPRINT_FILE} is not an auditor.fingerprint/1 "
                                "object") from None
    logged = [i for i, e in state.fingerprints if e.fields["data"] == data]
    if not logged:
        raise VerificationError(f"{FINGERPRINT_FILE} is not the fingerprint logged for "
                                f"recording {state.index}")
    passed(f"fingerprint: {FINGERPRINT_FILE} is the one logged in entry {logged[-1]}")


def _verify_excerpt(path: IO[bytes], state: Any, first: int, last: int) -> None:
    import hashlib

    import soundfile as sf

    frames = state.ingest.fields["chunk_frames"]
    if not 0 <= first <= last < len(state.chunks):
        raise VerificationError(f"excerpt chunks {first}-{last} are not in the recording")
    try:
        snd = sf.SoundFile(path)
    except Exception as exc:  # noqa: BLE001 - libsndfile's errors are not one class
        raise VerificationError(f"the excerpt is not a readable WAV: {exc}") from None
    dtype, fmt = ("int16", "<i2") if logged_pcm(state.ingest.fields["media"]) == "s16le" else (
        "float32", "<f4")
    with snd:
        for i in range(first, last + 1):
            block = snd.read(frames, dtype=dtype, always_2d=True)
            digest = hashlib.sha256(block.astype(fmt, copy=False).tobytes()).hexdigest()
            if digest != state.chunks[i].fields["pcm_sha256"]:
                raise VerificationError(f"excerpt chunk {i} does not hash to the logged chunk")
        if snd.read(1, dtype="float32").shape[0]:
            raise VerificationError("the excerpt holds more audio than its chunks")
