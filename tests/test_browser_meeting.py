"""A real browser joins a meeting with a synthetic participant, through the SFU."""

from __future__ import annotations

import asyncio

import pytest

from bench.synthetic import SyntheticParticipant

playwright_api = pytest.importorskip("playwright.async_api")


async def test_browser_and_synthetic_participant_see_each_other(server, browser):
    page = await browser.new_page()
    await page.goto(server.base_url + "/m/open")
    await page.fill("#name", "Anna Andersson")
    await page.click("#join-button")

    synthetic = SyntheticParticipant(server.base_url, "open", "Bo Berg", mark=2)
    await synthetic.join()
    try:
        # The browser plays the synthetic participant's video: it has a size and time advances.
        tile = f'.tile[data-participant="{synthetic.id}"] video'
        await page.wait_for_function(
            f"() => {{ const v = document.querySelector('{tile}');"
            " return v && v.videoWidth > 0 && v.currentTime > 0; }", timeout=20_000)
        first = await page.eval_on_selector(tile, "v => v.currentTime")
        await asyncio.sleep(1.0)
        later = await page.eval_on_selector(tile, "v => v.currentTime")
        assert later > first, "remote video is not advancing"
        assert await page.eval_on_selector(tile, "v => v.videoWidth") == 320

        # The synthetic participant receives the browser's camera (the astronaut clip).
        browser_id = await page.evaluate("() => window.kvorum.participantId")
        deadline = asyncio.get_running_loop().time() + 20
        while "video" not in synthetic.streams_from(browser_id):
            assert asyncio.get_running_loop().time() < deadline, "no m-line for the browser"
            await asyncio.sleep(0.1)
        frame = await asyncio.wait_for(synthetic.streams_from(browser_id)["video"].track.recv(), 20)
        assert (frame.width, frame.height) == (640, 360)

        pair = await page.evaluate("""async () => {
            const stats = await window.kvorum.pc.getStats();
            for (const s of stats.values()) {
              if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') {
                return [stats.get(s.localCandidateId).address,
                        stats.get(s.remoteCandidateId).address];
              }
            }
            return null; }""")
        assert pair == ["127.0.0.1", "127.0.0.1"], f"media did not use loopback: {pair}"
    finally:
        await synthetic.leave()
        await page.close()
