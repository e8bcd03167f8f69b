"""Router: a meeting's media room, routing each producer to the peers allowed to see it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable

from aiortc import MediaStreamTrack

from compliance.profile import QualityRules

from .analysis_worker import AnalysisWorker
from .peer import Peer
from .producer import Producer
from .relay_meter import RelayMeter
from .video_codecs import VP8, meeting_codec

logger = logging.getLogger(__name__)

# (subscriber peer id, publisher peer id) -> may the subscriber receive the publisher's media?
Policy = Callable[[str, str], bool]


def everyone(subscriber: str, publisher: str) -> bool:
    return True


class Router:
    """Owns the peers of one meeting. Each peer consumes every producer the policy allows
    (by default all of them); a peer that leaves takes its producers and their consumers
    with it; closing the router closes every peer and transport."""

    def __init__(self, analysis: AnalysisWorker | None = None, policy: Policy = everyone,
                 echo: bool = False, rules: QualityRules | None = None) -> None:
        self.peers: dict[str, Peer] = {}
        self.echo = echo  # peers also receive their own media back (the device check)
        self.meter = RelayMeter()
        self.analysis = analysis  # where pictures are looked at; None: RTP measures only
        self.rules = rules or QualityRules()
        self.policy = policy
        self.closed = False
        self.video_codec = VP8  # what every publisher is asked to send (media/video_codecs.py)
        self.on_producer: list[Callable[[Producer], None]] = []
        self._lock = asyncio.Lock()
        self._pending: set[asyncio.Task[None]] = set()  # kept so they are not collected

    async def add_peer(self, peer: Peer) -> None:
        """Let ``peer`` in: it subscribes to what it may see, then gets its first offer."""
        if self.closed:
            raise RuntimeError("router closed")
        self.peers[peer.id] = peer
        peer.prefer_video_codec(self.video_codec)
        peer.on_answered = self._choose_video_codec
        peer.pc.on("track", lambda track: self._on_track(peer, track))
        await self.update_subscriptions(always_offer=[peer.id])

    async def _choose_video_codec(self, answered: Peer) -> None:
        """After each answer: if someone does not decode the meeting's codec, switch the
        meeting (every peer is offered the new codec first and its browser follows)."""
        decoders = [d for p in self.peers.values() if not p.closed
                    if (d := p.decodes) is not None]
        choice = meeting_codec(decoders)
        if choice == self.video_codec:
            return
        logger.info("meeting video codec %s -> %s", self.video_codec, choice)
        self.video_codec = choice
        for peer in list(self.peers.values()):
            if peer.prefer_video_codec(choice) and not peer.closed:
                await peer.negotiate()

    def undecodable(self) -> list[tuple[str, str, str, frozenset[str]]]:
        """Who cannot see whom: (subscriber, publisher, codec sent, codecs the subscriber
        decodes) for each video the subscriber receives in a codec it cannot decode."""
        out = []
        for peer in self.peers.values():
            for consumer in peer.consumers.values():
                producer = consumer.producer
                if (consumer.kind == "video" and not consumer.closed and consumer.decodable
                        and producer.codec_name is not None and not consumer.can_decode):
                    out.append((peer.id, producer.peer_id, producer.codec_name,
                                peer.decodes or frozenset()))
        return out

    def _on_track(self, peer: Peer, track: MediaStreamTrack) -> None:
        transceiver = next(
            (t for t in peer.pc.getTransceivers() if t.receiver.track is track), None
        )
        if transceiver is None or transceiver is not peer.publish_slots.get(track.kind):
            return
        if track.kind in peer.producers or peer.closed:
            return
        producer = Producer(peer.id, transceiver, self.meter, self.rules, self.analysis)
        peer.producers[track.kind] = producer
        for callback in self.on_producer:
            callback(producer)
        task = asyncio.ensure_future(self.update_subscriptions())
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def update_subscriptions(self, always_offer: Iterable[str] = ()) -> None:
        """Make every peer's consumers match the policy; re-offer to each peer that changed."""
        async with self._lock:
            changed = set(always_offer)
            for subscriber in list(self.peers.values()):
                if subscriber.closed or subscriber.pc.connectionState == "closed":
                    continue  # going away; its removal re-offers to the others
                for publisher in list(self.peers.values()):
                    if publisher is subscriber and not self.echo:
                        continue
                    allowed = self.policy(subscriber.id, publisher.id)
                    for producer in list(publisher.producers.values()):
                        has = producer.id in subscriber.consumers
                        if allowed and not has and not producer.closed:
                            subscriber.consume(producer)
                            changed.add(subscriber.id)
                        elif has and not allowed:
                            await subscriber.unconsume(producer.id)
                            changed.add(subscriber.id)
            for peer_id in changed:
                peer = self.peers.get(peer_id)
                if peer is not None and not peer.closed:
                    await peer.negotiate()

    async def remove_peer(self, peer_id: str) -> None:
        """Take a peer out: close its producers and consumers, re-offer to the others."""
        peer = self.peers.pop(peer_id, None)
        if peer is None:
            return
        affected: set[str] = set()
        for producer in peer.producers.values():
            affected |= await producer.close()
        for other in self.peers.values():
            for producer in peer.producers.values():
                other.consumers.pop(producer.id, None)
        await peer.close()
        await self.update_subscriptions(always_offer=affected & set(self.peers))

    async def close(self) -> None:
        """Close every peer and its transports."""
        self.closed = True
        for peer_id in list(self.peers):
            peer = self.peers.pop(peer_id)
            await peer.close()
