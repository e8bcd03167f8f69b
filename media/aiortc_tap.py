"""Every hook Kvorum puts into aiortc's internals, in one place.

aiortc has no public API for an SFU: it decodes what it receives and encodes what
it sends. Kvorum forwards encoded RTP instead (MEDIA.md), so it needs three hooks:

* :func:`tap_receiver` sees each decrypted RTP packet a receiver gets, before
  aiortc's jitter buffer, and may let aiortc carry on with it (for the one
  analysis decode) or stop it there;
* :class:`ForwardingSender` is an ``RTCRtpSender`` that never encodes: it sends
  the RTP packets it is handed, keeps aiortc's RTCP machinery (sender reports,
  round-trip time from receiver reports) and reports NACK/PLI/FIR upward;
* :func:`request_keyframe` sends a PLI from a receiver to its publisher;
* :func:`negotiated_codecs` reads what an answer agreed on per m-line (which codecs a
  subscriber decodes).

These reach into name-mangled attributes of aiortc 1.16.0, pinned in
``pyproject.toml``; ``tests/test_aiortc_tap.py`` fails loudly if an upgrade moves
them. Nothing else in Kvorum touches aiortc internals.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import aiortc
from aiortc import RTCRtpReceiver, RTCRtpSender, RTCRtpTransceiver
from aiortc.rtp import RtpPacket

AIORTC_VERSION = "1.16.0"

# RTP packets the sender keeps for answering NACKs (about 4 s of video at 15 fps).
NACK_HISTORY = 1024

PacketHandler = Callable[[RtpPacket, int], Awaitable[bool]]


def check_version() -> None:
    """Refuse to run on an aiortc whose internals these hooks were not written for."""
    if aiortc.__version__ != AIORTC_VERSION:
        raise RuntimeError(
            f"Kvorum's media hooks need aiortc {AIORTC_VERSION}, found {aiortc.__version__}"
        )


def tap_receiver(receiver: RTCRtpReceiver, handler: PacketHandler) -> None:
    """Route every RTP packet ``receiver`` gets through ``handler`` first.

    ``handler(packet, arrival_time_ms)`` returns True to let aiortc continue with
    the packet (statistics, NACKs, jitter buffer, decoder) or False to drop it.
    """
    original = receiver._handle_rtp_packet

    async def tapped(packet: RtpPacket, arrival_time_ms: int) -> None:
        if await handler(packet, arrival_time_ms):
            await original(packet, arrival_time_ms)

    receiver._handle_rtp_packet = tapped  # type: ignore[method-assign]


async def request_keyframe(receiver: RTCRtpReceiver, media_ssrc: int) -> None:
    """Send a Picture Loss Indication for ``media_ssrc`` to the publisher."""
    await receiver._send_rtcp_pli(media_ssrc)


def receiver_codecs(receiver: RTCRtpReceiver) -> dict[int, Any]:
    """The receiver's negotiated codecs by payload type."""
    return dict(receiver._RTCRtpReceiver__codecs)  # type: ignore[attr-defined]


def receiver_rtx_ssrcs(receiver: RTCRtpReceiver) -> dict[int, int]:
    """RTX SSRC -> media SSRC, as negotiated."""
    return dict(receiver._RTCRtpReceiver__rtx_ssrc)  # type: ignore[attr-defined]


def negotiated_codecs(transceiver: RTCRtpTransceiver) -> list[Any]:
    """The codecs both sides agreed on for this m-line at the last negotiation (after an
    answer: what the participant can decode, or send, on it), in the answer's order."""
    return list(transceiver._codecs)


def restrict_answer_codecs(transceiver: RTCRtpTransceiver, names: set[str]) -> None:
    """Before ``createAnswer``: answer only with codecs of these names (e.g. {"H264"}), as a
    device that decodes nothing else does (the synthetic clients use it)."""
    kept = [c for c in transceiver._codecs if c.name.upper() in names]
    kept_pts = {c.payloadType for c in kept}
    rtx = [c for c in transceiver._codecs
           if c.name.lower() == "rtx" and c.parameters.get("apt") in kept_pts]
    transceiver._codecs = kept + rtx


class ForwardingSender(RTCRtpSender):
    """An RTP sender that forwards packets it is given and never encodes.

    aiortc's own RTCP loop sends the sender reports from the counters kept by
    :meth:`send_packet`, and computes round-trip time from receiver reports.
    """

    def __init__(self, kind: str, transport: Any) -> None:
        super().__init__(kind, transport)
        self.on_keyframe_request: Callable[[], None] = lambda: None
        self.on_ready: Callable[[], None] = lambda: None
        self.ready = False
        self.forwarded_packets = 0
        self._history: dict[int, bytes] = {}

    async def _run_rtp(self, codec: Any) -> None:
        """Replace aiortc's encode loop: wait until stopped, sending nothing itself."""
        self._RTCRtpSender__rtp_started.set()  # type: ignore[attr-defined]
        self.ready = True
        self.on_ready()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            pass
        finally:
            self.ready = False
            self._RTCRtpSender__rtp_exited.set()  # type: ignore[attr-defined]

    async def send_packet(
        self, data: bytes, sequence_number: int, timestamp: int, ntp_time: int, payload_size: int
    ) -> None:
        """Send one serialized RTP packet and count it for the sender reports."""
        if not self.ready:
            return
        self._history[sequence_number % NACK_HISTORY] = data
        try:
            await self.transport._send_rtp(data)
        except ConnectionError:
            return
        self._RTCRtpSender__ntp_timestamp = ntp_time  # type: ignore[attr-defined]
        self._RTCRtpSender__rtp_timestamp = timestamp  # type: ignore[attr-defined]
        self._RTCRtpSender__packet_count += 1  # type: ignore[attr-defined]
        self._RTCRtpSender__octet_count += payload_size  # type: ignore[attr-defined]
        self.forwarded_packets += 1

    async def _retransmit(self, sequence_number: int) -> None:
        """Answer a NACK from the packet history (same SSRC and sequence number)."""
        data = self._history.get(sequence_number % NACK_HISTORY)
        if data is not None and int.from_bytes(data[2:4], "big") == sequence_number:
            try:
                await self.transport._send_rtp(data)
            except ConnectionError:
                pass

    def _send_keyframe(self) -> None:
        """A subscriber sent PLI or FIR: pass it toward the publisher."""
        self.on_keyframe_request()

    @property
    def round_trip_time(self) -> float | None:
        """Smoothed RTT to the subscriber from RTCP receiver reports, in seconds."""
        return self._RTCRtpSender__rtt  # type: ignore[attr-defined, no-any-return]


def install_forwarding_sender(transceiver: RTCRtpTransceiver) -> ForwardingSender:
    """Swap a fresh transceiver's encoding sender for a :class:`ForwardingSender`."""
    old = transceiver.sender
    sender = ForwardingSender(old.kind, old.transport)
    sender._stream_id = old._stream_id
    transceiver._RTCRtpTransceiver__sender = sender  # type: ignore[attr-defined]
    transceiver.receiver._set_rtcp_ssrc(sender._ssrc)
    return sender
