"""The language of the app's pages: English, Russian or Kazakh, chosen by the person.

The choice is, in order: a ``lang`` query parameter (the switch in every page's header, which
also stores it in a ``lang`` cookie), the ``lang`` cookie, the browser's ``Accept-Language``
(RFC 9110 §12.5.4: language ranges with quality values; the first of en/ru/kk by quality,
``ru-RU`` counting as ``ru``), else English. The pages' words come from the report catalogs
(:mod:`auditor.report.i18n`), so the app and its reports use the same terms.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..report.i18n import LANGS, get_lang

__all__ = ["COOKIE", "from_accept_language", "choose", "environment"]

#: The cookie that keeps the choice.
COOKIE = "lang"
_TEMPLATES = Path(__file__).resolve().parent / "templates"


def from_accept_language(header: str | None) -> str | None:
    """The first of :data:`LANGS` the header accepts, by quality; None when it names none."""
    ranked = []
    for i, item in enumerate((header or "").split(",")):
        tag, _, params = item.strip().partition(";")
        q = 1.0
        for p in params.split(";"):
            key, _, value = p.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        code = tag.strip().lower().split("-")[0]
        if code in LANGS and q > 0:
            ranked.append((-q, i, code))
    return min(ranked)[2] if ranked else None


def choose(query: Mapping[str, str], cookies: Mapping[str, str], accept: str | None) -> str:
    """The page's language: query parameter, cookie, ``Accept-Language``, else ``en``."""
    for value in (query.get("lang"), cookies.get(COOKIE)):
        if value in LANGS:
            return str(value)
    return from_accept_language(accept) or "en"


@functools.cache
def environment(lang: str) -> Any:
    """The pages' Jinja2 environment in ``lang`` (autoescaped, gettext from the catalogs)."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(_TEMPLATES), extensions=["jinja2.ext.i18n"],
                      autoescape=select_autoescape(default=True, default_for_string=True))
    env.install_gettext_translations(  # type: ignore[attr-defined]  # added by ext.i18n
        get_lang(lang).translations, newstyle=True)
    return env
