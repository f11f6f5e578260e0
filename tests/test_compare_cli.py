"""``auditor compare``: exit codes, messages, refused outputs, reproducible JSON, help."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import speechlike, write

from auditor.cli import cli

SR = 16000


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare-cli")
    x = speechlike(np.random.default_rng(11), 60 * SR, SR)
    ref = write(out / "ref.wav", x, SR)
    same = write(out / "same.wav", x * np.float32(0.5), SR)       # quieter, same audio
    cut = write(out / "cut.wav", np.concatenate([x[: 20 * SR], x[26 * SR :]]), SR)
    corrupt = out / "corrupt.mp3"
    corrupt.write_bytes(b"ID3" + bytes(range(256)) * 8)
    empty = out / "empty.mp3"
    empty.write_bytes(b"")
    return {"ref": str(ref), "same": str(same), "cut": str(cut), "corrupt": str(corrupt),
            "empty": str(empty), "dir": out}


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, ["compare", *args], env=env)


def test_exit_0_when_the_copy_holds_the_reference(files):
    res = run(files["ref"], files["same"], "--format", "text")
    assert res.exit_code == 0, res.output
    assert "the copy holds the reference's audio" in res.output


def test_exit_1_and_the_cut_in_both_timelines(files):
    res = run(files["ref"], files["cut"], "--format", "json")
    assert res.exit_code == 1, res.output
    report = json.loads(res.output)
    [f] = report["findings"]
    assert f["kind"] == "missing_in_copy" and f["file"] == files["cut"]
    assert f["start"] == pytest.approx(20.0, abs=0.5)
    assert f["evidence"]["reference_start"] == pytest.approx(20.0, abs=0.5)
    assert f["evidence"]["reference_end"] - f["evidence"]["reference_start"] == pytest.approx(
        6.0, abs=0.15)
    assert [x["role"] for x in report["files"]] == ["reference", "copy"]
    assert all(len(x["sha256"]) == 64 for x in report["files"])
    assert report["tool"]["parameters"]["fingerprint"]["name"] == "haitsma-kalker-2002"
    assert report["comparison"]["coverage"] == pytest.approx(0.9, abs=0.01)


@pytest.mark.parametrize("bad", ["corrupt", "empty"])
def test_an_unreadable_copy_is_exit_2_naming_it(files, bad):
    res = run(files["ref"], files[bad])
    assert res.exit_code == 2
    assert files[bad] in res.output and "auditor: error:" in res.output
    assert "Traceback" not in res.output


def test_a_missing_reference_is_exit_2(files):
    res = run(str(files["dir"] / "nowhere.wav"), files["same"])
    assert res.exit_code == 2 and "nowhere.wav" in res.output


def test_an_output_that_is_an_input_is_refused(files):
    before = open(files["same"], "rb").read()
    res = run(files["ref"], files["same"], "-o", files["same"])
    assert res.exit_code == 2 and "also an input" in res.output
    assert open(files["same"], "rb").read() == before


def test_json_is_reproducible_byte_for_byte(files, tmp_path):
    outs = []
    for n in range(2):
        out = tmp_path / f"r{n}.json"
        res = run(files["ref"], files["cut"], "--format", "json", "-o", str(out),
                  env={"SOURCE_DATE_EPOCH": "1700000000"})
        assert res.exit_code == 1, res.output
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]


def test_help_has_an_example():
    res = CliRunner().invoke(cli, ["compare", "--help"])
    assert res.exit_code == 0
    assert "Example:" in res.output and "auditor compare hearing.wav copy.mp3" in res.output
