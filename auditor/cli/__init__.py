"""The ``auditor`` command line: thin commands over the library, errors mapped in one place.

The only package that imports click. Each command group has its module (``scan``, ``report``,
``compare``, ``keys``, ``ledger``, ``bundle``, ``archive``, ``stats``, ``witness``,
``serve``); what they share is in ``_options``; this module is the root group and the one
place an error becomes a message and exit code 2.
"""

from __future__ import annotations

import os
import traceback
from typing import Any

import click

from .. import __version__
from ..errors import AuditorError
from . import archive, bundle, compare, keys, ledger, report, scan, serve, stats, witness

__all__ = ["cli", "AuditorGroup"]


class AuditorGroup(click.Group):
    """A click group that turns every :class:`AuditorError` into a message and exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AuditorError as exc:
            click.echo(f"auditor: error: {exc.diagnostics()}", err=True)
            ctx.exit(2)
        except KeyboardInterrupt:
            click.echo("auditor: interrupted", err=True)
            ctx.exit(130)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:  # noqa: BLE001 - never a traceback for a user
            # AUDITOR_DEBUG=1 adds the traceback; the exit code stays 2 (1 means findings)
            if os.environ.get("AUDITOR_DEBUG"):
                click.echo(traceback.format_exc().rstrip(), err=True)
            click.echo(
                f"auditor: internal error: {type(exc).__name__}: {exc}\n"
                "  what to do: this is a bug in auditor; run again with AUDITOR_DEBUG=1 and "
                "report the traceback with the command you ran",
                err=True,
            )
            ctx.exit(2)


@click.group(cls=AuditorGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="auditor")
def cli() -> None:
    """Audit court hearing recordings: gaps, silences, splices, continuity, signed ledger.

    \b
    Example:
      auditor demo
      auditor scan hearing.wav
      auditor scan part1.wav part2.wav --session session.json --format json -o report.json

    Exit codes: 0 nothing found at or above --fail-on, 1 findings, 2 the tool could not do its job.
    """


for _command in (scan.scan, scan.demo, report.report, compare.compare, keys.keygen,
                 ledger.ledger, bundle.bundle, archive.archive, stats.stats, witness.witness,
                 serve.serve):
    cli.add_command(_command)
