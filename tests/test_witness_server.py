"""The witness's add-checkpoint over real HTTP on loopback: every status code the C2SP
tlog-witness specification gives, a rewritten log refused with the reason, hostile bodies."""

from __future__ import annotations

import base64
import hashlib
import http.client
import socket
import time
from pathlib import Path

import pytest
from conftest_ledger import KEY, NOW, ORIGIN, OTHER_KEY, empty_recording, new_ledger
from conftest_witness import WITNESS_KEYS, post, serving, witness_db

from auditor.errors import InputError
from auditor.ledger.cosignature import Cosignature, signature_lines, verified_by
from auditor.ledger.note import Checkpoint, VerifierKey
from auditor.witness.protocol import MAX_BODY
from auditor.witness.server import WitnessServer


def request(led, old: int, size: int | None = None) -> bytes:
    size = led.size if size is None else size
    proof = led.consistency_proof(old, size) if 0 < old < size else []
    lines = [f"old {old}", *(base64.b64encode(h).decode() for h in proof)]
    return ("\n".join(lines) + "\n\n" + led.checkpoint(size)).encode()


def test_cosigns_then_demands_the_size_it_holds(tmp_path: Path) -> None:
    db, ckey = witness_db(tmp_path / "w.db")
    led = new_ledger(tmp_path / "court.db")
    with serving(db) as server:
        status, _, text = post(server, request(led, 0))
        assert status == 200
        body, _ = signature_lines(led.checkpoint())
        assert verified_by(body, text.splitlines(), [ckey]).keys() == {ckey.name}
        # the witness now holds size 3: old 0 is a conflict that names it
        status, ctype, text = post(server, request(led, 0))
        assert (status, ctype, text) == (409, "text/x.tlog.size", "3\n")
        led.append_at(empty_recording(), key=KEY, now=NOW)
        status, _, text = post(server, request(led, 3))
        assert status == 200 and text.startswith("\u2014 w0.example/witness ")
        # same size again: re-cosigned with the same root
        assert post(server, request(led, 5))[0] == 200
        # monitors read the latest cosigned checkpoint
        digest = hashlib.sha256(led.origin.encode()).hexdigest()
        conn = http.client.HTTPConnection(*server.server_address[:2], timeout=5)
        conn.request("GET", f"/{digest}/checkpoint")
        reply = conn.getresponse()
        note = reply.read().decode()
        assert reply.status == 200 and note.startswith(led.checkpoint(5).rstrip("\n"))
    assert db.latest(led.origin).size == 5  # type: ignore[union-attr]


def test_rewritten_log_is_refused_with_the_reason(tmp_path: Path) -> None:
    db, _ = witness_db(tmp_path / "w.db")
    led = new_ledger(tmp_path / "court.db")
    led.append_at(empty_recording(), key=KEY, now=NOW)
    with serving(db) as server:
        assert post(server, request(led, 0))[0] == 200
        # the court rebuilds its history with the same key: other entries, more of them
        fake = new_ledger(tmp_path / "rebuilt.db")
        fake.append_at(empty_recording()[:1], key=KEY, now=NOW)
        fake.append_at(empty_recording(), key=KEY, now=NOW)
        assert fake.root(5) != led.root(5)
        status, _, text = post(server, request(fake, 5))
        assert status == 422
        assert "not consistent with the checkpoint of size 5 this witness cosigned" in text
        # the same size with another root: 409, as c2sp.org/tlog-witness says, but not a size
        other_five = Checkpoint(led.origin, 5, fake.root(5)).sign(KEY)
        status, kind, text = post(server, f"old 5\n\n{other_five}".encode())
        assert status == 409 and kind.startswith("text/plain")
        assert text == f"another root at size 5, which this witness cosigned with root " \
                       f"{led.root(5).hex()}: a split view\n"
    refused = db.refused(led.origin)
    assert [r[1] for r in refused] == [422, 409] and refused[0][3] == fake.checkpoint(6)
    assert refused[1][3] == other_five
    assert db.latest(led.origin).size == 5  # type: ignore[union-attr]


