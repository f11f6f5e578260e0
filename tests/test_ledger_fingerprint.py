"""Content fingerprints in the ledger: logged at `ledger add` from the same decode as the chunk
hashes, versioned (ledgers without them verify as before), added later only for unchanged
audio, carried by evidence bundles, and good enough to find a cut in an MP3 copy."""

from __future__ import annotations

import base64
import json
import shutil
import zipfile

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner
from conftest import speechlike
from conftest_ledger import KEY, NOW, ORIGIN, new_ledger

from auditor.cli import cli
from auditor.compare import compare_fingerprints, fingerprint_copy
from auditor.errors import InputError, VerificationError
from auditor.ledger.bundle import FINGERPRINT_FILE, bundle_reference, make_bundle, verify_bundle
from auditor.ledger.content import add_fingerprint_at, ledger_reference
from auditor.ledger.entries import Entry
from auditor.ledger.recording import add_recording_at
from auditor.ledger.store import Ledger
from auditor.ledger.verify import verify_log
from auditor.media import transcode

SR = 16000


def _hearing(seconds: float, seed: int = 3) -> np.ndarray:
    return speechlike(np.random.default_rng(seed), int(seconds * SR), SR)


@pytest.fixture(scope="module")
def audio(tmp_path_factory):
    import imageio_ffmpeg

    out = tmp_path_factory.mktemp("ledger-fp")
    x = _hearing(120)
    ref = out / "hearing.wav"
    sf.write(ref, x, SR, subtype="PCM_16")
    cut = out / "cut.wav"
    sf.write(cut, np.concatenate([x[: 40 * SR], x[45 * SR:]]), SR, subtype="PCM_16")
    mp3 = transcode(cut, out / "cut.mp3", options={"acodec": "libmp3lame", "audio_bitrate": "32k"},
                    exe=imageio_ffmpeg.get_ffmpeg_exe())
    same = transcode(ref, out / "same.mp3",
                     options={"acodec": "libmp3lame", "audio_bitrate": "32k"},
                     exe=imageio_ffmpeg.get_ffmpeg_exe())
    flac = out / "hearing.flac"
    sf.write(flac, x, SR, subtype="PCM_24")   # decoded (f32le) rather than read as stored
    return {"dir": out, "ref": ref, "mp3": mp3, "same": same, "flac": flac, "x": x}


def _entries(led: Ledger) -> list[dict]:
    return [json.loads(r.data) for r in led.rows()]


@pytest.mark.parametrize("source", ["ref", "flac"])
def test_a_logged_fingerprint_finds_a_cut_in_an_mp3_copy(tmp_path, audio, ffmpeg_path, source):
    led = new_ledger(tmp_path / "l.db")
    rec = add_recording_at(led, audio[source], key=KEY, now=NOW, chunk_seconds=30)
    rows = _entries(led)
    fp_entry, seal = rows[-1], rows[-2]
    assert fp_entry["type"] == "fingerprint" and fp_entry["v"] == 2
    assert fp_entry["recording"] == rec and fp_entry["chunks_root"] == seal["root"]
    assert (fp_entry["first_chunk"], fp_entry["last_chunk"]) == (0, 3)
    assert all(r["v"] == 1 for r in rows[:-1])
    assert verify_log(led).findings == []
    led.close()
    stored, facts = ledger_reference(str(tmp_path / "l.db"), audio[source].name)
    assert stored.stride == 10 and facts["fingerprint_entry"] == len(rows) - 1
    result = compare_fingerprints(stored, fingerprint_copy([audio["mp3"]]))
    [edit] = result.edits
    assert edit.kind == "missing_in_copy"
    assert edit.ref_start == pytest.approx(40.0, abs=0.5)
    assert edit.ref_end - edit.ref_start == pytest.approx(5.0, abs=0.3)
    assert compare_fingerprints(stored, fingerprint_copy([audio["same"]])).edits == []


def test_the_stored_fingerprint_is_under_2_kb_per_minute(tmp_path, audio):
    led = new_ledger(tmp_path / "l.db")
    add_recording_at(led, audio["ref"], key=KEY, now=NOW)
    entry = _entries(led)[-1]
    minutes = audio["x"].size / SR / 60
    assert len(entry["data"]) / minutes < 2048
    noise = tmp_path / "noise.wav"      # random bits compress worst
    sf.write(noise, np.random.default_rng(0).normal(0, 0.1, 60 * SR), SR, subtype="PCM_16")
    add_recording_at(led, noise, key=KEY, now=NOW)
    assert len(_entries(led)[-1]["data"]) < 2048


