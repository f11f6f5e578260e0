"""What every command shares: options defined once, the report time, the one output writer.

An output (``-o``) is never one of the command's inputs (compared by device and inode), and is
written atomically (:func:`auditor.atomic.write_atomic`): the previous file stays whole if
anything goes wrong.
"""

from __future__ import annotations

import functools
import math
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from ..atomic import refuse_inputs, write_atomic
from ..errors import InputError
from ..findings import SEVERITIES, printable
from ..report.i18n import LANGS

F = TypeVar("F", bound=Callable[..., Any])

__all__ = ["fail_on_option", "output_options", "lang_option", "scan_param_options", "grid_option",
           "trust_options", "signing_key_option", "renamed_option", "spelling_used",
           "report_created", "command_inputs", "check_output", "write_output", "progress_printer",
           "clear_progress", "default_format", "Finite", "Seconds"]


class Finite(click.FloatRange):
    """A finite number in a range: :class:`click.FloatRange` lets ``nan`` through (no comparison
    with it is true) and ``inf`` past an open maximum, which later code refuses with an
    internal error or, worse, takes in silence."""

    name = "NUMBER"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


class Seconds(Finite):
    """A duration in seconds between ``min`` and ``max`` (a timer or a socket refuses ``nan``
    and overflows on ``inf``)."""

    name = "SECONDS"


def fail_on_option(f: F) -> F:
    """``--fail-on``: the lowest severity that makes the exit code 1."""
    return click.option(
        "--fail-on", type=click.Choice(SEVERITIES), default="warning", show_default=True,
        help="Exit 1 when a finding is at or above this severity.",
    )(f)  # fmt: skip


def output_options(formats: Sequence[str] = ("text", "json", "html", "pdf"),
                   default: str | None = None) -> Callable[[F], F]:
    """``--format`` (one of ``formats``) and ``-o/--output``, for commands that write a report.

    With ``default=None`` the format is text on a terminal, else json (:func:`default_format`).
    """
    def decorate(f: F) -> F:
        f = click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=str),
                         help="Write the report here instead of standard output.")(f)
        helptext = ("Report format (default: text on a terminal, else json)." if default is None
                    else "Report format.")
        return click.option("--format", "fmt", type=click.Choice(list(formats)), default=default,
                            show_default=default is not None, help=helptext)(f)

    return decorate


def default_format(fmt: str | None, output: str | None) -> str:
    """The format asked for, else text on a terminal and json into a file or a pipe."""
    return fmt or ("text" if sys.stdout.isatty() and output is None else "json")


def lang_option(f: F) -> F:
    """``--lang``: the language of the words a person reads."""
    return click.option("--lang", type=click.Choice(LANGS), default="en", show_default=True,
                        help="Language of the report: English, Russian or Kazakh.")(f)


_PARAM_OPTIONS = {
    "digital_silence_min": "Shortest run of identical samples reported as digital silence (s).",
    "silence_min": "Shortest acoustic silence reported (s).",
    "silence_margin_db": "How close to the noise floor counts as silence (dB).",
    "level_jump_db": "Smallest noise-floor step reported (dB).",
    "splice_min_confidence": "Lowest probability of an edit at which a splice anomaly is "
    "reported (default: the calibration's, about 0.01; a stricter one finds fewer edits and "
    "raises fewer false alarms: see bench/README.md).",
}


#: every detector parameter is a positive number; a confidence is also at most 1
_PARAM_RANGES = {"splice_min_confidence": Finite(min=0, max=1, min_open=True)}


def scan_param_options(f: F) -> F:
    """Options that override the detectors' parameters (click refuses a value out of range,
    saying the range; the library checks again, for callers that are not the command line)."""
    for name, text in reversed(_PARAM_OPTIONS.items()):
        kind = _PARAM_RANGES.get(name, Finite(min=0, min_open=True))
        f = click.option("--" + name.replace("_", "-"), name, type=kind, default=None,
                         help=text)(f)
    return click.option("--detectors", default=None, metavar="NAME,...",
                        help="Run only these detectors (comma-separated).")(f)


#: auditor.detect.base.GRIDS, spelt out: importing it would load every detector at start-up
_GRIDS = ("50", "60", "auto")


