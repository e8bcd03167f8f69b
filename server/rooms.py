"""Rooms: the live side of each meeting, the people connected and their media router.

A room for a meeting in the model admits people by their personal invitation:
the chair's and the secretary's devices are in the room; everyone else waits in
the lobby, seen only by the chair, until admitted. A guest room (tests,
benchmarks) lets anyone in by name and has no meeting model behind it.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from compliance.events import (
    Adjourned,
    AdjournmentEnded,
    Admitted,
    Event,
    InvitationRevoked,
    ItemClosed,
    ItemOpened,
    JavDeclared,
    LeftMeeting,
    LobbyEntered,
    MeetingClosed,
)
from compliance.media_policy import ROOM_DEVICE_ROLES
from compliance.media_policy import may_receive as policy_allows
from compliance.meeting import MeetingState, RuleViolation
from media.peer import Peer
from media.router import Router

from .meetings import MeetingService
from .messages import error
from .turn import IceServersFor

logger = logging.getLogger(__name__)

Send = Callable[[dict[str, Any]], Awaitable[None]]
ROOM_ROLES = tuple(sorted(ROOM_DEVICE_ROLES))  # their devices are in the meeting room
DASHBOARD_ROLES = ("ordförande", "sekreterare")
# Events after which who-receives-whom may have changed (compliance.media_policy).
MEDIA_EVENTS = (Admitted, LeftMeeting, LobbyEntered, JavDeclared, ItemOpened, ItemClosed,
                Adjourned, AdjournmentEnded)


@dataclass
class Participant:
    """Someone connected to a room over one WebSocket."""

    id: str
    name: str
    send: Send
    peer: Peer
    person_id: str | None = None  # None for a guest
    invitation_id: str | None = None  # the personal link it joined with
    disconnect: Callable[[str], Awaitable[None]] | None = None  # ends the connection (reason)
    role: str = "gäst"
    admitted: bool = True
    audio: bool = True
    video: bool = True

    @property
    def key(self) -> str:
        """Who this is across reconnects: the person, or for a guest the connection."""
        return self.person_id or self.id

    @property
    def dashboard(self) -> bool:
        return self.role in DASHBOARD_ROLES

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "person_id": self.person_id,
                "role": self.role, "audio": self.audio, "video": self.video}


class Room:
    """One meeting's live room."""

    def __init__(self, room_id: str, title: str, router: Router,
                 service: MeetingService | None = None,
                 ice_servers: IceServersFor = lambda user: [], private: bool = False) -> None:
        self.id = room_id
        self.title = title
        self.private = private  # a device check: never listed, never joined by id
        self.router = router
        self.service = service
        self.ice_servers = ice_servers
        self.participants: dict[str, Participant] = {}
        self.closed = False
        self.log_alerted = False  # the dashboards were told the log cannot write
        self.on_change: list[Callable[[], Awaitable[None]]] = []
        router.policy = self.may_receive

    # -- who sees whom -------------------------------------------------------------------------

    @property
    def state(self) -> MeetingState | None:
        return self.service.meeting(self.id) if self.service else None

    def may_receive(self, subscriber_id: str, publisher_id: str) -> bool:
        """The router's policy. In a meeting the rule is the meeting's
        (`compliance.media_policy`: present people see each other, the chair and secretary
        also see the lobby; a person who left or has jäv in the open item is cut both ways,
        whatever their client does; an adjournment keeps party groups apart). In a guest
        room the admitted see each other (in a device check the one participant, itself)."""
        subscriber = self.participants.get(subscriber_id)
        publisher = self.participants.get(publisher_id)
        if subscriber is None or publisher is None:
            return False
        state = self.state
        if state is not None and subscriber.person_id and publisher.person_id:
            return policy_allows(state, subscriber.person_id, publisher.person_id)
        if not subscriber.admitted:
            return False
        return publisher.admitted or subscriber.dashboard

    def connected(self, person_id: str) -> list[Participant]:
        return [p for p in self.participants.values() if p.person_id == person_id]

    def by_peer(self, peer_id: str) -> Participant | None:
        return self.participants.get(peer_id)

    # -- messages ----------------------------------------------------------------------------

    async def broadcast(self, message: dict[str, Any], exclude: str | None = None,
                        admitted_only: bool = True, dashboards_only: bool = False) -> None:
        for participant in list(self.participants.values()):
            if participant.id == exclude:
                continue
            if admitted_only and not participant.admitted:
                continue
            if dashboards_only and not participant.dashboard:
                continue
            await participant.send(message)

    def _others(self, participant: Participant) -> list[dict[str, Any]]:
        return [p.public() for p in self.participants.values()
                if p.admitted and p.id != participant.id]

    # -- joining and leaving -----------------------------------------------------------------

    async def join(self, name: str, send: Send, person_id: str | None = None,
                   invitation_id: str | None = None,
                   disconnect: Callable[[str], Awaitable[None]] | None = None) -> Participant:
        """Connect someone: a guest, or an invited person who is admitted or waits in the
        lobby. They get a welcome; the admitted others a participant-joined. `disconnect`
        ends the connection (when the link it joined with is revoked)."""
        if person_id is not None:  # one connection per person: a rejoin replaces the old one
            for earlier in self.connected(person_id):
                await self._disconnect(earlier, "replaced")
        pid = secrets.token_hex(6)
        participant = Participant(pid, name, send, Peer(pid, name, send), person_id=person_id,
                                  invitation_id=invitation_id, disconnect=disconnect)
        if person_id is not None:
            await self._enter(participant)
        self.participants[pid] = participant
        await send({
            "type": "welcome", "participant_id": pid, "person_id": person_id,
            "role": participant.role, "admitted": participant.admitted,
            "dashboard": participant.dashboard,
            "meeting": {"id": self.id, "title": self.title},
            "participants": self._others(participant) if participant.admitted else [],
            "iceServers": self.ice_servers(pid),
        })
        if participant.admitted:
            await self.broadcast({"type": "participant-joined",
                                  "participant": participant.public()}, exclude=pid)
        await self.router.add_peer(participant.peer)
        await self._changed()
        return participant

    async def _enter(self, participant: Participant) -> None:
        """Admit or put in the lobby, by role and what the meeting's log says."""
        assert self.service is not None and participant.person_id is not None
        state = self.service.meeting(self.id)
        assert state is not None
        person = state.person(participant.person_id)
        participant.role = person.role
        person_id = participant.person_id
        if person.role in ROOM_ROLES:
            if person_id not in state.present:
                await self.service.run(self.id, lambda s, at: s.mark_present(
                    person_id, by=person_id, at=at))
            participant.admitted = True
        elif person_id in state.present:
            participant.admitted = True  # reconnecting after a dropped link
        else:
            participant.admitted = False
            if person_id not in state.lobby:
                await self.service.run(self.id, lambda s, at: s.enter_lobby(person_id, at))

    async def leave(self, pid: str) -> None:
        """Disconnect a participant and their media. A person stays present in the log:
        a dropped link is the monitor's to judge, leaving is the chair's to record."""
        participant = self.participants.pop(pid, None)
        if participant is None:
            return
        await self.router.remove_peer(pid)
        if participant.admitted:
            await self.broadcast({"type": "participant-left", "participant_id": pid})
        await self._changed()

    async def on_event(self, event: Event) -> None:
        """React to an event appended to this meeting's log."""
        if isinstance(event, Admitted):
            for participant in self.connected(event.person_id):
                participant.admitted = True
                await participant.send({"type": "admitted", "mode": event.mode,
                                        "participants": self._others(participant)})
                await self.broadcast({"type": "participant-joined",
                                      "participant": participant.public()},
                                     exclude=participant.id)
            await self.router.update_subscriptions()
        elif isinstance(event, LeftMeeting):
            for participant in self.connected(event.person_id):
                if participant.role in ROOM_ROLES:
                    continue
                was_admitted, participant.admitted = participant.admitted, False
                await participant.send({"type": "removed", "reason": event.reason})
                if was_admitted:
                    await self.broadcast({"type": "participant-left",
                                          "participant_id": participant.id})
            await self.router.update_subscriptions()
        elif isinstance(event, InvitationRevoked):
            for participant in list(self.participants.values()):
                if participant.invitation_id == event.invitation_id:
                    await self._disconnect(participant, "invitation-revoked")
        elif isinstance(event, MeetingClosed):
            await self.close()
            return
        elif isinstance(event, MEDIA_EVENTS):
            await self.router.update_subscriptions()
        await self._changed()

    async def on_log(self) -> None:
        """The log stored, or failed to store, events this room's state already holds:
        the dashboards see it in the state, and are alerted once when writing fails."""
        assert self.service is not None
        unwritten = bool(self.service.unwritten(self.id))
        if unwritten and not self.log_alerted:
            await self.broadcast(error("log-write-failed"), dashboards_only=True)
        self.log_alerted = unwritten
        await self._changed()

    async def _disconnect(self, participant: Participant, reason: str) -> None:
        """End one connection at once: told why, out of the room, media closed."""
        await participant.send({"type": "bye", "reason": reason})
        await self.leave(participant.id)
        if participant.disconnect is not None:
            await participant.disconnect(reason)

    async def _changed(self) -> None:
        for callback in list(self.on_change):
            await callback()

    async def close(self) -> None:
        """End the meeting: every participant is told, every transport closed."""
        if self.closed:
            return
        self.closed = True
        await self.broadcast({"type": "bye", "reason": "meeting-closed"}, admitted_only=False)
        self.participants.clear()
        await self.router.close()
        await self._changed()


