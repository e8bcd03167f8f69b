"""Kvorum's hooks into aiortc internals (media/aiortc_tap.py, media/ice.py) fail loudly here
if an aiortc or aioice upgrade moves what they reach into."""

from __future__ import annotations

import asyncio

import aioice.ice
import aiortc
from aiortc import RTCPeerConnection, RTCRtpCodecParameters, RTCRtpReceiver, RTCRtpSender
from aiortc.rtp import RTCP_PSFB_APP, RtcpPsfbPacket, RtcpRtpfbPacket, RtpPacket

from media import aiortc_tap
from media.aiortc_tap import ForwardingSender, install_forwarding_sender
from media.ice import use_addresses

SENDER_PRIVATES = ["__packet_count", "__octet_count", "__ntp_timestamp", "__rtp_timestamp",
                   "__rtt", "__rtp_started", "__rtp_exited"]

RECEIVER_PRIVATES = ["__remote_bitrate_estimator", "__rtcp_ssrc", "__active_ssrc", "__codecs",
                     "__remote_streams", "__nack_generator", "__rtx_ssrc"]


def test_the_pinned_aiortc_is_installed():
    assert aiortc.__version__ == aiortc_tap.AIORTC_VERSION
    aiortc_tap.check_version()


async def test_sender_receiver_and_transceiver_internals_are_where_the_hooks_expect():
    pc = RTCPeerConnection()
    try:
        transceiver = pc.addTransceiver("video", direction="sendonly")
        sender = install_forwarding_sender(transceiver)
        assert transceiver.sender is sender and isinstance(sender, ForwardingSender)
        for name in SENDER_PRIVATES:
            assert hasattr(sender, "_RTCRtpSender" + name), name
        for method in ("_run_rtp", "_retransmit", "_send_keyframe", "_handle_rtcp_packet"):
            assert callable(getattr(RTCRtpSender, method)), method
        receiver = transceiver.receiver
        assert isinstance(receiver, RTCRtpReceiver)
        assert aiortc_tap.receiver_codecs(receiver) == {}
        assert aiortc_tap.receiver_rtx_ssrcs(receiver) == {}
        for method in ("_handle_rtp_packet", "_send_rtcp_pli", "_send_rtcp", "_send_rtcp_nack"):
            assert callable(getattr(receiver, method)), method
        for name in RECEIVER_PRIVATES:  # what feed_rtcp_feedback reads
            assert hasattr(receiver, "_RTCRtpReceiver" + name), name
        assert callable(receiver.transport._send_rtp)
    finally:
        await pc.close()


def _vp8_packet(seq: int, abs_send_time: int) -> RtpPacket:
    packet = RtpPacket(payload_type=96, sequence_number=seq, timestamp=seq * 6000, ssrc=1234,
                       payload=b"\x10" + bytes(999))
    packet.extensions.abs_send_time = abs_send_time
    return packet


async def test_the_receiver_tap_sees_packets_first_and_may_stop_them():
    pc = RTCPeerConnection()
    try:
        receiver = pc.addTransceiver("video").receiver
        receiver._RTCRtpReceiver__codecs = {  # type: ignore[attr-defined]
            96: RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90_000, payloadType=96)}
        receiver._set_rtcp_ssrc(99)
        seen, passed, rtcp = [], [], []

        async def original(packet, arrival):  # type: ignore[no-untyped-def]
            passed.append(packet.sequence_number)

        async def send_rtcp(packet):  # type: ignore[no-untyped-def]
            rtcp.append(packet)

        receiver._handle_rtp_packet = original  # type: ignore[method-assign]
        receiver._send_rtcp = send_rtcp  # type: ignore[method-assign]

        async def handler(packet, arrival):  # type: ignore[no-untyped-def]
            seen.append(packet.sequence_number)
            return packet.sequence_number == 1

        aiortc_tap.tap_receiver(receiver, handler)
        for seq in (1, 2, 3, 5):  # 4 is lost
            await receiver._handle_rtp_packet(_vp8_packet(seq, seq << 10), seq * 20)
        assert seen == [1, 2, 3, 5] and passed == [1]
        # The stopped packets still feed the receiver reports and NACK the lost one.
        stats = receiver._RTCRtpReceiver__remote_streams[1234]  # type: ignore[attr-defined]
        assert stats.packets_received == 3 and stats.packets_lost == 1
        nacks = [p for p in rtcp if isinstance(p, RtcpRtpfbPacket)]
        assert [n.lost for n in nacks] == [[4]]
        # ... and aiortc's bandwidth estimate, sent as REMB once it has one.
        for seq in range(6, 400):
            await receiver._handle_rtp_packet(_vp8_packet(seq, seq << 10), seq * 20)
        assert any(isinstance(p, RtcpPsfbPacket) and p.fmt == RTCP_PSFB_APP for p in rtcp)
    finally:
        await pc.close()


