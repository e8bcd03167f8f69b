"""The procedure through the server: who receives whose media (checked at the synthetic
clients, over real loopback WebRTC), the procedure messages and views, refusals as errors."""

from __future__ import annotations

from typing import Any

import pytest

from bench.synthetic import SyntheticParticipant

from .meeting_helpers import (
    close_all,
    command,
    flowing,
    next_message,
    recover,
    silent,
    start_meeting,
    steady,
)


@pytest.fixture
def server(procedure_server):  # type: ignore[no-untyped-def]
    """These tests are about the procedure, not the media thresholds: their server measures
    against the busy-machine TEST profile, passed to it explicitly (tests/conftest.py)."""
    return procedure_server


async def send(server: Any, chair: SyntheticParticipant, person: SyntheticParticipant,
               message: dict[str, Any]) -> dict[str, Any]:
    """A member's message and the server's done or error (sent again once a link failure
    that the busy machine caused has been recovered from, see `steady`)."""
    return await steady(server, chair, message, sender=person)


async def test_a_person_marked_left_who_stays_connected_receives_and_sends_nothing(server):
    chair, (member, other) = await start_meeting(
        server, [("led1", "deciding"), ("led2", "deciding")])
    try:
        assert await flowing(member, chair.id) and await flowing(chair, member.id)
        reply = await steady(server, chair, {"type": "mark-left", "person_id": "led1",
                                      "reason": "jäv § 4"})
        assert reply["type"] == "done", reply
        # the synthetic member ignores `removed` and keeps its connection open
        leaks = await silent([(member, chair), (member, other), (chair, member),
                              (other, member)])
        assert leaks == [], leaks
        assert await flowing(other, chair.id), "the rest of the meeting goes on"
    finally:
        await close_all(member, other, chair)


async def test_jav_cuts_media_both_ways_for_the_item_and_lets_the_member_back(server):
    chair, (member, other) = await start_meeting(
        server, [("led1", "deciding"), ("led2", "deciding")])
    try:
        opened = await steady(server, chair, {"type": "open-item", "item_id": "1"})
        assert opened["type"] == "done", opened
        reply = await send(server, chair, member,
                           {"type": "declare-jav", "reason": "äger fastigheten"})
        assert reply["type"] == "done", reply
        view = await next_message(member, lambda m: m["type"] == "procedure"
                                  and (m.get("you") or {}).get("jav"), timeout=15)
        assert view is not None and view["item"] == {"item_id": "1", "title": view["item"][
            "title"], "jav": True}, view["item"]  # nothing of the item
        leaks = await silent([(member, chair), (member, other), (chair, member),
                              (other, member)])
        assert leaks == [], leaks
        closed = await steady(server, chair, {"type": "close-item", "item_id": "1"})
        assert closed["type"] == "done", closed
        assert await flowing(member, chair.id) and await flowing(chair, member.id)
        assert await flowing(other, member.id)
    finally:
        await close_all(member, other, chair)


async def test_adjournment_party_groups_exchange_media_only_within_themselves(server):
    # demo roster: led1 M, led2 S; the observer ers1 S
    chair, (m_led1, s_led2, s_ers1) = await start_meeting(
        server, [("led1", "deciding"), ("led2", "deciding"), ("ers1", "attending-only")])
    people = [m_led1, s_led2, s_ers1]
    try:
        reply = await steady(server, chair, {"type": "adjourn", "groups": [["S"], ["M", "C"]],
                                      "reason": "gruppöverläggning"})
        assert reply["type"] == "done", reply
        cut = [(m_led1, s_led2), (m_led1, s_ers1), (s_led2, m_led1), (s_ers1, m_led1)]
        cut += [(p, chair) for p in people] + [(chair, p) for p in people]
        leaks = await silent(cut)
        assert leaks == [], leaks
        assert await flowing(s_led2, s_ers1.id) and await flowing(s_ers1, s_led2.id)
        assert (await steady(server, chair, {"type": "end-adjournment"}))["type"] == "done"
        assert await flowing(m_led1, s_led2.id) and await flowing(m_led1, chair.id)
        assert await flowing(chair, s_ers1.id)
    finally:
        await close_all(*people, chair)


async def test_members_and_the_chair_run_an_item_through_messages(server):
    chair, (member, observer) = await start_meeting(
        server, [("led1", "deciding"), ("ers1", "attending-only")])
    try:
        opened = await steady(server, chair, {"type": "open-item", "item_id": "1"})
        assert opened["type"] == "done", opened
        assert (await send(server, chair, member, {"type": "request-floor"}))["type"] == "done"
        refused = await send(server, chair, member, {"type": "give-floor", "person_id": "led1"})
        assert refused["type"] == "error" and refused["code"] == "not-allowed"
        assert (await steady(server, chair, {"type": "give-floor", "person_id": "led1"}))[
            "type"] == "done"
        view = await next_message(observer, lambda m: m["type"] == "procedure" and (
            m["item"] or {}).get("speakers", {}).get("current"), timeout=15)
        assert view is not None
        assert view["item"]["speakers"]["current"]["person_id"] == "led1"
        assert view["item"]["speakers"]["current"]["participant_id"] == member.id

        made = await send(server, chair, member,
                          {"type": "propose", "text": "Avslag på förslaget."})
        assert made["type"] == "done", made
        refused = await send(server, chair, observer, {"type": "propose", "text": "Bifall"})
        assert refused["type"] == "error" and refused["code"] == "not_deciding"
        assert "message_sv" in refused and "message_en" in refused
        bad = await send(server, chair, member, {"type": "vote", "choice": "kanske"})
        assert bad["type"] == "error" and bad["code"] == "bad-message"

        state_msg = await next_message(chair, lambda m: m["type"] == "meeting-state" and (
            m.get("procedure") or {}).get("equal_terms") is not None, timeout=15)
        assert state_msg is not None and state_msg["procedure"]["equal_terms"]["ok"] is True
        assert state_msg["profile"]["id"] == "today"
    finally:
        await close_all(member, observer, chair)


async def test_a_secret_ballot_refusal_offers_to_table_the_item(server):
    chair, (member, second) = await start_meeting(
        server, [("led1", "deciding"), ("led2", "deciding")])
    try:
        for message in ({"type": "mark-present", "person_id": "led4"},  # quorate: 4 of 7
                        {"type": "open-item", "item_id": "1"},
                        {"type": "state-draft", "text": "Nämnden väljer Anna Berg."}):
            assert (await steady(server, chair, message))["type"] == "done", message
        made = await send(server, chair, member,
                          {"type": "propose", "text": "Nämnden väljer Bo Ek."})
        assert made["type"] == "done", made
        for message in ({"type": "end-deliberation"}, {"type": "confirm-equal-terms"},
                        {"type": "set-proposition-order", "order": ["1.1", "1.2"]},
                        {"type": "put-question", "finding": "1.1"}):
            reply = await steady(server, chair, message)
            assert reply["type"] == "done", (message, reply)
        await recover(server, chair)
        refused = await command(chair, {"type": "start-vote", "secret": True})
        assert refused["type"] == "error" and refused["code"] == "secret_ballot_remote"
        assert refused["offer"] == "table-item"
        tabled = await steady(server, chair, {"type": "table-item", "item_id": "1",
                                       "reason": "sluten omröstning"})
        assert tabled["type"] == "done"
        assert server.service.meeting("demo").agenda.items["1"].status == "tabled"
    finally:
        await close_all(member, second, chair)