class Rooms:
    """All rooms of this server, by meeting id."""

    def __init__(self, router_factory: Callable[[], Router],
                 service: MeetingService | None = None,
                 ice_servers: IceServersFor = lambda user: [], max_checks: int = 20) -> None:
        self._rooms: dict[str, Room] = {}
        self._checks: dict[str, Room] = {}  # device checks: reachable only by their socket
        self.max_checks = max_checks
        self._router_factory = router_factory
        self.service = service
        self.ice_servers = ice_servers
        self.on_open: list[Callable[[Room], None]] = []
        if service is not None:
            service.listeners.append(self._on_event)
            service.log_listeners.append(self._on_log)

    def open(self, meeting_id: str, title: str, guests: bool = False) -> Room:
        room = self._rooms.get(meeting_id)
        if room is None or room.closed:
            room = Room(meeting_id, title, self._router_factory(),
                        None if guests else self.service, self.ice_servers)
            self._rooms[meeting_id] = room
            for callback in self.on_open:
                callback(room)
        return room

    def open_check(self) -> Room | None:
        """A private room for one device check: the server sends your media back to you.
        Only the socket that opened it is ever in it (`get` does not find it, the public
        list does not show it). None when `max_checks` checks are running already."""
        if len(self._checks) >= self.max_checks:
            return None
        router = self._router_factory()
        router.echo = True
        room_id = "check-" + secrets.token_hex(6)
        room = Room(room_id, "Testa din utrustning / device check", router,
                    ice_servers=self.ice_servers, private=True)
        self._checks[room_id] = room
        for callback in self.on_open:
            callback(room)
        return room

    def check(self, room_id: str) -> Room | None:
        """A running device check by id (for tests and figures; never for joining)."""
        return self._checks.get(room_id)

    def discard(self, room: Room) -> None:
        for rooms in (self._rooms, self._checks):
            if rooms.get(room.id) is room:
                del rooms[room.id]

    def get(self, meeting_id: str) -> Room | None:
        room = self._rooms.get(meeting_id)
        if room is None and self.service is not None:
            state = self.service.meeting(meeting_id)
            if state is not None and state.phase != "closed" and state.meeting is not None:
                committee = state.committee.name if state.committee else ""
                room = self.open(meeting_id, f"{committee} {state.meeting.date}".strip())
        return room

    async def _on_event(self, meeting_id: str, event: Event) -> None:
        room = self._rooms.get(meeting_id)
        if room is not None and not room.closed:
            await room.on_event(event)

    async def _on_log(self, meeting_id: str) -> None:
        room = self._rooms.get(meeting_id)
        if room is not None and not room.closed:
            await room.on_log()

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter([*self._rooms.values(), *self._checks.values()])

    async def close_all(self) -> None:
        await asyncio.gather(*(room.close() for room in self if not room.closed))


def describe_violation(exc: RuleViolation) -> dict[str, str]:
    """A refusal for the client; `offer` names a way forward (e.g. "table-item") if any."""
    described = {"code": exc.code, "message_sv": exc.message_sv, "message_en": exc.message_en}
    if exc.offer:
        described["offer"] = exc.offer
    return described
