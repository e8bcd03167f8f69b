"""Peer: one participant's server-side WebRTC connection.

The server is always the offerer: it opens two receive slots (audio, video) for
what the participant publishes and one send-only m-line per track it subscribes
to, and offers again whenever subscriptions change. The participant only
answers, so offers never collide (no glare). Every video m-line offers VP8 and
H.264 in the meeting's order (media/video_codecs.py); the answer says which of
them the participant decodes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiortc import (
    RTCBundlePolicy,
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpTransceiver,
    RTCSessionDescription,
)

from .aiortc_tap import install_forwarding_sender, negotiated_codecs
from .consumer import Consumer
from .producer import Producer
from .video_codecs import VP8, codec_names, preferences

logger = logging.getLogger(__name__)

SendSignal = Callable[[dict[str, Any]], Awaitable[None]]
Answered = Callable[["Peer"], Awaitable[None]]


class NegotiationError(Exception):
    """The participant's answer could not be applied."""


class Peer:
    """A participant's connection: publishes up to one audio and one video producer,
    and holds one consumer per track of every other participant."""

    def __init__(self, peer_id: str, name: str, send_signal: SendSignal) -> None:
        self.id = peer_id
        self.name = name
        self.pc = RTCPeerConnection(
            RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
        )
        self.publish_slots: dict[str, RTCRtpTransceiver] = {
            kind: self.pc.addTransceiver(kind, direction="recvonly") for kind in ("audio", "video")
        }
        self.producers: dict[str, Producer] = {}
        self.consumers: dict[str, Consumer] = {}  # by producer id
        self.closed = False
        self.video_codec = VP8  # offered first on every video m-line
        self.decodes: frozenset[str] | None = None  # video codecs it decodes, once it answered
        self.on_answered: Answered | None = None
        self._send_signal = send_signal
        self.publish_slots["video"].setCodecPreferences(preferences(self.video_codec))
        self._offer_pending_answer = False
        self._offer_needed = False
        self._lock = asyncio.Lock()

    def consume(self, producer: Producer) -> Consumer:
        """Subscribe this peer to ``producer`` (takes effect at the next offer)."""
        transceiver = self.pc.addTransceiver(producer.kind, direction="sendonly")
        if producer.kind == "video":
            transceiver.setCodecPreferences(preferences(self.video_codec))
        sender = install_forwarding_sender(transceiver)
        sender._stream_id = producer.peer_id  # the browser groups tracks by publisher
        sender._track_id = producer.id
        consumer = Consumer(producer, self.id, transceiver, sender)
        sender.on_ready = producer.request_keyframe
        producer.consumers.add(consumer)
        self.consumers[producer.id] = consumer
        return consumer

    async def unconsume(self, producer_id: str) -> None:
        consumer = self.consumers.pop(producer_id, None)
        if consumer is not None:
            await consumer.close()

    def prefer_video_codec(self, name: str) -> bool:
        """Offer ``name`` first on every video m-line from the next offer on; True if changed."""
        if name == self.video_codec:
            return False
        self.video_codec = name
        for transceiver in self.pc.getTransceivers():
            if transceiver.kind == "video" and not transceiver.stopped:
                transceiver.setCodecPreferences(preferences(name))
        return True

    def _read_decodes(self) -> None:
        """An answer lists, per video m-line, the codecs the participant will receive
        (setCodecPreferences binds receiving only): what it decodes."""
        names = [codec_names(negotiated_codecs(t)) for t in self.pc.getTransceivers()
                 if t.kind == "video" and t.mid is not None and not t.stopped
                 and t.currentDirection not in (None, "inactive")]
        self.decodes = frozenset.intersection(*names) if names else None

    def track_map(self) -> dict[str, dict[str, str]]:
        """MID -> what the m-line carries, for the participant's client."""
        tracks = {}
        for kind, transceiver in self.publish_slots.items():
            if transceiver.mid is not None:
                tracks[transceiver.mid] = {"role": "publish", "kind": kind}
        for consumer in self.consumers.values():
            if consumer.mid is not None and not consumer.closed:
                tracks[consumer.mid] = {
                    "role": "subscribe", "kind": consumer.kind,
                    "participant": consumer.producer.peer_id,
                }
        return tracks

    async def negotiate(self) -> None:
        """Send a new offer now, or as soon as the outstanding one is answered."""
        async with self._lock:
            # aiortc closes a connection by itself when its DTLS transport closes: nothing
            # more to offer then (the supervisor sees the link closed).
            if self.closed or self.pc.signalingState == "closed":
                return
            if self._offer_pending_answer:
                self._offer_needed = True
                return
            self._offer_needed = False
            self._offer_pending_answer = True
            await self.pc.setLocalDescription(await self.pc.createOffer())
            offer = {"type": "offer", "sdp": self.pc.localDescription.sdp,
                     "tracks": self.track_map()}
        await self._send_signal(offer)

    async def accept_answer(self, sdp: str) -> None:
        """Apply the participant's answer; raises NegotiationError if it is unusable."""
        async with self._lock:
            if not self._offer_pending_answer:
                raise NegotiationError("no-offer-outstanding")
            if self.pc.signalingState == "closed":
                raise NegotiationError("the connection is closed; join again")
            try:
                await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))
            except Exception as exc:  # aiortc raises ValueError, OperationError, ...
                raise NegotiationError(str(exc) or type(exc).__name__) from exc
            self._offer_pending_answer = False
            for consumer in self.consumers.values():
                consumer.decodable = frozenset(
                    c.payloadType for c in negotiated_codecs(consumer.transceiver))
            self._read_decodes()
            again = self._offer_needed
        if again:
            await self.negotiate()
        if self.on_answered is not None:
            await self.on_answered(self)

    async def close(self) -> None:
        """Close every producer and consumer of this peer and its connection."""
        if self.closed:
            return
        self.closed = True
        for producer in self.producers.values():
            await producer.close()
        for consumer in list(self.consumers.values()):
            await consumer.close()
        await self.pc.close()
