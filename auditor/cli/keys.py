"""``auditor keygen``, and reading a private key with its passphrase from a person.

A passphrase comes from ``$AUDITOR_KEY_PASSPHRASE`` when it is set, else from a prompt on a
terminal; the library (:mod:`auditor.ledger.keyfiles`) only reads files.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from ..errors import InputError
from ..ledger.keyfiles import is_encrypted, read_signing_key

__all__ = ["keygen", "signing_key", "PASSPHRASE_ENV"]

PASSPHRASE_ENV = "AUDITOR_KEY_PASSPHRASE"


def _passphrase(path: str) -> bytes | None:
    """The passphrase of an existing key: none for an unencrypted key; else from the
    environment, else a prompt on a terminal (else none, and loading says what to do)."""
    if not is_encrypted(path):
        return None
    env = os.environ.get(PASSPHRASE_ENV)
    if env:
        return env.encode()
    if sys.stdin.isatty():
        return click.prompt(f"Passphrase for {path}", hide_input=True).encode()
    return None


def _new_passphrase(path: str) -> bytes:
    """The passphrase of a new key: the environment's, else typed twice on a terminal."""
    env = os.environ.get(PASSPHRASE_ENV)
    if env:
        return env.encode()
    if not sys.stdin.isatty():
        raise InputError(
            f"no passphrase for the new key: not on a terminal and ${PASSPHRASE_ENV} is not set",
            path=path,
            hint=f"run it in a terminal to type one, set ${PASSPHRASE_ENV}, or pass "
            "--no-encrypt to write the key unencrypted (anyone who can read it can sign)",
        )
    return click.prompt(f"Passphrase for {path}", hide_input=True,
                        confirmation_prompt=True).encode()  # fmt: skip


def signing_key(path: str) -> Any:
    """Read a private key, asking for its passphrase (environment, else prompt) when needed."""
    return read_signing_key(path, _passphrase(path))


@click.command()
@click.argument("keyfile", type=click.Path(dir_okay=False))
@click.option("--name", help="Key name (default: auditor.local/ and the file's stem).")
@click.option(
    "--encrypt/--no-encrypt",
    " /--no-passphrase",
    default=True,
    show_default=True,
    help="Passphrase-protect the key. --no-encrypt (or --no-passphrase) writes it unencrypted.",
)
def keygen(keyfile: str, name: str | None, encrypt: bool) -> None:
    """Create an Ed25519 signing key (mode 0600) and its public key KEYFILE.pub.

    The key is encrypted with a passphrase: from $AUDITOR_KEY_PASSPHRASE when it is set, else
    typed twice at a prompt. Without a terminal and without the variable, keygen stops (exit 2)
    rather than write an unencrypted key; --no-encrypt writes one on purpose, and says so.
    Commands that sign read the passphrase the same way (the variable, else a prompt).

    \b
    Example:
      auditor keygen court.key --name court.example/hearings
      AUDITOR_KEY_PASSPHRASE=... auditor keygen court.key    # unattended, encrypted
      auditor keygen test.key --no-encrypt                   # unencrypted, for tests only
    """
    from ..ledger._signing import SigningKey
    from ..ledger.note import VerifierKey

    name = name or f"auditor.local/{Path(keyfile).stem}"
    for existing in (keyfile, keyfile + ".pub"):
        if os.path.lexists(existing):
            raise InputError("refusing to overwrite an existing key file", path=existing,
                             hint="choose a new name")  # fmt: skip
    passphrase = _new_passphrase(keyfile) if encrypt else None
    key = SigningKey.generate()
    vkey = VerifierKey(name, key.public_bytes())
    key.save(keyfile, passphrase)
    Path(keyfile + ".pub").write_text(f"{vkey}\n", encoding="utf-8")
    click.echo(f"wrote {keyfile} (private, mode 0600{', encrypted' if encrypt else ''}) "
               f"and {keyfile}.pub\n{vkey}")  # fmt: skip
    if not encrypt:
        click.echo(f"auditor: warning: {keyfile} is NOT encrypted: anyone who can read it can "
                   f"sign as {name}; keep it where only you can read it", err=True)  # fmt: skip
