"""Translations and locale formatting for the reports: English, Russian, Kazakh.

Every word a person reads in a report comes from a gettext message catalog. The catalogs are
the ``.po`` files under ``locale/<lang>/LC_MESSAGES/auditor.po``; they are compiled in memory
when first used (Babel's ``read_po`` / ``write_mo``), so the sources a translator edits are the
only form kept in the repository. English is the source language: its messages are the ``msgid``
strings themselves. Dates and numbers follow the language's CLDR conventions (Babel).
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ..errors import InputError

__all__ = ["LANGS", "Lang", "get_lang", "LOCALE_DIR", "DOMAIN"]

#: Languages a report can be rendered in.
LANGS = ("en", "ru", "kk")
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "auditor"


@functools.cache
def _translations(lang: str) -> Any:
    """A ``babel.support.Translations`` compiled from the language's ``.po`` file."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from babel.support import NullTranslations, Translations

    if lang == "en":
        return NullTranslations()
    po = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    try:
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=lang, domain=DOMAIN)
    except OSError as exc:
        raise InputError(f"the {lang} message catalog cannot be read: {exc.strerror}", path=po,
                         hint="reinstall auditor; the catalogs ship with the package") from None
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return Translations(fp=buf, domain=DOMAIN)


@dataclass(frozen=True)
class Lang:
    """One report language: its translations and its way of writing dates and numbers."""

    code: str

    @property
    def translations(self) -> Any:
        """The gettext translations object (for Jinja2's i18n extension)."""
        return _translations(self.code)

    def gettext(self, message: str, **values: Any) -> str:
        """``message`` translated, with ``%(name)s`` placeholders filled from ``values``."""
        text: str = self.translations.gettext(message)
        return text % values if values else text

    def ngettext(self, singular: str, plural: str, n: int, **values: Any) -> str:
        """The plural form for ``n`` (``%(num)s`` is ``n``), placeholders filled from ``values``."""
        text: str = self.translations.ngettext(singular, plural, n)
        return text % {"num": self.number(n), **values}

    def number(self, value: float | int, digits: int = 3) -> str:
        """A number in the language's notation, at most ``digits`` decimals (``1 234,5``)."""
        from babel.numbers import format_decimal

        pattern = "#,##0" + ("." + "#" * digits if digits else "")
        return str(format_decimal(value, format=pattern, locale=self.code))

    def date(self, value: date | str) -> str:
        """A calendar date in words (``2 March 2026``, ``2 марта 2026 г.``)."""
        from babel.dates import format_date

        if isinstance(value, str):
            value = date.fromisoformat(value[:10])
        return str(format_date(value, format="long", locale=self.code))

    def datetime(self, value: datetime | str) -> str:
        """A date and a 24-hour time with its UTC offset, as recorded (no zone conversion)."""
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        clock = value.strftime("%H:%M:%S")
        if value.microsecond:
            clock += self.number(value.microsecond / 1e6, 3)[1:]
        off = value.strftime("%z")
        zone = f" (UTC{off[:3]}:{off[3:]})" if off else ""
        return f"{self.date(value.date())}, {clock}{zone}"

    def clock(self, seconds: float) -> str:
        """A position in a file, ``HH:MM:SS.s`` with the language's decimal mark."""
        tenths = int(round(max(seconds, 0.0) * 10))
        h, rem = divmod(tenths, 36000)
        m, rem = divmod(rem, 600)
        s, t = divmod(rem, 10)
        mark = self.number(0.5, 1)[1]
        return f"{h:02d}:{m:02d}:{s:02d}{mark}{t}"

    def duration(self, seconds: float) -> str:
        """A length in words: ``4 ms``, ``4.2 s``, ``3 min 48 s``, ``1 h 5 min``."""
        if seconds < 1:
            return self.gettext("%(n)s ms", n=self.number(seconds * 1000, 1))
        if seconds < 60:
            return self.gettext("%(n)s s", n=self.number(seconds, 1))
        total = int(round(seconds))
        h, m, s = total // 3600, total % 3600 // 60, total % 60
        if h:
            return self.gettext("%(h)s h %(m)s min", h=h, m=m)
        if not s:
            return self.gettext("%(m)s min", m=m)
        return self.gettext("%(m)s min %(s)s s", m=m, s=s)


def get_lang(code: str) -> Lang:
    """The :class:`Lang` for ``en``, ``ru`` or ``kk``; :class:`InputError` for any other."""
    if code not in LANGS:
        raise InputError(f"unknown report language {code!r}",
                         hint="choose one of: " + ", ".join(LANGS))
    return Lang(code)
