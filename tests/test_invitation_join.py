"""Only a valid personal invitation gets into a meeting; a bad one gets a clear refusal
and nothing of the meeting: no page, no participant list, no media."""

from __future__ import annotations

import time

import aiohttp
import pytest
from itsdangerous import URLSafeTimedSerializer

from .meeting_helpers import MEETING, token

BAD_TOKENS = {
    "forged": lambda server, good: good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB"),
    "other-key": lambda server, good: URLSafeTimedSerializer(
        "not the server's key", salt="kvorum.invitation"
    ).dumps({"p": "led1", "m": MEETING, "i": "x"}),
}


async def join_with(server, token_value: str | None):  # type: ignore[no-untyped-def]
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(server.base_url + "/ws") as ws:
            message = {"type": "join", "meeting": MEETING, "name": "Intrång"}
            if token_value is not None:
                message["token"] = token_value
            await ws.send_json(message)
            first = await ws.receive_json(timeout=5)
            try:
                extra = await ws.receive_json(timeout=0.5)
            except (TimeoutError, Exception):
                extra = None
            return first, extra


def expired(server, person_id: str) -> str:  # type: ignore[no-untyped-def]
    """A token signed with the server's own key, dated 60 days ago."""
    serializer = server.service.invitations._serializer
    state = server.service.meeting(MEETING)
    invitation = next(i for i, p in state.invitations.items() if p == person_id)
    real_time = time.time
    try:
        time.time = lambda: real_time() - 60 * 24 * 3600  # type: ignore[assignment]
        return str(serializer.dumps({"p": person_id, "m": MEETING, "i": invitation}))
    finally:
        time.time = real_time  # type: ignore[assignment]


async def refused(server, token_value: str | None, code: str) -> None:  # type: ignore[no-untyped-def]
    first, extra = await join_with(server, token_value)
    assert first["type"] == "error" and first["code"] == code, first
    assert first["message_sv"] and first["message_en"]
    assert extra is None, f"something of the meeting was sent after a refusal: {extra}"
    room = server.rooms.get(MEETING)
    assert all(p.name != "Intrång" for p in room.participants.values())
    async with aiohttp.ClientSession() as session:
        query = "" if token_value is None else f"?t={token_value}"
        async with session.get(f"{server.base_url}/m/{MEETING}{query}") as response:
            assert response.status == 403
            page = await response.text()
            assert "Ingen åtkomst" in page and "meeting.js" not in page


async def test_no_token_is_refused(server):
    await refused(server, None, "invitation-required")


@pytest.mark.parametrize("kind", sorted(BAD_TOKENS))
async def test_forged_token_is_refused(server, kind):
    await refused(server, BAD_TOKENS[kind](server, token(server, "led1")), "invitation-forged")


async def test_expired_token_is_refused(server):
    await refused(server, expired(server, "led1"), "invitation-expired")


async def test_revoked_token_is_refused(server):
    good = token(server, "led2")
    state = server.service.meeting(MEETING)
    invitation = next(i for i, p in state.invitations.items() if p == "led2")
    await server.service.run(MEETING, lambda s, at: s.revoke_invitation(invitation, at))
    await refused(server, good, "invitation-revoked")


async def test_other_meetings_token_is_refused(server):
    other = server.service.invitations.issue("led1", "another-meeting", "inv-x")
    await refused(server, other, "invitation-wrong_meeting")


async def test_valid_token_waits_in_the_lobby_with_nothing_of_the_meeting(server):
    first, _ = await join_with(server, token(server, "led1"))
    assert first["type"] == "welcome" and first["admitted"] is False
    assert first["participants"] == []
