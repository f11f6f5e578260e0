"""C2SP tlog-cosignature ``cosignature/v1`` (Ed25519): a witness's timestamped statement that a
checkpoint is the largest consistent tree head it has seen for that log.

Following https://c2sp.org/tlog-cosignature:

- A cosignature is a signed-note signature line ``— <witness name> base64(key ID || timestamp ||
  signature)``: the 4-byte key ID, the 8-byte big-endian POSIX time, the 64-byte Ed25519
  signature.
- The key ID is ``SHA-256(name || 0x0A || 0x04 || public key)[:4]``; the type byte 0x04 keeps a
  cosigner key apart from a note-signing key (0x01) of the same name.
- The signed message is ``cosignature/v1\\n``, ``time <decimal>\\n``, then the checkpoint's whole
  note text (with its extension lines and final newline, without any signature line).

A cosignature dated more than :data:`MAX_SKEW` seconds past the verifier's clock is rejected
(the specification lets verifiers reject cosignatures from the future): a witness whose clock
runs ahead, or a line made to look later than it was, cannot vouch for the checkpoint's time.
So is a cosignature dated 0, which the specification forbids a witness to return.

A cosigner key is written as a verifier key of type 0x04 (``name+keyid+base64(0x04 || key)``);
a type 0x01 key of the same Ed25519 key is accepted too and read as the cosigner key
(transparency-dev/formats ``VKeyToCosignatureV1`` does the same).
"""

from __future__ import annotations

import base64
import binascii
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..errors import InputError, VerificationError
from ._signing import SIGNATURE_SIZE, SigningKey, check_public_key, verify_signature
from .note import ED25519_TYPE, key_id

__all__ = [
    "COSIGNATURE_TYPE",
    "HEADER",
    "MAX_SKEW",
    "Cosignature",
    "CosignerKey",
    "cosign",
    "cosignature_message",
    "signature_lines",
    "verified_by",
]

COSIGNATURE_TYPE = 0x04
HEADER = "cosignature/v1"
_DASH = "\u2014 "
_MAX_TIME = 2**63 - 1
#: seconds a cosignature's time may be ahead of the verifier's clock (clocks drift)
MAX_SKEW = 600
_NAME = re.compile(r"[^\s+]+")
_BLOB = 4 + 8 + SIGNATURE_SIZE


def cosignature_message(body: str, timestamp: int) -> bytes:
    """The bytes a ``cosignature/v1`` signs: header line, time line, the checkpoint's text."""
    if not 0 <= timestamp <= _MAX_TIME:
        raise InputError(f"a cosignature time must be 0..2^63-1, got {timestamp}")
    if not body.endswith("\n") or len(body.split("\n")) < 4:
        raise InputError("a cosigned checkpoint's text needs origin, size and root lines")
    return f"{HEADER}\ntime {timestamp}\n{body}".encode()


@dataclass(frozen=True)
class CosignerKey:
    """A witness's named Ed25519 public key, for ``cosignature/v1``."""

    name: str
    public: bytes

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name):
            raise InputError(f"witness name must be non-empty, without spaces or '+': "
                             f"{self.name!r}")  # fmt: skip
        check_public_key(self.public)

    @property
    def key_id(self) -> bytes:
        """The 4-byte key ID, with signature type 0x04."""
        return key_id(self.name, self.public, COSIGNATURE_TYPE)

    def __str__(self) -> str:
        blob = base64.b64encode(bytes([COSIGNATURE_TYPE]) + self.public).decode()
        return f"{self.name}+{self.key_id.hex()}+{blob}"

    @classmethod
    def parse(cls, text: str) -> CosignerKey:
        """Parse a verifier key of type 0x04 (or 0x01, the same Ed25519 key as a note signer).

        Raises
        ------
        InputError
            If the string is malformed, of another type, or its key ID does not match.
        """
        if "PRIVATE KEY" in text:
            raise InputError("this is a private key, not a witness's public key",
                             hint="give the witness's .pub file or the key it printed")
        parts = text.strip().split("+", 2)
        if len(parts) != 3 or not re.fullmatch(r"[0-9a-f]{8}", parts[1]):
            raise InputError("not a verifier key (expected NAME+KEYID+BASE64)")
        try:
            blob = base64.b64decode(parts[2].encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError):
            raise InputError(f"verifier key {parts[0]!r}: the key is not standard base64") from None
        if not blob or blob[0] not in (COSIGNATURE_TYPE, ED25519_TYPE):
            raise InputError(f"verifier key {parts[0]!r} is neither a cosignature/v1 (0x04) nor "
                             f"an Ed25519 (0x01) key (type byte {blob[:1].hex() or 'missing'})")
        key = cls(parts[0], blob[1:])
        expected = key_id(key.name, key.public, blob[0])
        if expected.hex() != parts[1]:
            raise InputError(f"verifier key {parts[0]!r} claims key ID {parts[1]}, but its key "
                             f"gives {expected.hex()}")  # fmt: skip
        return key


