"""RFC 3161 trusted timestamps on checkpoint notes, with ``rfc3161-client``.

A timestamp request carries the SHA-256 of the signed checkpoint note's bytes and a nonce, and
asks for the TSA's certificate (RFC 3161, 2.4.1); it is POSTed as
``application/timestamp-query`` (RFC 3161, 3.4). The reply kept is the whole DER
``TimeStampResp``, byte for byte as the TSA sent it.

Verification (:func:`verify_timestamp`) is against a TSA certificate the verifier trusts, given
as a PEM file with that certificate and the CA certificates above it: the token's CMS signature
must chain to a self-signed certificate of that file (or to the TSA certificate itself when the
file holds no CA), its signer must be that TSA certificate with the critical
``timeStamping`` extended key usage, and its message imprint must be the note's hash. A token
signed by another TSA certificate is rejected, even one from the same CA.

Some TSAs (``openssl ts -reply -chain``, among others) list the certificates they embed in
chain order, not in the ascending order DER requires of a ``SET OF`` (X.690, 11.6), and
``rfc3161-client`` refuses such a token. Those certificates are outside what the TSA signs
(RFC 5652, 5.1: ``certificates`` is not part of ``signedAttrs``), so :func:`der_sorted` puts
them in DER order before the token is read; the token is kept as the TSA issued it.
"""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime

from ..errors import InputError, VerificationError
from ._http import post

__all__ = ["request_timestamp", "verify_timestamp", "read_tsa_certs", "der_sorted"]

_QUERY = "application/timestamp-query"


def request_timestamp(url: str, message: bytes, *, timeout: float = 5.0,
                      certs: list[object] | None = None) -> tuple[bytes, datetime]:
    """Ask the TSA at ``url`` to timestamp ``message``; return the DER reply and its genTime.

    With ``certs`` (:func:`read_tsa_certs`) the reply is verified at once.

    Raises
    ------
    InputError
        If the TSA cannot be reached or does not grant a timestamp over ``message``.
    """
    from rfc3161_client import HashAlgorithm, TimestampRequestBuilder, decode_timestamp_response

    request = TimestampRequestBuilder().data(message).hash_algorithm(HashAlgorithm.SHA256) \
        .nonce(nonce=True).cert_request(cert_request=True).build()
    try:
        answer = post(url, request.as_bytes(), _QUERY, timeout=timeout)
    except OSError as exc:
        raise InputError(f"the time-stamping authority {url} cannot be reached: {exc}",
                         hint="check the URL, or try again later") from None  # fmt: skip
    if answer.status != 200:
        raise InputError(f"the time-stamping authority {url} answered HTTP {answer.status}")
    try:
        reply = decode_timestamp_response(der_sorted(answer.body))
        status, said = reply.status, " ".join(reply.status_string)
        info = reply.tst_info if status in (0, 1) else None
    except Exception as exc:  # noqa: BLE001 - hostile bytes (see verify_timestamp)
        raise InputError(f"the time-stamping authority {url} answered no timestamp "
                         f"reply: {exc!r}") from None  # fmt: skip
    if info is None:
        raise InputError(f"the time-stamping authority {url} refused: status {status} {said}")
    if info.message_imprint.message != hashlib.sha256(message).digest() \
            or info.nonce != request.nonce:
        raise InputError(f"the time-stamping authority {url} timestamped something else "
                         "(message imprint or nonce differ)")  # fmt: skip
    der = answer.body  # as the TSA issued it
    if certs is not None:
        verify_timestamp(der, message, certs)
    return der, _utc(info.gen_time)


def read_tsa_certs(path: str | os.PathLike[str]) -> list[object]:
    """The certificates of a PEM file: the TSA certificate first, then its CA chain.

    Raises
    ------
    InputError
        If the file cannot be read or holds no certificate.
    """
    from cryptography import x509

    where = os.fspath(path)
    try:
        with open(where, "rb") as fh:
            data = fh.read(1 << 20)
        certs = x509.load_pem_x509_certificates(data)
    except OSError as exc:
        raise InputError(f"cannot read the TSA certificate: {exc.strerror}", path=where) from None
    except ValueError:
        raise InputError("not a PEM certificate file", path=where,
                         hint="give the TSA's certificate (and its CA's) in PEM") from None
    return list(certs)


