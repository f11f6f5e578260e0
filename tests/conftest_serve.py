"""The local app for tests: a real uvicorn server on a loopback socket, in a thread."""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from auditor.serve.app import make_app
from auditor.serve.security import cookie_name
from auditor.serve.server import _bind, _server
from auditor.serve.uploads import MAX_UPLOAD


@dataclass
class Running:
    """A running app: its address, token, and the folder its jobs write in."""

    port: int
    token: str
    root: Path
    app: object

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.base}/?token={self.token}"

    @property
    def cookie(self) -> str:
        return f"{cookie_name(self.token)}={self.token}"

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None, *, auth: bool = True,
                ) -> http.client.HTTPResponse:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        h = {"Cookie": self.cookie} if auth else {}
        conn.request(method, path, body=body, headers={**h, **(headers or {})})
        return conn.getresponse()

    def jobs(self) -> list[Path]:
        return sorted(self.root.iterdir())


@contextmanager
def running_app(root: Path, *, max_upload: int = MAX_UPLOAD,
                token: str = "test-token-0123456789abcdefghijklmnopqrstu") -> Iterator[Running]:
    """Serve :func:`make_app` on 127.0.0.1 (a free port) until the block ends."""
    import uvicorn

    root.mkdir(parents=True, exist_ok=True)
    sock = _bind(0)
    app = make_app(root, token, max_upload=max_upload)
    server = _server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield Running(sock.getsockname()[1], token, root, app)
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def multipart(parts: list[tuple[str, str | None, bytes]], boundary: str = "auditor-test-b"
              ) -> tuple[bytes, dict[str, str]]:
    """A multipart/form-data body: (field, file name or None for a text field, content)."""
    out = bytearray()
    for name, filename, data in parts:
        out += f"--{boundary}\r\n".encode()
        disp = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None
                                              else "")
        out += f"Content-Disposition: {disp}\r\n".encode()
        if filename is not None:
            out += b"Content-Type: application/octet-stream\r\n"
        out += b"\r\n" + data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def wait_state(app: Running, job: str, states: tuple[str, ...] = ("done", "failed", "cancelled"),
               timeout: float = 120) -> dict:
    """Poll a job's status until it reaches one of ``states``."""
    import json

    deadline = time.monotonic() + timeout
    while True:
        status = json.loads(app.request("GET", f"/job/{job}/status").read())
        if status["state"] in states or time.monotonic() > deadline:
            return status
        time.sleep(0.2)
