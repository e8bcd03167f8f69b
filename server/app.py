"""The aiohttp application: pages, the signalling WebSocket and the wiring of
media (router, analysis) to compliance (monitor, meeting model)."""

from __future__ import annotations

import asyncio
import dataclasses
import html
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
from aiohttp import web

from compliance.profile import Profile, default_profile
from compliance.supervision import after_restart
from media.aiortc_tap import check_version
from media.analysis_worker import AnalysisWorker
from media.ice import use_addresses
from media.router import Router

from .api import setup_api
from .config import Config
from .demo import DEMO_MEETING, ensure_demo
from .eventlog import EventLog
from .invitations import InvitationRefused, Invitations
from .keys import ANALYSIS, CONFIG, ROOMS, SERVICE, SUPERVISORS
from .meetings import MeetingService, load_secret
from .procedure import follow_up as procedure_follow_up
from .rooms import Room, Rooms
from .security import add_security_headers
from .signalling import websocket_handler
from .supervisor import Supervisor
from .turn import check_urls, ice_servers
from .views import publish_state

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
GUEST_TITLE = "Öppet testrum / open test room"


async def _page(name: str) -> web.FileResponse:
    return web.FileResponse(WEB_DIR / name, headers={"Cache-Control": "no-cache"})


async def index(request: web.Request) -> web.StreamResponse:
    return await _page("index.html")


async def favicon(request: web.Request) -> web.StreamResponse:
    """Browsers ask for /favicon.ico on every page; the pages link the same SVG."""
    return web.FileResponse(WEB_DIR / "favicon.svg", headers={
        "Content-Type": "image/svg+xml", "Cache-Control": "max-age=86400"})


REFUSAL_PAGE = """<!doctype html>
<html lang="sv"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Kvorum – ingen åtkomst</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/style.css"></head>
<body class="page"><header class="bar"><span class="brand">Kvorum</span></header>
<main class="narrow"><h1>Ingen åtkomst</h1><p>{sv}</p><p class="muted" lang="en">{en}</p>
<p>Kontakta nämndens sekreterare om du behöver en ny länk.</p></main></body></html>"""


def refusal(status: int, sv: str, en: str) -> web.Response:
    """A plain page that says why, and shows nothing of the meeting."""
    return web.Response(status=status, content_type="text/html", charset="utf-8",
                        text=REFUSAL_PAGE.format(sv=html.escape(sv), en=html.escape(en)))


async def meeting_page(request: web.Request) -> web.StreamResponse:
    """A guest room's page, or a meeting's by personal link. An unknown id gets the same
    answer as a meeting without a valid link, so meeting ids cannot be probed."""
    meeting_id = request.match_info["meeting_id"]
    room = request.app[ROOMS].get(meeting_id)
    if room is None or room.service is not None:
        token = request.query.get("t", "")
        if not token:
            return refusal(403, "Använd din personliga inbjudningslänk för att ansluta.",
                           "Use your personal invitation link to join.")
        service = request.app[SERVICE]
        try:
            service.identify(token, meeting_id)
        except InvitationRefused as exc:
            return refusal(403, exc.message_sv, exc.message_en)
        if room is None:
            return refusal(410, "Mötet är avslutat.", "The meeting is closed.")
    return await _page("meeting.html")


async def check_page(request: web.Request) -> web.StreamResponse:
    return await _page("check.html")


async def quality_profile(request: web.Request) -> web.Response:
    """The quality rules in force (the device check judges against the same profile)."""
    profile = request.app[SERVICE].profile
    return web.json_response({"legal": dataclasses.asdict(profile.legal),
                              "quality": dataclasses.asdict(profile.quality)})


async def list_meetings(request: web.Request) -> web.Response:
    """Only guest rooms are listed publicly: a meeting is reached by personal link."""
    return web.json_response([
        {"id": r.id, "title": r.title, "participants": len(r.participants), "closed": r.closed}
        for r in request.app[ROOMS] if r.service is None and not r.private
    ])


async def media_stats(request: web.Request) -> web.Response:
    out = {}
    for room in request.app[ROOMS]:
        figures = room.router.meter.figures()
        out[room.id] = dataclasses.asdict(figures) | {"peers": len(room.router.peers)}
    return web.json_response(out)


