"""The ledger under hostile and everyday-broken conditions: missing options, no trusted key,
damaged trees, a full disk and zip bombs (read-only copies: test_ledger_read_only.py)."""

from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
import tempfile
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest_ledger import KEY, NOW, ORIGIN, OTHER_KEY, make_wav, new_ledger, write_key

from auditor.cli import cli
from auditor.errors import LedgerError
from auditor.ledger import recording
from auditor.ledger.note import VerifierKey
from auditor.ledger.store import Ledger
from auditor.ledger.verify import verify_log

VKEY = VerifierKey(ORIGIN, KEY.public_bytes())


def run(*args: str) -> tuple[int, str]:
    """Run the real root command (AuditorError -> exit 2 with its message on stderr)."""
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    return result.exit_code, result.output


@pytest.fixture
def court(tmp_path: Path) -> dict[str, Path]:
    """A court's key, a stranger's key, and a ledger of 8 entries: the key, then one recording
    of 25 s in 5 s chunks (ingest 1, chunks 2-6, seal 7)."""
    key = write_key(tmp_path / "court.key", KEY)
    stranger = write_key(tmp_path / "stranger.key", OTHER_KEY)
    wav = make_wav(tmp_path / "part1.wav", 25.0)
    db = tmp_path / "court.db"
    assert run("ledger", "init", db, "--key", key)[0] == 0
    code, out = run("ledger", "add", db, wav, "--key", key, "--chunk-seconds", "5")
    assert code == 0, out
    return {"key": key, "stranger": stranger, "wav": wav, "db": db, "dir": tmp_path}


# -- item 17: an event without the option that says who acted ----------------------------------


@pytest.mark.parametrize(
    ("kind", "given", "missing"),
    [
        ("hold", ["--reason", "appeal"], "--by"),
        ("access", ["--purpose", "defence"], "--by"),
        ("hold", ["--by", "judge"], "--reason"),
        ("hold_release", ["--by", "   ", "--reason", "x"], "--by"),
    ],
)
def test_event_without_a_required_option_names_it(
    court: dict[str, Path], kind: str, given: list[str], missing: str
) -> None:
    code, out = run("ledger", "event", court["db"], kind, "--recording", "1",
                    "--key", court["key"], *given)  # fmt: skip
    assert code == 2
    assert f"needs {missing}" in out and f"add {missing}" in out, out
    assert "must not be empty" not in out


# -- item 20: a clean result without a trusted key is not an authenticated pass ----------------


@pytest.fixture
def forged(tmp_path: Path) -> dict[str, Path]:
    """A ledger and a bundle made, consistently, by a stranger who calls himself the court."""
    stranger = write_key(tmp_path / "stranger.key", OTHER_KEY)
    court_pub = write_key(tmp_path / "court.key", KEY).with_suffix(".key.pub")
    wav = make_wav(tmp_path / "part1.wav", 12.0)
    db = tmp_path / "forged.db"
    assert run("ledger", "init", db, "--key", stranger, "--origin", ORIGIN)[0] == 0
    assert run("ledger", "add", db, wav, "--key", stranger, "--chunk-seconds", "5")[0] == 0
    zipped = tmp_path / "forged.zip"
    assert run("ledger", "bundle", db, wav, "-o", zipped)[0] == 0
    return {"db": db, "zip": zipped, "wav": wav, "court_pub": court_pub}


def test_ledger_verify_without_key_is_not_a_pass(forged: dict[str, Path]) -> None:
    code, out = run("ledger", "verify", forged["db"], forged["wav"])
    assert code == 2, out
    assert "internally consistent, signer NOT authenticated (no trusted key given)" in out
    assert "--key" in out and "--no-key" in out
    code, out = run("ledger", "verify", forged["db"], "--format", "json")
    assert code == 2
    report = json.loads(out[: out.rindex("}") + 1])
    assert report["ledger"]["authenticated"] is False


