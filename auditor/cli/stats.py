"""``auditor stats``: a study's tables from many saved reports."""

from __future__ import annotations

import os
from pathlib import Path

import click

from ._options import check_output, write_output

__all__ = ["stats"]


@click.command()
@click.argument("reports", nargs=-1, required=True, metavar="REPORT.json...",
                type=click.Path(dir_okay=False, path_type=str))
@click.option("-o", "--output", required=True, metavar="DIR",
              type=click.Path(file_okay=False, path_type=str),
              help="Folder for the tables (created if missing): findings.csv, unrecorded.csv, "
                   "acts.csv, hearings.csv, inputs.csv and index.html.")
def stats(reports: tuple[str, ...], output: str) -> None:
    """Count findings, unrecorded session time and acts across many reports, for a study.

    Reads scan reports (auditor scan --format json, with or without --session) and archive
    audit reports. Writes one CSV per table and index.html, a self-contained page with charts
    that names the tool version and the SHA-256 of every report. A report that cannot be read
    is named and not counted; the others are, and the exit code is then 2.

    \b
    Example:
      for d in hearings/*/; do
        auditor scan --session "$d/session.json" --format json -o "$d/report.json" -q
      done
      auditor stats hearings/*/report.json -o study/
      auditor stats audit-2026.json hearings/*/report.json -o study/   # with an archive audit
    """
    from ..report.stats import read_study
    from ..report.stats_page import study_files

    folder = output  # named output: a folder written to, never one of the inputs

    study = read_study(reports)
    files = study_files(study)
    targets = {name: os.path.join(folder, name) for name in files}
    for target in targets.values():  # refuse before anything is written
        check_output(target)
    Path(folder).mkdir(parents=True, exist_ok=True)
    for name, target in targets.items():
        write_output(files[name], target)
    for problem in study.problems:
        click.echo(f"auditor: error: {problem.diagnostics()}", err=True)
    hearings = len(study.hearings)
    click.echo(f"{len(reports) - len(study.problems)} of {len(reports)} reports counted, "
               f"{hearings} hearing{'s' if hearings != 1 else ''}: wrote "
               f"{os.path.join(folder, 'index.html')} and its CSV tables", err=True)
    if study.problems:
        raise click.exceptions.Exit(2)
