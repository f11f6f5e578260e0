"""Message catalogs: complete, consistent with the glossary, and used for dates and numbers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from auditor.errors import InputError
from auditor.report.explain import KINDS, kind_text, kind_title, rule_label, rule_points
from auditor.report.i18n import LOCALE_DIR, get_lang
from auditor.report.text import render_text

PKG = Path(__file__).resolve().parents[1] / "auditor"
#: the packages whose words a person reads, all in the report catalogs
TRANSLATED = [PKG / "report", PKG / "compare", PKG / "serve"]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _source_messages() -> set[object]:
    keywords = dict(DEFAULT_KEYWORDS)
    keywords["N_"] = None
    method_map = [("**/templates/**.j2", "jinja2.ext:babel_extract"), ("**.py", "python")]
    options = {"**/templates/**.j2": {"extensions": "jinja2.ext.i18n",
                                      "newstyle_gettext": "true"}}
    out: set[object] = set()
    for pkg in TRANSLATED:
        for _fn, _line, msg, _c, _ctx in extract_from_dir(str(pkg), method_map, options,
                                                          keywords=keywords):
            out.add(msg if isinstance(msg, str) else tuple(msg))
    return out


def _catalog(lang: str):
    with (LOCALE_DIR / lang / "LC_MESSAGES" / "auditor.po").open("rb") as fh:
        return read_po(fh, locale=lang)


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_every_message_in_the_code_is_translated(lang: str) -> None:
    catalog = _catalog(lang)
    have = {m.id for m in catalog if m.id}
    missing = [m for m in _source_messages() if m not in have]
    assert not missing, f"{lang}: not in the catalog: {missing[:5]}"
    for m in catalog:
        if not m.id:
            continue
        assert not m.fuzzy, m.id
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        assert all(s.strip() for s in strings), f"{lang}: empty translation of {m.id!r}"
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        want = set(PLACEHOLDER.findall(" ".join(ids)))
        for s in strings:
            assert set(PLACEHOLDER.findall(s)) == want, f"{lang}: placeholders of {m.id!r}"
            assert s not in ids or len(s) < 12, f"{lang}: left in English: {s!r}"


def _glossary() -> list[tuple[str, str, str]]:
    rows = []
    for line in (LOCALE_DIR / "glossary.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| `"):
            assert len(cells) == 5, f"glossary row with {len(cells)} cells: {line}"
            rows.append((cells[0].strip("`"), cells[3], cells[4]))
    return rows


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_legal_terms_follow_the_glossary(lang: str) -> None:
    terms = _glossary()
    assert len(terms) >= 15
    catalog = _catalog(lang)
    bad = []
    for pattern, ru_stem, kk_stem in terms:
        stem = (ru_stem if lang == "ru" else kk_stem).lower()
        for m in catalog:
            ids = m.id if isinstance(m.id, tuple) else (m.id,)
            if not m.id or not re.search(pattern, ids[0], re.IGNORECASE):
                continue
            strings = m.string if isinstance(m.string, tuple) else (m.string,)
            bad += [(pattern, s) for s in strings if stem not in s.lower()]
    assert not bad, f"{lang}: glossary term not used: {bad[:3]}"


def test_dates_and_numbers_follow_the_language() -> None:
    en, ru, kk = get_lang("en"), get_lang("ru"), get_lang("kk")
    assert en.date("2026-03-02T10:00:00+05:00") == "March 2, 2026"
    assert ru.date("2026-03-02").replace("\u202f", " ") == "2 марта 2026 г."
    assert "наурыз" in kk.date("2026-03-02")
    assert en.number(1234.5) == "1,234.5"
    assert ru.number(1234.5).replace("\xa0", " ") == "1 234,5"
    assert ru.clock(75.04) == "00:01:15,0" and en.clock(75.04) == "00:01:15.0"
    assert ru.duration(228) == "3 мин 48 с" and en.duration(0.004) == "4 ms"
    assert ru.datetime("2026-03-02T10:01:19+05:00").endswith("10:01:19 (UTC+05:00)")
    with pytest.raises(InputError, match="unknown report language 'de'"):
        get_lang("de")


def test_russian_plural_forms() -> None:
    ru = get_lang("ru")
    one, few, many = (ru.ngettext("%(num)s channel", "%(num)s channels", n) for n in (1, 3, 5))
    assert (one, few, many) == ("1 канал", "3 канала", "5 каналов")


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_every_kind_is_explained_in_the_language(lang: str) -> None:
    tr = get_lang(lang)
    for kind, (title, text) in KINDS.items():
        assert kind_title(tr, kind) != title
        assert kind_text(tr, {"kind": kind, "detector": "x"}) != text
    new = kind_text(tr, {"kind": "early_destruction_v2", "detector": "archive"})
    assert "early_destruction_v2" in new and "archive" in new  # a kind not known yet renders


def test_rule_citations_are_translated() -> None:
    ru, kk, en = get_lang("ru"), get_lang("kk"), get_lang("en")
    assert rule_label(en, "kz-2015 p.6") == "kz-2015, point 6"
    assert rule_label(ru, "kz-2015 pp.17-18") == "kz-2015, пп. 17, 18"
    assert rule_label(kk, "kz-2015 p.19") == "kz-2015, 19-тармақ"
    assert rule_label(ru, "my-policy rule 3") == "my-policy rule 3"
    points = rule_points(ru, "kz-2015 p.6, p.17")
    assert len(points) == 2 and points[0].startswith("Пункт 6") and "акт" in points[1]
    assert rule_points(ru, "generic p.6") == []


def test_text_report_english_unchanged_and_translated() -> None:
    report = {
        "files": [{"path": "a.wav", "duration": 120.0, "codec": "pcm_s16le",
                   "sample_rate": 16000, "channels": 1, "sha256": "ab" * 32}],
        "findings": [{"file": "a.wav", "kind": "dropout", "severity": "warning",
                      "message": "dropout at 00:00:40.0", "wall_start": None,
                      "detector": "dropout"}],
        "summary": {"findings": 1, "by_severity": {"warning": 1}},
    }
    en = render_text(report)
    assert en == ("a.wav: 00:02:00, pcm_s16le 16000 Hz, 1 ch, sha256 abababababababab…\n\n"
                  "a.wav:\n  WARN  dropout            dropout at 00:00:40.0\n\n"
                  "1 finding (1 warning).\n")
    ru = render_text(report, lang="ru")
    assert "Выпадение сигнала (dropout)" in ru and "1 факт (1 средняя)." in ru
    assert "dropout at 00:00:40.0" in ru  # the detector's message stays as technical detail
    assert "Гц" in render_text(report, lang="kk")


def test_every_finding_kind_the_code_makes_has_a_title_and_an_explanation() -> None:
    # kinds written literally where findings are made; a kind without an entry in KINDS is
    # shown to a reader as its bare identifier, in every language
    made = re.compile(r'(?:Finding\(\s*(?:kind=)?|_finding\(\s*|\bKIND = )"([a-z_]+)"'
                      r'|\bkind="([a-z_]+)", file=')
    kinds: set[str] = set()
    for path in PKG.rglob("*.py"):
        for a, b in made.findall(path.read_text(encoding="utf-8")):
            kinds.add(a or b)
    assert {"digital_silence", "duplicate_claim", "unusable_recording", "unsealed"} <= kinds
    assert sorted(kinds - set(KINDS)) == []
