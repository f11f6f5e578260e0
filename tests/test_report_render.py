"""HTML rendering from the saved JSON: identical from scan and from report, safe, robust, fast."""

from __future__ import annotations

import copy
import json
import re
import shutil
import time
from html import unescape
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import cli
from auditor.demo import build_hearing
from auditor.detect import ScanParams
from auditor.report.excerpts import MAX_PER_FILE
from auditor.report.html import render_html
from auditor.report.render import load_report
from auditor.scan import scan_with_session

EPOCH = "1772431200"  # 2026-03-02T06:00:00Z


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    from datetime import UTC, datetime

    d = tmp_path_factory.mktemp("hearing")
    build_hearing(d)
    report, _ = scan_with_session([], str(d / "session.json"), "kz-2015", ScanParams(),
                                  created=datetime(2026, 3, 2, 6, 0, tzinfo=UTC))
    return d, json.loads(json.dumps(report))


def test_scan_html_is_byte_identical_to_report_from_saved_json(
        demo: tuple[Path, dict], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    d, _ = demo
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    monkeypatch.chdir(tmp_path)
    run = CliRunner()
    session = str(d / "session.json")
    r1 = run.invoke(cli, ["scan", "--session", session, "--policy", "kz-2015",
                          "--format", "html", "--lang", "ru", "-o", "direct.html", "-q"])
    assert r1.exit_code == 1, r1.output  # the demo has findings
    r2 = run.invoke(cli, ["scan", "--session", session, "--policy", "kz-2015",
                          "--format", "json", "-o", "r.json", "-q"])
    assert r2.exit_code == 1, r2.output
    r3 = run.invoke(cli, ["report", "r.json", "--format", "html", "--lang", "ru",
                          "-o", "again.html"])
    assert r3.exit_code == 0, r3.output
    direct = (tmp_path / "direct.html").read_bytes()
    assert direct == (tmp_path / "again.html").read_bytes()
    assert "Отчёт о проверке целостности записи".encode() in direct
    assert direct.count(b"data:audio/ogg;base64,") >= 3


def test_html_is_self_contained_and_deterministic(demo: tuple[Path, dict]) -> None:
    d, report = demo
    html = render_html(report, lang="en", base=d)
    assert html == render_html(report, lang="en", base=d)
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)"', html)
    assert csp and unescape(csp.group(1)).startswith(
        "default-src 'none'; img-src data:; media-src data:; style-src 'sha256-")
    loads = re.findall(r'(?:src|href)="([^"#][^"]*)"', html)
    assert loads and all(u.startswith("data:") for u in loads), [u[:40] for u in loads
                                                                 if not u.startswith("data:")]
    assert "<script" not in html and " style=" not in html
    assert html.count('<svg class="excerpt"') >= 3 and '<svg class="timeline"' in html
    for word in ("hearing-part1.wav", report["files"][0]["sha256"], "2-1234/2026",
                 "kz-2015, point 6", "Part of the session not recorded", "Conclusion",
                 "auditor 0.1.0", "Point 19: unsanctioned suspension"):
        assert word in re.sub(r"<[^>]+>", "", html), word  # a name may be in a no-wrap span


def test_file_names_are_escaped(demo: tuple[Path, dict]) -> None:
    _, report = demo
    bad = copy.deepcopy(report)
    name = '<script>alert("x")</script>&.wav'
    bad["files"][0]["path"] = name
    for f in bad["findings"]:
        if f["file"] == "hearing-part1.wav":
            f["file"] = name
    bad["session"]["court"] = "<img src=x onerror=alert(1)>"
    html = render_html(bad, lang="kk")
    assert "<script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;.wav" in html


def test_missing_or_changed_recording_is_stated_at_each_finding(
        demo: tuple[Path, dict], tmp_path: Path) -> None:
    d, report = demo
    gone = copy.deepcopy(report)
    for f in gone["files"]:
        f["location"] = str(tmp_path / "nowhere" / f["path"])
    html = render_html(gone, lang="en", base=tmp_path)
    assert "No excerpt: the recording was not found" in html and "<audio" not in html
    changed = copy.deepcopy(report)
    for f in changed["files"]:
        copy_ = tmp_path / f["path"]
        shutil.copy(d / f["path"], copy_)
        data = bytearray(copy_.read_bytes())
        data[-1] ^= 1
        copy_.write_bytes(bytes(data))
        f["location"] = str(copy_)
    html = render_html(changed, lang="ru", base=tmp_path)
    assert "не совпадает по SHA-256" in html and "<audio" not in html


