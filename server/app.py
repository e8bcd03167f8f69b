"""The aiohttp application: pages, the signalling WebSocket and the wiring."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from aiohttp import web

from media.aiortc_tap import check_version
from media.ice import use_addresses
from media.router import Router

from .config import Config
from .rooms import Rooms
from .signalling import websocket_handler

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
DEMO_MEETING = ("demo", "Demonämnden – sammanträde")


async def _page(request: web.Request, name: str) -> web.FileResponse:
    return web.FileResponse(WEB_DIR / name, headers={"Cache-Control": "no-cache"})


async def index(request: web.Request) -> web.StreamResponse:
    return await _page(request, "index.html")


async def meeting_page(request: web.Request) -> web.StreamResponse:
    if request.app["rooms"].get(request.match_info["meeting_id"]) is None:
        raise web.HTTPNotFound(text="Mötet finns inte. / The meeting does not exist.")
    return await _page(request, "meeting.html")


async def list_meetings(request: web.Request) -> web.Response:
    rooms = request.app["rooms"]
    return web.json_response([
        {"id": r.id, "title": r.title, "participants": len(r.participants), "closed": r.closed}
        for r in rooms
    ])


async def media_stats(request: web.Request) -> web.Response:
    out = {}
    for room in request.app["rooms"]:
        figures = room.router.meter.figures()
        out[room.id] = dataclasses.asdict(figures) | {"peers": len(room.router.peers)}
    return web.json_response(out)


async def _close_rooms(app: web.Application) -> None:
    await app["rooms"].close_all()


def create_app(
    config: Config, router_factory: Callable[[], Router] | None = None
) -> web.Application:
    """Build the application for ``config``; it owns every room it opens.

    ``router_factory`` makes each meeting's media router (benchmarks swap in a baseline).
    """
    check_version()
    use_addresses(config.ice_addresses)
    app = web.Application(client_max_size=1024 * 1024)
    app["config"] = config
    if router_factory is None:
        def router_factory() -> Router:
            return Router(analyse_video=config.analyse_video)
    app["rooms"] = rooms = Rooms(router_factory)
    if config.demo:
        rooms.open(*DEMO_MEETING)
    app.router.add_get("/", index)
    app.router.add_get("/m/{meeting_id}", meeting_page)
    app.router.add_get("/ws", websocket_handler)
    app.router.add_get("/api/meetings", list_meetings)
    if config.expose_media_stats:
        app.router.add_get("/api/media-stats", media_stats)
    app.router.add_static("/static", WEB_DIR)
    app.on_shutdown.append(_close_rooms)
    return app