def grid_option(f: F) -> F:
    """``--grid``: the grid's nominal frequency, over the session record's and the policy's."""
    return click.option(
        "--grid", type=click.Choice(_GRIDS), default=None,
        help="Mains frequency for the ENF cue: 50 or 60 Hz, or auto to measure it (a line counts "
             "as mains hum only when it behaves like a grid). Default: the session record's "
             "grid_hz, else the policy's grid (kz-2015: 50), else auto.",
    )(f)  # fmt: skip


def renamed_option(old: str, new: str, dest: str, *, required: bool = False,
                   **attrs: Any) -> Callable[[F], F]:
    """The old spelling ``old`` of the option ``new`` (whose value goes to ``dest``): hidden from
    the help, it still does what it did, and says on standard error which spelling replaces it.

    Decorate the command with this *below* the ``new`` option. Giving both is a usage error;
    with ``required``, giving neither is one (the ``new`` option itself must then not be
    required, or the old spelling alone would be refused).
    """
    hidden_dest = "old_" + dest

    def warn(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        if value is not None and not ctx.resilient_parsing:
            click.echo(f"auditor: warning: {old} is deprecated here: use {new} (the same value; "
                       f"{old} still works for now)", err=True)  # fmt: skip
        return value

    def decorate(f: F) -> F:
        @functools.wraps(f)
        def command(*args: Any, **kwargs: Any) -> Any:
            value = kwargs.pop(hidden_dest)
            if value is not None:
                if kwargs.get(dest) not in (None, "", value):
                    raise click.UsageError(f"give {new} only ({old} is its old spelling)")
                kwargs[dest] = value
            if required and kwargs.get(dest) is None:
                raise click.UsageError(f"Missing option '{new}'.", click.get_current_context())
            return f(*args, **kwargs)

        option = click.option(old, hidden_dest, hidden=True, expose_value=True, callback=warn,
                              **attrs)  # fmt: skip
        return option(command)  # type: ignore[return-value]

    return decorate


def spelling_used(new: str, old: str, dest: str) -> str:
    """The spelling of an option the user typed: ``old`` when the hidden old spelling was used."""
    ctx = click.get_current_context(silent=True)
    return old if ctx is not None and ctx.params.get("old_" + dest) is not None else new


def trust_options(fn: F) -> F:
    """``--trusted-key KEYFILE.pub`` (the public key you trust; old spelling ``--key``) and
    ``--no-key``, shared by the verifying commands.

    Without a trusted key a check proves only that the input is internally consistent: anyone
    can make a consistent ledger or bundle with a key of his own. Such a result is therefore
    exit 2 ("could not authenticate") unless ``--no-key`` accepts a consistency-only check.
    """
    path = click.Path(dir_okay=False, exists=True)
    fn = renamed_option("--key", "--trusted-key", "pubkey", type=path)(fn)
    fn = click.option("--no-key", is_flag=True,
                      help="Accept a consistency-only check when you hold no trusted key: exit 0 "
                           "on a clean result, which then says the signer is NOT "
                           "authenticated.")(fn)  # fmt: skip
    fn = click.option("--trusted-key", "pubkey", type=path, metavar="KEYFILE.pub",
                      help="Public key you trust (the signer's KEYFILE.pub): authenticates the "
                           "signer. Without it (or --no-key) a clean result exits 2. "
                           "Formerly --key.")(fn)  # fmt: skip
    return fn


def signing_key_option(fn: F) -> F:
    """``--signing-key KEYFILE``: the private key that signs (old spelling ``--key``)."""
    fn = renamed_option("--key", "--signing-key", "keyfile", required=True,
                        type=click.Path(dir_okay=False))(fn)
    return click.option("--signing-key", "keyfile", type=click.Path(dir_okay=False),
                        metavar="KEYFILE",
                        help="The ledger's private signing key (auditor keygen); required. "
                             "Formerly --key.")(fn)  # fmt: skip


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
        name = printable(Path(label).name)[:40]
        click.echo(f"\r  {name:40} {done / 60:7.1f} min {pct}", err=True, nl=False)

    return show


def clear_progress(progress: Callable[[str, float, float], None] | None) -> None:
    """Erase the progress line, if one was drawn."""
    if progress is not None:
        click.echo("\r" + " " * 70 + "\r", err=True, nl=False)
