"""The command line under hostile and careless use: outputs that name inputs, key files in the
wrong place, unreadable inputs among good ones, keys written without a passphrase, and bugs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import speechlike, write

from auditor.cli import cli

SR = 8000


def invoke(args: list[str], env: dict[str, str] | None = None, input: str | None = None):
    """Run the real root group, as the console script does (stderr kept apart)."""
    return CliRunner().invoke(cli, args, env=env, input=input, catch_exceptions=True)


@pytest.fixture
def wav(tmp_path: Path) -> Path:
    return write(tmp_path / "rec.wav", speechlike(np.random.default_rng(7), 12 * SR, SR), SR)


# item 19: an internal error is exit 2, with or without AUDITOR_DEBUG


@pytest.mark.parametrize("debug", ["", "1"])
def test_internal_error_is_exit_2_even_when_debugging(wav, monkeypatch, debug):
    import auditor.scan

    def boom(*a, **k):
        raise ZeroDivisionError("simulated bug")

    monkeypatch.setattr(auditor.scan, "run_detectors", boom)
    r = invoke(["scan", str(wav), "--format", "json"], env={"AUDITOR_DEBUG": debug})
    assert r.exit_code == 2, r.output
    assert "internal error: ZeroDivisionError: simulated bug" in r.stderr
    # the traceback is what AUDITOR_DEBUG is for; without it, none
    assert ("Traceback (most recent call last)" in r.stderr) == bool(debug)
