"""Every page as people use it, in one headless Chromium at 1280x800, 1024x768 and 768x1024:
axe-core finds no serious or critical WCAG violation; on the member's and the chair's pages no
named control or caption overlaps another, none is clipped, every button is a 44 px target;
the texts people stumbled on say what they should. Screenshots of each page and size go to
docs/screens/ with KVORUM_UPDATE_DOCS=1 (else tests/.artifacts/screens/)."""

from __future__ import annotations

import asyncio
import io
import os
import re
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web

from server.app import create_app
from server.config import Config
from server.keys import ADMIN_KEY

from .browser import CHROMIUM, chromium_args, write_face_y4m
from .conftest import RunningServer
from .test_chair_dashboard import (
    LOBBY_CARD,
    links_by_name,
    open_when_sound,
    playing,
    until_led1_is_sound,
)

playwright_api = pytest.importorskip("playwright.async_api")
axe_api = pytest.importorskip("axe_playwright_python.async_playwright")

pytestmark = pytest.mark.asyncio(loop_scope="module")

SIZES = [(1280, 800), (1024, 768), (768, 1024)]
SCREENS = Path(__file__).resolve().parent.parent / (
    "docs/screens" if os.environ.get("KVORUM_UPDATE_DOCS") else "tests/.artifacts/screens")
SCREEN_MAX_BYTES = 160 * 1024
FAILING_IMPACTS = ("serious", "critical")

# What must never overlap on the meeting pages (a control inside another, e.g. a caption in
# its tile, is fine): the room's heading and status, the banner, the pictures and their
# name captions, the self-view, the controls bar and its buttons.
MEMBER_PARTS = ["#room-title", "#my-quality", "#phase-banner", "#lobby", ".tile", ".tile .name",
                "#self", "#self figcaption", "#controls", "#mic", "#cam", "#leave"]
CHAIR_PARTS = ["#room-title", "#my-quality", ".chair-banner", ".chair-head", ".quorum",
               ".lobby-card", ".people-table td.who", ".people-table td.presence",
               ".people-table td.media", ".people-table td.actions button", "#self",
               "#self figcaption", "#gallery .tile:not(.in-lobby)", ".tile .name", "#controls",
               "#mic", "#cam", "#leave"]

SECRETARY_PARTS = [".sidebar", ".page-head h1", ".head-badges .badge", ".card-head h2",
                   ".card-head button", ".table td", "#invite-form select", "#invite-form button"]
CHECK_PARTS = [".panel", ".video-box", ".live div", "#start", "#listen", ".verdict",
               "table.figures", "#again", "#next"]

LAYOUT_PROBLEMS = (Path(__file__).parent / "layout_problems.js").read_text(encoding="utf-8")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def site(tmp_path_factory) -> AsyncIterator[RunningServer]:  # type: ignore[no-untyped-def]
    """One server with the demo meeting for the whole module."""
    port = free_port()
    config = Config(host="127.0.0.1", port=port, tls=False,
                    database=tmp_path_factory.mktemp("pages") / "kvorum.sqlite3", demo=True)
    app = create_app(config)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield RunningServer(app, f"http://127.0.0.1:{port}")
    finally:
        await runner.cleanup()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def chromium(tmp_path_factory):  # type: ignore[no-untyped-def]
    """One headless Chromium for every page of the module (its fake camera shows a face)."""
    y4m = write_face_y4m(tmp_path_factory.mktemp("camera") / "face.y4m")
    async with playwright_api.async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                          args=chromium_args(y4m))
        try:
            yield browser
        finally:
            await browser.close()


async def new_page(chromium, size: tuple[int, int] = SIZES[0]):  # type: ignore[no-untyped-def]
    context = await chromium.new_context(viewport={"width": size[0], "height": size[1]},
                                         locale="sv-SE", timezone_id="Europe/Stockholm")
    page = await context.new_page()
    page.errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    return page


