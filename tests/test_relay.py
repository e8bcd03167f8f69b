"""The SFU forwards every participant's media to every other participant, unchanged."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from aiortc.codecs import h264, opus, vpx

from bench.synthetic import (
    AUDIO_RATE,
    SyntheticParticipant,
    dominant_colour,
    dominant_tone_hz,
    nearest_mark_colour,
    nearest_mark_tone,
)
from media.aiortc_tap import ForwardingSender


async def wait_until(predicate, timeout: float, step: float = 0.1) -> bool:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if predicate():
            return True
        await asyncio.sleep(step)
    return bool(predicate())


async def join_all(server, n: int, **kwargs) -> list[SyntheticParticipant]:  # type: ignore[no-untyped-def]
    people = [SyntheticParticipant(server.base_url, "open", f"P{i}", mark=i, **kwargs)
              for i in range(n)]
    for person in people:
        await person.join()
    ok = await wait_until(
        lambda: all(len(p.streams_from(q.id)) == 2 for p in people for q in people if p is not q),
        timeout=20)
    assert ok, "not every participant got an audio and a video m-line from every other"
    if not kwargs.get("decode", True):
        flowing = await wait_until(lambda: all(
            s.frames > 0 for p in people for s in p.received.values() if s.kind == "video"),
            timeout=20)
        assert flowing, "video is not flowing to every participant"
    return people


async def first_video_mark(stream, timeout: float = 10) -> int:  # type: ignore[no-untyped-def]
    frame = await asyncio.wait_for(stream.track.recv(), timeout)
    # The first frame may be the keyframe only; take one more so colours have settled.
    frame = await asyncio.wait_for(stream.track.recv(), timeout)
    return nearest_mark_colour(dominant_colour(frame))


async def audio_mark(stream, timeout: float = 10) -> int:  # type: ignore[no-untyped-def]
    chunks = []
    while sum(len(c) for c in chunks) < AUDIO_RATE // 5:
        frame = await asyncio.wait_for(stream.track.recv(), timeout)
        pcm = frame.to_ndarray().reshape(-1, len(frame.layout.channels))[:, 0]
        chunks.append(pcm.astype(np.float64))
    return nearest_mark_tone(dominant_tone_hz(np.concatenate(chunks)[-AUDIO_RATE // 5:],
                                              frame.sample_rate))


async def test_four_participants_each_receive_every_other_mark_on_the_right_track(server):
    people = await join_all(server, 4)
    try:
        for receiver in people:
            for publisher in people:
                if publisher is receiver:
                    continue
                streams = receiver.streams_from(publisher.id)
                assert await first_video_mark(streams["video"]) == publisher.mark, (
                    f"{receiver.name} shows the wrong picture for {publisher.name}")
                assert await audio_mark(streams["audio"]) == publisher.mark, (
                    f"{receiver.name} plays the wrong sound for {publisher.name}")
    finally:
        for person in people:
            await person.leave()


async def test_server_forwards_without_encoding(server, monkeypatch):
    """Publishers replay pre-encoded clips, so any encode in this process is the server's."""
    encodes = []
    for module, cls in ((vpx, "Vp8Encoder"), (h264, "H264Encoder"), (opus, "OpusEncoder")):
        original = getattr(module, cls).encode

        def counting(self, *args, _original=original, _cls=cls, **kwargs):  # type: ignore[no-untyped-def]
            encodes.append(_cls)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(getattr(module, cls), "encode", counting)
    people = await join_all(server, 3, decode=False)
    try:
        assert await wait_until(
            lambda: all(s.frames >= 15 for p in people for s in p.received.values()
                        if s.kind == "video"), timeout=20), "video did not flow"
        router = server.rooms.get("open").router
        senders = [t.sender for peer in router.peers.values() for t in peer.pc.getTransceivers()
                   if t.currentDirection == "sendonly"]
        assert len(senders) == 3 * 2 * 2
        assert all(isinstance(s, ForwardingSender) for s in senders)
        assert encodes == [], f"the server encoded media: {set(encodes)}"
        assert router.meter.forwarded_packets > 0
    finally:
        for person in people:
            await person.leave()


async def test_participant_who_leaves_disappears_for_the_others(server):
    people = await join_all(server, 3, decode=False)
    leaver, stayers = people[0], people[1:]
    try:
        await leaver.leave()
        assert await wait_until(
            lambda: all(not p.streams_from(leaver.id) and leaver.id not in p.participants
                        for p in stayers), timeout=10), "the leaver's tracks are still active"
        # the others still receive each other
        before = {id(s): s.frames for p in stayers for s in p.received.values()}
        await asyncio.sleep(1.0)
        for p in stayers:
            other = next(q for q in stayers if q is not p)
            video = p.streams_from(other.id)["video"]
            assert video.frames > before[id(video)]
        router = server.rooms.get("open").router
        assert leaver.id not in router.peers
        assert all(leaver.id not in c.producer.peer_id for peer in router.peers.values()
                   for c in peer.consumers.values() if not c.closed)
    finally:
        for person in stayers:
            await person.leave()


async def test_closing_the_meeting_closes_every_transport(server):
    people = await join_all(server, 3, decode=False)
    room = server.rooms.get("open")
    pcs = [peer.pc for peer in room.router.peers.values()]
    try:
        await room.close()
        assert all(pc.connectionState == "closed" for pc in pcs)
        assert all(t.receiver.transport.state == "closed"
                   for pc in pcs for t in pc.getTransceivers())
        assert await wait_until(lambda: all(
            any(m["type"] == "bye" for m in p.messages) for p in people), timeout=5)
        assert await wait_until(lambda: all(
            p.pc.connectionState in ("failed", "closed", "disconnected") or
            all(s.track is None or s.track.readyState == "ended" for s in p.received.values())
            for p in people), timeout=40)
    finally:
        for person in people:
            await person.leave()


@pytest.mark.parametrize("raw", ["not json", "[]", '{"type": 5}', '{"type": "dance"}',
                                 '{"type": "answer", "sdp": "v=0"}'])
async def test_bad_signalling_gets_a_clear_error_and_the_meeting_goes_on(server, raw):
    import aiohttp
    people = await join_all(server, 2, decode=False)
    try:
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(server.base_url + "/ws") as ws:
                await ws.send_str(raw)
                reply = await ws.receive_json(timeout=5)
                assert reply["type"] == "error"
                assert reply["message_sv"] and reply["message_en"]
        frames = people[0].streams_from(people[1].id)["video"].frames
        await asyncio.sleep(0.5)
        assert people[0].streams_from(people[1].id)["video"].frames > frames
    finally:
        for person in people:
            await person.leave()
