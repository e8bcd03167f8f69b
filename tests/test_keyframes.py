"""A consumer starts video at a keyframe: recognising one in VP8 and H.264 RTP payloads."""

from __future__ import annotations

from bench.synthetic import video_clip
from media.keyframes import is_h264_keyframe_start, is_vp8_keyframe_start, keyframe_detector


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
