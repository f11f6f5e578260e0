"""A local RFC 3161 time-stamping authority for the tests: a throwaway CA and TSA certificate
(extendedKeyUsage critical timeStamping) made with ``cryptography``, and ``openssl ts -reply``
behind a small loopback HTTP server."""

from __future__ import annotations

import datetime as dt
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_CONFIG = """
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
serial = {serial}
crypto_device = builtin
signer_digest = sha256
default_policy = 1.3.6.1.4.1.4146.2.3
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = no
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


@dataclass(frozen=True)
class TSA:
    """A TSA's files: ``chain`` is the PEM a verifier trusts (TSA certificate, then its CA)."""

    folder: Path
    cert: Path
    key: Path
    ca: Path
    chain: Path


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def make_ca(folder: Path, cn: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(_name(cn))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                         False), critical=True)
            .sign(key, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ca.pem").write_bytes(_pem(cert))
    return key, cert


def make_tsa(folder: Path, cn: str, ca: tuple[ec.EllipticCurvePrivateKey, x509.Certificate]
             ) -> TSA:
    """A TSA certificate issued by ``ca`` (see :func:`make_ca`), with its files in ``folder``."""
    ca_key, ca_cert = ca
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(ca_cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]),
                           critical=True)
            .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False,
                                         False), critical=True)
            .sign(ca_key, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{cn}.pem").write_bytes(_pem(cert))
    (folder / f"{cn}.key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    (folder / f"{cn}.chain.pem").write_bytes(_pem(cert) + _pem(ca_cert))
    (folder / "ca.pem").write_bytes(_pem(ca_cert))
    (folder / "serial").write_text("01\n")
    (folder / "ts.cnf").write_text(_CONFIG.format(serial=folder / "serial"))
    return TSA(folder, folder / f"{cn}.pem", folder / f"{cn}.key", folder / "ca.pem",
               folder / f"{cn}.chain.pem")


class _Handler(BaseHTTPRequestHandler):
    server: _TSAServer

    def do_POST(self) -> None:  # noqa: N802
        query = self.rfile.read(int(self.headers["Content-Length"]))
        tsa = self.server.tsa
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "q.tsq").write_bytes(query)
            chain = [] if self.server.chain is None else ["-chain", str(self.server.chain)]
            subprocess.run(["openssl", "ts", "-reply", "-config", str(tsa.folder / "ts.cnf"),
                            "-queryfile", f"{tmp}/q.tsq", "-signer", str(tsa.cert),
                            "-inkey", str(tsa.key), *chain,
                            "-out", f"{tmp}/r.tsr"], check=True, capture_output=True)
            reply = (Path(tmp) / "r.tsr").read_bytes()
        self.server.served += 1
        self.send_response(200)
        self.send_header("Content-Type", "application/timestamp-reply")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args: object) -> None:
        pass


class _TSAServer(ThreadingHTTPServer):
    tsa: TSA
    chain: Path | None = None
    served = 0


@contextmanager
def serving_tsa(tsa: TSA, chain: Path | None = None) -> Iterator[str]:
    """Serve ``tsa`` on 127.0.0.1; yield its URL. With ``chain`` (a PEM file), its certificates
    go into every token after the TSA's own, in that order (``openssl ts -reply -chain``)."""
    server = _TSAServer(("127.0.0.1", 0), _Handler)
    server.tsa, server.chain = tsa, chain
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
