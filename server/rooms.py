"""Rooms: the live side of each meeting, the people connected and their media router."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from media.peer import Peer
from media.router import Router

logger = logging.getLogger(__name__)

Send = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass
class Participant:
    """Someone connected to a room over one WebSocket."""

    id: str
    name: str
    send: Send
    peer: Peer
    audio: bool = True
    video: bool = True

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "audio": self.audio, "video": self.video}


@dataclass
class Room:
    """One meeting's live room."""

    id: str
    title: str
    router: Router
    participants: dict[str, Participant] = field(default_factory=dict)
    closed: bool = False

    async def broadcast(self, message: dict[str, Any], exclude: str | None = None) -> None:
        for participant in list(self.participants.values()):
            if participant.id != exclude:
                await participant.send(message)

    async def join(self, name: str, send: Send) -> Participant:
        """Add a participant: they get a welcome, the others a participant-joined."""
        pid = secrets.token_hex(6)
        participant = Participant(pid, name, send, Peer(pid, name, send))
        others = [p.public() for p in self.participants.values()]
        self.participants[pid] = participant
        await send({"type": "welcome", "participant_id": pid,
                    "meeting": {"id": self.id, "title": self.title}, "participants": others})
        await self.broadcast({"type": "participant-joined", "participant": participant.public()},
                             exclude=pid)
        await self.router.add_peer(participant.peer)
        return participant

    async def leave(self, pid: str) -> None:
        """Remove a participant and their media; the others are told and re-offered."""
        participant = self.participants.pop(pid, None)
        if participant is None:
            return
        await self.router.remove_peer(pid)
        await self.broadcast({"type": "participant-left", "participant_id": pid})

    async def close(self) -> None:
        """End the meeting: every participant is told, every transport closed."""
        self.closed = True
        await self.broadcast({"type": "bye", "reason": "meeting-closed"})
        self.participants.clear()
        await self.router.close()


class Rooms:
    """All rooms of this server, by meeting id."""

    def __init__(self, router_factory: Callable[[], Router]) -> None:
        self._rooms: dict[str, Room] = {}
        self._router_factory = router_factory

    def open(self, meeting_id: str, title: str) -> Room:
        room = self._rooms.get(meeting_id)
        if room is None or room.closed:
            room = Room(meeting_id, title, self._router_factory())
            self._rooms[meeting_id] = room
        return room

    def get(self, meeting_id: str) -> Room | None:
        return self._rooms.get(meeting_id)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(list(self._rooms.values()))

    async def close_all(self) -> None:
        await asyncio.gather(*(room.close() for room in self if not room.closed))
