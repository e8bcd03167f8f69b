"""H.264 with a real browser: what an iPad's Safari sends and needs, with no transcoding.

Debian's Chromium encodes H.264 (OpenH264) and decodes it (FFmpeg), so the page itself
can be an H.264 publisher; synthetic participants publish pre-encoded VP8 or H.264.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bench.synthetic import SyntheticParticipant
from media.video_codecs import H264, VP8

from .test_relay import first_video_mark, wait_until
from .test_video_codecs import count_encodes

playwright_api = pytest.importorskip("playwright.async_api")

# A page that decodes only H.264, as Safari without VP8: before each answer its video
# transceivers prefer H.264 only (setCodecPreferences binds what a page receives).
DECODE_ONLY_H264 = """
const createAnswer = RTCPeerConnection.prototype.createAnswer;
RTCPeerConnection.prototype.createAnswer = function (...args) {
  const h264 = RTCRtpReceiver.getCapabilities('video').codecs
    .filter((c) => /video\\/(h264|rtx)/i.test(c.mimeType));
  for (const t of this.getTransceivers()) {
    if (t.receiver.track.kind === 'video') t.setCodecPreferences(h264);
  }
  return createAnswer.apply(this, args);
};
"""

# A page that sends only H.264 (constrained baseline) whatever the offer's order, and
# decodes everything: RTCRtpEncodingParameters.codec on its camera's sender.
SEND_ONLY_H264 = """
const setLocal = RTCPeerConnection.prototype.setLocalDescription;
RTCPeerConnection.prototype.setLocalDescription = async function (...args) {
  const done = await setLocal.apply(this, args);
  const h264 = RTCRtpSender.getCapabilities('video').codecs.find((c) =>
    c.mimeType === 'video/H264' && /42e01f/.test(c.sdpFmtpLine)
    && /packetization-mode=1/.test(c.sdpFmtpLine));
  for (const t of this.getTransceivers()) {
    if (!t.sender.track || t.sender.track.kind !== 'video') continue;
    const parameters = t.sender.getParameters();
    if (parameters.encodings.length && !parameters.encodings[0].codec) {
      parameters.encodings[0].codec = h264;
      await t.sender.setParameters(parameters);
    }
  }
  return done;
};
"""

# What the page receives and sends, per participant and kind, from getStats.
PAGE_MEDIA = """async () => {
  const stats = await window.kvorum.pc.getStats();
  const out = {inbound: {}, outbound: null};
  for (const s of stats.values()) {
    const codec = s.codecId && stats.get(s.codecId) ? stats.get(s.codecId).mimeType : null;
    if (s.type === 'inbound-rtp' && s.kind === 'video') {
      const info = window.kvorum.tracks[s.mid];
      if (info) out.inbound[info.participant] = {codec, framesDecoded: s.framesDecoded || 0};
    }
    if (s.type === 'outbound-rtp' && s.kind === 'video' && s.framesEncoded) {
      out.outbound = {codec, framesEncoded: s.framesEncoded};
    }
  }
  return out;
}"""


async def open_page(browser: Any, server: Any, script: str | None) -> tuple[Any, str]:
    page = await browser.new_page()
    if script is not None:
        await page.add_init_script(script)
    await page.goto(server.base_url + "/m/open")
    await page.fill("#name", "Anna Andersson")
    await page.click("#join-button")
    await page.wait_for_function("() => window.kvorum && window.kvorum.participantId",
                                 timeout=20_000)
    return page, await page.evaluate("() => window.kvorum.participantId")


async def page_plays(page: Any, participant: str) -> None:
    """The page's video of ``participant`` has a picture and its time advances."""
    tile = f'.tile[data-participant="{participant}"] video'
    await page.wait_for_function(
        f"() => {{ const v = document.querySelector('{tile}');"
        " return v && v.videoWidth > 0 && v.currentTime > 0; }", timeout=20_000)
    first = await page.eval_on_selector(tile, "v => v.currentTime")
    await asyncio.sleep(1.0)
    assert await page.eval_on_selector(tile, "v => v.currentTime") > first


async def browser_frame(person: SyntheticParticipant, page_id: str) -> Any:
    """A frame of the page's camera, decoded by the synthetic participant."""
    assert await wait_until(lambda: "video" in person.streams_from(page_id), timeout=20)
    stream = person.streams_from(page_id)["video"]
    return stream, await asyncio.wait_for(stream.track.recv(), 20)


