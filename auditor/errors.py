"""One error root that explains itself.

Every failure the tool can diagnose is an :class:`AuditorError`. The CLI catches the root in one
place, prints :meth:`AuditorError.diagnostics` and exits 2, so a user never sees a traceback.
"""

from __future__ import annotations

import os

__all__ = [
    "AuditorError",
    "InputError",
    "MediaError",
    "ToolError",
    "SessionError",
    "LedgerError",
    "VerificationError",
]


class AuditorError(Exception):
    """Root of every error the tool reports to a user.

    Parameters
    ----------
    what
        What went wrong, with the offending value ("header claims 4000 frames, file holds 12").
    path
        The file the error is about, if any.
    hint
        What the user can do about it ("re-export the recording", "install ffmpeg").
    """

    def __init__(
        self, what: str, *, path: str | os.PathLike[str] | None = None, hint: str | None = None
    ) -> None:
        super().__init__(what)
        self.what = what
        self.path = None if path is None else os.fspath(path)
        self.hint = hint

    def diagnostics(self) -> str:
        """A message for a person: which file, what is wrong, what to do.

        Invisible and bidirectional control characters quoted from an input are shown as
        ``<U+202E>`` (:func:`auditor.findings.printable`), so a file name cannot reorder or hide
        the rest of the message.
        """
        from .findings import printable

        head = f"{printable(self.path)}: {self.what}" if self.path else self.what
        text = f"{head}\n  what to do: {self.hint}" if self.hint else head
        return printable(text, keep="\t\n")

    def __str__(self) -> str:
        return self.diagnostics()


class InputError(AuditorError):
    """An input (file, option, record) the tool cannot use as given."""


class MediaError(InputError):
    """A recording that cannot be probed or decoded."""


class ToolError(AuditorError):
    """A tool the auditor runs (ffmpeg, ffprobe) is missing or cannot run: nothing is wrong
    with the file, and no file can be checked until it is fixed."""


class SessionError(InputError):
    """A malformed session record or policy file."""


class LedgerError(AuditorError):
    """A ledger that cannot be opened, read or written."""


class VerificationError(AuditorError):
    """A signature, proof or hash that does not verify."""
