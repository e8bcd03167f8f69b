"""The secretary's HTTP API against a real server: every endpoint, and every refusal."""

from __future__ import annotations

import csv
import io
import stat
import time
from datetime import date, timedelta
from typing import Any

import aiohttp
import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from server.auth import load_admin_key
from server.demo import DEMO_COMMITTEE, DEMO_MEETING, REMOTE_APPROVED
from server.keys import ADMIN_KEY

ERROR_KEYS = {"code", "message_sv", "message_en"}


class Client:
    """Calls the running server; answers (status, JSON or text, headers)."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.key = server.app[ADMIN_KEY]

    async def call(self, method: str, path: str, *, key: str | None = "admin",
                   token: str | None = None, json: Any = None, data: str | bytes | None = None,
                   headers: dict[str, str] | None = None) -> tuple[int, Any, Any]:
        hdrs = dict(headers or {})
        if key == "admin":
            hdrs["Authorization"] = f"Bearer {self.key}"
        elif key is not None:
            hdrs["Authorization"] = f"Bearer {key}"
        if token is not None:
            hdrs["X-Kvorum-Token"] = token
        async with aiohttp.ClientSession() as session, session.request(
                method, self.server.base_url + path, json=json, data=data,
                headers=hdrs) as resp:
            if resp.content_type == "application/json":
                body: Any = await resp.json()
            else:
                body = await resp.text()
            return resp.status, body, resp.headers


@pytest.fixture
def api(server):  # type: ignore[no-untyped-def]
    return Client(server)


def token_of(server: Any, meeting_id: str, person_id: str) -> str:
    """A fresh token for the person's first working invitation to the meeting."""
    state = server.service.meeting(meeting_id)
    for invitation_id, pid in state.invitations.items():
        if pid == person_id and invitation_id not in state.revoked:
            return server.service.token_for(meeting_id, invitation_id)
    raise AssertionError(f"{person_id} has no invitation to {meeting_id}")


def log_length(server: Any) -> int:
    return len(server.service.log.all_events())


async def new_meeting(server: Any, meeting_id: str, days_ahead: int) -> None:
    """Another meeting of the demo committee `days_ahead` days from today, some invited."""
    day = (date.today() + timedelta(days=days_ahead)).isoformat()
    status, body, _ = await Client(server).call(
        "POST", f"/api/committees/{DEMO_COMMITTEE}/meetings",
        json={"id": meeting_id, "date": day, "time": "18:00", "place": "Sessionssalen",
              "agenda": ["Upprop"]})
    assert status == 201, body
    for person_id in ("ordf", "led1", "led3", "sekr", "ers1"):
        await server.service.issue_invitation(meeting_id, person_id)


def assert_refusal(body: Any) -> None:
    """A refusal says why in both languages and nothing else (no meeting data)."""
    assert isinstance(body, dict) and set(body) == ERROR_KEYS, body
    assert body["message_sv"] and body["message_en"]


# -- admin key --------------------------------------------------------------------------------


async def test_admin_key_is_made_once_0600_beside_the_signing_key(server, tmp_path):
    path = tmp_path / "admin.key"
    assert (tmp_path / "secret.key").exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().strip() == server.app[ADMIN_KEY]
    assert len(server.app[ADMIN_KEY]) >= 40
    assert load_admin_key(path) == server.app[ADMIN_KEY]  # kept across restarts


ADMIN_ENDPOINTS = [
    ("GET", "/api/committees", None),
    ("POST", "/api/committees", {"id": "x", "name": "X"}),
    ("GET", f"/api/committees/{DEMO_COMMITTEE}", None),
    ("POST", f"/api/committees/{DEMO_COMMITTEE}/people",
     {"name": "Ny", "role": "ledamot", "party": "S", "email": "ny@example.se"}),
    ("POST", f"/api/committees/{DEMO_COMMITTEE}/roster", None),
    ("GET", f"/api/committees/{DEMO_COMMITTEE}/meetings", None),
    ("POST", f"/api/committees/{DEMO_COMMITTEE}/meetings",
     {"date": "2031-01-01", "time": "18:00", "place": "Salen"}),
]


