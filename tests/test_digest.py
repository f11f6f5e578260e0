"""The hash the command line starts before the scan's imports (auditor.digest.EarlyDigest) is
used only for the file the scan probes, unchanged, and gives the file's SHA-256."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import pytest
from conftest import write

from auditor.digest import EarlyDigest, file_sha256
from auditor.media import probe
from auditor.scan import scan_file


@pytest.fixture
def wav(tmp_path, rng):
    return write(tmp_path / "hearing.wav", 0.1 * rng.standard_normal(16000 * 3), 16000)


def test_early_digest_is_the_files_sha256(wav):
    early = EarlyDigest(wav)
    info = probe(wav)
    job = early.job(info.path, info.size, info.mtime)
    assert job is not None
    assert job.result(timeout=30) == hashlib.sha256(wav.read_bytes()).hexdigest()


def test_scan_uses_the_early_hash_only_for_its_own_file(wav, tmp_path, rng):
    other = write(tmp_path / "other.wav", 0.1 * rng.standard_normal(16000 * 3), 16000)
    early = EarlyDigest(other)
    early.job(os.fspath(other), other.stat().st_size, other.stat().st_mtime).result(timeout=30)
    scanned = scan_file(wav, early=early)
    assert scanned.sha256 == file_sha256(wav) != file_sha256(other)


def test_a_file_changed_after_the_early_hash_is_hashed_again(wav):
    early = EarlyDigest(wav)
    before = early.job(os.fspath(wav), wav.stat().st_size, wav.stat().st_mtime)
    assert before is not None
    before.result(timeout=30)
    with open(wav, "r+b") as fh:  # same size, other bytes, a later time
        fh.seek(-2, os.SEEK_END)
        fh.write(b"\x01\x02")
    st = wav.stat()
    os.utime(wav, (st.st_atime, st.st_mtime + 5))
    assert early.job(os.fspath(wav), wav.stat().st_size, wav.stat().st_mtime) is None
    scanned = scan_file(wav, early=early)
    assert scanned.sha256 == hashlib.sha256(wav.read_bytes()).hexdigest() != before.result()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_pipe_is_never_read_early(tmp_path):
    fifo = tmp_path / "pipe.wav"
    os.mkfifo(fifo)
    early = EarlyDigest(fifo)  # would block forever if it opened the pipe
    assert early.job(os.fspath(fifo), 0, fifo.stat().st_mtime) is None


def test_command_line_report_has_the_files_hash(wav, tmp_path):
    out = tmp_path / "r.json"
    proc = subprocess.run([sys.executable, "-m", "auditor", "scan", os.fspath(wav), "--format",
                           "json", "-o", os.fspath(out), "-q"], capture_output=True, text=True,
                          check=False)
    assert proc.returncode in (0, 1), proc.stderr
    rep = json.loads(out.read_text())
    assert rep["files"][0]["sha256"] == hashlib.sha256(wav.read_bytes()).hexdigest()
