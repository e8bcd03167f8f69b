"""Issue 11's findings, each as it was found: roles that could be borrowed, revocation that did
not bite, tokens in logs and Referer, missing headers, probeable ids, the roster import's and
the attendance export's weak spots, a lobby member's media state, the database's mode, and
`/ws` from any web page."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from server.keys import ADMIN_KEY

from .conftest import free_port, running_server
from .meeting_helpers import MEETING, token
from .test_schemas import log_length, socket

ROOT = Path(__file__).resolve().parent.parent


async def call(server: Any, method: str, path: str, *, admin: bool = False,
               person: str | None = None, **kwargs: Any) -> tuple[int, Any]:
    headers = dict(kwargs.pop("headers", {}))
    if admin:
        headers["Authorization"] = f"Bearer {server.app[ADMIN_KEY]}"
    if person is not None:
        headers["X-Kvorum-Token"] = token(server, person)
    async with aiohttp.ClientSession() as session:
        async with session.request(method, server.base_url + path, headers=headers,
                                   **kwargs) as response:
            text = await response.text()
            try:
                return response.status, json.loads(text)
            except ValueError:
                return response.status, text


# -- roles cannot be borrowed -------------------------------------------------------------------


async def test_a_chair_or_secretary_gets_no_usable_link_of_anyone_else(server):
    for manager in ("sekr", "ordf"):
        status, invitations = await call(server, "GET", f"/api/meetings/{MEETING}/invitations",
                                         person=manager)
        assert status == 200 and invitations
        for inv in invitations:
            own = inv["person_id"] == manager
            assert (inv["link"] is not None) == own, (manager, inv)
            assert (inv["request_link"] is not None) == own, (manager, inv)
        status, issued = await call(server, "POST", f"/api/meetings/{MEETING}/invitations",
                                    person=manager, json={"person_id": "led3"})
        assert status == 201 and issued["link"] is None, issued
    status, invitations = await call(server, "GET", f"/api/meetings/{MEETING}/invitations",
                                     admin=True)
    assert status == 200 and all(i["link"] for i in invitations if not i["revoked"])


async def test_a_decision_entered_by_the_secretariat_is_recorded_as_such(server):
    await server.service.run(MEETING, lambda s, at: s.request_remote("led4", "deciding", at))
    status, answer = await call(server, "POST",
                                f"/api/meetings/{MEETING}/requests/led4/decision", admin=True,
                                json={"approved": True, "by": "ordf"})
    assert status == 200, answer
    assert answer["decision"]["by"] == "ordf"
    assert answer["decision"]["recorded_by"] == "secretariat"
    status, answer = await call(server, "POST",
                                f"/api/meetings/{MEETING}/requests/led4/decision",
                                person="ordf", json={"approved": False})
    assert status == 200 and answer["decision"]["recorded_by"] == ""
    decided = [e for e in server.service.log.events(MEETING) if e.type == "remote_decided"
               and e.person_id == "led4"]
    assert [e.recorded_by for e in decided] == ["secretariat", ""]


# -- revocation bites at once -------------------------------------------------------------------


def invitation_of(server: Any, person_id: str) -> str:
    state = server.service.meeting(MEETING)
    return next(i for i, p in state.invitations.items()
                if p == person_id and i not in state.revoked)


async def revoke(server: Any, person_id: str) -> None:
    path = f"/api/meetings/{MEETING}/invitations/{invitation_of(server, person_id)}/revoke"
    status, answer = await call(server, "POST", path, admin=True)
    assert status == 200, answer


async def bye_then_closed(ws: aiohttp.ClientWebSocketResponse) -> list[dict[str, Any]]:
    seen = []
    while True:
        msg = await ws.receive(timeout=10)
        if msg.type != aiohttp.WSMsgType.TEXT:
            return seen
        seen.append(json.loads(msg.data))


async def test_revoking_a_link_ends_the_sessions_joined_with_it(server):
    async with socket(server, "ordf") as chair, socket(server, "led1") as member:
        room = server.rooms.get(MEETING)
        assert {p.person_id for p in room.participants.values()} == {"ordf", "led1"}
        await revoke(server, "led1")
        seen = await bye_then_closed(member.ws)
        assert {"type": "bye", "reason": "invitation-revoked"} in seen
        assert {p.person_id for p in room.participants.values()} == {"ordf"}
        reply = await chair.ask(json.dumps({"type": "admit", "person_id": "led1"}), "admit")
        assert reply["type"] == "done"  # the log may admit her; no socket of hers is let in
        assert {p.person_id for p in room.participants.values()} == {"ordf"}

        await revoke(server, "ordf")
        seen = await bye_then_closed(chair.ws)
        assert {"type": "bye", "reason": "invitation-revoked"} in seen
        assert chair.ws.closed
    before = log_length(server)
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(server.base_url + "/ws") as ws:
            await ws.send_json({"type": "join", "meeting": MEETING,
                                "token": token(server, "ordf")})
            assert (await ws.receive_json(timeout=10))["code"] == "invitation-revoked"
    assert log_length(server) == before


# -- tokens never in logs or Referer; headers everywhere ----------------------------------------


def test_no_log_line_carries_a_personal_link_token(tmp_path):
    """The server in its own process, as run: pages, API and the WebSocket are asked with
    personal links; its log (stderr: the access log and everything else) has no token."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "server", "--no-tls", "--port", str(port), "--database",
         str(tmp_path / "kvorum.sqlite3"), "--no-analysis"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=open(tmp_path / "stderr.log", "w"),
        text=True)
    try:
        tokens = []
        assert process.stdout is not None
        for line in process.stdout:
            match = re.search(r"\?t=(\S+)", line)
            if match:
                tokens.append(match.group(1))
            if len(tokens) == 11:
                break

        async def visit() -> None:
            base = f"http://127.0.0.1:{port}"
            async with aiohttp.ClientSession() as session:
                for _ in range(100):  # the links are printed just before it listens
                    try:
                        async with session.get(base + "/"):
                            break
                    except aiohttp.ClientConnectionError:
                        await asyncio.sleep(0.1)
                for t in tokens[:3]:
                    for path in (f"/m/{MEETING}?t={t}", f"/m/{MEETING}/request?t={t}",
                                 f"/api/meetings/{MEETING}/me?t={t}",
                                 f"/api/meetings/{MEETING}?t={t}&x=1"):
                        async with session.get(base + path) as response:
                            assert response.status in (200, 403), path
                async with session.get(f"{base}/m/{MEETING}?t={tokens[0]}x") as response:
                    assert response.status == 403

        asyncio.run(visit())
    finally:
        process.terminate()
        process.wait(10)
    log = (tmp_path / "stderr.log").read_text()
    assert '"GET /m/demo?t=… HTTP/1.1" 200' in log, log[-2000:]
    for t in tokens:
        assert t not in log and t[:20] not in log