def shrink(png: bytes) -> bytes:
    """A 64-colour palette keeps the flat UI readable and docs/ small (Pillow comes with
    scikit-image, a test dependency)."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    out = io.BytesIO()
    image.quantize(colors=64, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        out, "PNG", optimize=True)
    return out.getvalue()


async def accessible(page, name: str, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    """axe-core (bundled with axe-playwright-python, offline) finds nothing serious, and the
    page is saved as docs/screens/<name>-<w>x<h>.png."""
    await page.wait_for_timeout(300)  # let a resize settle
    results = await axe_api.Axe().run(page)
    bad = [v for v in results.response["violations"] if v["impact"] in FAILING_IMPACTS]
    report = "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} -> "
        + "; ".join(", ".join(n["target"]) for n in v["nodes"][:5]) for v in bad)
    SCREENS.mkdir(parents=True, exist_ok=True)
    path = SCREENS / f"{name}-{size[0]}x{size[1]}.png"
    path.write_bytes(shrink(await page.screenshot(type="png")))
    assert path.stat().st_size < SCREEN_MAX_BYTES, f"{path.name} is {path.stat().st_size} bytes"
    assert not bad, f"{name} at {size[0]}x{size[1]}:\n{report}"


async def at_every_size(page, name: str, parts: list[str] | None = None) -> None:  # type: ignore[no-untyped-def]
    for size in SIZES:
        await page.set_viewport_size({"width": size[0], "height": size[1]})
        await accessible(page, name, size)
        if parts is not None:
            problems = await page.evaluate(LAYOUT_PROBLEMS, parts)
            assert not problems, f"{name} at {size[0]}x{size[1]}: " + "\n".join(problems)


WAIT_MS = 60_000  # generous: the machine may be busy (CI has 2 cores, shared)


class Meeting:
    """The demo meeting as the tests walk it, forward only: the chair's room device and
    Karin Lind at home. Each step first takes the ones before it that have not been taken,
    so a test may run alone, and a step that failed half-way is finished by the next test."""

    STEPS = ("start", "lobby", "admitted", "open", "suspended")

    def __init__(self, site: RunningServer, chromium: Any) -> None:
        self.site, self.chromium = site, chromium
        self.links = links_by_name(site)
        self.chair: Any = None
        self.member: Any = None
        self.step = "start"

    def reached(self, step: str) -> bool:
        return self.step not in self.STEPS or self.STEPS.index(self.step) >= self.STEPS.index(step)

    async def join(self, who: str) -> Any:
        page = await new_page(self.chromium)
        await page.goto(self.links[who])
        await page.click("#join-button")
        return page

    async def lobby(self) -> None:
        """The chair is in; Karin Lind waits in the lobby and the chair sees her card."""
        if self.reached("lobby"):
            return
        if self.chair is None:
            self.chair = await self.join("Eva Ek")
        await self.chair.wait_for_selector("tr[data-person='ordf']", timeout=WAIT_MS)
        if self.member is None:
            self.member = await self.join("Karin Lind")
        await self.member.wait_for_selector("#lobby:not([hidden])", timeout=WAIT_MS)
        await self.chair.wait_for_function(playing(f"{LOBBY_CARD} video"), timeout=WAIT_MS)
        self.step = "lobby"

    async def admitted(self) -> None:
        """The chair admits Karin Lind as deciding."""
        await self.lobby()
        if self.reached("admitted"):
            return
        await self.chair.click(f"{LOBBY_CARD} button[data-action='admit-deciding']")
        await self.member.wait_for_selector("#lobby", state="hidden", timeout=WAIT_MS)
        self.step = "admitted"

    async def open(self) -> None:
        """The meeting open, Karin Lind's link sound and the chair's picture playing for her."""
        await self.admitted()
        if self.reached("open"):
            return
        await open_when_sound(self.chair)
        await until_led1_is_sound(self.chair)
        chair_id = await self.chair.evaluate("() => window.kvorum.participantId")
        await self.member.wait_for_function(
            playing(f'.tile[data-participant="{chair_id}"] video'), timeout=WAIT_MS)
        self.step = "open"

    async def suspended(self) -> None:
        """Karin Lind's camera stops: the meeting is suspended."""
        await self.open()
        if self.reached("suspended"):
            return
        await self.member.evaluate("() => window.kvorum.local.getVideoTracks()[0].stop()")
        await self.chair.wait_for_selector(
            ".chair-banner[data-kind='suspended']:has-text('Karin Lind')", timeout=WAIT_MS)
        await self.chair.wait_for_function(
            "() => window.kvorumDashboard.view.phase === 'suspended'", timeout=WAIT_MS)
        self.step = "suspended"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def meeting(site, chromium) -> Meeting:  # type: ignore[no-untyped-def]
    return Meeting(site, chromium)


async def test_start_page_says_meetings_are_reached_by_personal_link(site, chromium):
    page = await new_page(chromium)
    await page.goto(site.base_url + "/")
    text = await page.inner_text("main")
    assert "Inga möten" not in text
    assert "personliga länk" in text
    await at_every_size(page, "start")
    favicon = await page.request.get(site.base_url + "/favicon.ico")
    assert favicon.ok and favicon.headers["content-type"].startswith("image/")
    assert page.errors == []


async def test_join_page_says_which_meeting_and_person(site, chromium):
    page = await new_page(chromium)
    await page.goto(links_by_name(site)["Karin Lind"])
    await page.wait_for_selector("#invite:not([hidden])")
    invite = await page.inner_text("#invite")
    assert "Karin Lind" in invite and "Demonämnden" in invite and "kl. " in invite
    assert "Karin Lind" in await page.inner_text("#join-button")
    assert await page.inner_text("#status") == "Inte ansluten"
    await at_every_size(page, "join")
    assert page.errors == []