@pytest.mark.parametrize("method,path,body", ADMIN_ENDPOINTS)
async def test_secretariat_endpoints_refuse_without_the_right_key(api, server, method, path,
                                                                   body):
    before = log_length(server)
    for key, code in ((None, "key_required"), ("wrong-key-" + "x" * 30, "wrong_key")):
        status, answer, headers = await api.call(method, path, key=key, json=body)
        assert status == 401, answer
        assert_refusal(answer)
        assert answer["code"] == code
        assert headers["WWW-Authenticate"].startswith("Bearer")
    # a personal token, even the secretary's, does not open the secretariat's endpoints
    status, answer, _ = await api.call(method, path, key=None,
                                       token=token_of(server, DEMO_MEETING, "sekr"), json=body)
    assert status == 401
    assert_refusal(answer)
    status, answer, _ = await api.call(method, path, key=None,
                                       headers={"Authorization": "Basic abc"}, json=body)
    assert status == 401 and answer["code"] == "bad_authorization"
    assert log_length(server) == before


# -- committees, rosters, meetings ------------------------------------------------------------


async def test_committee_person_and_meeting_are_created_and_listed(api):
    status, committee, _ = await api.call("POST", "/api/committees", json={
        "name": "Barn- och utbildningsnämnden", "party_order": ["S", "M", "C"]})
    assert status == 201, committee
    assert committee["id"] == "barn-och-utbildningsnamnden"
    assert committee["party_order"] == ["S", "M", "C"] and committee["people"] == []
    cid = committee["id"]

    status, person, _ = await api.call("POST", f"/api/committees/{cid}/people", json={
        "name": "Åsa Öberg", "role": "Ordförande", "party": "S", "email": "asa@kommun.se"})
    assert status == 201, person
    assert person == {"id": "asa-oberg", "name": "Åsa Öberg", "role": "ordförande",
                      "role_en": "chair", "party": "S", "substitute_order": None,
                      "email": "asa@kommun.se"}
    status, person, _ = await api.call("POST", f"/api/committees/{cid}/people", json={
        "id": "ers-m-1", "name": "Bo Ek", "role": "ersättare", "party": "M",
        "substitute_order": "1", "email": "bo@kommun.se"})
    assert status == 201 and person["substitute_order"] == 1

    status, meeting, _ = await api.call("POST", f"/api/committees/{cid}/meetings", json={
        "date": "2031-03-12", "time": "13:30", "place": "Lilla salen",
        "agenda": ["Upprop", "Budget", ""]})
    assert status == 201, meeting
    assert meeting["id"] == f"{cid}-2031-03-12"
    assert meeting["agenda"] == ["Upprop", "Budget"]
    assert meeting["phase"] == "scheduled" and meeting["request_deadline"] == "2031-03-08"
    assert meeting["committee_name"] == "Barn- och utbildningsnämnden"

    status, listed, _ = await api.call("GET", f"/api/committees/{cid}/meetings")
    assert status == 200 and [m["id"] for m in listed] == [meeting["id"]]
    status, got, _ = await api.call("GET", f"/api/committees/{cid}")
    assert [p["id"] for p in got["people"]] == ["asa-oberg", "ers-m-1"]
    assert [m["id"] for m in got["meetings"]] == [meeting["id"]]
    status, committees, _ = await api.call("GET", "/api/committees")
    assert {"id": cid, "name": "Barn- och utbildningsnämnden", "party_order": ["S", "M", "C"],
            "people": 2, "meetings": 1} in committees
    assert any(c["id"] == DEMO_COMMITTEE for c in committees)


