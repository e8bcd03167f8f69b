"""The signalling WebSocket: one per participant, JSON messages (docs/protocol.md)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import msgspec
from aiohttp import WSMsgType, web

from compliance.events import Event
from compliance.meeting import MeetingState, RuleViolation
from media.peer import NegotiationError

from . import procedure
from .invitations import InvitationRefused
from .keys import CONFIG, ROOMS, SUPERVISORS
from .messages import error
from .rooms import ROOM_ROLES, Participant, Room, Rooms, describe_violation
from .schemas import (
    Admit,
    Answer,
    CloseMeeting,
    DecideRemote,
    Envelope,
    Invalid,
    Join,
    Leave,
    MarkLeft,
    MarkPresent,
    MediaState,
    Message,
    OpenMeeting,
    ReleaseSubstitute,
    ResumeMeeting,
    ServeSubstitute,
    Stats,
    TechnicalPause,
    dumps,
    message_type,
    read_json,
    validate,
)
from .security import origin_allowed
from .views import meeting_view

logger = logging.getLogger(__name__)

WRONG_MEETING = InvitationRefused(
    "wrong_meeting", "Inbjudningslänken gäller ett annat sammanträde.",
    "The invitation link is for another meeting.")

MAX_MESSAGE_BYTES = 256 * 1024  # an offer with 40 m-lines is about 60 KiB
MAX_NAME = 80

M = TypeVar("M", bound=Message)
Handler = Callable[["Session", Any], Awaitable[None]]
Command = Callable[[MeetingState, str, str, Any], Event]


@dataclass(frozen=True)
class Route:
    """What a message type is read as, and what handles it."""

    schema: type[Message]
    handler: Handler


# Message type -> schema -> handler. Every message is read by its schema before its handler
# runs (server/schemas.py); `register` and `register_command` add entries.
ROUTES: dict[str, Route] = {}


def register(schema: type[M], handler: Callable[[Session, M], Awaitable[None]]) -> None:
    """Route the message type `schema` is declared for to `handler`."""
    kind = message_type(schema)
    if kind in ROUTES:
        raise ValueError(f"message type {kind!r} is declared twice")
    ROUTES[kind] = Route(schema, handler)


def register_command(schema: type[M],
                     command: Callable[[MeetingState, str, str, M], Event]) -> None:
    """A chair's or secretary's command: `command(state, by, at, message)` returns the event
    to append (or raises RuleViolation); `by` is the sender's own person id."""
    kind = message_type(schema)

    async def run(session: Session, message: M) -> None:
        await session.chair_command(kind, lambda s, by, at: command(s, by, at, message))

    register(schema, run)


