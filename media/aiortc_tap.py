"""Every hook Kvorum puts into aiortc's internals, in one place.

aiortc has no public API for an SFU: it decodes what it receives and encodes what
it sends. Kvorum forwards encoded RTP instead (MEDIA.md), so it needs three hooks:

* :func:`tap_receiver` sees each decrypted RTP packet a receiver gets, before
  aiortc's jitter buffer, and may let aiortc carry on with it or stop it there
  (Kvorum's producers stop every packet: decoding for analysis happens in the
  analysis worker process, so aiortc's jitter buffer and decoder never run). A stopped
  packet still feeds the receiver's RTCP feedback to the publisher (receiver reports,
  REMB from aiortc's bandwidth estimator, NACKs for lost packets): a browser's encoder
  raises its bitrate only on that feedback;
* :class:`ForwardingSender` is an ``RTCRtpSender`` that never encodes: it sends
  the RTP packets it is handed, keeps aiortc's RTCP machinery (sender reports,
  round-trip time from receiver reports) and reports NACK/PLI/FIR upward;
* :func:`request_keyframe` sends a PLI from a receiver to its publisher;
* :func:`negotiated_codecs` reads what an answer agreed on per m-line (which codecs a
  subscriber decodes).

The forwarding path is synchronous and short (MEDIA.md: 13-17 us per copy is what
packet-level Python can do): :class:`SrtpWire` writes a copy's header into a
buffer of its own, SRTP-protects it there with the DTLS transport's libsrtp
session, and hands it to the nominated ICE pair's UDP socket, without aiortc's
coroutine chain (``RTCDtlsTransport._send_rtp`` -> aioice ``Connection.send``)
and without making new ``bytes`` per copy. RTCP still goes aiortc's way.

These reach into name-mangled attributes of aiortc 1.16.0, aioice 0.13.0 and
pylibsrtp 1.0.0, pinned in ``pyproject.toml``; ``tests/test_aiortc_tap.py`` fails
loudly if an upgrade moves them. Nothing else in Kvorum touches their internals.
"""

from __future__ import annotations

import asyncio
import logging
import struct
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiortc
from aiortc import RTCDtlsTransport, RTCRtpReceiver, RTCRtpSender, RTCRtpTransceiver
from aiortc.clock import current_datetime
from aiortc.codecs import is_rtx
from aiortc.rtcdtlstransport import State as DtlsState
from aiortc.rtcrtpreceiver import StreamStatistics
from aiortc.rtp import RTCP_PSFB_APP, RtcpPsfbPacket, RtpPacket, pack_remb_fci, unwrap_rtx
from pylibsrtp import SRTP_MAX_TRAILER_LEN
from pylibsrtp._binding import ffi as _srtp_ffi
from pylibsrtp._binding import lib as _srtp_lib

AIORTC_VERSION = "1.16.0"

logger = logging.getLogger(__name__)

PacketHandler = Callable[[RtpPacket, int], Awaitable[bool]]

# An SRTP packet as it leaves: RTP plus libsrtp's longest trailer (auth tag, MKI).
MAX_RTP_SIZE = 1500
_BUFFER_SIZE = MAX_RTP_SIZE + SRTP_MAX_TRAILER_LEN
_CONNECTED = DtlsState.CONNECTED
_ICE_COMPONENT_RTP = 1
_NTP_UNIX_OFFSET_S = 2_208_988_800  # 1900-01-01 to 1970-01-01
_pack_header = struct.Struct("!HII").pack_into  # sequence number, timestamp, SSRC at byte 2
_srtp_protect = _srtp_lib.srtp_protect


def ntp_now() -> int:
    """The wall clock as 64-bit NTP (the sender reports' format), like aiortc's
    ``current_ntp_time`` at a tenth of the cost (called once per forwarded packet)."""
    return int((time.time() + _NTP_UNIX_OFFSET_S) * 4294967296.0)


def check_version() -> None:
    """Refuse to run on an aiortc whose internals these hooks were not written for."""
    if aiortc.__version__ != AIORTC_VERSION:
        raise RuntimeError(
            f"Kvorum's media hooks need aiortc {AIORTC_VERSION}, found {aiortc.__version__}"
        )