async def test_rules_and_bad_input_are_refused_and_nothing_is_written(api, server):
    before = log_length(server)
    status, answer, _ = await api.call("POST", "/api/committees",
                                       json={"id": DEMO_COMMITTEE, "name": "Igen"})
    assert status == 409 and answer["code"] == "id_taken"
    status, answer, _ = await api.call("POST", "/api/committees",
                                       json={"id": "Fel Id!", "name": "", "party_order": "S,M"})
    assert status == 422 and answer["code"] == "invalid_input"
    assert {p["field"] for p in answer["problems"]} == {"id", "name", "party_order"}
    status, answer, _ = await api.call("POST", f"/api/committees/{DEMO_COMMITTEE}/people", json={
        "name": "", "role": "kassör", "email": "nope"})
    assert status == 422
    assert len(answer["problems"]) == 3  # name, role and e-mail, all at once
    status, answer, _ = await api.call("POST", f"/api/committees/{DEMO_COMMITTEE}/people", json={
        "name": "Ny Ordf", "role": "ordförande", "party": "M",
        "email": "ordf@demonamnden.example"})
    assert status == 409 and answer["code"] == "roster_conflict"
    assert "Eva Ek" in answer["message_sv"] and "chair" in answer["message_en"]
    status, answer, _ = await api.call("POST", f"/api/committees/{DEMO_COMMITTEE}/meetings",
                                       json={"date": "12/3", "time": "25:99"})
    assert status == 422 and {p["field"] for p in answer["problems"]} == {"date", "time", "place"}
    status, answer, _ = await api.call("POST", f"/api/committees/{DEMO_COMMITTEE}/meetings",
                                       json={"date": "2031-02-30", "time": "18:00", "place": "S"})
    assert status == 422 and answer["problems"][0]["field"] == "date"
    assert "2031-02-30" in answer["message_sv"]
    status, answer, _ = await api.call("GET", "/api/committees/finns-inte")
    assert status == 404 and answer["code"] == "unknown_committee"
    assert log_length(server) == before


@pytest.mark.parametrize("data,message", [
    ('{"name": "X",', "line 1"),
    ("[1, 2]", "JSON object"),
    ("", "no body"),
    (b"\xff\xfe{}", "UTF-8"),
])
async def test_malformed_json_is_refused_with_400(api, server, data, message):
    before = log_length(server)
    status, answer, _ = await api.call("POST", "/api/committees", data=data,
                                       headers={"Content-Type": "application/json"})
    assert status == 400 and answer["code"] == "bad_json"
    assert message in answer["message_en"] and answer["message_sv"]
    assert log_length(server) == before


# -- roster CSV import --------------------------------------------------------------------------

GOOD_CSV = """\ufeffnamn;roll;parti;ordning;e-post
Anna Lind;ordförande;S;;anna@kommun.se
Björn Åkesson;ledamot;M;;bjorn@kommun.se
Cecilia Dahl;ledamot;C;;cecilia@kommun.se
Anna Lind;ersättare;S;1;anna.lind2@kommun.se
Tove Sjö;sekreterare;;;tove@kommun.se
"""


async def make_committee(api: Client, cid: str = "kultur") -> str:
    status, body, _ = await api.call("POST", "/api/committees",
                                     json={"id": cid, "name": "Kulturnämnden",
                                           "party_order": ["S", "M", "C"]})
    assert status == 201, body
    return cid


async def test_roster_csv_is_imported_with_ids_and_line_numbers(api):
    cid = await make_committee(api)
    status, answer, _ = await api.call("POST", f"/api/committees/{cid}/roster",
                                       data=GOOD_CSV.encode(),
                                       headers={"Content-Type": "text/csv"})
    assert status == 201, answer
    assert answer["count"] == 5
    assert [(p["id"], p["line"]) for p in answer["added"]] == [
        ("anna-lind", 2), ("bjorn-akesson", 3), ("cecilia-dahl", 4), ("anna-lind-2", 5),
        ("tove-sjo", 6)]
    status, committee, _ = await api.call("GET", f"/api/committees/{cid}")
    assert [p["role"] for p in committee["people"]] == [
        "ordförande", "ledamot", "ledamot", "ersättare", "sekreterare"]


async def test_roster_csv_in_windows_1252_is_read(api):
    cid = await make_committee(api)
    text = "name,role,party,order,email\nÖrjan Ström,ledamot,V,,orjan@kommun.se\n"
    status, answer, _ = await api.call("POST", f"/api/committees/{cid}/roster",
                                       data=text.encode("cp1252"))
    assert status == 201 and answer["added"][0]["name"] == "Örjan Ström"


