"""The equal-terms monitor: can each member see and hear the others, and be seen and heard?

Sans-I/O (KL 5:16, 6:24 in code): the media layer feeds samples, the caller calls `tick(now)`
every `QualityRules.tick_s` and acts on the events it returns. Nothing here reads a clock,
a socket or a database, so a test can say "at t=10.0 the video stops; at t=11.0 the meeting
is suspended" with fake time.
"""

from __future__ import annotations

import itertools
import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Generic, Literal, Protocol, TypeVar

from compliance.profile import Band, QualityRules
from compliance.reasons import Param
from compliance.samples import (
    AudioSample,
    DownlinkSample,
    FaceSample,
    LinkSample,
    Sample,
    VideoSample,
)

Kind = Literal["audio", "video", "link"]
Figure = float | int | bool | None


class Level(IntEnum):
    """Quality of a member's link; its lower-case name is the state shown and sent."""

    OK = 0
    DEGRADED = 1
    FAILED = 2

    @property
    def state(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Evidence:
    """Why a rule fired: a stable `code` (the rule, e.g. "video.freeze") and its `params`:
    `value` measured, `threshold`, `window_s` measured over, `level` ("critical" or
    "degraded") for graded rules, and `from` (the other participant) for what a member
    receives. `compliance.reasons` words it for people."""

    code: str
    params: dict[str, Param] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {"code": self.code, "params": dict(self.params)}


@dataclass(frozen=True)
class QualityChanged:
    """A member's state became ok, degraded or failed (shown for everyone)."""

    pid: str
    state: str
    reasons: tuple[Evidence, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "type": "quality_changed",
            "pid": self.pid,
            "state": self.state,
            "reasons": [e.to_dict() for e in self.reasons],
        }


@dataclass(frozen=True)
class SuspendRequired:
    """A deciding remote member's link failed: the meeting must be interrupted (avbrytas)."""

    pid: str
    name: str
    evidence: Evidence

    def to_dict(self) -> dict[str, object]:
        return {
            "type": "suspend_required",
            "pid": self.pid,
            "name": self.name,
            "evidence": self.evidence.to_dict(),
        }


@dataclass(frozen=True)
class Restorable:
    """The link behind a SuspendRequired has been better than degraded for the hysteresis time."""

    pid: str

    def to_dict(self) -> dict[str, object]:
        return {"type": "restorable", "pid": self.pid}


@dataclass(frozen=True)
class VisibilityChanged:
    """The member's face became visible, not visible, or unknown (None: no pictures were
    looked at, e.g. the analysis is unavailable). For the chair; never a suspend."""

    pid: str
    visible: bool | None

    def to_dict(self) -> dict[str, object]:
        return {"type": "visibility_changed", "pid": self.pid, "visible": self.visible}


@dataclass(frozen=True)
class StillImageChanged:
    """The member's face stopped moving altogether ("possibly a still image", a warning for
    the chair: SKR, a still image is not presence), or moved again. Never a suspend."""

    pid: str
    still: bool

    def to_dict(self) -> dict[str, object]:
        return {"type": "still_image_changed", "pid": self.pid, "still": self.still}


Event = QualityChanged | SuspendRequired | Restorable | VisibilityChanged | StillImageChanged


class _Timed(Protocol):
    @property
    def at(self) -> float: ...


class _Counted(_Timed, Protocol):
    @property
    def packets_expected(self) -> int: ...

    @property
    def packets_lost(self) -> int: ...


T = TypeVar("T", bound=_Timed)


class _Series(Generic[T]):
    """Recent samples of one stream: the last `span` seconds plus one older baseline sample."""

    def __init__(self, span: float) -> None:
        self.span = span
        self._items: deque[T] = deque()

    def add(self, sample: T) -> None:
        self._items.append(sample)
        while len(self._items) >= 2 and self._items[1].at <= sample.at - self.span:
            self._items.popleft()

    @property
    def latest(self) -> T | None:
        return self._items[-1] if self._items else None

    def recent(self, now: float) -> list[T]:
        return [s for s in self._items if s.at > now - self.span]

    def ends(self, now: float) -> tuple[T, T] | None:
        """The baseline and the latest sample, when the latest lies inside the window."""
        if len(self._items) < 2 or self._items[-1].at <= now - self.span:
            return None
        return self._items[0], self._items[-1]


@dataclass(frozen=True)
class _Finding:
    level: Level
    evidence: Evidence


@dataclass
class _Reading:
    """What one tick found for one member."""

    hard: list[_Finding] = field(default_factory=list)
    graded: dict[str, _Finding] = field(default_factory=dict)  # vote key -> this tick's finding
    scores: list[float] = field(default_factory=list)
    figures: dict[str, Figure] = field(default_factory=dict)
    blind: bool = False  # some signal was in its grace period and not evaluated
    hard_in_grace: list[_Finding] = field(default_factory=list)  # bar a way back, fail nothing


@dataclass
class _Member:
    name: str
    deciding: bool
    remote: bool
    rules: QualityRules
    started: dict[str, float]  # grace starts per kind: audio, video, link (link covers all)
    audio: _Series[AudioSample] = field(init=False)
    video: _Series[VideoSample] = field(init=False)
    link: _Series[LinkSample] = field(init=False)
    faces: _Series[FaceSample] = field(init=False)
    face_since: float | None = None
    positions: _Series[FaceSample] = field(init=False)  # the liveness window's detections
    downlinks: dict[tuple[str, str], _Series[DownlinkSample]] = field(default_factory=dict)
    downlink_since: dict[tuple[str, str], float] = field(default_factory=dict)
    votes: dict[str, deque[_Finding | None]] = field(default_factory=dict)
    level: Level = Level.OK
    findings: tuple[Evidence, ...] = ()
    fault: Evidence | None = None
    good_since: float | None = None
    suspended: bool = False
    visible: bool | None = None
    still: bool = False
    connected_once: bool = False  # the transport has reached "connected" at least once
    in_grace_latest: dict[str, AudioSample | VideoSample] = field(default_factory=dict)
    critical_since: dict[str, float] = field(default_factory=dict)  # vote key -> held since
    score: int = 100
    figures: dict[str, Figure] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.reset("link")

    def reset(self, kind: str) -> None:
        """Forget a restarted stream (new track, unmute, ICE restart: counters start over)."""
        span = self.rules.window_s
        if kind in ("audio", "link"):
            self.audio = _Series(span)
        if kind in ("video", "link"):
            self.video = _Series(span)
            self.faces = _Series(self.rules.face_window_s)
            self.positions = _Series(self.rules.still_window_s)
            self.face_since = None
        if kind == "link":
            self.link = _Series(span)
            self.downlinks.clear()
            self.downlink_since.clear()
        prefix = "" if kind == "link" else kind + "."
        self.votes = {k: v for k, v in self.votes.items() if not k.startswith(prefix)}
        self.critical_since = {
            k: v for k, v in self.critical_since.items() if not k.startswith(prefix)
        }
        for name in ("audio", "video") if kind == "link" else (kind,):
            self.in_grace_latest.pop(name, None)

    def first_connecting(self, now: float) -> bool:
        """Still making its first connection (new or connecting), for at most
        `connect_grace_s`: not yet judged."""
        if self.connected_once or now - self.started["link"] >= self.rules.connect_grace_s:
            return False
        last = self.link.latest
        return last is None or last.state in ("new", "connecting")

    def in_grace(self, kind: str, now: float, since: float = float("-inf")) -> bool:
        if self.first_connecting(now):
            return True
        start = max(self.started[kind], self.started["link"], since)
        return now - start < self.rules.grace_s


class EqualTermsMonitor:
    """Tracks every participant's media and says when a deciding remote member drops out."""

    def __init__(self, rules: QualityRules) -> None:
        self.rules = rules
        self._members: dict[str, _Member] = {}
        self._last_tick: float | None = None
        self._stalls: deque[tuple[float, float]] = deque()  # (from, until) the server stalled

    # ---- facts in ----

    def set_participant(
        self, pid: str, *, name: str, deciding: bool, remote: bool, now: float
    ) -> None:
        """Add a participant (grace period starts now) or update an existing one's role."""
        member = self._members.get(pid)
        if member is None:
            started = dict.fromkeys(("audio", "video", "link"), now)
            self._members[pid] = _Member(name, deciding, remote, self.rules, started)
        else:
            member.name, member.deciding, member.remote = name, deciding, remote

    def remove_participant(self, pid: str, now: float) -> None:
        """Forget a participant and what others reported receiving from it."""
        self._members.pop(pid, None)
        for member in self._members.values():
            for key in [k for k in member.downlinks if k[0] == pid]:
                del member.downlinks[key], member.downlink_since[key]
            member.votes = {k: v for k, v in member.votes.items() if not k.endswith("@" + pid)}

    def hold_failed(self, pid: str, code: str) -> None:
        """The meeting's log holds `pid`'s link as failed although this monitor did not fail
        it (e.g. from before a restart): it stays failed here until it has been good for the
        hysteresis time, and then `Restorable` says so, as for a failure found here."""
        m = self._members.get(pid)
        if m is None or m.suspended:
            return
        m.level, m.fault, m.suspended, m.good_since = Level.FAILED, Evidence(code), True, None

    def track_started(self, pid: str, kind: Kind, now: float) -> None:
        """A track started or was unmuted ('audio'/'video'), or ICE restarted ('link')."""
        member = self._members.get(pid)
        if member is None:
            return
        if kind not in member.started:
            raise ValueError(f"unknown kind {kind!r}")
        member.started[kind] = now
        member.reset(kind)

    def feed(self, pid: str, sample: Sample) -> None:
        """Record one measurement. Samples for unknown participants (late ones) are dropped,
        and so are audio and video samples taken in a grace period: a stream's first
        seconds are no evidence, and must not weigh on the windows after the grace."""
        member = self._members.get(pid)
        if member is None:
            return
        match sample:
            case AudioSample():
                if member.in_grace("audio", sample.at):
                    member.in_grace_latest["audio"] = sample
                else:
                    member.audio.add(sample)
            case VideoSample():
                if member.in_grace("video", sample.at):
                    member.in_grace_latest["video"] = sample
                else:
                    member.video.add(sample)
            case LinkSample():
                if sample.state == "connected" and not member.connected_once:
                    member.connected_once = True  # the grace starts over from here
                    member.started["link"] = max(member.started["link"], sample.at)
                member.link.add(sample)
            case FaceSample():
                member.faces.add(sample)
                member.positions.add(sample)
                if member.face_since is None:
                    member.face_since = sample.at
            case DownlinkSample():
                key = (sample.from_participant, sample.kind)
                if key not in member.downlinks:
                    member.downlinks[key] = _Series(self.rules.window_s)
                    member.downlink_since[key] = sample.at
                member.downlinks[key].add(sample)

    # ---- decisions out ----

    def tick(self, now: float) -> list[Event]:
        """Evaluate every rule at `now` and return what changed."""
        self._note_stall(now)
        events: list[Event] = []
        for pid, member in self._members.items():
            reading = self._read(member, now)
            events += self._advance(pid, member, reading, now)
            events += self._look(pid, member, now)
            member.figures = reading.figures | {"face_visible": member.visible,
                                                "still_image": member.still}
            member.score = 0 if reading.hard else round(min(reading.scores, default=100.0))
        return events

    def _note_stall(self, now: float) -> None:
        """A tick that comes more than `server_stall_s` late means the server itself stalled
        (an overloaded machine) from when the tick was due until now: it took in no packet
        then, so that part of any gap it measures is its own, not the member's."""
        if self._last_tick is not None:
            due = self._last_tick + self.rules.tick_s
            if now - due > self.rules.server_stall_s:
                self._stalls.append((due, now))
        self._last_tick = now
        while self._stalls and self._stalls[0][1] < now - _STALL_MEMORY_S:
            self._stalls.popleft()

    def _own_part(self, gap: float, now: float) -> float:
        """How much of a gap that ends `now` the server's own stalls cover."""
        start = now - gap
        return sum(max(0.0, until - max(since, start)) for since, until in self._stalls)

    def state(self, pid: str) -> dict[str, object]:
        """One participant's state, score and figures as plain JSON-ready data."""
        m = self._members[pid]
        return {
            "pid": pid,
            "name": m.name,
            "deciding": m.deciding,
            "remote": m.remote,
            "state": m.level.state,
            "visible": m.visible,
            "still_image": m.still,
            "score": m.score,
            "suspended": m.suspended,
            "figures": dict(m.figures),
            "reasons": [e.to_dict() for e in m.findings],
        }

    def snapshot(self) -> dict[str, dict[str, object]]:
        """Every participant's `state`, keyed by pid."""
        return {pid: self.state(pid) for pid in self._members}

    # ---- the state machine ----

    def _advance(self, pid: str, m: _Member, reading: _Reading, now: float) -> list[Event]:
        """Worse levels apply at once. A hard fault fails the link at once; a critical
        degradation fails it only once held for `critical_sustained_s` (until then it is a
        warning). The way back from failed needs `hysteresis_s` with no hard fault and
        nothing critical (degraded is lawful: it is a warning); from degraded to ok it needs
        `hysteresis_s` of ok, judged on every signal (so never in a grace period)."""
        graded, critical = self._sustain(m, self._vote(m, reading.graded), now)
        findings = reading.hard + sorted(graded, key=lambda f: f.level, reverse=True)
        level = max((f.level for f in findings), default=Level.OK)
        m.findings = tuple(f.evidence for f in findings)
        events: list[Event] = []
        if level > m.level:
            m.level, m.good_since = level, None
            if level == Level.FAILED:
                m.fault = findings[0].evidence
            events.append(QualityChanged(pid, level.state, m.findings))
        elif m.level == Level.FAILED:
            clear = not (reading.hard or reading.hard_in_grace or critical)
            if self._held_for_hysteresis(m, clear, now):
                m.level, m.fault = level, None
                events.append(QualityChanged(pid, m.level.state, m.findings))
                if m.suspended:
                    m.suspended = False
                    events.append(Restorable(pid))
        elif m.level == Level.DEGRADED:
            if self._held_for_hysteresis(m, level == Level.OK and not reading.blind, now):
                m.level = Level.OK
                events.append(QualityChanged(pid, m.level.state, ()))
        if m.level == Level.FAILED and m.fault and m.deciding and m.remote and not m.suspended:
            m.suspended = True
            events.append(SuspendRequired(pid, m.name, m.fault))
        return events

    def _held_for_hysteresis(self, m: _Member, good: bool, now: float) -> bool:
        """True once `good` has held at every tick for `hysteresis_s` (then starts over)."""
        if not good:
            m.good_since = None
            return False
        m.good_since = now if m.good_since is None else m.good_since
        if now - m.good_since < self.rules.hysteresis_s:
            return False
        m.good_since = None
        return True

    def _sustain(
        self, m: _Member, voted: dict[str, _Finding], now: float
    ) -> tuple[list[_Finding], bool]:
        """A critical level held by the vote fails the link only once it has held for
        `critical_sustained_s`; until then it counts as degraded. Returns the findings and
        whether anything is critical now."""
        m.critical_since = {
            k: m.critical_since.get(k, now) for k, f in voted.items() if f.level == Level.FAILED
        }
        findings = []
        for key, finding in voted.items():
            since = m.critical_since.get(key)
            if since is not None and now - since < self.rules.critical_sustained_s:
                finding = _Finding(Level.DEGRADED, finding.evidence)
            findings.append(finding)
        return findings, bool(m.critical_since)

    def _vote(self, m: _Member, graded: dict[str, _Finding]) -> dict[str, _Finding]:
        """A level holds when `votes_needed` of the last `votes_of` evaluations reached it."""
        held: dict[str, _Finding] = {}
        for key in dict.fromkeys([*m.votes, *graded]):
            votes = m.votes.setdefault(key, deque(maxlen=self.rules.votes_of))
            votes.append(graded.get(key))
            hits = [f for f in votes if f is not None]
            if not hits:
                del m.votes[key]
            for level in (Level.FAILED, Level.DEGRADED):
                reached = [f for f in hits if f.level >= level]
                if len(reached) >= self.rules.votes_needed:
                    exact = [f for f in reached if f.level == level]
                    held[key] = _Finding(level, (exact or reached)[-1].evidence)
                    break
        return held

    def _look(self, pid: str, m: _Member, now: float) -> list[Event]:
        """Face presence: not visible when >= 80 % of a full 5 s of detections are negative,
        unknown when there were none; and whether the face is possibly a still image."""
        events: list[Event] = []
        window = self.rules.face_window_s
        samples = m.faces.recent(now)
        if m.face_since is not None and now - m.face_since >= window:
            visible: bool | None = None
            if samples:
                negative = sum(not self._face_counts(s) for s in samples) / len(samples)
                visible = negative < self.rules.face_negative_share
            if visible != m.visible:
                m.visible = visible
                events.append(VisibilityChanged(pid, visible))
        still = self._still(m, now)
        if still != m.still:
            m.still = still
            events.append(StillImageChanged(pid, still))
        return events

    def _still(self, m: _Member, now: float) -> bool:
        """A face seen in every detection of a full liveness window, on pictures that kept
        coming, that moved less than `still_max_movement` of its width over the window."""
        r = self.rules
        if m.face_since is None or now - m.face_since < r.still_window_s:
            return False
        samples = m.positions.recent(now)
        # New pictures all along: no gap over four detection intervals (a frozen picture is
        # the freeze rule's, and a busy analysis may skip a few detections).
        times = [now - r.still_window_s, *(s.at for s in samples), now]
        if max(b - a for a, b in itertools.pairwise(times)) > 4 / r.face_sample_hz:
            return False
        positions = [s.position for s in samples if self._face_counts(s)]
        if len(positions) < len(samples) or None in positions:
            return False
        xs = [p[0] for p in positions if p is not None]
        ys = [p[1] for p in positions if p is not None]
        width = sorted(s.width_px for s in samples)[len(samples) // 2]
        movement = max(max(xs) - min(xs), max(ys) - min(ys)) / width
        return movement < r.still_max_movement

    def _face_counts(self, s: FaceSample) -> bool:
        r = self.rules
        confident = s.confidence >= r.face_min_confidence
        return s.present and confident and s.width_px >= r.face_min_width_px

    # ---- the rules, one signal at a time ----

    def _read(self, m: _Member, now: float) -> _Reading:
        """Every rule on every signal; a signal in its grace period is not judged (blind),
        but its hard faults are noted: they bar the way back from a failure."""
        reading = _Reading(figures=dict.fromkeys(_FIGURES))
        for kind, check in (("link", self._link), ("audio", self._audio), ("video", self._video)):
            if m.in_grace(kind, now):
                reading.blind = True
                self._hard_only(m, kind, now, reading.hard_in_grace)
            else:
                check(m, now, reading)
        for key, series in m.downlinks.items():
            if m.in_grace("link", now, since=m.downlink_since[key]):
                reading.blind = True
                seen = _Reading()
                self._downlink(series, now, seen)
                reading.hard_in_grace += seen.hard
            else:
                self._downlink(series, now, reading)
        return reading

    def _hard_only(self, m: _Member, kind: str, now: float, hard: list[_Finding]) -> None:
        """The hard faults of a signal in its grace period, from its latest sample."""
        if kind == "link":
            self._link_present(m, hard)
        elif kind == "audio":
            audio = m.in_grace_latest.get("audio") or m.audio.latest
            self._audio_present(m, audio, now, hard)  # type: ignore[arg-type]
        else:
            video = m.in_grace_latest.get("video") or m.video.latest
            self._video_present(m, video, now, hard)  # type: ignore[arg-type]

    def _link(self, m: _Member, now: float, reading: _Reading) -> None:
        if not self._link_present(m, reading.hard):
            return
        rtt = _mean(s.rtt_s for s in m.link.recent(now))
        if rtt is None:
            return
        jitter = max(
            _mean(s.jitter_s for s in m.audio.recent(now)) or 0.0,
            _mean(s.jitter_s for s in m.video.recent(now)) or 0.0,
        )
        delay = rtt / 2 + 2 * jitter + self.rules.terminal_delay_s
        reading.figures["rtt_ms"] = round(rtt * 1000)
        reading.figures["delay_ms"] = round(delay * 1000)
        self._grade(reading, "link.delay", self.rules.one_way_delay_s, delay)

    def _link_present(self, m: _Member, hard: list[_Finding]) -> bool:
        """Hard faults of the transport; False when there is none to measure."""
        last = m.link.latest
        if last is None:
            self._missing(m, "transport", hard)
            return False
        if last.state != "connected":
            hard.append(_fault("transport.state", value=last.state))
        return True

    def _audio(self, m: _Member, now: float, reading: _Reading) -> None:
        last = m.audio.latest
        if last is not None:
            reading.figures["audio_level_dbov"] = last.level_dbov
        if not self._audio_present(m, last, now, reading.hard):
            return
        loss = _loss(m.audio.ends(now))
        if loss is not None:
            reading.figures["audio_loss_pct"] = round(loss * 100, 1)
            self._grade(reading, "audio.loss", self.rules.audio_loss, loss)

    def _audio_present(
        self, m: _Member, last: AudioSample | None, now: float, hard: list[_Finding]
    ) -> bool:
        """Hard faults of the sound; False when there is no live sound to grade."""
        if last is None:
            self._missing(m, "audio", hard)
            return False
        if not last.live:
            hard.append(_fault("audio.live"))
            return False
        silence = last.seconds_since_last_packet + (now - last.at)
        silence -= self._own_part(silence, now)
        limit = self.rules.audio_silence_s
        if silence >= limit:
            hard.append(_fault("audio.silence", silence, limit, limit))
        return True

    def _video(self, m: _Member, now: float, reading: _Reading) -> None:
        if not self._video_present(m, m.video.latest, now, reading.hard):
            return
        recent = m.video.recent(now)
        fps = _mean(s.frames_per_second for s in recent)
        if fps is not None:
            reading.figures["fps"] = round(fps, 1)
            self._grade(reading, "video.fps", self.rules.fps, fps)
        heights = [s.height for s in recent if s.height is not None]
        if heights:
            reading.figures["height"] = min(heights)
            self._grade(reading, "video.height", self.rules.height, min(heights))
        loss = _loss(m.video.ends(now))
        if loss is not None:
            reading.figures["video_loss_pct"] = round(loss * 100, 1)
            self._grade(reading, "video.loss", self.rules.video_loss, loss)

    def _video_present(
        self, m: _Member, last: VideoSample | None, now: float, hard: list[_Finding]
    ) -> bool:
        """Hard faults of the picture; False when there is no live picture to grade."""
        if last is None:
            self._missing(m, "video", hard)
            return False
        if not last.live:
            hard.append(_fault("video.live"))
            return False
        gap = last.current_gap_s + (now - last.at)
        gap -= self._own_part(gap, now)
        limit = self._freeze_limit(last.mean_frame_interval_s)
        if gap >= limit:
            hard.append(_fault("video.freeze", gap, limit, limit))
        return True

    def _downlink(self, series: _Series[DownlinkSample], now: float, reading: _Reading) -> None:
        """What the member's browser says about one stream it receives (the other half)."""
        ends, recent, r = series.ends(now), series.recent(now), self.rules
        if ends is None:
            return
        base, last = ends
        src, kind = last.from_participant, last.kind
        frozen = last.total_freezes_duration_s - base.total_freezes_duration_s
        if last.freeze_count > base.freeze_count and frozen >= r.freeze_sustained_s:
            code = f"downlink.{kind}.freeze"
            reading.hard.append(_fault(code, frozen, r.freeze_sustained_s, r.window_s, src))
        fps = _mean(s.frames_per_second for s in recent)
        if fps is not None:
            self._grade(reading, f"downlink.{kind}.fps", r.fps, fps, src)
        concealed = _mean(s.concealed_ratio for s in recent)
        if concealed is not None:
            self._grade(reading, f"downlink.{kind}.concealed", r.audio_loss, concealed, src)
        rtt = _mean(s.rtt_s for s in recent)
        buffered = _mean(s.jitter_buffer_delay_s for s in recent)
        if rtt is not None and buffered is not None:
            delay = rtt / 2 + buffered + r.terminal_delay_s
            self._grade(reading, f"downlink.{kind}.delay", r.one_way_delay_s, delay, src)

    def _freeze_limit(self, mean_interval: float | None) -> float:
        """W3C freeze gap max(3*avg, avg+150 ms), and never shorter than the sustained time."""
        r = self.rules
        if mean_interval is None:
            return r.freeze_sustained_s
        w3c = max(r.freeze_gap_factor * mean_interval, mean_interval + r.freeze_gap_margin_s)
        return max(w3c, r.freeze_sustained_s)

    def _missing(self, m: _Member, signal: str, hard: list[_Finding]) -> None:
        """A remote member must send audio, video and a transport; in the room nothing is owed."""
        if m.remote:
            hard.append(_fault(f"{signal}.missing"))

    def _grade(
        self, reading: _Reading, code: str, band: Band, value: float, source: str = ""
    ) -> None:
        reading.scores.append(band.score(value))
        grade = band.grade(value)
        if grade:
            params: dict[str, Param] = {
                "value": _finite(value),
                "threshold": band.critical if grade == 2 else band.degraded,
                "window_s": self.rules.window_s,
                "level": "critical" if grade == 2 else "degraded",
            }
            if source:
                params["from"] = source
            key = f"{code}@{source}" if source else code
            reading.graded[key] = _Finding(Level(grade), Evidence(code, params))


# Stalls are remembered this long: a gap that began before an older one and still goes on
# is long past every limit anyway.
_STALL_MEMORY_S = 60.0

_FIGURES = (
    "fps",
    "height",
    "rtt_ms",
    "delay_ms",
    "audio_loss_pct",
    "video_loss_pct",
    "audio_level_dbov",
)


def _fault(
    code: str,
    value: float | str | None = None,
    threshold: float | None = None,
    window_s: float | None = None,
    source: str = "",
) -> _Finding:
    """A hard fault: the member is not present (no level: it fails at once)."""
    params: dict[str, Param] = {}
    if value is not None:
        params["value"] = _finite(value) if isinstance(value, float) else value
    if threshold is not None:
        params["threshold"] = threshold
    if window_s is not None:
        params["window_s"] = window_s
    if source:
        params["from"] = source
    return _Finding(Level.FAILED, Evidence(code, params))


def _finite(value: float) -> float | None:
    """Rounded for display; a non-finite number (never JSON) becomes None."""
    return round(value, 4) if math.isfinite(value) else None


def _mean(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


def _loss(ends: tuple[_Counted, _Counted] | None) -> float | None:
    """Unrecovered loss between the baseline and the latest sample of cumulative counters."""
    if ends is None:
        return None
    base, last = ends
    expected = last.packets_expected - base.packets_expected
    return (last.packets_lost - base.packets_lost) / expected if expected > 0 else None