def test_status_codes(tmp_path: Path) -> None:
    db, _ = witness_db(tmp_path / "w.db")
    led = new_ledger(tmp_path / "court.db")
    note = led.checkpoint()
    other = Checkpoint("elsewhere.example/log", 3, led.root()).sign(KEY)
    forged = Checkpoint(led.origin, 3, led.root()).sign(OTHER_KEY)
    bad_sig = note[:-10] + ("A" if note[-10] != "A" else "B") + note[-9:]
    with serving(db) as server:
        assert post(server, f"old 0\n\n{other}".encode())[:2] == (404, "text/plain; charset=utf-8")
        status, _, text = post(server, f"old 0\n\n{forged}".encode())
        assert status == 403 and "no signature by a key of log" in text
        assert post(server, f"old 0\n\n{bad_sig}".encode())[0] == 403
        assert post(server, f"old 4\n\n{note}".encode())[0] == 400  # old past the size
        proof = base64.b64encode(bytes(32)).decode()
        status, _, text = post(server, f"old 0\n{proof}\n\n{note}".encode())
        assert status == 422 and "from size 0 must be empty" in text
        empty = Checkpoint(led.origin, 0, bytes(32)).sign(KEY)
        status, _, text = post(server, f"old 0\n\n{empty}".encode())
        assert status == 422 and "empty tree" in text


@pytest.mark.parametrize("body, match", [
    (b"", "no empty line"),
    (b"old 0\n", "no empty line"),
    (b"old 01\n\nx\n", "'old <size>'"),
    (b"new 0\n\nx\n", "'old <size>'"),
    (b"old 0\n!!!!\n\nx\n", "proof line 2 is not base64"),
    (b"old 0\n" + base64.b64encode(bytes(31)) + b"\n\nx\n", "31 bytes, not 32"),
    (b"old 0\n" + (base64.b64encode(bytes(32)) + b"\n") * 64 + b"\nx\n", "at most 63"),
    (b"old 0\n\n\xff\xfe\n", "not UTF-8"),
    (b"old 0\n\nnot a note\n", "not a signed checkpoint"),
    (b"old 0\n\norigin\n3\nroot\n\n\xe2\x80\x94 origin AAAA\n", "not a signed checkpoint"),
])
def test_malformed_bodies_are_400(tmp_path: Path, body: bytes, match: str) -> None:
    db, _ = witness_db(tmp_path / "w.db")
    with serving(db) as server:
        status, _, text = post(server, body)
    assert status == 400 and match in text


def test_oversized_and_unsized_bodies(tmp_path: Path) -> None:
    db, _ = witness_db(tmp_path / "w.db")
    with serving(db) as server:
        # a huge Content-Length is refused before a byte of the body is read
        host, port = server.server_address[:2]
        with socket.create_connection((str(host), int(port)), timeout=5) as sock:
            sock.sendall(b"POST /add-checkpoint HTTP/1.1\r\nHost: x\r\n"
                         b"Content-Length: 10000000000\r\n\r\n")
            assert sock.recv(200).startswith(b"HTTP/1.1 413 ")
        status, _, text = post(server, b"x" * (MAX_BODY + 1))
        assert status == 413 and "over 65536 bytes" in text
        with socket.create_connection((str(host), int(port)), timeout=5) as sock:
            sock.sendall(b"POST /add-checkpoint HTTP/1.1\r\nHost: x\r\n\r\n")
            assert b" 411 " in sock.recv(200)
        assert post(server, b"old 0\n\nx\n", path="/other")[0] == 404


def test_refuses_a_non_loopback_address_unless_allowed(tmp_path: Path) -> None:
    db, _ = witness_db(tmp_path / "w.db")
    with pytest.raises(InputError, match="not a loopback address"):
        WitnessServer(db, WITNESS_KEYS[0], ("0.0.0.0", 0))
    server = WitnessServer(db, WITNESS_KEYS[0], ("0.0.0.0", 0), allow_remote=True)
    server.server_close()