def test_ice_candidates_are_gathered_only_on_the_configured_addresses():
    original = aioice.ice.get_host_addresses
    try:
        use_addresses(["127.0.0.1"])
        assert aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=True) == ["127.0.0.1"]
    finally:
        aioice.ice.get_host_addresses = original


async def test_the_forwarding_sender_sends_srtp_that_aiortc_itself_decrypts():
    """The synchronous send path (SrtpWire: the DTLS transport's libsrtp session, the ICE
    pair's socket) against a plain aiortc receiver, over loopback."""
    from aiortc.rtcdtlstransport import State
    from aiortc.rtp import RtpPacket
    from pylibsrtp import Session

    use_addresses(["127.0.0.1"])
    try:
        sending, receiving = RTCPeerConnection(), RTCPeerConnection()
        transceiver = sending.addTransceiver("video", direction="sendonly")
        sender = install_forwarding_sender(transceiver)
        got: list[RtpPacket] = []
        receiving.on("track", lambda track: None)
        await sending.setLocalDescription(await sending.createOffer())
        await receiving.setRemoteDescription(sending.localDescription)
        await receiving.setLocalDescription(await receiving.createAnswer())
        await sending.setRemoteDescription(receiving.localDescription)

        async def on_rtp(packet, arrival):  # type: ignore[no-untyped-def]
            got.append(packet)
            return False

        aiortc_tap.tap_receiver(receiving.getTransceivers()[0].receiver, on_rtp)
        for _ in range(100):
            if sender.ready and sender.transport.state == "connected":
                break
            await asyncio.sleep(0.1)
        assert sender.ready and sender.transport.state == "connected"
        # what the wire reaches into
        dtls = sender.transport
        assert dtls._state is State.CONNECTED
        assert isinstance(dtls._tx_srtp, Session) and dtls._tx_srtp._srtp[0]
        pair = dtls.transport._connection._nominated[1]
        assert pair.remote_addr[0] == "127.0.0.1"
        assert pair.protocol.transport._sock.fileno() >= 0

        payload_type = next(c.payloadType for c in transceiver._codecs
                            if c.mimeType == "video/VP8")
        packet = RtpPacket(payload_type=payload_type, sequence_number=1, timestamp=2, ssrc=3,
                           marker=1, payload=bytes([0x10, 0x00]) + b"frame" * 100)
        data = packet.serialize()
        for seq in (1000, 1001):
            sender.send_packet(data, seq, 90_000 + seq, 123 << 32, len(packet.payload))
        for _ in range(50):
            if len(got) == 2:
                break
            await asyncio.sleep(0.1)
        assert [(p.sequence_number, p.timestamp, p.ssrc) for p in got] == [
            (1000, 91_000, sender._ssrc), (1001, 91_001, sender._ssrc)]
        assert got[0].payload == packet.payload and got[0].marker == 1
        # counted for the sender reports; a resend is not counted again
        assert sender.packets_sent == 2 and sender.octets_sent == 2 * len(packet.payload)
        assert sender._RTCRtpSender__rtp_timestamp == 91_001
        assert sender._RTCRtpSender__ntp_timestamp == 123 << 32
        sender.resend(data, 1000, 91_000)
        assert sender.packets_sent == 2
    finally:
        await sending.close()
        await receiving.close()
        use_addresses(None)


async def test_an_answer_restricted_to_h264_is_what_the_offerer_reads_as_negotiated():
    offerer, answerer = RTCPeerConnection(), RTCPeerConnection()
    try:
        sent = offerer.addTransceiver("video", direction="recvonly")
        await offerer.setLocalDescription(await offerer.createOffer())
        await answerer.setRemoteDescription(offerer.localDescription)
        (received,) = answerer.getTransceivers()
        assert {c.name for c in aiortc_tap.negotiated_codecs(received)} >= {"VP8", "H264"}
        aiortc_tap.restrict_answer_codecs(received, {"H264"})
        await answerer.setLocalDescription(await answerer.createAnswer())
        assert "VP8" not in answerer.localDescription.sdp
        await offerer.setRemoteDescription(answerer.localDescription)
        names = {c.name for c in aiortc_tap.negotiated_codecs(sent)}
        assert names == {"H264", "rtx"}
    finally:
        await offerer.close()
        await answerer.close()