def test_a_ledger_without_fingerprints_verifies_as_before_and_gets_one_later(tmp_path, audio):
    led = new_ledger(tmp_path / "l.db")
    add_recording_at(led, audio["ref"], key=KEY, now=NOW, chunk_seconds=30, fingerprint=False)
    before = verify_log(led)
    assert before.findings == [] and all(r["v"] == 1 for r in _entries(led))
    assert [r["type"] for r in _entries(led)][-1] == "seal"
    size = led.size
    rec, index = add_fingerprint_at(led, audio["ref"], key=KEY, now=NOW)
    assert index == size and led.size == size + 1
    after = verify_log(led)
    assert after.findings == []
    # the old entries are untouched: the tree of the first `size` entries has the same root
    assert led.root(size) == before.root
    assert add_fingerprint_at(led, audio["ref"], key=KEY, now=NOW) == (rec, None)
    assert led.size == size + 1


def test_a_fingerprint_is_refused_for_audio_that_no_longer_matches(tmp_path, audio):
    led = new_ledger(tmp_path / "l.db")
    path = tmp_path / "hearing.wav"
    shutil.copy(audio["ref"], path)
    add_recording_at(led, path, key=KEY, now=NOW, chunk_seconds=30, fingerprint=False)
    x, _ = sf.read(path, dtype="int16")
    x[50 * SR] ^= 1
    sf.write(path, x, SR, subtype="PCM_16")
    size = led.size
    with pytest.raises(InputError, match=r"chunk 1 does not hash as logged; no fingerprint"):
        add_fingerprint_at(led, path, key=KEY, now=NOW)
    assert led.size == size


def test_fingerprint_entries_are_versioned_and_checked(tmp_path, audio):
    led = new_ledger(tmp_path / "l.db")
    add_recording_at(led, audio["ref"], key=KEY, now=NOW, chunk_seconds=30)
    rows = _entries(led)
    as_v1 = json.dumps({**rows[-1], "v": 1}, sort_keys=True, separators=(",", ":")).encode()
    with pytest.raises(VerificationError, match="fingerprint entry: format version 1 is not 2"):
        Entry.decode(as_v1)
    chunk_v2 = json.dumps({**rows[-3], "v": 2}, sort_keys=True, separators=(",", ":")).encode()
    with pytest.raises(VerificationError, match="chunk entry: format version 2 is not 1"):
        Entry.decode(chunk_v2)
    fields = {k: v for k, v in rows[-1].items() if k not in ("type", "v", "at")}
    led.append_at([Entry("fingerprint", {**fields, "chunks_root": "00" * 32})], key=KEY, now=NOW)
    led.append_at([Entry("fingerprint", {**fields, "data": base64.b64encode(b"nope").decode()})],
                  key=KEY, now=NOW)
    messages = [f.message for f in verify_log(led).findings]
    assert any("does not carry the Merkle root of chunks 0-3" in m for m in messages)
    assert any("not a version-1 fingerprint" in m for m in messages)


def test_a_bundle_carries_the_fingerprint(tmp_path, audio):
    led = new_ledger(tmp_path / "l.db")
    add_recording_at(led, audio["ref"], key=KEY, now=NOW, chunk_seconds=30)
    out = make_bundle(led, audio["ref"], tmp_path / "b.zip", as_zip=True)
    with zipfile.ZipFile(out) as zf:
        assert FINGERPRINT_FILE in zf.read("tagmanifest-sha256.txt").decode()
        stored = json.loads(zf.read(FINGERPRINT_FILE))
    assert stored["schema"] == "auditor.fingerprint/1" and stored["origin"] == ORIGIN
    checks = verify_bundle(out)
    assert any(c.startswith("fingerprint: evidence/fingerprint.json is the one logged")
               for c in checks)
    fp, facts = bundle_reference(out)
    assert facts["kind"] == "bundle" and facts["tree_size"] == led.size
    assert facts["root"] == led.root().hex()
    assert fp.to_base64() == stored["data"]


def test_a_bundle_whose_fingerprint_file_was_swapped_fails(tmp_path, audio):
    led = new_ledger(tmp_path / "l.db")
    add_recording_at(led, audio["ref"], key=KEY, now=NOW, chunk_seconds=30)
    folder = make_bundle(led, audio["ref"], tmp_path / "b")
    other = tmp_path / "other.wav"
    sf.write(other, _hearing(20, seed=9), SR, subtype="PCM_16")
    add_recording_at(led, other, key=KEY, now=NOW)
    make_bundle(led, other, tmp_path / "o")
    (folder / FINGERPRINT_FILE).write_bytes((tmp_path / "o" / FINGERPRINT_FILE).read_bytes())
    manifest = folder / "tagmanifest-sha256.txt"
    import hashlib

    digest = hashlib.sha256((folder / FINGERPRINT_FILE).read_bytes()).hexdigest()
    manifest.write_text("".join(
        f"{digest}  {FINGERPRINT_FILE}\n" if line.endswith(FINGERPRINT_FILE) else line + "\n"
        for line in manifest.read_text().splitlines()))
    with pytest.raises(VerificationError, match="not the fingerprint logged for recording"):
        verify_bundle(folder)


