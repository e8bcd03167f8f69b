"""Which video codec a meeting sends, so that every subscriber can decode every publisher.

Kvorum forwards and never transcodes (MEDIA.md): a picture reaches a subscriber only in
the codec its publisher encodes. Every video m-line the server offers carries VP8 and
H.264 (constrained baseline 42e01f, which Safari accepts, and baseline 42001f, both
packetization-mode 1); browsers send the first codec of the offer that they support, so
the order of the offer picks what everyone sends:

* VP8 while every participant decodes VP8 (every desktop browser does);
* H.264 as soon as one participant does not (an iPad whose Safari offers no VP8); every
  publisher is then offered H.264 first again and switches (one renegotiation).

A publisher that cannot send the meeting's codec (a device without an H.264 encoder) still
reaches everyone who decodes what it sends; the others cannot see it, and the router says
so (``Router.undecodable``) so the chair is told who cannot see whom.
"""

from __future__ import annotations

from collections.abc import Iterable

from aiortc import RTCRtpCodecCapability, RTCRtpSender
from aiortc.codecs import is_rtx

VP8 = "VP8"
H264 = "H264"
H264_PROFILES = ("42e01f", "42001f")  # constrained baseline first: Safari's choice


def codec_names(codecs: Iterable[object]) -> frozenset[str]:
    """The video codec names (``VP8``, ``H264``) in a list of aiortc codec parameters."""
    return frozenset(c.name.upper() for c in codecs  # type: ignore[attr-defined]
                     if not is_rtx(c))  # type: ignore[arg-type]


def meeting_codec(decoders: Iterable[frozenset[str]]) -> str:
    """VP8 while everyone decodes it, else H.264 (what an iPad without VP8 decodes)."""
    return VP8 if all(VP8 in names for names in decoders) else H264


def preferences(first: str) -> list[RTCRtpCodecCapability]:
    """Every video codec the server offers, ``first`` at the top, for setCodecPreferences."""
    capabilities = RTCRtpSender.getCapabilities("video").codecs

    def rank(codec: RTCRtpCodecCapability) -> tuple[int, int]:
        name = codec.name.upper()
        if name == "RTX":
            return (2, 0)
        profile = str(codec.parameters.get("profile-level-id", ""))
        within = H264_PROFILES.index(profile) if profile in H264_PROFILES else 0
        return (0 if name == first else 1, within)

    return sorted(capabilities, key=rank)