async def test_roster_csv_errors_are_all_reported_and_nobody_is_added(api, server):
    cid = await make_committee(api)
    bad = ("namn;roll;parti;ordning;e-post\n"
           "Anna Lind;ordförande;S;;anna@kommun.se\n"
           ";ledamot;M;;bjorn@kommun.se\n"
           "Cecilia Dahl;kassör;C;;cecilia@kommun.se\n"
           "Dan Berg;ersättare;S;två;dan@kommun.se\n"
           "Eva Holm;ledamot;;;anna@kommun.se\n")
    before = log_length(server)
    status, answer, _ = await api.call("POST", f"/api/committees/{cid}/roster", data=bad)
    assert status == 422 and answer["code"] == "invalid_roster"
    assert "ingen person lades till" in answer["message_sv"]
    lines = [p["line"] for p in answer["problems"]]
    assert sorted(set(lines)) == [3, 4, 5, 6]
    assert any("namn saknas" in p["message_sv"] for p in answer["problems"])
    assert any(p["line"] == 6 and "e-mail address already on line 2" in p["message_en"]
               for p in answer["problems"])
    assert log_length(server) == before
    status, committee, _ = await api.call("GET", f"/api/committees/{cid}")
    assert committee["people"] == []

    status, answer, _ = await api.call("POST", f"/api/committees/{cid}/roster",
                                       data="namn;roll\nAnna;ledamot\n")
    assert status == 422 and answer["problems"][0]["line"] == 1
    assert "missing column" in answer["problems"][0]["message_en"]
    status, answer, _ = await api.call("POST", f"/api/committees/{cid}/roster",
                                       data="namn;roll;parti;ordning;e-post\n")
    assert status == 422 and answer["code"] == "empty_roster"


async def test_roster_csv_conflicting_with_the_roster_is_refused_whole(api, server):
    before = log_length(server)
    csv_text = ("name,role,party,order,email\n"
                "Ny Person,ledamot,L,,ny@kommun.se\n"
                "Ny Ordf,ordförande,S,,ordf2@kommun.se\n"
                "Karin Dubblett,ledamot,M,,led1@demonamnden.example\n"
                "Sara Dubblett,ersättare,S,1,sara2@kommun.se\n")
    status, answer, _ = await api.call("POST", f"/api/committees/{DEMO_COMMITTEE}/roster",
                                       data=csv_text)
    assert status == 422, answer
    by_line = {p["line"]: p["message_en"] for p in answer["problems"]}
    assert set(by_line) == {3, 4, 5}
    assert "already has a chair (Eva Ek)" in by_line[3]
    assert "Karin Lind" in by_line[4]
    assert "S already has substitute no. 1 (Sara Ali)" in by_line[5]
    assert log_length(server) == before


# -- invitations ----------------------------------------------------------------------------


async def test_invitations_are_issued_listed_and_revoked(api, server):
    await new_meeting(server, "m2", days_ahead=30)
    status, inv, _ = await api.call("POST", "/api/meetings/m2/invitations",
                                    json={"person_id": "led2"})
    assert status == 201, inv
    assert inv["person_id"] == "led2" and inv["name"] == "Omar Haddad" and not inv["revoked"]
    assert inv["link"].startswith("/m/m2?t=")
    assert inv["request_link"].startswith("/m/m2/request?t=")
    token = inv["link"].split("?t=", 1)[1]
    assert server.service.verify_invitation(token, "m2") == "led2"

    status, listed, _ = await api.call("GET", "/api/meetings/m2/invitations")
    assert status == 200 and inv["invitation_id"] in {i["invitation_id"] for i in listed}

    status, everyone, _ = await api.call("POST", "/api/meetings/m2/invitations/all")
    assert status == 201
    assert everyone["already_invited"] == 6
    state = server.service.meeting("m2")
    assert {i["person_id"] for i in everyone["issued"]} == set(state.people) - {
        "ordf", "led1", "led3", "sekr", "ers1", "led2"}
    status, again, _ = await api.call("POST", "/api/meetings/m2/invitations/all")
    assert again["issued"] == []

    status, revoked, _ = await api.call(
        "POST", f"/api/meetings/m2/invitations/{inv['invitation_id']}/revoke",
        json={"reason": "fel adress"})
    assert status == 200 and revoked["revoked"] and revoked["link"] is None
    status, answer, _ = await api.call("GET", "/api/meetings/m2/me", key=None, token=token)
    assert status == 401 and answer["code"] == "invitation_revoked"
    status, answer, _ = await api.call(
        "POST", f"/api/meetings/m2/invitations/{inv['invitation_id']}/revoke")
    assert status == 409 and answer["code"] == "already_revoked"
    status, answer, _ = await api.call("POST", "/api/meetings/m2/invitations/nope/revoke")
    assert status == 404 and answer["code"] == "unknown_invitation"
    status, answer, _ = await api.call("POST", "/api/meetings/m2/invitations",
                                       json={"person_id": "nobody"})
    assert status == 404 and answer["code"] == "unknown_person"


