"""Keyframes in RTP payloads, per codec: where one starts, and the picture size it announces.

A new subscriber can decode nothing until a keyframe arrives, so a consumer forwards video
only from the start of a keyframe (as mediasoup does). A keyframe also carries the picture
size in its header (VP8: the keyframe header, RFC 6386 9.1; H.264: the sequence parameter
set, ITU-T H.264 7.3.2.1.1), and a picture changes size only at a keyframe, so the analyser
reads the size there without decoding anything.
"""

from __future__ import annotations

from collections.abc import Callable

# H.264 NAL unit types (RFC 6184): IDR slice, sequence parameter set, aggregation, fragment.
_H264_IDR, _H264_SPS, _H264_STAP_A, _H264_FU_A = 5, 7, 24, 28
# H.264 profiles whose SPS carries chroma format, bit depths and scaling lists (7.3.2.1.1).
_H264_HIGH_PROFILES = {100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135}
_VP8_START_CODE = b"\x9d\x01\x2a"

KeyframeTest = Callable[[bytes], bool]
SizeReader = Callable[[bytes], "tuple[int, int] | None"]


def _vp8_frame_offset(payload: bytes) -> int | None:
    """Where the VP8 frame begins in a payload that starts partition 0 (RFC 7741), else None."""
    if len(payload) < 1:
        return None
    first = payload[0]
    if not first & 0x10 or first & 0x07:  # S bit clear, or not partition 0
        return None
    offset = 1
    if first & 0x80:  # X: extension octet follows
        if len(payload) < 2:
            return None
        ext = payload[1]
        offset = 2
        if ext & 0x80:  # I: picture id, 7 or 15 bits
            if len(payload) <= offset:
                return None
            offset += 2 if payload[offset] & 0x80 else 1
        if ext & 0x40:  # L: TL0PICIDX
            offset += 1
        if ext & 0x30:  # T or K: TID/KEYIDX octet
            offset += 1
    return offset if len(payload) > offset else None


def is_vp8_frame_start(payload: bytes) -> bool:
    """True when this VP8 RTP payload starts a frame (RFC 7741: S bit, partition 0)."""
    return _vp8_frame_offset(payload) is not None


def is_vp8_keyframe_start(payload: bytes) -> bool:
    """True when this VP8 RTP payload (RFC 7741) starts a keyframe."""
    offset = _vp8_frame_offset(payload)
    return offset is not None and not payload[offset] & 0x01  # P bit: 0 means keyframe


def vp8_picture_size(payload: bytes) -> tuple[int, int] | None:
    """(width, height) from the keyframe header at the start of this payload, else None."""
    offset = _vp8_frame_offset(payload)
    if offset is None or payload[offset] & 0x01:
        return None
    header = payload[offset + 3 : offset + 10]  # after the 3-byte frame tag
    if len(header) < 7 or header[:3] != _VP8_START_CODE:
        return None
    width = int.from_bytes(header[3:5], "little") & 0x3FFF  # the top 2 bits are scaling
    height = int.from_bytes(header[5:7], "little") & 0x3FFF
    return (width, height) if width and height else None


def _h264_nal_units(payload: bytes) -> list[bytes]:
    """The whole NAL units in a payload: a single NAL unit or each of a STAP-A's."""
    if not payload:
        return []
    if payload[0] & 0x1F != _H264_STAP_A:
        return [payload]
    units, offset = [], 1
    while offset + 2 < len(payload):
        size = int.from_bytes(payload[offset : offset + 2], "big")
        units.append(payload[offset + 2 : offset + 2 + size])
        offset += 2 + size
    return units


def is_h264_keyframe_start(payload: bytes) -> bool:
    """True when this H.264 RTP payload (RFC 6184) carries an SPS or starts an IDR slice."""
    if len(payload) < 1:
        return False
    if payload[0] & 0x1F == _H264_FU_A:
        return len(payload) >= 2 and bool(payload[1] & 0x80) and \
            payload[1] & 0x1F in (_H264_IDR, _H264_SPS)
    return any(unit and unit[0] & 0x1F in (_H264_IDR, _H264_SPS)
               for unit in _h264_nal_units(payload))


def is_h264_nal_start(payload: bytes) -> bool:
    """True when this H.264 RTP payload starts a NAL unit (not an FU-A continuation). A
    frame may span several NAL units, so this is as near as RTP gets to a frame start."""
    if len(payload) < 1:
        return False
    return payload[0] & 0x1F != _H264_FU_A or (len(payload) >= 2 and bool(payload[1] & 0x80))


