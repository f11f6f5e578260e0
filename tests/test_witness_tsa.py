"""RFC 3161 timestamps of checkpoints from a local TSA (``openssl ts`` on loopback): stored,
carried in bundles, verified against the TSA certificate given, and a token from another TSA
certificate rejected."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest_ledger import KEY, make_wav, new_ledger, write_key
from conftest_tsa import make_ca, make_tsa, serving_tsa
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from rfc3161_client import decode_timestamp_response

from auditor.cli import cli
from auditor.errors import VerificationError
from auditor.ledger.attestations import timestamp_tokens
from auditor.ledger.store import Ledger
from auditor.ledger.tsa import der_sorted, read_tsa_certs, verify_timestamp


def run(args: list[object]) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    return result.exit_code, result.output


def stamp_new_court(folder: Path, tsa, cert: Path | None = None,  # noqa: ANN001
                    chain: Path | None = None) -> tuple[int, str]:
    """A new court ledger (size 3) in ``folder``, timestamped by ``tsa`` with `ledger witness`
    (verified with ``cert`` when given); ``(exit code, output)``."""
    write_key(folder / "court.key", KEY)
    new_ledger(folder / "court.db").close()
    with serving_tsa(tsa, chain=chain) as url:
        return run(["ledger", "witness", folder / "court.db", "--tsa", url,
                    *([] if cert is None else ["--tsa-cert", cert])])


@pytest.fixture(scope="module")
def tsas(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    root = tmp_path_factory.mktemp("tsa")
    ca1 = make_ca(root / "one", "Court TSA CA")
    ca2 = make_ca(root / "two", "Other TSA CA")
    return (make_tsa(root / "one", "tsa1", ca1), make_tsa(root / "two", "tsa2", ca2),
            make_tsa(root / "one-b", "tsa1b", ca1))


def test_timestamp_verified_and_another_tsa_rejected(tmp_path: Path, tsas) -> None:  # noqa: ANN001
    one, two, one_b = tsas
    code, out = stamp_new_court(tmp_path, one, one.chain)
    assert code == 0 and "dated the checkpoint at size 3" in out and "(verified)" in out, out
    with Ledger.open(tmp_path / "court.db") as led:
        ((_, token),) = timestamp_tokens(led, 3)
        note = led.checkpoint(3).encode()
    when = verify_timestamp(token, note, read_tsa_certs(one.chain))
    assert when.tzinfo is not None
    with pytest.raises(VerificationError, match="Mismatch between messages"):
        verify_timestamp(token, note + b"x", read_tsa_certs(one.chain))
    # another TSA (another CA), and another TSA certificate of the same CA: rejected
    for other in (two, one_b):
        with pytest.raises(VerificationError, match="does not verify with the TSA certificate"):
            verify_timestamp(token, note, read_tsa_certs(other.chain))
    base = ["ledger", "verify", tmp_path / "court.db", "--trusted-key",
            tmp_path / "court.key.pub", "--format", "json"]
    code, out = run([*base, "--tsa-cert", one.chain])
    assert code == 0 and json.loads(out)["ledger"]["timestamp"]["time"] == when.isoformat()
    code, out = run([*base, "--tsa-cert", two.chain])
    assert code == 1
    (finding,) = json.loads(out)["findings"]
    assert finding["kind"] == "untimestamped" and "tsa2" in finding["message"]


def test_a_token_from_another_tsa_is_refused_when_asked(tmp_path: Path, tsas) -> None:  # noqa: ANN001
    one, two, _ = tsas
    code, out = stamp_new_court(tmp_path, two, one.chain)
    assert code == 2 and "does not verify with the TSA certificate CN=tsa1" in out
    with Ledger.open(tmp_path / "court.db") as led:
        assert timestamp_tokens(led, 3) == []


def test_bundle_carries_the_token(tmp_path: Path, tsas) -> None:  # noqa: ANN001
    one, two, _ = tsas
    key_file = write_key(tmp_path / "court.key", KEY)
    run(["ledger", "init", tmp_path / "court.db", "--signing-key", key_file])
    wav = make_wav(tmp_path / "hearing.wav", 2.0)
    with serving_tsa(one) as url:
        code, out = run(["ledger", "add", tmp_path / "court.db", wav, "--signing-key", key_file,
                         "--no-fingerprint", "--tsa", url])
    assert code == 0, out
    assert run(["ledger", "bundle", tmp_path / "court.db", wav, "-o", tmp_path / "b"])[0] == 0
    base = ["bundle", "verify", tmp_path / "b", "--trusted-key", f"{key_file}.pub"]
    code, out = run([*base, "--tsa-cert", one.chain])
    assert code == 0 and "ok: timestamp: an RFC 3161 token of the trusted TSA" in out, out
    code, out = run([*base, "--tsa-cert", two.chain])
    assert code == 1 and "FAILED:" in out and "CN=tsa2" in out


def test_a_token_with_its_chain_out_of_der_order_verifies(tmp_path: Path, tsas) -> None:  # noqa: ANN001
    one, two, _ = tsas
    # the CA and one more certificate, in descending byte order: the token's certificate set,
    # [TSA certificate, *these], is then out of the order DER requires, whatever the keys are
    extra = sorted([one.ca.read_bytes(), two.ca.read_bytes()], reverse=True,
                   key=lambda pem: x509.load_pem_x509_certificate(pem).public_bytes(Encoding.DER))
    (tmp_path / "chain.pem").write_bytes(b"".join(extra))
    code, out = stamp_new_court(tmp_path, one, one.chain, chain=tmp_path / "chain.pem")
    assert code == 0 and "(verified)" in out, out
    with Ledger.open(tmp_path / "court.db") as led:
        ((_, token),) = timestamp_tokens(led, 3)
        note = led.checkpoint(3).encode()
    # kept as the TSA issued it, which rfc3161-client alone refuses
    assert der_sorted(token) != token and len(der_sorted(token)) == len(token)
    with pytest.raises(ValueError, match="InvalidSetOrdering"):
        decode_timestamp_response(token)
    assert verify_timestamp(token, note, read_tsa_certs(one.chain)).tzinfo is not None
    with pytest.raises(VerificationError, match="does not verify with the TSA certificate"):
        verify_timestamp(token, note, read_tsa_certs(two.chain))
    with pytest.raises(VerificationError, match="Mismatch between messages"):
        verify_timestamp(token, note + b"x", read_tsa_certs(one.chain))
    code, out = run(["ledger", "verify", tmp_path / "court.db", "--trusted-key",
                     tmp_path / "court.key.pub", "--tsa-cert", one.chain, "--format", "text"])
    assert code == 0 and "an RFC 3161 token of the trusted TSA" in out, out


def test_der_sorted_leaves_other_bytes_alone() -> None:
    for junk in (b"", b"\x30", b"\x30\x80\x00\x00", b"\x30\x03\x02\x01\x00", bytes(range(40))):
        assert der_sorted(junk) == junk


def test_verify_checks_the_tokens_of_earlier_checkpoints(tmp_path: Path, tsas) -> None:  # noqa: ANN001
    one, two, _ = tsas
    assert stamp_new_court(tmp_path, two)[0] == 0  # size 3, stamped by another TSA
    with serving_tsa(one) as url:  # size 4, by the trusted one
        code, out = run(["ledger", "event", tmp_path / "court.db", "hold", "--recording", "1",
                         "--by", "clerk", "--reason", "appeal", "--signing-key",
                         tmp_path / "court.key", "--tsa", url, "--tsa-cert", one.chain])
    assert code == 0, out
    base = ["ledger", "verify", tmp_path / "court.db", "--trusted-key",
            tmp_path / "court.key.pub", "--format", "json"]
    code, out = run([*base, "--tsa-cert", one.chain])
    assert code == 1, out
    report = json.loads(out)
    assert report["ledger"]["timestamp"]["size"] == 4
    (finding,) = report["findings"]
    assert finding["kind"] == "untimestamped" and finding["severity"] == "warning"
    assert "the checkpoint at size 3" in finding["message"] and "CN=tsa1" in finding["message"]
    assert run([*base, "--tsa-cert", one.chain, "--fail-on", "high"])[0] == 0


def test_damaged_tokens_never_verify_another_time_nor_crash(tmp_path: Path, tsas) -> None:  # noqa: ANN001
    one, _, _ = tsas
    (tmp_path / "chain.pem").write_bytes(one.ca.read_bytes())
    assert stamp_new_court(tmp_path, one, one.chain, chain=tmp_path / "chain.pem")[0] == 0
    with Ledger.open(tmp_path / "court.db") as led:
        ((_, token),) = timestamp_tokens(led, 3)
        note = led.checkpoint(3).encode()
    certs = read_tsa_certs(one.chain)
    when = verify_timestamp(token, note, certs)
    verified = 0
    for at in range(0, len(token), 3):  # every third byte changed, one at a time
        for damaged in (token[:at] + bytes([token[at] ^ 0x41]) + token[at + 1:], token[:at]):
            try:
                assert verify_timestamp(damaged, note, certs) == when  # an unsigned byte
                verified += 1
            except VerificationError as exc:
                assert "does not verify with the TSA certificate CN=tsa1" in exc.what
    assert verified < len(token) // 10  # the signed bytes are most of the token


def test_tsa_cert_without_tsa_is_refused_before_anything_is_logged(tmp_path: Path,
                                                                   tsas) -> None:  # noqa: ANN001
    one, _, _ = tsas
    key_file = write_key(tmp_path / "court.key", KEY)
    new_ledger(tmp_path / "court.db").close()
    wav = make_wav(tmp_path / "hearing.wav", 1.0)
    for args in (["ledger", "add", tmp_path / "court.db", wav, "--signing-key", key_file,
                  "--no-fingerprint"],
                 ["ledger", "event", tmp_path / "court.db", "hold", "--recording", "1", "--by",
                  "clerk", "--reason", "appeal", "--signing-key", key_file]):
        result = CliRunner().invoke(cli, [str(a) for a in [*args, "--tsa-cert", one.chain]])
        assert result.exit_code == 2 and "give --tsa too" in result.output, result.output
    result = CliRunner().invoke(cli, ["ledger", "witness", str(tmp_path / "court.db"),
                                      "--tsa-cert", str(one.chain)])
    assert result.exit_code == 2 and "give --witnesses FILE, --tsa URL, or both" in result.output
    with Ledger.open(tmp_path / "court.db") as led:
        assert led.size == 3


def test_a_bundle_carries_the_token_of_every_tsa(tmp_path: Path, tsas) -> None:  # noqa: ANN001
    one, two, one_b = tsas
    key_file = write_key(tmp_path / "court.key", KEY)
    run(["ledger", "init", tmp_path / "court.db", "--signing-key", key_file])
    wav = make_wav(tmp_path / "hearing.wav", 1.0)
    assert run(["ledger", "add", tmp_path / "court.db", wav, "--signing-key", key_file,
                "--no-fingerprint"])[0] == 0
    for tsa in (one, two):  # the court asks two TSAs, for redundancy
        with serving_tsa(tsa) as url:
            assert run(["ledger", "witness", tmp_path / "court.db", "--tsa", url])[0] == 0
    assert run(["ledger", "bundle", tmp_path / "court.db", wav, "-o", tmp_path / "b"])[0] == 0
    assert sorted(p.name for p in (tmp_path / "b" / "evidence").glob("timestamp*")) == [
        "timestamp-2.tsr", "timestamp.tsr"]
    base = ["bundle", "verify", tmp_path / "b", "--trusted-key", f"{key_file}.pub"]
    for tsa in (one, two):  # whichever of the two TSAs the verifier trusts
        code, out = run([*base, "--tsa-cert", tsa.chain])
        assert code == 0 and "ok: timestamp: an RFC 3161 token of the trusted TSA" in out, out
    code, out = run([*base, "--tsa-cert", one_b.chain])
    assert code == 1 and "CN=tsa1b" in out
