"""Consumer: one producer's track forwarded to one subscribing peer."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from aiortc import RTCRtpTransceiver

from .aiortc_tap import ForwardingSender

if TYPE_CHECKING:
    from .producer import Producer

# Packets a consumer keeps for answering NACKs: about 4 s of video at 15 fps, 20 s of
# audio (a power of two, so a sequence number's slot is a mask).
NACK_HISTORY = 1024
_SLOT = NACK_HISTORY - 1


class Consumer:
    """Forwards a producer's RTP to one subscriber, rewriting SSRC, sequence and timestamp.

    Video is forwarded from the first keyframe on, so a subscriber never gets
    frames it cannot decode. A subscriber's PLI/FIR goes to the producer; its NACKs
    are answered from the packets this consumer sent (references to the producer's
    serialized packets, rewritten again on the way out).
    """

    def __init__(
        self, producer: Producer, subscriber_id: str, transceiver: RTCRtpTransceiver,
        sender: ForwardingSender,
    ) -> None:
        self.producer = producer
        self.subscriber_id = subscriber_id
        self.transceiver = transceiver
        self.sender = sender
        self.closed = False
        self._decodable: frozenset[int] = frozenset()
        self._flowing = False  # decodable, started (video: at a keyframe); checked per packet
        self._numbered = False
        self._seq_offset = 0
        self._ts_offset = 0
        self._history: list[bytes | None] = [None] * NACK_HISTORY
        sender.on_keyframe_request = producer.request_keyframe
        sender.on_nack = self.retransmit

    @property
    def kind(self) -> str:
        return self.producer.kind

    @property
    def mid(self) -> str | None:
        return self.transceiver.mid

    def forward(
        self, data: bytes, sequence_number: int, timestamp: int, keyframe: bool,
        ntp_time: int, payload_size: int,
    ) -> None:
        """Send one packet (serialized once by the producer) with this consumer's
        sequence number, timestamp and SSRC."""
        if not self._flowing and not self._start(sequence_number, timestamp, keyframe):
            return
        seq = (sequence_number + self._seq_offset) & 0xFFFF
        self._history[seq & _SLOT] = data
        self.sender.send_packet(
            data, seq, (timestamp + self._ts_offset) & 0xFFFFFFFF, ntp_time, payload_size)

    def _start(self, sequence_number: int, timestamp: int, keyframe: bool) -> bool:
        """Whether forwarding may (re)start with this packet: the sender is ready, the
        subscriber decodes the codec and, for video, the packet starts a keyframe (until
        then, ask the publisher for one). The first packet ever gets a random sequence
        number and timestamp (RFC 3550 5.1); the rest follow in step with the producer's,
        so the subscriber sees its gaps and timing."""
        if self.closed or not self.sender.ready or not self.can_decode:
            return False
        if self.kind == "video" and not keyframe:
            self.producer.request_keyframe()
            return False
        if not self._numbered:
            self._seq_offset = (random.randrange(1 << 15) - sequence_number) & 0xFFFF
            self._ts_offset = (random.randrange(1 << 32) - timestamp) & 0xFFFFFFFF
            self._numbered = True
        self._flowing = True
        return True

    def retransmit(self, sequence_number: int) -> None:
        """The subscriber lost ``sequence_number`` (NACK): send it again, if still kept."""
        data = self._history[sequence_number & _SLOT]
        if data is None or self.closed:
            return
        if (int.from_bytes(data[2:4], "big") + self._seq_offset) & 0xFFFF != sequence_number:
            return  # that slot holds a newer packet now
        timestamp = (int.from_bytes(data[4:8], "big") + self._ts_offset) & 0xFFFFFFFF
        self.sender.resend(data, sequence_number, timestamp)

    @property
    def decodable(self) -> frozenset[int]:
        """Payload types the subscriber answered (it decodes these)."""
        return self._decodable

    @decodable.setter
    def decodable(self, payload_types: frozenset[int]) -> None:
        self._decodable = payload_types
        if self.producer.payload_type not in payload_types:
            self._flowing = False  # not any more: check again at each packet

    @property
    def can_decode(self) -> bool:
        """Whether the subscriber decodes what the publisher sends now (no transcoding)."""
        return self.producer.payload_type in self._decodable

    def restart(self) -> None:
        """The stream starts over (new codec): forward video again from a keyframe."""
        self._flowing = False

    async def close(self) -> None:
        """Stop forwarding; the subscriber's m-line becomes inactive at the next offer."""
        if self.closed:
            return
        self.closed = True
        self.producer.consumers.discard(self)
        self.transceiver.direction = "inactive"
        await self.sender.stop()
