"""The signalling WebSocket: one per participant, JSON messages (docs/protocol.md)."""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import WSMsgType, web

from media.peer import NegotiationError

from .messages import error
from .rooms import Participant, Room, Rooms

logger = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 256 * 1024  # an offer with 40 m-lines is about 60 KiB
MAX_NAME = 80


class Session:
    """What one WebSocket may do: join once, then answer offers and report its media."""

    def __init__(self, ws: web.WebSocketResponse, rooms: Rooms) -> None:
        self.ws = ws
        self.rooms = rooms
        self.room: Room | None = None
        self.participant: Participant | None = None

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
        handler = getattr(self, "on_" + kind.replace("-", "_"), None)
        if handler is None:
            await self.send(error("unknown-type", kind, ref=kind))
            return
        if kind != "join" and self.participant is None:
            await self.send(error("not-joined", ref=kind))
            return
        await handler(message)

    async def on_join(self, message: dict[str, Any]) -> None:
        if self.participant is not None:
            await self.send(error("already-joined", ref="join"))
            return
        meeting_id, name = message.get("meeting"), message.get("name")
        if not isinstance(meeting_id, str) or not isinstance(name, str):
            await self.send(error("bad-message", "join needs 'meeting' and 'name'", ref="join"))
            return
        name = " ".join(name.split())[:MAX_NAME]
        if not name:
            await self.send(error("name-required", ref="join"))
            return
        room = self.rooms.get(meeting_id)
        if room is None:
            await self.send(error("no-such-meeting", ref="join"))
            return
        if room.closed:
            await self.send(error("meeting-closed", ref="join"))
            return
        self.room = room
        self.participant = await room.join(name, self.send)

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
        await self.room.broadcast({
            "type": "participant-media", "participant_id": self.participant.id,
            "audio": self.participant.audio, "video": self.participant.video,
        })

    async def on_leave(self, message: dict[str, Any]) -> None:
        await self.close()
        await self.ws.close()

    async def close(self) -> None:
        if self.room is not None and self.participant is not None:
            await self.room.leave(self.participant.id)
        self.participant = None


async def websocket_handler(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(heartbeat=20, max_msg_size=MAX_MESSAGE_BYTES)
    await ws.prepare(request)
    session = Session(ws, request.app["rooms"])
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
