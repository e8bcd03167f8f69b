"""The secretary's API for the agenda and the rule profile, against a real server."""

from __future__ import annotations

import pytest

from server.demo import DEMO_MEETING

from .test_api import ERROR_KEYS, Client, log_length, token_of


@pytest.fixture
def api(server):  # type: ignore[no-untyped-def]
    return Client(server)


BASE = f"/api/meetings/{DEMO_MEETING}"


async def test_the_secretary_adds_changes_moves_and_removes_items(api, server):
    status, agenda, _ = await api.call("GET", f"{BASE}/agenda")
    assert status == 200
    titles = [i["title"] for i in agenda["items"]]
    assert titles[0] == "Mötets öppnande och upprop" and agenda["current"] is None
    assert agenda["profile"]["id"] == "today"

    status, item, _ = await api.call("POST", f"{BASE}/agenda", json={
        "title": "Bygglov kv. Eken", "kind": "decision",
        "draft": "Nämnden beviljar bygglov.", "position": 2})
    assert status == 201, item
    assert item == {"item_id": "6", "title": "Bygglov kv. Eken", "kind": "decision",
                    "draft": "Nämnden beviljar bygglov.", "status": "pending",
                    "opened_at": None, "closed_at": None, "position": 2}
    secretary = token_of(server, DEMO_MEETING, "sekr")
    status, item, _ = await api.call("PATCH", f"{BASE}/agenda/6", key=None, token=secretary,
                                     json={"kind": "election", "title": "Val av ombud"})
    assert status == 200 and (item["title"], item["kind"]) == ("Val av ombud", "election")
    assert item["draft"] == "Nämnden beviljar bygglov."
    status, agenda, _ = await api.call("POST", f"{BASE}/agenda/6/move", json={"position": 0})
    assert status == 200 and agenda["items"][0]["item_id"] == "6"
    status, agenda, _ = await api.call("DELETE", f"{BASE}/agenda/6")
    assert status == 200 and "6" not in [i["item_id"] for i in agenda["items"]]
    events = [e.type for e in server.service.log.events(DEMO_MEETING)][-4:]
    assert events == ["agenda_item_added", "agenda_item_changed", "agenda_item_moved",
                      "agenda_item_removed"]
    added = next(e for e in server.service.log.events(DEMO_MEETING)
                 if e.type == "agenda_item_added")
    assert added.by == ""  # the secretariat's key; the secretary's token records "sekr"
    changed = next(e for e in server.service.log.events(DEMO_MEETING)
                   if e.type == "agenda_item_changed")
    assert changed.by == "sekr"


async def test_agenda_refusals_say_why_and_write_nothing(api, server):
    before = log_length(server)
    cases = [
        ("POST", f"{BASE}/agenda", {"title": ""}, 422, "invalid_input"),
        ("POST", f"{BASE}/agenda", {"title": "X", "kind": "lunch"}, 422, "invalid_input"),
        ("POST", f"{BASE}/agenda", {"title": "X", "position": 99}, 422, "invalid_position"),
        ("PATCH", f"{BASE}/agenda/99", {"title": "X"}, 404, "unknown_item"),
        ("POST", f"{BASE}/agenda/1/move", {}, 422, "invalid_input"),
    ]
    for method, path, body, status, code in cases:
        got, answer, _ = await api.call(method, path, json=body)
        assert (got, answer["code"]) == (status, code), (path, body, answer)
        assert set(answer) >= ERROR_KEYS
    member = token_of(server, DEMO_MEETING, "led1")
    got, answer, _ = await api.call("POST", f"{BASE}/agenda", key=None, token=member,
                                    json={"title": "X"})
    assert (got, answer["code"]) == (403, "forbidden")
    assert log_length(server) == before


async def test_an_opened_item_can_no_longer_be_edited(api, server):
    state = server.service.meeting(DEMO_MEETING)
    for make in (lambda s, at: s.mark_present("ordf", by="ordf", at=at),
                 lambda s, at: s.open(by="ordf", at=at)):
        await server.service.run(DEMO_MEETING, make)
    from compliance import agenda

    await server.service.run(DEMO_MEETING,
                             lambda s, at: agenda.open_item(s, "1", by="ordf", at=at))
    got, answer, _ = await api.call("PATCH", f"{BASE}/agenda/1", json={"title": "Nytt"})
    assert (got, answer["code"]) == (409, "item_not_pending")
    assert state.agenda.items["1"].title == "Mötets öppnande och upprop"


async def test_the_profile_is_chosen_by_id_before_the_meeting_opens(api, server):
    status, profiles, _ = await api.call("GET", "/api/profiles", key=None)
    assert status == 200
    assert [p["id"] for p in profiles] == ["today", "reform", "seed-half"]
    got, answer, _ = await api.call("PUT", f"{BASE}/profile", json={"profile_id": "nej"})
    assert (got, answer["code"]) == (422, "unknown_profile")
    got, answer, _ = await api.call("PUT", f"{BASE}/profile", json={"profile_id": "seed-half"})
    assert got == 200 and answer["id"] == "seed-half"
    state = server.service.meeting(DEMO_MEETING)
    assert not state.rules.quorum_more_than_half
    status, meeting, _ = await api.call("GET", f"{BASE}")
    assert meeting["meeting"]["profile"] == "seed-half"

    status, created, _ = await api.call("POST", "/api/committees/demonamnden/meetings", json={
        "date": "2031-05-20", "time": "18:00", "place": "Rådhuset", "profile": "reform"})
    assert status == 201 and created["profile"] == "reform"
    assert server.service.meeting(created["id"]).rules.secret_ballot_with_remote == (
        "count-outside")

    await server.service.run(DEMO_MEETING, lambda s, at: s.mark_present("ordf", by="ordf", at=at))
    await server.service.run(DEMO_MEETING, lambda s, at: s.open(by="ordf", at=at))
    got, answer, _ = await api.call("PUT", f"{BASE}/profile", json={"profile_id": "today"})
    assert (got, answer["code"]) == (409, "profile_locked")


async def test_the_suspension_names_its_person_as_the_websocket_does(api, server):
    for make in (lambda s, at: s.mark_present("ordf", by="ordf", at=at),
                 lambda s, at: s.open(by="ordf", at=at),
                 lambda s, at: s.suspend(at, participant="led1", code="video.freeze",
                                       params={"value": 1.4})):
        await server.service.run(DEMO_MEETING, make)
    _, summary, _ = await api.call("GET", BASE)
    assert summary["suspension"]["person_id"] == "led1"
    assert "participant" not in summary["suspension"]
    assert summary["suspension"]["name"] == "Karin Lind" and summary["suspension"]["sv"]
