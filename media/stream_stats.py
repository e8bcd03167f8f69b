"""Stream statistics: what one inbound track looks like from its packet arrivals.

Fed by a producer for every RTP packet (already forwarded by then), read by the
supervisor at each tick as the monitor's sample types. Frame rate and freezes
come from frame completions (the RTP marker bit), loss and jitter as RFC 3550
defines them for receiver reports.
"""

from __future__ import annotations

import itertools
from collections import deque

from aiortc.rtp import RtpPacket

from compliance.samples import AudioSample, VideoSample

FRAME_HISTORY = 31  # 30 intervals, the W3C freeze definition's average
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
    """Frame rate, frame gaps, decoded height, loss and jitter of one inbound video."""

    def __init__(self, started_at: float, clock_rate: int = 90_000) -> None:
        self.started_at = started_at
        self.packets = _PacketCounters(clock_rate)
        self.frame_arrivals: deque[float] = deque(maxlen=FRAME_HISTORY)
        self.height: int | None = None
        self.width: int | None = None
        self.live = True

    def on_packet(self, packet: RtpPacket, now: float) -> None:
        self.packets.add(packet, now)
        if packet.marker:  # the last packet of a frame
            self.frame_arrivals.append(now)

    def on_frame(self, frame: object, now: float) -> None:
        self.width = getattr(frame, "width", None)
        self.height = getattr(frame, "height", None)

    def frame_rate(self) -> float:
        """Frames per second while frames flow: the mean of the recent frame intervals,
        leaving out any interval long enough to be a freeze (W3C: longer than
        max(3 x median, median + 150 ms)), which the freeze rule judges instead. So a
        short gap is not counted twice, and a steady low rate still shows as low."""
        arrivals = list(self.frame_arrivals)[-(RATE_INTERVALS + 1):]
        intervals = [b - a for a, b in itertools.pairwise(arrivals)]
        if not intervals:
            return 0.0
        median = sorted(intervals)[len(intervals) // 2]
        limit = max(3 * median, median + 0.150)
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
