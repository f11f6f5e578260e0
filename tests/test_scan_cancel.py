"""A scan that fails after its stream stops the ENF analysis the stream left under way, instead
of leaving it running (in an archive worker or the local app, a thread computing for nobody)."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from conftest import room_noise, write

import auditor.scan as scan_module
from auditor.detect import REGISTRY, ScanParams
from auditor.detect.splice import enf
from auditor.detect.splice.enf import AnalysisCancelled, EnfSignal
from auditor.errors import MediaError

SR = 8000


def hum_recording(tmp_path, seconds: float = 120.0):
    rng = np.random.default_rng(11)
    t = np.arange(int(seconds * SR)) / SR
    x = room_noise(rng, t.size, -50.0) + 0.01 * np.sin(2 * np.pi * 50.0 * t)
    return write(tmp_path / "hum.wav", x.astype(np.float32), SR)


@pytest.fixture
def gated(monkeypatch):
    """Small ENF pieces, each held until the signal's analysis is cancelled (or 20 s pass);
    yields the signals the stream made."""
    monkeypatch.setattr(enf, "PIECE_SECONDS", 20.0)
    monkeypatch.setattr(enf, "PIECE_MARGIN", 2.0)
    made: list[EnfSignal] = []
    real_finish = enf.EnfAnalyser.finish
    real_analyse = enf.steps.analyse

    def finish(self):
        sig = real_finish(self)
        made.append(sig)
        return sig

    def analyse(*args, **kw):
        made[-1].stop.wait(20.0)
        return real_analyse(*args, **kw)

    monkeypatch.setattr(enf.EnfAnalyser, "finish", finish)
    monkeypatch.setattr(enf.steps, "analyse", analyse)
    return made


def cancelled(sig: EnfSignal) -> bool:
    assert sig.early is not None
    return isinstance(sig.early.exception(timeout=10.0), AnalysisCancelled)


def test_a_file_that_changes_during_the_scan_stops_the_enf_analysis(tmp_path, gated,
                                                                     monkeypatch):
    path = hum_recording(tmp_path)

    def changed(info):
        raise MediaError("the file changed while it was being scanned", path=info.path)

    monkeypatch.setattr(scan_module, "_check_unchanged", changed)
    with pytest.raises(MediaError, match="changed"):
        scan_module.scan_file(path, ScanParams())
    assert cancelled(gated[0])


def test_a_detector_that_fails_does_not_wait_for_the_enf_analysis(tmp_path, gated, monkeypatch):
    path = hum_recording(tmp_path)

    def broken(inp, params):
        raise RuntimeError("detector bug")

    monkeypatch.setitem(REGISTRY, "silence", broken)
    done = threading.Event()
    errors: list[BaseException] = []

    def scan():
        try:
            scan_module.scan_file(path, ScanParams())
        except BaseException as exc:  # noqa: BLE001 - checked below
            errors.append(exc)
        done.set()

    threading.Thread(target=scan, daemon=True).start()
    assert done.wait(15.0), "the failed scan waited for the whole ENF analysis"
    assert isinstance(errors[0], RuntimeError) and cancelled(gated[0])


def test_a_scan_that_succeeds_is_not_cancelled(tmp_path, monkeypatch):
    monkeypatch.setattr(enf, "PIECE_SECONDS", 20.0)
    monkeypatch.setattr(enf, "PIECE_MARGIN", 2.0)
    scan = scan_module.scan_file(hum_recording(tmp_path), ScanParams())
    status = scan.checks["splice"]["enf"]
    assert status["applicable"] is True and status["nominal_hz"] == 50.0
