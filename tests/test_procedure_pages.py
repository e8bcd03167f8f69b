"""The procedure on the pages, in real headless Chromium with the fake camera: a remote member
(Karin Lind, at home on an iPad-sized screen) asks for the floor from her page, the chair (Eva
Ek, the room's device, a second page) gives it to her and her picture is the large one; she
proposes, asks for a vote and votes from her page, with a clear confirmation; the chair records
the answers of two members in the room, votes last (a tie her vote decides), and her page
shows the result with each person's vote; the decision is recorded, Karin reserves against it.
Both pages during the vote pass axe-core and the layout checks at every size, and are saved
as docs/screens/{chair,member}-vote-<size>.png with KVORUM_UPDATE_DOCS=1."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from server.demo import DEMO_MEETING

from .test_chair_dashboard import LOBBY_CARD, links_by_name, playing
from .test_pages import CHAIR_PARTS, MEMBER_PARTS, at_every_size

playwright_api = pytest.importorskip("playwright.async_api")

ARTIFACTS = Path(__file__).resolve().parent / ".artifacts"
WAIT_MS = 60_000  # generous: a busy 2-core machine
CARD = ".chair-procedure"
PANEL = "#procedure"
# The procedure's parts that must not overlap each other or the rest of the page.
CHAIR_VOTE_PARTS = [*CHAIR_PARTS, CARD, ".cp-voters", ".cp-vote button", ".cp-agenda button"]
MEMBER_VOTE_PARTS = [*MEMBER_PARTS, PANEL, ".vote-buttons button", ".proc-item", "#floor"]


async def open_page(browser, link: str, width: int, height: int):  # type: ignore[no-untyped-def]
    context = await browser.new_context(viewport={"width": width, "height": height},
                                        locale="sv-SE", timezone_id="Europe/Stockholm")
    page = await context.new_page()
    page.errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    await page.goto(link)
    await page.click("#join-button")
    return page


async def sound(chair, patience: float = 240.0) -> None:  # type: ignore[no-untyped-def]
    """Wait until the meeting is open and no link is failed, as a chair would: open it once
    every link works, resume it once the server says it may. On a loaded machine the monitor
    may fail a link by itself (frames late, sound concealed) and restore it later."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + patience
    while True:
        s = await chair.evaluate("""() => { const d = window.kvorumDashboard, v = d.view;
            const failed = v.people.filter((p) => p.link_failed).map((p) => p.person_id);
            return {phase: v.phase, restorable: v.restorable, failed,
                    reasons: failed.map((id) => (d.quality.get(id) || {}).reasons || null)}; }""")
        if s["phase"] == "open" and not s["failed"]:
            return
        if s["phase"] == "scheduled" and not s["failed"]:
            button = "button.open-meeting:not([disabled])"
            if await chair.query_selector(button):
                await chair.click(button)
        if s["phase"] == "suspended" and s["restorable"]:
            button = ".chair-banner button.resume:not([disabled])"
            if await chair.query_selector(button):
                await chair.click(button)
        assert loop.time() < deadline, f"the links never settled: {s}"
        await asyncio.sleep(1.0)


# Refusals a busy machine causes (a link judged failed, the meeting suspended), not the test.
RECOVERABLE = ("meeting_suspended", "link_failed", "links_failed", "not_restorable",
               "vote_void_link_failed")


async def chair_does(chair, selector: str, ref: str, patience: float = 240.0) -> None:  # type: ignore[no-untyped-def]
    """The chair presses a button of the procedure card and the server does it. If a link
    stumbled on the busy machine and the meeting stopped, she waits for it, resumes (as the
    law says) and presses again."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + patience
    while True:
        await sound(chair)
        before = await chair.evaluate("() => window.kvorumAnswers.length")
        await chair.click(selector, timeout=WAIT_MS)
        await chair.wait_for_function(
            f"() => window.kvorumAnswers.slice({before}).some((m) => m.ref === '{ref}')",
            timeout=WAIT_MS)
        answer = await chair.evaluate(
            f"() => window.kvorumAnswers.slice({before}).filter((m) => m.ref === '{ref}').pop()")
        if answer["type"] == "done":
            return
        assert answer.get("code") in RECOVERABLE and loop.time() < deadline, answer


async def answer_of(page, ref: str) -> dict:  # type: ignore[no-untyped-def]
    """The server's answer (done or error) to the last message of type `ref` this page sent."""
    await page.wait_for_function(
        f"() => (window.kvorumAnswers || []).some((m) => m.ref === '{ref}')", timeout=WAIT_MS)
    return await page.evaluate(
        f"() => window.kvorumAnswers.filter((m) => m.ref === '{ref}').pop()")


