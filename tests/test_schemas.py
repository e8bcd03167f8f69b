"""One strict reader for every JSON message (server/schemas.py): over the WebSocket and the
HTTP API, hostile or careless input gets a clear error naming the field, and nothing is
written; what the server sends is always valid JSON."""

from __future__ import annotations

import asyncio
import json
import logging
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest

from server.keys import ADMIN_KEY

from .meeting_helpers import MEETING, close_all, link_failed, next_message, start_meeting, token


def log_length(server: Any) -> int:
    return len(server.service.log.all_events())


class Socket:
    """A bare signalling WebSocket (no media): sends raw text, reads JSON replies."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws

    async def ask(self, raw: str, ref: str | None = None) -> dict[str, Any]:
        """Send ``raw``; the first `done` or `error` reply (with ``ref`` if given)."""
        await self.ws.send_str(raw)
        while True:
            message = await self.ws.receive_json(timeout=10)
            if message["type"] in ("done", "error") and (ref is None or message.get("ref") == ref):
                return message


@asynccontextmanager
async def socket(server: Any, person_id: str | None = None) -> AsyncIterator[Socket]:
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(server.base_url + "/ws") as ws:
            s = Socket(ws)
            if person_id is not None:
                await ws.send_json({"type": "join", "meeting": MEETING,
                                    "token": token(server, person_id)})
                while (await ws.receive_json(timeout=10))["type"] != "welcome":
                    pass
            yield s


def refused(reply: dict[str, Any], code: str, field: str | None = None) -> None:
    assert reply["type"] == "error" and reply["code"] == code, reply
    assert reply["message_sv"] and reply["message_en"], reply
    if field is not None:
        assert reply["field"] == field, reply


# -- the WebSocket ------------------------------------------------------------------------------


async def test_a_string_is_never_a_boolean_on_the_websocket(server):
    await server.service.run(MEETING, lambda s, at: s.request_remote("led4", "deciding", at))
    async with socket(server, "ordf") as chair:
        before = log_length(server)
        reply = await chair.ask(json.dumps(
            {"type": "decide-remote", "person_id": "led4", "approved": "false"}), "decide-remote")
        refused(reply, "bad-message", "approved")
        assert "led4" not in server.service.meeting(MEETING).decisions
        reply = await chair.ask(json.dumps(
            {"type": "technical-pause", "person_id": "ordf", "on": "false"}), "technical-pause")
        refused(reply, "bad-message", "on")
        reply = await chair.ask(json.dumps({"type": "admit", "person_id": "led1",
                                            "mode": "sometimes"}), "admit")
        refused(reply, "bad-message", "mode")
        assert log_length(server) == before
        reply = await chair.ask(json.dumps(
            {"type": "decide-remote", "person_id": "led4", "approved": False}), "decide-remote")
        assert reply["type"] == "done", reply
        assert server.service.meeting(MEETING).decisions["led4"].approved is False


async def test_every_field_at_fault_is_named_at_once(server):
    async with socket(server, "ordf") as chair:
        reply = await chair.ask(json.dumps({"type": "serve-substitute", "substitute_id": 7}),
                                "serve-substitute")
        refused(reply, "bad-message", "substitute_id")
        assert "member_id" in reply["message_en"] and "substitute_id" in reply["message_en"]
        assert "saknas" in reply["message_sv"]


@pytest.mark.parametrize("raw,code", [
    ('{"type": "stats", "inbound": [], "x": NaN}', "bad-json"),
    ('{"type": "stats", "inbound": [{"participant": "p", "kind": "video", '
     '"totalFreezesDuration": Infinity}]}', "bad-json"),
    ('{"type": "stats", "inbound": [{"participant": "p", "kind": "video", '
     '"totalFreezesDuration": 1e999}]}', "bad-message"),
    ('{"type": "mark-left", "person_id": "led1", "reason": "\\ud800"}', "bad-json"),
    ('{"type": "join", "meeting": "demo", "x": ' + "[" * 100_000 + "]" * 100_000 + "}",
     "bad-json"),
    ('{"type": "join", "meeting": "demo", "name": "' + "x" * 300 + '"}', "bad-message"),
    ('{"type": "join", "meeting": "demo", "check": "yes"}', "bad-message"),
    ('{"type": "media-state", "audio": 1}', "bad-message"),  # (not-joined before joining)
    ("[1, 2]", "bad-message"),
    ('{"type": 5}', "bad-message"),
])
async def test_hostile_messages_get_a_clear_error_before_anything_else(server, caplog, raw,
                                                                         code):
    """Before and after joining: an error saying what, never a traceback, nothing written."""
    caplog.set_level(logging.ERROR)
    before = log_length(server)
    async with socket(server) as anonymous:
        refused(await anonymous.ask(raw), "not-joined" if "media-state" in raw else code)
    async with socket(server, "ordf") as chair:
        before = log_length(server)
        refused(await chair.ask(raw), code)
        # the connection goes on
        reply = await chair.ask(json.dumps({"type": "mark-present", "person_id": "sekr"}))
        assert reply["type"] == "done", reply
    assert log_length(server) == before + 1
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_media_state_that_is_not_a_boolean_is_refused(server):
    async with socket(server, "ordf") as chair:
        refused(await chair.ask(json.dumps({"type": "media-state", "video": "false"})),
                "bad-message", "video")
        room = server.rooms.get(MEETING)
        assert all(p.video is True for p in room.participants.values())


async def test_an_infinite_stats_report_is_refused_and_a_real_freeze_still_suspends(server,
                                                                                     caplog):
    """The issue's case end to end: a deciding member's client reports
    `totalFreezesDuration: Infinity`. It is refused where it enters (the member is told), and
    the member's real freeze still suspends the meeting in the log and blocks decisions."""
    chair, (member,) = await start_meeting(server, [("led1", "deciding")])
    try:
        member.report_downlink()
        await asyncio.sleep(3.5)  # the browser has been reporting for a while
        since = len(member.messages)
        member.freeze_downlink(chair.id, freezes=2, frozen_s=math.inf)  # json writes Infinity
        error = await next_message(member, lambda m: m["type"] == "error", 5, since)
        assert error is not None and error["code"] == "bad-json", error
        state = server.service.meeting(MEETING)
        assert state.phase == "open", "a refused report must not act"
        since = len(chair.messages)
        event = None
        for n in range(1, 15):  # real freezes; on a busy machine one may be excused as the
            member.freeze_downlink(chair.id, freezes=2 * n, frozen_s=1.6 * n)  # sender's own
            event = await next_message(chair, link_failed("led1"), 2, since)
            if event is not None:
                break
        assert event is not None
        deadline = asyncio.get_running_loop().time() + 5
        while state.phase != "suspended" and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)
        assert state.phase == "suspended" and state.present["led1"].link_failed
        assert state.decision_block() is not None
        assert state.decision_block().code == "meeting_suspended"
        types = [e.type for e in server.service.log.events(MEETING)]
        assert "link_failed" in types and "meeting_suspended" in types
        assert not [r for r in caplog.records if "tick failed" in r.getMessage()]
    finally:
        await close_all(member, chair)


