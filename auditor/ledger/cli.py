"""Click commands: ``auditor keygen``, ``auditor ledger ...``, ``auditor bundle verify``.

Commands are thin: parse, call one library function, render. Anything a user must fix is raised
as an :class:`~auditor.errors.AuditorError`, which the root group turns into exit code 2.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from ..errors import InputError, VerificationError
from ..findings import Finding, severity_rank

F = TypeVar("F", bound=Callable[..., Any])
PASSPHRASE_ENV = "AUDITOR_KEY_PASSPHRASE"


def output_options(fn: F) -> F:
    """``--format``, ``--fail-on`` and ``-o``, shared by commands that report findings."""
    fn = click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write here.")(fn)
    fn = click.option("--fail-on", type=click.Choice(["info", "warning", "high"]),
                      default="warning", show_default=True,
                      help="Exit 1 when a finding is at least this severe.")(fn)  # fmt: skip
    fn = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
                      show_default=True, help="Output format.")(fn)  # fmt: skip
    return fn


def _passphrase(path: str) -> bytes | None:
    """The passphrase of an existing key: none for an unencrypted key; else from the
    environment, else a prompt on a terminal (else none, and loading says what to do)."""
    try:
        with open(path, "rb") as fh:
            encrypted = b"ENCRYPTED" in fh.read(64)
    except OSError:
        return None  # SigningKey.load says why
    if not encrypted:
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


def load_signing_key(path: str) -> Any:
    """Read a private key, asking for its passphrase (environment, else prompt) when needed."""
    from ._signing import SigningKey

    if not Path(path).is_file():
        raise InputError("no such key file", path=path, hint="create one with `auditor keygen`")
    return SigningKey.load(path, _passphrase(path))


def load_verifier_key(path: str) -> Any:
    """Read a public key (C2SP verifier key, as ``auditor keygen`` writes to ``KEYFILE.pub``)."""
    from .note import VerifierKey

    return VerifierKey.read(path)


NOT_AUTHENTICATED = "internally consistent, signer NOT authenticated"


def trust_options(fn: F) -> F:
    """``--key`` (the public key you trust) and ``--no-key``, shared by the verifying commands.

    Without a trusted key a check proves only that the input is internally consistent: anyone
    can make a consistent ledger or bundle with a key of his own. Such a result is therefore
    exit 2 ("could not authenticate") unless ``--no-key`` accepts a consistency-only check.
    """
    fn = click.option("--no-key", is_flag=True,
                      help="Accept a consistency-only check when you hold no trusted key: exit 0 "
                           "on a clean result, which then says the signer is NOT "
                           "authenticated.")(fn)  # fmt: skip
    fn = click.option("--key", "pubkey", type=click.Path(dir_okay=False, exists=True),
                      help="Public key you trust (KEYFILE.pub): authenticates the signer. "
                           "Without it (or --no-key) a clean result exits 2.")(fn)  # fmt: skip
    return fn


def trusted_key_or_none(pubkey: str | None, no_key: bool) -> Any:
    """The key given with ``--key``, or None (the caller then needs ``--no-key``)."""
    if pubkey and no_key:
        raise InputError("give either --key or --no-key, not both")
    return load_verifier_key(pubkey) if pubkey else None


def unauthenticated(what: str) -> InputError:
    """The exit-2 error of a clean check made without a trusted key and without ``--no-key``."""
    return InputError(
        f"{what} is {NOT_AUTHENTICATED} (no trusted key given): anyone can make a consistent "
        f"{what.split()[-1]} with a key of his own",
        hint="give the signer's public key you trust with --key KEYFILE.pub, or --no-key to "
        "accept a consistency-only check",
    )


def _emit(text: str, output: str | None) -> None:
    from ..cli import write_output

    write_output(text if text.endswith("\n") else text + "\n", output)


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
    from ._signing import SigningKey
    from .note import VerifierKey

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
    from .store import Ledger

    key = load_signing_key(keyfile)
    if origin is None:
        pub = Path(keyfile + ".pub")
        origin = (
            load_verifier_key(str(pub)).name
            if pub.is_file()
            else f"auditor.local/{Path(keyfile).stem}"
        )
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
    from .recording import add_recording
    from .store import Ledger

    key = load_signing_key(keyfile)
    facts = _session_facts(session) if session else None
    with Ledger.open(ledger_path, writable=True) as led:
        for path in files:
            index = add_recording(led, path, key=key, chunk_seconds=chunk_seconds, session=facts)
            click.echo(f"{path}: recording {index}, sealed")
        click.echo(led.checkpoint(), nl=False)


def _session_facts(path: str) -> dict[str, Any]:
    import hashlib

    data = Path(path).read_bytes()
    try:
        record = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"session record is not JSON: {exc}", path=path) from None
    if not isinstance(record, dict):
        raise InputError("session record is not a JSON object", path=path)
    facts = {k: str(record[k]) for k in ("court", "case") if isinstance(record.get(k), str)}
    return {**facts, "file": os.path.basename(path), "sha256": hashlib.sha256(data).hexdigest()}


@ledger.command()
@click.argument("ledger_path", metavar="LEDGER.db", type=click.Path(dir_okay=False))
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
@trust_options
@click.option(
    "--trusted",
    type=click.Path(dir_okay=False),
    help="Checkpoint you trusted before; demands a consistency proof, then is updated.",
)
@output_options
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
    from ..cli import check_output
    from ..media import file_sha256
    from .store import Ledger
    from .verify import verify_file, verify_log

    check_output(output)
    trusted_key = trusted_key_or_none(pubkey, no_key)
    old = Path(trusted).read_text("utf-8") if trusted and Path(trusted).is_file() else None
    with Ledger.open(ledger_path) as led:
        report = verify_log(led, trusted_key=trusted_key, trusted_checkpoint=old)
        findings = list(report.findings)
        file_facts = []
        for path in files:
            digest = file_sha256(path)
            findings.extend(verify_file(led, path, sha256=digest))
            file_facts.append({"path": path, "sha256": digest})
    consistent = not any(f.kind == "ledger_inconsistent" and f.severity == "high" for f in findings)
    if trusted and consistent and report.checkpoint:
        write_atomic(trusted, report.checkpoint.encode("utf-8"))
    authenticated = consistent and trusted_key is not None
    if authenticated:
        trust = ("signer authenticated: the trusted key "
                 f"{trusted_key.name}+{trusted_key.key_id.hex()} signs this ledger")  # fmt: skip
    elif consistent:
        trust = f"{NOT_AUTHENTICATED} ({'--no-key' if no_key else 'no trusted key given'})"
    else:
        trust = "the ledger is NOT consistent"
    if fmt == "json":
        extra = {
            "ledger": {
                "path": ledger_path,
                "size": report.size,
                "root": report.root.hex(),
                "checkpoint": report.checkpoint,
                "checks": report.checks,
                "authenticated": authenticated,
                "trust": trust,
            }
        }
        params = {"key": pubkey, "no_key": no_key, "trusted": trusted, "fail_on": fail_on}
        from ..cli import report_created
        from ..report.model import build_report, dumps

        _emit(dumps(build_report(files=file_facts, findings=findings, parameters=params,
                                 created=report_created(), extra=extra)), output)
    else:
        lines = [f"ok: {c}" for c in report.checks]
        lines += [f"{f.severity.upper()}: {f.kind}: {f.file or ledger_path}: {f.message}"
                  for f in sorted(findings, key=Finding.sort_key)]  # fmt: skip
        lines.append(f"{len(findings)} finding(s); ledger size {report.size}; {trust}")
        _emit("\n".join(lines), output)
    if any(severity_rank(f.severity) >= severity_rank(fail_on) for f in findings):
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
    from .events import access_entry, destruction_entry, hold_entry, retention_entry
    from .keys import key_entry
    from .store import Ledger

    _check_event_options(ledger_path, kind, opts)
    key = load_signing_key(keyfile)
    with Ledger.open(ledger_path, writable=True) as led:
        if kind == "key_rotation":
            new = load_signing_key(opts["new_key"])
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
            name = load_verifier_key(str(pub)).name if pub.is_file() else Path(path).stem
            entry = destruction_entry(rec, by=opts["by"], authority=opts["authority"],
                                      order=opts["order"], authorizer=load_signing_key(path),
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
    from ._merkle import leaf_hash
    from .proofs import checked_consistency_proof, checked_inclusion_proof
    from .store import Ledger

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
    from .bundle import make_bundle
    from .store import Ledger

    with Ledger.open(ledger_path) as led, new_path(output) as building:
        make_bundle(led, file, building, start=start, end=end,
                    as_zip=output.lower().endswith(".zip"))  # fmt: skip
    click.echo(f"wrote {output}")


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
    from .bundle import verify_bundle

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
