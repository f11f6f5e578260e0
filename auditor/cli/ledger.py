"""``auditor ledger ...``: create a ledger, add recordings, verify, record events, prove, bundle.

Thin: parse, call one library function (:mod:`auditor.ledger`), render; anything a user must fix
is an :class:`~auditor.errors.AuditorError`, which the root group turns into exit code 2.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from ..errors import InputError
from ..findings import severity_rank
from ..ledger.keyfiles import origin_of
from ._options import (
    Finite,
    check_output,
    default_format,
    fail_on_option,
    lang_option,
    output_options,
    report_created,
    signing_key_option,
    trust_options,
    write_output,
)
from .attest import (
    attest_latest,
    attest_options,
    check_attestations,
    compare_checkpoints,
    read_attest_inputs,
    verify_attest_options,
    witness_cmd,
)
from .bundle import bundle_verify, trusted_key_or_none, unauthenticated_hint
from .events import event
from .keys import signing_key

__all__ = ["ledger"]


@click.group()
def ledger() -> None:
    """Append-only signed ledger of recordings (RFC 6962 Merkle log, C2SP checkpoints).

    \b
    Example:
      auditor keygen court.key
      auditor ledger init court.db --signing-key court.key
      auditor ledger verify court.db --trusted-key court.key.pub

    The private key signs (--signing-key KEYFILE); the public key you trust checks
    (--trusted-key KEYFILE.pub). The old spelling --key still works on each, with a warning.
    """


@ledger.command()
@click.argument("ledger_path", metavar="LEDGER.db", type=click.Path(dir_okay=False))
@signing_key_option
@click.option("--origin", help="Log name in checkpoints (default: the key's name).")
def init(ledger_path: str, keyfile: str, origin: str | None) -> None:
    """Create a new ledger signed by the --signing-key.

    \b
    Example:
      auditor ledger init court.db --signing-key court.key
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
    type=Finite(min=0.001, max=3600),
    default=60.0,
    show_default=True,
    help="Length of a hashed chunk of decoded audio.",
)
@click.option(
    "--fingerprint-only",
    is_flag=True,
    help="Only log a content fingerprint for recordings already logged without one.",
)
@click.option(
    "--no-fingerprint",
    is_flag=True,
    help="Log no content fingerprint (it costs about 20 ms of CPU per minute of audio; one "
    "can be added later with --fingerprint-only).",
)
@attest_options
def add(
    ledger_path: str,
    files: tuple[str, ...],
    keyfile: str,
    session: str | None,
    chunk_seconds: float,
    fingerprint_only: bool,
    no_fingerprint: bool,
    witnesses_file: str | None,
    witness_timeout: float,
    tsa: str | None,
    tsa_cert: str | None,
) -> None:
    """Hash recordings in chunks, append them, seal them, log their content fingerprint (for
    `auditor compare` against a transcoded copy) and sign a checkpoint.

    With --fingerprint-only, FILES are recordings already in the ledger, logged before
    fingerprints existed: each is decoded again, every chunk of its audio must hash as
    logged (else nothing is appended, exit 2), and a `fingerprint` entry naming those chunks
    is appended. Nothing logged is rewritten; a recording that has a fingerprint is skipped.

    With --witnesses, the witnesses are then asked to cosign the new checkpoint; a quorum not
    met is exit 2 (the recordings stay logged: catch up with `auditor ledger witness`). With
    --tsa, the checkpoint is timestamped (RFC 3161), verified with --tsa-cert if given.

    \b
    Example:
      auditor ledger add court.db part1.wav part2.wav --signing-key court.key
      auditor ledger add court.db part3.wav --signing-key court.key --witnesses witnesses.txt
      auditor ledger add court.db old-hearing.wav --fingerprint-only --signing-key court.key
    """
    from ..ledger.recording import add_recording, session_facts
    from ..ledger.store import Ledger

    if fingerprint_only and (session or no_fingerprint):
        raise InputError("--fingerprint-only adds only a fingerprint: it takes neither "
                         "--session nor --no-fingerprint")
    inputs = read_attest_inputs(witnesses_file, tsa_cert, asking=True, tsa=tsa)
    key = signing_key(keyfile)
    facts = session_facts(session) if session else None
    with Ledger.open(ledger_path, writable=True) as led:
        for path in files:
            if fingerprint_only:
                from ..ledger.content import add_fingerprint_at

                recording, entry = add_fingerprint_at(led, path, key=key)
                click.echo(f"{path}: recording {recording} " + (
                    "already has a fingerprint" if entry is None
                    else f"fingerprinted (entry {entry})"))
                continue
            index = add_recording(led, path, key=key, chunk_seconds=chunk_seconds, session=facts,
                                  fingerprint=not no_fingerprint)
            click.echo(f"{path}: recording {index}, sealed" + (
                "" if no_fingerprint else ", fingerprinted"))
        click.echo(led.checkpoint(), nl=False)
        attest_latest(led, inputs, witnesses_file=witnesses_file,
                      witness_timeout=witness_timeout, tsa=tsa)  # fmt: skip


