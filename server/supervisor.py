"""The supervisor: feeds one room's media measurements to the equal-terms monitor every
tick and acts on what it says (KL 5:16, 6:24).

A deciding remote member whose picture or sound fails makes the supervisor record
the failed link and suspend the meeting in the log at once; the chair is told in
the same tick. The chair resumes; the log takes the resume only when every failed
link has been restored for the monitor's hysteresis time.
"""

from __future__ import annotations

import asyncio
import logging
import math
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

from compliance.monitor import EqualTermsMonitor, QualityChanged, Restorable, SuspendRequired
from compliance.profile import QualityRules
from compliance.reasons import worded
from compliance.samples import DownlinkSample, LinkSample
from media.face_watch import FaceWatch
from media.producer import Producer
from media.stream_stats import AudioStreamStats, VideoStreamStats

from .rooms import Participant, Room

logger = logging.getLogger(__name__)

QUALITY_REPORT_EVERY_S = 1.0
# A receiver's report about a sender whose own stream had trouble this recently is not
# held against the receiver: what it missed, the server missed too (a frozen camera
# freezes every screen). The gap counts as trouble well before it is a freeze.
UPLINK_TROUBLE_GAP_S = 0.3
UPLINK_TROUBLE_HOLD_S = 2.5


@dataclass
class _Streams:
    video: VideoStreamStats | None = None
    audio: AudioStreamStats | None = None
    downlink_totals: dict[tuple[str, str], tuple[float, float]] = field(default_factory=dict)
    freezes_raw: dict[tuple[str, str], tuple[int, float]] = field(default_factory=dict)
    freezes_excused: dict[tuple[str, str], tuple[int, float]] = field(default_factory=dict)


