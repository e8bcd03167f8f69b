"""What the packet-level forwarding path owes a subscriber besides the packets: sender
reports that count what was sent and pair NTP with the subscriber's RTP timestamps, NACKs
answered with the very packet that was lost, and PLIs passed to the publisher.

The subscriber is a real aiortc peer on loopback. aiortc has no public API for a
receiver to send NACK/PLI or to show the sender reports it gets, so these tests call
the receiver's own RTCP methods (``_send_rtcp_nack``, ``_send_rtcp_pli``,
``_handle_rtcp_packet``): the subscriber's side, exactly what a browser's would send.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from aiortc.rtp import RtcpPsfbPacket, RtcpSrPacket, RtpPacket

from bench.synthetic import SyntheticParticipant
from media.aiortc_tap import tap_receiver

from .test_relay import join_all, wait_until

VIDEO_CLOCK = 90_000
NTP_UNIX_OFFSET_S = 2_208_988_800


@dataclass
class Seen:
    """What a subscriber's receiver got on one m-line: every RTP packet and SR."""

    packets: list[RtpPacket] = field(default_factory=list)
    reports: list[tuple[RtcpSrPacket, int]] = field(default_factory=list)  # SR, packets by then
    arrivals: list[float] = field(default_factory=list)  # wall clock (time.time)


def watch(person: SyntheticParticipant, publisher: SyntheticParticipant,
          kind: str) -> tuple[Any, Seen]:
    """Record the RTP and sender reports ``person`` gets from ``publisher``'s ``kind`` track."""
    mid = person.streams_from(publisher.id)[kind].mid
    receiver = next(t.receiver for t in person.pc.getTransceivers() if t.mid == mid)
    seen = Seen()

    async def on_rtp(packet: RtpPacket, arrival_ms: int) -> bool:
        seen.packets.append(packet)
        seen.arrivals.append(time.time())
        return True

    tap_receiver(receiver, on_rtp)
    original = receiver._handle_rtcp_packet

    async def on_rtcp(packet: Any) -> None:
        if isinstance(packet, RtcpSrPacket):
            seen.reports.append((packet, len(seen.packets)))
        await original(packet)

    receiver._handle_rtcp_packet = on_rtcp  # type: ignore[method-assign]
    return receiver, seen


