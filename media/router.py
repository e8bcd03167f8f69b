"""Router: a meeting's media room, routing every producer to every other peer."""

from __future__ import annotations

import asyncio
import logging

from aiortc import MediaStreamTrack

from .peer import Peer
from .producer import Producer
from .relay_meter import RelayMeter

logger = logging.getLogger(__name__)


class Router:
    """Owns the peers of one meeting. A peer's new producer gets a consumer at
    every other peer; a peer that leaves takes its producers and their consumers
    with it; closing the router closes every peer and transport."""

    def __init__(self, analyse_video: bool = True) -> None:
        self.peers: dict[str, Peer] = {}
        self.meter = RelayMeter()
        self.analyse_video = analyse_video
        self.closed = False
        self.on_producer: list = []  # callbacks(producer) for analysis and statistics

    async def add_peer(self, peer: Peer) -> None:
        """Let ``peer`` in: it subscribes to every existing producer, then gets its offer."""
        if self.closed:
            raise RuntimeError("router closed")
        self.peers[peer.id] = peer
        peer.pc.on("track", lambda track: self._on_track(peer, track))
        for other in self.peers.values():
            if other is not peer:
                for producer in other.producers.values():
                    peer.consume(producer)
        await peer.negotiate()

    def _on_track(self, peer: Peer, track: MediaStreamTrack) -> None:
        transceiver = next(
            (t for t in peer.pc.getTransceivers() if t.receiver.track is track), None
        )
        if transceiver is None or transceiver is not peer.publish_slots.get(track.kind):
            return
        if track.kind in peer.producers:
            return
        producer = Producer(peer.id, transceiver, self.meter, self.analyse_video)
        peer.producers[track.kind] = producer
        for callback in self.on_producer:
            callback(producer)
        for other in self.peers.values():
            if other is not peer and not other.closed:
                other.consume(producer)
                asyncio.ensure_future(other.negotiate())

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
        for other_id in affected:
            other = self.peers.get(other_id)
            if other is not None and not other.closed:
                await other.negotiate()

    async def close(self) -> None:
        """Close every peer and its transports."""
        self.closed = True
        for peer_id in list(self.peers):
            peer = self.peers.pop(peer_id)
            await peer.close()
