"""``auditor compare``: verify a transcoded copy against its reference recording, an evidence
bundle's logged fingerprint, or a ledger's (``--name``)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import click

from ..errors import InputError
from ._options import (
    Finite,
    check_output,
    clear_progress,
    default_format,
    fail_on_option,
    lang_option,
    output_options,
    progress_printer,
    report_created,
    write_output,
)

__all__ = ["check_pdf", "compare", "compare_report", "emit_report", "verify_copy"]

def compare_report(ref_fp: Any, ref_files: list[dict[str, Any]], copies: tuple[str, ...], *,
                   copy_files: list[dict[str, Any]], source: dict[str, Any], min_span: float,
                   progress: Callable[..., None] | None,
                   earlier: tuple[Any, ...] = ()) -> dict[str, Any]:
    """:func:`auditor.compare.check.compare_copy` at the report time, its progress line
    erased."""
    from ..compare.check import compare_copy

    try:
        return compare_copy(ref_fp, ref_files, copies, copy_files=copy_files, source=source,
                            min_span=min_span, progress=progress, created=report_created(),
                            earlier=earlier)
    finally:
        clear_progress(progress)


def check_pdf(fmt: str, output: str | None) -> None:
    """Before any work: a PDF needs ``-o`` and a Chromium to print it."""
    if fmt == "pdf":
        if output is None:
            raise InputError("a PDF is not written to a terminal",
                             hint="name the file with -o, e.g. -o compare.pdf")
        from ..report.pdf import find_chromium

        find_chromium()


def emit_report(report: dict[str, Any], fmt: str, output: str | None, fail_on: str,
                lang: str = "en") -> int:
    """Write the report as text, JSON, HTML or PDF; return the exit code of its findings.

    Text, HTML and PDF are in ``lang`` (``en``, ``ru``, ``kk``); JSON is the contract's, its
    messages in English whatever the language.

    HTML and PDF are the comparison's own page (:func:`auditor.compare.html.render_compare_html`,
    both timelines drawn), rendered from the report as saved; the PDF is that page printed by
    Chromium, as every PDF report is (:func:`auditor.report.pdf.render_pdf`).
    """
    from ..compare.report import render_compare_text
    from ..report import dumps, exit_code

    text: str | bytes
    if fmt == "json":
        text = dumps(report)
    elif fmt in ("html", "pdf"):
        from ..compare.html import render_compare_html

        saved = json.loads(dumps(report))
        text = render_compare_html(saved, lang)
        if fmt == "pdf":
            from ..compare.html import title
            from ..report.i18n import get_lang
            from ..report.pdf import render_pdf

            text = render_pdf([(text, None, lang)], title=title(get_lang(lang)))[0]
    else:
        text = render_compare_text(report, lang)
    write_output(text, output)
    return int(exit_code(report["findings"], fail_on))


@click.command()
@click.argument("reference", type=click.Path(path_type=str))
@click.argument("copies", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=str))
@click.option("-R", "--reference-part", "reference_parts", multiple=True,
              type=click.Path(dir_okay=False, path_type=str), metavar="FILE",
              help="A further part of the reference, joined after REFERENCE in the order "
                   "given (repeatable): for an original recorded in several files.")
@click.option("--name", help="When REFERENCE is a ledger: the recording's file name as logged.")
@click.option("--trusted-key", "pubkey", type=click.Path(dir_okay=False, exists=True),
              metavar="KEYFILE.pub",
              help="When REFERENCE is an evidence bundle: the court's public key you trust; "
                   "it authenticates who signed the bundle (without it the report says the "
                   "signer is NOT authenticated).")
@click.option("--min-span", type=Finite(min=0.2), default=0.75, show_default=True,
              help="Shortest difference reported (s): a copy trimmed or padded by less at "
                   "either end has no finding.")
@output_options(formats=("text", "json", "html", "pdf"))
@lang_option
@fail_on_option
@click.option("-q", "--quiet", is_flag=True, help="No progress display.")
def compare(reference: str, copies: tuple[str, ...], reference_parts: tuple[str, ...],
            name: str | None, pubkey: str | None, min_span: float, fmt: str | None,
            output: str | None, lang: str, fail_on: str, quiet: bool) -> None:
    """Align a copy (MP3, AAC, Opus, a disc's tracks...) with its reference and report what
    is missing from, inserted into or altered in the copy, with times in both.

    REFERENCE is the original recording, or an evidence bundle (folder or zip, from `auditor
    ledger bundle`) or a ledger with --name: then the content fingerprint logged with the
    recording is the reference, checked first (the bundle verified, the ledger entry's
    inclusion proof checked against its signed checkpoint). Several COPY files are played in
    order as one copy; -R adds parts to a reference recording. The report gives the overall
    offset, the speed ratio, the fraction of the reference the copy covers, the inputs'
    SHA-256 and, for a bundle or ledger, its origin, tree size and root.

    \b
    Example:
      auditor compare hearing.wav copy.mp3
      auditor compare hearing.wav disc-1.mp3 disc-2.mp3 --format json -o compare.json
      auditor compare part1.wav -R part2.wav copy.m4a
      auditor compare hearing-evidence.zip copy.mp3 --trusted-key court.key.pub
      auditor compare court.db copy.mp3 --name hearing.wav
      auditor compare hearing.wav copy.mp3 --format pdf -o compare.pdf
      auditor compare hearing.wav copy.mp3 --format pdf --lang ru -o compare.ru.pdf

    Text, HTML and PDF are in the --lang language (English, Russian or Kazakh); JSON keeps
    the report's English messages, as a scan's does.

    Exit codes: 0 the copy holds the reference's audio, 1 differences, 2 an input could not
    be read (or a bundle or ledger holds no fingerprint of the recording).
    """
    from ..compare.check import load_reference, reference_kind
    from ..compare.report import describe_file

    fmt = default_format(fmt, output)
    check_output(output)
    check_pdf(fmt, output)
    kind = reference_kind(reference)
    if kind != "ledger" and name is not None:
        raise InputError("--name names a recording in a ledger, but REFERENCE is not a ledger",
                         path=reference, hint="drop --name, or give the ledger as REFERENCE")
    if kind != "bundle" and pubkey is not None:
        hint = (f"check a ledger's signer with `auditor ledger verify {reference} COPY "
                "--copy-of NAME --trusted-key KEYFILE.pub`" if kind == "ledger"
                else "drop --trusted-key")
        raise InputError(f"--trusted-key authenticates an evidence bundle's signer; REFERENCE "
                         f"is a {kind}", path=reference, hint=hint)
    if kind != "recording" and reference_parts:
        raise InputError(f"-R joins parts of a reference recording; REFERENCE is a {kind}",
                         path=reference, hint="compare against the bundle or ledger alone")
    progress = progress_printer(quiet)
    copy_files = [describe_file(p, "copy") for p in copies]
    trusted = None
    if kind == "bundle" and pubkey:
        from ..ledger.keyfiles import read_verifier_key

        trusted = read_verifier_key(pubkey)
    ref_fp, ref_files, source = load_reference(reference, parts=reference_parts, name=name,
                                               trusted_key=trusted, progress=progress)
    report = compare_report(ref_fp, ref_files, copies, copy_files=copy_files, source=source,
                            min_span=min_span, progress=progress)
    sys.exit(emit_report(report, fmt, output, fail_on, lang))


def verify_copy(ledger_path: str, copies: tuple[str, ...], name: str, result: Any,
                 params: dict[str, Any], fmt: str, fail_on: str, output: str | None,
                 lang: str = "en") -> int:
    """``ledger verify --copy-of``: the comparison report against the fingerprint the ledger
    logged, with the ledger check's findings and facts (``result``); returns the exit code."""
    from ..compare.check import reference_file
    from ..compare.report import describe_file
    from ..ledger.content import ledger_reference
    from ._options import progress_printer

    copy_files = [describe_file(p, "copy") for p in copies]
    ref_fp, source = ledger_reference(ledger_path, name)
    report = compare_report(ref_fp, [reference_file(source, ref_fp.duration)], copies,
                            copy_files=copy_files, source=source, min_span=0.75,
                            progress=progress_printer(True), earlier=tuple(result.findings))
    report["tool"]["parameters"].update(params, copy_of=name)
    report["ledger"] = result.to_report(params, None)["ledger"]
    if fmt == "text":
        checks = "".join(f"ok: {c}\n" for c in result.log.checks)
        problems = "".join(f"{f.severity.upper()}: {f.kind}: {f.message}\n"
                           for f in result.findings)
        from ..compare.report import render_compare_text

        write_output(checks + problems + render_compare_text(report, lang)
                     + f"ledger: {result.trust}\n", output)
        from ..report import exit_code

        return int(exit_code(report["findings"], fail_on))
    return emit_report(report, fmt, output, fail_on, lang)
