"""Recognise the first packet of a keyframe in an RTP payload, per codec.

A new subscriber can decode nothing until a keyframe arrives, so a consumer
forwards video only from the start of a keyframe (as mediasoup does).
"""

from __future__ import annotations

# H.264 NAL unit types (RFC 6184): IDR slice, sequence parameter set, aggregation, fragment.
_H264_IDR, _H264_SPS, _H264_STAP_A, _H264_FU_A = 5, 7, 24, 28


def is_vp8_keyframe_start(payload: bytes) -> bool:
    """True when this VP8 RTP payload (RFC 7741) starts a keyframe."""
    if len(payload) < 1:
        return False
    first = payload[0]
    start_of_partition = first & 0x10
    partition_id = first & 0x07
    if not start_of_partition or partition_id != 0:
        return False
    offset = 1
    if first & 0x80:  # X: extension octet follows
        if len(payload) < 2:
            return False
        ext = payload[1]
        offset = 2
        if ext & 0x80:  # I: picture id, 7 or 15 bits
            if len(payload) <= offset:
                return False
            offset += 2 if payload[offset] & 0x80 else 1
        if ext & 0x40:  # L: TL0PICIDX
            offset += 1
        if ext & 0x30:  # T or K: TID/KEYIDX octet
            offset += 1
    if len(payload) <= offset:
        return False
    return not payload[offset] & 0x01  # P bit: 0 means keyframe


def is_h264_keyframe_start(payload: bytes) -> bool:
    """True when this H.264 RTP payload (RFC 6184) carries an SPS or starts an IDR slice."""
    if len(payload) < 1:
        return False
    nal_type = payload[0] & 0x1F
    if nal_type in (_H264_IDR, _H264_SPS):
        return True
    if nal_type == _H264_STAP_A:
        offset = 1
        while offset + 2 < len(payload):
            size = int.from_bytes(payload[offset : offset + 2], "big")
            if payload[offset + 2] & 0x1F in (_H264_IDR, _H264_SPS):
                return True
            offset += 2 + size
        return False
    if nal_type == _H264_FU_A and len(payload) >= 2:
        return bool(payload[1] & 0x80) and payload[1] & 0x1F in (_H264_IDR, _H264_SPS)
    return False


def keyframe_detector(mime_type: str):  # type: ignore[no-untyped-def]
    """The keyframe test for a codec's MIME type, or None if the codec has no keyframes."""
    mime = mime_type.lower()
    if mime == "video/vp8":
        return is_vp8_keyframe_start
    if mime == "video/h264":
        return is_h264_keyframe_start
    return None
