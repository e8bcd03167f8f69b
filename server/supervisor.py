"""The supervisor: one room's equal-terms supervision (compliance/supervision.py) on a
timer. Every tick it collects the streams' samples, feeds them, runs the meeting commands the
tick returns (a failed link and a suspension fail closed: docs/events.md) and broadcasts
what the dashboards show. It decides nothing itself.
"""

from __future__ import annotations

import asyncio
import logging
import math
import statistics
import time
from dataclasses import dataclass
from typing import Any

from compliance.profile import QualityRules
from compliance.samples import LinkSample
from compliance.supervision import Connection, DownlinkReport, Supervision
from media.analyser import Analyser
from media.analysis_worker import AnalysisWorker
from media.producer import Producer

from .rooms import Participant, Room

logger = logging.getLogger(__name__)

QUALITY_REPORT_EVERY_S = 1.0
MAX_REPORT_ENTRIES = 64


@dataclass
class _Streams:
    video: Analyser | None = None
    audio: Analyser | None = None


class Supervisor:
    """Runs one room's supervision every `tick_s`."""

    def __init__(self, room: Room, rules: QualityRules, analysis: AnalysisWorker | None) -> None:
        self.room = room
        self.rules = rules
        self.supervision = Supervision(rules)
        self.analysis = analysis
        self.streams: dict[str, _Streams] = {}
        self.events_seen: list[dict[str, Any]] = []
        self._task: asyncio.Task[None] | None = None
        self._last_report = 0.0
        self._next_at = 0.0
        self._pending: set[asyncio.Task[None]] = set()  # kept so they are not collected
        room.router.on_producer.append(self.attach)
        room.on_change.append(self.refresh_participants)
        if analysis is not None:
            analysis.on_availability.append(self._analysis_changed)

    @property
    def monitor(self):  # type: ignore[no-untyped-def]
        return self.supervision.monitor

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
        if self.analysis is not None and self._analysis_changed in self.analysis.on_availability:
            self.analysis.on_availability.remove(self._analysis_changed)

    @property
    def analysis_available(self) -> bool | None:
        """Whether pictures are being looked at (None: analysis switched off)."""
        return None if self.analysis is None else self.analysis.available

    def _analysis_changed(self, available: bool) -> None:
        """The analysis worker stopped or came back: the chair is told; no member is
        blamed (face visibility is unknown meanwhile, never "not visible")."""
        task = asyncio.ensure_future(self.room.broadcast(
            {"type": "analysis", "available": available}, dashboards_only=True))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    # -- facts in ---------------------------------------------------------------------------

    async def refresh_participants(self) -> None:
        """Who is connected (the room) and who is present (the log) changed."""
        now = time.monotonic()
        connections = [Connection(p.key, p.name, p.person_id)
                       for p in self.room.participants.values()]
        self.supervision.connected(connections, self.room.state, now)
        watched = self.supervision.watched()
        for key in [k for k in self.streams if k not in watched]:
            self.streams.pop(key)

    def attach(self, producer: Producer) -> None:
        """Measure a new producer's stream (called by the router)."""
        participant = self.room.by_peer(producer.peer_id)
        if participant is None:
            return
        now = time.monotonic()
        key = participant.key
        streams = self.streams.setdefault(key, _Streams())
        if producer.kind == "video":
            streams.video = producer.analyser
            producer.analyser.on_face.append(lambda sample: self.supervision.feed(key, sample))
            self.supervision.stream_started(key, "video", now)
        else:
            streams.audio = producer.analyser
            self.supervision.stream_started(key, "audio", now)

    def on_media_state(self, participant: Participant) -> None:
        """Camera or microphone switched: a camera switched off is not presence."""
        streams = self.streams.get(participant.key)
        if streams is None:
            return
        now = time.monotonic()
        if streams.video is not None:
            if participant.video and not streams.video.live:
                self.supervision.stream_started(participant.key, "video", now)
            streams.video.live = participant.video
        if streams.audio is not None and participant.audio and not streams.audio.live:
            self.supervision.stream_started(participant.key, "audio", now)

    def on_downlink_report(self, participant: Participant, inbound: list[Any]) -> None:
        """A browser's getStats summary of what it receives, one entry per remote track."""
        now = time.monotonic()
        for entry in inbound[:MAX_REPORT_ENTRIES]:
            if not isinstance(entry, dict):
                continue
            publisher = self.room.by_peer(str(entry.get("participant", "")))
            kind = entry.get("kind")
            if publisher is None or kind not in ("audio", "video"):
                continue
            count = _number(entry.get("freezeCount"))
            self.supervision.downlink(participant.key, DownlinkReport(
                at=now, from_key=publisher.key, kind=kind,
                frames_per_second=_number(entry.get("framesPerSecond")),
                freeze_count=None if count is None else int(count),
                total_freezes_duration_s=_number(entry.get("totalFreezesDuration")),
                concealed_samples=_number(entry.get("concealedSamples")),
                total_samples_received=_number(entry.get("totalSamplesReceived")),
                jitter_buffer_delay_s=_number(entry.get("jitterBufferDelay")),
                jitter_buffer_emitted_count=_number(entry.get("jitterBufferEmittedCount")),
                rtt_s=_number(entry.get("roundTripTime")),
            ))

    # -- the tick ---------------------------------------------------------------------------

    async def _run(self) -> None:
        """Tick every `tick_s` from the start of the last tick, so a tick comes late only
        when the loop itself was held up (the monitor counts that as the server's stall)."""
        try:
            while True:
                await asyncio.sleep(max(0.0, self._next_at - time.monotonic()))
                now = time.monotonic()
                self._next_at = now + self.rules.tick_s
                try:
                    await self.tick(now)
                except Exception:
                    logger.exception("supervisor tick failed")
        except asyncio.CancelledError:
            pass

    async def tick(self, now: float) -> None:
        """Collect, feed, run the meeting commands, broadcast."""
        by_key = {p.key: p for p in self.room.participants.values()}
        for key in self.supervision.watched():
            participant = by_key.get(key)
            if participant is None:
                self.supervision.disconnected(key, now)
                continue
            streams = self.streams.get(key)
            if streams is not None and streams.video is not None:
                self.supervision.feed(key, streams.video.sample(now))
            if streams is not None and streams.audio is not None:
                self.supervision.feed(key, streams.audio.sample(now))
            self.supervision.feed(key, self._link(participant, now))
        outcome = self.supervision.tick(self.room.state, now)
        service = self.room.service
        for command in outcome.commands:
            if service is None:
                break
            run = service.run_fail_closed if command.protective else service.run
            await run(self.room.id, command)
        for event in outcome.events:
            record = self.supervision.event_record(event, self.room.state)
            self.events_seen.append(record)
            await self.room.broadcast({"type": "monitor-event", "event": record},
                                      dashboards_only=True)
        if now - self._last_report >= QUALITY_REPORT_EVERY_S:
            self._last_report = now
            await self._report()

    def _link(self, participant: Participant, now: float) -> LinkSample:
        pc = participant.peer.pc
        rtts = [rtt for c in participant.peer.consumers.values() if not c.closed
                and (rtt := getattr(c.sender, "round_trip_time", None)) is not None]
        return LinkSample(at=now, state=pc.connectionState,  # type: ignore[arg-type]
                          rtt_s=statistics.median(rtts) if rtts else None)

    async def _report(self) -> None:
        """Once a second: each participant's own quality, and everyone's to the dashboards."""
        snapshot = self.supervision.rows(self.room.state)
        rows = []
        connected = set()
        for participant in self.room.participants.values():
            connected.add(participant.key)
            row = dict(snapshot.get(participant.key, {}))
            row.update(participant_id=participant.id, person_id=participant.person_id,
                       name=participant.name, role=participant.role,
                       admitted=participant.admitted)
            rows.append(row)
            await participant.send({"type": "my-quality", **row})
        for key, row in snapshot.items():
            if key not in connected:
                rows.append(dict(row, participant_id=None, person_id=key, admitted=True,
                                 disconnected=True))
        await self.room.broadcast({"type": "quality", "participants": rows,
                                  "analysis_available": self.analysis_available},
                                  dashboards_only=True)


def _number(value: Any) -> float | None:
    """A finite number from a browser's report, else None (JSON may carry Infinity)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None
