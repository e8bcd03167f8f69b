"""Analyser: what one published track looks like, as the equal-terms monitor's samples.

Each producer owns one and calls :meth:`Analyser.on_packet` once per forwarded RTP packet.
What RTP tells is measured right here at no decoding cost (media/stream_stats.py: frame
rate, gaps, picture size from keyframe headers, loss, jitter, audio level). For video the
packets are also batched per frame and written to the :class:`AnalysisWorker` process,
which decodes the stream once and looks for a face; its findings come back as
:class:`FaceSample`. The worker may drop frames; forwarding never waits for it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from aiortc.rtp import RtpPacket

from compliance.profile import QualityRules
from compliance.samples import AudioSample, FaceSample, VideoSample

from .analysis_worker import PACKET, AnalysisWorker, Result
from .keyframes import keyframe_detector, picture_size_reader
from .stream_stats import AudioStreamStats, VideoStreamStats

logger = logging.getLogger(__name__)

# A batch is written at the end of each frame, or sooner if a marker bit went missing.
MAX_BATCH_PACKETS = 64
# Keyframes asked for by analysis (after a loss or a worker restart), at most this often.
KEYFRAME_REQUEST_INTERVAL_S = 2.0


class Analyser:
    """Measures one inbound track and, for video, feeds the analysis worker."""

    def __init__(self, kind: str, rules: QualityRules, worker: AnalysisWorker | None,
                 request_keyframe: Callable[[], None]) -> None:
        self.kind = kind
        now = time.monotonic()
        self.stats: VideoStreamStats | AudioStreamStats = (
            VideoStreamStats(now, rules) if kind == "video" else AudioStreamStats(now))
        self.on_face: list[Callable[[FaceSample], None]] = []
        self.worker = worker if kind == "video" else None
        self.face_samples = 0
        self.decoded_frames = 0  # as the worker last reported (about once a second)
        self.decoded_size: tuple[int, int] | None = None
        self._request_keyframe = request_keyframe
        self._mime_type: str | None = None
        self._stream_id: int | None = None
        self._batch: list[bytes] = []
        self._waiting_for_keyframe = True
        self._is_keyframe_start: Callable[[bytes], bool] | None = None
        self._last_keyframe_request = float("-inf")
        self.closed = False

    @property
    def live(self) -> bool:
        return self.stats.live

    @live.setter
    def live(self, value: bool) -> None:
        self.stats.live = value

    def sample(self, now: float) -> VideoSample | AudioSample:
        return self.stats.sample(now)

    def on_packet(self, packet: RtpPacket, mime_type: str, now: float) -> None:
        """One RTP packet of the track (already forwarded)."""
        if mime_type != self._mime_type:
            self._start_codec(mime_type)
        self.stats.on_packet(packet, now)
        if self._stream_id is None:
            return
        payload = packet.payload
        if self._waiting_for_keyframe:
            if not (self._is_keyframe_start and self._is_keyframe_start(payload)):
                self._ask_for_keyframe(now)
                return
            self._waiting_for_keyframe = False
        batch = self._batch
        batch.append(PACKET.pack(packet.sequence_number, packet.timestamp, packet.marker,
                                 len(payload)))
        batch.append(payload)  # joined once per frame, in the worker's send
        if packet.marker or len(batch) >= 2 * MAX_BATCH_PACKETS:
            self._flush()

    def _start_codec(self, mime_type: str) -> None:
        self._mime_type = mime_type
        if isinstance(self.stats, VideoStreamStats):
            self.stats.size_reader = picture_size_reader(mime_type)
        if self.worker is None or self.closed:
            return
        if self._stream_id is not None:
            self.worker.close_stream(self._stream_id)
        self._is_keyframe_start = keyframe_detector(mime_type)
        self._stream_id = self.worker.open_stream(mime_type, self._on_result, self._resync)
        self._batch = []
        self._waiting_for_keyframe = True

    def _flush(self) -> None:
        batch, self._batch = self._batch, []
        assert self.worker is not None and self._stream_id is not None
        if not self.worker.send(self._stream_id, batch):
            self._resync()

    def _resync(self) -> None:
        """The worker lost this stream's picture chain: start again at a keyframe."""
        self._batch = []
        self._waiting_for_keyframe = True

    def _ask_for_keyframe(self, now: float) -> None:
        """Waiting for a keyframe: ask the publisher for one now and then (a browser sends
        one only when asked)."""
        if now - self._last_keyframe_request >= KEYFRAME_REQUEST_INTERVAL_S:
            self._last_keyframe_request = now
            self._request_keyframe()

    def _on_result(self, result: Result) -> None:
        kind = result.get("type")
        if kind == "stats":
            self.decoded_frames = int(result["decoded"])
            size = result.get("size")
            self.decoded_size = (int(size[0]), int(size[1])) if size else None
        elif kind == "resync":
            self._resync()
        elif kind == "face":
            self.face_samples += 1
            sample = face_sample(result, time.monotonic())
            for callback in list(self.on_face):
                callback(sample)

    def close(self) -> None:
        self.closed = True
        if self.worker is not None and self._stream_id is not None:
            self.worker.close_stream(self._stream_id)
            self._stream_id = None


def face_sample(result: dict[str, Any], at: float) -> FaceSample:
    """The monitor's sample from one of the worker's face results."""
    position = result.get("position")
    return FaceSample(at=at, present=bool(result["present"]),
                      confidence=float(result["confidence"]), width_px=int(result["width_px"]),
                      position=(float(position[0]), float(position[1])) if position else None)
