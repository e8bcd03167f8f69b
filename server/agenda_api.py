"""The secretary's HTTP API for the agenda and the rule profile (docs/api.md).

The agenda's items are edited while they are pending; the chair opens and closes them in
the meeting (WebSocket). The rule profile is chosen before the meeting opens. Every write is
a command in `compliance.agenda` / `MeetingState.choose_profile`; the caller is the
secretariat (admin key: `by` is empty in the event) or the meeting's chair or secretary
(their own person id).
"""

from __future__ import annotations

from typing import Any, cast

from aiohttp import web

from compliance import agenda
from compliance.events import ITEM_KINDS, ItemKind
from compliance.meeting import MeetingState
from compliance.profile import PROFILE_TITLES, PROFILES

from .api import Fields, SecretaryApi, _answers_json, _fields, _json
from .procedure_views import profile_view
from .schemas import Body, Text

MAX_TITLE = agenda.MAX_TITLE
MAX_DRAFT = agenda.MAX_DRAFT


class ItemBody(Body):
    title: Text | None = None
    kind: Text | None = None
    draft: Text | None = None
    position: int | Text | None = None  # a number, or its digits as text (forms)


class MoveBody(Body):
    position: int | Text | None = None


class ProfileBody(Body):
    profile_id: Text | None = None


def item_view(state: MeetingState, item: agenda.AgendaItem) -> dict[str, Any]:
    return {"item_id": item.item_id, "title": item.title, "kind": item.kind,
            "draft": item.draft, "status": item.status, "opened_at": item.opened_at,
            "closed_at": item.closed_at,
            "position": state.agenda.order.index(item.item_id)}


def agenda_view(state: MeetingState) -> dict[str, Any]:
    return {"items": [item_view(state, i) for i in state.agenda.ordered()],
            "current": state.agenda.current, "profile": profile_view(state)}


def profiles_view() -> list[dict[str, Any]]:
    return [{"id": pid, "name": p.legal.name, "title_sv": PROFILE_TITLES[pid][0],
             "title_en": PROFILE_TITLES[pid][1]} for pid, p in PROFILES.items()]


class AgendaApi(SecretaryApi):
    """/api/meetings/{id}/agenda..., /api/meetings/{id}/profile and /api/profiles."""

    def routes(self) -> list[web.RouteDef]:
        base = "/api/meetings/{meeting_id}"
        return [
            web.get("/api/profiles", self.list_profiles),
            web.put(f"{base}/profile", self.choose_profile),
            web.get(f"{base}/agenda", self.get_agenda),
            web.post(f"{base}/agenda", self.add_item),
            web.patch(f"{base}/agenda/{{item_id}}", self.change_item),
            web.delete(f"{base}/agenda/{{item_id}}", self.remove_item),
            web.post(f"{base}/agenda/{{item_id}}/move", self.move_item),
        ]

    def _by(self, request: web.Request) -> tuple[str, MeetingState, str]:
        meeting_id, state, caller = self._manager(request)
        return meeting_id, state, "" if caller.admin else (caller.person_id or "")

    @staticmethod
    def _kind(f: Fields, required: bool) -> ItemKind | None:
        kind = f.text("kind", required=False, max_len=20)
        if kind and kind not in ITEM_KINDS:
            f.problem("kind", f"'{kind}' är inte ett av {', '.join(ITEM_KINDS)}",
                      f"'{kind}' is not one of {', '.join(ITEM_KINDS)}")
        return cast(ItemKind, kind) if kind else ("decision" if required else None)

    @_answers_json
    async def list_profiles(self, request: web.Request) -> web.StreamResponse:
        return _json(profiles_view())

    @_answers_json
    async def choose_profile(self, request: web.Request) -> web.StreamResponse:
        meeting_id, state, by = self._by(request)
        f = await _fields(request, ProfileBody)
        profile_id = f.text("profile_id", max_len=40)
        f.done()
        async with self.lock:
            await self.service.run(meeting_id, lambda s, at: s.choose_profile(profile_id, at, by))
        return _json(profile_view(state))

    @_answers_json
    async def get_agenda(self, request: web.Request) -> web.StreamResponse:
        _, state, _ = self._by(request)
        return _json(agenda_view(state))

    @_answers_json
    async def add_item(self, request: web.Request) -> web.StreamResponse:
        meeting_id, state, by = self._by(request)
        f = await _fields(request, ItemBody)
        title = f.text("title", max_len=MAX_TITLE)
        kind = self._kind(f, required=True)
        draft = f.text("draft", required=False, max_len=MAX_DRAFT)
        position = f.integer("position")
        f.done()
        assert kind is not None
        async with self.lock:
            event = await self.service.run(meeting_id, lambda s, at: agenda.add_item(
                s, title, at, by=by, kind=kind, draft=draft, position=position))
        item_id = cast(agenda.AgendaItemAdded, event).item_id
        return _json(item_view(state, state.agenda.items[item_id]), status=201)

    @_answers_json
    async def change_item(self, request: web.Request) -> web.StreamResponse:
        meeting_id, state, by = self._by(request)
        item_id = request.match_info["item_id"]
        f = await _fields(request, ItemBody)
        data = f.data
        title = f.text("title", required=False, max_len=MAX_TITLE) if "title" in data else None
        kind = self._kind(f, required=False)
        draft = f.text("draft", required=False, max_len=MAX_DRAFT) if "draft" in data else None
        f.done()
        async with self.lock:
            await self.service.run(meeting_id, lambda s, at: agenda.change_item(
                s, item_id, at, by=by, title=title, kind=kind, draft=draft))
        return _json(item_view(state, state.agenda.items[item_id]))

    @_answers_json
    async def remove_item(self, request: web.Request) -> web.StreamResponse:
        meeting_id, state, by = self._by(request)
        item_id = request.match_info["item_id"]
        async with self.lock:
            await self.service.run(meeting_id,
                                   lambda s, at: agenda.remove_item(s, item_id, at, by=by))
        return _json(agenda_view(state))

    @_answers_json
    async def move_item(self, request: web.Request) -> web.StreamResponse:
        meeting_id, state, by = self._by(request)
        item_id = request.match_info["item_id"]
        f = await _fields(request, MoveBody)
        position = f.integer("position")
        if position is None:
            f.problem("position", "saknas", "is missing")
        f.done()
        assert position is not None
        async with self.lock:
            await self.service.run(meeting_id, lambda s, at: agenda.move_item(
                s, item_id, position, at, by=by))
        return _json(agenda_view(state))


def setup_agenda_api(app: web.Application, api: SecretaryApi) -> None:
    """Register the agenda and profile routes beside the secretary's API (sharing its lock)."""
    agenda_api = AgendaApi(api.service, api.admin_key)
    agenda_api.lock = api.lock
    app.router.add_routes(agenda_api.routes())
