"""Hostile saved reports (``auditor report``), and bidirectional and invisible characters in
inputs, shown escaped wherever a person reads them.

Every case here once ended in an internal error or was rendered without complaint; each now
names the file, the field and what to do, with exit 2, or shows the character as ``<U+XXXX>``.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import speechlike, write
from conftest_hostile import RECORD, SR, probe_result, record, run, save

from auditor.cli import cli
from auditor.errors import InputError
from auditor.report.render import load_report
from auditor.session import Recording, Session, build_coverage

# --- saved reports (auditor report) ----------------------------------------------------------


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    import numpy as np

    d = tmp_path_factory.mktemp("rep")
    rng = np.random.default_rng(7)
    write(d / "part1.wav", speechlike(rng, 3 * SR, SR), SR)
    save(d / "s.json", record(breaks=[], start="2026-03-02T10:00:00+05:00",
                              end="2026-03-02T10:05:00+05:00"))
    r = CliRunner().invoke(cli, ["scan", "--session", str(d / "s.json"), "--format", "json",
                                 "-o", str(d / "r.json"), "-q"])
    assert r.exit_code == 1, r.output  # the session outlasts the recording
    return json.loads((d / "r.json").read_text())


def render(tmp_path: Path, data: Any, *, text: str | None = None) -> Any:
    path = tmp_path / "r.json"
    path.write_text(json.dumps(data) if text is None else text, encoding="utf-8")
    return run("report", path, "--format", "html", "-o", tmp_path / "out.html")


def test_the_saved_report_renders(saved: dict, tmp_path: Path) -> None:
    r = render(tmp_path, saved)
    assert r.exit_code == 0, r.output
    assert saved["findings"], "the fixture must hold findings for the tests below"


def edit(report: dict, where: str, value: Any) -> dict:
    data = copy.deepcopy(report)
    keys: list[Any] = [int(k) if k.isdigit() else k for k in where.split(".")]
    obj = data
    for k in keys[:-1]:
        obj = obj[k]
    obj[keys[-1]] = value
    return data


@pytest.mark.parametrize(
    ("where", "value", "message"),
    [
        ("findings.0.start", "abc", r"findings\[0\]\.start must be a number of seconds"),
        ("files", None, r"files must be a list"),
        ("findings", {"a": 1}, r"findings must be a list"),
        ("findings.0.severity", "critical", r"findings\[0\]\.severity 'critical' is not one of "
                                            r"info, warning, high"),
        ("findings.0.confidence", 7, r"findings\[0\]\.confidence must be a number in 0\.\.1"),
        ("findings.0.kind", None, r"findings\[0\]\.kind must be text"),
        ("findings.0.wall_start", "yesterday", r"findings\[0\]\.wall_start yesterday is not an "
                                               r"ISO 8601 time"),
        ("findings.0.evidence", [1], r"findings\[0\]\.evidence must be an object"),
        ("files.0.duration", "long", r"files\[0\]\.duration must be a number"),
        ("files.0.sample_rate", 1.5, r"files\[0\]\.sample_rate must be a whole number"),
        ("files.0", "a.wav", r"files\[0\] must be an object"),
        ("files.0.path", None, r"files\[0\]\.path must be text"),
        ("created", "abc", r"created abc is not an ISO 8601 time"),
        ("tool", None, r"tool must be an object"),
        ("tool.parameters", [], r"tool\.parameters must be an object"),
        ("session.start", "abc", r"session\.start abc is not an ISO 8601 time"),
        ("session.breaks", "recess", r"session\.breaks must be a list"),
        ("session", [], r"session must be an object or null"),
    ],
)
def test_report_input_is_validated(saved: dict, tmp_path: Path, where: str, value: Any,
                                   message: str) -> None:
    r = render(tmp_path, edit(saved, where, value))
    assert r.exit_code == 2, r.output
    assert "r.json: " in r.output
    assert "what to do" in r.output
    import re

    assert re.search(message, r.output), r.output
    assert not (tmp_path / "out.html").exists()


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity"])
def test_report_with_non_finite_numbers_is_exit_2(saved: dict, tmp_path: Path,
                                                  value: str) -> None:
    text = json.dumps(edit(saved, "files.0.duration", 123.25)).replace("123.25", value)
    r = render(tmp_path, None, text=text)
    assert r.exit_code == 2, r.output
    assert "files[0].duration must be a finite number" in r.output


def test_report_nested_100000_deep_is_exit_2(tmp_path: Path) -> None:
    r = render(tmp_path, None, text="[" * 100_000 + "]" * 100_000)
    assert r.exit_code == 2, r.output
    assert "r.json: the report is nested too deeply" in r.output


def test_report_with_deep_evidence_is_exit_2(saved: dict, tmp_path: Path) -> None:
    deep: Any = 1
    for _ in range(200):
        deep = {"a": deep}
    r = render(tmp_path, edit(saved, "findings.0.evidence", deep))
    assert r.exit_code == 2, r.output
    assert "findings[0].evidence is nested deeper than" in r.output


def test_report_with_a_huge_integer_is_exit_2(saved: dict, tmp_path: Path) -> None:
    text = json.dumps(edit(saved, "files.0.size", 1)).replace('"size": 1', '"size": ' + "9" * 5000)
    r = render(tmp_path, None, text=text)
    assert r.exit_code == 2, r.output
    assert "r.json: not a JSON report" in r.output


def test_report_of_a_ledger_verify_has_only_paths_and_hashes(saved: dict,
                                                            tmp_path: Path) -> None:
    # what `auditor ledger verify --format json` writes: files with path and sha256 only
    data = edit(saved, "files", [{"path": "part1.wav", "sha256": "ab" * 32}])
    data = edit(data, "session", None)
    r = render(tmp_path, data)
    assert r.exit_code == 0, r.output
    assert "ab" * 32 in (tmp_path / "out.html").read_text(encoding="utf-8")


def test_load_report_names_the_field(saved: dict, tmp_path: Path) -> None:
    path = save(tmp_path / "r.json", edit(saved, "findings.0.end", [1]))
    with pytest.raises(InputError, match=r"r\.json: findings\[0\]\.end must be a number"):
        load_report(path)




@pytest.mark.parametrize(
    ("where", "value", "message"),
    [
        ("files.0.codec", None, r"files\[0\] gives sample_rate but no codec"),
        ("files.0.checks", {"splice": {"enf": {"applicable": False}}},
         r"files\[0\]\.checks\.splice\.enf\.reason must be text"),
        ("files.0.checks", {"splice": {"enf": {"reason": "x"}}},
         r"files\[0\]\.checks\.splice\.enf\.applicable must be true or false"),
    ],
)
def test_file_facts_the_html_reads_together(saved: dict, tmp_path: Path, where: str,
                                            value: Any, message: str) -> None:
    path = save(tmp_path / "r.json", edit(saved, where, value))
    with pytest.raises(InputError, match=message):
        load_report(path)


def test_a_session_record_with_only_its_required_fields_renders(saved: dict,
                                                                tmp_path: Path) -> None:
    session = {k: saved["session"][k] for k in ("schema", "start", "end", "recordings")}
    r = render(tmp_path, edit(saved, "session", session))
    assert r.exit_code == 0, r.output


def test_a_partial_session_record_in_a_report_renders(saved: dict, tmp_path: Path) -> None:
    # the statistics need only court, case and start; the HTML shows what there is
    data = edit(saved, "session", {"court": "C", "case": "2-1/2026",
                                   "start": "2026-03-02T10:00:00+05:00"})
    r = render(tmp_path, data)
    assert r.exit_code == 0, r.output
    assert "2-1/2026" in (tmp_path / "out.html").read_text(encoding="utf-8")


def test_the_list_of_unreadable_files_is_validated(saved: dict, tmp_path: Path) -> None:
    path = save(tmp_path / "r.json", {**saved, "unreadable": [{"path": ["x"]}]})
    with pytest.raises(InputError, match=r"r\.json: unreadable\[0\]\.path must be text"):
        load_report(path)


# --- item 12: bidirectional and invisible characters wherever a person reads them -------------

RLO, LRI, RLM, ZWSP = "\u202e", "\u2066", "\u200f", "\u200b"
_INVISIBLE = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c\u200b\ufeff"


def _clean(text: str) -> None:
    raw = sorted({f"U+{ord(c):04X}" for c in text if c in _INVISIBLE or c in "\x00\x1b"})
    assert not raw, f"raw invisible characters in the output: {raw}"


def test_printable_escapes_bidi_and_invisible_characters() -> None:
    from auditor.findings import printable

    assert printable(f"2-1{RLO}/2026") == "2-1<U+202E>/2026"
    assert printable("a\nb\x1b[31m") == "a<U+000A>b<U+001B>[31m"
    assert printable("a\nb", keep="\n") == "a\nb"
    assert printable("Алматы №2 — ٢٠٢٦") == "Алматы №2 — ٢٠٢٦"  # letters of every script stay
    _clean(printable(_INVISIBLE + "\udcff"))


@pytest.fixture
def bidi_hearing(tmp_path: Path, rng) -> Path:
    write(tmp_path / "part1.wav", speechlike(rng, 3 * SR, SR), SR)
    return save(tmp_path / "s.json", record(
        case=f"2-123{RLO}/2026", court=f"court{ZWSP}", judge=f"{LRI}judge",
        start="2026-03-02T10:00:00+05:00", end="2026-03-02T10:05:00+05:00",
        breaks=[{"start": "2026-03-02T10:01:00+05:00", "end": "2026-03-02T10:02:00+05:00",
                 "reason": f"recess{RLO} 00:11"}]))


def test_text_report_shows_bidi_controls_as_escapes(bidi_hearing: Path) -> None:
    r = run("scan", "--session", bidi_hearing, "--format", "text", "-q")
    assert r.exit_code == 1, r.output
    _clean(r.output)
    assert "2-123<U+202E>/2026" in r.output
    assert "recess<U+202E> 00:11" in r.output


def test_json_report_keeps_the_raw_value(bidi_hearing: Path) -> None:
    r = run("scan", "--session", bidi_hearing, "--format", "json", "-q")
    assert json.loads(r.output)["session"]["case"] == f"2-123{RLO}/2026"


def test_html_title_cells_and_timeline_show_escapes(bidi_hearing: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    r = run("scan", "--session", bidi_hearing, "--format", "html", "-o", out, "-q")
    assert r.exit_code == 1, r.output
    html = out.read_text(encoding="utf-8")
    _clean(html)
    assert "<title>Recording integrity report — 2-123&lt;U+202E&gt;/2026</title>" in html
    assert "court&lt;U+200B&gt;" in html and "&lt;U+2066&gt;judge" in html


def test_html_of_a_saved_report_escapes_file_names_and_messages(saved: dict,
                                                                tmp_path: Path) -> None:
    data = edit(saved, "findings.0.message", f"gap{RLO} 10:00–11:00")
    data = edit(data, "files.0.path", f"part{RLM}1.wav")
    data = edit(data, "findings.0.evidence", {f"k{RLO}": f"v{RLO}"})
    r = render(tmp_path, data)
    assert r.exit_code == 0, r.output
    html = (tmp_path / "out.html").read_text(encoding="utf-8")
    _clean(html)
    assert "gap&lt;U+202E&gt; 10:00–11:00" in html
    assert "part&lt;U+200F&gt;1.wav" in html  # in the files table and the timeline's label


def test_csv_cells_show_escapes(saved: dict, tmp_path: Path) -> None:
    data = edit(saved, "findings.0.message", f"{RLO}=1+1")
    data = edit(data, "session.court", f"court{RLO}")
    path = save(tmp_path / "r.json", data)
    r = run("report", path, "--format", "csv", "-o", tmp_path / "f.csv")
    assert r.exit_code == 0, r.output
    rows = (tmp_path / "f.csv").read_text(encoding="utf-8-sig")
    summary = (tmp_path / "f.summary.csv").read_text(encoding="utf-8-sig")
    _clean(rows + summary)
    assert "<U+202E>=1+1" in rows and "court<U+202E>" in summary


def test_pdf_header_shows_escapes() -> None:
    # the PDF's running header and footer are CSS margin boxes (auditor.report.pdf.page_style)
    from auditor.report.pdf import page_style

    style = page_style(f"2-1{RLO}/2026", "en")
    _clean(style)
    # "<U+202E>" in a CSS string, its "<", "+" and ">" escaped as CSS hex escapes
    assert "2-1\\3c U\\2b 202E\\3e /2026" in style


def test_error_messages_show_escapes(tmp_path: Path) -> None:
    path = save(tmp_path / f"s{RLO}.json", record(court=[f"x{RLO}"]))
    r = run("scan", "--session", path, "--format", "json")
    assert r.exit_code == 2, r.output
    _clean(r.output)
    assert "s<U+202E>.json: court must be text" in r.output


def test_text_timeline_escapes_file_labels_and_newlines(tmp_path: Path) -> None:
    from auditor.session import render_timeline

    session = Session.from_json(record(case=f"a\nforged line{RLO}", recordings=[],
                                       breaks=[{**RECORD["breaks"][0], "reason": "x\ny"}]))
    cov = build_coverage(Recording(f"p{RLO}1.wav", session.start), probe_result(),
                         session=session)
    text = render_timeline(session, [cov], [])
    _clean(text)
    assert "session a<U+000A>forged line<U+202E>:" in text
    assert "p<U+202E>1.wav" in text and "recess" not in text
    assert "break         x<U+000A>y" in text

