"""Kvorum's hooks into aiortc internals (media/aiortc_tap.py, media/ice.py) fail loudly here
if an aiortc or aioice upgrade moves what they reach into."""

from __future__ import annotations

import aioice.ice
import aiortc
from aiortc import RTCPeerConnection, RTCRtpReceiver, RTCRtpSender

from media import aiortc_tap
from media.aiortc_tap import ForwardingSender, install_forwarding_sender
from media.ice import use_addresses

SENDER_PRIVATES = ["__packet_count", "__octet_count", "__ntp_timestamp", "__rtp_timestamp",
                   "__rtt", "__rtp_started", "__rtp_exited"]


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
        for method in ("_handle_rtp_packet", "_send_rtcp_pli"):
            assert callable(getattr(receiver, method)), method
        assert callable(receiver.transport._send_rtp)
    finally:
        await pc.close()


async def test_the_receiver_tap_sees_packets_first_and_may_stop_them():
    pc = RTCPeerConnection()
    try:
        receiver = pc.addTransceiver("audio").receiver
        seen, passed = [], []

        async def original(packet, arrival):  # type: ignore[no-untyped-def]
            passed.append(packet)

        receiver._handle_rtp_packet = original  # type: ignore[method-assign]

        async def handler(packet, arrival):  # type: ignore[no-untyped-def]
            seen.append(packet)
            return packet == "keep"

        aiortc_tap.tap_receiver(receiver, handler)
        await receiver._handle_rtp_packet("keep", 0)
        await receiver._handle_rtp_packet("drop", 0)
        assert seen == ["keep", "drop"] and passed == ["keep"]
    finally:
        await pc.close()


def test_ice_candidates_are_gathered_only_on_the_configured_addresses():
    original = aioice.ice.get_host_addresses
    try:
        use_addresses(["127.0.0.1"])
        assert aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=True) == ["127.0.0.1"]
    finally:
        aioice.ice.get_host_addresses = original


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