def tap_receiver(receiver: RTCRtpReceiver, handler: PacketHandler, feedback: bool = True
                 ) -> None:
    """Route every RTP packet ``receiver`` gets through ``handler`` first.

    ``handler(packet, arrival_time_ms)`` returns True to let aiortc continue with
    the packet (statistics, NACKs, jitter buffer, decoder) or False to stop it, after
    :func:`feed_rtcp_feedback` (what the sender's congestion control needs) unless
    ``feedback`` is False.
    """
    original = receiver._handle_rtp_packet

    async def tapped(packet: RtpPacket, arrival_time_ms: int) -> None:
        if await handler(packet, arrival_time_ms):
            await original(packet, arrival_time_ms)
        elif feedback:
            await feed_rtcp_feedback(receiver, packet, arrival_time_ms)

    receiver._handle_rtp_packet = tapped  # type: ignore[method-assign]


async def feed_rtcp_feedback(receiver: RTCRtpReceiver, packet: RtpPacket,
                             arrival_time_ms: int) -> None:
    """The part of aiortc's ``_handle_rtp_packet`` that feeds RTCP back to the publisher,
    without its jitter buffer and decoder: the bandwidth estimate (REMB, from the
    abs-send-time extension), the statistics of its receiver reports (loss, jitter, for
    the sender's round-trip time and loss-based rate) and NACKs for missing packets.
    A few microseconds per packet; aiortc's RTCP task sends the reports."""
    if not receiver._enabled:
        return
    private = "_RTCRtpReceiver__"
    estimator = getattr(receiver, private + "remote_bitrate_estimator")
    rtcp_ssrc = getattr(receiver, private + "rtcp_ssrc")
    if estimator is not None and packet.extensions.abs_send_time is not None:
        remb = estimator.add(abs_send_time=packet.extensions.abs_send_time,
                             arrival_time_ms=arrival_time_ms,
                             payload_size=len(packet.payload) + packet.padding_size,
                             ssrc=packet.ssrc)
        if rtcp_ssrc is not None and remb is not None:
            await receiver._send_rtcp(RtcpPsfbPacket(fmt=RTCP_PSFB_APP, ssrc=rtcp_ssrc,
                                                     media_ssrc=0, fci=pack_remb_fci(*remb)))
    getattr(receiver, private + "active_ssrc")[packet.ssrc] = current_datetime()
    codecs = getattr(receiver, private + "codecs")
    codec = codecs.get(packet.payload_type)
    if codec is None:
        return
    streams = getattr(receiver, private + "remote_streams")
    stream = streams.get(packet.ssrc)
    if stream is None:
        stream = streams[packet.ssrc] = StreamStatistics(codec.clockRate)
    stream.add(packet)
    nacks = getattr(receiver, private + "nack_generator")
    if nacks is None:
        return
    if is_rtx(codec):
        media_ssrc = getattr(receiver, private + "rtx_ssrc").get(packet.ssrc)
        apt = codec.parameters.get("apt")
        if media_ssrc is None or len(packet.payload) < 2 or apt not in codecs:
            return
        packet = unwrap_rtx(packet, payload_type=apt, ssrc=media_ssrc)
    if nacks.add(packet):
        await receiver._send_rtcp_nack(packet.ssrc, sorted(nacks.missing))


async def request_keyframe(receiver: RTCRtpReceiver, media_ssrc: int) -> None:
    """Send a Picture Loss Indication for ``media_ssrc`` to the publisher."""
    await receiver._send_rtcp_pli(media_ssrc)


def receiver_codecs(receiver: RTCRtpReceiver) -> dict[int, Any]:
    """The receiver's negotiated codecs by payload type."""
    return dict(receiver._RTCRtpReceiver__codecs)  # type: ignore[attr-defined]


def receiver_rtx_ssrcs(receiver: RTCRtpReceiver) -> dict[int, int]:
    """RTX SSRC -> media SSRC, as negotiated."""
    return dict(receiver._RTCRtpReceiver__rtx_ssrc)  # type: ignore[attr-defined]


