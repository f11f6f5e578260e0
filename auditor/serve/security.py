"""The app's guard: an access token on every request, a loopback host, strict headers.

As Jupyter does, the app prints its address with a random token (``?token=...``). The first
request that carries it gets the token back as an ``HttpOnly; SameSite=Strict`` cookie and is
redirected to the same address without it (so the token leaves the address bar and the
history); every later request must carry the cookie. A request with neither is refused (403),
whatever it asks for: pages, reports, downloads, static files. Tokens are compared in constant
time (:func:`secrets.compare_digest`).

A request that changes something (any method but ``GET`` and ``HEAD``) sent from a page that is
not the app's is refused as well: ``SameSite`` keeps the cookie from other sites, but another
program's page on ``127.0.0.1`` at another port is the same site (ports do not count). Browsers
say where a request comes from in ``Sec-Fetch-Site`` (W3C Fetch Metadata Request Headers: only
``same-origin``, or ``none`` for what the person typed, passes) and ``Origin`` (the Fetch
Standard; it must be the app's own address, or ``null``, which a plain form sends under the
app's ``no-referrer`` policy). OWASP's CSRF prevention cheat sheet recommends both checks.

A ``Host`` other than the loopback names is refused too (DNS rebinding), and every answer
carries a Content-Security-Policy that lets a page load nothing from anywhere but the app
itself, ``no-store`` caching and ``no-referrer``.

References: Jupyter Server's token authentication (the token in the first address, then a
cookie); RFC 6265 and draft-ietf-httpbis-rfc6265bis (``HttpOnly``, ``SameSite=Strict``: the
cookie is not sent with a request another site starts, so no other page can post to the app);
W3C Content Security Policy Level 3 (``default-src 'none'``, ``frame-ancestors``).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

__all__ = ["TokenGuard", "APP_CSP", "REPORT_CSP", "cookie_name", "new_token"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: The app's own pages: scripts, styles and frames from the app only; forms post to it only.
APP_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
           "connect-src 'self'; frame-src 'self'; form-action 'self'; base-uri 'none'; "
           "frame-ancestors 'self'")
#: A report shown in the app: as the report's own policy (no script; pictures and sound from
#: inside the page), inside the app's frame only. The report's ``<meta>`` policy still pins its
#: one style sheet by hash; a page must satisfy both.
REPORT_CSP = ("default-src 'none'; img-src data:; media-src data:; style-src 'unsafe-inline'; "
              "base-uri 'none'; form-action 'none'; frame-ancestors 'self'")
_LOOPBACK = ("127.0.0.1", "localhost", "[::1]")


def new_token() -> str:
    """A fresh access token: 32 random bytes, URL-safe base64."""
    return secrets.token_urlsafe(32)


def cookie_name(token: str) -> str:
    """The cookie's name: one per token, so two apps on the same computer do not collide
    (cookies are not kept apart by port)."""
    return "auditor-" + hashlib.sha256(token.encode()).hexdigest()[:12]


def _headers(extra: list[tuple[bytes, bytes]], csp: str) -> list[tuple[bytes, bytes]]:
    return [*extra, (b"content-security-policy", csp.encode()),
            (b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"),
            (b"cache-control", b"no-store"), (b"cross-origin-opener-policy", b"same-origin"),
            (b"cross-origin-resource-policy", b"same-origin")]


class TokenGuard:
    """ASGI middleware: refuse what carries no token; set the headers on what passes."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app, self.token = app, token
        self.cookie = cookie_name(token)

    def _has(self, value: str | None) -> bool:
        return value is not None and secrets.compare_digest(value.encode(), self.token.encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":  # the app has no websockets: refuse one before any route
            await send({"type": "websocket.close", "code": 1008})
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        host = headers.get("host", "").rsplit(":", 1)[0] if headers.get("host") else ""
        if host not in _LOOPBACK:
            await _plain(send, 403, "This app answers only on this computer's loopback address "
                                    "(127.0.0.1).")
            return
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"),
                          keep_blank_values=True)
        given = next((v for k, v in query if k == "token"), None)
        if given is not None and self._has(given):
            rest = urlencode([(k, v) for k, v in query if k != "token"])
            location = _same_path(scope) + (f"?{rest}" if rest else "")
            cookie = (f"{self.cookie}={self.token}; Path=/; HttpOnly; SameSite=Strict")
            await send({"type": "http.response.start", "status": 303,
                        "headers": _headers([(b"location", location.encode("latin-1")),
                                             (b"set-cookie", cookie.encode("latin-1"))],
                                            APP_CSP)})
            await send({"type": "http.response.body", "body": b""})
            return
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(headers.get("cookie", ""))
        except Exception:  # noqa: BLE001 - a malformed cookie header is no token
            jar = SimpleCookie()
        morsel = jar.get(self.cookie)
        if not self._has(morsel.value if morsel is not None else None):
            await _plain(send, 403, "Access refused: open the app with the address it printed "
                                    "when it started (the one with ?token=...).")
            return
        if scope.get("method") not in ("GET", "HEAD") and not _from_the_app(headers):
            await _plain(send, 403, "Refused: the form was sent from another page, not from "
                                    "this app's own.")
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                own = list(message.get("headers", []))
                csp = next((v.decode() for k, v in own if k.lower() == b"x-auditor-csp"), APP_CSP)
                kept = [(k, v) for k, v in own if k.lower() != b"x-auditor-csp"]
                message = {**message, "headers": _headers(kept, csp)}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _from_the_app(headers: dict[str, str]) -> bool:
    """Whether a request that changes something comes from the app's own pages (or from no
    page: a program such as curl sends neither header)."""
    if headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return False
    origin = headers.get("origin", "null")
    return origin == "null" or origin == f"http://{headers.get('host', '')}"


def _same_path(scope: Scope) -> str:
    """The request's path as it was sent (still percent-encoded, so any character can go in a
    ``Location``), with one leading slash: ``//host/...`` would send the browser to ``host``."""
    raw = scope.get("raw_path") or quote(scope.get("path", "/")).encode("ascii")
    return "/" + raw.decode("latin-1").lstrip("/")


async def _plain(send: Send, status: int, text: str) -> None:
    body = (text + "\n").encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": _headers([(b"content-type", b"text/plain; charset=utf-8"),
                                     (b"content-length", str(len(body)).encode())], APP_CSP)})
    await send({"type": "http.response.body", "body": body})
