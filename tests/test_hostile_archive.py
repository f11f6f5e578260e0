"""Archive audit under hostile and broken input: files that fail, bad schedulers, session records
that claim what is not theirs, a state file that is an input."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest_ledger import KEY, ORIGIN
from test_archive_audit import DETECTORS, PARAMS, T0, log, session, wav

from auditor.archive import ClusterError, audit_archive
from auditor.cli import cli
from auditor.errors import InputError
from auditor.ledger.note import VerifierKey
from auditor.ledger.store import Ledger

AS_OF = date(2027, 6, 1)
ROOT = Path(__file__).parents[1]


def _ledger(tmp_path: Path, names: list[str], case: str = "1") -> tuple[Path, Path]:
    arc = tmp_path / "arc"
    ledger = tmp_path / "l.db"
    led = Ledger.create(ledger, key=KEY, origin=ORIGIN, now=T0)
    for i, name in enumerate(names):
        log(led, wav(arc / name, 3, i), case, i)
    led.close()
    return arc, ledger


def _audit(arc: Path, ledger: Path, state: Path, **kw: object):  # type: ignore[no-untyped-def]
    return audit_archive(arc, ledger=ledger, as_of=AS_OF, params=PARAMS, state=state,
                         **kw)  # type: ignore[arg-type]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _auditor(*args: str, timeout: float = 120) -> tuple[subprocess.CompletedProcess[str], float]:
    """``python -m auditor ARGS`` in a process of its own: what a user sees, up to its exit."""
    t = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "auditor", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT)  # fmt: skip
    return proc, time.monotonic() - t


# -- item 1: a file that fails does not take the audit down -------------------------------------


@pytest.fixture
def probe_fails_on(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Fault injection: the probe raises ValueError (as ffprobe 5.1's text once made it) for
    files of the given name; every other file is probed for real."""
    import auditor.scan

    real = auditor.scan.probe

    def arm(name: str) -> None:
        def probe(path, *a, **kw):  # type: ignore[no-untyped-def]
            if os.path.basename(path) == name:
                raise ValueError("not enough values to unpack (expected 2, got 1)")
            return real(path, *a, **kw)

        monkeypatch.setattr(auditor.scan, "probe", probe)

    return arm


def _broken_m4a(path: Path) -> Path:
    """A real file the real decoder fails on: an MP4 box header followed by junk."""
    path.write_bytes(b"\x00\x00\x00\x18ftypM4A \x00\x00\x02\x00isomiso2" + os.urandom(4000))
    return path


def test_unexpected_exception_is_a_failed_path_and_the_report_is_written(tmp_path,
                                                                         probe_fails_on):
    arc, ledger = _ledger(tmp_path, ["a.wav", "b.wav", "c.wav"])
    _broken_m4a(arc / "d.m4a")
    probe_fails_on("b.wav")
    out = tmp_path / "r.json"
    res = CliRunner().invoke(cli, ["archive", "audit", str(arc), "--ledger", str(ledger),
                                   "--state", str(tmp_path / "s.db"), "-q", "--format", "json",
                                   "-o", str(out), "--as-of", "2027-06-01",
                                   "--detectors", ",".join(DETECTORS)])  # fmt: skip
    assert res.exit_code == 2, res.output
    assert "1 path(s) of the archive could not be checked" in res.output
    assert "b.wav: internal error: ValueError: not enough values to unpack" in res.output
    assert "bug in auditor" in res.output
    report = json.loads(out.read_text())
    status = {f["path"]: f["status"] for f in report["files"]}
    assert status == {"a.wav": "ok", "b.wav": "failed", "c.wav": "ok", "d.m4a": "unreadable"}
    (problem,) = report["archive"]["problems"]
    assert (problem["path"], problem["kind"], problem["blocking"]) == ("b.wav", "failed", True)
    assert problem["message"].startswith("internal error: ValueError: not enough values")
    found = {(f["kind"], f["file"]) for f in report["findings"]}
    # the real undecodable file is audited: unusable, and never logged
    assert found == {("unusable_recording", "d.m4a"), ("unlogged_file", "d.m4a")}
    # b.wav failed: it is neither missing nor unlogged nor altered
    assert not any(f["file"] == "b.wav" for f in report["findings"])


def test_failed_file_in_a_worker_pool_is_listed_and_read_again_on_the_next_run(tmp_path,
                                                                                probe_fails_on):
    arc, ledger = _ledger(tmp_path, ["a.wav", "b.wav", "c.wav"])
    probe_fails_on("c.wav")
    first = _audit(arc, ledger, tmp_path / "s.db", workers=2)
    assert [(p.rel, p.kind) for p in first.blocking] == [("c.wav", "failed")]
    assert "ValueError" in first.blocking[0].message
    seen: list[str] = []

    def factory(files, nbytes, reused):  # type: ignore[no-untyped-def]
        return lambda result: seen.append(result.rel)

    probe_fails_on("none")
    second = _audit(arc, ledger, tmp_path / "s.db", workers=2, progress=factory)
    assert seen == ["c.wav"] and not second.blocking and second.report["findings"] == []


