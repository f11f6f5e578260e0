"""Shared helpers for the witness tests: witnesses served on loopback in this process."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from conftest_ledger import KEY, ORIGIN

from auditor.ledger._signing import SigningKey
from auditor.ledger.cosignature import CosignerKey
from auditor.ledger.note import VerifierKey
from auditor.witness.server import WitnessServer
from auditor.witness.store import WitnessDB

WITNESS_KEYS = [SigningKey.from_seed(bytes([i]) * 32) for i in (7, 8, 9)]


def witness_db(path: Path, n: int = 0, *, log_key: SigningKey = KEY,
               origin: str = ORIGIN) -> tuple[WitnessDB, CosignerKey]:
    """A witness database (witness ``n`` of :data:`WITNESS_KEYS`) that witnesses ``origin``."""
    name = f"w{n}.example/witness"
    db = WitnessDB.create(path, name=name, key_path=str(path) + ".key")
    db.add_log(VerifierKey(origin, log_key.public_bytes()), origin)
    return db, CosignerKey(name, WITNESS_KEYS[n].public_bytes())


@contextmanager
def serving(db: WitnessDB, n: int = 0, **options: Any) -> Iterator[WitnessServer]:
    """Serve ``db`` with witness key ``n`` on 127.0.0.1 (any free port) in a thread;
    ``options`` go to :class:`WitnessServer`."""
    server = WitnessServer(db, WITNESS_KEYS[n], ("127.0.0.1", 0), **options)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def post(server: WitnessServer, body: bytes, *, path: str = "/add-checkpoint",
         headers: dict[str, str] | None = None) -> tuple[int, str, str]:
    """POST raw bytes; ``(status, content type, body text)``."""
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(str(host), int(port), timeout=5)
    try:
        conn.request("POST", path, body=body, headers=headers or {})
        reply = conn.getresponse()
        return reply.status, reply.getheader("Content-Type", ""), reply.read().decode()
    finally:
        conn.close()
