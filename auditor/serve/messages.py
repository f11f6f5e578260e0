"""The app's own error messages, said in the page's language.

An :class:`AppError` is raised with the English message and advice as catalog ids (``%(name)s``
placeholders, values given apart), so the page that shows it says it in the person's language
(:meth:`AppError.diagnostics_in`); anywhere else (a log, a test, the JSON status) it reads as any
:class:`~auditor.errors.InputError`. The library's errors are not these: they stay as the library
gives them.
"""

from __future__ import annotations

from typing import Any

from ..errors import AuditorError, InputError
from ..findings import printable
from ..report.i18n import get_lang

__all__ = ["AppError", "diagnostics_in"]


class AppError(InputError):
    """An error of the app itself (an upload refused, a form without its files)."""

    def __init__(self, what: str, *, hint: str | None = None, path: str | None = None,
                 **values: Any) -> None:
        self.template, self.hint_template, self.values = what, hint, values
        super().__init__(what % values if values else what, hint=hint, path=path)

    def diagnostics_in(self, lang: str) -> str:
        """:meth:`diagnostics` with the message and the advice in ``lang``."""
        tr = get_lang(lang)
        what = tr.gettext(self.template, **self.values)
        head = f"{printable(self.path)}: {what}" if self.path else what
        text = head if not self.hint_template else tr.gettext(
            "%(what)s\n  what to do: %(hint)s", what=head,
            hint=tr.gettext(self.hint_template))
        return printable(text, keep="\t\n")


def diagnostics_in(exc: AuditorError, lang: str) -> str:
    """An error for a page in ``lang``: the app's translated, the library's as it is."""
    return exc.diagnostics_in(lang) if isinstance(exc, AppError) else exc.diagnostics()