class Session:
    """What one WebSocket may do: join once, then answer offers, report its media and,
    for the chair and secretary, run the meeting."""

    def __init__(self, ws: web.WebSocketResponse, rooms: Rooms, app: web.Application) -> None:
        self.ws = ws
        self.rooms = rooms
        self.app = app
        self.room: Room | None = None
        self.participant: Participant | None = None
        self.check_room = False
        self._time_limit: asyncio.Task[None] | None = None
        self._closing: asyncio.Future[bool] | None = None

    async def send(self, message: dict[str, Any]) -> None:
        if not self.ws.closed:
            try:
                await self.ws.send_str(dumps(message))
            except ConnectionError:
                pass

    async def handle(self, raw: str) -> None:
        """Read one message by its schema, then route it (ROUTES); a refusal is an `error`."""
        try:
            data = read_json(raw)
            kind = validate(data, Envelope).type
        except Invalid as exc:
            await self.send(refusal(exc))
            return
        if kind != "join" and self.participant is None:
            await self.send(error("not-joined", ref=kind[:64]))
            return
        route = ROUTES.get(kind)
        if route is None:
            await self.send(error("unknown-type", kind, ref=kind))
            return
        try:
            message = validate(data, route.schema)
        except Invalid as exc:
            await self.send(refusal(exc, ref=kind))
            return
        try:
            await route.handler(self, message)
        except RuleViolation as exc:
            await self.send({"type": "error", **describe_violation(exc), "ref": kind})

    async def on_join(self, message: Join) -> None:
        if self.participant is not None:
            await self.send(error("already-joined", ref="join"))
            return
        if message.check:
            await self.join_check(message)
            return
        if not message.meeting:
            await self.send(error("bad-message", "join needs 'meeting'", ref="join",
                                  field="meeting"))
            return
        meeting_id = message.meeting
        room = self.rooms.get(meeting_id)
        if room is not None and room.service is None:  # a guest room: a name is enough
            if room.closed:
                await self.send(error("meeting-closed", ref="join"))
                return
            name = " ".join((message.name or "").split())[:MAX_NAME]
            if not name:
                await self.send(error("name-required", ref="join"))
                return
            person_id = invitation_id = None
        else:
            # A meeting, or no such room: the same answers, so ids cannot be probed.
            if not message.token:
                await self.send(error("invitation-required", ref="join"))
                return
            service = self.rooms.service
            try:
                if service is None:
                    raise WRONG_MEETING
                person_id, invitation_id = service.identify(message.token, meeting_id)
            except InvitationRefused as exc:
                await self.send({"type": "error", "code": f"invitation-{exc.reason_code}",
                                 "message_sv": exc.message_sv, "message_en": exc.message_en,
                                 "ref": "join"})
                return
            if room is None or room.closed:  # the meeting exists, and is closed
                await self.send(error("meeting-closed", ref="join"))
                return
            state = room.state
            assert state is not None
            name = state.person(person_id).name
        self.room = room
        self.participant = await room.join(name, self.send, person_id=person_id,
                                           invitation_id=invitation_id, disconnect=self.end)
        if self.participant.dashboard:
            await self.send(meeting_view(room))

    async def join_check(self, message: Join) -> None:
        """The device check: a private room whose only participant gets its media back."""
        name = " ".join((message.name or "").split())[:MAX_NAME] or "Test"
        room = self.rooms.open_check()
        if room is None:
            await self.send(error("check-busy", ref="join"))
            return
        self.room = room
        self.check_room = True
        self.participant = await room.join(name, self.send)
        self._time_limit = asyncio.ensure_future(self._end_check_after(
            self.app[CONFIG].check_seconds))

    async def _end_check_after(self, seconds: float) -> None:
        """A device check needs no link, so it may not hold the server's resources for long."""
        await asyncio.sleep(seconds)
        await self.send({"type": "bye", "reason": "check-time-up"})
        await self.end("check-time-up")

    async def chair_command(self, kind: str, command: Callable[[MeetingState, str, str], Event]
                            ) -> None:
        assert self.participant is not None and self.room is not None
        if not self.participant.dashboard or self.room.service is None:
            await self.send(error("not-allowed", ref=kind))
            return
        by = self.participant.person_id
        assert by is not None
        await self.room.service.run(self.room.id, lambda s, at: command(s, by, at))
        await self.send({"type": "done", "ref": kind})

    async def on_answer(self, message: Answer) -> None:
        assert self.participant is not None
        try:
            await self.participant.peer.accept_answer(message.sdp)
        except NegotiationError as exc:
            code = "no-offer-outstanding" if str(exc) == "no-offer-outstanding" else "bad-answer"
            await self.send(error(code, str(exc), ref="answer"))

    async def on_media_state(self, message: MediaState) -> None:
        assert self.participant is not None and self.room is not None
        if message.audio is not None:
            self.participant.audio = message.audio
        if message.video is not None:
            self.participant.video = message.video
        supervisor = self.app[SUPERVISORS].get(self.room.id)
        if supervisor is not None:
            supervisor.on_media_state(self.participant)
        await self.room.broadcast({  # a lobby member is seen only by the chair and secretary
            "type": "participant-media", "participant_id": self.participant.id,
            "audio": self.participant.audio, "video": self.participant.video,
        }, dashboards_only=not self.participant.admitted)

    async def on_stats(self, message: Stats) -> None:
        assert self.participant is not None and self.room is not None
        supervisor = self.app[SUPERVISORS].get(self.room.id)
        if supervisor is not None:
            supervisor.on_downlink_report(
                self.participant, [msgspec.structs.asdict(entry) for entry in message.inbound])

    async def on_leave(self, message: Leave) -> None:
        """"Lämna mötet": a remote person's deliberate leave is a departure (recorded as
        `left`: attendance and quorum change), not a failed link. Devices in the meeting
        room (chair, secretary) only disconnect: their people are in the room."""
        try:
            await self.record_departure()
        finally:
            await self.end("left")

    async def record_departure(self) -> None:
        room, participant = self.room, self.participant
        if room is None or participant is None or room.service is None:
            return
        person_id, state = participant.person_id, room.state
        if person_id is None or state is None or participant.role in ROOM_ROLES:
            return
        if person_id in state.present or person_id in state.lobby:
            await room.service.run(room.id, lambda s, at: s.leave(person_id, at, by=person_id))

    async def end(self, reason: str) -> None:
        """Leave the room and close the socket (left, revoked link, device check's time).
        The closing handshake runs on its own: a slow client cannot hold up the caller."""
        await self.close()
        if self._closing is None:
            self._closing = asyncio.ensure_future(self.ws.close())

    async def close(self) -> None:
        if self._time_limit is not None and self._time_limit is not asyncio.current_task():
            self._time_limit.cancel()
        if self.room is not None and self.participant is not None:
            await self.room.leave(self.participant.id)
        if self.room is not None and self.check_room:
            await self.room.close()
            self.rooms.discard(self.room)
            supervisor = self.app[SUPERVISORS].pop(self.room.id, None)
            if supervisor is not None:
                await supervisor.stop()
        self.participant = None


