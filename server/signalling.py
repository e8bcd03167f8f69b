"""The signalling WebSocket: one per participant, JSON messages (docs/protocol.md)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from aiohttp import WSMsgType, web

from compliance.events import REMOTE_MODES
from compliance.meeting import MeetingState, RuleViolation
from media.peer import NegotiationError

from .invitations import InvitationRefused
from .keys import ROOMS, SUPERVISORS
from .messages import error
from .rooms import ROOM_ROLES, Participant, Room, Rooms, describe_violation
from .views import meeting_view

logger = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 256 * 1024  # an offer with 40 m-lines is about 60 KiB
MAX_NAME = 80

# Chair and secretary commands: message type -> (the state method it calls, its fields).
CHAIR_COMMANDS: dict[str, Callable[[MeetingState, str, str, dict[str, Any]], Any]] = {
    "admit": lambda s, by, at, m: s.admit(_str(m, "person_id"), _mode(m), by=by, at=at),
    "mark-present": lambda s, by, at, m: s.mark_present(_str(m, "person_id"), by=by, at=at),
    "mark-left": lambda s, by, at, m: s.leave(_str(m, "person_id"), at=at, by=by,
                                              reason=str(m.get("reason", ""))[:200]),
    "decide-remote": lambda s, by, at, m: s.decide_remote(
        _str(m, "person_id"), bool(m.get("approved")), by=by, at=at),
    "serve-substitute": lambda s, by, at, m: s.serve_substitute(
        _str(m, "substitute_id"), _str(m, "member_id"), by=by, at=at),
    "release-substitute": lambda s, by, at, m: s.release_substitute(
        _str(m, "substitute_id"), by=by, at=at),
    "technical-pause": lambda s, by, at, m: (
        s.start_technical_pause if m.get("on") else s.end_technical_pause)(
        _str(m, "person_id"), at=at),
    "open-meeting": lambda s, by, at, m: s.open(by=by, at=at),
    "resume-meeting": lambda s, by, at, m: s.resume(by=by, at=at),
    "close-meeting": lambda s, by, at, m: s.close(by=by, at=at),
}


class BadField(ValueError):
    pass


def _str(message: dict[str, Any], name: str) -> str:
    value = message.get(name)
    if not isinstance(value, str) or not value:
        raise BadField(f"'{name}' must be a non-empty string")
    return value


def _mode(message: dict[str, Any]) -> Any:
    mode = message.get("mode", "deciding")
    if mode not in REMOTE_MODES:
        raise BadField(f"'mode' must be one of {', '.join(REMOTE_MODES)}")
    return mode


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

    async def send(self, message: dict[str, Any]) -> None:
        if not self.ws.closed:
            try:
                await self.ws.send_json(message)
            except ConnectionError:
                pass

    async def handle(self, raw: str) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            await self.send(error("bad-json"))
            return
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            await self.send(error("bad-message", "expected an object with a string 'type'"))
            return
        kind = message["type"]
        if kind != "join" and self.participant is None:
            await self.send(error("not-joined", ref=kind))
            return
        try:
            if kind in CHAIR_COMMANDS:
                await self.chair_command(kind, message)
                return
            handler = getattr(self, "on_" + kind.replace("-", "_"), None)
            if handler is None:
                await self.send(error("unknown-type", kind, ref=kind))
                return
            await handler(message)
        except BadField as exc:
            await self.send(error("bad-message", str(exc), ref=kind))
        except RuleViolation as exc:
            await self.send({"type": "error", **describe_violation(exc), "ref": kind})

    async def on_join(self, message: dict[str, Any]) -> None:
        if self.participant is not None:
            await self.send(error("already-joined", ref="join"))
            return
        if message.get("check") is True:
            await self.join_check(message)
            return
        meeting_id = message.get("meeting")
        if not isinstance(meeting_id, str):
            await self.send(error("bad-message", "join needs 'meeting'", ref="join"))
            return
        room = self.rooms.get(meeting_id)
        if room is None:
            await self.send(error("no-such-meeting", ref="join"))
            return
        if room.closed:
            await self.send(error("meeting-closed", ref="join"))
            return
        if room.service is None:  # a guest room: a name is enough
            name = message.get("name")
            name = " ".join(name.split())[:MAX_NAME] if isinstance(name, str) else ""
            if not name:
                await self.send(error("name-required", ref="join"))
                return
            person_id = None
        else:
            token = message.get("token")
            if not isinstance(token, str) or not token:
                await self.send(error("invitation-required", ref="join"))
                return
            try:
                person_id = room.service.verify_invitation(token, meeting_id)
            except InvitationRefused as exc:
                await self.send({"type": "error", "code": f"invitation-{exc.reason_code}",
                                 "message_sv": exc.message_sv, "message_en": exc.message_en,
                                 "ref": "join"})
                return
            state = room.state
            assert state is not None
            name = state.person(person_id).name
        self.room = room
        self.participant = await room.join(name, self.send, person_id=person_id)
        if self.participant.dashboard:
            await self.send(meeting_view(room))

    async def join_check(self, message: dict[str, Any]) -> None:
        """The device check: a private room whose only participant gets its media back."""
        name = message.get("name")
        if not isinstance(name, str) or not name.strip():
            name = "Test"
        name = " ".join(name.split())[:MAX_NAME]
        self.room = self.rooms.open_check()
        self.check_room = True
        self.participant = await self.room.join(name, self.send)

    async def chair_command(self, kind: str, message: dict[str, Any]) -> None:
        assert self.participant is not None and self.room is not None
        if not self.participant.dashboard or self.room.service is None:
            await self.send(error("not-allowed", ref=kind))
            return
        by = self.participant.person_id
        assert by is not None
        command = CHAIR_COMMANDS[kind]
        await self.room.service.run(self.room.id, lambda s, at: command(s, by, at, message))
        await self.send({"type": "done", "ref": kind})

    async def on_answer(self, message: dict[str, Any]) -> None:
        sdp = message.get("sdp")
        if not isinstance(sdp, str):
            await self.send(error("bad-message", "answer needs 'sdp'", ref="answer"))
            return
        assert self.participant is not None
        try:
            await self.participant.peer.accept_answer(sdp)
        except NegotiationError as exc:
            code = "no-offer-outstanding" if str(exc) == "no-offer-outstanding" else "bad-answer"
            await self.send(error(code, str(exc), ref="answer"))

    async def on_media_state(self, message: dict[str, Any]) -> None:
        assert self.participant is not None and self.room is not None
        for kind in ("audio", "video"):
            if isinstance(message.get(kind), bool):
                setattr(self.participant, kind, message[kind])
        supervisor = self.app[SUPERVISORS].get(self.room.id)
        if supervisor is not None:
            supervisor.on_media_state(self.participant)
        await self.room.broadcast({
            "type": "participant-media", "participant_id": self.participant.id,
            "audio": self.participant.audio, "video": self.participant.video,
        })

    async def on_stats(self, message: dict[str, Any]) -> None:
        assert self.participant is not None and self.room is not None
        inbound = message.get("inbound")
        if not isinstance(inbound, list):
            await self.send(error("bad-message", "stats needs a list 'inbound'", ref="stats"))
            return
        supervisor = self.app[SUPERVISORS].get(self.room.id)
        if supervisor is not None:
            supervisor.on_downlink_report(self.participant, inbound)

    async def on_leave(self, message: dict[str, Any]) -> None:
        """"Lämna mötet": a remote person's deliberate leave is a departure (recorded as
        `left`: attendance and quorum change), not a failed link. Devices in the meeting
        room (chair, secretary) only disconnect: their people are in the room."""
        try:
            await self.record_departure()
        finally:
            await self.close()
            await self.ws.close()

    async def record_departure(self) -> None:
        room, participant = self.room, self.participant
        if room is None or participant is None or room.service is None:
            return
        person_id, state = participant.person_id, room.state
        if person_id is None or state is None or participant.role in ROOM_ROLES:
            return
        if person_id in state.present or person_id in state.lobby:
            await room.service.run(room.id, lambda s, at: s.leave(person_id, at, by=person_id))

    async def close(self) -> None:
        if self.room is not None and self.participant is not None:
            await self.room.leave(self.participant.id)
        if self.room is not None and self.check_room:
            await self.room.close()
            self.rooms.discard(self.room)
            supervisor = self.app[SUPERVISORS].pop(self.room.id, None)
            if supervisor is not None:
                await supervisor.stop()
        self.participant = None


async def websocket_handler(request: web.Request) -> web.WebSocketResponse:
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
