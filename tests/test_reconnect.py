"""A remote member's network drops for 3 s, over real WebRTC: the meeting is suspended, the
member rejoins with the same link, is back at once with the same attendance record and one
participant (the dead connection replaced), the link is restored and the chair resumes."""

from __future__ import annotations

import asyncio

from bench.synthetic import SyntheticParticipant

from .meeting_helpers import (
    MEETING,
    close_all,
    command,
    link_failed,
    next_message,
    start_meeting,
    token,
)


async def wait_for(predicate, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.1)
    return True


async def test_a_member_whose_network_drops_for_3_s_is_back_as_before(server):
    chair, (member, other) = await start_meeting(server, [("led1", "deciding"),
                                                          ("led2", "deciding")])
    state = server.service.meeting(MEETING)
    room = server.rooms.get(MEETING)
    back: SyntheticParticipant | None = None
    try:
        events_before = [e for e in server.service.log.events(MEETING)
                         if getattr(e, "person_id", None) == "led1"]
        presence_before = state.present["led1"]
        since = len(chair.messages)
        member.lose_packets(1.0)  # the network goes: nothing arrives, nothing is closed
        suspend = await next_message(chair, link_failed("led1"), 10, since)
        assert suspend is not None, "the dropped link did not suspend the meeting"
        assert await wait_for(lambda: state.phase == "suspended", 5)
        assert state.decision_block() is not None
        await asyncio.sleep(3.0 - 1.5)  # the rest of the 3 s

        # The member's client gives up on the dead connection and rejoins with its link.
        back = SyntheticParticipant(server.base_url, MEETING, "led1", mark=1, decode=False,
                                    token=token(server, "led1"))
        await back.join()
        assert back.welcome["admitted"] is True, "a present member must not wait in the lobby"
        assert [p.id for p in room.connected("led1")] == [back.id], "duplicate participant"
        restored = await next_message(
            chair, lambda m: m["type"] == "meeting-state" and m["restorable"], 30)
        assert restored, "the link was never restored"
        reply = await command(chair, {"type": "resume-meeting"})
        assert reply["type"] == "done", reply
        block = state.decision_block()  # (3 of 7 members here: not quorate, nothing else)
        assert state.phase == "open" and block is not None and block.code == "not_quorate"

        events = [e for e in server.service.log.events(MEETING)
                  if getattr(e, "person_id", None) == "led1"]
        added = [e.type for e in events[len(events_before):]]
        assert added == ["link_failed", "link_restored"], added
        after = state.present["led1"]
        assert (after.where, after.mode, after.counts) == (
            presence_before.where, presence_before.mode, presence_before.counts)
        # the others see one Karin Lind
        assert await wait_for(lambda: [p for p in other.participants.values()
                                       if p.get("person_id") == "led1"] != [], 10)
        assert len([p for p in other.participants.values()
                    if p.get("person_id") == "led1"]) == 1
    finally:
        await close_all(*(p for p in (back, member, other, chair) if p is not None))
