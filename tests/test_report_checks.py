"""What a splice cue could not establish is stated in every rendering, never left out."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from click.testing import CliRunner
from conftest import speechlike, write

from auditor.cli import cli

SR = 16000


def test_enf_not_applicable_is_stated_in_json_text_and_html(tmp_path: Path, rng) -> None:
    wav = write(tmp_path / "no-hum.wav", speechlike(rng, 40 * SR, SR), SR)
    runner = CliRunner()
    out = runner.invoke(cli, ["scan", str(wav), "--format", "json", "-q"])
    assert out.exit_code in (0, 1), out.output
    report = json.loads(out.output)
    enf = report["files"][0]["checks"]["splice"]["enf"]
    assert enf["applicable"] is False and enf["snr_db"] < 10
    assert "no usable mains hum" in enf["reason"]
    text = runner.invoke(cli, ["scan", str(wav), "--format", "text", "-q"]).output
    assert "edit check not applicable: mains hum (ENF): no usable mains hum" in text
    ru = runner.invoke(cli, ["scan", str(wav), "--format", "text", "-q", "--lang", "ru"]).output
    assert "проверка на монтаж неприменима: фон электросети (ЧЭС)" in ru
    saved = tmp_path / "r.json"
    saved.write_text(out.output)
    html = tmp_path / "r.html"
    done = runner.invoke(cli, ["report", str(saved), "--format", "html", "-o", str(html)])
    assert done.exit_code == 0, done.output
    page = html.read_text()
    assert "Checks for edits (splices)" in page and "not applicable" in page
    assert np.isfinite(enf["snr_db"])
