"""The one output writer: atomic for files, and never a replacement of a device, pipe or link."""

from __future__ import annotations

import os
import stat
import threading

from auditor.atomic import write_atomic


def test_a_pipe_is_written_to_not_replaced(tmp_path):
    # `-o /dev/null` run as root replaced the system's /dev/null with a plain file: whatever is
    # not a regular file is written to as it is (a FIFO stands in for the device here)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    write_atomic(fifo, b"report\n")
    reader.join(timeout=10)
    assert got == [b"report\n"]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_link_stays_a_link_and_its_file_is_replaced(tmp_path):
    real = tmp_path / "real.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    write_atomic(link, b"new")
    assert link.is_symlink() and real.read_text() == "new"


def test_a_file_is_replaced_whole_and_keeps_its_mode(tmp_path):
    out = tmp_path / "r.json"
    out.write_text("old")
    out.chmod(0o640)
    write_atomic(out, b"new")
    assert out.read_bytes() == b"new" and stat.S_IMODE(out.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]
