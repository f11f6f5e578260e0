"""The ledger asks witnesses on loopback for cosignatures, keeps them, and checks their quorum:
two witnesses with one stopped, a rebuilt log refused, bundles verified with no network and no
database, and hostile witnesses files."""

from __future__ import annotations

import json
import shutil
import socket
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest_ledger import KEY, NOW, ORIGIN, empty_recording, make_wav, new_ledger, write_key
from conftest_witness import serving, witness_db

from auditor.cli import cli
from auditor.errors import InputError
from auditor.ledger.attestations import cosignature_lines, last_cosigned
from auditor.ledger.store import Ledger
from auditor.ledger.witnesses import WitnessPolicy


def run(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    return result.exit_code, result.output


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def policy(path: Path, witnesses: list[tuple[str, object, str]], quorum: int | None) -> Path:
    lines = ["# the court's witnesses"]
    lines += [f"witness {name} {key} {url}  # {name}" for name, key, url in witnesses]
    if quorum is not None:
        lines.append(f"quorum {quorum}")
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


@pytest.fixture
def court(tmp_path: Path) -> Path:
    write_key(tmp_path / "court.key", KEY)
    new_ledger(tmp_path / "court.db").close()
    return tmp_path / "court.db"


def test_two_witnesses_one_stopped(tmp_path: Path, court: Path) -> None:
    db0, key0 = witness_db(tmp_path / "w0.db", 0)
    db1, key1 = witness_db(tmp_path / "w1.db", 1)
    down = f"http://127.0.0.1:{free_port()}"
    with serving(db0, 0) as w0:
        both = [("bar", key0, w0.url), ("ngo", key1, down)]
        q1 = policy(tmp_path / "q1.txt", both, 1)
        q2 = policy(tmp_path / "q2.txt", both, 2)
        code, out = run(["ledger", "witness", court, "--witnesses", q1])
        assert code == 0, out
        assert "bar: cosigned size 3" in out and "ngo: not reached" in out
        assert "cosigned by bar (quorum 1 of 2 met); not cosigned by ngo" in out
        code, out = run(["ledger", "witness", court, "--witnesses", q2])
        assert code == 2
        assert "quorum is NOT met" in out and "quorum 2 of 2 NOT met" in out
        assert "ngo: not reached" in out and "auditor ledger witness" in out
    # verify names who signed; a quorum not met is a finding (exit 1)
    base = ["ledger", "verify", court, "--trusted-key", tmp_path / "court.key.pub"]
    code, out = run([*base, "--witnesses", q1, "--format", "text"])
    assert code == 0 and "cosigned by bar (quorum 1 of 2 met)" in out
    code, out = run([*base, "--witnesses", q2, "--format", "json"])
    assert code == 1
    report = json.loads(out)
    assert [f["kind"] for f in report["findings"]] == ["unwitnessed"]
    assert report["ledger"]["witnesses"] == {"size": 3, "quorum": 2, "met": False,
                                             "signed": ["bar"], "missing": ["ngo"]}
    # the stopped witness is back: catching up meets the quorum of 2
    with serving(db0, 0) as w0, serving(db1, 1) as w1:
        q2 = policy(tmp_path / "q2.txt", [("bar", key0, w0.url), ("ngo", key1, w1.url)], 2)
        code, out = run(["ledger", "witness", court, "--witnesses", q2])
        assert code == 0 and "cosigned by bar, ngo (quorum 2 of 2 met)" in out
    assert run([*base, "--witnesses", q2, "--format", "text"])[0] == 0


def test_events_ask_with_the_size_each_witness_holds(tmp_path: Path, court: Path) -> None:
    db0, key0 = witness_db(tmp_path / "w0.db", 0)
    with serving(db0, 0) as w0:
        pol = policy(tmp_path / "p.txt", [("bar", key0, w0.url)], None)
        for reason in ("appeal", "review"):
            code, out = run(["ledger", "event", court, "hold", "--recording", "1", "--by",
                             "clerk", "--reason", reason, "--signing-key",
                             tmp_path / "court.key", "--witnesses", pol])
            assert code == 0, out
        assert "bar: cosigned size 5" in out
    with Ledger.open(court) as led:
        assert last_cosigned(led, key0) == 5 == led.size
        assert len(cosignature_lines(led, 4)) == len(cosignature_lines(led, 5)) == 1
    assert db0.latest(ORIGIN).size == 5  # type: ignore[union-attr]


def test_a_rebuilt_log_is_refused_with_the_reason(tmp_path: Path, court: Path) -> None:
    db0, key0 = witness_db(tmp_path / "w0.db", 0)
    with Ledger.open(court, writable=True) as led:
        led.append_at(empty_recording(), key=KEY, now=NOW)
    with serving(db0, 0) as w0:
        pol = policy(tmp_path / "p.txt", [("bar", key0, w0.url)], 1)
        assert run(["ledger", "witness", court, "--witnesses", pol])[0] == 0
        # the same key, a history rebuilt from the start: longer, then shorter
        longer = new_ledger(tmp_path / "longer.db")
        longer.append_at(empty_recording()[:1], key=KEY, now=NOW)
        longer.append_at(empty_recording(), key=KEY, now=NOW)
        longer.close()
        code, out = run(["ledger", "witness", tmp_path / "longer.db", "--witnesses", pol])
        assert code == 2
        assert ("bar: refused (HTTP 422): not consistent with the checkpoint of size 5 this "
                "witness cosigned") in out
        new_ledger(tmp_path / "shorter.db").close()
        code, out = run(["ledger", "witness", tmp_path / "shorter.db", "--witnesses", pol])
        assert code == 2 and "saw another log under this origin" in out
        # as long, with other entries: the witness's 409 without a size is its refusal
        same = new_ledger(tmp_path / "same.db")
        same.append_at(empty_recording(), key=KEY, now=NOW + timedelta(seconds=1))
        with Ledger.open(court) as led:
            assert same.size == 5 and same.root(5) != led.root(5)
        same.close()
        code, out = run(["ledger", "witness", tmp_path / "same.db", "--witnesses", pol])
        assert code == 2
        assert "bar: refused (HTTP 409): another root at size 5, which this witness cosigned" in out
    assert [r[1] for r in db0.refused(ORIGIN)] == [422, 409]


def test_bundle_carries_cosignatures_and_verifies_offline(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key_file = write_key(tmp_path / "court.key", KEY)
    run(["ledger", "init", tmp_path / "court.db", "--signing-key", key_file])
    wav = make_wav(tmp_path / "hearing.wav", 3.0)
    db0, key0 = witness_db(tmp_path / "w0.db", 0)
    db1, key1 = witness_db(tmp_path / "w1.db", 1)
    with serving(db0, 0) as w0, serving(db1, 1) as w1:
        pol = policy(tmp_path / "p.txt", [("bar", key0, w0.url), ("ngo", key1, w1.url)], 2)
        code, out = run(["ledger", "add", tmp_path / "court.db", wav, "--signing-key", key_file,
                         "--no-fingerprint", "--witnesses", pol])
        assert code == 0 and "quorum 2 of 2 met" in out, out
    code, out = run(["ledger", "bundle", tmp_path / "court.db", wav, "-o", tmp_path / "b.zip"])
    assert code == 0, out
    # elsewhere: no ledger, no witness, and no network at all
    away = tmp_path / "away"
    away.mkdir()
    shutil.move(tmp_path / "b.zip", away / "b.zip")
    (tmp_path / "court.db").unlink()

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the bundle check used the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    base = ["bundle", "verify", away / "b.zip", "--trusted-key", f"{key_file}.pub"]
    code, out = run([*base, "--witnesses", pol])
    assert code == 0, out
    assert "ok: witnesses: the checkpoint at size" in out and "cosigned by bar, ngo" in out
    # a policy that needs a witness the bundle has no cosignature of
    other = policy(tmp_path / "o.txt", [("bar", key0, "http://x"),
                                        ("ngo", key1, "http://y"),
                                        ("law", witness_db(tmp_path / "w2.db", 2)[1], "http://z")],
                   3)  # fmt: skip
    code, out = run([*base, "--witnesses", other])
    assert code == 1 and "FAILED: witnesses:" in out and "quorum 3 of 3 NOT met" in out
    assert "not cosigned by law" in out


@pytest.mark.parametrize("text, match", [
    ("witness bar\n", "line 1: a witness line is `witness NAME VKEY URL`"),
    ("witness b@r {k} http://x\n", "line 1: witness name 'b@r'"),
    ("witness bar nope http://x\n", "line 1: witness bar: not a verifier key"),
    ("witness bar {k} ftp://x\n", "line 1: witness bar: 'ftp://x' is not an http"),
    # urllib finds these wrong only when the URL is used: they were internal errors then
    ("witness bar {k} http://[::1\n", r"line 1: witness bar: 'http://\[::1': not a well-formed"),
    ("witness bar {k} http://x:99999\n", "line 1: .* not a well-formed URL .*out of range"),
    ("witness bar {k} http://x:ab\n", "line 1: .* not a well-formed URL"),
    ("witness bar {k} http://x:0/w\n", "line 1: .* port 0"),
    ("witness bar {k} http://x\nwitness bar {k2} http://x\n", "line 2: witness bar is listed"),
    ("witness bar {k} http://x\nwitness ngo {k} http://x\n", "line 2: .* same key"),
    ("witness bar {k} http://x\nquorum 2\n", "quorum 2 is more than the 1 witnesses"),
    ("witness bar {k} http://x\nquorum 0\n", "line 2: quorum must be"),
    ("witness bar {k} http://x\nquorum 1\nquorum 1\n", "line 3: a second quorum line"),
    ("# nothing\n\n", "lists no witness"),
    ("witness bar {k} http://x\ntrust everyone\n", "line 2: unknown statement 'trust'"),
    ("witness bar -----BEGIN PRIVATE KEY----- http://x\n", "words"),
])
def test_malformed_policy_files(tmp_path: Path, text: str, match: str) -> None:
    k = witness_db(tmp_path / "w0.db", 0)[1]
    k2 = witness_db(tmp_path / "w1.db", 1)[1]
    path = tmp_path / "witnesses.txt"
    path.write_text(text.replace("{k}", str(k)).replace("{k2}", str(k2)), "utf-8")
    with pytest.raises(InputError, match=match) as info:
        WitnessPolicy.read(path)
    assert info.value.path == str(path)
    code, out = run(["ledger", "witness", tmp_path / "none.db", "--witnesses", path])
    assert code == 2 and str(path) in out


def test_policy_file_that_is_not_text(tmp_path: Path) -> None:
    path = tmp_path / "w.txt"
    path.write_bytes(b"witness \xff\xfe\n")
    with pytest.raises(InputError, match="not UTF-8"):
        WitnessPolicy.read(path)
    with pytest.raises(InputError, match="cannot read"):
        WitnessPolicy.read(tmp_path / "missing.txt")


def test_older_ledgers_open_and_cosignatures_are_append_only(tmp_path: Path,
                                                             court: Path) -> None:
    import sqlite3

    from auditor.ledger.attest_check import check_ledger_attestations

    db0, key0 = witness_db(tmp_path / "w0.db", 0)
    pol = policy(tmp_path / "p.txt", [("bar", key0, "http://127.0.0.1:9")], 1)
    # a ledger made before witnesses existed: no attestation tables, opened read-only
    with Ledger.open(court) as led:
        tables = {r[0] for r in led.db.conn.execute("SELECT name FROM sqlite_master")}
        assert "cosignatures" not in tables
        found = check_ledger_attestations(led, policy=WitnessPolicy.read(pol), tsa_certs=None)
    assert [f.kind for f in found.findings] == ["unwitnessed"]
    assert "no checkpoint of this ledger is cosigned" in found.findings[0].message
    code, out = run(["ledger", "verify", court, "--trusted-key", tmp_path / "court.key.pub",
                     "--format", "text"])
    assert code == 0, out
    with serving(db0, 0) as w0:
        pol = policy(tmp_path / "p.txt", [("bar", key0, w0.url)], 1)
        assert run(["ledger", "witness", court, "--witnesses", pol])[0] == 0
    conn = sqlite3.connect(court)
    for sql in ("UPDATE cosignatures SET line = 'x'", "DELETE FROM cosignatures"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(sql)
    conn.close()
    # the ledger with its new tables still verifies as a whole
    code, out = run(["ledger", "verify", court, "--trusted-key", tmp_path / "court.key.pub",
                     "--witnesses", pol, "--format", "text"])
    assert code == 0 and "cosigned by bar" in out


def test_a_hung_witness_times_out_and_the_others_still_cosign(tmp_path: Path,
                                                              court: Path) -> None:
    import time

    db0, key0 = witness_db(tmp_path / "w0.db", 0)
    _, key1 = witness_db(tmp_path / "w1.db", 1)
    with socket.socket() as hung, serving(db0, 0) as w0:
        hung.bind(("127.0.0.1", 0))
        hung.listen(1)  # accepts the connection, never answers
        url = f"http://127.0.0.1:{hung.getsockname()[1]}"
        pol = policy(tmp_path / "p.txt", [("bar", key0, w0.url), ("ngo", key1, url)], 1)
        t = time.monotonic()
        code, out = run(["ledger", "witness", court, "--witnesses", pol,
                         "--witness-timeout", "0.3"])
        elapsed = time.monotonic() - t
    assert code == 0 and "ngo: not reached: no answer within 0.3 s" in out, out
    assert "bar: cosigned size 3" in out and elapsed < 3.0


@pytest.mark.parametrize("url", ["http://[::1/", "http://127.0.0.1:99999/",
                                 "http://127.0.0.1:x/"])
def test_a_tsa_url_that_is_no_url_is_said_plainly(tmp_path: Path, court: Path, url: str) -> None:
    code, out = run(["ledger", "witness", court, "--tsa", url])
    assert code == 2 and "internal error" not in out, out
    assert f"the time-stamping authority {url} cannot be reached: not a well-formed URL" in out


def test_a_tsa_down_does_not_stop_the_witnesses(tmp_path: Path, court: Path) -> None:
    db0, key0 = witness_db(tmp_path / "w0.db", 0)
    with serving(db0, 0) as w0:
        pol = policy(tmp_path / "p.txt", [("bar", key0, w0.url)], 1)
        code, out = run(["ledger", "witness", court, "--witnesses", pol,
                         "--tsa", f"http://127.0.0.1:{free_port()}/"])
    assert code == 2 and "bar: cosigned size 3" in out
    assert "time-stamping authority" in out and "cannot be reached" in out
    with Ledger.open(court) as led:
        assert len(cosignature_lines(led, 3)) == 1


def test_verify_checks_every_stored_cosignature_not_only_the_latest(tmp_path: Path,
                                                                     court: Path) -> None:
    import sqlite3

    db0, key0 = witness_db(tmp_path / "w0.db", 0)
    with serving(db0, 0) as w0:
        pol = policy(tmp_path / "p.txt", [("bar", key0, w0.url)], 1)
        for reason in ("appeal", "review"):
            assert run(["ledger", "event", court, "hold", "--recording", "1", "--by", "clerk",
                        "--reason", reason, "--signing-key", tmp_path / "court.key",
                        "--witnesses", pol])[0] == 0
    base = ["ledger", "verify", court, "--trusted-key", tmp_path / "court.key.pub",
            "--witnesses", pol, "--format", "json"]
    code, out = run(base)
    assert code == 0, out
    assert json.loads(out)["ledger"]["cosigned_checkpoints"] == 2
    # someone with the database file swaps the size-4 cosignature for the size-5 one
    conn = sqlite3.connect(court)
    conn.execute("DROP TRIGGER cosignatures_no_update")
    conn.execute("UPDATE cosignatures SET line = (SELECT line FROM cosignatures WHERE size = 5)"
                 " WHERE size = 4")
    conn.commit()
    conn.close()
    code, out = run(base)
    assert code == 1, out
    (finding,) = json.loads(out)["findings"]
    assert finding["kind"] == "unwitnessed" and finding["severity"] == "high"
    assert "a stored cosignature of the checkpoint at size 4 does not verify" in finding["message"]


def test_a_witness_that_answers_a_byte_at_a_time_is_cut_off(tmp_path: Path,
                                                             court: Path) -> None:
    import threading
    import time

    _, key0 = witness_db(tmp_path / "w0.db", 0)
    stop = threading.Event()

    def drip(listener: socket.socket) -> None:  # a 200 whose headers never end
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\n")
            while not stop.wait(0.05):
                try:
                    conn.sendall(b"X")
                except OSError:
                    return

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        thread = threading.Thread(target=drip, args=(listener,), daemon=True)
        thread.start()
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        pol = policy(tmp_path / "p.txt", [("bar", key0, url)], 1)
        t = time.monotonic()
        code, out = run(["ledger", "witness", court, "--witnesses", pol,
                         "--witness-timeout", "0.5"])
        elapsed = time.monotonic() - t
        stop.set()
        thread.join(5)
    assert code == 2 and "bar: not reached: no answer within 0.5 s" in out, out
    assert elapsed < 3.0


@pytest.mark.parametrize("size", ["\u00b2".encode(), b"9" * 5000])
def test_a_409_whose_size_is_no_number_is_the_witness_failing(tmp_path: Path, court: Path,
                                                               size: bytes) -> None:
    # a superscript passes str.isdigit and 5,000 digits pass it too; int() refuses both
    import threading

    _, key0 = witness_db(tmp_path / "w0.db", 0)
    body = size + b"\n"

    def answer(listener: socket.socket) -> None:
        for _ in range(3):  # the rounds of 409s
            conn, _ = listener.accept()
            with conn:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 409 Conflict\r\nContent-Type: text/x.tlog.size\r\n"
                             b"Content-Length: %d\r\n\r\n%s" % (len(body), body))

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(3)
        thread = threading.Thread(target=answer, args=(listener,), daemon=True)
        thread.start()
        pol = policy(tmp_path / "p.txt",
                     [("bar", key0, f"http://127.0.0.1:{listener.getsockname()[1]}")], 1)
        code, out = run(["ledger", "witness", court, "--witnesses", pol])
    assert code == 2 and "bar: answered 409 without a size" in out, out
    assert "internal error" not in out


def test_a_witness_that_lost_what_it_cosigned_is_not_followed_back(tmp_path: Path,
                                                                     court: Path) -> None:
    db0, key0 = witness_db(tmp_path / "w0.db", 0)
    with serving(db0, 0) as w0:
        pol = policy(tmp_path / "p.txt", [("bar", key0, w0.url)], None)
        code, out = run(["ledger", "witness", court, "--witnesses", pol])
        assert code == 0 and "bar: cosigned size 3" in out
    # the witness's database is lost and set up afresh with the same key: it holds nothing,
    # and answers the next request 409 with size 0
    (tmp_path / "w0.db").unlink()
    db0, _ = witness_db(tmp_path / "w0.db", 0)
    with serving(db0, 0) as w0:
        pol = policy(tmp_path / "p.txt", [("bar", key0, w0.url)], None)
        code, out = run(["ledger", "event", court, "hold", "--recording", "1", "--by", "clerk",
                         "--reason", "appeal", "--signing-key", tmp_path / "court.key",
                         "--witnesses", pol])
        assert code == 2, out
        assert "latest it cosigned of this log is size 0" in out and "size 3" in out
        assert "rolled back" in out
    assert db0.latest(ORIGIN) is None  # not asked again from the older size
    with Ledger.open(court) as led:
        assert last_cosigned(led, key0) == 3 and led.size == 4
