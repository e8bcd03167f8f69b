"""Relay meter: how long the server takes from receiving a packet to having forwarded it."""

from __future__ import annotations

from array import array
from dataclasses import dataclass

import numpy as np

SAMPLES = 20_000  # the most recent packets kept for percentiles


@dataclass
class RelayFigures:
    """Totals and latency percentiles since the meter started (or was reset)."""

    received_packets: int
    forwarded_packets: int
    latency_ms_p50: float | None
    latency_ms_p95: float | None
    latency_ms_max: float | None


class RelayMeter:
    """Counts packets and keeps the latest per-packet relay durations in a ring buffer."""

    def __init__(self) -> None:
        # a plain array: storing a Python int in it costs a tenth of a numpy store
        self._durations_ns = array("q", bytes(8 * SAMPLES))
        self._next = 0
        self._filled = 0
        self.received_packets = 0
        self.forwarded_packets = 0

    def record(self, duration_ns: int, copies: int) -> None:
        """One inbound packet took ``duration_ns`` to be sent to ``copies`` subscribers."""
        self.received_packets += 1
        if copies == 0:
            return
        self.forwarded_packets += copies
        self._durations_ns[self._next] = duration_ns
        self._next = (self._next + 1) % SAMPLES
        self._filled = min(self._filled + 1, SAMPLES)

    def reset(self) -> None:
        self._next = self._filled = self.received_packets = self.forwarded_packets = 0

    def figures(self) -> RelayFigures:
        if not self._filled:
            return RelayFigures(self.received_packets, self.forwarded_packets, None, None, None)
        ms = np.frombuffer(self._durations_ns, dtype=np.int64)[: self._filled] / 1e6
        p50, p95 = np.percentile(ms, [50, 95])
        return RelayFigures(
            self.received_packets, self.forwarded_packets,
            round(float(p50), 4), round(float(p95), 4), round(float(ms.max()), 4),
        )
