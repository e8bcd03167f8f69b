"""The device check sends a member's own media back through the server."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from bench.synthetic import SyntheticParticipant

from .conftest import running_server
from .test_relay import wait_until


async def test_device_check_echoes_your_own_media_through_the_server(server):
    me = SyntheticParticipant(server.base_url, "", "Test", mark=5, decode=False, check=True)
    await me.join()
    try:
        assert await wait_until(lambda: len(me.streams_from(me.id)) == 2, timeout=10)
        assert await wait_until(lambda: me.streams_from(me.id)["video"].frames >= 10, timeout=10)
        room = server.rooms.check(me.welcome["meeting"]["id"])
        assert room is not None and list(room.participants) == [me.id]
    finally:
        await me.leave()
    await asyncio.sleep(0.3)
    assert server.rooms.check(me.welcome["meeting"]["id"]) is None, "check room left behind"


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


async def test_nobody_else_can_list_or_join_a_device_check(server):
    """Issue 11: the check room was listed publicly and joinable by id, with the person's
    audio and video."""
    me = SyntheticParticipant(server.base_url, "", "Anna", mark=1, decode=False, check=True)
    await me.join()
    eve = SyntheticParticipant(server.base_url, me.welcome["meeting"]["id"], "Eve", mark=2,
                               decode=False)
    try:
        room_id = me.welcome["meeting"]["id"]
        async with aiohttp.ClientSession() as session:
            async with session.get(server.base_url + "/api/meetings") as response:
                listed = await response.json()
        assert all(not r["id"].startswith("check-") for r in listed), listed
        with pytest.raises(TimeoutError):
            await eve.join(timeout=3)
        assert [e["code"] for e in eve.errors] == ["invitation-required"]
        assert list(server.rooms.check(room_id).participants) == [me.id]
        assert all(s.publisher == me.id for s in me.received.values())
    finally:
        await eve.leave()
        await me.leave()


async def test_device_checks_are_capped_and_timed_out(tmp_path):
    async with running_server(tmp_path, max_checks=2, check_seconds=3.0) as server:
        checks = [SyntheticParticipant(server.base_url, "", f"T{i}", mark=i, decode=False,
                                       check=True) for i in range(3)]
        try:
            await checks[0].join()
            await checks[1].join()
            with pytest.raises(TimeoutError):
                await checks[2].join(timeout=3)
            assert [e["code"] for e in checks[2].errors] == ["check-busy"]
            assert await wait_until(
                lambda: all(any(m.get("reason") == "check-time-up" for m in c.messages)
                            for c in checks[:2]), timeout=10)
            assert await wait_until(lambda: not any(r.private for r in server.rooms), 5)
        finally:
            for c in checks:
                await c.leave()