@ledger.command()
@click.argument("ledger_path", metavar="LEDGER.db", type=click.Path(dir_okay=False))
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
@trust_options
@click.option(
    "--trusted",
    type=click.Path(dir_okay=False),
    help="Checkpoint you trusted before; demands a consistency proof, then is updated.",
)
@click.option(
    "--copy-of",
    metavar="NAME",
    help="FILES are a copy (MP3, a disc's tracks, played in order) of the logged recording "
    "NAME: compare them with its logged fingerprint, as `auditor compare` does.",
)
@verify_attest_options
@output_options(("text", "json", "html", "pdf"))
@lang_option
@fail_on_option
def verify(
    ledger_path: str,
    files: tuple[str, ...],
    pubkey: str | None,
    no_key: bool,
    trusted: str | None,
    copy_of: str | None,
    witnesses_file: str | None,
    tsa_cert: str | None,
    fmt: str | None,
    lang: str,
    fail_on: str,
    output: str | None,
) -> None:
    """Check the log itself, and re-hash FILES against it.

    With --copy-of NAME, FILES are instead a transcoded copy of the recording logged as NAME,
    aligned with the content fingerprint logged with it; the report is `auditor compare`'s
    (missing_in_copy, inserted_in_copy, altered_in_copy) with the ledger's own findings and
    facts, and the exit codes are compare's: 0 the same audio, 1 differences, 2 could not
    check (no such recording, no fingerprint: add one with `ledger add --fingerprint-only`).
    That report can also be HTML or PDF (both timelines drawn), and its text, HTML and PDF
    are in the --lang language; the ledger's own check is text or JSON only.

    Only --trusted-key authenticates who signed the ledger. Without it a clean ledger is
    merely "internally consistent, signer NOT authenticated" and the exit status is 2, unless
    --no-key accepts that (then 0). Findings exit 1 either way.

    With --witnesses FILE, the latest checkpoint's stored cosignatures must meet the file's
    quorum (else an `unwitnessed` finding, exit 1); the witnesses that signed are named, and
    every stored cosignature of every earlier checkpoint by a listed witness must verify too.
    With --tsa-cert CERT.pem, the latest checkpoint needs an RFC 3161 timestamp that verifies
    with that TSA certificate (else `untimestamped`, high); an earlier checkpoint's stored
    tokens that do not are an `untimestamped` warning (they may be another TSA's).

    The format is text on a terminal and json into a file or a pipe, as for scan and archive
    audit (changed: it used to be text everywhere; pass --format text for that).

    \b
    Example:
      auditor ledger verify court.db part1.wav --trusted-key court.key.pub \\
        --trusted seen.checkpoint
      auditor ledger verify court.db --trusted-key court.key.pub --format text | less
      auditor ledger verify court.db --trusted-key court.key.pub --witnesses witnesses.txt
      auditor ledger verify court.db copy.mp3 --copy-of hearing.wav \\
        --trusted-key court.key.pub
      auditor ledger verify court.db copy.mp3 --copy-of hearing.wav \\
        --trusted-key court.key.pub --format pdf --lang ru -o copy-check.pdf
    """
    from ..atomic import write_atomic
    from ..ledger.check import check_ledger, unauthenticated
    from ..report.model import dumps

    check_output(output)
    fmt = default_format(fmt, output)
    trusted_key = trusted_key_or_none(pubkey, no_key)
    old = Path(trusted).read_text("utf-8") if trusted and Path(trusted).is_file() else None
    if copy_of is not None and not files:
        raise InputError("--copy-of NAME needs the copy's FILES",
                         hint=f"auditor ledger verify {ledger_path} copy.mp3 --copy-of {copy_of}")
    if fmt in ("html", "pdf"):
        if copy_of is None:
            raise InputError(f"--format {fmt} is for the comparison of a copy (--copy-of NAME)",
                             hint="the ledger's own check is text or json")
        from .compare import check_pdf

        check_pdf(fmt, output)
    attest_inputs = read_attest_inputs(witnesses_file, tsa_cert)
    result = check_ledger(ledger_path, () if copy_of else files, trusted_key=trusted_key,
                          trusted_checkpoint=old, no_key=no_key)
    facts = check_attestations(ledger_path, result, attest_inputs)
    if trusted and result.consistent and result.log.checkpoint:
        write_atomic(trusted, result.log.checkpoint.encode("utf-8"))
    if copy_of is not None:
        params = {"key": pubkey, "no_key": no_key, "trusted": trusted, "fail_on": fail_on}
        from .compare import verify_copy

        code = verify_copy(ledger_path, files, copy_of, result, params, fmt, fail_on, output,
                           lang)
        if code:
            sys.exit(code)
        if trusted_key is None and not no_key:
            raise unauthenticated_hint(unauthenticated("the ledger"))
        return
    if fmt == "json":
        params = {"key": pubkey, "no_key": no_key, "trusted": trusted, "fail_on": fail_on,
                  "witnesses": witnesses_file, "tsa_cert": tsa_cert}
        report = result.to_report(params, report_created())
        report["ledger"].update(facts)
        text = dumps(report)
        write_output(text if text.endswith("\n") else text + "\n", output)
    else:
        write_output(result.to_text(), output)
    if any(severity_rank(f.severity) >= severity_rank(fail_on) for f in result.findings):
        sys.exit(1)
    if trusted_key is None and not no_key:
        raise unauthenticated_hint(unauthenticated("the ledger"))


