"""Witnesses and timestamps on the command line: the shared options, what ``ledger add`` and
``ledger event`` do after they sign a checkpoint, ``auditor ledger witness`` (catch up later)
and ``auditor ledger compare-checkpoints`` (a split view, shown with both signed notes).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from ..errors import AuditorError
from ._options import Seconds

__all__ = ["attest_options", "verify_attest_options", "attest_latest", "witness_cmd",
           "compare_checkpoints", "read_attest_inputs", "check_attestations"]

F = TypeVar("F", bound=Callable[..., Any])


def _witnesses_option(f: F) -> F:
    return click.option("--witnesses", "witnesses_file", type=click.Path(dir_okay=False),
                        help="Witnesses policy file (`witness NAME VKEY URL` lines, "
                             "`quorum N`).")(f)  # fmt: skip


def _tsa_cert_option(f: F) -> F:
    return click.option("--tsa-cert", type=click.Path(dir_okay=False), metavar="CERT.pem",
                        help="The TSA certificate you trust (PEM, with its CA certificates) "
                             "to verify RFC 3161 timestamps.")(f)  # fmt: skip


def attest_options(f: F) -> F:
    """``--witnesses``, ``--witness-timeout``, ``--tsa``, ``--tsa-cert``: for commands that sign
    a checkpoint and then ask for cosignatures and a timestamp."""
    f = _tsa_cert_option(f)
    f = click.option("--tsa", metavar="URL",
                     help="Ask this RFC 3161 time-stamping authority to timestamp the "
                          "checkpoint.")(f)  # fmt: skip
    f = click.option("--witness-timeout", type=Seconds(min=0.01, max=600), default=1.0,
                     show_default=True, help="Seconds to wait for each witness.")(f)
    return _witnesses_option(f)


def verify_attest_options(f: F) -> F:
    """``--witnesses`` and ``--tsa-cert``, for commands that verify."""
    return _witnesses_option(_tsa_cert_option(f))


def read_attest_inputs(witnesses_file: str | None, tsa_cert: str | None, *,
                       asking: bool = False, tsa: str | None = None) -> tuple[Any, Any]:
    """The policy and the TSA certificates given (None for each not given). ``asking``: for a
    command that asks for a timestamp, where --tsa-cert checks the token of --tsa."""
    from ..errors import InputError
    from ..ledger.tsa import read_tsa_certs
    from ..ledger.witnesses import read_policy

    if asking and tsa_cert is not None and tsa is None:
        raise InputError("--tsa-cert checks the timestamp that --tsa URL gets: give --tsa too",
                         hint="to check the timestamps already stored, use `auditor ledger "
                         "verify LEDGER.db --tsa-cert CERT.pem`")

    return read_policy(witnesses_file), None if tsa_cert is None else read_tsa_certs(tsa_cert)


def attest_latest(led: Any, inputs: tuple[Any, Any], *, witnesses_file: str | None,
                  witness_timeout: float, tsa: str | None) -> None:
    """Ask for cosignatures and a timestamp of the ledger's latest checkpoint, as asked; say
    what each witness did. A quorum not met is an error (exit 2) once the rest is done.

    ``inputs`` are :func:`read_attest_inputs`' policy and certificates, read before the
    command appends anything, so a malformed file stops it first."""
    from ..ledger.witnessing import timestamp_checkpoint, witness_checkpoint

    policy, certs = inputs
    tsa_error: AuditorError | None = None
    if tsa is not None:
        try:
            when = timestamp_checkpoint(led, tsa, certs=certs)
            click.echo(f"timestamp: {tsa} dated the checkpoint at size {led.size} "
                       f"{when.isoformat()}" + (" (verified)" if certs else ""))
        except AuditorError as exc:  # the witnesses are still asked
            tsa_error = exc
    if policy is not None:
        run = witness_checkpoint(led, policy, timeout=witness_timeout)
        if not run.quorum.met:
            also = f"\n  and the timestamp failed: {tsa_error.what}" if tsa_error else ""
            raise AuditorError(
                f"the checkpoint at size {run.size} is signed and stored, but the witnesses' "
                f"quorum is NOT met:\n" + "\n".join(f"  {line}"
                                                    for line in run.describe().splitlines())
                + also,
                hint=f"when the witnesses are back, run `auditor ledger witness {led.path} "
                f"--witnesses {witnesses_file}`; a witness that refused gave its reason above")
        click.echo(run.describe())
    if tsa_error is not None:
        raise tsa_error


def check_attestations(ledger_path: str, result: Any, inputs: tuple[Any, Any]) -> dict[str, Any]:
    """Add the witnesses' and timestamps' checks and findings to ``result`` (a ledger check);
    return the facts for the report's ``ledger`` object."""
    from ..ledger.attest_check import check_ledger_attestations
    from ..ledger.store import Ledger

    policy, certs = inputs
    if policy is None and certs is None or not result.consistent:
        return {}
    with Ledger.open(ledger_path) as led:
        found = check_ledger_attestations(led, policy=policy, tsa_certs=certs)
    result.log.checks.extend(found.checks)
    result.findings.extend(found.findings)
    return found.facts


