"""A consumer starts video at a keyframe: recognising one in VP8 and H.264 RTP payloads."""

from __future__ import annotations

import re

import pytest

from bench.synthetic import video_clip
from media.keyframes import (
    h264_picture_size,
    is_h264_keyframe_start,
    is_vp8_keyframe_start,
    keyframe_detector,
    picture_size_reader,
    vp8_picture_size,
)


def vp8_payload(frame: bytes, extended: bool = True) -> bytes:
    """RFC 7741 descriptor (start of partition 0, with a 15-bit picture id) + the frame."""
    if extended:
        return bytes([0x90, 0x80, 0x80 | 0x12, 0x34]) + frame
    return bytes([0x10]) + frame


def test_vp8_keyframes_from_a_real_encoder_are_recognised_and_delta_frames_are_not():
    clip = video_clip(3)
    keys = [is_vp8_keyframe_start(vp8_payload(f)) for f, _ in clip.frames]
    assert keys == [key for _, key in clip.frames]
    assert any(keys) and not all(keys)
    assert is_vp8_keyframe_start(vp8_payload(clip.frames[0][0], extended=False))


def test_a_vp8_continuation_packet_is_not_a_keyframe_start():
    first = video_clip(3).frames[0][0]
    assert is_vp8_keyframe_start(vp8_payload(first))
    assert not is_vp8_keyframe_start(bytes([0x80, 0x80, 0x92, 0x34]) + first)  # S=0
    assert not is_vp8_keyframe_start(b"")


def test_h264_idr_sps_stap_a_and_fu_a_starts():
    assert is_h264_keyframe_start(bytes([0x65, 0x88]))  # IDR slice
    assert is_h264_keyframe_start(bytes([0x67, 0x42]))  # SPS
    assert not is_h264_keyframe_start(bytes([0x41, 0x9A]))  # non-IDR slice
    stap = bytes([0x78]) + (2).to_bytes(2, "big") + bytes([0x67, 0x42]) + \
        (2).to_bytes(2, "big") + bytes([0x68, 0xCE])
    assert is_h264_keyframe_start(stap)
    assert is_h264_keyframe_start(bytes([0x7C, 0x85, 0x00]))  # FU-A, start, IDR
    assert not is_h264_keyframe_start(bytes([0x7C, 0x05, 0x00]))  # FU-A, not the start
    assert not is_h264_keyframe_start(bytes([0x7C, 0x81, 0x00]))  # FU-A start, non-IDR


def test_codecs_without_keyframes_have_no_detector():
    assert keyframe_detector("video/VP8") is is_vp8_keyframe_start
    assert keyframe_detector("video/H264") is is_h264_keyframe_start
    assert keyframe_detector("audio/opus") is None


def _h264_nal_units_of_a_keyframe(width: int, height: int, profile: str) -> list[bytes]:
    """The NAL units (Annex B split) of a libx264 keyframe at this size."""
    import fractions

    import av
    import numpy as np

    codec = av.CodecContext.create("libx264", "w")
    codec.width, codec.height, codec.pix_fmt = width, height, "yuv420p"
    codec.time_base = fractions.Fraction(1, 15)
    codec.options = {"profile": profile, "tune": "zerolatency", "preset": "ultrafast"}
    frame = av.VideoFrame.from_ndarray(np.full((height, width, 3), 90, np.uint8), format="rgb24")
    data = b"".join(bytes(p) for f in (frame.reformat(format="yuv420p"), None)
                    for p in codec.encode(f))
    return [unit for unit in re.split(b"\x00\x00\x00?\x01", data) if unit]


@pytest.mark.parametrize("width,height,profile", [
    (640, 360, "high"), (1280, 720, "baseline"), (320, 180, "main"), (322, 242, "high"),
])
def test_h264_picture_size_comes_from_the_sps_of_a_real_encoder(width, height, profile):
    units = _h264_nal_units_of_a_keyframe(width, height, profile)
    sps = next(u for u in units if u[0] & 0x1F == 7)
    pps = next(u for u in units if u[0] & 0x1F == 8)
    assert h264_picture_size(sps) == (width, height)
    stap = bytes([0x78]) + len(sps).to_bytes(2, "big") + sps + len(pps).to_bytes(2, "big") + pps
    assert h264_picture_size(stap) == (width, height)
    assert h264_picture_size(pps) is None
    assert h264_picture_size(sps[:4]) is None  # cut short: no size, no exception


@pytest.mark.parametrize("width,height", [(640, 360), (320, 180), (1280, 720), (638, 358)])
def test_vp8_picture_size_comes_from_the_keyframe_header_of_a_real_encoder(width, height):
    clip = video_clip(2, width, height, seconds=0.2)
    sizes = [vp8_picture_size(vp8_payload(f)) for f, _ in clip.frames]
    assert sizes[0] == (width, height)
    assert [s is not None for s in sizes] == [key for _, key in clip.frames]
    assert vp8_picture_size(bytes([0x80, 0x80, 0x92, 0x34]) + clip.frames[0][0]) is None  # S=0
    assert vp8_picture_size(vp8_payload(clip.frames[0][0][:8])) is None  # header cut short


def test_size_readers_by_codec():
    assert picture_size_reader("video/VP8") is vp8_picture_size
    assert picture_size_reader("video/H264") is h264_picture_size
    assert picture_size_reader("audio/opus") is None
