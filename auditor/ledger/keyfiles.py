"""Key files on disk: the ledger's private signing key and the public key a verifier trusts.

The library reads them; asking a person for a passphrase is the command line's job, which
passes it in (``auditor.cli.keys``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import InputError

__all__ = ["is_encrypted", "read_signing_key", "read_verifier_key", "origin_of"]


def is_encrypted(path: str) -> bool:
    """Whether the private key file at ``path`` is passphrase-protected (False if unreadable:
    reading it then says why)."""
    try:
        with open(path, "rb") as fh:
            return b"ENCRYPTED" in fh.read(64)
    except OSError:
        return False


def read_signing_key(path: str, passphrase: bytes | None) -> Any:
    """The private signing key at ``path`` (PKCS#8 PEM), decrypted with ``passphrase``."""
    from ._signing import SigningKey

    if not Path(path).is_file():
        raise InputError("no such key file", path=path, hint="create one with `auditor keygen`")
    return SigningKey.load(path, passphrase)


def read_verifier_key(path: str) -> Any:
    """A public key (C2SP verifier key, as ``auditor keygen`` writes to ``KEYFILE.pub``)."""
    from .note import VerifierKey

    return VerifierKey.read(path)


def origin_of(keyfile: str) -> str:
    """The log name a key implies: the name in ``KEYFILE.pub`` when it exists, else
    ``auditor.local/`` and the file's stem."""
    pub = Path(keyfile + ".pub")
    return read_verifier_key(str(pub)).name if pub.is_file() \
        else f"auditor.local/{Path(keyfile).stem}"