def many_findings(report: dict, n: int = 200) -> dict:
    """The demo report with ``n`` findings spread over the first file, some of unknown kinds."""
    out = copy.deepcopy(report)
    kinds = ["dropout", "splice", "level_jump", "early_destruction", "brand_new_kind"]
    out["findings"] = [{
        "kind": kinds[i % len(kinds)], "file": "hearing-part1.wav", "start": 0.55 * i + 0.1,
        "end": 0.55 * i + 0.2, "wall_start": None, "wall_end": None,
        "severity": ("high", "warning", "info")[i % 3], "confidence": 0.5,
        "detector": "test", "rule": None, "message": f"finding {i}", "evidence": {"i": i},
    } for i in range(n)]
    out["summary"] = {"findings": n, "by_kind": {}}
    return out


def test_two_hundred_findings_render_fast_and_small(demo: tuple[Path, dict]) -> None:
    d, report = demo
    big = many_findings(report)
    t0 = time.perf_counter()
    html = render_html(big, lang="ru", base=d)
    took = time.perf_counter() - t0
    print(f"\n200 findings: HTML rendered in {took:.2f} s, {len(html.encode()) / 1e6:.2f} MB")
    assert len(html.encode()) < 20e6
    assert html.count('class="finding ') == 200
    assert html.count("<audio") == MAX_PER_FILE
    assert "для остальных" in html  # says which findings have no excerpt
    assert "Brand new kind" in html  # an unknown kind renders through the generic path


def test_report_command_rejects_what_is_not_a_report(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "x.json"
    bad.write_text('{"schema": "auditor.session/1"}')
    r = CliRunner().invoke(cli, ["report", str(bad), "--format", "html"])
    assert r.exit_code == 2 and "not an auditor.report/1 report" in r.output
    bad.write_text("not json")
    r = CliRunner().invoke(cli, ["report", str(bad), "--format", "html"])
    assert r.exit_code == 2 and "not a JSON report" in r.output
    with pytest.raises(Exception, match="cannot read the report"):
        load_report(tmp_path / "absent.json")


def test_pdf_without_chromium_says_how_to_get_it(demo: tuple[Path, dict], tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    d, report = demo
    src = tmp_path / "r.json"
    src.write_text(json.dumps(report))
    monkeypatch.setenv("AUDITOR_CHROMIUM", str(tmp_path / "no-chromium"))
    r = CliRunner().invoke(cli, ["report", str(src), "--format", "pdf", "-o",
                                 str(tmp_path / "r.pdf")])
    assert r.exit_code == 2 and "AUDITOR_CHROMIUM" in r.output
    assert not (tmp_path / "r.pdf").exists()
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("AUDITOR_CHROMIUM")
    r = CliRunner().invoke(cli, ["scan", str(d / "hearing-part1.wav"), "--format", "pdf",
                                 "-o", str(tmp_path / "s.pdf")])
    assert r.exit_code == 2 and "apt install chromium" in r.output


def test_demo_writes_html_and_says_when_pdf_is_skipped(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from auditor.demo import run_demo

    monkeypatch.setenv("AUDITOR_CHROMIUM", str(tmp_path / "no-chromium"))
    text, code = run_demo(tmp_path / "demo", lang="kk")
    assert code == 1
    assert "PDF reports skipped" in text and "AUDITOR_CHROMIUM" in text
    for name in ("report.html", "report.ru.html", "report.kk.html"):
        assert (tmp_path / "demo" / name).stat().st_size > 10000
    assert not list((tmp_path / "demo").glob("*.pdf"))
    assert "Сот отырысы жазбасының" in (tmp_path / "demo" / "report.kk.html").read_text()
