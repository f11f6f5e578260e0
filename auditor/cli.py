"""The ``auditor`` command line: thin commands over the library, errors mapped in one place."""

from __future__ import annotations

import functools
import os
import sys
import traceback
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from . import __version__
from .atomic import refuse_inputs, write_atomic
from .errors import AuditorError, InputError
from .findings import SEVERITIES

F = TypeVar("F", bound=Callable[..., Any])


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


def fail_on_option(f: F) -> F:
    """``--fail-on``: the lowest severity that makes the exit code 1."""
    return click.option(
        "--fail-on", type=click.Choice(SEVERITIES), default="warning", show_default=True,
        help="Exit 1 when a finding is at or above this severity.",
    )(f)  # fmt: skip


def output_options(f: F) -> F:
    """``--format`` and ``-o/--output``, shared by commands that write a report."""
    f = click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
                     help="Write the report here instead of standard output.")(f)
    f = click.option("--format", "fmt", type=click.Choice(["text", "json", "html", "pdf"]),
                     default=None,
                     help="Report format (default: text on a terminal, else json).")(f)
    return f


def report_created() -> datetime:
    """Report time: ``SOURCE_DATE_EPOCH`` when set (reproducible builds convention), else now."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), UTC)
        except ValueError:
            raise InputError(f"SOURCE_DATE_EPOCH is not an integer: {epoch!r}") from None
    return datetime.now(UTC)


def command_inputs(ctx: click.Context | None = None) -> list[str]:
    """Every string the current command and its parent groups were given: any of them may be a
    path the command reads (files, the ledger, --state, --key, --session, --policy, folders)."""
    ctx = ctx or click.get_current_context(silent=True)
    found: list[str] = []
    while ctx is not None:
        for name, value in ctx.params.items():
            if name == "output":
                continue
            values = value if isinstance(value, tuple | list) else (value,)
            found += [v for v in values if isinstance(v, str) and v]
        ctx = ctx.parent
    return found


def check_output(output: str | None, *, inputs: Iterable[str] = ()) -> None:
    """Refuse an ``-o`` that is an input of the command (same file by inode, or an existing file
    inside an input folder): exit 2 before anything is overwritten.

    The command's own arguments and options are inputs already; ``inputs`` adds the ones only
    the command knows (the recordings a session record declares, a default state file).
    """
    if output is not None:
        refuse_inputs(output, [*command_inputs(), *inputs])


def write_output(text: str | bytes, output: str | None, *, inputs: Iterable[str] = ()) -> None:
    """Write to a file or standard output (text only: a PDF needs ``-o``).

    A file is first checked against the command's inputs (:func:`check_output`), then written
    atomically: the previous file stays whole if anything goes wrong.
    """
    if output is None:
        if isinstance(text, bytes):
            raise InputError("a PDF is not written to a terminal",
                             hint="name the file with -o, e.g. -o report.pdf")
        click.echo(text, nl=False)
        return
    check_output(output, inputs=inputs)
    write_atomic(output, text if isinstance(text, bytes) else text.encode("utf-8"))


def progress_printer(quiet: bool) -> Callable[[str, float, float], None] | None:
    """A one-line progress display on stderr, only on a terminal."""
    if quiet or not sys.stderr.isatty():
        return None

    @functools.wraps(progress_printer)
    def show(label: str, done: float, total: float) -> None:
        pct = f"{100 * done / total:5.1f}%" if total else ""
        click.echo(f"\r  {Path(label).name[:40]:40} {done / 60:7.1f} min {pct}", err=True, nl=False)

    return show


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


_PARAM_OPTIONS = {
    "digital_silence_min": "Shortest run of identical samples reported as digital silence (s).",
    "silence_min": "Shortest acoustic silence reported (s).",
    "silence_margin_db": "How close to the noise floor counts as silence (dB).",
    "level_jump_db": "Smallest noise-floor step reported (dB).",
}


def lang_option(f: F) -> F:
    """``--lang``: the language of the words a person reads (en, ru, kk)."""
    return click.option("--lang", type=click.Choice(["en", "ru", "kk"]), default="en",
                        show_default=True,
                        help="Language of the report: English, Russian or Kazakh.")(f)


def scan_param_options(f: F) -> F:
    """Options that override the detectors' parameters."""
    for name, text in reversed(_PARAM_OPTIONS.items()):
        f = click.option("--" + name.replace("_", "-"), name, type=float, default=None,
                         help=text)(f)
    return click.option("--detectors", default=None, metavar="NAME,...",
                        help="Run only these detectors (comma-separated).")(f)