class Supervisor:
    """Watches the media of one room for the equal-terms rules."""

    def __init__(self, room: Room, rules: QualityRules, face_watch: FaceWatch | None) -> None:
        self.room = room
        self.rules = rules
        self.monitor = EqualTermsMonitor(rules)
        self.face_watch = face_watch
        self.streams: dict[str, _Streams] = {}
        self.events_seen: list[dict[str, Any]] = []
        self._task: asyncio.Task[None] | None = None
        self._last_report = 0.0
        self._good_since: dict[str, float] = {}  # failed in the log, ok again here since
        self._trouble_until: dict[str, float] = {}  # sender key -> its uplink was in trouble
        room.router.on_producer.append(self.attach)
        room.on_change.append(self.refresh_participants)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
        if self.face_watch is not None:
            for key in self.streams:
                self.face_watch.unwatch(key)

    # -- who is watched, in what capacity ----------------------------------------------------

    def _capacity(self, participant: Participant) -> tuple[bool, bool]:
        """(deciding, remote) for the monitor."""
        state = self.room.state
        if state is None or participant.person_id is None:
            return False, True  # a guest: shown, never suspends
        presence = state.present.get(participant.person_id)
        if presence is None:
            return False, True  # in the lobby
        return presence.mode == "deciding", presence.where == "remote"

    async def refresh_participants(self) -> None:
        """Bring the monitor's list in line with the room and the meeting's log."""
        now = time.monotonic()
        keys = set()
        for participant in self.room.participants.values():
            keys.add(participant.key)
            deciding, remote = self._capacity(participant)
            self.monitor.set_participant(participant.key, name=participant.name,
                                         deciding=deciding, remote=remote, now=now)
        state = self.room.state
        for key in list(self.streams):
            if key in keys:
                continue
            away_but_present = state is not None and key in state.present
            if not away_but_present:
                self.monitor.remove_participant(key, now)
                self.streams.pop(key)
                if self.face_watch is not None:
                    self.face_watch.unwatch(key)

    def attach(self, producer: Producer) -> None:
        """Measure a new producer's stream (called by the router)."""
        participant = self.room.by_peer(producer.peer_id)
        if participant is None:
            return
        now = time.monotonic()
        streams = self.streams.setdefault(participant.key, _Streams())
        if producer.kind == "video":
            stats = VideoStreamStats(now)
            streams.video = stats
            producer.packet_observers.append(stats.on_packet)
            producer.frame_observers.append(stats.on_frame)
            if self.face_watch is not None:
                key = participant.key
                producer.frame_observers.append(self.face_watch.watch(
                    key, lambda sample: self.monitor.feed(key, sample)))
        else:
            audio = AudioStreamStats(now)
            streams.audio = audio
            producer.packet_observers.append(audio.on_packet)
        self.monitor.track_started(participant.key, producer.kind, now)  # type: ignore[arg-type]

    def on_media_state(self, participant: Participant) -> None:
        """Camera or microphone switched: a camera switched off is not presence."""
        streams = self.streams.get(participant.key)
        if streams is None:
            return
        if streams.video is not None:
            if participant.video and not streams.video.live:
                self.monitor.track_started(participant.key, "video", time.monotonic())
            streams.video.live = participant.video
        if streams.audio is not None and participant.audio and not streams.audio.live:
            self.monitor.track_started(participant.key, "audio", time.monotonic())

    def on_downlink_report(self, participant: Participant, inbound: list[Any]) -> None:
        """A browser's getStats summary of what it receives, one entry per remote track."""
        now = time.monotonic()
        streams = self.streams.setdefault(participant.key, _Streams())
        snapshot = self.monitor.snapshot()
        for entry in inbound[:64]:
            if not isinstance(entry, dict):
                continue
            publisher = self.room.by_peer(str(entry.get("participant", "")))
            kind = entry.get("kind")
            if publisher is None or kind not in ("audio", "video"):
                continue
            key = (publisher.key, kind)
            count = int(_number(entry.get("freezeCount")) or 0)
            frozen = _number(entry.get("totalFreezesDuration")) or 0.0
            previous = streams.freezes_raw.get(key, (count, frozen))
            streams.freezes_raw[key] = (count, frozen)
            excused = streams.freezes_excused.get(key, (0, 0.0))
            sender = self.streams.get(publisher.key)
            troubled = (now < self._trouble_until.get(publisher.key, 0.0)
                        or snapshot.get(publisher.key, {}).get("state") == "failed"
                        or (sender is not None and sender.video is not None
                            and sender.video.sample(now).current_gap_s > UPLINK_TROUBLE_GAP_S))
            if troubled:  # the sender's own trouble, judged at its source: excuse it here
                streams.freezes_excused[key] = (excused[0] + count - previous[0],
                                                excused[1] + frozen - previous[1])
                continue
            count, frozen = count - excused[0], frozen - excused[1]
            concealed_ratio = None
            if kind == "audio":
                concealed = _number(entry.get("concealedSamples"))
                total = _number(entry.get("totalSamplesReceived"))
                if concealed is not None and total is not None:
                    before = streams.downlink_totals.get((publisher.key, kind), (concealed, total))
                    streams.downlink_totals[(publisher.key, kind)] = (concealed, total)
                    received = total - before[1]
                    concealed_ratio = (concealed - before[0]) / received if received > 0 else None
            delay = _number(entry.get("jitterBufferDelay"))
            emitted = _number(entry.get("jitterBufferEmittedCount"))
            self.monitor.feed(participant.key, DownlinkSample(
                at=now, from_participant=publisher.key, kind=kind,
                frames_per_second=_number(entry.get("framesPerSecond")),
                freeze_count=count, total_freezes_duration_s=frozen,
                concealed_ratio=concealed_ratio,
                jitter_buffer_delay_s=delay / emitted if delay is not None and emitted else None,
                rtt_s=_number(entry.get("roundTripTime")),
            ))

    # -- the tick -----------------------------------------------------------------------------

    async def _run(self) -> None:
        try:
            while True:
                await asyncio.sleep(self.rules.tick_s)
                try:
                    await self.tick(time.monotonic())
                except Exception:
                    logger.exception("supervisor tick failed")
        except asyncio.CancelledError:
            pass

    async def tick(self, now: float) -> None:
        by_key = {p.key: p for p in self.room.participants.values()}
        for key, streams in self.streams.items():
            participant = by_key.get(key)
            if participant is None:
                self.monitor.feed(key, LinkSample(at=now, state="closed", rtt_s=None))
                self._trouble_until[key] = now + UPLINK_TROUBLE_HOLD_S
                continue
            trouble = False
            if streams.video is not None:
                video = streams.video.sample(now)
                trouble |= video.current_gap_s > UPLINK_TROUBLE_GAP_S or not video.live
                self.monitor.feed(key, video)
            if streams.audio is not None:
                audio = streams.audio.sample(now)
                trouble |= audio.seconds_since_last_packet > UPLINK_TROUBLE_GAP_S
                self.monitor.feed(key, audio)
            if trouble:
                self._trouble_until[key] = now + UPLINK_TROUBLE_HOLD_S
            self.monitor.feed(key, self._link(participant, now))
        for key, participant in by_key.items():
            if key not in self.streams:  # connected, nothing published yet
                self.monitor.feed(key, self._link(participant, now))
        for event in self.monitor.tick(now):
            await self._act(event)
        await self._restore_failed_in_log(now)
        if now - self._last_report >= QUALITY_REPORT_EVERY_S:
            self._last_report = now
            await self._report()

    async def _restore_failed_in_log(self, now: float) -> None:
        """A link the log holds as failed, from before this monitor knew the member (the
        server restarted), is restored once the member has been judged ok here, out of
        grace, for the hysteresis time: the same bar the monitor sets itself."""
        state, service = self.room.state, self.room.service
        if state is None or service is None:
            return
        for key, presence in state.present.items():
            row = self.monitor.state(key) if key in self.streams else None
            flowing = row is not None and (row.get("figures") or {}).get("fps") is not None
            if not presence.link_failed or not flowing or row is None or row["state"] != "ok":
                self._good_since.pop(key, None)
                continue
            since = self._good_since.setdefault(key, now)
            if now - since >= self.rules.hysteresis_s and not row.get("suspended"):
                self._good_since.pop(key, None)
                await service.run(self.room.id, lambda s, at, k=key: s.report_link_restored(k, at))

    def _link(self, participant: Participant, now: float) -> LinkSample:
        pc = participant.peer.pc
        rtts = [rtt for c in participant.peer.consumers.values() if not c.closed
                and (rtt := getattr(c.sender, "round_trip_time", None)) is not None]
        return LinkSample(at=now, state=pc.connectionState,  # type: ignore[arg-type]
                          rtt_s=statistics.median(rtts) if rtts else None)

    def _names(self) -> dict[str, str]:
        """Monitor key -> name, for wording (roster names first, then guests')."""
        known = {key: str(row["name"]) for key, row in self.monitor.snapshot().items()}
        state = self.room.state
        if state is not None:
            known |= {pid: person.name for pid, person in state.people.items()}
        return known

    def _worded(self, key: str, evidence: dict[str, Any], names: dict[str, str],
                suspended: bool = False) -> dict[str, object]:
        state = self.room.state
        person_id = key if state is not None and key in state.people else None
        return worded(evidence["code"], evidence["params"], person_id, names.get(key, ""),
                      names, suspended=suspended)

    async def _act(self, event: Any) -> None:
        record = event.to_dict()
        names = self._names()
        if isinstance(event, SuspendRequired):
            record["evidence"] = self._worded(event.pid, record["evidence"], names)
        elif isinstance(event, QualityChanged):
            record["reasons"] = [self._worded(event.pid, r, names) for r in record["reasons"]]
        self.events_seen.append(record)
        if isinstance(event, SuspendRequired):
            await self._suspend(event)
        elif isinstance(event, Restorable):
            await self._restored(event.pid)
        await self.room.broadcast({"type": "monitor-event", "event": record},
                                  dashboards_only=True)

    async def _suspend(self, event: SuspendRequired) -> None:
        """Record the failed link and suspend an open meeting: the dashboards learn of it
        from the `meeting-state` that follows (one channel)."""
        service, state = self.room.service, self.room.state
        if service is None or state is None:
            return
        code, params = event.evidence.code, dict(event.evidence.params)
        presence = state.present.get(event.pid)
        if presence is not None and not presence.link_failed:
            await service.run_fail_closed(self.room.id, lambda s, at: s.report_link_failed(
                event.pid, at, code, params))
        if state.phase == "open":
            await service.run_fail_closed(self.room.id, lambda s, at: s.suspend(
                at, participant=event.pid, code=code, params=params))

    async def _restored(self, key: str) -> None:
        service, state = self.room.service, self.room.state
        if service is None or state is None:
            return
        presence = state.present.get(key)
        if presence is not None and presence.link_failed:
            await service.run(self.room.id, lambda s, at: s.report_link_restored(key, at))

    async def _report(self) -> None:
        snapshot = self.monitor.snapshot()
        names = self._names()
        for key, row in snapshot.items():
            row["reasons"] = [self._worded(key, r, names)  # type: ignore[arg-type]
                              for r in row["reasons"]]  # type: ignore[attr-defined]
        rows = []
        for participant in self.room.participants.values():
            row = dict(snapshot.get(participant.key, {}))
            row.update(participant_id=participant.id, person_id=participant.person_id,
                       name=participant.name, role=participant.role,
                       admitted=participant.admitted)
            rows.append(row)
            await participant.send({"type": "my-quality", **row})
        for key, row in snapshot.items():
            if key not in {p.key for p in self.room.participants.values()}:
                rows.append(dict(row, participant_id=None, person_id=key, admitted=True,
                                 disconnected=True))
        await self.room.broadcast({"type": "quality", "participants": rows},
                                  dashboards_only=True)


def _number(value: Any) -> float | None:
    """A finite number from a browser's report, else None (JSON may carry Infinity)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None