async def test_secretary_sign_in_shows_only_the_form(site, chromium):
    page = await new_page(chromium)
    await page.goto(site.base_url + "/secretary")
    await page.wait_for_selector("#login-form")
    assert await page.is_visible("#login-form")
    for hidden in ["#app", ".sidebar", "#welcome", "#logout"]:
        assert await page.is_hidden(hidden), f"{hidden} shows before sign-in"
    assert "Välj en nämnd" not in await page.inner_text("body")
    await at_every_size(page, "secretary-login", SECRETARY_PARTS)


async def test_secretary_meeting_page(site, chromium):
    page = await new_page(chromium)
    await page.goto(site.base_url + f"/secretary#key={site.app[ADMIN_KEY]}")
    await page.wait_for_selector("#committee-list a:has-text('Demonämnden')")
    await page.goto(site.base_url + "/secretary#m=demo")
    await page.wait_for_selector("#invitations-table tbody tr")
    await at_every_size(page, "secretary", SECRETARY_PARTS)
    assert page.errors == []


async def test_lobby_page(meeting):
    await meeting.lobby()
    member = meeting.member
    # focus went to the room after joining, and the header does not claim "Ansluten"
    assert await member.evaluate("() => document.activeElement.id") == "room-title"
    assert "lobbyn" in await member.inner_text("#status")
    await at_every_size(member, "lobby", MEMBER_PARTS)
    await at_every_size(meeting.chair, "chair-lobby", CHAIR_PARTS)


async def test_member_and_chair_pages_in_session(meeting):
    await meeting.open()
    member, chair = meeting.member, meeting.chair
    await member.wait_for_function(
        "() => document.getElementById('status').textContent === 'Ansluten'", timeout=WAIT_MS)
    assert await member.locator("main h1:visible").count() >= 1
    await at_every_size(member, "member", MEMBER_PARTS)
    await at_every_size(chair, "chair", CHAIR_PARTS)
    # the chair in the room is not given advice meant for people at home
    assert "4G" not in await chair.inner_text("#room")
    assert not member.errors and not chair.errors, member.errors + chair.errors


async def test_suspension_reason_in_swedish_with_the_name(meeting):
    await meeting.suspended()
    chair, member = meeting.chair, meeting.member
    reason = await chair.inner_text(".chair-banner .banner-reason")
    assert "Karin Lind" in reason, reason
    assert not re.search(r"\d\.\d", reason), f"an English decimal point: {reason}"
    english = r"\b(camera|video|frame|track|off|live|beyond|concealed)\b"
    assert not re.search(english, reason), reason
    assert await chair.get_attribute(".chair-banner", "role") == "alert"
    await member.wait_for_selector("#phase-banner:not([hidden])", timeout=WAIT_MS)
    own = await member.inner_text("#phase-banner")
    assert own.startswith("Sammanträdet är avbrutet.") and "Din bild" in own, own
    await at_every_size(chair, "chair-suspended", CHAIR_PARTS)
    await at_every_size(member, "member-suspended", MEMBER_PARTS)


async def test_after_leaving_the_chair_sees_no_stale_figures(meeting):
    await meeting.open()
    chair, member = meeting.chair, meeting.member
    await member.click("#leave")
    await member.wait_for_selector("#left:not([hidden])")
    assert await member.evaluate("() => document.activeElement.id") == "left-heading"
    row = "tr[data-person='led1']"
    # "Lämna mötet" is a departure, recorded as left: absent, no figures, no broken link
    await chair.wait_for_selector(f"{row}[data-presence='absent']", timeout=WAIT_MS)
    await chair.wait_for_selector(f"{row}[data-quality='none']", timeout=WAIT_MS)
    assert await chair.locator(f"{row} .figs").count() == 0
    text = await chair.inner_text(row)
    assert "ansikte" not in text and "Inte ansluten" not in text, text
    meeting.step = "left"


async def test_device_check_page(site, chromium):
    page = await new_page(chromium)
    await page.goto(site.base_url + "/check")
    await page.wait_for_selector("#start:not([disabled])", timeout=WAIT_MS)
    await at_every_size(page, "check", CHECK_PARTS)
    await page.set_viewport_size({"width": SIZES[0][0], "height": SIZES[0][1]})
    await page.click("#start")
    await page.wait_for_selector("#result:not([hidden])", timeout=2 * WAIT_MS)
    await page.evaluate("() => window.scrollTo(0, 0)")
    await asyncio.sleep(0.5)
    await at_every_size(page, "check-result", CHECK_PARTS)
    assert page.errors == []