class SrtpWire:
    """One sender's way out: copies a packet into its own buffer, writes the copy's
    sequence number, timestamp and SSRC, SRTP-protects it with the DTLS transport's
    libsrtp session and gives it to the nominated ICE pair's UDP socket. All of it
    synchronous, with no new ``bytes`` per copy.

    libsrtp keeps one state per SSRC inside the session, so many wires may share it;
    the event loop runs one ``send`` at a time. The datagram goes straight to the
    socket; one the kernel cannot take now is dropped (UDP), not queued.
    """

    def __init__(self, dtls: RTCDtlsTransport) -> None:
        self._dtls = dtls
        self._session = dtls._tx_srtp  # keeps libsrtp's context alive while this wire is
        self._ctx = self._session._srtp[0]
        self._cdata = _srtp_ffi.new("char[]", _BUFFER_SIZE)
        self._buffer = _srtp_ffi.buffer(self._cdata)
        self._view = memoryview(self._buffer)  # type: ignore[arg-type]
        self._length = _srtp_ffi.new("int *")
        self._nominated: dict[int, Any] = dtls.transport._connection._nominated
        self._pair: Any = None
        self._socket: Any = None
        self._addr: Any = None

    def send(self, data: bytes, sequence_number: int, timestamp: int, ssrc: int) -> bool:
        """Send ``data`` with these header fields; False if it could not go out."""
        if self._dtls._state is not _CONNECTED:
            return False
        pair = self._nominated.get(_ICE_COMPONENT_RTP)
        if pair is not self._pair:
            # the UDP socket under aioice's asyncio transport (None once closed): asyncio's
            # sendto wrapper would cost a tenth of the copy
            udp = pair and pair.protocol.transport
            sock = udp and udp._sock
            if sock is None:
                return False
            self._pair, self._socket, self._addr = pair, sock, pair.remote_addr
        size = len(data)
        if size > MAX_RTP_SIZE:
            return False
        buffer = self._buffer
        buffer[0:size] = data
        _pack_header(buffer, 2, sequence_number, timestamp, ssrc)
        length = self._length
        length[0] = size
        if _srtp_protect(self._ctx, self._cdata, length):
            return False
        try:
            self._socket.sendto(self._view[: length[0]], self._addr)
        except OSError:  # full socket buffer (dropped, as a router would) or closed socket
            return False
        return True


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
    :meth:`send_packet`, and computes round-trip time from receiver reports. A
    subscriber's NACK goes to ``on_nack`` (its consumer keeps the packets) and its
    PLI/FIR to ``on_keyframe_request``.
    """

    def __init__(self, kind: str, transport: Any) -> None:
        super().__init__(kind, transport)
        self.on_keyframe_request: Callable[[], None] = lambda: None
        self.on_nack: Callable[[int], None] = lambda sequence_number: None
        self.on_ready: Callable[[], None] = lambda: None
        self.ready = False
        self._wire: SrtpWire | None = None

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
            self._wire = None
            self._RTCRtpSender__rtp_exited.set()  # type: ignore[attr-defined]

    def _open_wire(self) -> SrtpWire | None:
        """A wire on the DTLS transport's SRTP session, once the transport is connected."""
        dtls = self.transport
        if not self.ready or dtls._state is not _CONNECTED or dtls._tx_srtp is None:
            return None
        self._wire = SrtpWire(dtls)
        return self._wire

    def send_packet(
        self, data: bytes, sequence_number: int, timestamp: int, ntp_time: int, payload_size: int
    ) -> None:
        """Send one serialized RTP packet with this sender's SSRC, the given sequence
        number and timestamp, and count it for the sender reports."""
        wire = self._wire
        if wire is None and (wire := self._open_wire()) is None:
            return
        if not wire.send(data, sequence_number, timestamp, self._ssrc):
            self._wire = None  # look again next time: closed, or a new session
            return
        self._RTCRtpSender__ntp_timestamp = ntp_time  # type: ignore[attr-defined]
        self._RTCRtpSender__rtp_timestamp = timestamp  # type: ignore[attr-defined]
        self._RTCRtpSender__packet_count += 1  # type: ignore[attr-defined]
        self._RTCRtpSender__octet_count += payload_size  # type: ignore[attr-defined]

    def resend(self, data: bytes, sequence_number: int, timestamp: int) -> None:
        """Send a packet again (a NACK's answer): same header, not counted again."""
        wire = self._wire or self._open_wire()
        if wire is not None:
            wire.send(data, sequence_number, timestamp, self._ssrc)

    @property
    def packets_sent(self) -> int:
        """RTP packets sent (the sender reports' packet count)."""
        return self._RTCRtpSender__packet_count  # type: ignore[attr-defined, no-any-return]

    @property
    def octets_sent(self) -> int:
        """Payload octets sent (the sender reports' octet count)."""
        return self._RTCRtpSender__octet_count  # type: ignore[attr-defined, no-any-return]

    async def _retransmit(self, sequence_number: int) -> None:
        """A subscriber's NACK, one lost sequence number: its consumer answers."""
        self.on_nack(sequence_number)

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
