"""The command line: help with examples everywhere, exit codes, reproducible JSON."""

import hashlib
import json
import os
import subprocess
import sys

import click
import numpy as np
import pytest
from click.testing import CliRunner
from conftest import speechlike, write

from auditor.cli import cli

SR = 16000


def all_commands(group, prefix=()):
    for name, cmd in group.commands.items():
        yield (*prefix, name), cmd
        if isinstance(cmd, click.Group):
            yield from all_commands(cmd, (*prefix, name))


@pytest.mark.parametrize("path,cmd", list(all_commands(cli)), ids=lambda v: " ".join(v)
                         if isinstance(v, tuple) else "")
def test_every_command_has_help_with_an_example(path, cmd):
    r = CliRunner().invoke(cli, [*path, "--help"])
    assert r.exit_code == 0
    assert "Example" in r.output and "auditor " in r.output.split("Example", 1)[1]


@pytest.fixture
def recordings(tmp_path, rng):
    clean = write(tmp_path / "clean.wav", speechlike(rng, 20 * SR, SR), SR)
    x = speechlike(rng, 20 * SR, SR)
    x[5 * SR : 6 * SR] = 0.0
    muted = write(tmp_path / "muted.wav", x, SR)
    return clean, muted


def test_exit_codes_and_fail_on(recordings):
    clean, muted = recordings
    run = CliRunner().invoke
    assert run(cli, ["scan", str(clean), "--format", "json"]).exit_code == 0
    assert run(cli, ["scan", str(muted), "--format", "json"]).exit_code == 1
    # a 1 s muted span is "high": --fail-on high still fails, and info never passes it
    assert run(cli, ["scan", str(muted), "--fail-on", "high"]).exit_code == 1
    r = run(cli, ["scan", str(clean), str(muted), "--format", "text"])
    assert r.exit_code == 1
    assert "1.000 s of digital silence (exact zeros) at 00:00:05.0" in r.output


def test_json_is_the_contract_and_byte_reproducible(recordings, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    clean, muted = recordings
    outs = []
    for i in range(2):
        out = tmp_path / f"r{i}.json"
        r = CliRunner().invoke(cli, ["scan", str(clean), str(muted), "--format", "json",
                                     "-o", str(out)])
        assert r.exit_code == 1
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    rep = json.loads(outs[0])
    assert rep["schema"] == "auditor.report/1" and rep["created"] == "2026-01-01T00:00:00+00:00"
    assert rep["tool"]["name"] == "auditor" and rep["tool"]["parameters"]["digital_silence_min"]
    f0 = rep["files"][0]
    assert set(f0) >= {"path", "sha256", "duration", "sample_rate", "channels", "codec",
                       "container"}
    assert f0["sha256"] == hashlib.sha256(clean.read_bytes()).hexdigest()
    [f] = rep["findings"]
    assert list(f) == ["kind", "file", "start", "end", "wall_start", "wall_end", "severity",
                       "confidence", "detector", "rule", "message", "evidence"]
    assert f["kind"] == "digital_silence" and f["start"] == 5.0 and f["end"] == 6.0
    assert rep["summary"] == {"findings": 1, "by_kind": {"digital_silence": 1},
                              "by_severity": {"high": 1}}


def test_scan_never_modifies_the_recordings(recordings):
    before = [hashlib.sha256(p.read_bytes()).hexdigest() for p in recordings]
    CliRunner().invoke(cli, ["scan", *map(str, recordings), "--format", "json"])
    assert [hashlib.sha256(p.read_bytes()).hexdigest() for p in recordings] == before


def test_python_dash_m_and_version():
    r = subprocess.run([sys.executable, "-m", "auditor", "--version"], capture_output=True,
                       text=True, check=False)
    assert r.returncode == 0 and r.stdout.startswith("auditor, version ")


def test_unexpected_bug_is_reported_without_traceback(recordings, monkeypatch):
    import auditor.scan

    def boom(*a, **k):
        raise ZeroDivisionError("simulated")

    monkeypatch.setattr(auditor.scan, "run_detectors", boom)
    r = CliRunner().invoke(cli, ["scan", str(recordings[0])])
    assert r.exit_code == 2 and "internal error" in r.output and "Traceback" not in r.output


def test_only_selected_detectors_run(recordings):
    r = CliRunner().invoke(cli, ["scan", str(recordings[1]), "--detectors", "silence,dropout",
                                 "--format", "json"])
    assert r.exit_code == 0
    rep = json.loads(r.output)
    assert rep["findings"] == [] and rep["tool"]["parameters"]["detectors"] == ["silence",
                                                                               "dropout"]


def test_quiet_signal_values_are_plain_numbers(recordings):
    r = CliRunner().invoke(cli, ["scan", str(recordings[1]), "--format", "json"])
    f = json.loads(r.output)["findings"][0]
    assert isinstance(f["evidence"]["samples"], int) and not isinstance(f["start"], np.floating)


def test_scan_starts_no_openblas_threads_of_its_own():
    # numpy not imported yet: OpenBLAS is loaded with one thread; a value the user set stays
    code = ("import os, sys\n"
            "from auditor.cli.scan import one_blas_thread\n"
            "one_blas_thread()\n"
            "import numpy, threadpoolctl\n"
            "print(os.environ['OPENBLAS_NUM_THREADS'], [i['num_threads'] for i in "
            "threadpoolctl.threadpool_info() if i['internal_api'] == 'openblas'])\n")
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, check=True).stdout.split()
    assert out[0] == "1" and out[1:] in (["[1]"], ["[]"])
    env["OPENBLAS_NUM_THREADS"] = "2"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, check=True).stdout.split()
    assert out[0] == "2"
