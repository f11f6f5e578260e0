"""``auditor ledger ...``: create a ledger, add recordings, verify, record events, prove, bundle.

Thin: parse, call one library function (:mod:`auditor.ledger`), render; anything a user must fix
is an :class:`~auditor.errors.AuditorError`, which the root group turns into exit code 2.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..errors import InputError
from ..findings import severity_rank
from ..ledger.keyfiles import origin_of, read_verifier_key
from ._options import (
    check_output,
    fail_on_option,
    output_options,
    report_created,
    trust_options,
    write_output,
)
from .bundle import trusted_key_or_none
from .keys import signing_key

__all__ = ["ledger"]


@click.group()
def ledger() -> None:
    """Append-only signed ledger of recordings (RFC 6962 Merkle log, C2SP checkpoints).

    \b
    Example:
      auditor keygen court.key
      auditor ledger init court.db --key court.key
    """


def signing_key_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--key KEYFILE``: the ledger's private signing key, shared by every writing command."""
    return click.option("--key", "keyfile", required=True, type=click.Path(dir_okay=False),
                        help="The ledger's private signing key (auditor keygen).")(f)


@ledger.command()
@click.argument("ledger_path", metavar="LEDGER.db", type=click.Path(dir_okay=False))
@signing_key_option
@click.option("--origin", help="Log name in checkpoints (default: the key's name).")
def init(ledger_path: str, keyfile: str, origin: str | None) -> None:
    """Create a new ledger signed by KEY.

    \b
    Example:
      auditor ledger init court.db --key court.key
    """
    from ..ledger.store import Ledger

    key = signing_key(keyfile)
    origin = origin or origin_of(keyfile)
    with Ledger.create(ledger_path, key=key, origin=origin) as led:
        click.echo(f"created {ledger_path} ({origin}); checkpoint:\n{led.checkpoint()}")


@ledger.command()
@click.argument("ledger_path", metavar="LEDGER.db", type=click.Path(dir_okay=False))
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@signing_key_option
@click.option(
    "--session",
    type=click.Path(dir_okay=False, exists=True),
    help="Session record (auditor.session/1) the files belong to.",
)
@click.option(
    "--chunk-seconds",
    type=click.FloatRange(min=0.001),
    default=60.0,
    show_default=True,
    help="Length of a hashed chunk of decoded audio.",
)
def add(
    ledger_path: str,
    files: tuple[str, ...],
    keyfile: str,
    session: str | None,
    chunk_seconds: float,
) -> None:
    """Hash recordings in chunks, append them, seal them and sign a checkpoint.

    \b
    Example:
      auditor ledger add court.db part1.wav part2.wav --key court.key
    """
    from ..ledger.recording import add_recording, session_facts
    from ..ledger.store import Ledger

    key = signing_key(keyfile)
    facts = session_facts(session) if session else None
    with Ledger.open(ledger_path, writable=True) as led:
        for path in files:
            index = add_recording(led, path, key=key, chunk_seconds=chunk_seconds, session=facts)
            click.echo(f"{path}: recording {index}, sealed")
        click.echo(led.checkpoint(), nl=False)


@ledger.command()
@click.argument("ledger_path", metavar="LEDGER.db", type=click.Path(dir_okay=False))
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
@trust_options
@click.option(
    "--trusted",
    type=click.Path(dir_okay=False),
    help="Checkpoint you trusted before; demands a consistency proof, then is updated.",
)
@output_options(("text", "json"), default="text")
@fail_on_option
def verify(
    ledger_path: str,
    files: tuple[str, ...],
    pubkey: str | None,
    no_key: bool,
    trusted: str | None,
    fmt: str,
    fail_on: str,
    output: str | None,
) -> None:
    """Check the log itself, and re-hash FILES against it.

    Only --key authenticates who signed the ledger. Without it a clean ledger is merely
    "internally consistent, signer NOT authenticated" and the exit status is 2, unless
    --no-key accepts that (then 0). Findings exit 1 either way.

    \b
    Example:
      auditor ledger verify court.db part1.wav --key court.key.pub --trusted seen.checkpoint
    """
    from ..atomic import write_atomic
    from ..ledger.check import check_ledger, unauthenticated
    from ..report.model import dumps

    check_output(output)
    trusted_key = trusted_key_or_none(pubkey, no_key)
    old = Path(trusted).read_text("utf-8") if trusted and Path(trusted).is_file() else None
    result = check_ledger(ledger_path, files, trusted_key=trusted_key, trusted_checkpoint=old,
                          no_key=no_key)
    if trusted and result.consistent and result.log.checkpoint:
        write_atomic(trusted, result.log.checkpoint.encode("utf-8"))
    if fmt == "json":
        params = {"key": pubkey, "no_key": no_key, "trusted": trusted, "fail_on": fail_on}
        text = dumps(result.to_report(params, report_created()))
        write_output(text if text.endswith("\n") else text + "\n", output)
    else:
        write_output(result.to_text(), output)
    if any(severity_rank(f.severity) >= severity_rank(fail_on) for f in result.findings):
        sys.exit(1)
    if trusted_key is None and not no_key:
        raise unauthenticated("the ledger")


