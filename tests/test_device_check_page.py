"""The device check page (/check) in a real browser: camera, microphone, a round trip
through the server's echo room, and a verdict with the figures behind it."""

from __future__ import annotations

import asyncio
import re

import pytest

playwright_api = pytest.importorskip("playwright.async_api")


async def test_device_check_page_measures_and_gives_a_verdict(server, browser):
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(server.base_url + "/check")

    # The camera preview plays and the microphone meter has a level before the test.
    await page.wait_for_selector("#start:not([disabled])", timeout=20_000)
    await page.wait_for_function(
        "() => document.getElementById('local-video').videoWidth > 0", timeout=20_000)
    await page.wait_for_function(
        "() => Number.isFinite(window.kvorumCheck.micNowDb)", timeout=10_000)

    await page.click("#start")
    # Progress is shown while measuring, with the echoed video from the server.
    await page.wait_for_function(
        "() => document.getElementById('progress-text').textContent.startsWith('Mäter')",
        timeout=30_000)
    assert await page.eval_on_selector("#echo-video", "v => v.videoWidth") > 0

    await page.wait_for_selector("#result:not([hidden])", timeout=60_000)
    verdict = await page.get_attribute("#verdict", "data-verdict")
    assert verdict in ("pass", "fail")
    title = await page.inner_text("#verdict-title")
    assert ("Inte godkänt" if verdict == "fail" else "Godkänt") in title

    # The figures behind the verdict: measured on the echoed stream and by the server.
    async def value(key: str) -> str:
        return await page.inner_text(f"#figures tr[data-key='{key}'] td.value")

    assert re.match(r"\d+(,\d)? bilder/s", await value("fps")), await value("fps")
    assert re.match(r"\d+ ms", await value("rtt")), await value("rtt")
    assert re.match(r"\d+ ms", await value("delay")), await value("delay")
    assert re.match(r"\d+(,\d)? %", await value("video_loss")), await value("video_loss")
    assert (await value("height")).endswith("px")
    assert (await value("server")).split("\n")[0] in ("bra", "försämrad", "bruten")
    assert await page.get_attribute("#figures tr[data-key='camera']", "data-state") == "ok"
    # thresholds come from the server's profile (GET /api/profile), the monitor's own
    profile = server.service.profile.quality
    requirement = await page.inner_text("#figures tr[data-key='fps'] td.req")
    assert f"minst {profile.fps.degraded:g}" in requirement

    # Advice from the municipality's guidance: headset, stable network (not 4G), sit alone.
    advice = await page.inner_text(".advice")
    assert "headset" in advice and "4G" in advice and "avskilt" in advice

    # Leaving the page's echo room closes it on the server.
    for _ in range(50):
        if not [r for r in server.rooms if r.id.startswith("check-")]:
            break
        await asyncio.sleep(0.1)
    assert not [r for r in server.rooms if r.id.startswith("check-")], "check room left behind"
    assert not errors, errors