def test_cli_fingerprint_only(tmp_path, audio):
    key = str(tmp_path / "k.key")
    db = str(tmp_path / "l.db")
    runner = CliRunner()
    assert runner.invoke(cli, ["keygen", key, "--no-encrypt"]).exit_code == 0
    assert runner.invoke(cli, ["ledger", "init", db, "--signing-key", key]).exit_code == 0
    res = runner.invoke(cli, ["ledger", "add", db, str(audio["ref"]), "--no-fingerprint",
                              "--signing-key", key])
    assert res.exit_code == 0 and "fingerprinted" not in res.output, res.output
    with Ledger.open(db) as led:
        assert json.loads(led.data(led.size - 1))["type"] == "seal"
    res = runner.invoke(cli, ["ledger", "add", db, str(audio["ref"]), "--fingerprint-only",
                              "--signing-key", key])
    assert res.exit_code == 0 and "fingerprinted (entry" in res.output, res.output
    res = runner.invoke(cli, ["ledger", "add", db, str(audio["ref"]), "--fingerprint-only",
                              "--signing-key", key])
    assert res.exit_code == 0 and "already has a fingerprint" in res.output
    res = runner.invoke(cli, ["ledger", "add", db, str(audio["mp3"]), "--fingerprint-only",
                              "--signing-key", key])
    assert res.exit_code == 2 and "cut.mp3" in res.output and "Traceback" not in res.output
    res = runner.invoke(cli, ["ledger", "add", "--help"])
    assert "--fingerprint-only --signing-key court.key" in res.output


#: root of the ledger below as written by auditor before fingerprints (commit 8781670)
ROOT_BEFORE_FINGERPRINTS = "833b5286536f5139170f220704bb3031be9d037c5c508e2fd4b4e4f076caf95c"


def test_without_fingerprints_a_ledger_is_byte_for_byte_what_older_auditors_wrote(tmp_path):
    from conftest_ledger import make_wav

    led = Ledger.create(tmp_path / "l.db", key=KEY, origin=ORIGIN, now=NOW)
    add_recording_at(led, make_wav(tmp_path / "a.wav", 5.0, seed=4), key=KEY, now=NOW,
                     chunk_seconds=2, fingerprint=False)
    add_recording_at(led, make_wav(tmp_path / "b.wav", 3.0, seed=5, rate=16000), key=KEY,
                     now=NOW, fingerprint=False)
    assert (led.size, led.root().hex()) == (9, ROOT_BEFORE_FINGERPRINTS)
    report = verify_log(led)
    assert report.findings == []
    assert report.checks[-1] == "checked 2 recordings against their seals"
    led.close()
    res = CliRunner().invoke(cli, ["ledger", "verify", str(tmp_path / "l.db"),
                                   str(tmp_path / "a.wav"), "--no-key", "--format", "text"])
    assert res.exit_code == 0 and "0 finding(s); ledger size 9" in res.output, res.output


def _fingerprint_threads() -> list:
    import threading

    return [t for t in threading.enumerate() if t.name == "auditor-lane-fingerprint"]


def test_the_fingerprint_thread_ends_with_ledger_add_whether_it_succeeds_or_not(
        tmp_path, audio, monkeypatch):
    import auditor.ledger.recording as recording
    from auditor.errors import MediaError

    led = new_ledger(tmp_path / "a.db")
    first = add_recording_at(led, audio["mp3"], key=KEY, now=NOW)  # a lossy file: decoded
    [fp] = [e for e in _entries(led) if e["type"] == "fingerprint"]
    assert fp["recording"] == first
    real = recording.hash_chunks

    def fails_midway(*args, **kwargs):
        for i, chunk in enumerate(real(*args, **kwargs)):
            if i == 1:
                raise MediaError("decoding failed after 2 chunks", path=str(audio["ref"]))
            yield chunk

    monkeypatch.setattr(recording, "hash_chunks", fails_midway)
    size = led.size
    with pytest.raises(MediaError, match="decoding failed"):
        add_recording_at(led, audio["ref"], key=KEY, now=NOW, chunk_seconds=10.0)
    assert led.size == size  # nothing appended
    for t in _fingerprint_threads():
        t.join(5.0)
    assert _fingerprint_threads() == []
