"""``python -m server``: start Kvorum with an embedded default and a demo meeting."""

from __future__ import annotations

import logging
import sys

from aiohttp import web

from .app import create_app
from .auth import secretary_link
from .config import parse_args
from .demo import demo_links
from .keys import ADMIN_KEY, SERVICE
from .security import AccessLogger
from .tls import ensure_certificate, server_context


def main(argv: list[str] | None = None) -> None:
    config = parse_args(argv)
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    ssl_context = None
    scheme = "http"
    if config.tls:
        names = [config.host, *config.ice_addresses]
        if ensure_certificate(config.cert_file, config.key_file, names):
            print("Skapade självsignerat certifikat / created self-signed certificate: "
                  f"{config.cert_file}")
        ssl_context = server_context(config.cert_file, config.key_file)
        scheme = "https"
    app = create_app(config)
    shown = "localhost" if config.host in ("127.0.0.1", "0.0.0.0") else config.host
    base = f"{scheme}://{shown}:{config.port}"

    async def announce(app: web.Application) -> None:
        print(f"Kvorum körs / is running: {base}/", flush=True)
        if sys.stdout.isatty():
            link = secretary_link(base, app[ADMIN_KEY])
        else:  # keep the key out of service logs
            link = f"{base}/secretary  (nyckel / key: {config.database.parent / 'admin.key'})"
        print(f"  Sekreterarens sidor / secretary pages: {link}", flush=True)
        links = demo_links(app[SERVICE], base)
        if links:
            print("  Demomötet, personliga länkar / demo meeting, personal links:", flush=True)
            for name, role, link in links:
                print(f"    {name} ({role}): {link}", flush=True)

    app.on_startup.append(announce)
    web.run_app(app, host=config.host, port=config.port, ssl_context=ssl_context, print=None,
                access_log_class=AccessLogger)


if __name__ == "__main__":
    main(sys.argv[1:])