def test_ledger_verify_no_key_accepts_consistency_only(forged: dict[str, Path]) -> None:
    code, out = run("ledger", "verify", forged["db"], forged["wav"], "--no-key")
    assert code == 0, out
    assert "internally consistent, signer NOT authenticated (--no-key)" in out
    code, out = run("ledger", "verify", forged["db"], "--key", forged["court_pub"])
    assert code == 1 and "not signed by the trusted key" in out
    code, out = run("ledger", "verify", forged["db"], "--key", forged["court_pub"], "--no-key")
    assert code == 2 and "either --key or --no-key" in out


def test_ledger_verify_with_the_right_key_says_authenticated(court: dict[str, Path]) -> None:
    code, out = run("ledger", "verify", court["db"], court["wav"], "--key", f"{court['key']}.pub")
    assert code == 0, out
    assert "signer authenticated: the trusted key" in out
    assert "NOT authenticated" not in out


def test_bundle_verify_without_key_is_not_a_pass(forged: dict[str, Path]) -> None:
    code, out = run("bundle", "verify", forged["zip"])
    assert code == 2, out
    assert "bundle verified" not in out
    assert "internally consistent, signer NOT authenticated (no trusted key given)" in out
    code, out = run("bundle", "verify", forged["zip"], "--no-key")
    assert code == 0, out
    assert out.rstrip().endswith(
        "bundle internally consistent, signer NOT authenticated (--no-key)"
    )
    code, out = run("bundle", "verify", forged["zip"], "--key", forged["court_pub"])
    assert code == 1 and "FAILED" in out


# -- item 8: no proof leaves the tool unless it leads to the signed root ------------------------

VECTORS = Path(__file__).parents[1].parent / "shared" / "vectors" / "merkle"


def rfc9162_inclusion_ok(
    index: int, size: int, leaf: bytes, path: list[bytes], root: bytes
) -> bool:
    """RFC 9162 section 2.1.3.2, written out as the RFC states it (independent of the tool)."""
    if index >= size or any(len(h) != 32 for h in [leaf, root, *path]):
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = hashlib.sha256(b"\x01" + p + r).digest()
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = hashlib.sha256(b"\x01" + r + p).digest()
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


@pytest.mark.skipif(not VECTORS.is_dir(), reason=f"published vectors not present at {VECTORS}")
def test_the_independent_verifier_agrees_with_the_published_vectors() -> None:
    files = sorted((VECTORS / "inclusion").rglob("*.json"))
    assert len(files) == 98
    for f in files:
        v = json.loads(f.read_text())
        ok = rfc9162_inclusion_ok(v["leafIdx"], v["treeSize"], base64.b64decode(v["leafHash"]),
                                  [base64.b64decode(p) for p in v["proof"] or []],
                                  base64.b64decode(v["root"]))  # fmt: skip
        assert ok is not v["wantErr"], f


def tamper(db: Path, sql: str) -> None:
    """Edit the ledger by hand, as an attacker with file access would: triggers dropped first."""
    con = sqlite3.connect(db)
    for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        con.execute(f"DROP TRIGGER {name}")
    con.execute(sql)
    con.commit()
    con.close()


def _signed_root(note: str) -> bytes:
    return base64.b64decode(note.split("\n")[2])


def test_prove_gives_proofs_an_independent_verifier_accepts(court: dict[str, Path]) -> None:
    for index in range(8):
        code, out = run("ledger", "prove", court["db"], "--index", str(index))
        assert code == 0, out
        p = json.loads(out)
        assert rfc9162_inclusion_ok(index, p["tree_size"], bytes.fromhex(p["leaf_hash"]),
                                    [bytes.fromhex(h) for h in p["proof"]],
                                    _signed_root(p["checkpoint"]))  # fmt: skip


def test_prove_refuses_a_proof_from_a_damaged_tree(court: dict[str, Path]) -> None:
    tamper(court["db"], "UPDATE nodes SET hash = zeroblob(32) WHERE level = 2 AND idx = 1")
    code, out = run("ledger", "prove", court["db"], "--index", "2")
    assert code == 2, out
    assert "ledger_inconsistent" in out and "tree node (level 2, index 1)" in out
    assert "entries 4-7" in out and "auditor ledger verify" in out
    assert '"proof"' not in out
    for index in (4, 5, 7):  # their proofs do not use the damaged node: still given, still good
        code, out = run("ledger", "prove", court["db"], "--index", str(index))
        assert code == 0, out
    code, out = run("ledger", "prove", court["db"], "--from-size", "3")
    assert code == 2 and "tree node (level 2, index 1)" in out


