"""Supervision: the equal-terms rules applied to one meeting (KL 5:16, 6:24), sans-I/O.

The server tells it who is connected, feeds it each stream's samples and what the browsers
report receiving, and calls `tick(state, now)` every `QualityRules.tick_s`. The tick returns
the monitor's events (for display) and the meeting commands to run (a link failed, the
meeting suspended, a link restored). Everything that decides lives here or in the monitor:
which member may suspend the meeting, which failure the log must hold, when a link the log
holds as failed is restored (also after a restart), and when a receiver is excused for what
a sender's own trouble did to its screen. Nothing here reads a clock, a socket or a database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from compliance.events import LinkFailed, LinkRestored, MeetingSuspended
from compliance.meeting import MeetingState
from compliance.monitor import (
    EqualTermsMonitor,
    Event,
    QualityChanged,
    Restorable,
    SuspendRequired,
)
from compliance.profile import QualityRules
from compliance.reasons import Param, worded
from compliance.samples import (
    AudioSample,
    DownlinkSample,
    FaceSample,
    LinkSample,
    VideoSample,
)

RESTART = "server.restart"


# -- facts in -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Connection:
    """Someone connected to the meeting's room: `key` is the person id, or a guest's
    connection id (the monitor's name for them across reconnects)."""

    key: str
    name: str
    person_id: str | None


@dataclass(frozen=True)
class DownlinkReport:
    """One entry of a browser's getStats summary of a stream it receives, as reported:
    the counters are cumulative for the life of the browser's receiver."""

    at: float
    from_key: str
    kind: Literal["audio", "video"]
    frames_per_second: float | None = None
    freeze_count: int | None = None
    total_freezes_duration_s: float | None = None
    concealed_samples: float | None = None
    total_samples_received: float | None = None
    jitter_buffer_delay_s: float | None = None
    jitter_buffer_emitted_count: float | None = None
    rtt_s: float | None = None


# -- meeting commands out: named records the server runs against the meeting's state ---------


@dataclass(frozen=True)
class FailLink:
    """Record that `person_id`'s link failed, with the finding (protective: fail closed)."""

    person_id: str
    code: str
    params: dict[str, Any] = field(default_factory=dict)
    protective = True

    def __call__(self, state: MeetingState, at: str) -> LinkFailed:
        return state.report_link_failed(self.person_id, at, self.code, self.params)


@dataclass(frozen=True)
class Suspend:
    """Suspend the open meeting because of `person_id`'s link (protective: fail closed)."""

    person_id: str
    code: str
    params: dict[str, Any] = field(default_factory=dict)
    protective = True

    def __call__(self, state: MeetingState, at: str) -> MeetingSuspended:
        return state.suspend(at, participant=self.person_id, code=self.code, params=self.params)


@dataclass(frozen=True)
class RestoreLink:
    """Record that `person_id`'s link is good again (the chair may then resume)."""

    person_id: str
    protective = False

    def __call__(self, state: MeetingState, at: str) -> LinkRestored:
        return state.report_link_restored(self.person_id, at)


Command = FailLink | Suspend | RestoreLink


@dataclass
class Outcome:
    """What one tick found: the monitor's events and the meeting commands to run, in order."""

    events: list[Event] = field(default_factory=list)
    commands: list[Command] = field(default_factory=list)


def after_restart(state: MeetingState) -> list[Command]:
    """After a restart nobody remote was seen or heard while the server was down: every
    remote link counts as failed, and an open meeting is suspended, until they are back."""
    remote = [pid for pid, p in state.present.items() if p.where == "remote" and not p.link_failed]
    commands: list[Command] = [FailLink(pid, RESTART) for pid in remote]
    if remote and state.phase == "open":
        commands.append(Suspend(remote[0], RESTART))
    return commands


# -- the unit -------------------------------------------------------------------------------


@dataclass
class _Trouble:
    """When one sender's stream of one kind was in trouble: merged (start, end) spans."""

    join_s: float  # spans closer than this are one
    spans: list[list[float]] = field(default_factory=list)

    def add(self, start: float, end: float) -> None:
        if self.spans and start <= self.spans[-1][1] + self.join_s:
            last = self.spans[-1]
            last[0], last[1] = min(last[0], start), max(last[1], end)
        else:
            self.spans.append([start, end])
        self.spans = [s for s in self.spans if s[1] > end - _TROUBLE_MEMORY_S]

    @property
    def last_end(self) -> float:
        return self.spans[-1][1] if self.spans else float("-inf")

    def seconds(self, since: float, until: float) -> float:
        """How long the stream was in trouble between `since` and `until`."""
        return sum(max(0.0, min(end, until) - max(start, since)) for start, end in self.spans)


_TROUBLE_MEMORY_S = 60.0


@dataclass
class _Received:
    """One receiver's running totals for one stream it reports on."""

    at: float | None = None  # when it last reported
    raw: tuple[int, float] | None = None  # the browser's freeze counters last reported
    excused: tuple[int, float] = (0, 0.0)  # freezes caused by the sender's own trouble
    samples: tuple[float, float] | None = None  # concealed, received audio samples
    buffer: tuple[float, float] | None = None  # jitter-buffer delay, emitted count


class Supervision:
    """One meeting's equal-terms supervision: connections, samples and reports in; monitor
    events and meeting commands out."""

    def __init__(self, rules: QualityRules) -> None:
        self.rules = rules
        self.monitor = EqualTermsMonitor(rules)
        self._names: dict[str, str] = {}
        self._latest_video: dict[str, VideoSample] = {}
        self._troubles: dict[tuple[str, str], _Trouble] = {}  # sender, kind -> its trouble
        self._received: dict[tuple[str, str, str], _Received] = {}  # receiver, sender, kind

    # -- who is watched, in what capacity -----------------------------------------------------

    def connected(
        self, connections: Iterable[Connection], state: MeetingState | None, now: float
    ) -> None:
        """Bring the monitor in line with who is connected and whom the log holds present: a
        present person who dropped stays watched (a dropped link is a failure); anyone else
        who is gone is forgotten."""
        keys = set()
        for connection in connections:
            keys.add(connection.key)
            self._names[connection.key] = connection.name
            deciding, remote = _capacity(state, connection.person_id)
            self.monitor.set_participant(
                connection.key, name=connection.name, deciding=deciding, remote=remote, now=now
            )
        for key in list(self._names):
            if key not in keys and (state is None or key not in state.present):
                self.forget(key, now)
        for key in set(self._names) - keys:  # present, not connected: as the log records them
            deciding, remote = _capacity(state, key)
            self.monitor.set_participant(
                key, name=self._names[key], deciding=deciding, remote=remote, now=now
            )

    def watched(self) -> list[str]:
        """The keys watched now: connected, or present in the log."""
        return list(self._names)

    def forget(self, key: str, now: float) -> None:
        """Stop watching `key` and what others said about it."""
        self.monitor.remove_participant(key, now)
        self._names.pop(key, None)
        self._latest_video.pop(key, None)
        for pair in [p for p in self._troubles if p[0] == key]:
            del self._troubles[pair]
        for triple in [t for t in self._received if key in (t[0], t[1])]:
            del self._received[triple]

    def stream_started(self, key: str, kind: Literal["audio", "video", "link"], now: float) -> None:
        """A track started or was switched back on, or the connection restarted."""
        self.monitor.track_started(key, kind, now)

    # -- samples in -----------------------------------------------------------------------

    def feed(self, key: str, sample: VideoSample | AudioSample | LinkSample | FaceSample) -> None:
        """One measurement of `key`'s own streams or transport. When a stream is in trouble
        (a gap longer than `uplink_trouble_gap_s`, a camera off, a dropped connection) the
        span is noted: what receivers report about it is the sender's (see `downlink`)."""
        r = self.rules
        match sample:
            case VideoSample():
                self._latest_video[key] = sample
                if sample.current_gap_s > r.uplink_trouble_gap_s:
                    self._trouble(key, "video").add(sample.at - sample.current_gap_s, sample.at)
                if not sample.live:
                    self._trouble(key, "video").add(sample.at - r.tick_s, sample.at)
            case AudioSample():
                silence = sample.seconds_since_last_packet
                if silence > r.uplink_trouble_gap_s or not sample.live:
                    self._trouble(key, "audio").add(sample.at - max(silence, r.tick_s), sample.at)
            case LinkSample():
                if sample.state in ("disconnected", "failed", "closed"):
                    for kind in ("audio", "video"):
                        self._trouble(key, kind).add(sample.at - r.tick_s, sample.at)
        self.monitor.feed(key, sample)

    def _trouble(self, key: str, kind: str) -> _Trouble:
        return self._troubles.setdefault((key, kind), _Trouble(join_s=2 * self.rules.tick_s))

    def disconnected(self, key: str, now: float) -> None:
        """`key` has no connection now (its person is still present in the log)."""
        self.feed(key, LinkSample(at=now, state="closed", rtt_s=None))

    def downlink(self, receiver: str, report: DownlinkReport) -> None:
        """What `receiver`'s browser says it receives from another participant.

        A receiver is not blamed for the sender's trouble, which is judged at its source: of
        the freezes it reports, as many seconds as the sender's own stream was in trouble
        around them (plus `uplink_trouble_gap_s`) are the sender's; and its frame rate,
        concealment and delay are not graded while the sender's own stream of that kind is
        in trouble, degraded or failed (a frozen or slow camera is so on every screen)."""
        r = self.rules
        triple = (receiver, report.from_key, report.kind)
        received = self._received.setdefault(triple, _Received())
        count = int(report.freeze_count or 0)
        frozen = report.total_freezes_duration_s or 0.0
        before = received.raw or (count, frozen)
        since = received.at if received.at is not None else report.at
        received.raw, received.at = (count, frozen), report.at
        new_count, new_frozen = count - before[0], frozen - before[1]
        if new_frozen > 0:
            trouble = self._trouble(report.from_key, report.kind).seconds(
                since - r.uplink_trouble_hold_s, report.at)
            excuse = min(new_frozen, trouble + r.uplink_trouble_gap_s) if trouble else 0.0
            whole = excuse >= new_frozen
            received.excused = (received.excused[0] + (new_count if whole else 0),
                                received.excused[1] + excuse)
        graded = not self._sender_in_trouble(report.from_key, report.kind, report.at)
        concealed_ratio = None
        if report.concealed_samples is not None and report.total_samples_received is not None:
            now = (report.concealed_samples, report.total_samples_received)
            then = received.samples or now
            received.samples = now
            heard = now[1] - then[1]
            concealed_ratio = (now[0] - then[0]) / heard if heard > 0 and graded else None
        buffered = None
        if report.jitter_buffer_delay_s is not None and report.jitter_buffer_emitted_count:
            now = (report.jitter_buffer_delay_s, report.jitter_buffer_emitted_count)
            then = received.buffer or (0.0, 0.0)
            received.buffer = now
            emitted = now[1] - then[1]
            buffered = (now[0] - then[0]) / emitted if emitted > 0 and graded else None
        self.monitor.feed(
            receiver,
            DownlinkSample(
                at=report.at,
                from_participant=report.from_key,
                kind=report.kind,
                frames_per_second=report.frames_per_second if graded else None,
                freeze_count=count - received.excused[0],
                total_freezes_duration_s=frozen - received.excused[1],
                concealed_ratio=concealed_ratio,
                jitter_buffer_delay_s=buffered,
                rtt_s=report.rtt_s,
            ),
        )

    def _sender_in_trouble(self, key: str, kind: str, now: float) -> bool:
        """The sender's own `kind` of stream was in trouble lately, or is judged degraded
        or failed by the monitor now."""
        trouble = self._troubles.get((key, kind))
        if trouble is not None and now < trouble.last_end + self.rules.uplink_trouble_hold_s:
            return True
        if kind == "video" and (video := self._latest_video.get(key)) is not None:
            if video.current_gap_s + (now - video.at) > self.rules.uplink_trouble_gap_s:
                return True
        if key not in self._names:
            return False
        reasons: list[dict[str, Any]] = self.monitor.state(key)["reasons"]  # type: ignore[assignment]
        return any(r["code"].split(".")[0] in (kind, "link", "transport") for r in reasons)

    # -- decisions out --------------------------------------------------------------------

    def tick(self, state: MeetingState | None, now: float) -> Outcome:
        """Evaluate every rule at `now`. A deciding remote member's failure becomes a failed
        link in the log and suspends an open meeting; a failed link the log holds is
        restored once the monitor has judged it good for the hysteresis time."""
        if state is not None:
            for pid, held in state.present.items():
                if held.link_failed:
                    self.monitor.hold_failed(pid, held.failure.code if held.failure else RESTART)
        outcome = Outcome(events=self.monitor.tick(now))
        if state is None:
            return outcome
        failed = {pid for pid, p in state.present.items() if p.link_failed}
        suspending = state.phase == "open"
        for event in outcome.events:
            presence = state.present.get(event.pid)
            if presence is None or presence.where != "remote":
                continue
            if isinstance(event, SuspendRequired):
                code, params = event.evidence.code, dict(event.evidence.params)
                if event.pid not in failed:
                    failed.add(event.pid)
                    outcome.commands.append(FailLink(event.pid, code, params))
                if suspending:
                    suspending = False
                    outcome.commands.append(Suspend(event.pid, code, params))
            elif isinstance(event, Restorable) and event.pid in failed:
                outcome.commands.append(RestoreLink(event.pid))
        return outcome

    # -- what people are shown ----------------------------------------------------------

    def names(self, state: MeetingState | None) -> dict[str, str]:
        """Key -> name for wording: the roster's names, and guests' as they joined."""
        known = dict(self._names)
        if state is not None:
            known |= {pid: person.name for pid, person in state.people.items()}
        return known

    def rows(self, state: MeetingState | None) -> dict[str, dict[str, Any]]:
        """Every watched participant's state, score and figures, reasons worded."""
        names = self.names(state)
        rows = self.monitor.snapshot()
        for key, row in rows.items():
            found: list[dict[str, Any]] = row["reasons"]  # type: ignore[assignment]
            row["reasons"] = [
                self._worded(key, r["code"], r["params"], names, state) for r in found
            ]
        return rows

    def event_record(self, event: Event, state: MeetingState | None) -> dict[str, Any]:
        """A monitor event as pages get it: its reasons worded."""
        record = event.to_dict()
        names = self.names(state)
        if isinstance(event, SuspendRequired):
            e = event.evidence
            record["evidence"] = self._worded(event.pid, e.code, e.params, names, state)
        elif isinstance(event, QualityChanged):
            record["reasons"] = [
                self._worded(event.pid, e.code, e.params, names, state) for e in event.reasons
            ]
        return record

    @staticmethod
    def _worded(
        key: str,
        code: str,
        params: Mapping[str, Param],
        names: dict[str, str],
        state: MeetingState | None,
    ) -> dict[str, object]:
        person_id = key if state is not None and key in state.people else None
        return worded(code, params, person_id, names.get(key, ""), names)


def _capacity(state: MeetingState | None, person_id: str | None) -> tuple[bool, bool]:
    """(deciding, remote) for the monitor: a guest or someone in the lobby is remote and
    never suspends; a present person as the log records them."""
    if state is None or person_id is None:
        return False, True
    presence = state.present.get(person_id)
    if presence is None:
        return False, True
    return presence.mode == "deciding", presence.where == "remote"
