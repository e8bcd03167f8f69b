"""``python -m server``: start Kvorum with an embedded default and a demo meeting."""

from __future__ import annotations

import logging
import sys

from aiohttp import web

from .app import DEMO_MEETING, create_app
from .config import parse_args
from .tls import ensure_certificate, server_context


def main(argv: list[str] | None = None) -> None:
    config = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    ssl_context = None
    scheme = "http"
    if config.tls:
        if ensure_certificate(config.cert_file, config.key_file, [config.host, *config.ice_addresses]):
            print(f"Skapade självsignerat certifikat / created self-signed certificate: {config.cert_file}")
        ssl_context = server_context(config.cert_file, config.key_file)
        scheme = "https"
    app = create_app(config)
    shown = "localhost" if config.host in ("127.0.0.1", "0.0.0.0") else config.host
    base = f"{scheme}://{shown}:{config.port}"
    print(f"Kvorum körs / is running: {base}/", flush=True)
    if config.demo:
        print(f"  Demomöte / demo meeting: {base}/m/{DEMO_MEETING[0]}", flush=True)
    web.run_app(app, host=config.host, port=config.port, ssl_context=ssl_context, print=None)


if __name__ == "__main__":
    main(sys.argv[1:])
