"""``auditor archive audit``.

Thin: parse the options, call :func:`~auditor.archive.audit.audit_archive`, render, map errors.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import click

from ..ledger.keyfiles import read_verifier_key
from ._options import (
    Seconds,
    default_format,
    fail_on_option,
    grid_option,
    output_options,
    renamed_option,
    report_created,
    scan_param_options,
    spelling_used,
    write_output,
)

__all__ = ["archive"]


@click.group()
def archive() -> None:
    """Audit whole archives of recordings against the ledger, session records and retention.

    \b
    Example:
      auditor archive audit /archive --ledger court.db --policy kz-2015 -o audit.json
    """


@archive.command("audit")
@click.argument("directory", metavar="DIR", type=click.Path(file_okay=False, path_type=str))
@click.option("--ledger", "ledger_path", required=True, metavar="LEDGER.db",
              type=click.Path(dir_okay=False, path_type=str),
              help="The ledger the recordings were logged in (read only).")
@click.option("--sessions", type=click.Path(file_okay=False, path_type=str),
              help="A folder of session records kept apart from the recordings.")
@click.option("--policy", default="generic", show_default=True,
              help="Retention and continuity policy: kz-2015, generic, or a policy file.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes on this machine.")
@click.option("--scheduler", metavar="ADDR",
              help="Dask scheduler (tcp://HOST:8786): scan on its workers instead.")
@click.option("--connect-timeout", type=Seconds(min=0, min_open=True, max=3600), default=10.0,
              show_default=True, metavar="SECONDS",
              help="How long to wait for the Dask scheduler to answer.")
@click.option("--state", type=click.Path(dir_okay=False, path_type=str),
              help="Resumable state database (default: LEDGER.audit-state.db beside the ledger).")
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help="Reference day for retention, YYYY-MM-DD (default: today).")
@click.option("--trusted-key", "pubkey", metavar="KEYFILE.pub",
              type=click.Path(dir_okay=False, exists=True, path_type=str),
              help="Public key the ledger must be signed by; recommended. Formerly --key.")
@renamed_option("--key", "--trusted-key", "pubkey",
                type=click.Path(dir_okay=False, exists=True, path_type=str))
@output_options(("text", "json"))
@fail_on_option
@scan_param_options
@grid_option
@click.option("-q", "--quiet", is_flag=True, help="No progress display.")
def audit(directory: str, ledger_path: str, sessions: str | None, policy: str, workers: int,
          scheduler: str | None, connect_timeout: float, state: str | None,
          as_of: datetime | None, pubkey: str | None, fmt: str | None, output: str | None,
          fail_on: str, detectors: str | None, grid: str | None, quiet: bool,
          **overrides: float | None) -> None:
    """Audit an archive: missing, altered and unlogged files, retention, continuity, quality.

    Walks DIR at any depth, re-hashes and scans every recording, joins them with the ledger
    and the session records, and reports missing_file, hash_mismatch, unlogged_file,
    early_destruction, retention_overdue, unusable_recording and each session's continuity.
    Resumable: run the same command again after an interruption and it skips the files
    already audited (unless they changed).

    \b
    Example:
      auditor archive audit /archive --ledger court.db --policy kz-2015 \\
          --trusted-key court.key.pub --workers 2 --format json -o audit.json
      auditor archive audit /archive --ledger court.db --scheduler tcp://10.0.0.5:8786
      auditor archive audit /archive --ledger court.db --grid 50   # all on a 50 Hz grid
    Exit codes: 0 clean, 1 findings at or above --fail-on, 2 the archive could not be
    (fully) checked; the report still lists what was found.
    """
    from ..archive.audit import audit_archive, default_state_path
    from ..archive.progress import Progress
    from ..archive.report import render_archive_text
    from ..scan import make_params

    bar: list[Progress] = []

    def progress(files: int, nbytes: int, reused: int) -> Any:
        bar.append(Progress(files, nbytes, skipped=reused))

        def tick(result: Any) -> None:
            bar[0].update(result.size, result.hours)

        return tick

    fmt = default_format(fmt, output)
    try:
        result = audit_archive(
            directory, ledger=ledger_path, sessions=sessions, policy=policy, state=state,
            workers=workers, scheduler=scheduler, as_of=as_of.date() if as_of else date.today(),
            params=make_params(detectors, overrides, grid), created=report_created(),
            trusted_key=read_verifier_key(pubkey) if pubkey else None,
            progress=None if quiet else progress, connect_timeout=connect_timeout,
            inputs={f"the {spelling_used('--trusted-key', '--key', 'pubkey')} file": pubkey}
            if pubkey else None,
        )  # fmt: skip
    finally:
        if bar:
            bar[0].close()
    from ..report import dumps, exit_code

    report = result.report
    write_output(dumps(report) if fmt == "json" else render_archive_text(report), output,
                 inputs=[str(default_state_path(ledger_path))])
    if result.blocking:
        first = "; ".join(f"{p.rel}: {p.message}" for p in result.blocking[:3])
        more = f" and {len(result.blocking) - 3} more" if len(result.blocking) > 3 else ""
        todo = "fix access to them (permissions, files still being written) and run the same " \
            "command again"
        if any(p.kind == "failed" for p in result.blocking):
            todo += "; an internal error is a bug in auditor: report it with the message above"
        click.echo(f"auditor: error: {len(result.blocking)} path(s) of the archive could not be "
                   f"checked: {first}{more}\n  what to do: {todo}; the report lists them under "
                   "archive.problems", err=True)  # fmt: skip
        raise SystemExit(2)
    raise SystemExit(exit_code(report["findings"], fail_on))
