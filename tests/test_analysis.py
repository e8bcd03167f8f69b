"""Analysis off the forwarding path: what RTP alone tells matches the decoded truth, the
worker's frame assembly survives loss and reordering, and the worker itself is optional:
killing it never stops forwarding and never blames a member.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from typing import Any

import av
import pytest
from aiortc.rtp import RtpPacket

from bench.synthetic import SyntheticParticipant, face_clip, video_clip
from compliance.profile import QualityRules
from media.analysis_process import FrameAssembler
from media.keyframes import is_vp8_frame_start, is_vp8_keyframe_start, vp8_picture_size
from media.stream_stats import VideoStreamStats

from .meeting_helpers import close_all, next_message, quality_of, start_meeting

MTU_PAYLOAD = 1100


def vp8_rtp(frame: bytes, seq: int, timestamp: int, mtu: int = MTU_PAYLOAD) -> list[RtpPacket]:
    """One VP8 frame as RTP packets (RFC 7741: S bit on the first, marker on the last)."""
    chunks = [frame[i : i + mtu] for i in range(0, len(frame), mtu)]
    return [RtpPacket(payload_type=96, marker=int(i == len(chunks) - 1),
                      sequence_number=(seq + i) & 0xFFFF, timestamp=timestamp & 0xFFFFFFFF,
                      payload=bytes([0x10 if i == 0 else 0x00]) + chunk)
            for i, chunk in enumerate(chunks)]


def decoded_truth(frames: list[bytes]) -> list[tuple[int, int]]:
    """Decode the encoded frames directly (no RTP): the size of every picture."""
    decoder = av.CodecContext.create("vp8", "r")
    return [(f.width, f.height) for data in frames for f in decoder.decode(av.Packet(data))]


class Stream:
    """Plays encoded frames as RTP at fake times into RTP-only statistics."""

    def __init__(self) -> None:
        self.stats = VideoStreamStats(0.0, QualityRules(), size_reader=vp8_picture_size)
        self.seq, self.now, self.timestamp = 65_500, 0.0, 4_294_000_000  # both wrap soon
        self.sizes: list[tuple[int | None, int | None]] = []

    def play(self, frames: list[bytes], fps: float) -> None:
        for data in frames:
            for packet in vp8_rtp(data, self.seq, self.timestamp):
                self.stats.on_packet(packet, self.now)
                self.seq += 1
            self.sizes.append((self.stats.width, self.stats.height))
            self.now += 1 / fps
            self.timestamp += round(90_000 / fps)

    def pause(self, seconds: float) -> None:
        self.now += seconds


@pytest.mark.parametrize("size,fps", [((640, 360), 15), ((320, 180), 25), ((638, 358), 5)])
def test_rtp_alone_gives_the_decoded_frame_rate_and_size(size, fps):
    frames = [f for f, _ in video_clip(4, *size, fps=fps, seconds=3.0).frames]
    stream = Stream()
    stream.play(frames, fps)
    truth = decoded_truth(frames)
    assert len(truth) == len(frames) == stream.stats.frames
    assert stream.sizes == truth  # every picture's size known from its keyframe header
    sample = stream.stats.sample(stream.now - 1 / fps)
    assert sample.height == size[1]
    assert sample.frames_per_second == pytest.approx(fps, rel=0.02)
    assert sample.mean_frame_interval_s == pytest.approx(1 / fps, rel=0.02)
    assert sample.current_gap_s == pytest.approx(0.0, abs=1e-6)


def test_a_size_change_is_read_at_the_keyframe_that_makes_it():
    big = [f for f, _ in video_clip(4, 640, 360, fps=15, seconds=1.0).frames]
    small = [f for f, _ in video_clip(5, 320, 180, fps=15, seconds=1.0).frames]
    stream = Stream()
    stream.play(big + small, 15)
    assert stream.sizes == decoded_truth(big + small)
    assert stream.stats.sample(stream.now).height == 180


def test_a_freeze_shows_as_the_gap_since_the_last_frame():
    frames = [f for f, _ in video_clip(4, 320, 180, fps=15, seconds=2.0).frames]
    stream = Stream()
    stream.play(frames[:15], 15)
    last_frame_at = stream.now - 1 / 15
    stream.pause(1.5)
    sample = stream.stats.sample(stream.now)
    assert sample.current_gap_s == pytest.approx(stream.now - last_frame_at)
    assert sample.frames_per_second == pytest.approx(15, rel=0.02)  # the gap is the freeze rule's
    stream.play(frames[15:], 15)  # frames flow again: the one long interval is left out
    assert stream.stats.sample(stream.now).frames_per_second == pytest.approx(15, rel=0.05)


def test_a_lost_marker_packet_still_ends_its_frame():
    frames = [f for f, _ in video_clip(4, 320, 180, fps=15, seconds=1.0).frames]
    stats = VideoStreamStats(0.0, QualityRules())
    seq = 0
    for i, data in enumerate(frames):
        packets = vp8_rtp(data, seq, i * 6000, mtu=len(data) // 2 + 1)  # two packets each
        seq += len(packets)
        for packet in packets:
            if not (packet.marker and i % 2):  # every other frame loses its last packet
                stats.on_packet(packet, i / 15)
    assert len(frames) % 2 and stats.frames == len(frames)  # each ends when the next begins
    assert stats.sample(len(frames) / 15).frames_per_second == pytest.approx(15, rel=0.02)


# -- the worker's frame assembly -----------------------------------------------------------


def assembler() -> FrameAssembler:
    return FrameAssembler(is_vp8_keyframe_start, is_vp8_frame_start, lambda payload: payload[1:])


def packets_of(frames: list[bytes], seq: int = 65_530) -> list[list[RtpPacket]]:
    out = []
    for i, data in enumerate(frames):
        out.append(vp8_rtp(data, seq, i * 6000))
        seq += len(out[-1])
    return out


def feed(asm: FrameAssembler, packets: list[RtpPacket]) -> list[tuple[bytes, bool]]:
    return [f for p in packets
            for f in asm.add(p.sequence_number, p.timestamp, bool(p.marker), p.payload)]


def test_frames_are_reassembled_in_order_across_a_sequence_wrap_and_reordering():
    frames = [f for f, _ in video_clip(4, 640, 360, fps=15, seconds=1.0).frames]
    per_frame = packets_of(frames)
    per_frame[0] = per_frame[0][::-1]  # a keyframe of many packets, arriving backwards
    asm = assembler()
    out = feed(asm, [p for packets in per_frame for p in packets])
    assert [data for data, _ in out] == frames
    assert [key for _, key in out] == [True] + [False] * (len(frames) - 1)
    assert asm.lost_sync == 0


def test_after_a_loss_nothing_is_passed_on_until_the_next_keyframe():
    clip = video_clip(4, 320, 180, fps=15, seconds=2.0).frames  # a keyframe every second
    frames = [f for f, _ in clip]
    per_frame = packets_of(frames)
    del per_frame[3][0]  # frame 3 loses a packet
    asm = assembler()
    out = feed(asm, [p for packets in per_frame for p in packets])
    passed = [data for data, _ in out]
    assert passed == frames[:3] + frames[15:]
    assert asm.lost_sync == 1
    assert decoded_truth(passed)  # what is passed on decodes


# -- the worker, end to end through a server -----------------------------------------------


async def wait_until(condition: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.1)
    return True


async def _video_analyser(server: Any, participant: SyntheticParticipant) -> Any:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for room in server.rooms:
            peer = room.router.peers.get(participant.id or "")
            if peer is not None and "video" in peer.producers:
                return peer.producers["video"].analyser
        await asyncio.sleep(0.05)
    raise AssertionError("no video producer")


@pytest.mark.parametrize("codec", ["VP8", "H264"])
async def test_the_worker_decodes_every_frame_at_the_size_rtp_announced(server, codec):
    member = SyntheticParticipant(server.base_url, "open", "Anna", mark=1, decode=False,
                                  video_size=(480, 270), fps=15, codec=codec)
    try:
        await member.join()
        analyser = await _video_analyser(server, member)
        # The worker runs at a lower priority: on a busy machine it may start late.
        assert await wait_until(lambda: analyser.decoded_frames > 30, timeout=30), \
            "the worker decoded nothing"
        assert analyser.decoded_size == (480, 270)
        sample = analyser.sample(time.monotonic())
        assert sample.height == 270
        # Every frame that arrived is decoded (the worker reports about once a second).
        arrived = analyser.stats.frames
        assert await wait_until(lambda: analyser.decoded_frames >= arrived, timeout=30)
        assert analyser.decoded_frames <= analyser.stats.frames
        assert 13 <= sample.frames_per_second <= 17
        # The forwarding process itself decodes nothing: aiortc's receive pipeline is idle.
        receiver = server.rooms.get("open").router.peers[member.id].producers["video"] \
            .transceiver.receiver
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(receiver.track.recv(), 1.0)
    finally:
        await member.leave()


async def test_killing_the_analysis_worker_never_stops_forwarding_nor_blames_a_member(server):
    chair, (member,) = await start_meeting(server, [("led1", "deciding")],
                                           video_clip=face_clip())
    try:
        visible = await next_message(
            chair, lambda m: (quality_of(m, "led1") or {}).get("visible") is True, timeout=45)
        assert visible, "the astronaut's face was never seen"
        analyser = await _video_analyser(server, member)
        worker = analyser.worker
        old_pid, seen_before = worker.pid, analyser.face_samples
        from_member = chair.streams_from(member.id)["video"]
        since = len(chair.messages)
        start = from_member.frames
        await asyncio.sleep(2.0)
        before = from_member.frames - start  # what reaches the chair in 2 s, on this machine

        os.kill(old_pid, signal.SIGKILL)
        start = from_member.frames
        down = await next_message(chair, lambda m: m == {"type": "analysis", "available": False},
                                  timeout=5, since=since)
        assert down, "the chair was not told that analysis is unavailable"
        await asyncio.sleep(2.0)
        after = from_member.frames - start
        assert after >= 0.5 * before > 0, f"forwarding slowed with the worker: {before} {after}"

        up = await next_message(chair, lambda m: m == {"type": "analysis", "available": True},
                                timeout=60, since=since)
        assert up, "the analysis worker was not restarted"
        assert worker.pid not in (None, old_pid) and worker.restarts == 1
        # The new worker needs a keyframe, then runs at a low priority: give it time.
        assert await wait_until(lambda: analyser.face_samples > seen_before + 1, timeout=90), \
            "no face detections after the restart"
        assert not [m for m in chair.messages[since:] if m["type"] == "suspend-required"]
        assert server.service.meeting("demo").phase == "open"
        assert not server.service.meeting("demo").present["led1"].link_failed
    finally:
        await close_all(member, chair)


async def test_a_publisher_gets_receiver_reports_although_the_server_decodes_nothing(server):
    """The tap stops every packet before aiortc's jitter buffer, yet the publisher still
    gets the server's receiver reports (its round-trip time is known from them): a
    browser's encoder raises its bitrate only on such feedback."""
    member = SyntheticParticipant(server.base_url, "open", "Anna", mark=1, decode=False)
    try:
        await member.join()
        senders = {t.kind: t.sender for t in member.pc.getTransceivers() if t.sender.track}
        assert await wait_until(
            lambda: all(s._RTCRtpSender__rtt is not None for s in senders.values()),
            timeout=20), "no receiver reports from the server"
        assert set(senders) == {"audio", "video"}
    finally:
        await member.leave()