def refusal(exc: Invalid, **extra: Any) -> dict[str, Any]:
    """The `error` for a message its schema refused: code, field, Swedish and English."""
    return {"type": "error", "code": exc.code, "message_sv": exc.message_sv,
            "message_en": exc.message_en, "field": exc.field, **extra}


register(Join, Session.on_join)
register(Answer, Session.on_answer)
register(MediaState, Session.on_media_state)
register(Stats, Session.on_stats)
register(Leave, Session.on_leave)
register_command(Admit, lambda s, by, at, m: s.admit(m.person_id, m.mode, by=by, at=at))
register_command(MarkPresent, lambda s, by, at, m: s.mark_present(m.person_id, by=by, at=at))
register_command(MarkLeft, lambda s, by, at, m: s.leave(m.person_id, at=at, reason=m.reason,
                                                        by=by))
register_command(DecideRemote, lambda s, by, at, m: s.decide_remote(
    m.person_id, m.approved, by=by, at=at))
register_command(ServeSubstitute, lambda s, by, at, m: s.serve_substitute(
    m.substitute_id, m.member_id, by=by, at=at))
register_command(ReleaseSubstitute, lambda s, by, at, m: s.release_substitute(
    m.substitute_id, by=by, at=at))
register_command(TechnicalPause, lambda s, by, at, m: (
    s.start_technical_pause if m.on else s.end_technical_pause)(m.person_id, at=at))
register_command(OpenMeeting, lambda s, by, at, m: s.open(by=by, at=at))
register_command(ResumeMeeting, lambda s, by, at, m: s.resume(by=by, at=at))
register_command(CloseMeeting, lambda s, by, at, m: s.close(by=by, at=at))
procedure.install(register)  # the procedure's messages (server/procedure.py)


async def websocket_handler(request: web.Request) -> web.StreamResponse:
    if not origin_allowed(request, request.app[CONFIG].allowed_origins):
        return web.json_response(
            {"code": "origin-not-allowed",
             "message_sv": "Anslut från Kvorums egna sidor.",
             "message_en": "Connect from Kvorum's own pages."}, status=403)
    ws = web.WebSocketResponse(heartbeat=20, max_msg_size=MAX_MESSAGE_BYTES)
    await ws.prepare(request)
    session = Session(ws, request.app[ROOMS], request.app)
    try:
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                try:
                    await session.handle(msg.data)
                except Exception:  # one bad message must never end the meeting
                    logger.exception("signalling message failed")
                    await session.send(error("bad-message", "internal error handling message"))
            elif msg.type == WSMsgType.BINARY:
                await session.send(error("binary-not-accepted"))
            elif msg.type == WSMsgType.ERROR:
                logger.info("websocket closed with %s", ws.exception())
    finally:
        await session.close()
    return ws