async def test_every_response_carries_the_security_headers(server):
    paths = ["/", "/check", "/secretary", "/static/meeting.js", "/api/profile",
             "/api/meetings", f"/m/{MEETING}", "/m/nope", "/nothing-here",
             f"/api/meetings/{MEETING}", f"/m/{MEETING}?t={token(server, 'led1')}"]
    async with aiohttp.ClientSession() as session:
        for path in paths:
            async with session.get(server.base_url + path) as response:
                h = response.headers
                assert h.get("Referrer-Policy") == "no-referrer", path
                assert h.get("X-Content-Type-Options") == "nosniff", path
                assert h.get("X-Frame-Options") == "DENY", path
                csp = h.get("Content-Security-Policy", "")
                assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp, path
                assert "Strict-Transport-Security" not in h, path  # plain HTTP here


async def test_hsts_is_sent_under_tls(tmp_path):
    async with running_server(tmp_path, tls=True) as server:  # the app only; no certificate
        async with aiohttp.ClientSession() as session:
            async with session.get(server.base_url + "/") as response:
                assert response.headers["Strict-Transport-Security"].startswith("max-age=")


async def test_pages_work_under_the_policy_and_send_no_referer(server, browser):
    """The member's page, the device check and the start page in Chromium with the CSP:
    no violation, the page runs; no request it makes carries a Referer with the token."""
    page = await browser.new_page()
    violations: list[str] = []
    referers: list[str] = []
    page.on("console", lambda m: violations.append(m.text)
            if "Content Security Policy" in m.text else None)
    page.on("request", lambda r: referers.append(r.headers.get("referer", "")))
    try:
        chair = token(server, "ordf")
        await page.goto(f"{server.base_url}/m/{MEETING}?t={chair}")
        await page.click("#join-button")
        await page.wait_for_selector("#dashboard:not([hidden]) tr[data-person='ordf']",
                                     timeout=20_000)
        await page.wait_for_function("() => window.kvorum && window.kvorum.participantId",
                                     timeout=20_000)
        await page.goto(server.base_url + "/check")
        await page.goto(server.base_url + "/")
        await page.wait_for_load_state("networkidle")
        await page.goto(f"{server.base_url}/m/{MEETING}/request?t={token(server, 'led1')}")
        await page.wait_for_load_state("networkidle")
    finally:
        await page.close()
    assert not violations, violations
    assert referers and not any(r for r in referers), referers


