"""The witness over HTTP (standard library ``http.server``): C2SP tlog-witness.

- ``POST <prefix>/add-checkpoint``: :func:`~.protocol.add_checkpoint`. The body must come with a
  ``Content-Length`` (411 without one) of at most :data:`~.protocol.MAX_BODY` bytes (413 past
  it, unread); a slow client is cut off: each read waits 5 s at most, and a whole request
  (from the wait for its first line to the answer) has :attr:`WitnessServer.deadline` seconds,
  so one that sends a byte every few seconds cannot hold a connection for long.
- ``GET <prefix>/<hex SHA-256 of the origin>/checkpoint``: the latest checkpoint cosigned for
  that log, with the log's signature and the witness's cosignature (404 if none), as the
  specification's monitor retrieval mechanism says.

At most ``max_connections`` connections are served at once (one thread each; a keep-alive
connection holds its place until it closes or idles out): one past that is answered ``503``
with ``Retry-After`` at once and closed, so a flood of connections cannot exhaust the machine.

The prefix is the URL's path, ``/`` by default. The server binds a loopback address unless the
caller allows another one; it speaks plain HTTP (put a TLS proxy in front of a public witness).
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import socket
import sqlite3
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ..errors import InputError
from ..ledger._signing import SigningKey
from .protocol import MAX_BODY, Reply, add_checkpoint
from .store import WitnessDB

__all__ = ["WitnessServer", "parse_listen", "is_loopback"]

_TIMEOUT = 5.0
_DEADLINE = 10.0
_PREFIX = re.compile(r"/?([A-Za-z0-9._~-]+/)*[A-Za-z0-9._~-]*")
MAX_CONNECTIONS = 64
_BUSY_TEXT = b"the witness is busy: try again in a second\n"
_BUSY = (b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
         b"Retry-After: 1\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s"
         % (len(_BUSY_TEXT), _BUSY_TEXT))


def parse_listen(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:PORT`` for IPv6) as a host and port."""
    host, sep, port = text.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise InputError(f"--listen must be HOST:PORT, e.g. 127.0.0.1:8470; got {text!r}")
    return host, int(port)


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address) resolves only to loopback addresses."""
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return all(ipaddress.ip_address(str(info[4][0]).split("%")[0]).is_loopback
               for info in infos)  # fmt: skip


class _Handler(BaseHTTPRequestHandler):
    server: WitnessServer
    protocol_version = "HTTP/1.1"  # keep-alive, as the specification recommends
    timeout = _TIMEOUT

    def handle_one_request(self) -> None:
        """One request within the server's deadline: past it the connection is shut down, which
        ends whatever read is under way (each read alone only waits :data:`_TIMEOUT`)."""
        timer = threading.Timer(self.server.deadline, self._cut)
        timer.daemon = True
        timer.start()
        try:
            super().handle_one_request()
        finally:
            timer.cancel()

    def _cut(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already closed

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        if self.path.split("?")[0] != self.server.prefix + "add-checkpoint":
            self._reply(Reply(404, "no such endpoint: POST .../add-checkpoint\n"))
            return
        length = self.headers.get("Content-Length")
        if length is None or not (length.isascii() and length.isdigit()):
            self._reply(Reply(411, "a Content-Length is required\n"), close=True)
            return
        if int(length) > MAX_BODY:
            self._reply(Reply(413, f"the request body is over {MAX_BODY} bytes\n"), close=True)
            return
        raw = self.rfile.read(int(length))
        if len(raw) != int(length):  # cut off at the deadline, or the client went away
            self.server.log(f"{self.address_string()} sent {len(raw)} of {length} bytes in "
                            f"{self.server.deadline:g} s: connection closed")
            self.close_connection = True
            return
        try:
            reply = add_checkpoint(self.server.db, self.server.key, self.server.name, raw)
        except sqlite3.Error as exc:  # locked by another program, disk full, damaged
            self.server.log(f"the witness database {self.server.db.path} failed: {exc}")
            reply = Reply(503, "the witness cannot use its database now: try again later\n")
        self._reply(reply)

    def do_GET(self) -> None:  # noqa: N802
        parts = self.path.split("?")[0].removeprefix(self.server.prefix).split("/")
        if len(parts) == 2 and parts[1] == "checkpoint":
            for origin, _, _ in self.server.db.logs():
                if hashlib.sha256(origin.encode()).hexdigest() == parts[0]:
                    latest = self.server.db.latest(origin)
                    if latest is not None:
                        self._reply(Reply(200, latest.note))
                        return
        self._reply(Reply(404, "no checkpoint cosigned for that log\n"))

    def _reply(self, reply: Reply, close: bool = False) -> None:
        data = reply.body.encode("utf-8")
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(data)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - base signature
        self.server.log(f"{self.address_string()} {format % args}")


class WitnessServer(ThreadingHTTPServer):
    """A witness answering on ``(host, port)`` (port 0: any free port; see :attr:`url`)."""

    daemon_threads = True
    #: Seconds one request may take, from the wait for its first line to its answer.
    deadline = _DEADLINE
    request_queue_size = 128  # socketserver's 5 resets connections in a burst of requests

    def __init__(self, db: WitnessDB, key: SigningKey, address: tuple[str, int], *,
                 prefix: str = "/", allow_remote: bool = False,
                 max_connections: int = MAX_CONNECTIONS,
                 log: Callable[[str], None] | None = None) -> None:
        if max_connections < 1:
            raise InputError(f"at least one connection must be allowed, got {max_connections}")
        if not allow_remote and not is_loopback(address[0]):
            raise InputError(
                f"{address[0]} is not a loopback address: a witness listens on 127.0.0.1 or ::1 "
                "unless told otherwise",
                hint="put a TLS reverse proxy in front of it, or pass --allow-remote to listen "
                "on this address over plain HTTP")
        if not _PREFIX.fullmatch(prefix) or {".", ".."} & set(prefix.split("/")):
            raise InputError(f"--prefix must be a URL path of letters, digits and - . _ ~ /, "
                             "without . or .. segments, e.g. /witness; "
                             f"got {prefix[:80]!r}")  # fmt: skip
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        try:
            super().__init__(address, _Handler)
        except OSError as exc:
            raise InputError(f"cannot listen on {address[0]}:{address[1]}: {exc.strerror or exc}",
                             hint="another program may use that port: choose another --listen "
                             "port (port 0 takes any free one)") from None  # fmt: skip
        self.db, self.key = db, key
        self.name = db.meta("name")
        self.prefix = "/" + prefix.strip("/") + "/" if prefix.strip("/") else "/"
        self.log = log or (lambda _line: None)
        self._max = max_connections
        self._slots = threading.BoundedSemaphore(max_connections)

    def process_request(self, request: Any, client_address: Any) -> None:
        """Serve the connection in a thread of its own if a place is free, else answer 503."""
        if not self._slots.acquire(blocking=False):
            self._busy(request, client_address)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def _busy(self, request: socket.socket, client_address: Any) -> None:
        """Answer 503 on the accepting thread without waiting for the client: what the request
        has sent so far is drained (so closing does not reset the connection), then it closes."""
        self.log(f"{client_address[0]} refused: {self._max} connections are being served")
        try:
            request.settimeout(0.01)  # short: this runs on the thread that accepts
            try:
                request.recv(MAX_BODY + 16384)
            except OSError:
                pass
            request.sendall(_BUSY)
        except OSError:
            pass
        finally:
            self.shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """One line for a connection that failed (a client that went silent), no traceback."""
        import sys

        self.log(f"{client_address[0]} connection dropped: {sys.exc_info()[1]!r}")

    @property
    def url(self) -> str:
        """The base URL of ``add-checkpoint`` (its submission prefix)."""
        host, port = str(self.server_address[0]), int(self.server_address[1])
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}{self.prefix.rstrip('/')}"