async def record_answers(page) -> None:  # type: ignore[no-untyped-def]
    """Keep every done/error the page receives in window.kvorumAnswers (newest last)."""
    await page.evaluate("""() => { window.kvorumAnswers = [];
        window.kvorum.listeners.push((m) => {
          if (m.type === 'done' || m.type === 'error') window.kvorumAnswers.push(m); }); }""")


class Voided(Exception):
    """The vote was voided: a remote voter's link failed during it (retaken, as the law says)."""


def latest_vote(server):  # type: ignore[no-untyped-def]
    """The vote started last in the meeting (None before any)."""
    votes = list(server.service.meeting(DEMO_MEETING).votes.votes.values())
    return votes[-1] if votes else None


async def until(page, selector: str, server=None, timeout: float = WAIT_MS / 1000):  # type: ignore[no-untyped-def]
    """Wait for `selector` on the page; raise Voided if the open vote is voided meanwhile."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    vote = latest_vote(server) if server else None
    while not await page.query_selector(selector):
        if vote is not None and vote.voided is not None:
            raise Voided(vote.voided.code)
        assert loop.time() < deadline, f"{selector} never appeared"
        await asyncio.sleep(0.3)


async def roll_call(server, chair, member, screenshots: bool) -> None:  # type: ignore[no-untyped-def]
    """The chair starts the vote; Karin votes nej from her page with a clear confirmation;
    the chair records Jonas's ja and Maja's nej, and votes ja last (her vote decides the tie);
    the vote is closed. Raises Voided when a link failed during it."""
    await chair_does(chair, f"{CARD} button.start-vote", "start-vote")
    buttons = f"{PANEL} .vote-buttons button"
    await until(member, buttons, server)
    assert [t.split()[0] for t in await member.locator(buttons).all_inner_texts()] == [
        "Ja", "Nej", "Avstår"]
    if screenshots:
        await member.evaluate(
            "() => document.querySelector('#procedure .proc-vote').scrollIntoView()")
        await at_every_size(member, "member-vote", MEMBER_VOTE_PARTS)
        await member.set_viewport_size({"width": 1024, "height": 768})

    # The chair may not vote before the others: her buttons wait.
    chair_row = f"{CARD} .cp-voters tr[data-person='ordf']"
    await until(chair, chair_row, server)
    assert await chair.locator(f"{chair_row} button:disabled").count() == 3

    await member.click(f"{buttons}[data-choice='nej']")
    await until(member, f"{PANEL} .my-vote[data-choice='nej']", server)
    assert "Din röst är registrerad: Nej" in await member.inner_text(f"{PANEL} .my-vote")
    vote = server.service.meeting(DEMO_MEETING).votes.open_vote()
    assert vote is None or vote.votes.get("led1") == "nej"

    # The room's answers, recorded by the chair: Jonas ja, Maja nej.
    for pid, choice in (("led4", "ja"), ("led5", "nej")):
        row = f"{CARD} .cp-voters tr[data-person='{pid}']"
        await until(chair, f"{row} button[data-choice='{choice}']", server)
        await chair.click(f"{row} button[data-choice='{choice}']")
        await until(chair, f"{row}[data-answered='true']", server)
    await until(chair, f"{CARD} .cp-voters tr[data-person='led1'][data-answered='true']", server)
    if screenshots:
        await chair.evaluate("() => document.querySelector('.chair-procedure').scrollIntoView()")
        await at_every_size(chair, "chair-vote", CHAIR_VOTE_PARTS)
        await chair.set_viewport_size({"width": 1280, "height": 800})

    # The chair votes last: ja, 2 against 2, her vote decides.
    await until(chair, f"{chair_row} button[data-choice='ja']:not([disabled])", server)
    await chair.click(f"{chair_row} button[data-choice='ja']")
    await until(chair, f"{chair_row}[data-answered='true']", server)
    await until(chair, f"{CARD} button.close-vote:not([disabled])", server)
    try:
        await chair_does(chair, f"{CARD} button.close-vote", "close-vote")
    except AssertionError:
        if latest_vote(server).voided is not None:
            raise Voided("voided before it was closed") from None
        raise
    await until(chair, f"{CARD} .result", server)


async def test_a_remote_member_speaks_proposes_and_votes_from_her_page(procedure_server,
                                                                        browser):
    pages: list = []
    try:
        await walk_through(procedure_server, browser, pages)
    finally:  # what each page showed, for whoever reads a failure
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for name, page in zip(("chair", "member"), pages, strict=False):
            await page.screenshot(path=str(ARTIFACTS / f"procedure-{name}.png"), full_page=True)
            answers = await page.evaluate(
                "() => JSON.stringify(window.kvorumAnswers || [], null, 1)")
            (ARTIFACTS / f"procedure-{name}-answers.json").write_text(answers, encoding="utf-8")
            await page.context.close()


async def walk_through(server, browser, pages: list) -> None:  # type: ignore[no-untyped-def]
    links = links_by_name(server)
    chair = await open_page(browser, links["Eva Ek"], 1280, 800)
    pages.append(chair)
    await chair.wait_for_selector("#dashboard:not([hidden]) tr[data-person='ordf']",
                                  timeout=WAIT_MS)
    member = await open_page(browser, links["Karin Lind"], 1024, 768)  # an iPad on its side
    pages.append(member)
    await member.wait_for_selector("#lobby:not([hidden])", timeout=WAIT_MS)
    await chair.wait_for_function(playing(f"{LOBBY_CARD} video"), timeout=WAIT_MS)
    await chair.click(f"{LOBBY_CARD} button[data-action='admit-deciding']")
    await member.wait_for_selector("#lobby", state="hidden", timeout=WAIT_MS)
    await record_answers(member)
    await record_answers(chair)

    # Roll call: two members in the room; with the chair and Karin 4 of 7, quorate.
    for pid in ("led4", "led5"):
        await chair.click(f"tr[data-person='{pid}'] button[data-action='mark-present']")
        await chair.wait_for_selector(f"tr[data-person='{pid}'][data-presence='room']",
                                      timeout=WAIT_MS)
    await sound(chair)

    # Before any item: the member's panel says so, and offers no floor button.
    await member.wait_for_selector(f"{PANEL}:has-text('Inget ärende är öppet')", timeout=WAIT_MS)
    assert await member.is_hidden("#floor")

    # The chair opens the first item.
    await chair_does(chair, f"{CARD} button.open-item", "open-item")
    await member.wait_for_selector(f"{PANEL} .proc-item:has-text('Mötets öppnande')",
                                   timeout=WAIT_MS)

    # Karin asks for the floor with the button in her controls bar ...
    await member.click("#floor")
    await member.wait_for_selector("#floor[aria-pressed='true']", timeout=WAIT_MS)
    assert server.service.meeting(DEMO_MEETING).speakers.waiting("led1") is not None
    # ... the chair sees her on the list and gives her the floor ...
    queued = f"{CARD} .speaker-queue li[data-person='led1']"
    await chair.wait_for_selector(queued, timeout=WAIT_MS)
    await chair.click(f"{queued} button[data-action='give-floor']")
    # ... and both pages say she has it; her picture is the large one on the chair's page.
    await member.wait_for_selector(f"{PANEL} .floor-now:has-text('Karin Lind (du)')",
                                   timeout=WAIT_MS)
    led_id = await member.evaluate("() => window.kvorum.participantId")
    await chair.wait_for_selector(f"#gallery .tile.speaking[data-participant='{led_id}']",
                                  timeout=WAIT_MS)
    assert await member.inner_text("#floor .toggle-state") == "du har ordet"

    # The chair states the draft decision as the main proposal; Karin proposes otherwise.
    await chair.fill(f"{CARD} #draft-text", "Nämnden förklarar sammanträdet öppnat.")
    await chair_does(chair, f"{CARD} button.state-draft", "state-draft")
    await member.wait_for_selector(f"{PANEL} .proposal.draft", timeout=WAIT_MS)
    await member.fill("#proposal-text", "Jag yrkar att sammanträdet öppnas först kl. 19.")
    await member.click(f"{PANEL} button.propose")
    assert (await answer_of(member, "propose"))["type"] == "done"
    await chair.wait_for_selector(f"{CARD} .proposal:has-text('öppnas först kl. 19')",
                                  timeout=WAIT_MS)
    assert await member.input_value("#proposal-text") == ""  # the form is ready for another

    # End of deliberation: the chair sees the equal-terms check and confirms it, then the order.
    await chair_does(chair, f"{CARD} button.end-deliberation", "end-deliberation")
    await chair.wait_for_selector(f"{CARD} .equal-terms", timeout=WAIT_MS)
    await chair_does(chair, f"{CARD} button.confirm-equal-terms", "confirm-equal-terms")
    await chair_does(chair, f"{CARD} button.set-order", "set-proposition-order")
    # The question: the chair finds for the draft (ja); a vote may be requested for 30 s.
    await chair_does(chair, f"{CARD} button[data-action='put-question-ja']", "put-question")
    await member.click(f"{PANEL} button.request-vote", timeout=WAIT_MS)
    assert (await answer_of(member, "request-vote"))["type"] == "done"
    await chair.wait_for_selector(f"{CARD} .requested:has-text('Karin Lind')", timeout=WAIT_MS)

    # The vote, from Karin's page and the chair's (taken again if a link failed during it).
    for attempt in range(3):
        try:
            await roll_call(server, chair, member, screenshots=attempt == 0)
            break
        except Voided:
            continue
    else:
        raise AssertionError("every vote was voided: the links kept failing")

    # The result on the chair's page: each person's vote, and how the tie was broken.
    result = f"{CARD} .result"
    await chair.wait_for_selector(result, timeout=WAIT_MS)
    votes = {await row.get_attribute("data-person"): await row.get_attribute("data-choice")
             for row in await chair.query_selector_all(f"{result} tbody tr")}
    assert votes == {"led1": "nej", "led4": "ja", "led5": "nej", "ordf": "ja"}, votes
    text = await chair.inner_text(result)
    for name in ("Karin Lind", "Jonas Nyström", "Maja Svensson", "Eva Ek"):
        assert name in text, text
    assert "Ja 2 · Nej 2 · Avstår 0" in text and "utslagsröst" in text, text
    # ... and on the member's page.
    await member.wait_for_selector(f"{PANEL} .result tr[data-person='led1'][data-choice='nej']",
                                   timeout=WAIT_MS)

    # The decision; Karin, who voted against it, reserves from her page with a reason.
    await chair_does(chair, f"{CARD} button[data-action='decide-after-vote']", "decide")
    await chair.wait_for_selector(f"{CARD} .decision:has-text('förklarar sammanträdet öppnat')",
                                  timeout=WAIT_MS)
    form = f"{PANEL} .reserve-form[data-item='1']"
    await member.wait_for_selector(form, timeout=WAIT_MS)
    await member.fill(f"{form} textarea", "Ledamöterna hann inte läsa handlingarna.")
    await member.click(f"{form} button.reserve")
    assert (await answer_of(member, "reserve"))["type"] == "done"
    await chair.wait_for_selector(f"{CARD} .reservations:has-text('Karin Lind')", timeout=WAIT_MS)
    reservation = server.service.meeting(DEMO_MEETING).reservations.by_item["1"]["led1"]
    assert reservation.reason == "Ledamöterna hann inte läsa handlingarna."

    # A refusal is shown in the server's words on the page that asked: a second reservation.
    await member.evaluate("() => window.kvorum.connection.send("
                          "{type: 'reserve', item_id: '1', reason: ''})")
    await member.wait_for_selector(f"{PANEL} .proc-error:has-text('redan reserverat')",
                                   timeout=WAIT_MS)
    assert not member.errors and not chair.errors, member.errors + chair.errors


async def test_pause_jav_adjournment_and_a_refused_secret_ballot_on_the_pages(procedure_server,
                                                                            browser):
    pages: list = []
    try:
        await pause_jav_adjourn_table(procedure_server, browser, pages)
    finally:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for name, page in zip(("chair", "member"), pages, strict=False):
            await page.screenshot(path=str(ARTIFACTS / f"procedure2-{name}.png"), full_page=True)
            await page.context.close()


async def two_step(chair, selector: str, ref: str) -> None:  # type: ignore[no-untyped-def]
    """A consequential button: pressed, then pressed again to confirm."""
    await sound(chair)
    await chair.click(selector, timeout=WAIT_MS)
    await chair_does(chair, f"{selector}.confirm", ref)


async def pause_jav_adjourn_table(server, browser, pages: list) -> None:  # type: ignore[no-untyped-def]
    links = links_by_name(server)
    chair = await open_page(browser, links["Eva Ek"], 1024, 768)
    pages.append(chair)
    await chair.wait_for_selector("#dashboard:not([hidden]) tr[data-person='ordf']",
                                  timeout=WAIT_MS)
    member = await open_page(browser, links["Karin Lind"], 768, 1024)  # an iPad upright
    pages.append(member)
    await chair.wait_for_function(playing(f"{LOBBY_CARD} video"), timeout=WAIT_MS)
    await chair.click(f"{LOBBY_CARD} button[data-action='admit-deciding']")
    await member.wait_for_selector("#lobby", state="hidden", timeout=WAIT_MS)
    await record_answers(member)
    await record_answers(chair)
    for pid in ("led4", "led5"):
        await chair.click(f"tr[data-person='{pid}'] button[data-action='mark-present']")
        await chair.wait_for_selector(f"tr[data-person='{pid}'][data-presence='room']",
                                      timeout=WAIT_MS)
    await sound(chair)
    state = server.service.meeting(DEMO_MEETING)

    # Karin's own technical pause, on and off from her page; the chair sees it.
    await member.click(f"{PANEL} button.technical-pause")
    await member.wait_for_selector(f"{PANEL} .proc-notice[data-kind='paused']", timeout=WAIT_MS)
    await chair.wait_for_selector(f"{CARD} .cp-paused:has-text('Karin Lind')", timeout=WAIT_MS)
    assert state.present["led1"].paused
    await member.click(f"{PANEL} button.technical-pause[aria-pressed='true']")
    await chair.wait_for_selector(f"{CARD} .cp-paused", state="detached", timeout=WAIT_MS)
    assert not state.present["led1"].paused

    # Jäv for item 2, declared ahead from her page (a second press confirms).
    await member.click(f"{PANEL} .jav summary")
    await member.select_option("#jav-item", "2")
    await member.fill("#jav-reason", "Min bror är föreslagen justerare.")
    await member.click(f"{PANEL} button.declare-jav")
    await member.click(f"{PANEL} button.declare-jav.confirm")
    assert (await answer_of(member, "declare-jav"))["type"] == "done"
    assert state.jav.has("2", "led1")

    # Item 1 opened and closed; item 2 opened: Karin is outside it and told so plainly.
    await chair_does(chair, f"{CARD} button.open-item", "open-item")
    await two_step(chair, f"{CARD} button[data-action='close-item']", "close-item")
    await chair_does(chair, f"{CARD} button.open-item", "open-item")
    notice = f"{PANEL} .proc-notice[data-kind='jav']"
    await member.wait_for_selector(notice, timeout=WAIT_MS)
    text = await member.inner_text(notice)
    assert "utanför sammanträdet" in text and "Val av justerare" in text, text
    assert "släpps in igen" in text, text
    assert await member.is_hidden(f"{PANEL} .proc-floor") and await member.is_hidden("#floor")
    await chair.wait_for_selector(f"{CARD} .cp-jav:has-text('Karin Lind')", timeout=WAIT_MS)
    await at_every_size(member, "member-jav", MEMBER_PARTS + [PANEL])  # noqa: RUF005
    await member.set_viewport_size({"width": 768, "height": 1024})
    # ... and let back in when it closes.
    await two_step(chair, f"{CARD} button[data-action='close-item']", "close-item")
    await member.wait_for_selector(notice, state="detached", timeout=WAIT_MS)
    await member.wait_for_selector(f"{PANEL}:has-text('Inget ärende är öppet')", timeout=WAIT_MS)

    # Adjournment in two party groups: Karin (M) is told hers; resuming ends it.
    await chair.click(f"{CARD} .cp-adjourn-details summary")
    await chair.fill("#adjourn-groups", "S, V; M, C")
    await chair_does(chair, f"{CARD} button.adjourn", "adjourn")
    group = f"{PANEL} .proc-notice[data-kind='adjourned'] .group"
    await member.wait_for_selector(group, timeout=WAIT_MS)
    assert "partigruppen M, C" in await member.inner_text(group)
    await chair_does(chair, f"{CARD} button.end-adjournment", "end-adjournment")
    await member.wait_for_selector(group, state="detached", timeout=WAIT_MS)

    # Item 3: the draft and a proposal Jonas makes in the room, recorded by the chair.
    await chair_does(chair, f"{CARD} button.open-item", "open-item")
    await chair.fill(f"{CARD} #draft-text", "Nämnden godkänner budgetuppföljningen.")
    await chair_does(chair, f"{CARD} button.state-draft", "state-draft")
    await chair.click(f"{CARD} .cp-room-proposal-details summary")
    await chair.select_option("#proposal-person", "led4")
    await chair.fill("#room-proposal-text", "Återremiss.")
    await chair_does(chair, f"{CARD} button[data-action='room-propose']", "propose")
    await member.wait_for_selector(f"{PANEL} .proposal:has-text('Jonas Nyströms yrkande')",
                                   timeout=WAIT_MS)
    # An observer (Sara Ali, a substitute attending from home) may ask for the floor but is
    # offered neither a proposal nor a vote: the server's `you` says she does not decide.
    observer = await open_page(browser, links["Sara Ali"], 768, 1024)
    await chair.wait_for_selector(".lobby-card[data-person='ers1'] "
                                  "button[data-action='admit-attending-only']", timeout=WAIT_MS)
    await chair.click(".lobby-card[data-person='ers1'] button[data-action='admit-attending-only']")
    await observer.wait_for_selector(f"{PANEL} .hint.observer", timeout=WAIT_MS)
    assert await observer.is_visible("#floor")
    assert await observer.is_hidden(f"{PANEL} .proposal-form")
    assert "Jonas Nyströms yrkande" in await observer.inner_text(f"{PANEL} .proposals")
    await observer.context.close()
    for selector, ref in ((f"{CARD} button.end-deliberation", "end-deliberation"),
                          (f"{CARD} button.confirm-equal-terms", "confirm-equal-terms"),
                          (f"{CARD} button.set-order", "set-proposition-order"),
                          (f"{CARD} button[data-action='put-question-ja']", "put-question")):
        await chair_does(chair, selector, ref)
    # A secret ballot with a deciding member at home: refused in plain words, with the offer
    # to table the item; the chair takes it.
    await sound(chair)
    await chair.click(f"{CARD} button[data-action='start-secret']")
    refused = f"{CARD} .cp-refused"
    await chair.wait_for_selector(f"{refused}:has-text('Sluten omröstning kan inte hållas')",
                                  timeout=WAIT_MS)
    assert "secret ballot" in await chair.inner_text(refused)
    await two_step(chair, f"{refused} button[data-action='offer-table']", "table-item")
    assert state.agenda.items["3"].status == "tabled"
    await member.wait_for_selector(f"{PANEL} .proc-agenda li[data-item='3'][data-status='tabled']",
                                   state="attached", timeout=WAIT_MS)
    assert not member.errors and not chair.errors, member.errors + chair.errors
