"""Ed25519 keys and signatures: the only module that touches ``cryptography.hazmat``.

Signatures are Ed25519 (RFC 8032). Private keys are stored as PKCS #8 PEM (RFC 5958 / RFC 7468),
encrypted with the library's best available scheme when a passphrase is given. Public keys are
handled as their 32 raw bytes; formatting them as C2SP verifier keys is :mod:`.note`'s job.

Private key material never appears in an error message, a ``repr`` or a log line.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ..errors import InputError, VerificationError

__all__ = [
    "PUBLIC_KEY_SIZE",
    "SIGNATURE_SIZE",
    "SigningKey",
    "verify_signature",
    "check_public_key",
]

PUBLIC_KEY_SIZE = 32
SIGNATURE_SIZE = 64


class SigningKey:
    """An Ed25519 private key that can sign and say its public key, and nothing else.

    Build one with :meth:`generate`, :meth:`from_seed` (tests: a fixed key from bytes) or
    :meth:`load` (a PEM file written by :meth:`save`).
    """

    __slots__ = ("_key",)

    def __init__(self, key: Ed25519PrivateKey) -> None:
        self._key = key

    def __repr__(self) -> str:
        return f"SigningKey(public={self.public_bytes().hex()})"

    @classmethod
    def generate(cls) -> SigningKey:
        """A new random key from the operating system's CSPRNG."""
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_seed(cls, seed: bytes) -> SigningKey:
        """The key whose 32-byte RFC 8032 private seed is ``seed``."""
        if len(seed) != 32:
            raise InputError(f"an Ed25519 seed is 32 bytes, got {len(seed)}")
        return cls(Ed25519PrivateKey.from_private_bytes(seed))

    @classmethod
    def from_pem(
        cls, data: bytes, passphrase: bytes | None = None, *, path: str = ""
    ) -> SigningKey:
        """Parse a PKCS #8 PEM private key, decrypting it with ``passphrase`` if encrypted.

        Raises
        ------
        InputError
            If the passphrase is wrong or missing, the file is truncated or not a key, or the key
            is not Ed25519.
        """
        where = path or None
        try:
            key = serialization.load_pem_private_key(data, password=passphrase)
        except TypeError as exc:
            if passphrase is None:
                raise InputError(
                    "the private key is passphrase-protected",
                    path=where,
                    hint="set AUDITOR_KEY_PASSPHRASE or run in a terminal to be prompted",
                ) from None
            raise InputError(
                "the private key is not encrypted but a passphrase was given",
                path=where,
                hint="unset AUDITOR_KEY_PASSPHRASE for this key",
            ) from exc
        except ValueError:
            if passphrase is not None and b"ENCRYPTED" in data:
                raise InputError(
                    "wrong passphrase for the private key (or the file is damaged)",
                    path=where,
                    hint="check AUDITOR_KEY_PASSPHRASE",
                ) from None
            raise InputError(
                "not a readable PEM private key (truncated or damaged?)",
                path=where,
                hint="use the file written by `auditor keygen`",
            ) from None
        except UnsupportedAlgorithm:
            raise InputError(
                "unsupported private key algorithm", path=where, hint="use `auditor keygen`"
            ) from None
        if not isinstance(key, Ed25519PrivateKey):
            raise InputError(
                f"expected an Ed25519 private key, got {type(key).__name__.lstrip('_')}",
                path=where,
                hint="create one with `auditor keygen`",
            )
        return cls(key)

    @classmethod
    def load(cls, path: str | os.PathLike[str], passphrase: bytes | None = None) -> SigningKey:
        """Read a key written by :meth:`save`."""
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read the private key: {exc.strerror}", path=path) from None
        return cls.from_pem(data, passphrase, path=os.fspath(path))

    def to_pem(self, passphrase: bytes | None = None) -> bytes:
        """PKCS #8 PEM, encrypted when ``passphrase`` is given."""
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(passphrase)
            if passphrase
            else serialization.NoEncryption()
        )
        return self._key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
        )

    def save(self, path: str | os.PathLike[str], passphrase: bytes | None = None) -> None:
        """Write the key to a new file with mode 0600; never overwrite an existing file."""
        data = self.to_pem(passphrase)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise InputError(
                "refusing to overwrite an existing key file", path=path, hint="choose a new name"
            ) from None
        except OSError as exc:
            raise InputError(f"cannot create the key file: {exc.strerror}", path=path) from None
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)

    def public_bytes(self) -> bytes:
        """The 32-byte raw Ed25519 public key."""
        return self._key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    def sign(self, message: bytes) -> bytes:
        """The 64-byte Ed25519 signature of ``message`` (deterministic, RFC 8032)."""
        return self._key.sign(message)


def check_public_key(public: bytes) -> None:
    """Raise :class:`InputError` unless ``public`` is a valid 32-byte Ed25519 public key."""
    if len(public) != PUBLIC_KEY_SIZE:
        raise InputError(f"an Ed25519 public key is {PUBLIC_KEY_SIZE} bytes, got {len(public)}")
    try:
        Ed25519PublicKey.from_public_bytes(public)
    except ValueError:
        raise InputError(f"not a valid Ed25519 public key: {public.hex()}") from None


def verify_signature(public: bytes, signature: bytes, message: bytes) -> None:
    """Check an Ed25519 signature.

    Raises
    ------
    VerificationError
        If the key or signature is malformed or the signature does not verify.
    """
    if len(signature) != SIGNATURE_SIZE:
        raise VerificationError(
            f"an Ed25519 signature is {SIGNATURE_SIZE} bytes, got {len(signature)}"
        )
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
    except (InvalidSignature, ValueError):
        raise VerificationError(
            f"Ed25519 signature does not verify with public key {public.hex()}"
        ) from None
