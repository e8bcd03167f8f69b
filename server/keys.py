"""Typed keys for what the aiohttp application holds."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from media.analysis_worker import AnalysisWorker

    from .config import Config
    from .meetings import MeetingService
    from .rooms import Rooms
    from .supervisor import Supervisor

CONFIG: web.AppKey[Config] = web.AppKey("config")
ROOMS: web.AppKey[Rooms] = web.AppKey("rooms")
SERVICE: web.AppKey[MeetingService] = web.AppKey("service")
SUPERVISORS: web.AppKey[dict[str, Supervisor]] = web.AppKey("supervisors")
ANALYSIS: web.AppKey[AnalysisWorker | None] = web.AppKey("analysis")
ADMIN_KEY: web.AppKey[str] = web.AppKey("admin_key")  # the secretariat's key (server.auth)
