"""``auditor bundle verify`` (also ``auditor ledger bundle-verify``): an evidence bundle checked
offline, with no database."""

from __future__ import annotations

import sys
from typing import Any

import click

from ..errors import InputError, VerificationError
from ..ledger.check import NOT_AUTHENTICATED, unauthenticated
from ..ledger.keyfiles import read_verifier_key
from ._options import Finite, spelling_used, trust_options
from .attest import verify_attest_options

__all__ = ["bundle", "bundle_verify", "trusted_key_or_none", "unauthenticated_hint"]


def trusted_key_or_none(pubkey: str | None, no_key: bool) -> Any:
    """The key given with ``--trusted-key``, or None (the caller then needs ``--no-key``)."""
    if pubkey and no_key:
        used = spelling_used("--trusted-key", "--key", "pubkey")
        raise InputError(f"give either {used} or --no-key, not both")
    return read_verifier_key(pubkey) if pubkey else None


def unauthenticated_hint(error: InputError) -> InputError:
    """The library's "not authenticated" error, its hint naming this command line's options."""
    error.hint = ("give the signer's public key you trust with --trusted-key KEYFILE.pub "
                  "(formerly --key), or --no-key to accept a consistency-only check")
    return error


@click.group("bundle")
def bundle() -> None:
    """Evidence bundles made by `auditor ledger bundle`.

    `auditor bundle verify` and `auditor ledger bundle-verify` are the same command.

    \b
    Example:
      auditor bundle verify part1-evidence.zip --trusted-key court.key.pub
    """


class ByteSize(click.ParamType):
    """A size in bytes: a whole number with an optional K, M, G or T (powers of 1024)."""

    name = "SIZE"
    _UNITS = {"": 0, "K": 10, "M": 20, "G": 30, "T": 40}

    def convert(self, value: Any, param: Any, ctx: Any) -> int:
        if isinstance(value, int):
            return value
        text = str(value).strip().upper().removesuffix("B").removesuffix("I")
        unit = text[-1:] if text[-1:] in self._UNITS else ""
        number = text[: len(text) - len(unit)]
        if not number.isdigit():
            self.fail(f"expected a size such as 500M or 200G, got {value!r}", param, ctx)
        return int(number) << self._UNITS[unit]


@bundle.command("verify")
@click.argument("path", metavar="BUNDLE", type=click.Path())
@trust_options
@click.option("--max-size", type=ByteSize(), default="64G", show_default=True,
              help="Refuse a zip bundle that would unpack to more (a zip is never unpacked to "
                   "disk, but every byte is read).")  # fmt: skip
@click.option("--max-ratio", type=Finite(min=1.0), default=200.0, show_default=True,
              help="Refuse a zip entry (over 1 MiB) compressed more than this many to one "
                   "(a zip bomb). Audio compresses a few to one, digital silence far "
                   "more.")  # fmt: skip
@verify_attest_options
def bundle_verify(
    path: str, pubkey: str | None, no_key: bool, max_size: int, max_ratio: float,
    witnesses_file: str | None, tsa_cert: str | None
) -> None:
    """Verify an evidence bundle offline, listing each check; exit 1 if it fails.

    Only --trusted-key authenticates who signed the bundle. Without it a clean bundle is
    merely "internally consistent, signer NOT authenticated" and the exit status is 2, unless
    --no-key accepts that (then 0). Also spelt `auditor ledger bundle-verify`, next to
    `auditor ledger bundle` that makes bundles.

    With --witnesses FILE, the bundled cosignatures must meet the file's quorum (the
    witnesses that signed are named); with --tsa-cert CERT.pem, the bundled RFC 3161 timestamp
    must verify with that TSA certificate. Both are checked offline.

    \b
    Example:
      auditor bundle verify part1-evidence.zip --trusted-key court.key.pub
      auditor ledger bundle-verify part1-evidence.zip --trusted-key court.key.pub
      auditor bundle verify part1-evidence.zip --trusted-key court.key.pub \\
        --witnesses witnesses.txt --tsa-cert tsa.pem
    """
    from ..ledger.bundle import verify_bundle
    from .attest import read_attest_inputs

    trusted = trusted_key_or_none(pubkey, no_key)
    policy, certs = read_attest_inputs(witnesses_file, tsa_cert)
    try:
        verify_bundle(path, trusted_key=trusted, on_check=lambda c: click.echo(f"ok: {c}"),
                      max_bytes=max_size, max_ratio=max_ratio, witnesses=policy,
                      tsa_certs=certs)  # fmt: skip
    except VerificationError as exc:
        click.echo(f"FAILED: {exc.what}")
        sys.exit(1)
    if trusted is not None:
        click.echo("bundle verified")
    elif no_key:
        click.echo(f"bundle {NOT_AUTHENTICATED} (--no-key)")
    else:
        click.echo(f"bundle {NOT_AUTHENTICATED} (no trusted key given)")
        raise unauthenticated_hint(unauthenticated("the bundle"))
