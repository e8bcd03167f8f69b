"""The analysis worker process: reassemble, decode and look at every analysed video stream.

Run by :class:`media.analysis_worker.AnalysisWorker` as ``python -m media.analysis_process
SETTINGS SERVER_PID``: RTP packets come in on stdin (see the message formats there),
results go out on stdout as JSON lines. One thread: decoding every frame of a stream is
needed anyway (each frame refers to the one before), and the face detector runs on the
newest decoded frame of a stream at most ``face_sample_hz`` times a second; when the worker
is short of time it skips detections, never frames. It is started at a lower CPU priority
than the forwarding process, and exits with the server however that ends
(:func:`exit_with_parent`).
"""

from __future__ import annotations

import ctypes
import json
import os
import selectors
import signal
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import av
from aiortc.codecs import depayload
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

from media.analysis_worker import CLOSE, HEADER, OPEN, PACKET, PACKETS
from media.face_motion import FaceMotion
from media.keyframes import frame_start_detector, keyframe_detector

REPORT_EVERY_S = 1.0
# The face detector may use this much CPU in all (cores). With many streams each is then
# looked at less often than face_sample_hz: about 1.3-2 times a second at 15 streams on
# this project's machine (docs/benchmarks.md). The rules count shares of detections and
# allow gaps of four intervals, so a lower rate weakens no rule.
DETECTION_BUDGET_CORES = 0.2
PR_SET_PDEATHSIG = 1  # linux/prctl.h


@dataclass
class _Packet:
    sequence_number: int
    marker: bool
    payload: bytes


MAX_PENDING_FRAMES = 32  # frames waiting for a lost packet before they are given up


@dataclass
class FrameAssembler:
    """Whole encoded frames from the RTP packets of one stream, decodable ones only.

    A frame is whole when its packets run without a gap up to the packet with the marker
    bit, from a packet that begins a frame or directly follows the previous whole frame.
    It is decodable when it is a keyframe, or when it directly follows the previous
    decodable frame. After a loss nothing is passed on until a keyframe: the decoder could
    not use it anyway.
    """

    is_keyframe_start: Any
    is_frame_start: Any
    depayload: Any
    synced: bool = False
    lost_sync: int = 0  # times a loss broke the chain of frames
    _frames: dict[int, dict[int, _Packet]] = field(default_factory=dict)  # timestamp -> seq
    _last_end: int | None = None  # sequence number ending the last whole frame

    def add(self, seq: int, timestamp: int, marker: bool, payload: bytes
            ) -> list[tuple[bytes, bool]]:
        """Take one packet; return the frames it made whole as (encoded frame, keyframe)."""
        self._frames.setdefault(timestamp, {})[seq] = _Packet(seq, marker, payload)
        out: list[tuple[bytes, bool]] = []
        while (whole := self._pop_whole_frame()) is not None:
            start, end, packets = whole
            keyframe = bool(self.is_keyframe_start(packets[0].payload))
            follows = self._last_end is not None and start == (self._last_end + 1) & 0xFFFF
            self._last_end = end
            if keyframe or (self.synced and follows):
                self.synced = True
                out.append((b"".join(self.depayload(p.payload) for p in packets), keyframe))
            else:
                self.lose_sync()
        if len(self._frames) > MAX_PENDING_FRAMES:
            del self._frames[next(iter(self._frames))]
            self.lose_sync()
        return out

    def _pop_whole_frame(self) -> tuple[int, int, list[_Packet]] | None:
        for timestamp, packets in self._frames.items():
            end = next((p.sequence_number for p in packets.values() if p.marker), None)
            if end is None:
                continue
            count = max((end - s) & 0xFFFF for s in packets) + 1
            start = (end - count + 1) & 0xFFFF
            follows = self._last_end is not None and start == (self._last_end + 1) & 0xFFFF
            if len(packets) != count or not (
                    follows or self.is_frame_start(packets[start].payload)):
                continue
            del self._frames[timestamp]
            older = [ts for ts in self._frames if (timestamp - ts) & 0xFFFFFFFF < 0x80000000]
            for ts in older:  # earlier frames still missing a packet are lost for good
                del self._frames[ts]
                self.lose_sync()
            return start, end, [packets[(start + i) & 0xFFFF] for i in range(count)]
        return None

    def lose_sync(self) -> None:
        if self.synced:
            self.lost_sync += 1
        self.synced = False


