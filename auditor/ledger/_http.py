"""One small HTTP POST client for the ledger's outside parties (witnesses, time-stamping
authorities): standard library only, no proxy, a capped reply, and one deadline for the whole
exchange: a server that answers a byte at a time is cut off when it passes, as one that never
answers is."""

from __future__ import annotations

import http.client
import socket
import threading
from typing import NamedTuple
from urllib.parse import urlsplit

__all__ = ["Answer", "post", "url_problem"]


class Answer(NamedTuple):
    """An HTTP reply: status, content type, body."""

    status: int
    content_type: str
    body: bytes


def post(url: str, body: bytes, content_type: str, *, timeout: float,
         max_reply: int = 1 << 20) -> Answer:
    """POST ``body`` to ``url`` and read the reply, all within ``timeout`` seconds.

    Raises
    ------
    OSError
        If the server cannot be reached, has not answered in full within ``timeout``, or
        answers more than ``max_reply`` bytes (the message says which).
    """
    problem = url_problem(url)
    if problem is not None:
        raise OSError(f"{problem}: {url[:200]!r}")
    parts = urlsplit(url)
    cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = cls(str(parts.hostname), parts.port, timeout=timeout)  # url_problem: a host
    expired = threading.Event()

    def cut() -> None:  # at the deadline: whatever read is under way ends
        expired.set()
        if conn.sock is not None:
            try:
                conn.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    timer = threading.Timer(timeout, cut)
    timer.daemon = True
    timer.start()
    try:
        answer = _exchange(conn, parts.path, parts.query, body, content_type, max_reply)
        if expired.is_set():  # a reply read to its end only because the deadline closed it
            raise TimeoutError
        return answer
    except (OSError, http.client.HTTPException) as exc:
        if expired.is_set() or isinstance(exc, TimeoutError):
            raise OSError(f"no answer within {timeout:g} s") from None
        if isinstance(exc, http.client.HTTPException):
            raise OSError(f"a malformed HTTP reply ({type(exc).__name__})") from None
        raise
    finally:
        timer.cancel()
        conn.close()


def url_problem(url: str) -> str | None:
    """Why ``url`` is no address to POST to (None when it is one): an ``http://`` or
    ``https://`` URL with a host and, if it names one, a port from 1 to 65535 (RFC 3986)."""
    try:
        parts = urlsplit(url)
        port = parts.port  # urllib checks the port only when asked: ValueError
    except ValueError as exc:
        return f"not a well-formed URL ({exc})"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "not an http:// or https:// URL"
    if port == 0:
        return "port 0 is no port to connect to"
    return None


def _exchange(conn: http.client.HTTPConnection, path: str, query: str, body: bytes,
              content_type: str, max_reply: int) -> Answer:
    target = (path or "/") + (f"?{query}" if query else "")
    conn.request("POST", target, body=body, headers={"Content-Type": content_type})
    reply = conn.getresponse()
    data = reply.read(max_reply + 1)
    if len(data) > max_reply:
        raise OSError(f"the reply is over {max_reply} bytes")
    return Answer(reply.status, reply.getheader("Content-Type", ""), data)
