"""``auditor bundle verify``: an evidence bundle checked offline, with no database."""

from __future__ import annotations

import sys
from typing import Any

import click

from ..errors import InputError, VerificationError
from ..ledger.check import NOT_AUTHENTICATED, unauthenticated
from ..ledger.keyfiles import read_verifier_key
from ._options import trust_options

__all__ = ["bundle", "trusted_key_or_none"]


def trusted_key_or_none(pubkey: str | None, no_key: bool) -> Any:
    """The key given with ``--key``, or None (the caller then needs ``--no-key``)."""
    if pubkey and no_key:
        raise InputError("give either --key or --no-key, not both")
    return read_verifier_key(pubkey) if pubkey else None


@click.group("bundle")
def bundle() -> None:
    """Evidence bundles made by `auditor ledger bundle`.

    \b
    Example:
      auditor bundle verify part1-evidence.zip --key court.key.pub
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
@click.option("--max-ratio", type=click.FloatRange(min=1.0), default=200.0, show_default=True,
              help="Refuse a zip entry (over 1 MiB) compressed more than this many to one "
                   "(a zip bomb). Audio compresses a few to one, digital silence far "
                   "more.")  # fmt: skip
def bundle_verify(
    path: str, pubkey: str | None, no_key: bool, max_size: int, max_ratio: float
) -> None:
    """Verify an evidence bundle offline, listing each check; exit 1 if it fails.

    Only --key authenticates who signed the bundle. Without it a clean bundle is merely
    "internally consistent, signer NOT authenticated" and the exit status is 2, unless
    --no-key accepts that (then 0).

    \b
    Example:
      auditor bundle verify part1-evidence.zip --key court.key.pub
    """
    from ..ledger.bundle import verify_bundle

    trusted = trusted_key_or_none(pubkey, no_key)
    try:
        verify_bundle(path, trusted_key=trusted, on_check=lambda c: click.echo(f"ok: {c}"),
                      max_bytes=max_size, max_ratio=max_ratio)  # fmt: skip
    except VerificationError as exc:
        click.echo(f"FAILED: {exc.what}")
        sys.exit(1)
    if trusted is not None:
        click.echo("bundle verified")
    elif no_key:
        click.echo(f"bundle {NOT_AUTHENTICATED} (--no-key)")
    else:
        click.echo(f"bundle {NOT_AUTHENTICATED} (no trusted key given)")
        raise unauthenticated("the bundle")
