"""ICE servers for the browsers: STUN and TURN URLs with short-lived TURN credentials.

Members behind firewalls that block UDP reach the server through a TURN relay (coturn)
over TCP or TLS on port 443. The credentials follow the TURN REST API scheme that
coturn's ``use-auth-secret`` / ``static-auth-secret`` checks: the username is
``"<expiry>:<user>"`` (expiry a Unix time) and the password is
``base64(HMAC-SHA1(secret, username))``; coturn refuses it after the expiry, so a
leaked credential is worth little. Kvorum and coturn share only the secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Sequence
from typing import Any

SCHEMES = ("stun:", "turn:", "turns:")

IceServersFor = Callable[[str], list[dict[str, Any]]]  # user (participant id) -> iceServers


def turn_credential(secret: str, user: str, expires_at: int) -> tuple[str, str]:
    """(username, password) valid until ``expires_at`` (Unix seconds) for ``user``."""
    username = f"{expires_at}:{user}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode("ascii")


def check_urls(urls: Sequence[str], secret: str | None) -> None:
    """Refuse at start-up what would only fail later in every browser."""
    for url in urls:
        if not url.startswith(SCHEMES):
            raise ValueError(f"ICE server URL must start with stun:, turn: or turns: ({url!r})")
        if url.startswith(("turn:", "turns:")) and not secret:
            raise ValueError("a TURN URL needs the shared secret (KVORUM_TURN_SECRET)")


def ice_servers(urls: Sequence[str], secret: str | None, user: str, ttl_s: int,
                now: float) -> list[dict[str, Any]]:
    """The ``iceServers`` list for one participant's RTCPeerConnection."""
    stun = [u for u in urls if u.startswith("stun:")]
    turn = [u for u in urls if u.startswith(("turn:", "turns:"))]
    servers: list[dict[str, Any]] = []
    if stun:
        servers.append({"urls": stun})
    if turn and secret:
        username, credential = turn_credential(secret, user, int(now) + ttl_s)
        servers.append({"urls": turn, "username": username, "credential": credential})
    return servers