# -- the HTTP API -------------------------------------------------------------------------------


@pytest.mark.parametrize("raw,status,code", [
    (b'{"name": NaN}', 400, "bad_json"),
    (b'{"name": "Kultur", "party_order": ["S", Infinity]}', 400, "bad_json"),
    (b'{"name": "\\ud800"}', 400, "bad_json"),
    (b'{"name": "Kultur", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", 400, "bad_json"),
    (b'{"name": "Kultur", "x": 1e999}', 422, "invalid_input"),
    (b'{"name": "' + b"x" * 20_000 + b'"}', 422, "invalid_input"),
    (b'{"name": "a\\u0000b"}', 422, "invalid_input"),
])
async def test_hostile_bodies_are_refused_and_nothing_is_written(server, raw, status, code):
    before = log_length(server)
    headers = {"Authorization": f"Bearer {server.app[ADMIN_KEY]}",
               "Content-Type": "application/json"}
    async with aiohttp.ClientSession() as session:
        async with session.post(server.base_url + "/api/committees", data=raw,
                                headers=headers) as response:
            answer = await response.json()
            assert response.status == status, answer
    assert answer["code"] == code and answer["message_sv"] and answer["message_en"]
    assert log_length(server) == before


async def test_api_names_a_wrong_type_and_refuses_digits_that_are_not_ascii(server):
    headers = {"Authorization": f"Bearer {server.app[ADMIN_KEY]}"}
    async with aiohttp.ClientSession() as session:
        async with session.post(server.base_url + "/api/committees/demonamnden/people", json={
                "name": "Ny", "role": "ersättare", "party": "S", "substitute_order": "²",
                "email": "ny@kommun.se"}, headers=headers) as response:
            answer = await response.json()
            assert response.status == 422, answer
            assert answer["problems"][0]["field"] == "substitute_order"
        path = f"/api/meetings/{MEETING}/requests/led1/decision"
        async with session.post(server.base_url + path, json={
                "approved": "false", "by": "ordf"}, headers=headers) as response:
            answer = await response.json()
            assert response.status == 422, answer
            assert [p["field"] for p in answer["problems"]] == ["approved"]


def test_what_the_server_sends_is_always_valid_json():
    from server.schemas import dumps

    text = dumps({"a": math.inf, "b": -math.inf, "c": math.nan, "name": "Åsa"})
    assert json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} sent")) == {
        "a": None, "b": None, "c": None, "name": "Åsa"}
