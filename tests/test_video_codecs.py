"""VP8 and H.264 in one meeting, with no transcoding (media/video_codecs.py).

Synthetic participants publish pre-encoded VP8 or H.264 (libx264, constrained baseline,
as an iPad sends) and decode what they receive, so a picture seen is a picture forwarded.
The real-browser half is tests/test_browser_h264.py.
"""

from __future__ import annotations

from aiortc.codecs import h264, opus, vpx

from bench.synthetic import SyntheticParticipant
from media.keyframes import is_h264_keyframe_start
from media.video_codecs import H264, VP8, meeting_codec, preferences

from .test_relay import first_video_mark, wait_until


def count_encodes(monkeypatch) -> list[str]:  # type: ignore[no-untyped-def]
    """Every encode in this process (publishers replay clips, so any is the server's)."""
    encodes: list[str] = []
    for module, cls in ((vpx, "Vp8Encoder"), (h264, "H264Encoder"), (opus, "OpusEncoder")):
        original = getattr(module, cls).encode

        def counting(self, *args, _original=original, _cls=cls, **kwargs):  # type: ignore[no-untyped-def]
            encodes.append(_cls)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(getattr(module, cls), "encode", counting)
    return encodes


def offered_video_codecs(person: SyntheticParticipant, mid: str) -> list[str]:
    """Codec names of one video m-line of the last offer the person answered, in order."""
    sdp = person.pc.remoteDescription.sdp
    section = next(s for s in sdp.split("\r\nm=") if f"\r\na=mid:{mid}\r\n" in s)
    names = [line.split(" ", 1)[1].split("/")[0] for line in section.split("\r\n")
             if line.startswith("a=rtpmap:")]
    return [n.upper() for n in names if n.lower() != "rtx"]


def test_the_meeting_codec_is_vp8_until_someone_cannot_decode_it():
    assert meeting_codec([frozenset({VP8, H264}), frozenset({VP8})]) == VP8
    assert meeting_codec([frozenset({VP8, H264}), frozenset({H264})]) == H264
    assert meeting_codec([]) == VP8
    h264_first = [c for c in preferences(H264) if c.name != "rtx"]
    assert [c.name for c in h264_first] == ["H264", "H264", "VP8"]
    assert h264_first[0].parameters["profile-level-id"] == "42e01f"  # Safari's
    assert all(c.parameters.get("packetization-mode") == "1" for c in h264_first[:2])


async def test_vp8_and_h264_publishers_see_each_other_without_transcoding(server, monkeypatch):
    encodes = count_encodes(monkeypatch)
    vp8 = SyntheticParticipant(server.base_url, "open", "Vera VP8", mark=1, codec=VP8)
    avc = SyntheticParticipant(server.base_url, "open", "Hugo H264", mark=2, codec=H264)
    for person in (vp8, avc):
        await person.join()
    try:
        assert await wait_until(lambda: "video" in vp8.streams_from(avc.id)
                                and "video" in avc.streams_from(vp8.id), timeout=20)
        from_avc, from_vp8 = vp8.streams_from(avc.id)["video"], avc.streams_from(vp8.id)["video"]
        assert await first_video_mark(from_avc) == avc.mark
        assert await first_video_mark(from_vp8) == vp8.mark
        assert set(from_avc.codecs.values()) == {H264}, from_avc.codecs
        assert set(from_vp8.codecs.values()) == {VP8}, from_vp8.codecs
        router = server.rooms.get("open").router
        sent = {p.producers["video"].codec_name for p in router.peers.values()}
        assert sent == {VP8, H264}
        assert router.video_codec == VP8  # both decode both: nothing to switch
        assert router.undecodable() == []
        assert encodes == [], f"the server encoded media: {set(encodes)}"
    finally:
        for person in (vp8, avc):
            await person.leave()


async def test_the_h264_clip_starts_with_a_keyframe_the_server_recognises():
    from bench.synthetic import video_clip
    clip = video_clip(3, codec_name=H264)
    payload, keyframe = clip.frames[0]
    assert keyframe
    # Annex B: the first NAL unit after the start code is the SPS, then PPS and the IDR slice.
    nal = payload.split(b"\x00\x00\x01", 1)[1]
    assert is_h264_keyframe_start(nal)
    assert not is_h264_keyframe_start(clip.frames[1][0].split(b"\x00\x00\x01", 1)[1])


async def test_someone_without_vp8_makes_the_meeting_offer_h264_first(server):
    first = SyntheticParticipant(server.base_url, "open", "Vera", mark=1, codec=VP8,
                                 decode=False)
    await first.join()
    ipad = SyntheticParticipant(server.base_url, "open", "Iris iPad", mark=2, codec=H264,
                                decodes={H264}, decode=False)
    await ipad.join()
    router = server.rooms.get("open").router
    try:
        assert await wait_until(lambda: router.video_codec == H264, timeout=10)
        # the next offers put H.264 first on every video m-line, the publish slot included
        publish_mid = next(mid for mid, t in first._tracks.items()
                           if t["role"] == "publish" and t["kind"] == "video")
        assert await wait_until(
            lambda: offered_video_codecs(first, publish_mid)[0] == H264, timeout=10)
        # the replayed VP8 clip cannot follow: the iPad is told nothing it cannot decode,
        # and the router says who cannot see whom
        assert await wait_until(lambda: router.undecodable() == [
            (ipad.id, first.id, VP8, frozenset({H264}))], timeout=10)
        video = ipad.streams_from(first.id)["video"]
        packets = video.packets
        assert await wait_until(lambda: first.streams_from(ipad.id).get("video") is not None
                                and first.streams_from(ipad.id)["video"].frames > 10, 10)
        assert video.packets == packets == 0
    finally:
        await ipad.leave()
    # once it has left, the meeting goes back to VP8
    assert await wait_until(lambda: router.video_codec == VP8, timeout=10)
    await first.leave()
