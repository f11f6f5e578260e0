"""``auditor compare``: verify a transcoded copy against its reference recording."""

from __future__ import annotations

import json
import sys

import click

from ..errors import InputError
from ._options import (
    check_output,
    clear_progress,
    default_format,
    fail_on_option,
    output_options,
    progress_printer,
    report_created,
    write_output,
)

__all__ = ["compare"]


@click.command()
@click.argument("reference", type=click.Path(dir_okay=False, path_type=str))
@click.argument("copies", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=str))
@click.option("-R", "--reference-part", "reference_parts", multiple=True,
              type=click.Path(dir_okay=False, path_type=str), metavar="FILE",
              help="A further part of the reference, joined after REFERENCE in the order "
                   "given (repeatable): for an original recorded in several files.")
@click.option("--min-span", type=click.FloatRange(min=0.2), default=0.75, show_default=True,
              help="Shortest difference reported (s): a copy trimmed or padded by less at "
                   "either end has no finding.")
@output_options(formats=("text", "json", "html"))
@fail_on_option
@click.option("-q", "--quiet", is_flag=True, help="No progress display.")
def compare(reference: str, copies: tuple[str, ...], reference_parts: tuple[str, ...],
            min_span: float, fmt: str | None, output: str | None, fail_on: str,
            quiet: bool) -> None:
    """Align a copy (MP3, AAC, Opus, a disc's tracks...) with its reference recording and
    report what is missing from, inserted into or altered in the copy, with times in both.

    Several COPY files are played in order as one copy (a recording handed over in parts);
    -R adds parts to the reference. The report gives the overall offset, the speed ratio and
    the fraction of the reference the copy covers, and both inputs' SHA-256.

    \b
    Example:
      auditor compare hearing.wav copy.mp3
      auditor compare hearing.wav disc-1.mp3 disc-2.mp3 --format json -o compare.json
      auditor compare part1.wav -R part2.wav copy.m4a

    Exit codes: 0 the copy holds the reference's audio, 1 differences, 2 an input could not
    be read.
    """
    from ..compare import AlignParams, compare_fingerprints, fingerprint_copy, fingerprint_reference
    from ..compare.report import build_compare_report, describe_file, render_compare_text

    fmt = default_format(fmt, output)
    check_output(output)
    refs = [reference, *reference_parts]
    ref_files = [describe_file(p, "reference") for p in refs]   # a bad input fails here
    copy_files = [describe_file(p, "copy") for p in copies]
    progress = progress_printer(quiet)
    ref_fp = fingerprint_reference(refs, progress=progress)
    copy_fp = fingerprint_copy(copies, progress=progress)
    clear_progress(progress)
    if copy_fp.words.size < 25:
        raise InputError("the copy holds less than half a second of audio: nothing to compare",
                         path=copies[0], hint="check that this is the copy you were given")
    if ref_fp.words.size < 4:
        raise InputError("the reference holds less than a second of audio", path=reference,
                         hint="check that this is the original recording")
    params = AlignParams()
    result = compare_fingerprints(ref_fp, copy_fp, params=params, min_span=min_span)
    report = build_compare_report(
        comparison=result, reference_files=ref_files, copy_files=copy_files,
        reference_parts=ref_fp.parts, copy_parts=copy_fp.parts,
        parameters={"align": params.to_json(), "min_span": min_span,
                    "reference_stride": ref_fp.stride},
        created=report_created())
    from ..report import dumps, exit_code

    if fmt == "json":
        text = dumps(report)
    elif fmt == "html":
        from ..report import render_report

        rendered = render_report(json.loads(dumps(report)), "html")
        text = rendered.decode("utf-8") if isinstance(rendered, bytes) else rendered
    else:
        text = render_compare_text(report)
    write_output(text, output)
    sys.exit(exit_code(report["findings"], fail_on))
