"""Producer: one track a participant publishes, received by the server and forwarded."""

from __future__ import annotations

import asyncio
import logging
import math
import time

from aiortc import RTCRtpTransceiver
from aiortc.codecs import HEADER_EXTENSIONS, is_rtx
from aiortc.rtcrtpparameters import RTCRtpParameters
from aiortc.rtp import HeaderExtensionsMap, RtpPacket, unwrap_rtx

from compliance.profile import QualityRules

from .aiortc_tap import (
    ntp_now,
    receiver_codecs,
    receiver_rtx_ssrcs,
    request_keyframe,
    tap_receiver,
)
from .analyser import Analyser
from .analysis_worker import AnalysisWorker
from .consumer import Consumer
from .keyframes import keyframe_detector
from .relay_meter import RelayMeter

logger = logging.getLogger(__name__)

# Coalesce keyframe requests to the publisher: at most one PLI per 300 ms (MEDIA.md),
# so a burst of joining subscribers costs one keyframe, and each waits < 1 s for it.
PLI_INTERVAL_S = 0.3


def _forwarding_extensions(kind: str) -> HeaderExtensionsMap:
    """Header-extension IDs of every session: the server always offers, with aiortc's IDs."""
    extensions = HeaderExtensionsMap()
    extensions.configure(RTCRtpParameters(headerExtensions=HEADER_EXTENSIONS[kind]))
    return extensions


class Producer:
    """A published audio or video track: forwards each RTP packet to every consumer.

    Its :class:`Analyser` measures each packet after it is forwarded; pictures are looked
    at in the analysis worker process (``worker``; None: measure RTP only). aiortc's own
    receive pipeline (jitter buffer, decoder thread) never runs: the tap stops every packet.
    """

    def __init__(
        self, peer_id: str, transceiver: RTCRtpTransceiver, meter: RelayMeter,
        rules: QualityRules, worker: AnalysisWorker | None = None,
    ) -> None:
        self.peer_id = peer_id
        self.kind: str = transceiver.kind
        self.id = f"{peer_id}:{self.kind}"
        self.transceiver = transceiver
        self.consumers: set[Consumer] = set()
        self.analyser = Analyser(self.kind, rules, worker, self.request_keyframe)
        self.ssrc: int | None = None
        self.payload_type: int | None = None  # of the media now arriving (after RTX)
        self.codec_name: str | None = None  # "VP8", "H264", "OPUS", ...
        self.closed = False
        self._receiver = transceiver.receiver
        self._meter = meter
        self._extensions = _forwarding_extensions(self.kind)
        self._codecs: dict[int, object] | None = None
        self._keyframe_tests: dict[int, object] = {}  # payload type -> keyframe test
        self._last_pli = -math.inf
        self._pli_timer: asyncio.TimerHandle | None = None
        self._pending: set[asyncio.Task[None]] = set()  # kept so they are not collected
        tap_receiver(self._receiver, self._on_rtp)

    async def _on_rtp(self, packet: RtpPacket, arrival_time_ms: int) -> bool:
        """Forward one packet, then let the analyser measure it. Returns False: aiortc's
        receive pipeline never sees the packet (the analysis worker decodes instead)."""
        started = time.perf_counter_ns()
        if self.closed:
            return False
        if self._codecs is None:
            self._codecs = receiver_codecs(self._receiver)
        codec = self._codecs.get(packet.payload_type)
        if codec is None:
            return False
        if is_rtx(codec):  # a retransmission the server asked for: forward the original
            apt = codec.parameters.get("apt")  # type: ignore[attr-defined]
            media_ssrc = receiver_rtx_ssrcs(self._receiver).get(packet.ssrc)
            if len(packet.payload) < 2 or media_ssrc is None or apt not in self._codecs:
                return False
            packet = unwrap_rtx(packet, payload_type=apt, ssrc=media_ssrc)
            codec = self._codecs[apt]
        if not packet.payload:  # padding for bandwidth probing: nothing to forward
            return False
        self.ssrc = packet.ssrc
        if packet.payload_type != self.payload_type:
            self._codec_changed(packet.payload_type, codec)
        if self.consumers:
            detect = self._keyframe_tests.get(packet.payload_type, False)
            if detect is False:  # once per payload type, not once per packet
                detect = keyframe_detector(codec.mimeType)  # type: ignore[attr-defined]
                self._keyframe_tests[packet.payload_type] = detect
            keyframe = bool(detect and detect(packet.payload))  # type: ignore[operator]
            packet.extensions.mid = None  # each subscriber's MID differs; SSRCs are signalled
            data = packet.serialize(self._extensions)
            ntp_time = ntp_now()
            seq, ts, size = packet.sequence_number, packet.timestamp, len(packet.payload)
            for consumer in self.consumers:  # synchronous: the set cannot change meanwhile
                try:
                    consumer.forward(data, seq, ts, keyframe, ntp_time, size)
                except Exception:  # one subscriber's trouble must not stop the publisher's
                    logger.exception("forwarding %s to %s failed", self.id,
                                     consumer.subscriber_id)
            self._meter.record(time.perf_counter_ns() - started, len(self.consumers))
        else:
            self._meter.record(0, 0)
        self.analyser.on_packet(packet, codec.mimeType, time.monotonic())  # type: ignore[attr-defined]
        return False

    def _codec_changed(self, payload_type: int, codec: object) -> None:
        """The publisher (re)started or switched codec: subscribers start over at a keyframe."""
        self.payload_type = payload_type
        self.codec_name = codec.name.upper()  # type: ignore[attr-defined]
        for consumer in self.consumers:
            consumer.restart()

    def request_keyframe(self) -> None:
        """Ask the publisher for a keyframe, at most once per PLI_INTERVAL_S."""
        if self.kind != "video" or self.closed or self._pli_timer is not None:
            return
        loop = asyncio.get_running_loop()
        delay = max(0.0, self._last_pli + PLI_INTERVAL_S - loop.time())
        self._pli_timer = loop.call_later(delay, self._send_pli)

    def _send_pli(self) -> None:
        self._pli_timer = None
        if self.ssrc is None or self.closed:
            return
        self._last_pli = asyncio.get_running_loop().time()
        task = asyncio.ensure_future(request_keyframe(self._receiver, self.ssrc))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def close(self) -> set[str]:
        """Stop forwarding; returns the subscribers whose consumers were closed."""
        self.closed = True
        if self._pli_timer is not None:
            self._pli_timer.cancel()
        self.analyser.close()
        subscribers = {c.subscriber_id for c in self.consumers}
        for consumer in list(self.consumers):
            await consumer.close()
        return subscribers
