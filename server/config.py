"""Server settings: command-line flags, each with an environment variable and a default."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field
from pathlib import Path

from .turn import check_urls


@dataclass
class Config:
    host: str = "127.0.0.1"
    port: int = 8443
    tls: bool = True
    cert_file: Path = Path("var/tls/cert.pem")
    key_file: Path = Path("var/tls/key.pem")
    ice_addresses: list[str] = field(default_factory=lambda: ["127.0.0.1"])
    database: Path = Path("var/kvorum.sqlite3")
    analyse_video: bool = True
    demo: bool = True
    guest_meeting: str | None = None  # a room anyone may join by name (tests, benchmarks)
    expose_media_stats: bool = False
    # Device checks need no link: so they are few and short (each holds sockets and memory).
    max_checks: int = 20
    check_seconds: float = 300.0
    # Browser pages of other origins that may open /ws (besides the server's own).
    allowed_origins: list[str] = field(default_factory=list)
    ice_urls: list[str] = field(default_factory=list)  # STUN/TURN URLs given to browsers
    turn_secret: str | None = None  # shared with coturn (static-auth-secret)
    turn_ttl_s: int = 12 * 3600  # a credential outlives the longest meeting day


def _env(name: str, default: str) -> str:
    return os.environ.get(f"KVORUM_{name}", default)


def parse_args(argv: list[str] | None = None) -> Config:
    d = Config()
    p = argparse.ArgumentParser(prog="python -m server", description="Kvorum meeting server")
    p.add_argument("--host", default=_env("HOST", d.host),
                   help="address to listen on (KVORUM_HOST, default %(default)s)")
    p.add_argument("--port", type=int, default=int(_env("PORT", str(d.port))),
                   help="port (KVORUM_PORT, default %(default)s)")
    p.add_argument("--no-tls", action="store_true", default=_env("NO_TLS", "") == "1",
                   help="plain HTTP (KVORUM_NO_TLS=1); browsers then allow cameras on "
                        "localhost only")
    p.add_argument("--cert", default=_env("CERT", str(d.cert_file)),
                   help="TLS certificate, made self-signed on first start if missing (KVORUM_CERT)")
    p.add_argument("--key", default=_env("KEY", str(d.key_file)), help="TLS key (KVORUM_KEY)")
    p.add_argument("--ice-address", action="append", default=None,
                   help="address to gather and announce ICE candidates on; repeatable "
                        "(KVORUM_ICE_ADDRESSES, comma-separated, default 127.0.0.1)")
    p.add_argument("--database", default=_env("DATABASE", str(d.database)),
                   help="SQLite event log (KVORUM_DATABASE, default %(default)s)")
    p.add_argument("--no-analysis", action="store_true",
                   help="forward only: do not decode inbound video for analysis")
    p.add_argument("--no-demo", action="store_true", help="do not create the demo meeting")
    p.add_argument("--guest-meeting", default=_env("GUEST_MEETING", "") or None,
                   help="also open a room of this id that anyone may join by name, with no "
                        "meeting model behind it (KVORUM_GUEST_MEETING; for tests and benchmarks)")
    p.add_argument("--expose-media-stats", action="store_true",
                   default=_env("EXPOSE_MEDIA_STATS", "") == "1",
                   help="serve relay figures at /api/media-stats (benchmarks)")
    p.add_argument("--allowed-origin", action="append", default=None,
                   help="a web origin (https://host:port) whose pages may open the WebSocket "
                        "besides the server's own; repeatable (KVORUM_ALLOWED_ORIGINS, "
                        "comma-separated)")
    p.add_argument("--ice-url", action="append", default=None,
                   help="STUN or TURN server URL given to browsers, e.g. "
                        "turns:turn.example.se:443?transport=tcp; repeatable "
                        "(KVORUM_ICE_URLS, comma-separated)")
    p.add_argument("--turn-secret", default=_env("TURN_SECRET", "") or None,
                   help="shared secret with coturn's static-auth-secret (KVORUM_TURN_SECRET; "
                        "prefer the environment, flags show in the process list)")
    p.add_argument("--turn-ttl", type=int, default=int(_env("TURN_TTL", str(d.turn_ttl_s))),
                   help="lifetime of a TURN credential in seconds "
                        "(KVORUM_TURN_TTL, default %(default)s)")
    a = p.parse_args(argv)
    origins = a.allowed_origin or [x for x in _env("ALLOWED_ORIGINS", "").split(",") if x]
    ice = a.ice_address or [x for x in _env("ICE_ADDRESSES", "127.0.0.1").split(",") if x]
    ice_urls = a.ice_url or [x for x in _env("ICE_URLS", "").split(",") if x]
    try:
        check_urls(ice_urls, a.turn_secret)
    except ValueError as exc:
        p.error(str(exc))
    return Config(
        host=a.host, port=a.port, tls=not a.no_tls, cert_file=Path(a.cert),
        key_file=Path(a.key), ice_addresses=ice, database=Path(a.database),
        analyse_video=not a.no_analysis, demo=not a.no_demo, guest_meeting=a.guest_meeting,
        expose_media_stats=a.expose_media_stats, ice_urls=ice_urls,
        turn_secret=a.turn_secret, turn_ttl_s=a.turn_ttl, allowed_origins=origins,
    )
