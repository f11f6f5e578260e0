"""Archive audit reliability: links and loops, files that vanish or change, permissions."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from conftest_ledger import KEY, ORIGIN
from test_archive_audit import PARAMS, log, wav

from auditor.archive import audit_archive
from auditor.archive.walk import walk_archive
from auditor.archive.work import Task, audit_file
from auditor.ledger.store import Ledger

T0 = datetime(2026, 3, 2, tzinfo=UTC)


def test_walk_follows_links_once_and_names_loops(tmp_path):
    arc = tmp_path / "arc"
    wav(arc / "a/b/c/d/deep.wav", 1, 1)
    wav(arc / "a/top.WAV", 1, 2)
    (arc / "a/notes.txt").write_text("not a recording")
    (arc / ".hidden.wav").write_bytes(b"x")
    (arc / "a/b/loop").symlink_to(arc / "a")  # a folder link back up: a loop
    (arc / "self").symlink_to(arc / "self")  # a link to itself
    (arc / "dangling.wav").symlink_to(arc / "nowhere.wav")
    (arc / "again.wav").symlink_to(arc / "a/top.WAV")  # a second path to the same file
    (arc / "s.json").write_text(json.dumps({"schema": "auditor.session/1"}))
    (arc / "other.json").write_text("{}")
    walk = walk_archive(arc)
    assert [f.rel for f in walk.recordings] == ["a/b/c/d/deep.wav", "a/top.WAV"]
    assert [f.rel for f in walk.sessions] == ["s.json"]
    problems = {p.rel: p.kind for p in walk.problems}
    assert problems == {"a/b/loop": "loop", "self": "loop", "dangling.wav": "dangling",
                        "again.wav": "duplicate"}
    assert not any(p.blocking for p in walk.problems)


def test_worker_reports_changed_and_vanished_files(tmp_path):
    path = wav(tmp_path / "x.wav", 2, 1)
    st = path.stat()
    task = Task("x.wav", str(path), st.st_size, st.st_mtime_ns, st.st_ino, PARAMS)
    assert audit_file(task).status == "ok"
    stale = Task("x.wav", str(path), st.st_size + 1, st.st_mtime_ns, st.st_ino, PARAMS)
    assert audit_file(stale).status == "changed"
    path.unlink()
    result = audit_file(task)
    assert result.status == "vanished" and "disappeared" in (result.error or "")


def _archive(tmp_path: Path, names: list[str]) -> tuple[Path, Path]:
    arc = tmp_path / "arc"
    ledger = tmp_path / "l.db"
    led = Ledger.create(ledger, key=KEY, origin=ORIGIN, now=T0)
    for i, name in enumerate(names):
        log(led, wav(arc / name, 3, i), "1", i)
    led.close()
    return arc, ledger


def test_file_vanishing_during_the_audit_is_missing_not_an_error(tmp_path):
    arc, ledger = _archive(tmp_path, ["a.wav", "b.wav", "c.wav"])

    def factory(files, nbytes, reused):  # type: ignore[no-untyped-def]
        def tick(result):  # type: ignore[no-untyped-def]
            if result.rel == "a.wav":
                (arc / "c.wav").unlink()

        return tick

    result = audit_archive(arc, ledger=ledger, as_of=date(2027, 1, 1), params=PARAMS,
                           state=tmp_path / "s.db", progress=factory)
    found = [(f["kind"], f["file"]) for f in result.report["findings"]]
    assert found == [("missing_file", "c.wav")]
    assert [f["status"] for f in result.report["files"]] == ["ok", "ok", "vanished"]
    assert not result.blocking


def test_file_changing_during_the_audit_is_not_checked_then_rechecked(tmp_path):
    arc, ledger = _archive(tmp_path, ["a.wav", "b.wav"])

    def factory(files, nbytes, reused):  # type: ignore[no-untyped-def]
        def tick(result):  # type: ignore[no-untyped-def]
            if result.rel == "a.wav":
                wav(arc / "b.wav", 4, 50)  # still being written

        return tick

    first = audit_archive(arc, ledger=ledger, as_of=date(2027, 1, 1), params=PARAMS,
                          state=tmp_path / "s.db", progress=factory)
    assert [(p.rel, p.kind) for p in first.blocking] == [("b.wav", "changed")]
    second = audit_archive(arc, ledger=ledger, as_of=date(2027, 1, 1), params=PARAMS,
                           state=tmp_path / "s.db")
    assert not second.blocking
    kinds = {(f["kind"], f["file"]) for f in second.report["findings"]}
    assert ("hash_mismatch", "b.wav") in kinds


def test_unusable_session_record_blocks(tmp_path):
    arc, ledger = _archive(tmp_path, ["a.wav"])
    (arc / "session.json").write_text('{"schema": "auditor.session/1", "start": "noon"}')
    result = audit_archive(arc, ledger=ledger, as_of=date(2027, 1, 1), params=PARAMS,
                           state=tmp_path / "s.db")
    assert [(p.rel, p.kind) for p in result.blocking] == [("session.json", "session")]


def test_permission_errors_are_exit_2_with_the_report_written(tmp_path):
    """Real EACCES; as root, the audit runs without the capability to override file modes."""
    arc, ledger = _archive(tmp_path, ["ok/a.wav", "closed/b.wav", "open/c.wav"])
    (arc / "closed").chmod(0o000)
    (arc / "open/c.wav").chmod(0o000)
    prefix: list[str] = []
    if os.geteuid() == 0:
        capsh = shutil.which("capsh")
        if capsh is None:
            pytest.skip("running as root without capsh to drop CAP_DAC_OVERRIDE")
        prefix = [capsh, "--drop=cap_dac_override,cap_dac_read_search", "--", "-c",
                  'exec "$0" "$@"']
    cmd = [*prefix, sys.executable, "-m", "auditor", "archive", "audit", str(arc), "--ledger",
           str(ledger), "--state", str(tmp_path / "s.db"), "-q", "--format", "json", "-o",
           str(tmp_path / "r.json"), "--as-of", "2027-01-01", "--detectors", "silence"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300,
                              cwd=Path(__file__).parents[1])
    finally:
        (arc / "closed").chmod(0o755)
        (arc / "open/c.wav").chmod(0o644)
    assert proc.returncode == 2, proc.stderr
    assert "2 path(s) of the archive could not be checked" in proc.stderr
    assert "closed: cannot list the folder: Permission denied" in proc.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    problems = {p["path"]: p["kind"] for p in report["archive"]["problems"]}
    assert problems == {"closed": "denied", "open/c.wav": "denied"}
    # c.wav could not be read: it is not missing; b.wav could not be seen: maybe missing
    (missing,) = report["findings"]
    assert (missing["kind"], missing["file"], missing["confidence"]) == ("missing_file",
                                                                          "b.wav", 0.5)
    assert missing["evidence"]["unlisted_folders"] == ["closed"]
    assert "may be in one of them" in missing["message"]
    # permissions fixed (modification times unchanged): the same command reads them now
    again = subprocess.run(cmd[len(prefix):], capture_output=True, text=True, timeout=300,
                           cwd=Path(__file__).parents[1])
    assert again.returncode == 0, again.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["findings"] == [] and report["archive"]["problems"] == []


def test_session_records_kept_apart_are_joined_by_the_archive_path(tmp_path):
    from test_archive_audit import session

    arc, ledger = _archive(tmp_path, ["2026/case-1/a.wav"])
    records = tmp_path / "records"
    session(records / "case-1.json", "1", "2026-03-02T10:00:00+05:00", 10,
            [("2026/case-1/a.wav", "2026-03-02T10:00:00+05:00"),
             ("2026/case-1/b.wav", "2026-03-02T10:00:03+05:00")], "2027-01-01")
    report = audit_archive(arc, ledger=ledger, sessions=records, as_of=date(2027, 6, 1),
                           params=PARAMS, state=tmp_path / "s.db").report
    (sess,) = report["archive"]["cases"][0]["sessions"]
    assert sess["record"] == "sessions:case-1.json"
    assert sess["files"] == ["2026/case-1/a.wav", "2026/case-1/b.wav"]
    missing = [f for f in report["findings"] if f["kind"] == "missing_file"]
    assert [(f["file"], f["detector"]) for f in missing] == [("2026/case-1/b.wav",
                                                              "continuity")]


def test_a_logged_file_that_no_longer_decodes_is_altered_and_unusable(tmp_path):
    arc, ledger = _archive(tmp_path, ["a.wav"])
    (arc / "a.wav").write_bytes(b"RIFF\x10\x00\x00\x00WAVEjunk" * 20)
    report = audit_archive(arc, ledger=ledger, as_of=date(2027, 1, 1), params=PARAMS,
                           state=tmp_path / "s.db").report
    got = sorted((f["kind"], f["evidence"]["reason"]) for f in report["findings"])
    assert got == [("hash_mismatch", "undecodable"), ("unusable_recording", "unreadable")]
    import hashlib

    actual = hashlib.sha256((arc / "a.wav").read_bytes()).hexdigest()
    assert report["findings"][0]["evidence"]["actual"] == actual