async def test_secretary_and_chair_tokens_open_their_own_meeting(api, server):
    for person_id in ("sekr", "ordf"):
        token = token_of(server, DEMO_MEETING, person_id)
        status, body, _ = await api.call("GET", f"/api/meetings/{DEMO_MEETING}", key=None,
                                         token=token)
        assert status == 200 and body["meeting"]["id"] == DEMO_MEETING
        status, body, _ = await api.call("GET", f"/api/meetings/{DEMO_MEETING}/requests?t={token}",
                                         key=None)
        assert status == 200 and len(body) == len(REMOTE_APPROVED)


def expired_token(tmp_path: Any, server: Any, person_id: str) -> str:
    """A correctly signed token for the demo meeting, signed 31 days ago."""
    state = server.service.meeting(DEMO_MEETING)
    invitation_id = next(i for i, p in state.invitations.items() if p == person_id)

    class LongAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 31 * 24 * 3600

    signer = URLSafeTimedSerializer((tmp_path / "secret.key").read_bytes(),
                                    salt="kvorum.invitation", signer=LongAgo)
    return signer.dumps({"p": person_id, "m": DEMO_MEETING, "i": invitation_id})


MEETING_ENDPOINTS = [
    ("GET", "", None),
    ("GET", "/invitations", None),
    ("POST", "/invitations", {"person_id": "led3"}),
    ("POST", "/invitations/all", None),
    ("POST", "/invitations/abc/revoke", None),
    ("GET", "/requests", None),
    ("POST", "/requests/led1/decision", {"approved": False, "by": "ordf"}),
    ("GET", "/attendance.csv", None),
    ("GET", "/minutes.html", None),
    ("GET", "/minutes.docx", None),
    ("GET", "/evidence.json", None),
]


@pytest.mark.parametrize("method,suffix,body", MEETING_ENDPOINTS)
async def test_meeting_endpoints_refuse_bad_credentials_and_return_nothing(
        api, server, tmp_path, method, suffix, body):
    await new_meeting(server, "other", days_ahead=30)
    revoked = token_of(server, DEMO_MEETING, "led3")
    state = server.service.meeting(DEMO_MEETING)
    revoked_id = next(i for i, p in state.invitations.items() if p == "led3")
    await server.service.run(DEMO_MEETING, lambda s, at: s.revoke_invitation(revoked_id, at))
    sekr = token_of(server, DEMO_MEETING, "sekr")
    cases = [
        (None, None, 401, "credentials_required"),
        ("wrong-key-" + "x" * 30, None, 401, "wrong_key"),
        (None, sekr[:-4] + "AAAA", 401, "invitation_forged"),
        (None, "not-a-token", 401, "invitation_forged"),
        (None, expired_token(tmp_path, server, "sekr"), 401, "invitation_expired"),
        (None, revoked, 401, "invitation_revoked"),
        (None, token_of(server, "other", "sekr"), 401, "invitation_wrong_meeting"),
        (None, token_of(server, DEMO_MEETING, "led1"), 403, "forbidden"),  # a member
    ]
    before = log_length(server)
    for key, token, status_expected, code in cases:
        status, answer, _ = await api.call(method, f"/api/meetings/{DEMO_MEETING}{suffix}",
                                           key=key, token=token, json=body)
        assert (status, answer["code"] if isinstance(answer, dict) else answer) == (
            status_expected, code), (key, token)
        assert_refusal(answer)
        assert "Eva Ek" not in str(answer) and "Sessionssalen" not in str(answer)
    # an unknown meeting looks the same as another meeting's to a token holder
    status, answer, _ = await api.call(method, f"/api/meetings/finns-inte{suffix}", key=None,
                                       token=sekr, json=body)
    assert (status, answer["code"]) == (401, "invitation_wrong_meeting")
    assert log_length(server) == before


# -- remote requests and the chair's decision -------------------------------------------------


