"""Evidence bundles: made from a ledger, verified offline, hostile ones rejected with a reason."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest
from conftest_ledger import KEY, NOW, ORIGIN, OTHER_KEY, make_wav, new_ledger

from auditor.errors import VerificationError
from auditor.ledger.bundle import make_bundle, verify_bundle
from auditor.ledger.note import VerifierKey
from auditor.ledger.recording import add_recording_at

VKEY = VerifierKey(ORIGIN, KEY.public_bytes())


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path]:
    wav = make_wav(tmp_path / "hearing.wav", 30.0)
    with new_ledger(tmp_path / "l.db") as led:
        add_recording_at(led, wav, key=KEY, now=NOW, chunk_seconds=5)
        make_bundle(led, wav, tmp_path / "full", now=NOW)
    return wav, tmp_path


def test_full_bundle_verifies_offline(setup: tuple[Path, Path]) -> None:
    wav, tmp = setup
    (tmp / "l.db").unlink()  # offline: no ledger
    checks = verify_bundle(tmp / "full", trusted_key=VKEY)
    assert any("inclusion proofs" in c for c in checks)
    assert any("payload" in c and "SHA-256" in c for c in checks)
    assert (tmp / "full" / "data" / "hearing.wav").read_bytes() == wav.read_bytes()


def test_excerpt_zip_bundle_verifies(setup: tuple[Path, Path]) -> None:
    wav, tmp = setup
    from auditor.ledger.store import Ledger

    with Ledger.open(tmp / "l.db") as led:
        make_bundle(led, wav, tmp / "ex.zip", start=7.0, end=12.0, as_zip=True, now=NOW)
    names = zipfile.ZipFile(tmp / "ex.zip").namelist()
    assert "data/hearing.chunks-1-2.wav" in names
    checks = verify_bundle(tmp / "ex.zip", trusted_key=VKEY)
    assert any("excerpt chunks 1-2" in c for c in checks)


def _rezip(folder: Path, out: Path, extra: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(out, "w") as zf:
        for f in sorted(folder.rglob("*")):
            if f.is_file():
                zf.write(f, f.relative_to(folder).as_posix())
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return out


def _copy(setup: tuple[Path, Path]) -> Path:
    dst = setup[1] / "copy"
    shutil.copytree(setup[1] / "full", dst)
    return dst


def test_traversal_name_in_zip(setup: tuple[Path, Path]) -> None:
    bad = _rezip(setup[1] / "full", setup[1] / "bad.zip", {"../evil.txt": b"x"})
    with pytest.raises(VerificationError, match="unsafe file name"):
        verify_bundle(bad)
    assert not (setup[1] / "evil.txt").exists()


def test_symlink_in_folder_and_zip(setup: tuple[Path, Path]) -> None:
    bag = _copy(setup)
    (bag / "data" / "link.wav").symlink_to(bag / "data" / "hearing.wav")
    with pytest.raises(VerificationError, match="symlink"):
        verify_bundle(bag)
    out = setup[1] / "link.zip"
    with zipfile.ZipFile(out, "w") as zf:
        info = zipfile.ZipInfo("data/link.wav")
        info.external_attr = 0o120777 << 16
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(VerificationError, match="symlink"):
        verify_bundle(out)


def test_extra_and_missing_files(setup: tuple[Path, Path]) -> None:
    bag = _copy(setup)
    (bag / "data" / "extra.txt").write_text("planted")
    with pytest.raises(VerificationError, match="no manifest lists"):
        verify_bundle(bag)
    (bag / "data" / "extra.txt").unlink()
    (bag / "evidence" / "key.pub").unlink()
    with pytest.raises(VerificationError, match="missing files"):
        verify_bundle(bag)


def test_changed_payload_even_with_fixed_manifests(setup: tuple[Path, Path]) -> None:
    import hashlib

    bag = _copy(setup)
    payload = bag / "data" / "hearing.wav"
    data = bytearray(payload.read_bytes())
    data[5000] ^= 1
    payload.write_bytes(bytes(data))
    with pytest.raises(VerificationError, match="does not match its manifest"):
        verify_bundle(bag)
    # An attacker who also rewrites both manifests is still caught by the signed ingest entry.
    manifest = f"{hashlib.sha256(bytes(data)).hexdigest()}  data/hearing.wav\n"
    (bag / "manifest-sha256.txt").write_text(manifest)
    lines = [
        f"{hashlib.sha256((bag / n).read_bytes()).hexdigest()}  {n}"
        for n in ["bag-info.txt", "bagit.txt", "evidence/checkpoint.txt", "evidence/evidence.json",
                  "evidence/fingerprint.json", "evidence/key.pub", "manifest-sha256.txt"]
    ]  # fmt: skip
    (bag / "tagmanifest-sha256.txt").write_text("\n".join(lines) + "\n")
    with pytest.raises(VerificationError, match="SHA-256 differs from the ingest entry"):
        verify_bundle(bag)


def _rewrite_evidence(bag: Path, change: object) -> None:

    path = bag / "evidence" / "evidence.json"
    evidence = json.loads(path.read_text())
    change(evidence)  # type: ignore[operator]
    path.write_text(json.dumps(evidence))
    _fix_tagmanifest(bag)


def _fix_tagmanifest(bag: Path) -> None:
    import hashlib

    tag = bag / "tagmanifest-sha256.txt"
    names = [line.split("  ")[1] for line in tag.read_text().splitlines()]
    tag.write_text("".join(
        f"{hashlib.sha256((bag / n).read_bytes()).hexdigest()}  {n}\n" for n in names
    ))  # fmt: skip


def test_swapped_proof(setup: tuple[Path, Path]) -> None:
    bag = _copy(setup)

    def swap(evidence: dict) -> None:
        e = evidence["entries"]
        e[3]["proof"], e[4]["proof"] = e[4]["proof"], e[3]["proof"]

    _rewrite_evidence(bag, swap)
    with pytest.raises(VerificationError, match="inclusion proof"):
        verify_bundle(bag)


def test_checkpoint_from_another_key(setup: tuple[Path, Path], tmp_path: Path) -> None:
    other_wav = make_wav(tmp_path / "hearing.wav", 30.0)  # same audio, other ledger and key
    with new_ledger(tmp_path / "other.db", key=OTHER_KEY) as led:
        add_recording_at(led, other_wav, key=OTHER_KEY, now=NOW, chunk_seconds=5)
        make_bundle(led, other_wav, tmp_path / "other", now=NOW)
    with pytest.raises(VerificationError, match="not signed by the trusted key"):
        verify_bundle(tmp_path / "other", trusted_key=VKEY)
    bag = _copy(setup)
    shutil.copy(tmp_path / "other" / "evidence" / "checkpoint.txt", bag / "evidence")
    with pytest.raises(VerificationError, match="does not match its manifest"):
        verify_bundle(bag, trusted_key=VKEY)
    _fix_tagmanifest(bag)  # manifests made consistent: the signature check must catch it
    with pytest.raises(VerificationError, match="no signature by key"):
        verify_bundle(bag, trusted_key=VKEY)


def test_not_a_bundle(tmp_path: Path) -> None:
    from auditor.errors import InputError

    with pytest.raises(InputError, match="no such bundle"):
        verify_bundle(tmp_path / "nothing")
    (tmp_path / "x.zip").write_bytes(b"not a zip")
    with pytest.raises(InputError, match="not a readable zip"):
        verify_bundle(tmp_path / "x.zip")