@ledger.command()
@click.argument("ledger_path", metavar="LEDGER.db", type=click.Path(dir_okay=False))
@click.argument("kind", type=click.Choice(["retention", "hold", "hold_release", "access",
                                           "destruction", "key_rotation"]))  # fmt: skip
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
@click.option("--policy", default="", help="Retention policy name.")
@click.option("--start", default="", help="Retention start date (YYYY-MM-DD).")
@click.option("--until", default="", help="Retention end date (YYYY-MM-DD).")
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
def event(
    ledger_path: str, kind: str, keyfile: str, recording: int | None, file_: str | None, **opts: Any
) -> None:
    """Append a lifecycle event about a recording, or rotate the signing key.

    \b
    Example:
      auditor ledger event court.db retention --file part1.wav --key court.key \\
        --policy kz-2015 --start 2026-04-01 --until 2027-04-01
    """
    from ..ledger.events import access_entry, destruction_entry, hold_entry, retention_entry
    from ..ledger.keys import key_entry
    from ..ledger.store import Ledger

    _check_event_options(ledger_path, kind, opts)
    key = signing_key(keyfile)
    with Ledger.open(ledger_path, writable=True) as led:
        if kind == "key_rotation":
            new = signing_key(opts["new_key"])
            led.append([key_entry("rotated", led.origin, new, signer=key)], key=new)
            click.echo(led.checkpoint(), nl=False)
            return
        rec = _recording_id(led, recording, file_)
        if kind == "retention":
            entry = retention_entry(rec, policy=opts["policy"], start=opts["start"],
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


# what each event kind must be told, and what each option says
_EVENT_NEEDS = {
    "retention": ("policy", "start", "until"),
    "hold": ("by", "reason"),
    "hold_release": ("by", "reason"),
    "access": ("by", "action", "purpose"),
    "destruction": ("by", "authority", "order", "authorizer_key"),
    "key_rotation": ("new_key",),
}
_EVENT_OPTION_MEANS = {
    "policy": "the retention policy's name", "start": "when retention starts, YYYY-MM-DD",
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
        f"--recording N --key KEY {example}",
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


@ledger.command()
@click.argument("ledger_path", metavar="LEDGER.db", type=click.Path(dir_okay=False))
@click.option("--index", type=int, help="Inclusion proof of this entry.")
@click.option("--from-size", type=int, help="Consistency proof from this earlier size.")
@click.option("--size", type=int, help="Tree size to prove against (default: the latest).")
def prove(ledger_path: str, index: int | None, from_size: int | None, size: int | None) -> None:
    """Print an inclusion or consistency proof, with the checkpoint it leads to, as JSON.

    Every proof is first checked against the root its signed checkpoint signs; one built from
    a damaged ledger is refused (exit 2) with what is damaged.

    \b
    Example:
      auditor ledger prove court.db --index 5
      auditor ledger prove court.db --from-size 3
    """
    from ..ledger._merkle import leaf_hash
    from ..ledger.proofs import checked_consistency_proof, checked_inclusion_proof
    from ..ledger.store import Ledger

    if (index is None) == (from_size is None):
        raise InputError("give exactly one of --index or --from-size")
    with Ledger.open(ledger_path) as led:
        size = led.size if size is None else size
        out: dict[str, Any] = {"origin": led.origin, "tree_size": size,
                               "checkpoint": led.checkpoint(size)}  # fmt: skip
        if index is not None:
            proof = checked_inclusion_proof(led, index, size)
            out.update(index=index, leaf_hash=leaf_hash(led.data(index)).hex(),
                       entry=json.loads(led.data(index)))  # fmt: skip
        else:
            assert from_size is not None
            proof = checked_consistency_proof(led, from_size, size)
            signed = dict(led.checkpoints())
            out.update(from_size=from_size, from_checkpoint=signed.get(from_size))
        out["proof"] = [h.hex() for h in proof]
    click.echo(json.dumps(out, indent=2))


@ledger.command("bundle")
@click.argument("ledger_path", metavar="LEDGER.db", type=click.Path(dir_okay=False))
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@click.option("-o", "--output", required=True, type=click.Path(), help="New folder or .zip.")
@click.option("--start", type=float, help="Only audio from this second on.")
@click.option("--end", type=float, help="Only audio before this second.")
def ledger_bundle(
    ledger_path: str, file: str, output: str, start: float | None, end: float | None
) -> None:
    """Write an offline evidence bundle (BagIt folder, or zip if OUTPUT ends in .zip).

    \b
    Example:
      auditor ledger bundle court.db part1.wav -o part1-evidence.zip --start 2100 --end 2400
    """
    from ..atomic import new_path
    from ..ledger.bundle import make_bundle
    from ..ledger.store import Ledger

    with Ledger.open(ledger_path) as led, new_path(output) as building:
        make_bundle(led, file, building, start=start, end=end,
                    as_zip=output.lower().endswith(".zip"))  # fmt: skip
    click.echo(f"wrote {output}")