# -- item 9: a scheduler address that is wrong or dead ----------------------------------------


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return _ledger(tmp_path_factory.mktemp("small"), ["a.wav"])


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_http_scheduler_address_names_the_tcp_form_without_a_traceback(small, tmp_path):
    arc, ledger = small
    port = _closed_port()
    proc, took = _auditor("archive", "audit", str(arc), "--ledger", str(ledger), "-q",
                          "--state", str(tmp_path / "s.db"),
                          "--scheduler", f"http://127.0.0.1:{port}")  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    assert f"--scheduler http://127.0.0.1:{port}" in proc.stderr
    assert f"tcp://127.0.0.1:{port}" in proc.stderr
    assert took < 15, f"took {took:.0f} s"


def test_nothing_listening_names_the_address_and_what_to_do(small, tmp_path):
    arc, ledger = small
    port = _closed_port()
    proc, took = _auditor("archive", "audit", str(arc), "--ledger", str(ledger), "-q",
                          "--state", str(tmp_path / "s.db"), "--connect-timeout", "2",
                          "--scheduler", f"tcp://127.0.0.1:{port}")  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr
    assert (f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}: nothing answered "
            "within 2 s" in proc.stderr)  # fmt: skip
    assert "dask scheduler" in proc.stderr and "leave out --scheduler" in proc.stderr
    assert took < 15, f"took {took:.0f} s"


