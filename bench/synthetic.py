"""Synthetic participants for tests and benchmarks: cheap to run, easy to recognise.

A participant publishes a clip encoded once (VP8 or H.264, and Opus) and replayed with
fresh timestamps, so the load generator does not encode (MEDIA.md: load generators must
be cheap). Each participant's clip carries its mark: a colour for video and a
tone frequency for audio, so a receiver can tell whose media it got.
"""

from __future__ import annotations

import asyncio
import fractions
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import aiohttp
import av
import numpy as np
from aiortc import (
    MediaStreamTrack,
    RTCBundlePolicy,
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError
from aiortc.rtp import RtpPacket

from media.aiortc_tap import receiver_codecs, restrict_answer_codecs, tap_receiver

VIDEO_CLOCK = 90_000
AUDIO_RATE = 48_000
AUDIO_PTIME_S = 0.020

# Distinct, codec-robust colours (RGB) and tone frequencies, one per participant.
MARK_COLOURS = [
    (220, 40, 40), (40, 200, 60), (40, 80, 230), (230, 200, 40), (200, 60, 200),
    (40, 200, 210), (240, 140, 30), (130, 70, 20), (250, 250, 250), (90, 90, 90),
    (150, 220, 120), (120, 40, 160), (250, 170, 190), (20, 110, 90), (180, 180, 60),
]
MARK_TONES_HZ = [300 + 110 * i for i in range(len(MARK_COLOURS))]


@dataclass(frozen=True)
class EncodedClip:
    """Encoded frames of one loopable clip: (payload, keyframe) at a fixed frame interval."""

    kind: str
    frames: tuple[tuple[bytes, bool], ...]
    interval_s: float
    clock_rate: int
    codec: str = "opus"  # "VP8", "H264" or "opus": what the clip must be sent as


def _vp8_encoder(width: int, height: int, fps: int, bitrate: int) -> Any:
    """A real-time VP8 encoder for making clips. A replayed clip cannot answer a keyframe
    request, so it has a keyframe every second: a new subscriber waits at most that long."""
    codec = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height, codec.pix_fmt = width, height, "yuv420p"
    codec.time_base = fractions.Fraction(1, fps)
    codec.framerate = fractions.Fraction(fps, 1)
    codec.bit_rate = bitrate
    codec.gop_size = fps
    codec.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
    return codec


def _h264_encoder(width: int, height: int, fps: int, bitrate: int) -> Any:
    """A constrained-baseline H.264 encoder (what Safari sends: no B-frames, SPS and PPS
    before every keyframe), a keyframe every second like the VP8 clips."""
    codec = av.CodecContext.create("libx264", "w")
    codec.width, codec.height, codec.pix_fmt = width, height, "yuv420p"
    codec.time_base = fractions.Fraction(1, fps)
    codec.framerate = fractions.Fraction(fps, 1)
    codec.bit_rate = bitrate
    codec.gop_size = fps
    codec.profile = "Baseline"
    codec.options = {"level": "31", "tune": "zerolatency", "preset": "veryfast",
                     "x264-params": f"keyint={fps}:min-keyint={fps}:scenecut=0"}
    return codec


def _encoder(codec: str, width: int, height: int, fps: int, bitrate: int) -> Any:
    if codec == "VP8":
        return _vp8_encoder(width, height, fps, bitrate)
    if codec == "H264":
        return _h264_encoder(width, height, fps, bitrate)
    raise ValueError(f"no synthetic clips in {codec!r}")


def _yuv_frame(rgb: np.ndarray, index: int) -> av.VideoFrame:
    frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
    frame.pts = index
    return frame


def _encode_all(codec: Any, frames: Any) -> tuple[tuple[bytes, bool], ...]:
    """Encode the frames (and flush): (payload, keyframe) per encoded frame."""
    out: list[tuple[bytes, bool]] = []
    for frame in [*frames, None]:
        for packet in codec.encode(frame):
            out.append((bytes(packet), bool(packet.is_keyframe)))
    return tuple(out)


@lru_cache(maxsize=64)
def video_clip(mark: int, width: int = 320, height: int = 180, fps: int = 15,
               seconds: float = 2.0, bitrate: int = 300_000, codec_name: str = "VP8",
               ) -> EncodedClip:
    """A VP8 (or H.264) clip filled with the mark's colour, with a moving texture so it
    costs bits like a camera picture."""
    codec = _encoder(codec_name, width, height, fps, bitrate)
    colour = np.array(MARK_COLOURS[mark % len(MARK_COLOURS)], dtype=np.int16)
    rng = np.random.default_rng(mark)
    texture = rng.integers(-25, 25, size=(height, width, 1), dtype=np.int16)

    def pictures():  # type: ignore[no-untyped-def]
        for i in range(int(fps * seconds)):
            rgb = np.clip(colour + np.roll(texture, shift=4 * i, axis=1), 0, 255)
            yield _yuv_frame(rgb.astype(np.uint8), i)

    return EncodedClip("video", _encode_all(codec, pictures()), 1 / fps, VIDEO_CLOCK,
                       codec_name)


@lru_cache(maxsize=64)
def audio_clip(mark: int, seconds: float = 1.0) -> EncodedClip:
    """An Opus clip of the mark's tone, 20 ms packets (50 per second, as browsers send)."""
    codec = av.CodecContext.create("libopus", "w")
    codec.sample_rate = AUDIO_RATE
    codec.layout = "stereo"
    codec.format = "s16"
    codec.bit_rate = 32_000
    freq = MARK_TONES_HZ[mark % len(MARK_TONES_HZ)]
    samples = int(AUDIO_PTIME_S * AUDIO_RATE)
    frames: list[tuple[bytes, bool]] = []
    t0 = 0
    for _ in range(int(seconds / AUDIO_PTIME_S)):
        t = (np.arange(samples) + t0) / AUDIO_RATE
        tone = (0.3 * 32767 * np.sin(2 * np.pi * freq * t)).astype(np.int16)
        stereo = np.repeat(tone, 2).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(stereo, format="s16", layout="stereo")
        frame.sample_rate = AUDIO_RATE
        frame.pts = t0
        t0 += samples
        for packet in codec.encode(frame):
            frames.append((bytes(packet), True))
    return EncodedClip("audio", tuple(frames), AUDIO_PTIME_S, AUDIO_RATE)


@lru_cache(maxsize=4)
def face_clip(width: int = 640, height: int = 360, fps: int = 25, covered: bool = False,
              bitrate: int = 500_000) -> EncodedClip:
    """A VP8 clip of scikit-image's astronaut photo (a real, public-domain face), or the
    same scene with the camera covered (a flat grey frame)."""
    import cv2
    from skimage import data

    photo = data.astronaut()
    scale = width / photo.shape[1]
    big = cv2.resize(photo, (width, int(photo.shape[0] * scale)))
    codec = _vp8_encoder(width, height, fps, bitrate)

    def pictures():  # type: ignore[no-untyped-def]
        for i in range(2 * fps):
            top = int((big.shape[0] - height) * (0.2 + 0.05 * np.sin(i / fps * np.pi)))
            rgb = np.ascontiguousarray(big[top : top + height])
            if covered:
                rgb = np.full_like(rgb, 60) + (i % 3)
            yield _yuv_frame(rgb, i)

    return EncodedClip("video", _encode_all(codec, pictures()), 1 / fps, VIDEO_CLOCK, "VP8")


class ReplayTrack(MediaStreamTrack):
    """Replays an encoded clip in real time as ``av.Packet``s; aiortc only packetizes them.

    Faults for tests: ``paused`` sends nothing (a frozen camera, a dead microphone),
    ``drop_next(n)`` skips n frames (a gap of n+1 intervals), ``every`` sends one frame
    in so many (a lower frame rate), ``use_clip`` switches the picture (a covered camera).
    """

    def __init__(self, clip: EncodedClip) -> None:
        super().__init__()
        self.kind = clip.kind
        self._clip = clip
        self._index = 0
        self._start: float | None = None
        self.paused = False
        self.every = 1
        self._drop = 0
        self._clip_start = 0

    def drop_next(self, frames: int) -> None:
        self._drop = frames

    def use_clip(self, clip: EncodedClip) -> None:
        """Switch to another clip, starting at its first (key)frame."""
        self._clip = clip
        self._clip_start = self._index

    async def recv(self) -> av.Packet:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        while True:
            due = self._start + self._index * self._clip.interval_s
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if self._drop > 0:
                self._drop -= 1
            elif not self.paused and self._index % self.every == 0:
                break
            self._index += 1
        position = (self._index - self._clip_start) % len(self._clip.frames)
        payload, _ = self._clip.frames[position]
        packet = av.Packet(payload)
        step = round(self._clip.interval_s * self._clip.clock_rate)
        packet.pts = self._index * step
        packet.time_base = fractions.Fraction(1, self._clip.clock_rate)
        self._index += 1
        return packet


@dataclass
class ReceivedStream:
    """What a synthetic participant receives on one m-line."""

    mid: str
    kind: str
    publisher: str
    track: MediaStreamTrack | None = None
    packets: int = 0
    frames: int = 0
    frame_arrivals: list[float] = field(default_factory=list)
    codecs: dict[int, str] = field(default_factory=dict)  # payload type -> codec name seen


class SyntheticParticipant:
    """A participant driven by code: joins over the signalling WebSocket, answers
    offers, publishes replayed clips and records what it receives.

    With ``decode`` False the received RTP is counted at the packet level and never
    decoded (cheap, for benchmarks); with True aiortc decodes it so tests can look
    at the pixels and samples. ``codec`` is what it publishes (VP8 or H264: a replayed
    clip cannot switch); ``decodes`` restricts what it says it can decode (an iPad
    without VP8 decodes only {"H264"}).
    """

    def __init__(self, base_url: str, meeting: str, name: str, mark: int,
                 decode: bool = True, video_size: tuple[int, int] = (320, 240), fps: int = 25,
                 publish: bool = True, token: str | None = None, check: bool = False,
                 video_clip: EncodedClip | None = None, codec: str = "VP8",
                 decodes: set[str] | None = None) -> None:
        self.base_url = base_url
        self.meeting = meeting
        self.name = name
        self.mark = mark
        self.decode = decode
        self.token = token
        self.check = check
        self.id: str | None = None
        self.welcome: dict[str, Any] = {}
        self.pc = RTCPeerConnection(
            RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE))
        clip = video_clip or globals()["video_clip"](mark, *video_size, fps=fps,
                                                     codec_name=codec)
        self.decodes = decodes
        self.video = ReplayTrack(clip) if publish else None
        self.audio = ReplayTrack(audio_clip(mark)) if publish else None
        if self.audio and self.video:
            self.pc.addTransceiver(self.audio, direction="sendonly")
            video = self.pc.addTransceiver(self.video, direction="sendonly")
            video.setCodecPreferences(sorted(  # aiortc sends the first: the clip's codec
                RTCRtpSender.getCapabilities("video").codecs,
                key=lambda c: c.name.upper() != clip.codec.upper()))
        self.received: dict[str, ReceivedStream] = {}
        self.participants: dict[str, dict[str, Any]] = {}
        self.messages: list[dict[str, Any]] = []
        self.errors: list[dict[str, Any]] = []
        self.offers = 0
        self.on_message: Callable[[dict[str, Any]], None] | None = None
        self._welcome = asyncio.Event()
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self._tracks: dict[str, dict[str, Any]] = {}

    def lose_packets(self, share: float) -> None:
        """Drop this share of outgoing media packets, evenly spread, and every
        retransmission, so the loss is not recovered (0 turns it off)."""
        sender_ssrcs = {t.sender._ssrc for t in self.pc.getTransceivers()}
        rtx_ssrcs = {t.sender._rtx_ssrc for t in self.pc.getTransceivers()}
        transport = self.pc.getTransceivers()[0].sender.transport
        original = getattr(transport, "_kvorum_send_rtp", transport._send_rtp)
        transport._kvorum_send_rtp = original
        counter = {"sent": 0, "dropped": 0}
        self.loss_counter = counter

        async def lossy(data: bytes) -> None:
            if share > 0 and len(data) >= 12 and not 192 <= data[1] <= 223:
                ssrc = int.from_bytes(data[8:12], "big")
                if ssrc in rtx_ssrcs:
                    return
                if ssrc in sender_ssrcs:
                    counter["sent"] += 1
                    if counter["dropped"] < share * counter["sent"]:
                        counter["dropped"] += 1
                        return
            await original(data)

        transport._send_rtp = lossy

    def report_downlink(self) -> None:
        """Send a browser-like `stats` report once a second (received frame rate, and the
        cumulative freezes set in ``reported_freezes``), as the web client does."""
        self.reported_freezes: dict[str, tuple[int, float]] = {}

        async def loop() -> None:
            while True:
                await asyncio.sleep(1.0)
                now = time.monotonic()
                inbound = []
                for stream in self.received.values():
                    if stream.kind != "video" or stream.publisher not in self.participants:
                        continue
                    freezes, frozen = self.reported_freezes.get(stream.publisher, (0, 0.0))
                    fps = sum(1 for t in stream.frame_arrivals[-60:] if now - t <= 1.0)
                    inbound.append({"participant": stream.publisher, "kind": "video",
                                    "framesPerSecond": fps, "freezeCount": freezes,
                                    "totalFreezesDuration": frozen})
                try:
                    await self.send({"type": "stats", "inbound": inbound})
                except (ConnectionError, AssertionError):
                    return

        self._reporter = asyncio.ensure_future(loop())

    def freeze_downlink(self, publisher: str, freezes: int, frozen_s: float) -> None:
        """From the next report on, say the video from ``publisher`` froze (cumulative)."""
        self.reported_freezes[publisher] = (freezes, frozen_s)

    async def join(self, timeout: float = 10) -> None:
        self._session = aiohttp.ClientSession()
        self._ws = await self._session.ws_connect(self.base_url.rstrip("/") + "/ws")
        self._reader = asyncio.ensure_future(self._read())
        join: dict[str, Any] = {"type": "join", "meeting": self.meeting, "name": self.name}
        if self.token is not None:
            join["token"] = self.token
        if self.check:
            join["check"] = True
        await self.send(join)
        await asyncio.wait_for(self._welcome.wait(), timeout)

    async def send(self, message: dict[str, Any]) -> None:
        assert self._ws is not None
        await self._ws.send_str(json.dumps(message))

    async def _read(self) -> None:
        assert self._ws is not None
        async for msg in self._ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            message = json.loads(msg.data)
            self.messages.append(message)
            kind = message["type"]
            if kind == "welcome":
                self.id = message["participant_id"]
                self.welcome = message
                for p in message["participants"]:
                    self.participants[p["id"]] = p
                self._welcome.set()
            elif kind == "admitted":
                for p in message["participants"]:
                    self.participants[p["id"]] = p
            elif kind == "participant-joined":
                self.participants[message["participant"]["id"]] = message["participant"]
            elif kind == "participant-left":
                self.participants.pop(message["participant_id"], None)
            elif kind == "offer":
                await self._answer(message)
            elif kind == "error":
                self.errors.append(message)
            if self.on_message is not None:
                self.on_message(message)

    async def _answer(self, offer: dict[str, Any]) -> None:
        self._tracks = offer["tracks"]
        await self.pc.setRemoteDescription(RTCSessionDescription(offer["sdp"], "offer"))
        for transceiver in self.pc.getTransceivers():
            info = self._tracks.get(transceiver.mid or "")
            if info and self.decodes is not None and info["kind"] == "video":
                restrict_answer_codecs(transceiver, self.decodes)  # at every offer
            if not info or info["role"] != "subscribe" or transceiver.mid in self.received:
                continue
            stream = ReceivedStream(transceiver.mid, info["kind"], info["participant"])
            self.received[transceiver.mid] = stream
            if self.decode:
                stream.track = transceiver.receiver.track
            # A participant that only counts sends no receiver reports (as ever): the
            # server's RTT figures come from those that decode, as a browser does.
            tap_receiver(transceiver.receiver, self._counter(stream, transceiver, self.decode),
                         feedback=False)
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        await self.send({"type": "answer", "sdp": self.pc.localDescription.sdp})
        self.offers += 1

    @staticmethod
    def _counter(stream: ReceivedStream, transceiver: Any, decode: bool
                 ) -> Callable[[RtpPacket, int], Any]:
        """Count packets and frames (and the codecs they came in); decode only if asked."""
        async def count(packet: RtpPacket, arrival_ms: int) -> bool:
            stream.packets += 1
            if packet.payload_type not in stream.codecs:
                codec = receiver_codecs(transceiver.receiver).get(packet.payload_type)
                stream.codecs[packet.payload_type] = codec.name.upper() if codec else "?"
            if packet.marker and stream.kind == "video":
                stream.frames += 1
                stream.frame_arrivals.append(time.monotonic())
            return decode
        return count

    def streams_from(self, publisher: str) -> dict[str, ReceivedStream]:
        """The active streams this participant receives from ``publisher``, by kind."""
        active = {
            t.mid for t in self.pc.getTransceivers()
            if t.currentDirection in ("recvonly", "sendrecv")
        }
        return {s.kind: s for s in self.received.values()
                if s.publisher == publisher and s.mid in active}

    async def leave(self) -> None:
        """Leave the meeting on purpose, as the page's "Lämna mötet" does."""
        await self._disconnect(say_leave=True)

    async def drop(self) -> None:
        """Lose the connection without a word, as a crashed browser or a lost network does."""
        await self._disconnect(say_leave=False)

    async def _disconnect(self, say_leave: bool) -> None:
        if getattr(self, "_reporter", None) is not None:
            self._reporter.cancel()
        if self._ws is not None and not self._ws.closed:
            if say_leave:
                try:
                    await self.send({"type": "leave"})
                except ConnectionError:
                    pass
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
        if self._session is not None:
            await self._session.close()
        await self.pc.close()


def dominant_colour(frame: av.VideoFrame) -> tuple[int, int, int]:
    """Mean RGB of the frame's centre (the mark colour, give or take codec noise)."""
    rgb = frame.to_ndarray(format="rgb24")
    h, w, _ = rgb.shape
    centre = rgb[h // 4 : 3 * h // 4, w // 4 : 3 * w // 4]
    r, g, b = centre.reshape(-1, 3).mean(axis=0)
    return int(r), int(g), int(b)


def nearest_mark_colour(rgb: tuple[int, int, int]) -> int:
    dist = [sum((a - b) ** 2 for a, b in zip(rgb, c)) for c in MARK_COLOURS]
    return int(np.argmin(dist))


def dominant_tone_hz(samples: np.ndarray, rate: int) -> float:
    """The strongest frequency in a mono signal."""
    windowed = samples * np.hanning(len(samples))
    spectrum = np.abs(np.fft.rfft(windowed))
    spectrum[0] = 0
    return float(np.argmax(spectrum) * rate / len(samples))


def nearest_mark_tone(freq: float) -> int:
    return int(np.argmin([abs(freq - f) for f in MARK_TONES_HZ]))
