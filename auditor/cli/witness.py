"""``auditor witness ...``: a witness that cosigns another institution's ledger checkpoints.

Thin: the database is :mod:`auditor.witness.store`, the protocol :mod:`auditor.witness.protocol`,
the HTTP server :mod:`auditor.witness.server`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import click

from ..errors import InputError
from .keys import _new_passphrase, signing_key

__all__ = ["witness"]


@click.group()
def witness() -> None:
    """A witness (C2SP tlog-witness) for another institution's ledger: it cosigns a
    checkpoint only if it is consistent with every checkpoint of that log it cosigned before.

    \b
    Example:
      auditor witness init bar.db --key bar-witness.key --name bar.example/witness
      auditor witness add-log bar.db court.key.pub
      auditor witness serve bar.db --listen 127.0.0.1:8470
      auditor witness show bar.db
    """


@witness.command()
@click.argument("db_path", metavar="W.db", type=click.Path(dir_okay=False))
@click.option("--key", "keyfile", required=True, type=click.Path(dir_okay=False),
              help="The witness's private key; created (with KEYFILE.pub) if absent.")
@click.option("--name", help="Witness name, used when the key is created (default: "
                             "auditor.local/witness-<key file's stem>).")  # fmt: skip
@click.option("--encrypt/--no-encrypt", default=True, show_default=True,
              help="Passphrase-protect a created key (from $AUDITOR_KEY_PASSPHRASE, else a "
                   "prompt); --no-encrypt writes it unencrypted.")  # fmt: skip
def init(db_path: str, keyfile: str, name: str | None, encrypt: bool) -> None:
    """Create a witness database, and the witness's key if KEYFILE does not exist.

    A new key's KEYFILE.pub is its cosignature/v1 verifier key (type 0x04); a key made with
    `auditor keygen` serves too (its name is then the witness's name). The line to give the
    court for its witnesses file is printed.

    \b
    Example:
      auditor witness init bar.db --key bar-witness.key --name bar.example/witness
    """
    from ..ledger._signing import SigningKey
    from ..ledger.cosignature import CosignerKey
    from ..witness.store import WitnessDB

    if os.path.lexists(db_path):
        raise InputError("refusing to overwrite an existing file", path=db_path)
    pub = Path(keyfile + ".pub")
    if Path(keyfile).exists():
        key = signing_key(keyfile)
        if pub.is_file():
            text = pub.read_text("utf-8")
            found = CosignerKey.parse(text)
            if found.public != key.public_bytes():
                raise InputError("this .pub is not the public key of the private key beside it",
                                 path=str(pub))  # fmt: skip
            if name and name != found.name:
                raise InputError(f"the key is named {found.name!r} in its .pub, not {name!r}",
                                 path=str(pub), hint="drop --name, or make a new key")
            name = found.name
        name = name or f"auditor.local/witness-{Path(keyfile).stem}"
        created = False
    else:
        if pub.exists():
            raise InputError("refusing to overwrite an existing key file", path=str(pub))
        name = name or f"auditor.local/witness-{Path(keyfile).stem}"
        key = SigningKey.generate()
        CosignerKey(name, key.public_bytes())  # the name is valid before anything is written
        key.save(keyfile, _new_passphrase(keyfile) if encrypt else None)
        created = True
    ckey = CosignerKey(name, key.public_bytes())
    if created:
        pub.write_text(f"{ckey}\n", encoding="utf-8")
    WitnessDB.create(db_path, name=name, key_path=keyfile).close()
    made = f" and its key {keyfile} (with {pub})" if created else ""
    short = re.sub(r"[^A-Za-z0-9._-]", "", name.split("/")[0].split(".")[0]) or "witness"
    click.echo(f"created witness {name}: {db_path}{made}\n"
               f"for the court's witnesses file (the URL is where `serve` is reached):\n"
               f"  witness {short} {ckey} http://HOST:PORT")  # fmt: skip
    if created and not encrypt:
        click.echo(f"auditor: warning: {keyfile} is NOT encrypted: anyone who can read it can "
                   f"cosign as {name}", err=True)  # fmt: skip


@witness.command("add-log")
@click.argument("db_path", metavar="W.db", type=click.Path(dir_okay=False))
@click.argument("pubkey", metavar="LOG.pub", type=click.Path(dir_okay=False))
@click.option("--origin", help="The log's checkpoint origin (default: the key's name, as "
                               "`auditor ledger init` uses it).")  # fmt: skip
def add_log(db_path: str, pubkey: str, origin: str | None) -> None:
    """Witness the log whose checkpoints LOG.pub signs.

    An auditor ledger signs its checkpoints under its origin, so the key is accepted under
    that name: --origin for a ledger made with `ledger init --origin`, or for the new key
    after a `key_rotation` event (add it beside the old one).

    \b
    Example:
      auditor witness add-log bar.db court.key.pub
      auditor witness add-log bar.db court.key.pub --origin court.example/hearings
    """
    from ..ledger.keyfiles import read_verifier_key
    from ..ledger.note import VerifierKey
    from ..witness.store import WitnessDB

    found = read_verifier_key(pubkey)
    if origin is not None and not origin.strip():
        raise InputError("--origin is empty", hint="give the log's origin, or leave --origin out "
                         "to use the key's name")
    origin = origin or found.name
    key = VerifierKey(origin, found.public)  # a ledger signs its checkpoints as its origin
    with WitnessDB.open(db_path) as db:
        added = db.add_log(key, origin)
    click.echo(f"{'witnessing' if added else 'already witnessing'} {origin} signed by {key}")


@witness.command()
@click.argument("db_path", metavar="W.db", type=click.Path(dir_okay=False, exists=True))
@click.option("--listen", default="127.0.0.1:8470", show_default=True, metavar="HOST:PORT",
              help="Address to listen on (port 0: any free port).")
@click.option("--prefix", default="/", show_default=True,
              help="URL path before add-checkpoint.")
@click.option("--allow-remote", is_flag=True,
              help="Listen on a non-loopback address (plain HTTP: put a TLS proxy in front).")
@click.option("--max-connections", type=click.IntRange(min=1), default=64, show_default=True,
              help="Connections served at once; one more is answered 503 (busy) at once.")
@click.option("--quiet", "-q", is_flag=True, help="Do not log each request on stderr.")
def serve(db_path: str, listen: str, prefix: str, allow_remote: bool, max_connections: int,
          quiet: bool) -> None:
    """Answer C2SP tlog-witness add-checkpoint requests until interrupted (Ctrl-C).

    Only loopback addresses are served unless --allow-remote is given: the witness speaks
    plain HTTP, so a witness for other institutions belongs behind a TLS reverse proxy.
    The key's passphrase is read from $AUDITOR_KEY_PASSPHRASE, else asked for.

    \b
    Example:
      auditor witness serve bar.db --listen 127.0.0.1:8470
    """
    from ..witness.server import WitnessServer, parse_listen
    from ..witness.store import WitnessDB

    address = parse_listen(listen)
    with WitnessDB.open(db_path) as db:
        key = signing_key(db.meta("key"))
        log = None if quiet else (lambda line: click.echo(line, err=True))
        server = WitnessServer(db, key, address, prefix=prefix, allow_remote=allow_remote,
                               max_connections=max_connections, log=log)  # fmt: skip
        click.echo(f"witness {server.name} listening on {server.url}/add-checkpoint (the URL "
                   f"for a witnesses file: {server.url}; Ctrl-C to stop)")  # fmt: skip
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            click.echo("witness stopped", err=True)
        finally:
            server.server_close()


@witness.command()
@click.argument("db_path", metavar="W.db", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
def show(db_path: str, fmt: str) -> None:
    """Show the logs this witness accepts, the latest checkpoint it cosigned for each, and
    every signed checkpoint it refused, with the reason: the evidence of a log that rewrote
    its history or showed another view (give the refused note to `auditor ledger
    compare-checkpoints` beside the cosigned one).

    \b
    Example:
      auditor witness show bar.db
      auditor witness show bar.db --format json > bar-witness.json
    """
    import json

    from ..witness.store import WitnessDB

    with WitnessDB.open(db_path) as db:
        summary = db.summary()
    if fmt == "json":
        click.echo(json.dumps(summary, indent=2))
        return
    click.echo(f"witness {summary['witness']}: {len(summary['logs'])} log(s)")
    for log in summary["logs"]:
        latest = log["latest"]
        done = ("nothing cosigned yet" if latest is None
                else f"latest cosigned size {latest['size']} (root {latest['root']})")
        click.echo(f"{log['origin']}: {done}; {len(log['refused'])} refused")
        for item in log["refused"]:
            click.echo(f"--- refused {item['time']} (HTTP {item['status']}): {item['reason']}")
            click.echo(item["note"].rstrip("\n"))
