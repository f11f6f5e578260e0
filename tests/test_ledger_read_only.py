"""A read-only ledger (a write-once copy, a read-only mount) can be checked, by a user the file
permissions apply to, and nothing in its folder changes; a command that would write says so."""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest_ledger import KEY, make_wav, write_key

from auditor.cli import cli


def run(*args: object) -> tuple[int, str]:
    """Run the real root command (AuditorError -> exit 2 with its message on stderr)."""
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    return result.exit_code, result.output


def _reader() -> list[str]:
    """A command prefix that runs as a user the file permissions apply to."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root (permissions not enforced) and setpriv is not installed")
    prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    if not _reader_can_import(tuple(prefix)):
        pytest.skip("user nobody cannot read this checkout or its virtual environment (a folder "
                    "on the way is private, as `mktemp -d` makes it): the read-only ledger "
                    "tests need a checkout other users can read")
    return prefix


@functools.cache
def _reader_can_import(prefix: tuple[str, ...]) -> bool:
    probe = subprocess.run([*prefix, sys.executable, "-c", "import auditor"], cwd="/",
                           capture_output=True, timeout=60)
    return probe.returncode == 0


def as_reader(*args: object) -> subprocess.CompletedProcess[str]:
    """Run ``auditor ARGS`` as that user, in a fresh process."""
    return subprocess.run([*_reader(), sys.executable, "-m", "auditor", *map(str, args)],
                          capture_output=True, text=True, cwd="/", timeout=120)  # fmt: skip


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder every user can reach (pytest's own tmp_path is private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="auditor-ro-"))
    folder.chmod(0o755)
    yield folder
    for d in [folder, *[p for p in folder.rglob("*") if p.is_dir()]]:
        d.chmod(0o755)
    shutil.rmtree(folder)


@pytest.mark.parametrize("folder_mode", [0o555, 0o777], ids=["read-only folder", "open folder"])
def test_a_read_only_ledger_can_be_checked(shared_dir: Path, folder_mode: int) -> None:
    ro = shared_dir / "copy"
    ro.mkdir()
    key = write_key(shared_dir / "court.key", KEY)
    wav = make_wav(ro / "part1.wav", 12.0)
    db = ro / "court.db"
    assert run("ledger", "init", db, "--key", key)[0] == 0
    assert run("ledger", "add", db, wav, "--key", key, "--chunk-seconds", "5")[0] == 0
    out = shared_dir / "out"
    out.mkdir(mode=0o777)
    out.chmod(0o777)
    db.chmod(0o444)
    wav.chmod(0o444)
    ro.chmod(folder_mode)
    before = _snapshot(ro)
    r = as_reader("ledger", "verify", db, wav, "--key", f"{key}.pub", "--format", "text")
    assert r.returncode == 0, r.stderr
    assert "0 finding(s)" in r.stdout and "signer authenticated" in r.stdout
    r = as_reader("ledger", "prove", db, "--index", "2")
    assert r.returncode == 0 and json.loads(r.stdout)["index"] == 2, r.stderr
    r = as_reader("ledger", "bundle", db, wav, "-o", out / "ev.zip")
    assert r.returncode == 0, r.stderr
    r = as_reader("bundle", "verify", out / "ev.zip", "--key", f"{key}.pub")
    assert r.returncode == 0 and "bundle verified" in r.stdout, r.stdout + r.stderr
    r = as_reader("archive", "audit", ro, "--ledger", db, "--key", f"{key}.pub", "--state",
                  out / "state.db", "--format", "json", "-o", out / "audit.json")  # fmt: skip
    assert r.returncode in (0, 1), r.stderr
    assert "ledger" not in r.stderr.lower()
    assert _snapshot(ro) == before  # not a byte changed, no -wal, -shm or -journal left behind


def test_a_writing_command_on_a_read_only_ledger_says_so(shared_dir: Path) -> None:
    key = write_key(shared_dir / "court.key", KEY)
    key.chmod(0o644)  # the reader may read the key: only the ledger is protected here
    db = shared_dir / "court.db"
    assert run("ledger", "init", db, "--key", key)[0] == 0
    db.chmod(0o444)
    before = db.read_bytes()
    r = as_reader("ledger", "event", db, "hold", "--recording", "0", "--key", key,
                  "--by", "clerk", "--reason", "appeal")  # fmt: skip
    assert r.returncode == 2
    assert "read-only" in r.stderr and "SQLite error" not in r.stderr, r.stderr
    assert db.read_bytes() == before


_UNFINISHED_WAL = """
import os, sys
from auditor.ledger.events import hold_entry
from auditor.ledger.store import Ledger
from auditor.ledger._signing import SigningKey
led = Ledger.open(sys.argv[1], writable=True)
led._conn.execute("PRAGMA wal_autocheckpoint = 0")
led.append([hold_entry(1, by="clerk", reason="appeal")], key=SigningKey.from_seed(bytes(range(32))))
os._exit(0)  # no close: the entry stays in court.db-wal, not yet in court.db
"""


def test_a_read_only_ledger_with_a_pending_write_ahead_log(shared_dir: Path) -> None:
    key = write_key(shared_dir / "court.key", KEY)
    wav = make_wav(shared_dir / "part1.wav", 6.0)
    db = shared_dir / "court.db"
    assert run("ledger", "init", db, "--key", key)[0] == 0
    assert run("ledger", "add", db, wav, "--key", key)[0] == 0
    subprocess.run([sys.executable, "-c", _UNFINISHED_WAL, str(db)], check=True)
    assert Path(f"{db}-wal").stat().st_size > 0
    for p in shared_dir.glob("court.db*"):
        p.chmod(0o444)
    shared_dir.chmod(0o555)
    r = as_reader("ledger", "verify", db, "--key", f"{key}.pub",
                  "--format", "text")  # the -shm is there: read it all
    assert r.returncode == 0 and "ledger size 6" in r.stdout, r.stdout + r.stderr
    shared_dir.chmod(0o755)
    Path(f"{db}-shm").unlink()
    shared_dir.chmod(0o555)
    r = as_reader("ledger", "verify", db, "--key", f"{key}.pub")  # never a stale, partial read
    assert r.returncode == 2 and "write-ahead log court.db-wal holds changes" in r.stderr, r.stderr