# -- /ws and meeting ids ------------------------------------------------------------------------


async def test_ws_refuses_a_page_of_another_origin(tmp_path):
    async with running_server(tmp_path, allowed_origins=["https://intranet.kommun.se"]) as server:
        async with aiohttp.ClientSession() as session:
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await session.ws_connect(server.base_url + "/ws",
                                         headers={"Origin": "https://evil.example"})
            assert refused.value.status == 403
            for origin in (server.base_url, "https://intranet.kommun.se"):
                async with session.ws_connect(server.base_url + "/ws",
                                              headers={"Origin": origin}) as ws:
                    await ws.send_json({"type": "leave"})


async def test_meeting_ids_cannot_be_probed(server):
    """An unknown id and a real meeting answer alike, without a link and with one."""
    answers = {}
    for meeting in (MEETING, "finns-inte"):
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{server.base_url}/m/{meeting}") as response:
                page = (response.status, await response.text())
            async with session.get(f"{server.base_url}/m/{meeting}?t=abc.def") as response:
                page_bad = (response.status, await response.text())
            codes = []
            for join in ({"type": "join", "meeting": meeting, "name": "Eve"},
                         {"type": "join", "meeting": meeting, "token": token(server, "led1")[:-3]},
                         {"type": "join", "meeting": meeting,
                          "token": server.service.invitations.issue("led1", "annat", "x")}):
                async with session.ws_connect(server.base_url + "/ws") as ws:
                    await ws.send_json(join)
                    codes.append((await ws.receive_json(timeout=10))["code"])
        answers[meeting] = (page, page_bad[0], codes)
    assert answers[MEETING] == answers["finns-inte"], answers
    assert answers[MEETING][0][0] == 403


# -- the API's odd inputs -----------------------------------------------------------------------