def test_prove_refuses_a_changed_entry(court: dict[str, Path]) -> None:
    tamper(court["db"], "UPDATE entries SET data = CAST(replace(CAST(data AS TEXT), '\"index\":1',"
                        " '\"index\":9') AS BLOB) WHERE idx = 3")  # fmt: skip
    code, out = run("ledger", "prove", court["db"], "--index", "3")
    assert code == 2 and "entry 3" in out and "changed" in out, out


def test_bundle_refuses_a_damaged_tree_and_writes_nothing(court: dict[str, Path]) -> None:
    tamper(court["db"], "UPDATE nodes SET hash = zeroblob(32) WHERE level = 2 AND idx = 1")
    out_zip = court["dir"] / "evidence.zip"
    code, out = run("ledger", "bundle", court["db"], court["wav"], "-o", out_zip)
    assert code == 2, out
    assert "ledger_inconsistent" in out and "tree node (level 2, index 1)" in out
    assert not out_zip.exists()


# -- item 11: a failed add leaves nothing of the recording behind -------------------------------


def _clean(db: Path) -> int:
    """The ledger's size, after checking it verifies with no finding at all."""
    with Ledger.open(db) as led:
        report = verify_log(led, trusted_key=VKEY)
        assert [(f.kind, f.message) for f in report.findings] == []
        return report.size


def test_disk_full_during_add_leaves_no_half_ingested_recording(tmp_path: Path) -> None:
    wav = make_wav(tmp_path / "hour.wav", 60.0)
    with new_ledger(tmp_path / "l.db") as led:
        pages = led._conn.execute("PRAGMA page_count").fetchone()[0]
        # SQLite's own "database or disk is full" once the file would grow past 8 more pages:
        # room for the ingest entry, not for 1,200 chunks
        led._conn.execute(f"PRAGMA max_page_count = {pages + 8}")
        with pytest.raises(LedgerError, match=r"disk is full.*hour\.wav was not added"):
            recording.add_recording_at(led, wav, key=KEY, now=NOW, chunk_seconds=0.05)
        led._conn.execute("PRAGMA max_page_count = 1000000")
        assert led.size == 3
        recording.add_recording_at(led, wav, key=KEY, now=NOW, chunk_seconds=0.05)
    assert _clean(tmp_path / "l.db") == 3 + 1 + 1200 + 1 + 1  # ingest, chunks, seal, fingerprint