def test_connections_past_the_limit_are_answered_503_at_once(tmp_path: Path) -> None:
    led = new_ledger(tmp_path / "court.db")
    db, _ = witness_db(tmp_path / "w.db")
    lines: list[str] = []
    with serving(db, max_connections=2, log=lines.append) as server:
        host, port = str(server.server_address[0]), int(server.server_address[1])
        held = [socket.create_connection((host, port), timeout=5) for _ in range(2)]
        try:
            time.sleep(0.2)  # both accepted: each holds a place while it says nothing
            started = time.monotonic()
            status, _, text = post(server, request(led, 0))
            assert status == 503 and "busy" in text
            assert time.monotonic() - started < 1.0
            assert any("2 connections are being served" in line for line in lines)
        finally:
            for sock in held:
                sock.close()
        time.sleep(0.2)  # the places are free again
        status, _, text = post(server, request(led, 0))
        assert status == 200 and text.startswith("\u2014 w0.example/witness ")
    with pytest.raises(InputError, match="at least one connection"):
        WitnessServer(db, WITNESS_KEYS[0], ("127.0.0.1", 0), max_connections=0)


def test_a_bad_signature_by_one_trusted_key_is_403_beside_a_good_one(tmp_path: Path) -> None:
    db, _ = witness_db(tmp_path / "w.db")
    led = new_ledger(tmp_path / "court.db")
    db.add_log(VerifierKey(led.origin, OTHER_KEY.public_bytes()), led.origin)  # a rotated key
    note = led.checkpoint()
    other_line = Checkpoint(led.origin, 3, led.root()).sign(OTHER_KEY).splitlines()[-1]
    name, _, blob = other_line.partition(" ")[2].partition(" ")
    raw = bytearray(base64.b64decode(blob))
    raw[10] ^= 1  # the signature, not the key ID
    bad = f"{note}\u2014 {name} {base64.b64encode(bytes(raw)).decode()}\n"
    with serving(db) as server:
        status, _, text = post(server, f"old 0\n\n{bad}".encode())
        assert status == 403 and "does not verify" in text, text
        status, _, text = post(server, f"old 0\n\n{note}".encode())  # the good one alone
        assert status == 200, text


def test_a_port_in_use_and_a_bad_prefix_are_said_plainly(tmp_path: Path) -> None:
    db, _ = witness_db(tmp_path / "w.db")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(InputError, match=f"cannot listen on 127.0.0.1:{port}") as caught:
            WitnessServer(db, WITNESS_KEYS[0], ("127.0.0.1", port))
    assert "choose another --listen port" in caught.value.diagnostics()
    # "." and ".." segments: a client's URL library removes them (RFC 3986, 5.2.4), so no
    # request would ever reach the path the server waits on
    for prefix in ("a b", "/w?x", "/w#", "/\u00e9", "../x", "/w/./", "/a/../b", ".."):
        with pytest.raises(InputError, match="--prefix must be a URL path"):
            WitnessServer(db, WITNESS_KEYS[0], ("127.0.0.1", 0), prefix=prefix)
    server = WitnessServer(db, WITNESS_KEYS[0], ("127.0.0.1", 0), prefix="/bar.example/w-1/")
    assert server.url.endswith("/bar.example/w-1")
    server.server_close()