@click.command("witness")
@click.argument("ledger_path", metavar="LEDGER.db", type=click.Path(dir_okay=False))
@attest_options
def witness_cmd(ledger_path: str, witnesses_file: str | None, witness_timeout: float,
                tsa: str | None, tsa_cert: str | None) -> None:
    """Ask the witnesses to cosign the ledger's latest checkpoint (and a TSA to timestamp it).

    Use it to catch up after a witness was down: each witness gets a consistency proof from
    the size it last cosigned. Exit 0 when the quorum is met, 2 when it is not (each witness's
    answer is shown).

    \b
    Example:
      auditor ledger witness court.db --witnesses witnesses.txt
      auditor ledger witness court.db --tsa http://tsa.example/ --tsa-cert tsa.pem
    """
    from ..errors import InputError
    from ..ledger.store import Ledger

    if witnesses_file is None and tsa is None:
        raise InputError("give --witnesses FILE, --tsa URL, or both")
    inputs = read_attest_inputs(witnesses_file, tsa_cert, asking=True, tsa=tsa)
    with Ledger.open(ledger_path, writable=True) as led:
        attest_latest(led, inputs, witnesses_file=witnesses_file,
                      witness_timeout=witness_timeout, tsa=tsa)  # fmt: skip


@click.command("compare-checkpoints")
@click.argument("first", metavar="A", type=click.Path(dir_okay=False, exists=True))
@click.argument("second", metavar="B", type=click.Path(dir_okay=False, exists=True))
@click.option("--trusted-key", "pubkey", required=True, type=click.Path(dir_okay=False),
              help="The log's public key (KEYFILE.pub) both notes must be signed by.")
@click.option("--ledger", "ledger_path", type=click.Path(dir_okay=False, exists=True),
              help="A ledger of that log, to prove consistency between different sizes.")
@click.option("--proof", "proof_path", type=click.Path(dir_okay=False, exists=True),
              help="A consistency proof (`auditor ledger prove --from-size` JSON) between them.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
def compare_checkpoints(first: str, second: str, pubkey: str, ledger_path: str | None,
                        proof_path: str | None, fmt: str) -> None:
    """Compare two signed checkpoints of one log: exit 1 on a split view, shown with both
    signed notes as the evidence, or when they are not shown consistent.

    Two checkpoints of one size must have one root. Of different sizes, the larger must
    extend the smaller. A copy of the log (--ledger) decides: if its tree at the larger size
    is the larger checkpoint's, the smaller must be its prefix, else it is a split view. A
    consistency proof (--proof: the JSON of `auditor ledger prove --from-size`, e.g. given by
    the court) that verifies shows them consistent; one that does not is "NOT SHOWN
    CONSISTENT" (exit 1), not called a split view: it may be the proof of something else.
    Without either, exit 2. Both notes must verify with --trusted-key, so the evidence is the
    log's own word.

    \b
    Example:
      auditor ledger compare-checkpoints seen-by-us.txt seen-by-them.txt \\
        --trusted-key court.key.pub
      auditor ledger compare-checkpoints old.txt new.txt --trusted-key court.key.pub \\
        --ledger court.db
    """
    from ..ledger.keyfiles import read_verifier_key
    from ..ledger.splitview import compare_notes, read_note

    key = read_verifier_key(pubkey)
    result = compare_notes(read_note(first), read_note(second), key,
                           ledger_path=ledger_path, proof_path=proof_path)  # fmt: skip
    if fmt == "json":
        click.echo(json.dumps(result.to_json(), indent=2))
    else:
        click.echo(result.to_text(), nl=False)
    if not result.consistent:
        sys.exit(1)
