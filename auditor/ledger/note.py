"""C2SP signed notes, verifier keys and tlog checkpoints.

- Signed note (https://c2sp.org/signed-note): UTF-8 text ending in a newline, a blank line, then
  one line per signature, ``— <key name> base64(key ID || signature)``. The key ID of an Ed25519
  key is the first 4 bytes of ``SHA-256(name || 0x0A || 0x01 || public key)``.
- Verifier key: ``<name>+<hex key ID>+base64(0x01 || public key)``.
- Checkpoint (https://c2sp.org/tlog-checkpoint): a note whose text is the log's origin, its size
  in decimal and its base64 root hash, one per line, then optional extension lines.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError, VerificationError
from ._merkle import HASH_SIZE
from ._signing import SigningKey, check_public_key, verify_signature

__all__ = [
    "ED25519_TYPE",
    "VerifierKey",
    "Checkpoint",
    "key_id",
    "sign_note",
    "open_note",
]

ED25519_TYPE = 0x01
_DASH = "\u2014 "
_MAX_SIGNATURES = 100
_NAME = re.compile(r"[^\s+]+")
_DECIMAL = re.compile(r"0|[1-9][0-9]{0,19}")


def _b64decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise VerificationError(f"{what} is not standard base64: {text[:60]!r}") from None


def key_id(name: str, public: bytes, sig_type: int = ED25519_TYPE) -> bytes:
    """The 4-byte C2SP key ID of a key named ``name``: ``SHA-256(name || 0x0A || type ||
    public key)[:4]`` (c2sp.org/signed-note; type 0x01 a note signer, 0x04 a cosigner)."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([sig_type]) + public).digest()[:4]


@dataclass(frozen=True)
class VerifierKey:
    """A named Ed25519 public key, as C2SP's ``name+keyid+base64`` verifier key string."""

    name: str
    public: bytes

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name):
            raise InputError(f"key name must be non-empty, without spaces or '+': {self.name!r}")
        check_public_key(self.public)

    @property
    def key_id(self) -> bytes:
        """The 4-byte key ID."""
        return key_id(self.name, self.public)

    def __str__(self) -> str:
        blob = base64.b64encode(bytes([ED25519_TYPE]) + self.public).decode()
        return f"{self.name}+{self.key_id.hex()}+{blob}"

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> VerifierKey:
        """Read a verifier key file (``KEYFILE.pub``); errors name the file, never its text."""
        spath = os.fspath(path)
        try:
            text = Path(spath).read_text("utf-8")
        except OSError as exc:
            raise InputError(f"cannot read the public key: {exc.strerror}", path=spath) from None
        except UnicodeDecodeError:
            raise InputError("not a verifier key (not UTF-8 text)", path=spath,
                             hint="use the .pub file written by `auditor keygen`") from None
        try:
            return cls.parse(text)
        except InputError as exc:
            hint = (f"give the public key {spath}.pub that `auditor keygen` wrote beside it; "
                    "a private key belongs only to commands that sign"
                    if exc.what.startswith("this is a private key") else exc.hint)
            raise InputError(exc.what, path=spath, hint=hint) from None

    @classmethod
    def parse(cls, text: str) -> VerifierKey:
        """Parse a verifier key string, checking its type byte and key ID.

        Raises
        ------
        InputError
            If the string is malformed, not Ed25519, or its key ID does not match.
        """
        # the text may be a secret given by mistake (a private key, a password file): it is
        # described, never quoted, in an error
        if "PRIVATE KEY" in text:
            raise InputError(
                "this is a private key, not a public verifier key",
                hint="give the public key instead: the KEYFILE.pub that `auditor keygen` wrote "
                "beside it; a private key belongs only to commands that sign",
            )
        parts = text.strip().split("+", 2)
        if len(parts) != 3 or not re.fullmatch(r"[0-9a-f]{8}", parts[1]):
            raise InputError(
                f"not a verifier key (expected one line NAME+KEYID+BASE64; got "
                f"{len(text.splitlines())} line(s), {len(text)} characters)",
                hint="use the .pub file written by `auditor keygen`",
            )
        try:
            blob = base64.b64decode(parts[2].encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError):
            raise InputError(
                f"verifier key {parts[0]!r}: the key is not standard base64",
                hint="use the .pub file written by `auditor keygen`",
            ) from None
        if not blob or blob[0] != ED25519_TYPE:
            raise InputError(
                f"verifier key {parts[0]!r} is not an Ed25519 key (type byte "
                f"{blob[:1].hex() or 'missing'})"
            )
        key = cls(parts[0], blob[1:])
        if key.key_id.hex() != parts[1]:
            raise InputError(
                f"verifier key {parts[0]!r} claims key ID {parts[1]}, "
                f"but its key gives {key.key_id.hex()}"
            )
        return key