def test_a_locked_database_is_503_and_nothing_is_cosigned(tmp_path: Path) -> None:
    import sqlite3

    led = new_ledger(tmp_path / "court.db")
    db, _ = witness_db(tmp_path / "w.db")
    db._conn.execute("PRAGMA busy_timeout = 100")  # not 10 s, for the test
    lines: list[str] = []
    other = sqlite3.connect(tmp_path / "w.db", isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another program holds the database
    try:
        with serving(db, log=lines.append) as server:
            status, _, text = post(server, request(led, 0))
            assert status == 503 and "cannot use its database" in text
            assert any("w.db failed: database is locked" in line for line in lines), lines
            other.execute("ROLLBACK")
            status, _, text = post(server, request(led, 0))
            assert status == 200, text
    finally:
        other.close()



def test_the_cosignature_is_over_the_text_the_log_signed(tmp_path: Path) -> None:
    # a root in base64 whose unused bits are not zero decodes to the same 32 bytes, but the
    # checkpoint's own text is what the log signed and what clients verify a cosignature over
    db, wkey = witness_db(tmp_path / "w.db")
    root = base64.b64encode(bytes(range(32))).decode()  # ends in "8=": 2 unused bits
    odd = root[:-2] + chr(ord(root[-2]) + 1) + "="
    assert base64.b64decode(odd) == bytes(range(32)) and odd != root
    text = f"{ORIGIN}\n1\n{odd}\n"
    vkey = VerifierKey(ORIGIN, KEY.public_bytes())
    sig = base64.b64encode(vkey.key_id + KEY.sign(text.encode())).decode()
    with serving(db) as server:
        status, _, line = post(server, f"old 0\n\n{text}\n\u2014 {ORIGIN} {sig}\n".encode())
    assert status == 200, line
    stamp = Cosignature.parse(line.rstrip("\n")).timestamp
    assert verified_by(text, [line.rstrip("\n")], [wkey]) == {wkey.name: stamp}


def test_a_size_past_what_the_database_holds_is_400(tmp_path: Path) -> None:
    from auditor.witness.protocol import add_checkpoint

    db, _ = witness_db(tmp_path / "w.db")
    for size, status in ((2**64, 400), (2**63, 400), (2**63 - 1, 200)):
        note = Checkpoint(ORIGIN, size, bytes(32)).sign(KEY)
        reply = add_checkpoint(db, WITNESS_KEYS[0], "w", f"old 0\n\n{note}".encode())
        assert reply.status == status, reply.body
    assert "past 2^63-1" in add_checkpoint(
        db, WITNESS_KEYS[0], "w",
        f"old 0\n\n{Checkpoint(ORIGIN, 2**64, bytes(32)).sign(KEY)}".encode()).body


def test_concurrent_requests_cosign_once_and_never_fail(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    led = new_ledger(tmp_path / "court.db")
    db, _ = witness_db(tmp_path / "w.db")
    digest = hashlib.sha256(led.origin.encode()).hexdigest()
    with serving(db) as server:
        host, port = str(server.server_address[0]), int(server.server_address[1])

        def get(_: int) -> int:
            conn = http.client.HTTPConnection(host, port, timeout=5)
            try:
                conn.request("GET", f"/{digest}/checkpoint")
                return conn.getresponse().status
            finally:
                conn.close()

        with ThreadPoolExecutor(16) as pool:
            posts = [pool.submit(post, server, request(led, 0)) for _ in range(24)]
            gets = list(pool.map(get, range(24)))
            answers = [f.result() for f in posts]
    statuses = sorted(a[0] for a in answers)
    assert statuses == [200] + [409] * 23, statuses  # one cosigned; the rest told its size
    assert all(a[2] == f"{led.size}\n" for a in answers if a[0] == 409)
    assert set(gets) <= {200, 404}
    assert db.latest(led.origin).size == led.size  # type: ignore[union-attr]


def test_a_client_that_sends_a_byte_at_a_time_is_cut_off_at_the_deadline(
        tmp_path: Path) -> None:
    db, _ = witness_db(tmp_path / "w.db")
    lines: list[str] = []
    with serving(db, log=lines.append) as server:
        server.deadline = 1.0
        host, port = str(server.server_address[0]), int(server.server_address[1])
        with socket.create_connection((host, port), timeout=5) as sock:
            sock.sendall(b"POST /add-checkpoint HTTP/1.1\r\nHost: x\r\nContent-Length: 60\r\n\r\n")
            started, closed = time.monotonic(), False
            sock.settimeout(0.2)
            for _ in range(40):  # a byte every 0.2 s: each read is well within its 5 s
                try:
                    sock.sendall(b"o")
                    closed = sock.recv(100) == b""
                except TimeoutError:
                    continue
                except OSError:
                    closed = True
                if closed:
                    break
            assert closed and time.monotonic() - started < 2.5
        waited = time.monotonic() + 5  # the handler's thread logs once its read has returned
        while not any("connection closed" in line for line in lines) and \
                time.monotonic() < waited:
            time.sleep(0.02)
        assert any(" of 60 bytes in 1 s: connection closed" in line for line in lines)


def test_a_content_length_of_other_digits_is_411(tmp_path: Path) -> None:
    db, _ = witness_db(tmp_path / "w.db")
    with serving(db) as server:
        host, port = str(server.server_address[0]), int(server.server_address[1])
        with socket.create_connection((host, port), timeout=5) as sock:
            # "\xb2" is a digit to str.isdigit, not to int() in every form: superscript two
            sock.sendall(b"POST /add-checkpoint HTTP/1.1\r\nHost: x\r\nContent-Length: \xb2\r\n"
                         b"\r\n")
            assert sock.recv(200).startswith(b"HTTP/1.1 411 ")
