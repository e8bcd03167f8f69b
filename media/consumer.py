"""Consumer: one producer's track forwarded to one subscribing peer."""

from __future__ import annotations

import random
import struct
from typing import TYPE_CHECKING

from aiortc import RTCRtpTransceiver

from .aiortc_tap import ForwardingSender

if TYPE_CHECKING:
    from .producer import Producer

_pack_header = struct.Struct("!HII").pack_into


class Consumer:
    """Forwards a producer's RTP to one subscriber, rewriting SSRC, sequence and timestamp.

    Video is forwarded from the first keyframe on, so a subscriber never gets
    frames it cannot decode. A subscriber's PLI/FIR goes to the producer.
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
        self.decodable: frozenset[int] = frozenset()  # payload types the subscriber answered
        self._waiting_for_keyframe = producer.kind == "video"
        self._seq_offset: int | None = None
        self._ts_offset = 0
        sender.on_keyframe_request = producer.request_keyframe

    @property
    def kind(self) -> str:
        return self.producer.kind

    @property
    def mid(self) -> str | None:
        return self.transceiver.mid

    async def forward(
        self, data: bytes, sequence_number: int, timestamp: int, keyframe: bool,
        ntp_time: int, payload_size: int,
    ) -> None:
        """Send one packet (serialized by the producer) with this consumer's header fields."""
        if self.closed or not self.sender.ready or not self.can_decode:
            return
        if self._waiting_for_keyframe:
            if not keyframe:
                self.producer.request_keyframe()
                return
            self._waiting_for_keyframe = False
        if self._seq_offset is None:
            self._seq_offset = (random.randrange(1 << 15) - sequence_number) & 0xFFFF
            self._ts_offset = (random.randrange(1 << 32) - timestamp) & 0xFFFFFFFF
        seq = (sequence_number + self._seq_offset) & 0xFFFF
        ts = (timestamp + self._ts_offset) & 0xFFFFFFFF
        packet = bytearray(data)
        _pack_header(packet, 2, seq, ts, self.sender._ssrc)
        await self.sender.send_packet(bytes(packet), seq, ts, ntp_time, payload_size)

    @property
    def can_decode(self) -> bool:
        """Whether the subscriber decodes what the publisher sends now (no transcoding)."""
        return self.producer.payload_type in self.decodable

    def restart(self) -> None:
        """The stream starts over (new codec): forward video again from a keyframe."""
        self._waiting_for_keyframe = self.kind == "video"

    async def close(self) -> None:
        """Stop forwarding; the subscriber's m-line becomes inactive at the next offer."""
        if self.closed:
            return
        self.closed = True
        self.producer.consumers.discard(self)
        self.transceiver.direction = "inactive"
        await self.sender.stop()