class _Bits:
    """An H.264 RBSP read bit by bit, with Exp-Golomb codes (ITU-T H.264 9.1)."""

    def __init__(self, nal: bytes) -> None:
        # Emulation prevention: 00 00 03 -> 00 00 (7.4.1).
        self.data = nal.replace(b"\x00\x00\x03", b"\x00\x00")
        self.pos = 0

    def bit(self) -> int:
        byte = self.pos >> 3
        if byte >= len(self.data):
            raise ValueError("SPS ends early")
        value = (self.data[byte] >> (7 - (self.pos & 7))) & 1
        self.pos += 1
        return value

    def bits(self, n: int) -> int:
        value = 0
        for _ in range(n):
            value = value << 1 | self.bit()
        return value

    def ue(self) -> int:
        zeros = 0
        while not self.bit():
            zeros += 1
            if zeros > 31:
                raise ValueError("bad Exp-Golomb code")
        return (1 << zeros) - 1 + self.bits(zeros)

    def se(self) -> int:
        code = self.ue()
        return (code + 1) // 2 if code & 1 else -(code // 2)


def h264_sps_picture_size(sps: bytes) -> tuple[int, int] | None:
    """(width, height) after cropping, from one SPS NAL unit (header byte included)."""
    try:
        bits = _Bits(sps[1:])
        profile = bits.bits(8)
        bits.bits(16)  # constraint flags, level
        bits.ue()  # seq_parameter_set_id
        chroma_format = 1
        if profile in _H264_HIGH_PROFILES:
            chroma_format = bits.ue()
            if chroma_format == 3:
                bits.bit()  # separate_colour_plane_flag
            bits.ue(), bits.ue()  # bit depths
            bits.bit()  # qpprime_y_zero_transform_bypass_flag
            if bits.bit():  # seq_scaling_matrix_present_flag
                for i in range(8 if chroma_format != 3 else 12):
                    if bits.bit():
                        last = scale = 8
                        for _ in range(16 if i < 6 else 64):
                            if scale:
                                scale = (last + bits.se() + 256) % 256
                                last = scale or last
        bits.ue()  # log2_max_frame_num_minus4
        poc_type = bits.ue()
        if poc_type == 0:
            bits.ue()
        elif poc_type == 1:
            bits.bit(), bits.se(), bits.se()
            for _ in range(bits.ue()):
                bits.se()
        bits.ue(), bits.bit()  # max_num_ref_frames, gaps_in_frame_num_value_allowed_flag
        width_mbs, height_units = bits.ue() + 1, bits.ue() + 1
        frame_mbs_only = bits.bit()
        if not frame_mbs_only:
            bits.bit()  # mb_adaptive_frame_field_flag
        bits.bit()  # direct_8x8_inference_flag
        crop = (bits.ue(), bits.ue(), bits.ue(), bits.ue()) if bits.bit() else (0, 0, 0, 0)
    except ValueError:
        return None
    # Chroma subsampling sets the cropping unit (Table 6-1); monochrome crops like 4:4:4.
    sub_width, sub_height = {1: (2, 2), 2: (2, 1)}.get(chroma_format, (1, 1))
    unit_x, unit_y = sub_width, sub_height * (2 - frame_mbs_only)
    width = width_mbs * 16 - unit_x * (crop[0] + crop[1])
    height = (2 - frame_mbs_only) * height_units * 16 - unit_y * (crop[2] + crop[3])
    return (width, height) if width > 0 and height > 0 else None


def h264_picture_size(payload: bytes) -> tuple[int, int] | None:
    """(width, height) from an SPS in this RTP payload (single NAL unit or STAP-A), else None."""
    for unit in _h264_nal_units(payload):
        if unit and unit[0] & 0x1F == _H264_SPS:
            return h264_sps_picture_size(unit)
    return None


def keyframe_detector(mime_type: str) -> KeyframeTest | None:
    """The keyframe test for a codec's MIME type, or None if the codec has no keyframes."""
    return {"video/vp8": is_vp8_keyframe_start,
            "video/h264": is_h264_keyframe_start}.get(mime_type.lower())


def frame_start_detector(mime_type: str) -> KeyframeTest | None:
    """The test for a payload that may begin a frame, for a codec's MIME type, or None."""
    return {"video/vp8": is_vp8_frame_start,
            "video/h264": is_h264_nal_start}.get(mime_type.lower())


def picture_size_reader(mime_type: str) -> SizeReader | None:
    """The keyframe-header size reader for a codec's MIME type, or None."""
    return {"video/vp8": vp8_picture_size,
            "video/h264": h264_picture_size}.get(mime_type.lower())