def test_no_space_while_decoding_writes_nothing(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    wav = make_wav(tmp_path / "hour.wav", 30.0)
    new_ledger(tmp_path / "l.db").close()
    real = recording.hash_chunks

    def failing(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        for i, chunk in enumerate(real(*args, **kwargs)):
            if i == 20:  # the decoder's scratch space runs out mid-file
                raise OSError(28, "No space left on device")
            yield chunk

    monkeypatch.setattr(recording, "hash_chunks", failing)
    key = write_key(tmp_path / "k.key", KEY)
    code, out = run("ledger", "add", tmp_path / "l.db", wav, "--key", key, "--chunk-seconds", "1")
    assert code == 2
    assert "No space left on device" in out and "nothing was written to the ledger" in out, out
    assert _clean(tmp_path / "l.db") == 3


# -- item 7: a zip bomb is refused before anything is unpacked ---------------------------------


def _no_unpacking(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any temporary folder or file an error: a zip is read where it lies."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the bundle was unpacked to a temporary folder")

    for name in ("mkdtemp", "mkstemp", "TemporaryDirectory", "NamedTemporaryFile"):
        monkeypatch.setattr(tempfile, name, refuse)


def _bag_zip(court: dict[str, Path], name: str, extra: dict[str, int] | None = None) -> Path:
    """The court's evidence bundle as a zip; ``extra`` adds payload files of that many zero
    bytes, listed in the manifests as a bag requires."""
    from auditor.ledger._bag import write_bag

    folder = court["dir"] / f"{name}.bundle"
    assert run("ledger", "bundle", court["db"], court["wav"], "-o", folder)[0] == 0
    payload: dict[str, bytes | Path] = {
        str(p.relative_to(folder).as_posix()): p for p in (folder / "data").iterdir()
    }
    for fname, size in (extra or {}).items():
        blob = court["dir"] / f"{name}.{fname}"
        with open(blob, "wb") as fh:
            fh.truncate(size)  # a sparse file of zeros: costs no disk
        payload[f"data/{fname}"] = blob
    tags = {f"evidence/{n}": (folder / "evidence" / n).read_bytes()
            for n in ("evidence.json", "checkpoint.txt", "key.pub")}  # fmt: skip
    info = "".join(line + "\n" for line in (folder / "bag-info.txt").read_text().splitlines()
                   if not line.startswith("Payload-Oxum"))  # fmt: skip
    return write_bag(court["dir"] / f"{name}.zip", payload, tags, info, as_zip=True)


def test_a_zip_bundle_is_verified_without_unpacking_it(
    court: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    bag = _bag_zip(court, "plain")
    assert run("ledger", "bundle", court["db"], court["wav"], "-o", court["dir"] / "ex.zip",
               "--start", "6", "--end", "14")[0] == 0  # fmt: skip
    _no_unpacking(monkeypatch)
    for path in (bag, court["dir"] / "ex.zip"):
        code, out = run("bundle", "verify", path, "--key", f"{court['key']}.pub")
        assert code == 0 and out.rstrip().endswith("bundle verified"), out


def test_a_zip_bomb_is_refused_before_anything_is_unpacked(
    court: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    bomb = _bag_zip(court, "bomb", {"filler.bin": 200 << 20})  # 200 MiB of zeros
    assert bomb.stat().st_size < 1 << 20  # in a zip of well under 1 MiB
    _no_unpacking(monkeypatch)
    code, out = run("bundle", "verify", bomb, "--key", f"{court['key']}.pub")
    assert code == 2, out
    assert "data/filler.bin" in out and "compression ratio" in out and "--max-ratio" in out
    code, out = run("bundle", "verify", bomb, "--key", f"{court['key']}.pub",
                    "--max-size", "100M", "--max-ratio", "5000")  # fmt: skip
    assert code == 2 and "would unpack to 210," in out and "--max-size" in out, out
    # a user who trusts where it came from can lift both limits: the bag itself is sound
    code, out = run("bundle", "verify", bomb, "--key", f"{court['key']}.pub",
                    "--max-size", "1G", "--max-ratio", "5000")  # fmt: skip
    assert code == 0 and "bundle verified" in out, out


def _shrink_declared_size(path: Path, name: str, size: int) -> None:
    """Rewrite the central directory so it declares ``name`` smaller than it is."""
    data = bytearray(path.read_bytes())
    end = data.rindex(b"PK\x05\x06")  # end of central directory record
    at = int.from_bytes(data[end + 16 : end + 20], "little")
    while True:
        n = int.from_bytes(data[at + 28 : at + 30], "little")
        if data[at + 46 : at + 46 + n] == name.encode():
            break
        at = data.index(b"PK\x01\x02", at + 4)
    data[at + 24 : at + 28] = size.to_bytes(4, "little")
    path.write_bytes(bytes(data))


def test_a_zip_that_lies_about_a_size_is_refused(
    court: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    bag = _bag_zip(court, "liar", {"filler.bin": 1 << 20})
    _shrink_declared_size(bag, "data/filler.bin", 1000)
    assert zipfile.ZipFile(bag).getinfo("data/filler.bin").file_size == 1000
    _no_unpacking(monkeypatch)
    code, out = run("bundle", "verify", bag, "--key", f"{court['key']}.pub", "--max-ratio", "5000")
    assert code == 2 and "data/filler.bin" in out and "damaged" in out, out


def test_unsafe_names_are_refused_before_anything_is_read(court: dict[str, Path]) -> None:
    for name in ("/etc/passwd", "data/../../evil.txt", "data/./x"):
        path = court["dir"] / "names.zip"
        path.unlink(missing_ok=True)
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr(name, b"x" * 10)
            zf.writestr("bagit.txt", b"no")
        code, out = run("bundle", "verify", path, "--no-key")
        assert code == 1 and "unsafe file name" in out, out