async def test_sender_reports_count_the_packets_sent_and_pair_ntp_with_the_rtp_clock(server):
    people = await join_all(server, 2, decode=False)
    publisher, subscriber = people
    try:
        _, seen = watch(subscriber, publisher, "video")
        # aiortc sends an SR every 0.5-1.5 s: wait for four
        assert await wait_until(lambda: len(seen.reports) >= 4, timeout=15), "no sender reports"
        assert {r.ssrc for r, _ in seen.reports} == {p.ssrc for p in seen.packets}
        # Between two reports, the counts grew by what the subscriber got in between
        # (loopback keeps the order: what was sent before a report arrives before it).
        (first, n1), (last, n2) = seen.reports[1], seen.reports[-1]
        sent = last.sender_info.packet_count - first.sender_info.packet_count
        received = n2 - n1
        assert received > 20
        assert 0 <= sent - received <= max(2, received // 50), (sent, received)
        octets = sum(len(p.payload) for p in seen.packets[n1:n2])
        sent_octets = last.sender_info.octet_count - first.sender_info.octet_count
        assert abs(sent_octets - octets) <= octets // 50, (sent_octets, octets)
        # Each report pairs the RTP timestamp of the last packet sent, in the subscriber's
        # numbering, with the wall clock (NTP) when it was sent: what a browser needs
        # to line audio up with video.
        for report, count in seen.reports[1:]:
            info = report.sender_info
            offset = ((info.rtp_timestamp - seen.packets[count - 1].timestamp + 2**31)
                      & 0xFFFFFFFF) - 2**31
            assert abs(offset) < VIDEO_CLOCK // 5, offset
            sent_at = info.ntp_timestamp / 2**32 - NTP_UNIX_OFFSET_S
            assert abs(sent_at - seen.arrivals[count - 1]) < 0.5, (
                sent_at - seen.arrivals[count - 1])
    finally:
        for person in people:
            await person.leave()


def lose_next(person: SyntheticParticipant, ssrc: int, sequence_number: int) -> list[int]:
    """Drop the SRTP datagram carrying ``ssrc``/``sequence_number`` where it arrives at
    ``person``'s ICE connection (the RTP header is in the clear), as the network would:
    a retransmission of a packet that did arrive would be refused by SRTP replay
    protection, so only a packet really lost can be asked for again."""
    dropped: list[int] = []
    dtls = person.pc.getTransceivers()[0].receiver.transport
    connection = dtls.transport._connection
    original = connection.data_received

    def data_received(data: bytes, component: int) -> None:
        if (not dropped and len(data) >= 12 and int.from_bytes(data[8:12], "big") == ssrc
                and int.from_bytes(data[2:4], "big") == sequence_number):
            dropped.append(sequence_number)
            return
        original(data, component)

    connection.data_received = data_received
    return dropped


async def test_a_lost_packet_is_sent_again_when_nacked_and_an_unknown_one_is_not(server):
    people = await join_all(server, 2, decode=False)
    publisher, subscriber = people
    try:
        receiver, seen = watch(subscriber, publisher, "video")
        assert await wait_until(lambda: len(seen.packets) >= 10, timeout=10)
        ssrc = seen.packets[-1].ssrc
        lost = (seen.packets[-1].sequence_number + 5) & 0xFFFF
        dropped = lose_next(subscriber, ssrc, lost)
        assert await wait_until(lambda: dropped and any(
            (p.sequence_number - lost) & 0xFFFF in range(1, 100) for p in seen.packets),
            timeout=10), "the packet to lose never came"
        assert all(p.sequence_number != lost for p in seen.packets)
        await receiver._send_rtcp_nack(ssrc, [lost])
        assert await wait_until(lambda: any(p.sequence_number == lost for p in seen.packets),
                                timeout=5), "the NACKed packet was not sent again"
        by_seq = {p.sequence_number: p for p in seen.packets}
        again = by_seq[lost]
        assert again.ssrc == ssrc and again.payload
        before = by_seq.get((lost - 1) & 0xFFFF)
        after = by_seq.get((lost + 1) & 0xFFFF)
        if before is not None and after is not None:  # the same timeline as its neighbours
            assert before.timestamp <= again.timestamp <= after.timestamp
        # a sequence number never sent gets no answer (nothing is made up)
        unknown = (seen.packets[-1].sequence_number + 5000) & 0xFFFF
        mark = len(seen.packets)
        await receiver._send_rtcp_nack(ssrc, [unknown])
        await asyncio.sleep(1.0)
        assert all(p.sequence_number != unknown for p in seen.packets[mark:])
    finally:
        for person in people:
            await person.leave()


async def test_a_subscribers_picture_loss_indication_reaches_the_publisher(server):
    people = await join_all(server, 2, decode=False)
    publisher, subscriber = people
    try:
        sender = next(t.sender for t in publisher.pc.getTransceivers()
                      if t.sender.track is publisher.video)
        plis: list[float] = []
        original = sender._handle_rtcp_packet

        async def on_rtcp(packet: Any) -> None:
            if isinstance(packet, RtcpPsfbPacket):
                plis.append(asyncio.get_running_loop().time())
            await original(packet)

        sender._handle_rtcp_packet = on_rtcp  # type: ignore[method-assign]
        receiver, seen = watch(subscriber, publisher, "video")
        assert await wait_until(lambda: len(seen.packets) >= 10, timeout=10)
        await asyncio.sleep(1.0)  # the joins' own keyframe requests are over
        count = len(plis)
        await receiver._send_rtcp_pli(seen.packets[-1].ssrc)
        assert await wait_until(lambda: len(plis) > count, timeout=5), (
            "the subscriber's PLI did not reach the publisher")
    finally:
        for person in people:
            await person.leave()