@cli.command()
@click.argument("files", nargs=-1, type=click.Path(path_type=str))
@click.option("--session", type=click.Path(dir_okay=False, path_type=str),
              help="Session record (auditor.session/1 JSON or CSV): audit continuity too.")
@click.option("--policy", default="generic", show_default=True,
              help="Continuity policy: a built-in name (kz-2015, generic) or a policy file.")
@output_options
@lang_option
@fail_on_option
@scan_param_options
@click.option("-q", "--quiet", is_flag=True, help="No progress display.")
def scan(files: tuple[str, ...], session: str | None, policy: str, fmt: str | None,
         output: str | None, fail_on: str, detectors: str | None, quiet: bool, lang: str,
         **overrides: float | None) -> None:
    """Scan recordings for gaps, silences, dropouts, timestamp breaks and video defects.

    \b
    Example:
      auditor scan hearing.wav
      auditor scan part1.mp3 part2.mp3 --format json -o report.json --fail-on high
      auditor scan --session session.json        # the files the record declares
      auditor scan --session session.json --format html --lang ru -o report.html
    """
    from .scanner import run_scan

    if not files and not session:
        raise InputError("no recordings given", hint="name one or more files, or --session")
    fmt = fmt or ("text" if sys.stdout.isatty() and output is None else "json")
    declared: list[str] = []
    if session and output:
        from .continuity_scan import declared_paths

        declared = declared_paths(session)
    check_output(output, inputs=declared)  # before the work, and again before the write
    text, code, unreadable = run_scan(
        list(files), session=session, policy=policy, fmt=fmt, fail_on=fail_on,
        detectors=detectors, overrides=overrides, created=report_created(),
        progress=progress_printer(quiet), lang=lang,
    )  # fmt: skip
    write_output(text, output, inputs=declared)
    for failed in unreadable:  # the report lists them too; say so where a person looks
        click.echo(f"auditor: error: {failed['error']}", err=True)
    if unreadable:
        click.echo(f"auditor: {len(unreadable)} file(s) could not be checked; the report covers "
                   "the others and lists these under \"unreadable\"", err=True)
    sys.exit(code)


@cli.command()
@click.argument("directory", required=False, default="auditor-demo",
                type=click.Path(file_okay=False, path_type=str))
@fail_on_option
@lang_option
def demo(directory: str, fail_on: str, lang: str) -> None:
    """Build a sample hearing with known defects, scan it, and show what was found.

    \b
    Example:
      auditor demo               # writes ./auditor-demo
      auditor demo /tmp/hearing
    """
    from .demo import run_demo

    text, code = run_demo(Path(directory), fail_on=fail_on, lang=lang)
    click.echo(text, nl=False)
    sys.exit(code)


@cli.command()
@click.argument("report_json", metavar="REPORT.json", type=click.Path(dir_okay=False,
                                                                       path_type=str))
@click.option("--format", "fmt", type=click.Choice(["html", "pdf", "csv"]), required=True,
              help="html: one self-contained file; pdf: for filing (needs chromium); "
              "csv: one row per finding, plus OUT.summary.csv with counts per court/year/kind.")
@lang_option
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="Write here (required for pdf and csv).")
def report(report_json: str, fmt: str, lang: str, output: str | None) -> None:
    """Render a saved JSON report as HTML, PDF or CSV, in English, Russian or Kazakh.

    \b
    Example:
      auditor scan --session session.json --format json -o report.json
      auditor report report.json --format html --lang kk -o report.kk.html
      auditor report report.json --format pdf --lang ru -o report.ru.pdf
      auditor report report.json --format csv -o findings.csv   # + findings.summary.csv
    """
    from .report.render import load_report, render_report, summary_path, write_report

    if output is not None:
        check_output(output)
        if fmt == "csv":
            check_output(str(summary_path(output)))
    data = load_report(report_json)
    base = Path(report_json).resolve().parent
    if output is None:
        if fmt != "html":
            raise InputError(f"--format {fmt} needs -o", hint=f"e.g. -o report.{fmt}")
        write_output(render_report(data, fmt, lang=lang, base=base), None)
        return
    for path in write_report(data, fmt, output, lang=lang, base=base):
        click.echo(f"wrote {path}", err=True)


def _register() -> None:
    from .ledger.cli import bundle, keygen, ledger

    cli.add_command(keygen)
    cli.add_command(ledger)
    cli.add_command(bundle)

    from .archive.cli import archive

    cli.add_command(archive)


_register()
