"""Re-hashing recordings against the ledger: changed chunks, truncation, unlogged, re-wrapped."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest_ledger import KEY, NOW, RATE, make_wav, new_ledger

from auditor.errors import MediaError
from auditor.ledger.recording import add_recording_at
from auditor.ledger.verify import verify_file, verify_log


@pytest.fixture
def logged(tmp_path: Path) -> tuple[Path, Path]:
    wav = make_wav(tmp_path / "hearing.wav", 50.0)
    with new_ledger(tmp_path / "l.db") as led:
        add_recording_at(led, wav, key=KEY, now=NOW, chunk_seconds=10)
    return wav, tmp_path / "l.db"


def _verify(db: Path, wav: Path) -> list:
    from auditor.ledger.store import Ledger

    with Ledger.open(db) as led:
        assert verify_log(led).findings == []
        return verify_file(led, wav)


def test_untouched_file_verifies(logged: tuple[Path, Path]) -> None:
    assert _verify(logged[1], logged[0]) == []


def test_edit_in_one_chunk_names_that_span(logged: tuple[Path, Path]) -> None:
    wav, db = logged
    x, _ = sf.read(wav, dtype="int16")
    x[int(23.5 * RATE)] += 3
    sf.write(wav, x, RATE, subtype="PCM_16")
    findings = _verify(db, wav)
    assert [(f.kind, f.start, f.end) for f in findings] == [("hash_mismatch", 20.0, 30.0)]
    assert findings[0].evidence["chunk"] == 2
    assert "00:00:20.0-00:00:30.0" in findings[0].message


def test_truncation_and_extension(logged: tuple[Path, Path]) -> None:
    wav, db = logged
    x, _ = sf.read(wav, dtype="int16")
    sf.write(wav, x[: 35 * RATE], RATE, subtype="PCM_16")
    findings = _verify(db, wav)
    assert [(f.kind, f.start, f.end, f.evidence["reason"]) for f in findings] == [
        ("hash_mismatch", 35.0, 50.0, "truncated")
    ]
    sf.write(wav, np.concatenate([x, x[:RATE]]), RATE, subtype="PCM_16")
    findings = _verify(db, wav)
    assert [(f.start, f.end, f.evidence["reason"]) for f in findings] == [(50.0, 51.0, "extended")]


def test_rewrapped_audio_is_a_container_change(logged: tuple[Path, Path]) -> None:
    wav, db = logged
    x, _ = sf.read(wav, dtype="int16")
    sf.write(wav, x, RATE, subtype="PCM_16", format="WAV")  # same samples ...
    with open(wav, "ab") as fh:  # ... plus a trailing chunk the decoder ignores
        fh.write(b"LIST\x04\x00\x00\x00abcd")
    findings = _verify(db, wav)
    assert [f.evidence.get("reason") for f in findings] == ["container"]


@pytest.mark.parametrize("fmt,subtype", [("FLAC", "PCM_16"), ("WAV", "FLOAT")])
def test_same_samples_in_another_container_match_every_chunk(
    logged: tuple[Path, Path], tmp_path: Path, fmt: str, subtype: str
) -> None:
    wav, db = logged
    x, _ = sf.read(wav, dtype="int16")
    (tmp_path / "copy").mkdir()
    other = tmp_path / "copy" / wav.name
    sf.write(other, x.astype("float32") / 32768 if subtype == "FLOAT" else x, RATE,
             subtype=subtype, format=fmt)
    assert [f.evidence.get("reason") for f in _verify(db, other)] == ["container"]
    y = x.copy()
    y[RATE * 25] ^= 1  # one sample, one bit, in the third 10 s chunk
    sf.write(other, y.astype("float32") / 32768 if subtype == "FLOAT" else y, RATE,
             subtype=subtype, format=fmt)
    [f] = _verify(db, other)
    assert (f.kind, f.start, f.end) == ("hash_mismatch", 20.0, 30.0)


def test_ledgers_that_hash_float32_still_verify(tmp_path: Path) -> None:
    import hashlib

    from auditor.ledger.recording import hash_chunks

    wav = make_wav(tmp_path / "old.wav", 12.0, seed=9)
    x, _ = sf.read(wav, dtype="float32", always_2d=True)
    [c0, c1] = list(hash_chunks(wav, chunk_frames=10 * RATE, pcm="f32le"))
    assert c0.pcm_sha256 == hashlib.sha256(x[: 10 * RATE].astype("<f4").tobytes()).hexdigest()
    assert c1.end == 12 * RATE and c0.bytes is not None and c0.bytes["sha256"] != c0.pcm_sha256


def test_unlogged_file(logged: tuple[Path, Path], tmp_path: Path) -> None:
    other = make_wav(tmp_path / "other.wav", 2.0, seed=5)
    assert [f.kind for f in _verify(logged[1], other)] == ["unlogged_file"]


def test_chunk_entries_carry_pcm_and_byte_hashes(logged: tuple[Path, Path]) -> None:
    import hashlib

    from auditor.ledger.store import Ledger

    wav, db = logged
    x, _ = sf.read(wav, dtype="int16", always_2d=True)
    raw = wav.read_bytes()
    with Ledger.open(db) as led:
        ingest, chunk = led.entry(3), led.entry(4)  # key, ingest+seal of an empty one, ...
    assert ingest.fields["media"]["pcm"] == "s16le"
    f = chunk.fields
    assert (chunk.type, f["index"], f["start"], f["end"]) == ("chunk", 0, 0, 10 * RATE)
    assert f["pcm_sha256"] == hashlib.sha256(x[: 10 * RATE].astype("<i2").tobytes()).hexdigest()
    span = raw[f["bytes"]["offset"] : f["bytes"]["offset"] + f["bytes"]["length"]]
    assert f["bytes"]["sha256"] == hashlib.sha256(span).hexdigest()
    assert f["bytes"]["length"] == 10 * RATE * 2


def test_vanished_file_is_an_error_naming_it(tmp_path: Path) -> None:
    with new_ledger(tmp_path / "l.db") as led:
        with pytest.raises(MediaError, match="file not found"):
            add_recording_at(led, tmp_path / "gone.wav", key=KEY, now=NOW)
        assert led.size == 3
