"""Stream statistics: what one inbound track looks like from its RTP packets alone.

Fed by the producer's analyser for every RTP packet (already forwarded by then), read at
each tick as the monitor's sample types. Nothing is decoded: frame rate and freezes come
from frame completions (a new RTP timestamp, closed by the marker bit), the picture size
from keyframe headers, loss and jitter as RFC 3550 defines them for receiver reports.
"""

from __future__ import annotations

import itertools
from collections import deque

from aiortc.rtp import RtpPacket

from compliance.profile import QualityRules
from compliance.samples import AudioSample, VideoSample

from .keyframes import SizeReader

RATE_INTERVALS = 15  # the frame rate is judged over about the last second at 15 fps


class _PacketCounters:
    """Cumulative expected/lost packets and interarrival jitter (RFC 3550 A.3, A.8)."""

    def __init__(self, clock_rate: int) -> None:
        self.clock_rate = clock_rate
        self.received = 0
        self._base_seq: int | None = None
        self._max_seq = 0  # extended (with wrap count)
        self._jitter = 0.0  # in seconds
        self._transit: float | None = None
        self.last_arrival: float | None = None

    def add(self, packet: RtpPacket, now: float) -> None:
        seq = packet.sequence_number
        if self._base_seq is None:
            self._base_seq = self._max_seq = seq
        else:
            cycles = self._max_seq & ~0xFFFF
            candidate = cycles | seq
            if candidate < self._max_seq - 0x8000:
                candidate += 0x10000  # wrapped forward
            elif candidate > self._max_seq + 0x8000:
                candidate -= 0x10000  # a late packet from before the wrap
            self._max_seq = max(self._max_seq, candidate)
        self.received += 1
        transit = now - packet.timestamp / self.clock_rate
        if self._transit is not None:
            d = abs(transit - self._transit)
            if d < 10:  # ignore RTP timestamp jumps (a new stream after a restart)
                self._jitter += (d - self._jitter) / 16
        self._transit = transit
        self.last_arrival = now

    @property
    def expected(self) -> int:
        return 0 if self._base_seq is None else self._max_seq - self._base_seq + 1

    @property
    def lost(self) -> int:
        return max(0, self.expected - self.received)

    @property
    def jitter_s(self) -> float:
        return self._jitter


class VideoStreamStats:
    """Frame rate, frame gaps, picture size, loss and jitter of one inbound video."""

    def __init__(self, started_at: float, rules: QualityRules, clock_rate: int = 90_000,
                 size_reader: SizeReader | None = None) -> None:
        self.started_at = started_at
        self.rules = rules
        self.size_reader = size_reader  # reads the size from a keyframe's first payload
        self.packets = _PacketCounters(clock_rate)
        # The W3C freeze definition averages the last 30 frame intervals: 31 arrivals.
        self.frame_arrivals: deque[float] = deque(maxlen=rules.freeze_average_frames + 1)
        # Each recent frame's capture time in seconds (its RTP timestamp, unwrapped).
        self.frame_media_times: deque[float] = deque(maxlen=RATE_INTERVALS + 1)
        self.clock_rate = clock_rate
        self.frames = 0
        self.width: int | None = None
        self.height: int | None = None
        self.live = True
        self._timestamp: int | None = None  # of the newest frame begun
        self._media_time = 0.0  # its timestamp in seconds, unwrapped
        self._open = False  # that frame's marker bit has not arrived yet

    def on_packet(self, packet: RtpPacket, now: float) -> None:
        self.packets.add(packet, now)
        timestamp = packet.timestamp
        if self._timestamp is None or 0 < (timestamp - self._timestamp) & 0xFFFFFFFF < 1 << 31:
            if self._open:  # the previous frame's marker packet was lost: it ended anyway
                self._frame_done(now)
            if self._timestamp is not None:
                self._media_time += ((timestamp - self._timestamp) & 0xFFFFFFFF) / self.clock_rate
            self._timestamp, self._open = timestamp, True
        if packet.marker and self._open and timestamp == self._timestamp:
            self._frame_done(now)  # the last packet of the frame
            self._open = False
        if self.size_reader is not None:
            size = self.size_reader(packet.payload)
            if size is not None:
                self.width, self.height = size

    def _frame_done(self, now: float) -> None:
        self.frames += 1
        self.frame_arrivals.append(now)
        self.frame_media_times.append(self._media_time)

    def frame_rate(self) -> float:
        """Frames per second of the picture that arrives: the mean interval between the
        capture times (RTP timestamps) of the recent frames that arrived, so frames lost on
        the way count as missing and a burst after a stall counts as what it is. An interval
        long enough to be a freeze (the profile's W3C limit, max(3 x median, median +
        150 ms)) is left out: the freeze rule judges it, and a steady low rate still shows
        as low."""
        times = self.frame_media_times
        intervals = [b - a for a, b in itertools.pairwise(times)]
        if not intervals:
            return 0.0
        median = sorted(intervals)[len(intervals) // 2]
        limit = max(self.rules.freeze_gap_factor * median,
                    median + self.rules.freeze_gap_margin_s)
        kept = [i for i in intervals if i <= limit]
        mean = sum(kept) / len(kept)
        return 1.0 / mean if mean > 0 else 0.0

    def sample(self, now: float) -> VideoSample:
        arrivals = self.frame_arrivals
        last = arrivals[-1] if arrivals else self.started_at
        fps = round(self.frame_rate(), 2)
        mean = (arrivals[-1] - arrivals[0]) / (len(arrivals) - 1) if len(arrivals) >= 2 else None
        return VideoSample(
            at=now, frames_per_second=fps, current_gap_s=max(0.0, now - last),
            mean_frame_interval_s=mean, height=self.height,
            packets_expected=self.packets.expected, packets_lost=self.packets.lost,
            jitter_s=self.packets.jitter_s, live=self.live,
        )


class AudioStreamStats:
    """Liveness, level (RFC 6464), loss and jitter of one inbound audio track."""

    def __init__(self, started_at: float, clock_rate: int = 48_000) -> None:
        self.started_at = started_at
        self.packets = _PacketCounters(clock_rate)
        self.level_dbov: int | None = None
        self.live = True

    def on_packet(self, packet: RtpPacket, now: float) -> None:
        self.packets.add(packet, now)
        level = packet.extensions.audio_level
        if level is not None:
            self.level_dbov = -int(level[1])

    def sample(self, now: float) -> AudioSample:
        last = self.packets.last_arrival or self.started_at
        return AudioSample(
            at=now, seconds_since_last_packet=max(0.0, now - last),
            packets_expected=self.packets.expected, packets_lost=self.packets.lost,
            jitter_s=self.packets.jitter_s, level_dbov=self.level_dbov, live=self.live,
        )
