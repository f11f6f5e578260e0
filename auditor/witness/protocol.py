"""The C2SP tlog-witness ``add-checkpoint`` call, without HTTP: a request body in, a status code
and a response body out.

Following https://c2sp.org/tlog-witness, the body is an ``old <size>`` line, up to 63 base64
consistency-proof lines, an empty line and a signed checkpoint. The witness answers

- 400 a malformed body, an old size past the checkpoint's size, or a size past 2^63-1;
- 404 a checkpoint of a log (origin) it does not witness;
- 403 no signature by a key it accepts for that log, or one by such a key that does not verify
  (even beside a valid one by another of the log's keys);
- 409 an old size that is not the size it last cosigned for the log; the body is that size and a
  newline, with ``Content-Type: text/x.tlog.size``;
- 409 too, as plain text saying why, a checkpoint of the size it last cosigned with another root
  (the specification: "If the old size matches the checkpoint size, the witness MUST check that
  the root hashes are also identical. If they don't match, the witness MUST respond with a 409
  Conflict"); a client tells the two apart by the content type;
- 422 a consistency proof that does not verify (or a proof from size 0, or a tree of size 0 whose
  root is not the empty tree's): the log is not the one it saw before, and the body says why;
- 200 one ``cosignature/v1`` signature line, once the checkpoint is stored as the latest.

Every refusal's body is one line of plain text that says why.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from ..errors import AuditorError, VerificationError
from ..ledger._merkle import EMPTY_ROOT, HASH_SIZE, verify_consistency
from ..ledger._signing import SigningKey
from ..ledger.cosignature import cosign, signature_lines
from ..ledger.note import Checkpoint, VerifierKey, open_note
from ..ledger.witnessing import SIZE_TYPE
from .store import Latest, WitnessDB

__all__ = ["MAX_BODY", "MAX_PROOF", "SIZE_TYPE", "Reply", "add_checkpoint"]

MAX_BODY = 64 * 1024
MAX_PROOF = 63
_MAX_SIZE = 2**63 - 1  # what SQLite's INTEGER holds; no real log comes near it
_TEXT = "text/plain; charset=utf-8"
_OLD = re.compile(r"old (0|[1-9][0-9]{0,19})")


@dataclass(frozen=True)
class Reply:
    """An HTTP answer: status code, body, content type."""

    status: int
    body: str
    content_type: str = _TEXT


class _Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


def _parse(raw: bytes) -> tuple[int, list[bytes], str]:
    """``(old size, proof, signed note)`` of a request body (400 if malformed)."""
    if len(raw) > MAX_BODY:
        raise _Refused(413, f"the request body is over {MAX_BODY} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _Refused(400, "the request body is not UTF-8 text") from None
    head, sep, note = text.partition("\n\n")
    if not sep:
        raise _Refused(400, "no empty line between the old size and proof lines and the "
                            "checkpoint")  # fmt: skip
    lines = head.split("\n")
    match = _OLD.fullmatch(lines[0])
    if match is None:
        raise _Refused(400, f"the first line must be 'old <size>' in decimal: {lines[0][:40]!r}")
    if len(lines) - 1 > MAX_PROOF:
        raise _Refused(400, f"{len(lines) - 1} consistency proof lines; at most {MAX_PROOF}")
    proof = []
    for number, line in enumerate(lines[1:], 2):
        try:
            digest = base64.b64decode(line.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError):
            raise _Refused(400, f"proof line {number} is not base64") from None
        if len(digest) != HASH_SIZE:
            raise _Refused(400, f"proof line {number} is {len(digest)} bytes, not {HASH_SIZE}")
        proof.append(digest)
    return int(match.group(1)), proof, note


def _checkpoint(db: WitnessDB, note: str) -> Checkpoint:
    """The checkpoint of ``note``, its log signature checked (400, 404, 403)."""
    try:
        body, _ = signature_lines(note)
        parsed = Checkpoint.from_body(body)
    except VerificationError as exc:
        raise _Refused(400, f"not a signed checkpoint: {exc.what}") from None
    keys = db.log_keys(parsed.origin)
    if not keys:
        raise _Refused(404, f"unknown log {parsed.origin!r}: this witness does not witness it")
    claimed = [key for key in keys if _claims(note, key)]
    if not claimed:
        raise _Refused(403, f"no signature by a key of log {parsed.origin!r} "
                            f"({', '.join(str(k) for k in keys)})")  # fmt: skip
    for key in claimed:  # every line by a trusted key must verify (c2sp.org/signed-note)
        try:
            open_note(note, key)
        except VerificationError as exc:
            raise _Refused(403, f"the signature by {key.name}+{key.key_id.hex()} of log "
                                f"{parsed.origin!r} does not verify: {exc.what}") from None
    return parsed


def _claims(note: str, key: VerifierKey) -> bool:
    """Whether a signature line of ``note`` names ``key`` (its name and key ID)."""
    _, lines = signature_lines(note)
    for line in lines:
        name, _, blob = line.removeprefix("\u2014 ").partition(" ")
        try:
            raw = base64.b64decode(blob.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError):
            continue
        if line.startswith("\u2014 ") and name == key.name and raw[:4] == key.key_id:
            return True
    return False


def _check_consistency(old: int, proof: list[bytes], new: Checkpoint,
                       latest: Latest | None) -> None:
    """Raise :class:`_Refused` (422; 409 for another root at the size cosigned) unless ``new``
    extends what was cosigned at ``old``."""
    if new.size == 0 and new.root != EMPTY_ROOT:
        raise _Refused(422, "a checkpoint of size 0 must have the empty tree's root")
    if latest is not None and new.size == latest.size and new.root != latest.root:
        raise _Refused(409, f"another root at size {new.size}, which this witness cosigned "
                            f"with root {latest.root.hex()}: a split view")
    if old == 0:
        if proof:
            raise _Refused(422, "a consistency proof from size 0 must be empty")
        return
    assert latest is not None  # old == the stored size > 0
    try:
        verify_consistency(old, new.size, proof, latest.root, new.root)
    except VerificationError as exc:
        raise _Refused(422, f"not consistent with the checkpoint of size {old} this witness "
                            f"cosigned ({latest.root.hex()}): {exc.what}") from None


def add_checkpoint(db: WitnessDB, key: SigningKey, name: str, raw: bytes,
                   now: datetime | None = None) -> Reply:
    """Answer one ``add-checkpoint`` request body ``raw`` as witness ``name`` with ``key``.

    The check of the old size against the latest cosigned checkpoint, and the update, are one
    transaction. A correctly signed checkpoint that is refused is kept with the reason.
    """
    now = now or datetime.now(UTC)
    checkpoint = None
    try:
        old, proof, note = _parse(raw)
        checkpoint = _checkpoint(db, note)
        if checkpoint.size > _MAX_SIZE:
            raise _Refused(400, f"a tree size past 2^63-1 ({checkpoint.size}) is not accepted")
        if old > checkpoint.size:
            raise _Refused(400, f"old size {old} is past the checkpoint's size {checkpoint.size}")
        with db.transaction():
            latest = db.latest(checkpoint.origin)
            have = latest.size if latest else 0
            if old != have:
                return Reply(409, f"{have}\n", SIZE_TYPE)
            _check_consistency(old, proof, checkpoint, latest)
            body, _ = signature_lines(note)  # the text as the log signed it, byte for byte
            line = cosign(body, name, key, max(1, int(now.timestamp()))).line()
            db.set_latest(checkpoint.origin, Latest(checkpoint.size, checkpoint.root,
                                                    note + line), now)  # fmt: skip
        return Reply(200, line)
    except _Refused as exc:
        if checkpoint is not None and exc.status in (400, 409, 422):
            db.refuse(checkpoint.origin, exc.status, exc.reason, note, now)
        return Reply(exc.status, exc.reason + "\n")
    except AuditorError as exc:
        return Reply(400, exc.what + "\n")
