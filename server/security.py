"""What every response carries and what the access log may keep (docs/security.md).

- Security headers on every response, pages, static files, API answers and errors alike:
  a Content-Security-Policy that allows only this server's own scripts, connections and media
  (no framing: `frame-ancestors 'none'`, and `X-Frame-Options: DENY` for older browsers),
  `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer` (a personal link's token is
  in the page's address and must never travel in a Referer), a Permissions-Policy that gives
  camera and microphone to this origin only, and HSTS when the server speaks TLS.
- The access log without personal-link tokens: the query string's `t` is replaced by `…`.
- The WebSocket's Origin check: a browser page of another origin may not open `/ws` (a leaked
  link then does not work from any web page); `Config.allowed_origins` adds origins.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

CSP = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    # The pages set a few style attributes in their markup; styles cannot run code.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(self), microphone=(self), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = "max-age=31536000"
_TOKEN_IN_QUERY = re.compile(r"(?<=[?&])t=[^&\s]*")


def add_security_headers(app: web.Application, tls: bool) -> None:
    """Every response of `app` gets the headers above (HSTS only under TLS)."""
    headers = dict(HEADERS)
    if tls:
        headers["Strict-Transport-Security"] = HSTS

    async def on_prepare(request: web.Request, response: web.StreamResponse) -> None:
        for name, value in headers.items():
            response.headers.setdefault(name, value)

    app.on_response_prepare.append(on_prepare)


def redact(path_qs: str) -> str:
    """A request's path and query with any personal-link token (`t=`) blanked out."""
    return _TOKEN_IN_QUERY.sub("t=…", path_qs)


class AccessLogger(AbstractAccessLogger):
    """aiohttp's access log, one line per request, never with a personal-link token:
    `127.0.0.1 "GET /m/demo?t=… HTTP/1.1" 200 1234 0.002s`."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        if not self.logger.isEnabledFor(logging.INFO):
            return
        self.logger.info('%s "%s %s HTTP/%d.%d" %d %d %.3fs', request.remote, request.method,
                         redact(request.raw_path), request.version.major,
                         request.version.minor, response.status, response.body_length, time)


def origin_allowed(request: web.Request, allowed: Iterable[str]) -> bool:
    """A WebSocket from this server's own pages, from an allowed origin, or from a client
    that is not a browser (no Origin header: the synthetic participants, scripts)."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    own = f"{request.scheme}://{request.host}"
    return origin == own or origin in set(allowed)