async def test_a_page_without_vp8_turns_the_meeting_to_h264_and_sees_every_h264_publisher(
        server, browser, monkeypatch):
    """The brief's room: the page decodes only H.264 (Safari without VP8), one synthetic
    participant publishes VP8 and cannot switch (a replayed clip), one publishes H.264."""
    encodes = count_encodes(monkeypatch)
    page, page_id = await open_page(browser, server, DECODE_ONLY_H264)
    vp8 = SyntheticParticipant(server.base_url, "open", "Vera VP8", mark=1, codec=VP8)
    avc = SyntheticParticipant(server.base_url, "open", "Hugo H264", mark=2, codec=H264)
    for person in (vp8, avc):
        await person.join()
    router = server.rooms.get("open").router
    try:
        assert await wait_until(lambda: router.video_codec == H264, timeout=10)
        # at the browser: the H.264 participant plays; the page sends H.264 (offered first)
        await page_plays(page, avc.id)
        media = await page.evaluate(PAGE_MEDIA)
        assert media["inbound"][avc.id]["codec"] == "video/H264"
        assert media["outbound"]["codec"] == "video/H264", media
        # at the synthetic clients: the page's camera in H.264, and each other
        for person in (vp8, avc):
            stream, frame = await browser_frame(person, page_id)
            assert (frame.width, frame.height) == (640, 360)
            assert set(stream.codecs.values()) <= {H264, "RTX"}, stream.codecs
        assert await first_video_mark(vp8.streams_from(avc.id)["video"]) == avc.mark
        assert await first_video_mark(avc.streams_from(vp8.id)["video"]) == vp8.mark
        # the VP8-only publisher cannot reach the page, and the router says so
        assert router.undecodable() == [(page_id, vp8.id, VP8, frozenset({H264}))]
        assert media["inbound"].get(vp8.id, {}).get("framesDecoded", 0) == 0
        assert encodes == [], f"the server encoded media: {set(encodes)}"
    finally:
        for person in (vp8, avc):
            await person.leave()
        await page.close()


async def test_a_page_sending_h264_and_vp8_and_h264_participants_all_see_each_other(
        server, browser, monkeypatch):
    """Mixed codecs, everyone decodes both: every video plays at both ends, untouched."""
    encodes = count_encodes(monkeypatch)
    page, page_id = await open_page(browser, server, SEND_ONLY_H264)
    vp8 = SyntheticParticipant(server.base_url, "open", "Vera VP8", mark=1, codec=VP8)
    avc = SyntheticParticipant(server.base_url, "open", "Hugo H264", mark=2, codec=H264)
    for person in (vp8, avc):
        await person.join()
    router = server.rooms.get("open").router
    try:
        for person in (vp8, avc):
            await page_plays(page, person.id)
        media = await page.evaluate(PAGE_MEDIA)
        assert media["inbound"][vp8.id]["codec"] == "video/VP8"
        assert media["inbound"][avc.id]["codec"] == "video/H264"
        assert media["outbound"]["codec"] == "video/H264", media
        for person in (vp8, avc):
            stream, frame = await browser_frame(person, page_id)
            assert (frame.width, frame.height) == (640, 360)
            assert set(stream.codecs.values()) <= {H264, "RTX"}, stream.codecs
        assert await first_video_mark(vp8.streams_from(avc.id)["video"]) == avc.mark
        assert await first_video_mark(avc.streams_from(vp8.id)["video"]) == vp8.mark
        assert router.peers[page_id].producers["video"].codec_name == H264
        assert router.video_codec == VP8 and router.undecodable() == []
        assert encodes == [], f"the server encoded media: {set(encodes)}"
    finally:
        for person in (vp8, avc):
            await person.leave()
        await page.close()


async def test_a_browser_switches_to_h264_when_an_ipad_without_vp8_joins(server, browser):
    page, page_id = await open_page(browser, server, None)
    router = server.rooms.get("open").router
    assert await wait_until(lambda: page_id in router.peers and "video" in
                            router.peers[page_id].producers and
                            router.peers[page_id].producers["video"].codec_name == VP8, 20)
    ipad = SyntheticParticipant(server.base_url, "open", "Iris iPad", mark=2, codec=H264,
                                decodes={H264})
    await ipad.join()
    try:
        assert await wait_until(lambda: router.video_codec == H264, timeout=10)
        # the page is offered H.264 first and its encoder follows: the iPad sees it
        assert await wait_until(
            lambda: router.peers[page_id].producers["video"].codec_name == H264, timeout=15)
        stream, frame = await browser_frame(ipad, page_id)
        assert (frame.width, frame.height) == (640, 360)
        assert stream.codecs and set(stream.codecs.values()) <= {H264, "RTX"}
        media = await page.evaluate(PAGE_MEDIA)
        assert media["outbound"]["codec"] == "video/H264"
        await page_plays(page, ipad.id)
    finally:
        await ipad.leave()
        await page.close()
