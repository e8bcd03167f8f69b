"""The secretary's pages in headless Chromium: committee, roster from CSV, meeting, invitation,
a member's remote request, the chair's decision, attendance download; and a screenshot."""

from __future__ import annotations

import json
import os
from datetime import date, timedelta
from pathlib import Path

import pytest

from server.keys import ADMIN_KEY

from .browser import CHROMIUM, chromium_args
from .test_minutes import docx_text

playwright_api = pytest.importorskip("playwright.async_api")

# docs/secretary.png is remade only on request (KVORUM_UPDATE_DOCS=1): tests leave the tree clean.
SCREENSHOT = Path(__file__).resolve().parent.parent / (
    "docs" if os.environ.get("KVORUM_UPDATE_DOCS") else "tests/.artifacts") / "secretary.png"
ARTIFACTS = Path(__file__).resolve().parent / ".artifacts"  # more views, for review (not kept)

BAD_CSV = """namn;roll;parti;ordning;e-post
Anna Lind;ordförande;S;;anna.lind@kommun.se
;ledamot;M;;bjorn@kommun.se
Cecilia Dahl;kassör;C;;cecilia.dahl@kommun.se
"""
GOOD_CSV = """namn;roll;parti;ordning;e-post
Anna Lind;ordförande;S;;anna.lind@kommun.se
Björn Åkesson;ledamot;M;;bjorn.akesson@kommun.se
Cecilia Dahl;ledamot;C;;cecilia.dahl@kommun.se
David Nilsson;ledamot;S;;david.nilsson@kommun.se
Elin Sjöberg;ledamot;V;;elin.sjoberg@kommun.se
Fredrik Ek;ersättare;S;1;fredrik.ek@kommun.se
Greta Holm;ersättare;M;1;greta.holm@kommun.se
Tove Sjö;sekreterare;;;tove.sjo@kommun.se
"""


def shrink_png(path: Path) -> None:
    """256 colours are plenty for the flat UI and keep docs/ small (Pillow comes with
    scikit-image, a test dependency; without it the screenshot stays as it is)."""
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(path) as image:
        flat = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT,
                                             dither=Image.Dither.NONE)
    flat.save(path, optimize=True)


@pytest.fixture
async def browser():  # type: ignore[no-untyped-def]
    async with playwright_api.async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=chromium_args(None))
        try:
            yield browser
        finally:
            await browser.close()


