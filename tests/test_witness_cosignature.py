"""C2SP tlog-cosignature ``cosignature/v1``: known answers from the specification and from a
real witness's cosignature of a public log's checkpoint."""

from __future__ import annotations

import time

import pytest

from auditor.errors import InputError, VerificationError
from auditor.ledger._signing import SigningKey
from auditor.ledger.cosignature import (
    MAX_SKEW,
    Cosignature,
    CosignerKey,
    cosign,
    cosignature_message,
    signature_lines,
    verified_by,
)
from auditor.ledger.note import Checkpoint, VerifierKey

# A checkpoint of the public CT log arche2025h1.staging.ct.transparency.dev, signed by the log
# (0x01 line) and cosigned by the witness remora.n621.de (cosignature/v1); the witness's vkey is
# the one transparency-dev/formats' note tests use ("native algEd25519CosignatureV1 verifier").
REAL_BODY = ("arche2025h1.staging.ct.transparency.dev\n1432088532\n"
             "U7WM79jrzyhGZ5/GUBTpM7NzwdyfFx61t3RovgcC4Ro=\n")
REAL_COSIG = ("\u2014 remora.n621.de 2net5wAAAABqEiEgPlfF3V06o0Y+fHM+J5J9s27wgxxcOVSpZ/2g/KSiXCg9"
              "DEZI+aVCIobWX9sXTynk5XeU/zZ0WBxtqB0DrAWfBw==")
REAL_NOTE = REAL_BODY + "\n" + (
    "\u2014 arche2025h1.staging.ct.transparency.dev ui8GwCF1+kWqZrxGdhj4aX3gcw7XUlXQQabg/27lefwh"
    "UkzbC3NygNI75MdhL1bfTW9g8Ei59RA23oHP7Ry1k3ZFWwQ=\n") + REAL_COSIG + "\n"
REMORA = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"
ARCHE = ("arche2025h1.staging.ct.transparency.dev+ba2f06c0+"
         "AU0vHmlGCS/PdN8b2OaGmKprLI8HKM+dJ472xgFYh15f")

# transparency-dev/formats note TestCoSigV1Timestamp: this signature's time is 1727964367.
FORMATS_SIG = ("\u2014 w ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+"
               "8qT7S5gxEHWWOworDcFiEBYJXORmnFBOBA==")


def test_key_id_uses_type_0x04() -> None:
    key = CosignerKey.parse(REMORA)
    assert key.key_id.hex() == "da77ade7"
    assert str(key) == REMORA
    # the same key as a note signer (0x01) has another key ID
    assert VerifierKey(key.name, key.public).key_id.hex() != "da77ade7"


def test_real_witness_cosignature_verifies() -> None:
    body, lines = signature_lines(REAL_NOTE)
    assert body == REAL_BODY
    assert Checkpoint.open(REAL_NOTE, VerifierKey.parse(ARCHE)).size == 1432088532
    remora = CosignerKey.parse(REMORA)
    assert verified_by(body, lines, [remora]) == {"remora.n621.de": 1779573024}
    cosig = Cosignature.parse(REAL_COSIG)
    assert cosig.timestamp == 1779573024 and cosig.line() == REAL_COSIG + "\n"
    with pytest.raises(VerificationError, match="does not verify"):
        cosig.verify(body.replace("1432088532", "1432088533"), remora)


def test_timestamp_known_answer() -> None:
    assert Cosignature.parse(FORMATS_SIG).timestamp == 1727964367
    with pytest.raises(VerificationError, match="not a cosignature/v1"):
        Cosignature.parse(REAL_NOTE.splitlines()[-2])  # the log's own 0x01 line: 68 bytes


def test_spec_message_layout() -> None:
    body = ("example.com/behind-the-sofa\n20852163\n"
            "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n")
    assert cosignature_message(body, 1679315147) == (
        b"cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\n"
        b"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n")


def test_cosign_round_trip_and_tamper() -> None:
    key = SigningKey.from_seed(bytes(range(32)))
    body = Checkpoint("court.example/hearings", 3, bytes(32)).body()
    cosig = cosign(body, "bar.example/witness", key, 1_780_000_000)
    assert cosig == cosign(body, "bar.example/witness", key, 1_780_000_000)  # deterministic
    ckey = CosignerKey("bar.example/witness", key.public_bytes())
    assert verified_by(body, [cosig.line()], [ckey]) == {"bar.example/witness": 1_780_000_000}
    # a note signer's key (0x01) of the same key is read as the cosigner key
    assert CosignerKey.parse(str(VerifierKey(ckey.name, key.public_bytes()))) == ckey
    forged = Cosignature(cosig.name, cosig.key_id, cosig.timestamp + 1, cosig.signature)
    with pytest.raises(VerificationError, match="does not verify"):
        verified_by(body, [forged.line()], [ckey])
    other = CosignerKey("bar.example/witness", SigningKey.from_seed(bytes(32)).public_bytes())
    assert verified_by(body, [cosig.line()], [other]) == {}


@pytest.mark.parametrize("text, match", [
    ("w+00000000+AQ==", "Ed25519 public key is 32 bytes"),
    ("w+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2", "claims key ID"),
    ("w+da77ade7+AOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2", "type byte 00"),
    ("-----BEGIN PRIVATE KEY-----", "private key"),
    ("nothing", "NAME\\+KEYID\\+BASE64"),
])
def test_bad_cosigner_keys(text: str, match: str) -> None:
    with pytest.raises(InputError, match=match):
        CosignerKey.parse(text)


def test_cosignatures_from_the_future_and_undated_are_rejected() -> None:
    key = SigningKey.from_seed(bytes(range(32)))
    ckey = CosignerKey("bar.example/witness", key.public_bytes())
    body = Checkpoint("court.example/hearings", 3, bytes(32)).body()
    now = 1_780_000_000
    ahead = cosign(body, ckey.name, key, now + MAX_SKEW)  # as far ahead as a clock may drift
    assert verified_by(body, [ahead.line()], [ckey], now=now) == {ckey.name: now + MAX_SKEW}
    later = cosign(body, ckey.name, key, now + MAX_SKEW + 1)
    with pytest.raises(VerificationError, match=r"601 s ahead of this computer's clock"):
        verified_by(body, [later.line()], [ckey], now=now)
    with pytest.raises(VerificationError, match="ahead of this computer's clock"):
        later.verify(body, ckey, now=now)
    assert verified_by(body, [later.line()], [ckey], now=now + 1) == {ckey.name: later.timestamp}
    undated = cosign(body, ckey.name, key, 0)
    with pytest.raises(VerificationError, match=r"carries no time \(0\)"):
        undated.verify(body, ckey, now=now)
    # the default clock is the computer's: a cosignature dated a day from now is refused
    tomorrow = cosign(body, ckey.name, key, int(time.time()) + 86_400)
    with pytest.raises(VerificationError, match="ahead of this computer's clock"):
        verified_by(body, [tomorrow.line()], [ckey])
