"""C2SP signed notes, verifier keys and checkpoints; Ed25519 known answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.errors import InputError, VerificationError
from auditor.ledger._signing import SigningKey, verify_signature
from auditor.ledger.note import Checkpoint, VerifierKey, key_id, open_note, sign_note

VECTOR = (
    Path(__file__).parents[1].parent / "shared" / "vectors" / "signed-note" / "example-com-foo.json"
)

# RFC 8032 section 7.1, TEST 1: secret key, public key and the signature of the empty message.
RFC8032_SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC8032_PUBLIC = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
RFC8032_SIG = (
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555"
    "fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
)


def test_rfc8032_known_answer() -> None:
    key = SigningKey.from_seed(RFC8032_SEED)
    assert key.public_bytes().hex() == RFC8032_PUBLIC
    assert key.sign(b"").hex() == RFC8032_SIG
    verify_signature(bytes.fromhex(RFC8032_PUBLIC), bytes.fromhex(RFC8032_SIG), b"")
    with pytest.raises(VerificationError, match="does not verify"):
        verify_signature(bytes.fromhex(RFC8032_PUBLIC), bytes.fromhex(RFC8032_SIG), b"x")


@pytest.mark.skipif(not VECTOR.is_file(), reason=f"signed-note vector not present at {VECTOR}")
def test_c2sp_example_verifies() -> None:
    v = json.loads(VECTOR.read_text(encoding="utf-8"))
    vkey = VerifierKey.parse(v["vkey"])
    assert vkey.name == v["key_name"]
    assert key_id(vkey.name, vkey.public).hex() == v["expected_key_id_hex"]
    assert str(vkey) == v["vkey"]
    assert open_note(v["signed_note"], vkey) == v["note_text"]
    tampered = v["signed_note"].replace("example message", "example massage")
    with pytest.raises(VerificationError, match="does not verify"):
        open_note(tampered, vkey)
    other = VerifierKey("example.com/foo", SigningKey.from_seed(bytes(32)).public_bytes())
    with pytest.raises(VerificationError, match="no signature by key"):
        open_note(v["signed_note"], other)


def test_note_round_trip_is_reproducible() -> None:
    key = SigningKey.from_seed(RFC8032_SEED)
    note = sign_note("hello\n", "court.example/log", key)
    assert note == sign_note("hello\n", "court.example/log", key)
    assert note.startswith("hello\n\n\u2014 court.example/log ")
    assert open_note(note, VerifierKey("court.example/log", key.public_bytes())) == "hello\n"


def test_unknown_signatures_are_skipped_but_one_is_needed() -> None:
    a, b = SigningKey.from_seed(bytes(32)), SigningKey.from_seed(bytes([1]) * 32)
    note = sign_note("x\n", "a", a)
    cosigned = note + sign_note("x\n", "b", b).split("\n\n", 1)[1]
    assert open_note(cosigned, VerifierKey("b", b.public_bytes())) == "x\n"
    with pytest.raises(VerificationError, match="malformed signature line"):
        open_note(note + "garbage\n", VerifierKey("a", a.public_bytes()))
    with pytest.raises(VerificationError, match="no blank line"):
        open_note("x\n", VerifierKey("a", a.public_bytes()))


def test_checkpoint_format_and_parse() -> None:
    key = SigningKey.from_seed(RFC8032_SEED)
    cp = Checkpoint("court.example/log", 7, bytes(range(32)))
    assert cp.body() == "court.example/log\n7\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
    vkey = VerifierKey("court.example/log", key.public_bytes())
    assert Checkpoint.open(cp.sign(key), vkey, origin="court.example/log") == cp
    with pytest.raises(VerificationError, match="expected 'other'"):
        Checkpoint.open(cp.sign(key), vkey, origin="other")
    with pytest.raises(VerificationError, match="not a decimal"):
        Checkpoint.from_body("o\n07\nAAAA\n")
    with pytest.raises(VerificationError, match="32 bytes"):
        Checkpoint.from_body("o\n7\nAAAA\n")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nameonly", "not a verifier key"),
        ("a+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "claims key ID"),
        ("a+00000000+AukyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "not an Ed25519 key"),
        ("a+00000000+!!!", "not standard base64"),
    ],
)
def test_bad_verifier_keys(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        VerifierKey.parse(text)
