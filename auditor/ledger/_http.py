"""One small HTTP POST client for the ledger's outside parties (witnesses, time-stamping
authorities): standard library only, no proxy, a timeout on every step, a capped reply."""

from __future__ import annotations

import http.client
from typing import NamedTuple
from urllib.parse import urlsplit

__all__ = ["Answer", "post"]


class Answer(NamedTuple):
    """An HTTP reply: status, content type, body."""

    status: int
    content_type: str
    body: bytes


def post(url: str, body: bytes, content_type: str, *, timeout: float,
         max_reply: int = 1 << 20) -> Answer:
    """POST ``body`` to ``url``.

    Raises
    ------
    OSError
        If the server cannot be reached, times out, or answers more than ``max_reply`` bytes
        (the message says which).
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OSError(f"not an http:// or https:// URL: {url!r}")
    cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = cls(parts.hostname, parts.port, timeout=timeout)
    try:
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        conn.request("POST", path, body=body, headers={"Content-Type": content_type})
        reply = conn.getresponse()
        data = reply.read(max_reply + 1)
        if len(data) > max_reply:
            raise OSError(f"the reply is over {max_reply} bytes")
        return Answer(reply.status, reply.getheader("Content-Type", ""), data)
    except TimeoutError:
        raise OSError(f"no answer within {timeout:g} s") from None
    except http.client.HTTPException as exc:
        raise OSError(f"a malformed HTTP reply ({type(exc).__name__})") from None
    finally:
        conn.close()