async def test_member_requests_remote_participation_and_late_is_flagged(api, server):
    await new_meeting(server, "soon", days_ahead=2)
    await new_meeting(server, "later", days_ahead=10)
    led3_soon = token_of(server, "soon", "led3")
    status, me, _ = await api.call("GET", "/api/meetings/soon/me", key=None, token=led3_soon)
    assert status == 200
    assert me["person"]["name"] == "Lena Berg" and me["request"] is None
    assert me["may_request"] and me["may_decide"]
    assert me["meeting"]["request_deadline"] == (
        date.today() + timedelta(days=2 - 4)).isoformat()

    status, req, _ = await api.call("POST", "/api/meetings/soon/requests", key=None,
                                    token=led3_soon,
                                    json={"mode": "deciding", "reason": "Sjuk i förkylning"})
    assert status == 201, req
    assert req["late"] is True and req["status"] == "pending" and req["mode"] == "deciding"
    assert req["person_id"] == "led3"  # from the token: a member asks only for themself

    status, req, _ = await api.call(
        "POST", f"/api/meetings/later/requests?t={token_of(server, 'later', 'led3')}", key=None,
        json={"mode": "attending-only", "reason": ""})
    assert status == 201 and req["late"] is False

    status, listed, _ = await api.call("GET", "/api/meetings/soon/requests")
    assert [(r["person_id"], r["late"], r["reason"]) for r in listed] == [
        ("led3", True, "Sjuk i förkylning")]
    status, me, _ = await api.call("GET", "/api/meetings/soon/me", key=None, token=led3_soon)
    assert me["request"]["late"] is True

    # the secretary (not a deciding person) may only ask to attend
    sekr = token_of(server, "soon", "sekr")
    status, answer, _ = await api.call("POST", "/api/meetings/soon/requests", key=None,
                                       token=sekr, json={"mode": "deciding"})
    assert status == 409 and answer["code"] == "cannot_decide"
    # the chair must be in the room
    status, answer, _ = await api.call("POST", "/api/meetings/soon/requests", key=None,
                                       token=token_of(server, "soon", "ordf"),
                                       json={"mode": "deciding"})
    assert status == 409 and answer["code"] == "chair_must_be_in_room"
    # bad mode; the admin key cannot ask on a member's behalf
    status, answer, _ = await api.call("POST", "/api/meetings/soon/requests", key=None,
                                       token=led3_soon, json={"mode": "maybe"})
    assert status == 422 and answer["problems"][0]["field"] == "mode"
    status, answer, _ = await api.call("POST", "/api/meetings/soon/requests",
                                       json={"mode": "deciding"})
    assert status == 403 and answer["code"] == "personal_link_required"


async def test_chair_decides_with_own_token_or_secretary_records_it_with_by(api, server):
    await new_meeting(server, "m3", days_ahead=20)
    for pid in ("led1", "led3"):
        await api.call("POST", "/api/meetings/m3/requests", key=None,
                       token=token_of(server, "m3", pid), json={"mode": "deciding"})
    before = log_length(server)
    # the secretary's token cannot decide; the admin key needs `by`, and `by` must be the chair
    status, answer, _ = await api.call("POST", "/api/meetings/m3/requests/led1/decision",
                                       key=None, token=token_of(server, "m3", "sekr"),
                                       json={"approved": True})
    assert status == 403 and answer["code"] == "chair_only"
    status, answer, _ = await api.call("POST", "/api/meetings/m3/requests/led1/decision",
                                       json={"approved": True})
    assert status == 422 and answer["problems"][0]["field"] == "by"
    status, answer, _ = await api.call("POST", "/api/meetings/m3/requests/led1/decision",
                                       json={"approved": True, "by": "sekr"})
    assert status == 403 and answer["code"] == "not_allowed"
    status, answer, _ = await api.call("POST", "/api/meetings/m3/requests/led1/decision",
                                       key=None, token=token_of(server, "m3", "ordf"),
                                       json={"approved": True, "by": "sekr"})
    assert status == 403 and answer["code"] == "by_mismatch"
    status, answer, _ = await api.call("POST", "/api/meetings/m3/requests/led2/decision",
                                       json={"approved": True, "by": "ordf"})
    assert status == 404 and answer["code"] == "no_request"
    status, answer, _ = await api.call("POST", "/api/meetings/m3/requests/led1/decision",
                                       json={"approved": "ja", "by": "ordf"})
    assert status == 422
    assert log_length(server) == before

    status, decided, _ = await api.call("POST", "/api/meetings/m3/requests/led1/decision",
                                        key=None, token=token_of(server, "m3", "ordf"),
                                        json={"approved": True})
    assert status == 200, decided
    assert decided["status"] == "approved"
    assert decided["decision"]["by"] == "ordf" and decided["decision"]["by_name"] == "Eva Ek"
    status, decided, _ = await api.call("POST", "/api/meetings/m3/requests/led3/decision",
                                        json={"approved": False, "by": "ordf",
                                              "reason": "Kallelsen kräver närvaro"})
    assert status == 200 and decided["status"] == "refused"
    assert server.service.meeting("m3").approved_mode("led1") == "deciding"
    status, me, _ = await api.call("GET", "/api/meetings/m3/me", key=None,
                                   token=token_of(server, "m3", "led3"))
    assert me["request"]["status"] == "refused"
    assert me["request"]["decision"]["reason"] == "Kallelsen kräver närvaro"


