"""The minutes and the evidence through the API, rendered from the real SQLite log: the
secretariat's key or the meeting's chair or secretary get them; an edit made directly in the
file shows in the evidence's chain verdict (refusals: tests/test_api.py)."""

from __future__ import annotations

import io
import sqlite3

import aiohttp
import docx

from compliance.minutes import date_sv
from server.demo import DEMO_MEETING
from tests.test_api import Client, new_meeting, token_of
from tests.test_minutes import docx_text, html_text


async def hold_a_short_meeting(server) -> None:  # type: ignore[no-untyped-def]
    run, m = server.service.run, DEMO_MEETING
    for pid in ("ordf", "led3", "led4", "sekr"):
        await run(m, lambda s, at, p=pid: s.mark_present(p, by="sekr", at=at))
    await run(m, lambda s, at: s.enter_lobby("led1", at))
    await run(m, lambda s, at: s.admit("led1", "deciding", by="ordf", at=at))
    await run(m, lambda s, at: s.open(by="ordf", at=at))
    await run(m, lambda s, at: s.close(by="ordf", at=at))


async def test_minutes_html_docx_and_evidence_are_rendered_from_the_log(server):
    await new_meeting(server, "later", days_ahead=40)  # the committee's other meeting...
    await hold_a_short_meeting(server)
    api = Client(server)
    base = f"/api/meetings/{DEMO_MEETING}"

    status, html, headers = await api.call("GET", f"{base}/minutes.html")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Content-Disposition"].startswith('inline; filename="protokoll-demo.html"')
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    text = html_text(html)
    assert "Demonämnden" in text and "Beslutande" in text
    demo = server.service.meeting(DEMO_MEETING).meeting
    assert f"{demo.place}, {date_sv(demo.date)}" in text  # ...is not mixed in
    other = server.service.meeting("later").meeting
    assert date_sv(other.date) not in text
    assert f"inte behandlades: {', '.join(demo.agenda)}." in text
    assert "Karin Lind (M), ledamot, deltar på distans" in text
    assert "Händelseloggens hashkedja är obruten" in text

    token = token_of(server, DEMO_MEETING, "sekr")  # the secretary's own link opens them too
    async with aiohttp.ClientSession() as session, session.get(
            f"{server.base_url}{base}/minutes.docx", headers={"X-Kvorum-Token": token}) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Disposition"].startswith(
            'attachment; filename="protokoll-demo.docx"')
        data = await resp.read()
    assert "Karin Lind (M), ledamot, deltar på distans" in docx_text(data)
    assert docx.Document(io.BytesIO(data)).tables

    status, evidence, headers = await api.call("GET", f"{base}/evidence.json")
    assert status == 200 and headers["Content-Disposition"].startswith(
        'attachment; filename="beslutsbevis-demo.json"')
    assert evidence["meeting_id"] == DEMO_MEETING
    assert evidence["chain"]["intact"] is True
    stored = server.service.log.all_events()
    assert evidence["chain"]["events"] == len(stored)
    assert evidence["meeting_last_event"] == {"seq": stored[-1].seq, "hash": stored[-1].hash}


async def test_an_edit_in_the_file_shows_in_the_evidence_and_the_minutes(server, tmp_path):
    await hold_a_short_meeting(server)
    api = Client(server)
    path = tmp_path / "kvorum.sqlite3"
    target = next(s for s in server.service.log.all_events() if s.event.type == "admitted")
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("DROP TRIGGER events_no_update")
    db.execute("UPDATE events SET data = replace(data, 'deciding', 'attending-only') "
               "WHERE seq = ?", (target.seq,))
    db.close()

    status, evidence, _ = await api.call("GET", f"/api/meetings/{DEMO_MEETING}/evidence.json")
    assert status == 200
    assert evidence["chain"]["intact"] is False
    assert evidence["chain"]["broken_seq"] == target.seq
    assert evidence["chain"]["reason"] == "hash_mismatch"
    status, html, _ = await api.call("GET", f"/api/meetings/{DEMO_MEETING}/minutes.html")
    assert f"bruten vid händelse {target.seq}" in html_text(html)
