"""The secretary's agenda and rule profile in headless Chromium, through the API (docs/api.md):
an item added at a chosen place, changed, moved and removed; the rule profile chosen before the
meeting opens and locked after; a refusal shown in the server's words. The page passes axe-core
and the layout checks at every size (docs/screens/secretary-agenda-<size>.png with
KVORUM_UPDATE_DOCS=1)."""

from __future__ import annotations

import pytest

from server.demo import DEMO_MEETING
from server.keys import ADMIN_KEY

from .test_pages import SECRETARY_PARTS, at_every_size

playwright_api = pytest.importorskip("playwright.async_api")

WAIT_MS = 60_000
AGENDA_PARTS = [*SECRETARY_PARTS, "#agenda-table td", "#agenda-table button", "#agenda-form button",
                "#profile-form select", "#profile-form button"]


def titles(server) -> list[str]:  # type: ignore[no-untyped-def]
    state = server.service.meeting(DEMO_MEETING)
    return [item.title for item in state.agenda.ordered()]


async def test_the_secretary_edits_the_agenda_and_chooses_the_profile(server, browser):
    context = await browser.new_context(viewport={"width": 1280, "height": 800}, locale="sv-SE",
                                        timezone_id="Europe/Stockholm")
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda dialog: dialog.accept())  # "Ta bort ärendet ...?"
    await page.goto(server.base_url + f"/secretary#key={server.app[ADMIN_KEY]}")
    await page.wait_for_selector("#committee-list a:has-text('Demonämnden')", timeout=WAIT_MS)
    await page.goto(server.base_url + f"/secretary#m={DEMO_MEETING}")
    rows = "#agenda-table tbody tr"
    await page.wait_for_selector(rows, timeout=WAIT_MS)
    assert await page.locator(rows).count() == 5

    # A new item, third on the list, with the committee's draft decision.
    await page.click("#agenda-drawer summary")
    await page.fill("#item-title", "Bygglov kv. Eken")
    await page.select_option("#item-kind", "decision")
    await page.fill("#item-position", "3")
    await page.fill("#item-draft", "Nämnden beviljar bygglov.")
    await page.click("#agenda-submit")
    await page.wait_for_selector(f"{rows}:nth-child(3):has-text('Bygglov kv. Eken')",
                                 timeout=WAIT_MS)
    assert titles(server)[2] == "Bygglov kv. Eken"
    item = next(i for i in server.service.meeting(DEMO_MEETING).agenda.ordered()
                if i.title == "Bygglov kv. Eken")
    assert item.draft == "Nämnden beviljar bygglov." and item.kind == "decision"
    row = f"#agenda-table tr[data-item='{item.item_id}']"

    # Changed to an election, and moved up one place with the arrow.
    await page.click(f"{row} button:has-text('Ändra')")
    assert await page.input_value("#item-title") == "Bygglov kv. Eken"
    await page.fill("#item-title", "Val av ombud")
    await page.select_option("#item-kind", "election")
    await page.click("#agenda-submit")
    await page.wait_for_selector(f"{row}:has-text('Val av ombud')", timeout=WAIT_MS)
    assert server.service.meeting(DEMO_MEETING).agenda.items[item.item_id].kind == "election"
    await page.click(f"{row} button[aria-label^='Flytta upp']")
    await page.wait_for_selector(f"{rows}:nth-child(2)[data-item='{item.item_id}']",
                                 timeout=WAIT_MS)
    assert titles(server)[1] == "Val av ombud"

    # A refusal in the server's words: an empty title.
    await page.click("#agenda-drawer summary")
    await page.click("#agenda-submit")
    await page.wait_for_selector("#agenda-form .form-error:has-text('rubrik: saknas')",
                                 timeout=WAIT_MS)
    assert len(titles(server)) == 6

    # The rule profile: the reform chosen, recorded in the log.
    assert await page.input_value("#profile-select") == "today"
    await page.select_option("#profile-select", "reform")
    await page.click("#profile-submit")
    await page.wait_for_function(
        "() => document.querySelector('#toast').textContent.includes('Regelprofil')",
        timeout=WAIT_MS)
    assert server.service.meeting(DEMO_MEETING).profile_id == "reform"
    await at_every_size(page, "secretary-agenda", AGENDA_PARTS)
    await page.set_viewport_size({"width": 1280, "height": 800})

    # Removed again (after the browser's confirm dialog).
    await page.click(f"{row} button[aria-label^='Ta bort']")
    await page.wait_for_selector(row, state="detached", timeout=WAIT_MS)
    assert "Val av ombud" not in titles(server)

    # Once the meeting has opened, the profile is locked and items already opened are not
    # editable.
    await server.service.run(DEMO_MEETING, lambda s, at: s.mark_present("ordf", by="sekr", at=at))
    await server.service.run(DEMO_MEETING, lambda s, at: s.open(by="ordf", at=at))
    await page.reload()
    await page.wait_for_selector("#profile-locked:not([hidden])", timeout=WAIT_MS)
    assert await page.is_disabled("#profile-select") and await page.is_disabled("#profile-submit")
    assert errors == []
    await context.close()
