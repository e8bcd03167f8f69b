"""A baseline relay built the way aiortc's examples build one, for ``bench.relay``.

Every inbound track is decoded once by aiortc's receiver, fanned out with
``aiortc.contrib.media.MediaRelay`` (one ``subscribe`` per subscriber), and each
subscription gets an ordinary encoding ``RTCRtpSender``: n participants cost
n(n-1) video encodes (and as many Opus encodes). MEDIA.md explains why Kvorum
forwards instead; this module exists only so the benchmark can show the difference
with the same server, signalling and clients.

It has the interface of :class:`media.router.Router` (``add_peer``, ``remove_peer``,
``update_subscriptions``, ``close``, ``peers``, ``meter``, ``policy``, ``echo``,
``on_producer``) and drives the same :class:`media.peer.Peer`: the server offers,
the client answers, and the offer's track map names each m-line.

One deliberate difference from aiortc's examples: subscriptions are unbuffered
(``MediaRelay.subscribe(track, buffered=False)``): a sender that cannot keep up
skips to the newest decoded frame. With the examples' default (an unbounded
queue per subscription) a saturated relay queues every frame it cannot encode,
and at 12-15 participants that is hundreds of MB per second of raw frames; the
unbuffered relay degrades to a lower frame rate instead, which only flatters the
baseline.

The server's :class:`~media.relay_meter.RelayMeter` is not fed here: a packet is
not forwarded, a frame is decoded and re-encoded, so there is no per-packet
"received -> forwarded" time to take. :meth:`NaiveRouter.packet_counts` gives
packets received and sent from aiortc's public ``getStats``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from typing import Any

from aiortc import MediaStreamTrack, RTCRtpTransceiver
from aiortc.contrib.media import MediaRelay

from compliance.profile import QualityRules
from media.analyser import Analyser
from media.peer import Peer
from media.relay_meter import RelayMeter
from media.router import Policy, everyone

logger = logging.getLogger(__name__)


class NaiveProducer:
    """A published track, decoded by aiortc, relayed to every subscriber."""

    def __init__(self, peer_id: str, transceiver: RTCRtpTransceiver, track: MediaStreamTrack,
                 relay: MediaRelay) -> None:
        self.peer_id = peer_id
        self.kind: str = track.kind
        self.id = f"{peer_id}:{self.kind}"
        self.transceiver = transceiver
        self.track = track
        self.relay = relay
        self.consumers: set[NaiveConsumer] = set()
        # The server's supervisor reads the analyser as it does a media.producer.Producer's;
        # the naive relay never feeds it (it has no packet path of its own), so the
        # equal-terms monitor sees no media from it.
        self.analyser = Analyser(self.kind, QualityRules(), None, lambda: None)
        self.closed = False

    async def close(self) -> set[str]:
        self.closed = True
        subscribers = {c.subscriber_id for c in self.consumers}
        for consumer in list(self.consumers):
            await consumer.close()
        return subscribers


class _SenderView:
    """A subscription's encoding ``RTCRtpSender``, as the supervisor reads senders.

    The server's supervisor reads ``sender.round_trip_time`` (which Kvorum's
    ForwardingSender has); aiortc's own sender keeps it private, so the naive relay
    reports none. Everything else goes to the real sender.
    """

    round_trip_time = None

    def __init__(self, sender: Any) -> None:
        self._sender = sender

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sender, name)


class NaiveConsumer:
    """One subscription: a relay proxy of the producer's track, encoded by a normal sender.

    Has the attributes :meth:`media.peer.Peer.track_map` and ``Peer.close`` use.
    """

    def __init__(self, producer: NaiveProducer, subscriber_id: str,
                 transceiver: RTCRtpTransceiver, proxy: MediaStreamTrack) -> None:
        self.producer = producer
        self.subscriber_id = subscriber_id
        self.transceiver = transceiver
        self.sender = _SenderView(transceiver.sender)
        self.proxy = proxy
        self.closed = False

    @property
    def kind(self) -> str:
        return self.producer.kind

    @property
    def mid(self) -> str | None:
        return self.transceiver.mid

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.producer.consumers.discard(self)
        self.transceiver.direction = "inactive"
        self.proxy.stop()
        await self.sender.stop()


class NaiveRouter:
    """A meeting's media room where the server decodes and re-encodes per subscriber.

    Mirrors :class:`media.router.Router`: each peer consumes every producer the
    ``policy`` allows, ``echo`` sends a peer its own media back, and
    :meth:`update_subscriptions` brings subscriptions in line and re-offers.
    """

    mode = "naive"

    def __init__(self, policy: Policy = everyone, echo: bool = False) -> None:
        self.peers: dict[str, Peer] = {}
        self.meter = RelayMeter()  # never fed: see the module docstring
        self.relay = MediaRelay()
        self.policy = policy
        self.echo = echo
        self.closed = False
        self.on_producer: list[Callable[[NaiveProducer], None]] = []
        self._lock = asyncio.Lock()
        self._pending: set[asyncio.Task[None]] = set()  # kept so they are not collected

    def _consume(self, peer: Peer, producer: NaiveProducer) -> NaiveConsumer:
        proxy = self.relay.subscribe(producer.track, buffered=False)
        transceiver = peer.pc.addTransceiver(proxy, direction="sendonly")
        consumer = NaiveConsumer(producer, peer.id, transceiver, proxy)
        producer.consumers.add(consumer)
        peer.consumers[producer.id] = consumer  # type: ignore[assignment]
        return consumer

    async def add_peer(self, peer: Peer) -> None:
        if self.closed:
            raise RuntimeError("router closed")
        self.peers[peer.id] = peer
        peer.pc.on("track", lambda track: self._on_track(peer, track))
        await self.update_subscriptions(always_offer=[peer.id])

    def _on_track(self, peer: Peer, track: MediaStreamTrack) -> None:
        transceiver = next(
            (t for t in peer.pc.getTransceivers() if t.receiver.track is track), None
        )
        if transceiver is None or transceiver is not peer.publish_slots.get(track.kind):
            return
        if track.kind in peer.producers or peer.closed:
            return
        producer = NaiveProducer(peer.id, transceiver, track, self.relay)
        peer.producers[track.kind] = producer  # type: ignore[assignment]
        for callback in self.on_producer:
            callback(producer)
        task = asyncio.ensure_future(self.update_subscriptions())
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def update_subscriptions(self, always_offer: Iterable[str] = ()) -> None:
        async with self._lock:
            changed = set(always_offer)
            for subscriber in list(self.peers.values()):
                if subscriber.pc.connectionState == "closed":
                    # A saturated relay can lose a connection (ICE consent expires while the
                    # event loop is behind); its peer stays until the participant leaves.
                    continue
                for publisher in list(self.peers.values()):
                    if publisher is subscriber and not self.echo:
                        continue
                    allowed = self.policy(subscriber.id, publisher.id)
                    for producer in list(publisher.producers.values()):
                        has = producer.id in subscriber.consumers
                        if allowed and not has and not producer.closed:
                            self._consume(subscriber, producer)  # type: ignore[arg-type]
                            changed.add(subscriber.id)
                        elif has and not allowed:
                            await subscriber.unconsume(producer.id)
                            changed.add(subscriber.id)
            for peer_id in changed:
                peer = self.peers.get(peer_id)
                if peer is not None and not peer.closed and peer.pc.connectionState != "closed":
                    await peer.negotiate()

    async def remove_peer(self, peer_id: str) -> None:
        peer = self.peers.pop(peer_id, None)
        if peer is None:
            return
        affected: set[str] = set()
        for producer in peer.producers.values():
            affected |= await producer.close()  # type: ignore[misc]
        for other in self.peers.values():
            for producer in peer.producers.values():
                other.consumers.pop(producer.id, None)
        await peer.close()
        await self.update_subscriptions(always_offer=affected & set(self.peers))

    async def close(self) -> None:
        self.closed = True
        for peer_id in list(self.peers):
            peer = self.peers.pop(peer_id)
            await peer.close()

    async def packet_counts(self) -> tuple[int, int]:
        """(RTP packets received from publishers, RTP packets sent to subscribers) so far."""
        received = sent = 0
        for peer in list(self.peers.values()):
            for producer in list(peer.producers.values()):
                report = await producer.transceiver.receiver.getStats()
                received += sum(s.packetsReceived for s in report.values()
                                if s.type == "inbound-rtp")
            for consumer in list(peer.consumers.values()):
                if consumer.closed:
                    continue
                report = await consumer.sender.getStats()
                sent += sum(s.packetsSent for s in report.values() if s.type == "outbound-rtp")
        return received, sent
