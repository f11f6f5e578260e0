"""``auditor ledger event``: a lifecycle event about a recording, or a key rotation.

Thin: check the options this kind of event needs, build the entry (:mod:`auditor.ledger.events`),
append it signed; anything a user must fix is an :class:`~auditor.errors.AuditorError`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ..errors import InputError
from ..ledger.keyfiles import read_verifier_key
from ._options import renamed_option, signing_key_option
from .attest import attest_latest, attest_options, read_attest_inputs
from .keys import signing_key

__all__ = ["event"]

_KINDS = ("retention", "hold", "hold_release", "access", "destruction", "key_rotation")
_DATE = click.DateTime(formats=["%Y-%m-%d"])


@click.command()
@click.argument("ledger_path", metavar="LEDGER.db", type=click.Path(dir_okay=False))
@click.argument("kind", metavar="KIND", type=click.Choice(_KINDS))
@signing_key_option
@click.option("--recording", type=int, help="Recording id (ledger index of its ingest).")
@click.option(
    "--file",
    "file_",
    type=click.Path(dir_okay=False, exists=True),
    help="Name the recording by its file instead.",
)
@click.option("--by", default="", help="Who acted.")
@click.option("--reason", default="", help="Why (hold, hold_release).")
@click.option("--retention-policy", default="", metavar="NAME",
              help="Retention policy name (retention). Formerly --policy.")
@renamed_option("--policy", "--retention-policy", "retention_policy")
@click.option("--start", type=_DATE, metavar="YYYY-MM-DD", help="Retention start date.")
@click.option("--until", type=_DATE, metavar="YYYY-MM-DD", help="Retention end date.")
@click.option("--action", default="export", show_default=True, help="Access action.")
@click.option("--purpose", default="", help="Access purpose.")
@click.option("--authority", default="", help="Who authorised the destruction.")
@click.option("--order", default="", help="The destruction order cited.")
@click.option(
    "--authorizer-key",
    type=click.Path(dir_okay=False),
    help="Authorising private key for a destruction (its .pub names it).",
)
@click.option("--new-key", type=click.Path(dir_okay=False), help="New key for key_rotation.")
@attest_options
def event(
    ledger_path: str, kind: str, keyfile: str, recording: int | None, file_: str | None,
    witnesses_file: str | None, witness_timeout: float, tsa: str | None, tsa_cert: str | None,
    **opts: Any
) -> None:
    """Append a lifecycle event about a recording, or rotate the signing key.

    \b
    KIND is one of:
      retention     retention assigned (--retention-policy, --start, --until)
      hold          a legal hold placed (--by, --reason)
      hold_release  a legal hold released (--by, --reason)
      access        the recording accessed or exported (--by, --action, --purpose)
      destruction   the recording destroyed (--by, --authority, --order, --authorizer-key)
      key_rotation  the ledger's signing key replaced (--new-key)

    With --witnesses FILE (and --tsa URL), the new checkpoint is then cosigned (and
    timestamped), as with `auditor ledger add`.

    \b
    Example:
      auditor ledger event court.db retention --file part1.wav --signing-key court.key \\
        --retention-policy kz-2015 --start 2026-04-01 --until 2027-04-01
      auditor ledger event court.db hold --recording 1 --by clerk --reason appeal \\
        --signing-key court.key --witnesses witnesses.txt
    """
    from ..ledger.events import access_entry, destruction_entry, hold_entry, retention_entry
    from ..ledger.keys import key_entry
    from ..ledger.store import Ledger

    for day in ("start", "until"):  # the library takes the day as YYYY-MM-DD text
        opts[day] = opts[day].date().isoformat() if opts[day] is not None else ""
    _check_event_options(ledger_path, kind, opts)
    inputs = read_attest_inputs(witnesses_file, tsa_cert, asking=True, tsa=tsa)
    key = signing_key(keyfile)
    with Ledger.open(ledger_path, writable=True) as led:
        if kind == "key_rotation":
            new = signing_key(opts["new_key"])
            led.append([key_entry("rotated", led.origin, new, signer=key)], key=new)
            click.echo(led.checkpoint(), nl=False)
            attest_latest(led, inputs, witnesses_file=witnesses_file,
                          witness_timeout=witness_timeout, tsa=tsa)  # fmt: skip
            return
        rec = _recording_id(led, recording, file_)
        if kind == "retention":
            entry = retention_entry(rec, policy=opts["retention_policy"], start=opts["start"],
                                    until=opts["until"])  # fmt: skip
        elif kind in ("hold", "hold_release"):
            entry = hold_entry(rec, by=opts["by"], reason=opts["reason"],
                               release=kind == "hold_release")  # fmt: skip
        elif kind == "access":
            entry = access_entry(rec, action=opts["action"], by=opts["by"], purpose=opts["purpose"])
        else:
            path = opts["authorizer_key"]
            pub = Path(path + ".pub")
            name = read_verifier_key(str(pub)).name if pub.is_file() else Path(path).stem
            entry = destruction_entry(rec, by=opts["by"], authority=opts["authority"],
                                      order=opts["order"], authorizer=signing_key(path),
                                      name=name)  # fmt: skip
        (index,) = led.append([entry], key=key)
        click.echo(f"entry {index}: {kind} for recording {rec}")
        attest_latest(led, inputs, witnesses_file=witnesses_file,
                      witness_timeout=witness_timeout, tsa=tsa)  # fmt: skip


# what each event kind must be told, and what each option says
_EVENT_NEEDS = {
    "retention": ("retention_policy", "start", "until"),
    "hold": ("by", "reason"),
    "hold_release": ("by", "reason"),
    "access": ("by", "action", "purpose"),
    "destruction": ("by", "authority", "order", "authorizer_key"),
    "key_rotation": ("new_key",),
}
_EVENT_OPTION_MEANS = {
    "retention_policy": "the retention policy's name", "start": "when retention starts, YYYY-MM-DD",
    "until": "when it ends, YYYY-MM-DD", "by": "who acted", "reason": "why",
    "action": "what was done", "purpose": "what for", "authority": "who authorised it",
    "order": "the order cited", "authorizer_key": "the authority's private key",
    "new_key": "the new signing key",
}  # fmt: skip


def _check_event_options(ledger_path: str, kind: str, opts: dict[str, Any]) -> None:
    """Raise naming every option this ``kind`` of event needs and was not given (or blank)."""
    missing = [o for o in _EVENT_NEEDS[kind] if not (opts.get(o) or "").strip()]
    if not missing:
        return
    flags = [f"--{o.replace('_', '-')}" for o in missing]
    wanted = ", ".join(f"--{o.replace('_', '-')} ({_EVENT_OPTION_MEANS[o]})" for o in missing)
    example = " ".join(f"{f} ..." for f in flags)
    raise InputError(
        f"a {kind} event needs {wanted}",
        hint=f"add {' and '.join(flags)}: auditor ledger event {ledger_path} {kind} "
        f"--recording N --signing-key KEY {example}",
    )


def _recording_id(led: Any, recording: int | None, file_: str | None) -> int:
    from ..media import file_sha256

    if (recording is None) == (file_ is None):
        raise InputError("name the recording with exactly one of --recording or --file")
    if file_ is not None:
        found = led.find_ingests(sha256=file_sha256(file_))
        if not found:
            raise InputError("this file is not in the ledger", path=file_,
                             hint="add it with `auditor ledger add` first")  # fmt: skip
        return int(found[-1])
    assert recording is not None
    if recording >= led.size or led.entry(recording).type != "ingest":
        raise InputError(f"entry {recording} is not a recording's ingest entry")
    return recording