def sign_note(text: str, name: str, key: SigningKey) -> str:
    """Sign ``text`` as a C2SP note with one Ed25519 signature by ``key`` named ``name``."""
    _check_text(text)
    vkey = VerifierKey(name, key.public_bytes())
    sig = base64.b64encode(vkey.key_id + key.sign(text.encode())).decode()
    return f"{text}\n{_DASH}{name} {sig}\n"


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise InputError("a note's text must end with a newline")
    if any((ord(c) < 0x20 and c != "\n") or c == "\x7f" for c in text):
        raise InputError("a note's text must not contain control characters")


def open_note(note: str, verifier: VerifierKey) -> str:
    """Verify a signed note with ``verifier`` and return its text.

    Signatures by other keys are skipped, as the specification requires; at least one signature
    must be by ``verifier`` (same name and key ID) and every such signature must verify.

    Raises
    ------
    VerificationError
        If the note is malformed or carries no valid signature by ``verifier``.
    """
    cut = note.rfind("\n\n")
    if cut < 0 or not note.endswith("\n"):
        raise VerificationError("not a signed note: no blank line before the signatures")
    text, lines = note[: cut + 1], note[cut + 2 :].splitlines()
    try:
        _check_text(text)
    except InputError as exc:
        raise VerificationError(exc.what) from None
    if not lines or len(lines) > _MAX_SIGNATURES:
        raise VerificationError(f"a signed note needs 1..{_MAX_SIGNATURES} signature lines")
    found = False
    for line in lines:
        if not line.startswith(_DASH):
            raise VerificationError(f"malformed signature line: {line[:80]!r}")
        name, _, blob = line[len(_DASH) :].partition(" ")
        raw = _b64decode(blob, f"signature by {name!r}")
        if len(raw) < 5:
            raise VerificationError(f"signature by {name!r} is too short")
        if name != verifier.name or raw[:4] != verifier.key_id:
            continue
        verify_signature(verifier.public, raw[4:], text.encode())
        found = True
    if not found:
        raise VerificationError(
            f"no signature by key {verifier.name}+{verifier.key_id.hex()} on this note",
            hint="check that you hold the right public key for this ledger",
        )
    return text


@dataclass(frozen=True)
class Checkpoint:
    """A tlog checkpoint: the log's origin, its size and its root hash."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin:
            raise InputError(f"checkpoint origin must be one non-empty line: {self.origin!r}")
        if self.size < 0:
            raise InputError(f"checkpoint size must be >= 0, got {self.size}")
        if len(self.root) != HASH_SIZE:
            raise InputError(f"checkpoint root must be {HASH_SIZE} bytes, got {len(self.root)}")

    def body(self) -> str:
        """The note text: origin, size, base64 root, extension lines."""
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode()]
        return "\n".join([*lines, *self.extensions]) + "\n"

    def sign(self, key: SigningKey, name: str | None = None) -> str:
        """The signed checkpoint note; the key name defaults to the origin."""
        return sign_note(self.body(), name or self.origin, key)

    @classmethod
    def from_body(cls, text: str) -> Checkpoint:
        """Parse a checkpoint's note text.

        Raises
        ------
        VerificationError
            If a line is missing or the size or root is malformed.
        """
        lines = text.split("\n")
        if len(lines) < 4 or lines[-1] != "" or any(not line for line in lines[3:-1]):
            raise VerificationError("a checkpoint needs origin, size and root hash lines")
        if not _DECIMAL.fullmatch(lines[1]):
            raise VerificationError(f"checkpoint size is not a decimal number: {lines[1]!r}")
        root = _b64decode(lines[2], "checkpoint root hash")
        try:
            return cls(lines[0], int(lines[1]), root, tuple(lines[3:-1]))
        except InputError as exc:
            raise VerificationError(exc.what) from None

    @classmethod
    def open(cls, note: str, verifier: VerifierKey, origin: str | None = None) -> Checkpoint:
        """Verify a signed checkpoint note and parse it; check its origin if given."""
        checkpoint = cls.from_body(open_note(note, verifier))
        if origin is not None and checkpoint.origin != origin:
            raise VerificationError(
                f"checkpoint is for log {checkpoint.origin!r}, expected {origin!r}"
            )
        return checkpoint
