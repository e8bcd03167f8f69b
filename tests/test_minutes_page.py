"""The rendered minutes in headless Chromium: the page shows the facts, prints to A4 pages
with the evidence appendix on its own page, and gives the screenshot for docs/."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from compliance import events as ev
from compliance.minutes import build_minutes
from compliance.minutes_html import render_html
from tests.test_evidence import stored_evidence
from tests.test_minutes import hand_built_meeting
from tests.test_secretary_page import shrink_png

# docs/minutes.png is remade only on request (KVORUM_UPDATE_DOCS=1): tests leave the tree clean.
SCREENSHOT = Path(__file__).resolve().parent.parent / (
    "docs" if os.environ.get("KVORUM_UPDATE_DOCS") else "tests/.artifacts") / "minutes.png"
NAMES = {
    "chair": "Eva Ek", "m1": "Anders Berg", "m2": "Maria Nyström", "m3": "Lars Holm",
    "m4": "Sofia Åberg", "m5": "Karin Lind", "m6": "Omar Haddad", "m7": "Johan Sjö",
    "m8": "Elin Dahl", "sec": "Tove Sjöberg", "sM1": "Greta Holm", "sS1": "Fredrik Ek",
    "sC1": "Ali Karimi",
}
COMMITTEE = "Kultur- och fritidsnämnden"


def named(events: list[ev.Event]) -> list[ev.Event]:
    """The hand-built meeting with people's names instead of ids, for a readable picture."""
    out: list[ev.Event] = []
    for event in events:
        if isinstance(event, ev.PersonAdded) and event.person_id in NAMES:
            event = replace(event, name=NAMES[event.person_id])
        if isinstance(event, ev.AgendaItemChanged | ev.AgendaItemAdded):
            title = {"1": "Biblioteksplan 2027–2030", "2": "Bidrag till Folkets hus förening",
                     "3": "Delegationsbeslut"}.get(event.item_id, event.title)
            event = replace(event, title=title)
        out.append(event)
    return out


async def test_minutes_render_in_chromium_and_print_to_a4(browser, tmp_path: Path) -> None:
    events = named(hand_built_meeting())
    evidence = stored_evidence(tmp_path / "log.db", events)
    html = render_html(build_minutes(events, evidence=evidence))
    page = await browser.new_page(viewport={"width": 900, "height": 1200}, locale="sv-SE")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    await page.set_content(html, wait_until="load")

    assert await page.title() == f"Protokoll {COMMITTEE} 2026-03-10"
    beslutande = await page.inner_text("#beslutande")
    assert "Karin Lind (S), ledamot, deltar på distans" in beslutande
    assert "Greta Holm (M), ersättare, tjänstgörande ersättare för Maria Nyström" in beslutande
    first = await page.inner_text("#p1")
    assert "§ 1Biblioteksplan 2027–2030" in first.replace("\n", "")
    assert "Votering begärs av Omar Haddad (M)." in first
    assert "ordförandens utslagsröst" in first
    rows = await page.locator("#p1 table.votes tr").all_inner_texts()
    assert "Karin Lind (S), på distans\tNej" in rows and "Eva Ek (S)\tJa" in rows
    assert "Maria Nyström (M) anmäler jäv" in await page.inner_text("#p2")
    assert "bild har stått still" in await page.inner_text("#suspensions")
    assert "Händelseloggens hashkedja är obruten" in await page.inner_text("#evidence")
    assert errors == []

    # Print-ready: A4 pages, the appendix on a page of its own.
    pdf = await page.pdf(format="A4", prefer_css_page_size=True)
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(
        b"/Type /Page>") + pdf.count(b"/Type /Page/") >= 3
    appendix_top = await page.evaluate(
        "getComputedStyle(document.querySelector('#evidence')).breakBefore")
    assert appendix_top in ("page", "always")

    SCREENSHOT.parent.mkdir(exist_ok=True)
    await page.screenshot(path=str(SCREENSHOT), full_page=True)
    shrink_png(SCREENSHOT)
    assert SCREENSHOT.stat().st_size < 600_000
    await page.close()