class StreamAnalysis:
    """One video stream in the worker: frames in, decoded pictures, detections out."""

    def __init__(self, stream_id: int, mime_type: str, detector: Any) -> None:
        codec = RTCRtpCodecParameters(mimeType=mime_type, clockRate=90_000)
        self.id = stream_id
        self.assembler = FrameAssembler(
            keyframe_detector(mime_type) or (lambda payload: False),
            frame_start_detector(mime_type) or (lambda payload: True),
            lambda payload: depayload(codec, payload))
        name = {"video/vp8": "vp8", "video/h264": "h264"}.get(mime_type.lower(), "")
        self.decoder = av.CodecContext.create(name, "r") if name else None
        if self.decoder is not None:
            self.decoder.thread_count = 1
        self.detector = detector
        self.decoded = 0
        self.size: tuple[int, int] | None = None
        self.newest: Any = None
        self.next_detection = 0.0
        self.reported_losses = 0
        self.motion = FaceMotion()

    def add(self, seq: int, timestamp: int, marker: bool, payload: bytes,
            out: list[dict[str, Any]]) -> None:
        if self.decoder is None:
            return
        assembler = self.assembler
        for data, _keyframe in assembler.add(seq, timestamp, marker, payload):
            try:
                frames = self.decoder.decode(self._packet(data))
            except Exception:  # a corrupt frame: wait for the next keyframe
                assembler.lose_sync()
                continue
            for frame in frames:
                self.decoded += 1
                self.size = (frame.width, frame.height)
                self.newest = frame
        if assembler.lost_sync > self.reported_losses:  # ask the publisher for a keyframe
            self.reported_losses = assembler.lost_sync
            out.append({"stream": self.id, "type": "resync"})

    @staticmethod
    def _packet(data: bytes) -> Any:
        return av.Packet(data)

    def detect_due(self, now: float, interval_s: float, out: list[dict[str, Any]]) -> bool:
        """Look for a face in the newest picture, if there is a new one and it is time."""
        if self.newest is None or now < self.next_detection:
            return False
        frame, self.newest = self.newest, None
        self.next_detection = now + interval_s
        yuv = frame.to_ndarray(format="yuv420p")
        result = self.detector.detect_yuv420p(yuv)
        position = None
        if result.present and result.box is not None:
            position = self.motion.update(yuv[: frame.height], result.box)
        else:
            self.motion.reset()
        out.append({"stream": self.id, "type": "face", "present": result.present,
                    "confidence": result.confidence, "width_px": result.width_px,
                    "box": result.box, "position": position})
        return True

    def report(self) -> dict[str, Any]:
        return {"stream": self.id, "type": "stats", "decoded": self.decoded,
                "size": self.size, "lost_sync": self.assembler.lost_sync}


def exit_with_parent(parent_pid: int) -> None:
    """Exit as soon as the server process is gone, even when killed (kill -9) and even if
    another process still holds the write end of stdin (a fork of the server), when the
    end of input never comes: Linux signals this process when its parent dies. The loop
    in :func:`serve` also checks its parent once a second (for other systems)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux
        pass
    if os.getppid() != parent_pid:  # the server died before the signal was asked for
        sys.exit(0)


def serve(settings: dict[str, Any], stdin: Any, stdout: Any, parent_pid: int) -> None:
    """The worker's loop: read messages, decode, detect on schedule, write results."""
    os.environ["OMP_NUM_THREADS"] = "1"  # one core's worth at most: the other forwards
    import cv2

    cv2.setNumThreads(1)
    from media.face_detector import FaceDetector

    detector = FaceDetector(min_confidence=settings["face_min_confidence"],
                            min_width_px=int(settings["face_min_width_px"]))
    shortest_interval_s = 1.0 / settings["face_sample_hz"]
    detection_cpu_s = 0.01  # a running mean of what one detection costs
    streams: dict[int, StreamAnalysis] = {}
    selector = selectors.DefaultSelector()
    selector.register(stdin, selectors.EVENT_READ)
    buffer = bytearray()
    next_report = time.monotonic() + REPORT_EVERY_S

    def emit(messages: list[dict[str, Any]]) -> None:
        if messages:
            stdout.write("".join(json.dumps(m) + "\n" for m in messages).encode())
            stdout.flush()

    emit([{"type": "ready", "pid": os.getpid()}])
    while True:
        now = time.monotonic()
        due = min((s.next_detection for s in streams.values() if s.newest is not None),
                  default=now + 0.1)
        if selector.select(max(0.0, min(due, next_report) - now)):
            chunk = os.read(stdin.fileno(), 1 << 20)
            if not chunk:
                return  # the server closed the pipe (or is gone)
            buffer += chunk
        out: list[dict[str, Any]] = []
        while len(buffer) >= HEADER.size:
            length, kind, stream_id = HEADER.unpack_from(buffer)
            if len(buffer) < HEADER.size + length:
                break
            body = bytes(buffer[HEADER.size : HEADER.size + length])
            del buffer[: HEADER.size + length]
            if kind == OPEN:
                streams[stream_id] = StreamAnalysis(stream_id, body.decode(), detector)
            elif kind == CLOSE:
                streams.pop(stream_id, None)
            elif kind == PACKETS and stream_id in streams:
                stream = streams[stream_id]
                offset = 0
                while offset + PACKET.size <= len(body):
                    seq, timestamp, marker, size = PACKET.unpack_from(body, offset)
                    offset += PACKET.size
                    stream.add(seq, timestamp, bool(marker), body[offset : offset + size], out)
                    offset += size
        now = time.monotonic()
        interval_s = max(shortest_interval_s,
                         len(streams) * detection_cpu_s / DETECTION_BUDGET_CORES)
        for stream in streams.values():
            started = time.process_time()
            if stream.detect_due(now, interval_s, out):
                detection_cpu_s += (time.process_time() - started - detection_cpu_s) / 16
        if now >= next_report:
            if os.getppid() != parent_pid:
                return  # the server is gone
            next_report = now + REPORT_EVERY_S
            out += [s.report() for s in streams.values()]
        emit(out)


def main() -> None:
    parent_pid = int(sys.argv[2])
    exit_with_parent(parent_pid)
    serve(json.loads(sys.argv[1]), sys.stdin.buffer, sys.stdout.buffer, parent_pid)


if __name__ == "__main__":
    main()