@dataclass(frozen=True)
class Cosignature:
    """One parsed ``cosignature/v1`` signature line (not yet verified)."""

    name: str
    key_id: bytes
    timestamp: int
    signature: bytes

    @classmethod
    def parse(cls, line: str) -> Cosignature:
        """Parse ``— <name> base64(key ID || u64 time || signature)``.

        Raises
        ------
        VerificationError
            If the line is not a signature line of a cosignature's length.
        """
        if not line.startswith(_DASH):
            raise VerificationError(f"not a note signature line: {line[:80]!r}")
        name, _, blob = line[len(_DASH) :].rstrip("\n").partition(" ")
        try:
            raw = base64.b64decode(blob.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError):
            raise VerificationError(f"signature by {name!r} is not standard base64") from None
        if len(raw) != _BLOB:
            raise VerificationError(f"signature by {name!r} is {len(raw)} bytes, not a "
                                    f"cosignature/v1 ({_BLOB})")  # fmt: skip
        timestamp = int.from_bytes(raw[4:12], "big")
        if timestamp > _MAX_TIME:
            raise VerificationError(f"cosignature by {name!r} has a time past 2^63-1")
        return cls(name, raw[:4], timestamp, raw[12:])

    def line(self) -> str:
        """The signature line, with its final newline."""
        raw = self.key_id + self.timestamp.to_bytes(8, "big") + self.signature
        return f"{_DASH}{self.name} {base64.b64encode(raw).decode()}\n"

    def by(self, key: CosignerKey) -> bool:
        """Whether this line claims to be by ``key`` (same name and key ID)."""
        return self.name == key.name and self.key_id == key.key_id

    def verify(self, body: str, key: CosignerKey, *, now: float | None = None) -> None:
        """Check this cosignature over the checkpoint text ``body`` with ``key``, at POSIX time
        ``now`` (default: the clock).

        Raises
        ------
        VerificationError
            If the line is not by ``key``, its signature does not verify, or it is dated 0 or
            more than :data:`MAX_SKEW` seconds after ``now``.
        """
        if not self.by(key):
            raise VerificationError(f"the cosignature by {self.name!r} is not by witness key "
                                    f"{key.name}+{key.key_id.hex()}")  # fmt: skip
        try:
            verify_signature(key.public, self.signature, cosignature_message(body, self.timestamp))
        except (VerificationError, InputError) as exc:
            raise VerificationError(f"cosignature by {key.name}: {exc.what}") from None
        now = time.time() if now is None else now
        if self.timestamp == 0:
            raise VerificationError(f"cosignature by {key.name} carries no time (0), which "
                                    "c2sp.org/tlog-witness forbids")  # fmt: skip
        if self.timestamp > now + MAX_SKEW:
            raise VerificationError(
                f"cosignature by {key.name} is dated {self.timestamp}, "
                f"{self.timestamp - int(now)} s ahead of this computer's clock (at most "
                f"{MAX_SKEW} s is allowed): the witness's clock or this one is wrong")


def cosign(body: str, name: str, key: SigningKey, timestamp: int) -> Cosignature:
    """The ``cosignature/v1`` of checkpoint text ``body`` by ``key`` named ``name`` at
    ``timestamp`` (POSIX seconds; the clock is the caller's, so tests are reproducible)."""
    ckey = CosignerKey(name, key.public_bytes())
    return Cosignature(name, ckey.key_id, timestamp,
                       key.sign(cosignature_message(body, timestamp)))  # fmt: skip


def signature_lines(note: str) -> tuple[str, list[str]]:
    """Split a signed note into its text and its signature lines (unverified)."""
    cut = note.rfind("\n\n")
    if cut < 0 or not note.endswith("\n"):
        raise VerificationError("not a signed note: no blank line before the signatures")
    return note[: cut + 1], note[cut + 2 :].splitlines()


def verified_by(body: str, lines: Iterable[str], keys: Sequence[CosignerKey], *,
                now: float | None = None) -> dict[str, int]:
    """``{witness name: timestamp}`` of the ``keys`` with a valid cosignature among ``lines``
    (checked at POSIX time ``now``, default the clock: see :meth:`Cosignature.verify`).

    Lines by other keys (and lines that are not cosignatures) are skipped, as the specification
    requires of a client; a line that names one of ``keys`` and does not verify raises.
    """
    found: dict[str, int] = {}
    for line in lines:
        try:
            cosig = Cosignature.parse(line)
        except VerificationError:
            continue
        for key in keys:
            if cosig.by(key):
                cosig.verify(body, key, now=now)
                found[key.name] = max(found.get(key.name, 0), cosig.timestamp)
    return found
