"""``auditor scan`` and ``auditor demo``."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from ..errors import InputError
from ._options import (
    check_output,
    clear_progress,
    default_format,
    fail_on_option,
    grid_option,
    lang_option,
    output_options,
    progress_printer,
    report_created,
    scan_param_options,
    write_output,
)

__all__ = ["scan", "demo"]


@click.command()
@click.argument("files", nargs=-1, type=click.Path(path_type=str))
@click.option("--session", type=click.Path(dir_okay=False, path_type=str),
              help="Session record (auditor.session/1 JSON or CSV): audit continuity too.")
@click.option("--policy", default="generic", show_default=True,
              help="Continuity policy: a built-in name (kz-2015, generic) or a policy file.")
@output_options()
@lang_option
@fail_on_option
@scan_param_options
@grid_option
@click.option("-q", "--quiet", is_flag=True, help="No progress display.")
def scan(files: tuple[str, ...], session: str | None, policy: str, fmt: str | None,
         output: str | None, fail_on: str, detectors: str | None, grid: str | None,
         quiet: bool, lang: str, **overrides: float | None) -> None:
    """Scan recordings for gaps, silences, dropouts, timestamp breaks and video defects.

    \b
    Example:
      auditor scan hearing.wav
      auditor scan part1.mp3 part2.mp3 --format json -o report.json --fail-on high
      auditor scan --session session.json        # the files the record declares
      auditor scan --session session.json --format html --lang ru -o report.html
      auditor scan hearing.wav --grid 50         # the court's grid is 50 Hz
    """
    from ..digest import EarlyDigest

    one_blas_thread()
    # the first recording is hashed while the scan's modules are imported (auditor.digest)
    early = EarlyDigest(files[0]) if files else None
    from ..report import dumps, exit_code, render_report, render_text
    from ..report.i18n import get_lang
    from ..scan import (
        declared_paths,
        grid_params,
        make_params,
        scan_files,
        scan_report,
        scan_with_session,
    )
    from ..session import load_policy

    if not files and not session:
        raise InputError("no recordings given", hint="name one or more files, or --session")
    fmt = default_format(fmt, output)
    get_lang(lang)
    if fmt == "pdf":
        from ..report.pdf import find_chromium

        find_chromium()  # fail before scanning, not after
    params = make_params(detectors, overrides, grid)
    declared = declared_paths(session) if session and output else []
    check_output(output, inputs=declared)  # before the work, and again before the write
    progress = progress_printer(quiet)
    timeline = None
    if session is not None:
        report, timeline = scan_with_session(list(files), session, policy, params,
                                             created=report_created(), progress=progress,
                                             lang=lang, early=early)
    else:
        params = grid_params(params, policy=load_policy(policy))
        scans, unreadable = scan_files(list(files), params, progress=progress, early=early)
        report = scan_report(scans, params, created=report_created(), unreadable=unreadable)
    clear_progress(progress)
    failed = list(report.get("unreadable", []))
    code = 2 if failed else exit_code(report["findings"], fail_on)
    text: str | bytes
    if fmt in ("html", "pdf"):  # rendered from the JSON, as `auditor report` renders it
        text = render_report(json.loads(dumps(report)), fmt, lang=lang)
    else:
        text = dumps(report) if fmt == "json" else render_text(report, timeline=timeline,
                                                               lang=lang)
    write_output(text, output, inputs=declared)
    for item in failed:  # the report lists them too; say so where a person looks
        click.echo(f"auditor: error: {item['error']}", err=True)
    if failed:
        click.echo(f"auditor: {len(failed)} file(s) could not be checked; the report covers "
                   "the others and lists these under \"unreadable\"", err=True)
    sys.exit(code)


@click.command()
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
    one_blas_thread()
    from ..demo import run_demo

    text, code = run_demo(Path(directory), fail_on=fail_on, lang=lang)
    click.echo(text, nl=False)
    sys.exit(code)


def one_blas_thread() -> None:
    """Have OpenBLAS start no threads of its own, when numpy is not yet imported.

    A scan runs BLAS on one thread throughout (``auditor.lanes.single_thread``) and runs its
    own threads instead. OpenBLAS starts a thread per core when it is loaded, whatever is set
    later, and those threads spin waiting for work that never comes: 6 % of the CPU time of
    a 2 h scan, measured with whole processes in ``bench/``. A value the user set is kept.
    """
    if "numpy" not in sys.modules:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