@ledger.command()
@click.argument("ledger_path", metavar="LEDGER.db", type=click.Path(dir_okay=False))
@click.option("--index", type=int, help="Inclusion proof of this entry.")
@click.option("--from-size", type=int, help="Consistency proof from this earlier size.")
@click.option("--size", type=int, help="Tree size to prove against (default: the latest).")
@output_options(("json", "text"), default="json")
def prove(ledger_path: str, index: int | None, from_size: int | None, size: int | None,
          fmt: str, output: str | None) -> None:
    """Write an inclusion or consistency proof, with the checkpoint it leads to (JSON).

    Every proof is first checked against the root its signed checkpoint signs; one built from
    a damaged ledger is refused (exit 2) with what is damaged. -o never writes over the ledger
    or another input, and replaces a file only once the proof is whole.

    \b
    Example:
      auditor ledger prove court.db --index 5
      auditor ledger prove court.db --from-size 3 -o proof.json
      auditor ledger prove court.db --index 5 --format text
    """
    from ..ledger._merkle import leaf_hash
    from ..ledger.proofs import checked_consistency_proof, checked_inclusion_proof
    from ..ledger.store import Ledger

    if (index is None) == (from_size is None):
        raise InputError("give exactly one of --index or --from-size")
    check_output(output)
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
    write_output(json.dumps(out, indent=2) + "\n" if fmt == "json" else _proof_text(out), output)


def _proof_text(out: dict[str, Any]) -> str:
    """A proof for a person: what it proves, the hashes in order, the checkpoint."""
    if "index" in out:
        head = (f"inclusion proof: entry {out['index']} (leaf hash {out['leaf_hash']}, "
                f"{out['entry'].get('type', '?')}) is in {out['origin']} at tree size "
                f"{out['tree_size']}")  # fmt: skip
    else:
        head = (f"consistency proof: {out['origin']} at tree size {out['from_size']} is a prefix "
                f"of tree size {out['tree_size']}")  # fmt: skip
    hashes = [f"  {i}. {h}" for i, h in enumerate(out["proof"], 1)] or ["  (none: nothing to "
                                                                        "combine)"]
    lines = [head, f"proof ({len(out['proof'])} hashes):", *hashes, "checkpoint:",
             out["checkpoint"].rstrip("\n")]
    if out.get("from_checkpoint"):
        lines += ["earlier checkpoint:", out["from_checkpoint"].rstrip("\n")]
    return "\n".join(lines) + "\n"


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


# checked where it is made: `auditor ledger bundle-verify` is `auditor bundle verify`
ledger.add_command(event)
ledger.add_command(bundle_verify, "bundle-verify")
ledger.add_command(witness_cmd)
ledger.add_command(compare_checkpoints)