def verify_timestamp(der: bytes, message: bytes, certs: list[object]) -> datetime:
    """Check an RFC 3161 reply over ``message`` against the trusted TSA ``certs``; return its
    genTime (UTC).

    Raises
    ------
    VerificationError
        If the reply is malformed, not granted, not signed by the trusted TSA certificate
        (chained to the file's CA), or over other bytes.
    """
    from cryptography import x509
    from rfc3161_client import VerificationError as TSAError
    from rfc3161_client import VerifierBuilder, decode_timestamp_response

    chain = [c for c in certs if isinstance(c, x509.Certificate)]
    if not chain:
        raise VerificationError("no TSA certificate given")
    tsa = next((c for c in chain if _stamps(c)), chain[0])
    roots = [c for c in chain if c.issuer == c.subject] or [tsa]
    others = [c for c in chain if c is not tsa and c not in roots]
    try:
        reply = decode_timestamp_response(der_sorted(der))
        verifier = VerifierBuilder(tsa_certificate=tsa, roots=roots,
                                   intermediates=others).build()  # fmt: skip
        verifier.verify_message(reply, message)
    except Exception as exc:  # noqa: BLE001 - hostile bytes: rfc3161-client and cryptography
        # raise ValueError, their VerificationError, x509.InvalidVersion, ... on a bad token
        subject = tsa.subject.rfc4514_string()
        what = str(exc) if isinstance(exc, TSAError | ValueError) else repr(exc)
        raise VerificationError(f"the RFC 3161 timestamp does not verify with the TSA "
                                f"certificate {subject}: {what}") from None  # fmt: skip
    return _utc(reply.tst_info.gen_time)


def _stamps(cert: object) -> bool:
    from cryptography import x509

    assert isinstance(cert, x509.Certificate)
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return False
    return x509.ExtendedKeyUsageOID.TIME_STAMPING in eku


def _utc(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def der_sorted(der: bytes) -> bytes:
    """``der`` (a ``TimeStampResp``) with its token's ``certificates`` in DER ``SET OF`` order.

    Only the order of the certificates changes, so every length stays as it is; a reply whose
    layout is not the one RFC 3161 and RFC 5652 give (or uses BER's indefinite lengths) is
    returned unchanged, for the parser to refuse with its own reason.
    """
    try:
        _, start, _ = _tlv(der, 0)  # TimeStampResp SEQUENCE
        status_end = _tlv(der, start)[2]  # PKIStatusInfo
        if status_end >= len(der):
            return der  # no token (a refusal)
        _, token, _ = _tlv(der, status_end)  # ContentInfo SEQUENCE
        _, explicit, _ = _tlv(der, _tlv(der, token)[2])  # contentType OID, then [0] EXPLICIT
        _, at, signed_end = _tlv(der, explicit)  # SignedData SEQUENCE
        for _ in range(3):  # version, digestAlgorithms, encapContentInfo
            at = _tlv(der, at)[2]
        tag, content, end = _tlv(der, at)
        if tag != 0xA0 or end > signed_end:  # certificates [0] IMPLICIT SET OF
            return der
        certs, pos = [], content
        while pos < end:
            nxt = _tlv(der, pos)[2]
            certs.append(der[pos:nxt])
            pos = nxt
        if pos != end:
            return der
    except ValueError:
        return der
    longest = max((len(c) for c in certs), default=0)
    ordered = sorted(certs, key=lambda c: c.ljust(longest, b"\x00"))  # X.690, 11.6
    return der[:content] + b"".join(ordered) + der[end:]


def _tlv(der: bytes, at: int) -> tuple[int, int, int]:
    """``(tag, content start, end)`` of the DER element at ``at`` (definite lengths only)."""
    if at + 2 > len(der):
        raise ValueError("truncated")
    tag, first = der[at], der[at + 1]
    if tag & 0x1F == 0x1F:
        raise ValueError("multi-byte tag")
    if first < 0x80:
        start, length = at + 2, first
    elif 0x81 <= first <= 0x84:
        start = at + 2 + (first & 0x7F)
        length = int.from_bytes(der[at + 2 : start], "big")
    else:
        raise ValueError("indefinite or oversized length")
    if start + length > len(der):
        raise ValueError("truncated")
    return tag, start, start + length
