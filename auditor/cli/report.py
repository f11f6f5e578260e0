"""``auditor report``: render a saved JSON report."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import InputError
from ._options import check_output, lang_option, write_output

__all__ = ["report"]


@click.command()
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
    from ..report.render import load_report, render_report, summary_path, write_report

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
