"""Archive audit execution: inline, a process pool, a real Dask LocalCluster; faults; resuming."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_archive_audit import AS_OF, EXPECTED, PARAMS, build_archive, kinds, wav

from auditor.archive import ClusterError, audit_archive
from auditor.archive.work import CRASH_ONCE_ENV
from auditor.report import dumps

CREATED = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return build_archive(tmp_path_factory.mktemp("planted-run"))


def run(arc: Path, ledger: Path, state: Path, **kw: object) -> dict:
    return audit_archive(arc, ledger=ledger, policy="kz-2015", as_of=AS_OF, state=state,
                         params=PARAMS, created=CREATED, **kw).report  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def inline_json(planted: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> str:
    arc, ledger = planted
    return dumps(run(arc, ledger, tmp_path_factory.mktemp("inline") / "s.db"))


def local_cluster():  # type: ignore[no-untyped-def]
    from distributed import LocalCluster

    return LocalCluster(n_workers=2, threads_per_worker=1, processes=True, scheduler_port=0,
                        dashboard_address=None, silence_logs=50)  # fmt: skip


def counting() -> tuple[list[int], object]:
    seen: list[int] = []

    def factory(files: int, nbytes: int, reused: int):  # type: ignore[no-untyped-def]
        seen.append(files)
        return lambda result: None

    return seen, factory


def test_process_pool_gives_byte_identical_json(planted, inline_json, tmp_path):
    arc, ledger = planted
    assert kinds(run(arc, ledger, tmp_path / "i.db")) == EXPECTED
    assert dumps(run(arc, ledger, tmp_path / "p.db", workers=2)) == inline_json


def test_dask_local_cluster_gives_byte_identical_json(planted, inline_json, tmp_path):
    arc, ledger = planted
    with local_cluster() as cluster:
        report = run(arc, ledger, tmp_path / "d.db", scheduler=cluster.scheduler_address)
    assert dumps(report) == inline_json


def test_killed_pool_worker_task_is_retried_nothing_lost_or_doubled(planted, inline_json,
                                                                    tmp_path, monkeypatch):
    arc, ledger = planted
    marker = tmp_path / "crashed"
    monkeypatch.setenv(CRASH_ONCE_ENV, str(marker))
    got: list[str] = []

    def factory(files: int, nbytes: int, reused: int):  # type: ignore[no-untyped-def]
        return lambda result: got.append(result.rel)

    report = run(arc, ledger, tmp_path / "k.db", workers=2, progress=factory)
    assert marker.exists(), "no worker was killed: the test proved nothing"
    assert sorted(got) == sorted(set(got)) and len(got) == 12
    assert dumps(report) == inline_json


def test_killed_dask_worker_task_is_rescheduled(planted, inline_json, tmp_path, monkeypatch):
    arc, ledger = planted
    marker = tmp_path / "crashed"
    monkeypatch.setenv(CRASH_ONCE_ENV, str(marker))
    with local_cluster() as cluster:
        report = run(arc, ledger, tmp_path / "k.db", scheduler=cluster.scheduler_address)
    assert marker.exists(), "no worker was killed: the test proved nothing"
    assert dumps(report) == inline_json


def test_scheduler_gone_is_a_clear_error_and_the_rerun_resumes(planted, inline_json, tmp_path):
    arc, ledger = planted
    state = tmp_path / "g.db"
    cluster = local_cluster()
    done: list[str] = []

    def factory(files: int, nbytes: int, reused: int):  # type: ignore[no-untyped-def]
        def tick(result):  # type: ignore[no-untyped-def]
            done.append(result.rel)
            if len(done) == 2:
                cluster.close()

        return tick

    with pytest.raises(ClusterError, match="lost the Dask scheduler") as err:
        run(arc, ledger, state, scheduler=cluster.scheduler_address, progress=factory)
    assert "run the same command again" in err.value.diagnostics()
    saved = sqlite3.connect(state).execute("SELECT COUNT(*) FROM files").fetchone()[0]
    assert 2 <= saved < 12
    seen, factory2 = counting()
    assert dumps(run(arc, ledger, state, progress=factory2)) == inline_json
    assert seen == [12 - saved]


def test_unreachable_scheduler_is_exit_2(planted, tmp_path):
    arc, ledger = planted
    from click.testing import CliRunner

    from auditor.cli import cli

    res = CliRunner().invoke(cli, ["archive", "audit", str(arc), "--ledger", str(ledger),
                                   "--state", str(tmp_path / "s.db"), "-q",
                                   "--scheduler", "tcp://127.0.0.1:9"])
    assert res.exit_code == 2
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in res.output


def test_rerun_reads_only_changed_files(planted, tmp_path):
    arc, ledger = planted
    copy = tmp_path / "arc"
    subprocess.run(["cp", "-a", str(arc), str(copy)], check=True)
    state = tmp_path / "r.db"
    seen, factory = counting()
    first = run(copy, ledger, state, progress=factory)
    run(copy, ledger, state, progress=factory)
    wav(copy / "court/unsorted/f1.wav", 6, 40)  # rewritten: another size and time
    third = run(copy, ledger, state, progress=factory)
    assert seen == [12, 0, 1]
    assert kinds(third) == kinds(first)


TO_KILL = 120  # files in the archive an audit is killed in


@pytest.mark.parametrize(("sig", "workers"), [(signal.SIGKILL, "1"), (signal.SIGINT, "2")])
def test_killed_mid_audit_then_resume(tmp_path, sig, workers):
    arc = tmp_path / "arc"
    ledger = tmp_path / "l.db"
    from conftest_ledger import KEY, ORIGIN

    from auditor.ledger.store import Ledger

    Ledger.create(ledger, key=KEY, origin=ORIGIN).close()
    # enough work that the audit is still running when it is killed, however fast a scan is
    for i in range(TO_KILL):
        wav(arc / f"d{i // 10}/f{i:03d}.wav", 20, i)
    state = tmp_path / "state.db"
    cmd = [sys.executable, "-m", "auditor", "archive", "audit", str(arc), "--ledger",
           str(ledger), "--state", str(state), "-q", "--format", "json", "-o",
           str(tmp_path / "a.json"), "--as-of", "2027-01-01", "--workers", workers]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    saved = 0
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
        if state.exists():
            try:
                saved = sqlite3.connect(state).execute("SELECT COUNT(*) FROM files").fetchone()[0]
            except sqlite3.Error:
                continue
            if saved >= 5:
                break
    assert proc.poll() is None, "the audit ended before it could be killed"
    os.kill(proc.pid, sig)
    _, err = proc.communicate(timeout=60)
    if sig == signal.SIGINT:
        assert proc.returncode == 130 and "interrupted" in err and "Traceback" not in err, err
    saved = sqlite3.connect(state).execute("SELECT COUNT(*) FROM files").fetchone()[0]
    assert 5 <= saved < TO_KILL
    seen, factory = counting()
    resumed = audit_archive(arc, ledger=ledger, as_of=AS_OF, state=state, created=CREATED,
                            progress=factory).report  # type: ignore[arg-type]
    assert seen == [TO_KILL - saved]
    fresh = audit_archive(arc, ledger=ledger, as_of=AS_OF, state=tmp_path / "fresh.db",
                          created=CREATED).report
    assert dumps(resumed) == dumps(fresh)
    assert len(fresh["files"]) == TO_KILL
