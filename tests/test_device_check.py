"""The device check sends a member's own media back through the server."""

from __future__ import annotations

import asyncio

from bench.synthetic import SyntheticParticipant

from .test_relay import wait_until


async def test_device_check_echoes_your_own_media_through_the_server(server):
    me = SyntheticParticipant(server.base_url, "", "Test", mark=5, decode=False, check=True)
    await me.join()
    try:
        assert await wait_until(lambda: len(me.streams_from(me.id)) == 2, timeout=10)
        assert await wait_until(lambda: me.streams_from(me.id)["video"].frames >= 10, timeout=10)
        room = server.rooms.get(me.welcome["meeting"]["id"])
        assert room is not None and list(room.participants) == [me.id]
    finally:
        await me.leave()
    await asyncio.sleep(0.3)
    assert server.rooms.get(me.welcome["meeting"]["id"]) is None, "check room left behind"


async def test_device_check_rooms_are_private(server):
    a = SyntheticParticipant(server.base_url, "", "A", mark=1, decode=False, check=True)
    b = SyntheticParticipant(server.base_url, "", "B", mark=2, decode=False, check=True)
    await a.join()
    await b.join()
    try:
        assert a.welcome["meeting"]["id"] != b.welcome["meeting"]["id"]
        await asyncio.sleep(1.5)
        assert all(s.publisher == a.id for s in a.received.values())
        assert all(s.publisher == b.id for s in b.received.values())
    finally:
        await a.leave()
        await b.leave()
