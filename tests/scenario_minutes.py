"""The minutes and the evidence of the whole scenario meeting (tests/test_scenario_meeting.py
calls `check_minutes_and_chain` at its end), rendered through the API from the real SQLite
log: every fact of the scenario is in them (asserted on content, not a snapshot), the hash
chain verifies with `python -m server.verify`, and an edit made directly in the file is found
by the command and shows in the evidence."""

from __future__ import annotations

import io
import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import docx

from server.keys import ADMIN_KEY

from .test_minutes import docx_text, html_text

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / ".artifacts"


async def fetch(server: Any, path: str) -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {server.app[ADMIN_KEY]}"}
    async with aiohttp.ClientSession() as session, session.get(
            server.base_url + path, headers=headers) as resp:
        return resp.status, await resp.read()


def verify(database: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "server.verify", str(database), *extra],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)


def scenario_facts(state: Any) -> list[str]:
    """What the scenario did, as the minutes must say it (names from the roster)."""
    def who(pid: str) -> str:
        p = state.people[pid]
        return f"{p.name} ({p.party})"

    return [
        # first page and roll call
        "Demonämnden", "Beslutande", "Övriga närvarande",
        f"{who('led1')}, ledamot, deltar på distans",
        f"{who('led2')}, ledamot, deltar på distans",
        f"{who('led3')}, ledamot, deltar på distans",
        f"{who('ers1')}, ersättare, närvarar på distans utan rätt att delta i beslut",
        f"{who('ers2')}, ersättare, tjänstgörande ersättare för {state.people['led1'].name}",
        "Gällande lag (KL 2017:725)", "Justerare", "Upprop",
        f"{who('led1')}, ledamot, på distans, beslutande",
        f"{who('led4')}, ledamot, i sammanträdeslokalen",
        # item A: speakers, proposals, the frozen picture, the vote, the reservation
        "§ 1", "Budgetuppföljning", "I överläggningen yttrar sig:", who("led1"), who("led4"),
        f"{who('led1')} yrkar: Jag yrkar avslag.",
        "Ordföranden framställer förslaget till beslut: Nämnden godkänner budgetuppföljningen.",
        f"bild eller ljud från {who('led2')} fungerade inte på lika villkor",
        f"Votering begärs av {who('led3')}.",
        "Öppen omröstning genom upprop. Ja-röst för förslaget till beslut, nej-röst för "
        f"{state.people['led1'].name}s yrkande.",
        f"{who('led1')}, på distans Nej", f"{who('led2')}, på distans Nej",
        f"{who('led3')}, på distans Nej", f"{who('led4')} Ja", f"{who('led5')} Ja",
        f"{who('ordf')} Ja", "Ja 3, Nej 3, Avstår 0",
        f"Med 3 ja-röster mot 3 nej-röster och ordförandens utslagsröst ({who('ordf')}, ja) "
        "har nämnden beslutat enligt förslaget till beslut.",
        "Nämnden beslutar efter omröstning enligt förslaget till beslut: Nämnden godkänner "
        "budgetuppföljningen.",
        f"{who('led1')} reserverar sig mot beslutet, med skriftlig motivering: ”Kostnaden är "
        "inte utredd.”",
        # item B: jäv, the substitute, the return
        "§ 2", "Detaljplan för kv. Linden",
        f"{who('led1')} anmäler jäv (Äger grannfastigheten.) och lämnar sammanträdet under "
        "ärendet",
        f"{who('ers2')} tjänstgör i {state.people['led1'].name}s ställe.",
        f"{who('led1')} återinträder i sammanträdet",
        "Nämnden beslutar enligt förslaget till beslut: Nämnden antar detaljplanen.",
        # interruptions, attendance, the close, the appendix
        "Avbrott och ajourneringar", "överläggning i partigrupper (S + V; M + C): "
        "Gruppöverläggning", f"{who('led1')} lämnar sammanträdet under § 2 (jäv)",
        f"{who('led1')} återinträder efter § 2 (jäv)", "Ordföranden förklarar sammanträdet "
        "avslutat", "Bilaga: Bevis för besluten", "Händelseloggens hashkedja är obruten",
    ]


async def check_minutes_and_chain(server: Any, scenario: Any) -> None:
    """Render the scenario's minutes and evidence, check every fact and the chain, then edit
    one event in the file and check that the command and the evidence find it."""
    state = server.service.meeting(scenario.meeting_id)
    base = f"/api/meetings/{scenario.meeting_id}"

    status, html = await fetch(server, f"{base}/minutes.html")
    assert status == 200
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "scenario-minutes.html").write_bytes(html)  # for review, not kept
    text = html_text(html.decode())
    for fact in scenario_facts(state):
        assert fact in text, fact
    # the suspension: its reason names the person, and it has a duration
    suspension = next(line for line in text.split("Avbrott ")[1:] if "lika villkor" in line)
    assert " min" in suspension or " s " in suspension

    status, data = await fetch(server, f"{base}/minutes.docx")
    assert status == 200
    text = docx_text(data)
    for fact in scenario_facts(state):
        assert fact in text, fact
    assert docx.Document(io.BytesIO(data)).tables

    status, body = await fetch(server, f"{base}/evidence.json")
    evidence = json.loads(body)
    assert evidence["chain"]["intact"] is True
    first, second = evidence["decisions"]
    assert first["decision"]["method"] == "vote" and first["votes"]["ordf"] == "ja"
    led2 = next(r for r in first["remote_links"] if r["person_id"] == "led2")
    assert led2["item"]["unbroken"] is False  # the frozen picture during the deliberation
    assert "link_failed" in [e["type"] for e in led2["item"]["events"]]
    assert {d["person_id"]: d["serving_for"] for d in second["deciding"]}["ers2"] == "led1"

    # The command verifies the file, and every decision's hash is in the chain (an anchor).
    done = verify(scenario.database)
    assert done.returncode == 0 and "obruten" in done.stdout, done.stdout + done.stderr
    for decision in evidence["decisions"]:
        assert verify(scenario.database, "--anchor", decision["event"]["hash"]).returncode == 0

    # One event edited directly in the file: the command and the evidence both find it.
    cast = next(s for s in server.service.log.all_events()
                if s.event.type == "vote_cast" and s.event.person_id == "led2")
    db = sqlite3.connect(scenario.database, isolation_level=None)
    db.execute("DROP TRIGGER events_no_update")
    db.execute("UPDATE events SET data = replace(data, '\"nej\"', '\"ja\"') WHERE seq = ?",
               (cast.seq,))
    db.close()
    done = verify(scenario.database)
    assert done.returncode == 1
    assert f"bruten vid händelse {cast.seq}" in done.stdout, done.stdout
    status, body = await fetch(server, f"{base}/evidence.json")
    evidence = json.loads(body)
    assert evidence["chain"]["intact"] is False and evidence["chain"]["broken_seq"] == cast.seq
    assert [d["event"]["chain_verified"] for d in evidence["decisions"]] == [False, False]