async def test_secretary_builds_a_meeting_and_invites_from_the_browser(server, browser,
                                                                        tmp_path):
    key = server.app[ADMIN_KEY]
    context = await browser.new_context(viewport={"width": 1280, "height": 900},
                                        accept_downloads=True, locale="sv-SE",
                                        timezone_id="Europe/Stockholm")
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    # Without the key: the sign-in form; a wrong key is refused with a clear message.
    await page.goto(server.base_url + "/secretary")
    await page.fill("#admin-key", "fel-nyckel")
    await page.click("#login-form button[type=submit]")
    await page.wait_for_selector("#login-error:has-text('Fel administratörsnyckel')")

    # The printed link: the key arrives in the fragment and leaves the address bar at once.
    await page.goto(server.base_url + f"/secretary#key={key}")
    await page.wait_for_selector("#committee-list a:has-text('Demonämnden')")
    assert key not in page.url

    # A new committee.
    await page.click("#new-committee summary")
    await page.fill("#committee-name-input", "Kulturnämnden")
    await page.fill("#committee-parties", "S, M, C, V")
    await page.click("#committee-form button[type=submit]")
    await page.wait_for_selector("#committee-title:has-text('Kulturnämnden')")

    # Roster import: a bad file lists every bad line, keeps the text, adds nobody.
    await page.fill("#roster-csv", BAD_CSV)
    await page.click("#roster-form button[type=submit]")
    await page.wait_for_selector("#roster-errors li")
    problems = await page.locator("#roster-errors li").all_inner_texts()
    assert any(p.startswith("Rad 3:") and "namn saknas" in p for p in problems), problems
    assert any(p.startswith("Rad 4:") and "kassör" in p for p in problems), problems
    assert await page.input_value("#roster-csv") == BAD_CSV
    assert await page.locator("#roster-table tbody tr").count() == 0

    # ...then the corrected file, chosen as a file.
    csv_file = tmp_path / "ledamoter.csv"
    csv_file.write_text(GOOD_CSV, encoding="utf-8")
    await page.set_input_files("#roster-file", str(csv_file))
    # (a function, not a bare expression: the pages' CSP forbids eval, docs/security.md)
    await page.wait_for_function(
        "() => document.querySelector('#roster-csv').value.includes('Tove')")
    await page.click("#roster-form button[type=submit]")
    await page.wait_for_selector("#roster-table tbody tr:nth-child(8)")
    assert await page.locator("#roster-errors").inner_text() == ""
    assert "Anna Lind" in await page.locator("#roster-table").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "secretary-committee.png"), full_page=True)

    # A meeting three days ahead (so a remote request now is late).
    day = date.today() + timedelta(days=3)
    await page.fill("#meeting-date", day.isoformat())
    await page.fill("#meeting-time", "18:00")
    await page.fill("#meeting-place", "Sessionssalen, stadshuset")
    await page.fill("#meeting-agenda", "Mötets öppnande och upprop\nVal av justerare\n"
                                       "Kulturstipendier 2026\nBiblioteksplan\nMötets avslutande")
    await page.click("#meeting-form button[type=submit]")
    meeting_id = f"kulturnamnden-{day.isoformat()}"
    await page.wait_for_selector("#crumb-committee:has-text('Kulturnämnden')")
    assert str(day.year) in await page.inner_text("#meeting-title")
    assert page.url.endswith("#m=" + meeting_id)

    # One invitation, then everyone else's.
    await page.select_option("#invite-person", "elin-sjoberg")
    await page.click("#invite-form button[type=submit]")
    link = page.locator("#invitations-table tbody tr:has-text('Elin Sjöberg') input.link")
    await link.wait_for()
    url = await link.input_value()
    assert url.startswith(f"{server.base_url}/m/{meeting_id}?t=")
    token = url.split("?t=", 1)[1]
    assert server.service.verify_invitation(token, meeting_id) == "elin-sjoberg"
    await page.click("#invite-all")
    await page.wait_for_selector("#invitations-table tbody tr:nth-child(8)")

    # The member asks with their own link; the request page shows the late flag and status.
    member = await context.new_page()
    member.on("pageerror", lambda exc: errors.append(str(exc)))
    await member.goto(f"{server.base_url}/m/{meeting_id}/request?t={token}")
    await member.wait_for_selector("#person-name:has-text('Elin Sjöberg')")
    assert await member.is_visible("#late-warning")
    await member.fill("#reason", "Bortrest i tjänsten, deltar gärna via länk.")
    await member.click("#submit")
    await member.wait_for_selector("#status-box:has-text('Väntar på ordförandens beslut')")
    assert "sen begäran" in await member.inner_text("#status-box")
    ARTIFACTS.mkdir(exist_ok=True)
    await member.screenshot(path=str(ARTIFACTS / "request.png"), full_page=True)

    chair = next(iid for iid, pid in server.service.meeting(meeting_id).invitations.items()
                 if pid == "david-nilsson")
    other = server.service.token_for(meeting_id, chair)
    await member.goto(f"{server.base_url}/m/{meeting_id}/request?t={other}")
    await member.wait_for_selector("#person-name:has-text('David Nilsson')")
    await member.check("input[value='attending-only']")
    await member.click("#submit")
    await member.wait_for_selector("#status-box:has-text('Väntar')")

    # A bad link on the request page says so.
    await member.goto(f"{server.base_url}/m/{meeting_id}/request?t=forged")
    await member.wait_for_selector("#load-error:has-text('Inbjudningslänken är ogiltig')")

    # The secretary sees both requests, late flagged, and records the chair's approval of one.
    await page.reload()
    row = page.locator("#requests-table tbody tr[data-request='elin-sjoberg']")
    await row.wait_for()
    assert "Sen" in await row.inner_text()
    await row.locator("button:has-text('Godkänn')").click()
    await page.wait_for_selector(
        "#requests-table tr[data-request='elin-sjoberg'] .badge.ok:has-text('Godkänd')")
    assert server.service.meeting(meeting_id).approved_mode("elin-sjoberg") == "deciding"

    # Some presence, then the attendance download.
    run = server.service.run
    await run(meeting_id, lambda s, at: s.mark_present("anna-lind", by="tove-sjo", at=at))
    await run(meeting_id, lambda s, at: s.mark_present("bjorn-akesson", by="tove-sjo", at=at))
    await run(meeting_id, lambda s, at: s.mark_present("cecilia-dahl", by="tove-sjo", at=at))
    await run(meeting_id, lambda s, at: s.enter_lobby("elin-sjoberg", at))
    await run(meeting_id, lambda s, at: s.admit("elin-sjoberg", "deciding", by="anna-lind", at=at))
    await page.reload()
    await page.wait_for_selector("#presence-list li:has-text('Elin Sjöberg')")
    assert "4 av 5 ledamöter" in await page.inner_text("#quorum-line")
    async with page.expect_download() as info:
        await page.click("#download-attendance")
    download = await info.value
    assert download.suggested_filename == f"narvaro-{meeting_id}.csv"
    saved = tmp_path / "narvaro.csv"
    await download.save_as(saved)
    text = saved.read_text(encoding="utf-8-sig")
    assert "Elin Sjöberg" in text and "på distans, beslutande" in text

    # The minutes and the evidence, downloaded as the secretary would.
    async with page.expect_download() as info:
        await page.click("#download-minutes-docx")
    download = await info.value
    assert download.suggested_filename == f"protokoll-{meeting_id}.docx"
    await download.save_as(tmp_path / "protokoll.docx")
    minutes = docx_text((tmp_path / "protokoll.docx").read_bytes())
    assert "Elin Sjöberg (V), ledamot, deltar på distans" in minutes
    async with page.expect_download() as info:
        await page.click("#download-evidence")
    download = await info.value
    assert download.suggested_filename == f"beslutsbevis-{meeting_id}.json"
    await download.save_as(tmp_path / "bevis.json")
    assert json.loads((tmp_path / "bevis.json").read_text())["chain"]["intact"] is True

    # The screenshot for docs/: the meeting page with invitations, requests and attendance.
    await page.evaluate("window.scrollTo(0, 0)")
    await page.locator("#invitations-table input.link").first.evaluate("e => e.blur()")
    SCREENSHOT.parent.mkdir(exist_ok=True)
    await page.screenshot(path=str(SCREENSHOT), full_page=True)
    shrink_png(SCREENSHOT)
    assert SCREENSHOT.stat().st_size < 300_000
    assert errors == []
    await context.close()