SERVER_THAT_FORKS = """
import asyncio, os, sys, time
from compliance.profile import QualityRules
from media.analysis_worker import AnalysisWorker

async def main():
    worker = AnalysisWorker(QualityRules())
    await worker.start()
    holder = os.fork() if sys.argv[1] == "fork" else 0
    if holder == 0 and sys.argv[1] == "fork":  # a fork keeps the worker's stdin open
        os.close(1)  # (but not the test's pipe)
        time.sleep(600)
        os._exit(0)
    print(worker.pid, worker.available, holder, flush=True)
    await asyncio.sleep(600)

asyncio.run(main())
"""


def _gone(pid: int) -> bool:
    """Exited (a zombie waiting for init to reap it counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


@pytest.mark.parametrize("holder", ["none", "fork"])
async def test_the_worker_exits_when_the_server_is_killed(holder):
    """kill -9 of the server leaves no analysis worker behind: not when its stdin pipe
    closes, and not when a fork of the server still holds that pipe open."""
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-c", SERVER_THAT_FORKS, holder, stdout=asyncio.subprocess.PIPE,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert server.stdout is not None
    worker_pid = holder_pid = 0
    try:
        line = await asyncio.wait_for(server.stdout.readline(), 90)
        worker_pid_text, available, holder_text = line.decode().split()
        worker_pid, holder_pid = int(worker_pid_text), int(holder_text)
        assert available == "True" and not _gone(worker_pid)
        server.kill()
        await server.wait()
        deadline = time.monotonic() + 15
        while not _gone(worker_pid) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert _gone(worker_pid), "the analysis worker outlived the server"
    finally:
        if server.returncode is None:
            server.kill()
            await server.wait()
        for pid in (worker_pid, holder_pid):
            if pid and not _gone(pid):
                os.kill(pid, signal.SIGKILL)