# -- state and attendance ---------------------------------------------------------------------


async def test_state_summary_and_attendance_csv_follow_the_events(api, server):
    run = server.service.run
    m = DEMO_MEETING
    await run(m, lambda s, at: s.mark_present("ordf", by="sekr", at=at))
    await run(m, lambda s, at: s.mark_present("led3", by="sekr", at=at))
    await run(m, lambda s, at: s.mark_present("led4", by="sekr", at=at))
    await run(m, lambda s, at: s.enter_lobby("led1", at))
    await run(m, lambda s, at: s.admit("led1", "deciding", by="ordf", at=at))
    await run(m, lambda s, at: s.enter_lobby("led2", at))
    await run(m, lambda s, at: s.open(by="ordf", at=at))

    status, summary, _ = await api.call("GET", f"/api/meetings/{m}")
    assert status == 200
    assert summary["phase"] == "open"
    assert summary["quorum"] == {"members": 7, "present": 4, "required": 4, "quorate": True,
                                 "counted": ["ordf", "led1", "led3", "led4"]}
    assert summary["decision_block"] is None
    assert [(p["person_id"], p["where"], p["mode"]) for p in summary["presence"]] == [
        ("ordf", "room", None), ("led1", "remote", "deciding"), ("led3", "room", None),
        ("led4", "room", None)]
    assert summary["lobby"] == [{"person_id": "led2", "name": "Omar Haddad"}]

    await run(m, lambda s, at: s.leave("led4", at))
    await run(m, lambda s, at: s.report_link_failed("led1", at, "video.freeze"))
    status, summary, _ = await api.call("GET", f"/api/meetings/{m}")
    assert summary["quorum"]["quorate"] is False
    assert summary["decision_block"]["code"] == "link_failed"
    await run(m, lambda s, at: s.close(by="ordf", at=at))

    status, text, headers = await api.call("GET", f"/api/meetings/{m}/attendance.csv")
    assert status == 200
    assert headers["Content-Type"] == "text/csv; charset=utf-8"
    assert headers["Content-Disposition"].startswith('attachment; filename="narvaro-demo.csv"')
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows[0] == ["person_id", "namn", "roll", "parti", "närvaro", "från", "till",
                       "minuter", "tjänstgör_för"]
    seen = [(r[0], r[4]) for r in rows[1:]]
    assert seen == [
        ("ordf", "i sammanträdeslokalen"),
        ("led1", "på distans, beslutande"), ("led1", "förbindelsen bruten"),
        ("led3", "i sammanträdeslokalen"),
        ("led4", "i sammanträdeslokalen"), ("led4", "har lämnat")]
    assert rows[1][1] == "Eva Ek" and rows[1][2] == "ordförande"
    assert all(r[6] for r in rows[1:])  # every segment ends when the meeting closes
    assert all(r[5].startswith(str(date.today().year)) for r in rows[1:])
    assert all("+" in r[5] for r in rows[1:])  # local time with offset, as events store it

    sekr = token_of(server, m, "sekr")
    status, text, _ = await api.call("GET", f"/api/meetings/{m}/attendance.csv?t={sekr}",
                                     key=None)
    assert status == 200 and "Eva Ek" in text


async def test_pages_are_served_without_leaking_the_link(api, server):
    for path, marker in (("/secretary", "secretary.js"),
                         (f"/m/{DEMO_MEETING}/request?t=abc", "request.js")):
        status, html, headers = await api.call("GET", path, key=None)
        assert status == 200 and marker in html
        assert headers["Referrer-Policy"] == "no-referrer"