async def server_stats(request: web.Request) -> web.Response:
    """This process's resources, for the soak benchmark: tasks, threads, fds, memory."""
    process = psutil.Process()
    return web.json_response({
        "tasks": len(asyncio.all_tasks()), "threads": threading.active_count(),
        "fds": process.num_fds(), "rss_mib": round(process.memory_info().rss / 2**20, 1),
        "rooms": sum(1 for _ in request.app[ROOMS]),
        "participants": sum(len(r.participants) for r in request.app[ROOMS])})


def _watch_room(app: web.Application, room: Room) -> None:
    """Every room gets a supervisor (the equal-terms monitor) and publishes its state."""
    supervisor = Supervisor(room, app[SERVICE].profile.quality, app[ANALYSIS])
    app[SUPERVISORS][room.id] = supervisor
    room.on_change.append(lambda: publish_state(room))
    supervisor.start()


async def _interrupted_links(service: MeetingService) -> None:
    """The restart rule (compliance/supervision.py `after_restart`), for every meeting."""
    for meeting_id, state in list(service.meetings.items()):
        for command in after_restart(state):
            await service.run_fail_closed(meeting_id, command)


async def _start(app: web.Application) -> None:
    config = app[CONFIG]
    await _interrupted_links(app[SERVICE])
    analysis = app[ANALYSIS]
    if analysis is not None:
        await analysis.start()
    if config.demo:
        await ensure_demo(app[SERVICE])
    if config.guest_meeting:
        app[ROOMS].open(config.guest_meeting, GUEST_TITLE, guests=True)


async def _stop(app: web.Application) -> None:
    await app[ROOMS].close_all()
    for supervisor in app[SUPERVISORS].values():
        await supervisor.stop()
    analysis = app[ANALYSIS]
    if analysis is not None:
        await analysis.close()
    await app[SERVICE].close()


def create_app(
    config: Config, router_factory: Callable[..., Router] | None = None,
    profile: Profile | None = None,
) -> web.Application:
    """Build the application for ``config``; it owns every room it opens.

    ``router_factory(analysis=..., rules=...)`` makes each meeting's media router
    (default: `Router`; benchmarks swap in a baseline).
    ``profile`` is the rules and thresholds in force: today's (`default_profile()`) unless
    a test passes another explicitly.
    """
    check_version()
    use_addresses(config.ice_addresses)
    profile = profile or default_profile()
    config.database.parent.mkdir(parents=True, exist_ok=True)
    service = MeetingService(
        EventLog(config.database),
        Invitations(load_secret(config.database.parent / "secret.key")),
        profile,
    )
    # The one analysis worker process (decoding and face detection) for every room.
    analysis = AnalysisWorker(profile.quality) if config.analyse_video else None
    make_router = router_factory or Router

    app = web.Application(client_max_size=1024 * 1024)
    app[CONFIG] = config
    app[SERVICE] = service
    app[SUPERVISORS] = {}
    app[ANALYSIS] = analysis
    check_urls(config.ice_urls, config.turn_secret)

    def browser_ice_servers(user: str) -> list[dict[str, Any]]:
        return ice_servers(config.ice_urls, config.turn_secret, user, config.turn_ttl_s,
                           time.time())

    app[ROOMS] = rooms = Rooms(
        lambda: make_router(analysis=analysis, rules=profile.quality), service,
        browser_ice_servers, max_checks=config.max_checks)
    service.listeners.append(procedure_follow_up(service))
    rooms.on_open.append(lambda room: _watch_room(app, room))

    app.router.add_get("/", index)
    app.router.add_get("/favicon.ico", favicon)
    app.router.add_get("/m/{meeting_id}", meeting_page)
    app.router.add_get("/ws", websocket_handler)
    app.router.add_get("/check", check_page)
    app.router.add_get("/api/meetings", list_meetings)
    app.router.add_get("/api/profile", quality_profile)
    setup_api(app)  # the secretary's API and pages (server/api.py)
    if config.expose_media_stats:
        app.router.add_get("/api/media-stats", media_stats)
        app.router.add_get("/api/server-stats", server_stats)
    app.router.add_static("/static", WEB_DIR)
    add_security_headers(app, tls=config.tls)
    app.on_startup.append(_start)
    app.on_shutdown.append(_stop)
    return app


__all__ = ["DEMO_MEETING", "WEB_DIR", "create_app"]