@pytest.fixture
def not_dask() -> Iterator[int]:
    """A real TCP server on loopback that answers like a web server, not like Dask."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    srv.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            with conn:
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n" * 64)

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    yield int(srv.getsockname()[1])
    stop.set()
    t.join()
    srv.close()


def test_something_else_listening_is_not_a_dask_scheduler(small, tmp_path, not_dask):
    arc, ledger = small
    address = f"tcp://127.0.0.1:{not_dask}"
    with pytest.raises(ClusterError, match=f"at {address}.*not a Dask scheduler"):
        _audit(arc, ledger, tmp_path / "s.db", scheduler=address, connect_timeout=2.0)


@pytest.mark.parametrize("address", ["udp://127.0.0.1:8786", "tcp://127.0.0.1", "tcp://:8786",
                                     "tcp://127.0.0.1:99999"])
def test_malformed_scheduler_addresses_are_refused_before_any_work(small, tmp_path, address):
    arc, ledger = small
    with pytest.raises(ClusterError, match=r"expected tcp://HOST:PORT"):
        _audit(arc, ledger, tmp_path / "s.db", scheduler=address)
    assert not (tmp_path / "s.db").exists()


def test_a_real_local_cluster_with_a_short_connect_timeout(small, tmp_path):
    from distributed import LocalCluster

    arc, ledger = small
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, scheduler_port=0,
                      dashboard_address=None, silence_logs=50) as cluster:  # fmt: skip
        res = CliRunner().invoke(cli, ["archive", "audit", str(arc), "--ledger", str(ledger),
                                       "--state", str(tmp_path / "s.db"), "-q", "--format",
                                       "json", "--as-of", "2027-06-01", "--connect-timeout",
                                       "5", "--detectors", ",".join(DETECTORS),
                                       "--scheduler", cluster.scheduler_address])  # fmt: skip
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    assert [f["status"] for f in report["files"]] == ["ok"] and report["findings"] == []


# -- item 10: session records that claim what is not theirs -----------------------------------


def test_a_recording_claimed_by_two_session_records_is_a_finding(tmp_path):
    arc, ledger = _ledger(tmp_path, ["01/part1.wav", "02/part1.wav"])
    session(arc / "01/session.json", "1", "2026-03-02T10:00:00+05:00", 3,
            [("part1.wav", "2026-03-02T10:00:00+05:00")], "2027-01-01")
    session(arc / "02/session.json", "2", "2026-03-05T10:00:00+05:00", 3,
            [("../01/part1.wav", "2026-03-05T10:00:00+05:00")], "2027-01-01")
    report = _audit(arc, ledger, tmp_path / "s.db").report
    claims = [f for f in report["findings"] if f["kind"] == "duplicate_claim"]
    assert {(f["file"], f["severity"], f["evidence"]["session"]) for f in claims} == {
        ("01/part1.wav", "high", "01/session.json"), ("01/part1.wav", "high", "02/session.json")}
    for f in claims:
        assert "01/session.json" in f["message"] and "02/session.json" in f["message"]
        assert f["evidence"]["claimed_by"] == ["01/session.json", "02/session.json"]
    # each case's section of the report shows its own record's claim
    by_case = {c["case"]: c for c in report["archive"]["cases"]}
    for case in ("1", "2"):
        (sess,) = by_case[case]["sessions"]
        assert [report["findings"][i]["kind"] for i in sess["findings"]] == ["duplicate_claim"]


def test_a_recording_declared_twice_by_one_record_is_not_a_claim_of_another(tmp_path):
    arc, ledger = _ledger(tmp_path, ["01/part1.wav"])
    session(arc / "01/session.json", "1", "2026-03-02T10:00:00+05:00", 3,
            [("part1.wav", "2026-03-02T10:00:00+05:00")], "2027-01-01")
    report = _audit(arc, ledger, tmp_path / "s.db").report
    assert report["findings"] == []


def test_a_session_record_pointing_outside_the_archive_is_not_read_and_is_named(tmp_path):
    arc, ledger = _ledger(tmp_path, ["01/part1.wav"])
    outside = wav(tmp_path / "elsewhere/secret.wav", 3, 40)
    session(arc / "01/session.json", "1", "2026-03-02T10:00:00+05:00", 6,
            [("part1.wav", "2026-03-02T10:00:00+05:00"),
             ("../../elsewhere/secret.wav", "2026-03-02T10:00:03+05:00"),
             (str(outside), "2026-03-02T10:00:03+05:00")], "2027-01-01")
    report = _audit(arc, ledger, tmp_path / "s.db").report
    outside_findings = [f for f in report["findings"] if f["evidence"].get("outside_archive")]
    assert {f["file"] for f in outside_findings} == {"../../elsewhere/secret.wav", str(outside)}
    for f in outside_findings:
        assert f["kind"] == "missing_file" and f["severity"] == "high"
        assert "outside the archive" in f["message"] and "01/session.json" in f["message"]
    assert [f["path"] for f in report["files"]] == ["01/part1.wav"]


# -- item 13: a state file that is one of the inputs ------------------------------------------


def _refused(arc: Path, ledger: Path, state: Path, *extra: str) -> str:
    res = CliRunner().invoke(cli, ["archive", "audit", str(arc), "--ledger", str(ledger),
                                   "--state", str(state), "-q", "--format", "json", *extra])
    assert res.exit_code == 2, res.output
    return res.output


def test_state_naming_the_ledger_is_refused_and_the_ledger_unchanged(tmp_path):
    arc, ledger = _ledger(tmp_path, ["a.wav"])
    before = _sha(ledger)
    out = _refused(arc, ledger, ledger)
    assert "--state" in out and "is the ledger" in out and "leave out --state" in out
    assert _sha(ledger) == before
    # the same file by another name: a hard link, a symbolic link, a roundabout path
    os.link(ledger, tmp_path / "hard.db")
    os.symlink(ledger, tmp_path / "soft.db")
    for alias in (tmp_path / "hard.db", tmp_path / "soft.db", arc / ".." / "l.db"):
        with pytest.raises(InputError, match=r"--state .* is the ledger"):
            _audit(arc, ledger, alias)
        assert _sha(ledger) == before
    assert not (tmp_path / "l.db-wal").exists() and not (tmp_path / "l.db-shm").exists()


def test_state_naming_any_other_input_is_refused_and_left_unchanged(tmp_path):
    arc, ledger = _ledger(tmp_path, ["a.wav"])
    record = session(arc / "s.json", "1", "2026-03-02T10:00:00+05:00", 3,
                     [("a.wav", "2026-03-02T10:00:00+05:00")], "2027-01-01")
    policy = tmp_path / "policy.json"
    policy.write_bytes((ROOT / "auditor/session/profiles/generic.json").read_bytes())
    pub = tmp_path / "k.pub"
    pub.write_text(f"{VerifierKey(ORIGIN, KEY.public_bytes())}\n")
    cases = {arc / "a.wav": "a recording of the archive", record: "a session record",
             policy: "the policy file", pub: "the --key file"}
    for state, what in cases.items():
        before = _sha(state)
        out = _refused(arc, ledger, state, "--policy", str(policy), "--key", str(pub))
        assert f"is {what}" in out, out
        assert _sha(state) == before
    with pytest.raises(InputError, match="is the archive folder"):
        _audit(arc, ledger, arc)


def test_a_broken_ffmpeg_is_a_failed_path_not_an_unusable_recording(tmp_path, monkeypatch):
    # ffmpeg missing on the machine (or a worker) says nothing about the file: every recording
    # would otherwise get a false unusable_recording finding (exit 1) instead of exit 2
    import numpy as np
    import soundfile as sf

    from auditor.archive.work import Task, audit_file
    from auditor.detect import ScanParams
    from auditor.media import ffmpeg_exe, transcode

    src = tmp_path / "s.wav"
    sf.write(src, np.zeros(16000 * 3, np.float32) + 0.01, 16000)
    m4a = transcode(src, tmp_path / "a.m4a", options={"acodec": "aac"})
    monkeypatch.setenv("AUDITOR_FFMPEG", str(tmp_path / "no-ffmpeg-here"))
    monkeypatch.setenv("AUDITOR_FFPROBE", "none")
    ffmpeg_exe.cache_clear()
    try:
        st = m4a.stat()
        res = audit_file(Task("a.m4a", str(m4a), st.st_size, st.st_mtime_ns, st.st_ino,
                              ScanParams()))
    finally:
        ffmpeg_exe.cache_clear()
    assert res.status == "failed"
    assert "could not run ffmpeg" in res.error and "no-ffmpeg-here" in res.error