@pytest.mark.parametrize("headers", [
    {"Authorization": b"Bearer \xff\xfe".decode("latin-1")},
    {"X-Kvorum-Token": b"\xc3\x28abc".decode("latin-1")},
])
async def test_non_utf8_credentials_are_refused_not_crashed(server, headers):
    raw = "\r\n".join(f"{k}: {v}" for k, v in headers.items()).encode("latin-1")
    host, port = server.base_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(b"GET /api/meetings/demo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                 + raw + b"\r\n\r\n")
    await writer.drain()
    response = await reader.read()
    writer.close()
    status = int(response.split(b" ", 2)[1])
    assert status == 401, response[:300]
    assert b'"code"' in response


async def test_roster_import_refuses_spreadsheets_bad_bytes_and_huge_fields(server):
    path = "/api/committees/demonamnden/roster"
    before = log_length(server)
    xlsx = b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)) * 4
    status, answer = await call(server, "POST", path, admin=True, data=xlsx)
    assert status == 422 and answer["code"] == "not_csv", answer
    cp1252_undefined = b"namn;roll;parti;ordning;e-post\nA" + b"\x81\x8d\n"
    status, answer = await call(server, "POST", path, admin=True, data=cp1252_undefined)
    assert status == 422 and answer["code"] == "bad_encoding", answer
    huge = ("namn;roll;parti;ordning;e-post\n\"" + "x" * 200_000 + "\";ledamot;S;;a@b.se\n")
    status, answer = await call(server, "POST", path, admin=True, data=huge.encode())
    assert status == 422 and answer["code"] == "invalid_roster", answer
    assert answer["problems"][0]["line"] >= 2
    assert log_length(server) == before


async def test_roster_import_has_the_apis_limits(server):
    before = log_length(server)
    for name in ("N" * 5000, "Nul\x00Byte"):
        text = f"namn;roll;parti;ordning;e-post\n{name};ledamot;S;;ny@kommun.se\n"
        status, answer = await call(server, "POST", "/api/committees/demonamnden/roster",
                                    admin=True, data=text.encode())
        assert status == 422 and answer["code"] == "invalid_roster", answer
        status, answer = await call(server, "POST", "/api/committees/demonamnden/people",
                                    admin=True, json={"name": name, "role": "ledamot",
                                                      "party": "S", "email": "ny@kommun.se"})
        assert status == 422, answer
    assert log_length(server) == before


async def test_attendance_export_never_holds_a_formula(server):
    for i, name in enumerate(("=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)")):
        pid = f"f{i}"
        await server.service.run_committee("demonamnden", lambda s, at, p=pid, n=name: s.add_person(
            p, n, "tjänsteperson", at, email=f"{p}@kommun.se"))
        await server.service.run(MEETING, lambda s, at, p=pid: s.mark_present(p, by="sekr",
                                                                              at=at))
    status, text = await call(server, "GET", f"/api/meetings/{MEETING}/attendance.csv",
                              admin=True)
    assert status == 200
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    cells = [c for row in rows[1:] for c in row]
    assert not [c for c in cells if c and c[0] in "=+-@"], cells
    assert "'=HYPERLINK(\"http://x\")" in cells


# -- lobby, database ----------------------------------------------------------------------------


async def test_a_lobby_members_media_state_reaches_only_the_chair_and_secretary(server):
    async with socket(server, "ordf") as chair, socket(server, "led2") as admitted, \
            socket(server, "led1") as waiting:
        await chair.ask(json.dumps({"type": "admit", "person_id": "led2"}), "admit")
        await waiting.ws.send_json({"type": "media-state", "video": False})
        await asyncio.sleep(1.0)
        seen = []
        while True:
            try:
                seen.append(await admitted.ws.receive_json(timeout=0.5))
            except TimeoutError:
                break
        assert not [m for m in seen if m["type"] == "participant-media"], seen
        chair_saw = []
        while True:
            try:
                chair_saw.append(await chair.ws.receive_json(timeout=0.5))
            except TimeoutError:
                break
        assert [m for m in chair_saw if m["type"] == "participant-media"
                and m["video"] is False]


async def test_the_database_is_readable_by_the_server_only(server, tmp_path):
    mode = stat.S_IMODE(os.stat(tmp_path / "kvorum.sqlite3").st_mode)
    assert mode == 0o600, oct(mode)
    for extra in ("-wal", "-shm"):
        path = tmp_path / f"kvorum.sqlite3{extra}"
        if path.exists():
            assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, extra
