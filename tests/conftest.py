"""Shared fixtures: a real Kvorum server on 127.0.0.1 (plain HTTP), in the test's event loop."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from server.app import create_app
from server.config import Config
from server.keys import ROOMS, SERVICE

from .browser import CHROMIUM, chromium_args, write_face_y4m


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class RunningServer:
    app: web.Application
    base_url: str

    @property
    def rooms(self):  # type: ignore[no-untyped-def]
        return self.app[ROOMS]

    @property
    def service(self):  # type: ignore[no-untyped-def]
        return self.app[SERVICE]


@asynccontextmanager
async def running_server(folder: Path, **settings: Any) -> AsyncIterator[RunningServer]:
    """A server with the demo meeting and the guest room "open" on a free port; ``settings``
    override the Config's fields (any of them, `tls` too)."""
    port = free_port()
    config = Config(**{"host": "127.0.0.1", "port": port, "tls": False,
                       "database": folder / "kvorum.sqlite3", "demo": True,
                       "guest_meeting": "open", **settings})
    app = create_app(config)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    try:
        yield RunningServer(app, f"http://127.0.0.1:{port}")
    finally:
        await runner.cleanup()


@pytest.fixture
async def server(tmp_path) -> AsyncIterator[RunningServer]:  # type: ignore[no-untyped-def]
    async with running_server(tmp_path) as running:
        yield running


@pytest.fixture
async def browser(tmp_path):  # type: ignore[no-untyped-def]
    """Headless Chromium whose fake camera shows a real face (the astronaut photo)."""
    playwright_api = pytest.importorskip("playwright.async_api")
    y4m = write_face_y4m(tmp_path / "face.y4m")
    async with playwright_api.async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=chromium_args(y4m))
        try:
            yield browser
        finally:
            await browser.close()
