"""The equal-terms monitor, driven with fake time: no sockets, no sleeps.

`Meeting` steps the clock by 250 ms, feeds each member's samples as the media layer would,
calls `tick` and keeps the events with the time they came out.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from compliance.monitor import (
    EqualTermsMonitor,
    Event,
    QualityChanged,
    Restorable,
    StillImageChanged,
    SuspendRequired,
    VisibilityChanged,
)
from compliance.profile import QualityRules
from compliance.samples import (
    AudioSample,
    DownlinkSample,
    FaceSample,
    LinkSample,
    LinkState,
    Sample,
    VideoSample,
)

STEP = 0.25
FACE = (True, 0.9, 120)
NO_FACE = (False, 0.0, 0)


def _last(at: float, gaps: list[tuple[float, float]]) -> float:
    """When the last frame/packet arrived, if nothing arrives during the gaps [start, end)."""
    return next((start for start, end in gaps if start <= at < end), at)


@dataclass
class Member:
    """A member's media as the server sees it: healthy unless a test changes a knob."""

    pid: str
    fps: float = 30.0
    height: int = 720
    audio_loss: float = 0.0
    video_loss: float = 0.0
    rtt_s: float = 0.040
    link: LinkState = "connected"
    camera_on: bool = True
    sends_video: bool = True
    face: tuple[bool, float, int] = FACE  # what the detector sees: present, confidence, width
    # where the face is at a time (sub-pixel, native px); None: the analysis gives no position
    face_at: Callable[[float], tuple[float, float]] | None = None
    pictures: bool = True  # new pictures keep coming for the detector (not frozen)
    video_gaps: list[tuple[float, float]] = field(default_factory=list)
    audio_gaps: list[tuple[float, float]] = field(default_factory=list)
    downlink_freezes: list[tuple[float, float]] = field(default_factory=list)  # (reported, s)
    sent: float = 0.0  # cumulative packets, per stream
    audio_lost: float = 0.0
    video_lost: float = 0.0

    def samples(self, at: float) -> list[Sample]:
        """What the media layer would report at `at`, one step of 250 ms after the last call."""
        self.sent += 50 * STEP  # Opus and this video both ~50 packets/s
        self.audio_lost += 50 * STEP * self.audio_loss  # loss evenly spread
        self.video_lost += 50 * STEP * self.video_loss
        expected = round(self.sent)
        out: list[Sample] = [
            LinkSample(at, self.link, self.rtt_s),
            AudioSample(
                at,
                seconds_since_last_packet=at - _last(at, self.audio_gaps),
                packets_expected=expected,
                packets_lost=round(self.audio_lost),
                jitter_s=0.005,
                level_dbov=-30,
                live=True,
            ),
        ]
        if self.sends_video:
            out.append(
                VideoSample(
                    at,
                    frames_per_second=self.fps,
                    current_gap_s=at - _last(at, self.video_gaps),
                    mean_frame_interval_s=1 / self.fps,
                    height=self.height,
                    packets_expected=expected,
                    packets_lost=round(self.video_lost),
                    jitter_s=0.005,
                    live=self.camera_on,
                )
            )
        if at % 0.5 == 0 and self.pictures:  # the face detector runs at 2 Hz, on new pictures
            position = self.face_at(at) if self.face_at and self.face[0] else None
            out.append(FaceSample(at, *self.face, position=position))
        reported = [s for t, s in self.downlink_freezes if t <= at]
        out.append(
            DownlinkSample(
                at,
                from_participant="room",
                kind="video",
                frames_per_second=30.0,
                freeze_count=len(reported),
                total_freezes_duration_s=sum(reported),
                concealed_ratio=None,
                jitter_buffer_delay_s=0.030,
                rtt_s=0.040,
            )
        )
        return out


class Meeting:
    def __init__(self, rules: QualityRules | None = None) -> None:
        self.monitor = EqualTermsMonitor(rules or QualityRules())
        self.now = 0.0
        self.members: dict[str, Member] = {}
        self.events: list[tuple[float, Event]] = []

    def join(self, pid: str = "anna", *, deciding: bool = True, remote: bool = True) -> Member:
        name = pid.title()
        self.monitor.set_participant(pid, name=name, deciding=deciding, remote=remote, now=self.now)
        self.members[pid] = member = Member(pid)
        return member

    def run_until(self, until: float) -> None:
        while self.now < until:
            self.now += STEP
            for member in self.members.values():
                for sample in member.samples(self.now):
                    self.monitor.feed(member.pid, sample)
            self.events += [(self.now, e) for e in self.monitor.tick(self.now)]

    def times(self, kind: type, **match: object) -> list[float]:
        return [
            t
            for t, e in self.events
            if isinstance(e, kind) and all(getattr(e, k) == v for k, v in match.items())
        ]

    def first(self, kind: type, **match: object) -> tuple[float, Event]:
        return next(
            (t, e)
            for t, e in self.events
            if isinstance(e, kind) and all(getattr(e, k) == v for k, v in match.items())
        )


@pytest.fixture
def meeting() -> Meeting:
    m = Meeting()
    m.join("anna")
    m.run_until(10.0)
    assert m.events == [(5.5, VisibilityChanged("anna", True))], "a healthy start raises nothing"
    return m


# ---- hard faults: suspend within about one second ----


def test_video_frozen_for_1_1_s_requires_suspension_within_a_tick(meeting: Meeting) -> None:
    meeting.members["anna"].video_gaps.append((10.0, 11.1))
    meeting.run_until(12.0)
    at, event = meeting.first(SuspendRequired)
    assert at == 11.0  # the first tick with a gap >= 1.0 s
    assert isinstance(event, SuspendRequired)
    assert (event.pid, event.name, event.evidence.code) == ("anna", "Anna", "video.freeze")
    assert event.evidence.params["threshold"] == 1.0


def test_video_gap_of_0_9_s_requires_no_suspension(meeting: Meeting) -> None:
    meeting.members["anna"].video_gaps.append((10.0, 10.9))
    meeting.run_until(20.0)
    assert meeting.times(SuspendRequired) == []
    assert meeting.times(QualityChanged) == []


def test_audio_stopped_requires_suspension_within_a_tick(meeting: Meeting) -> None:
    meeting.members["anna"].audio_gaps.append((10.0, 99.0))
    meeting.run_until(12.0)
    at, event = meeting.first(SuspendRequired)
    assert at == 11.0
    assert isinstance(event, SuspendRequired) and event.evidence.code == "audio.silence"


def test_audio_pause_of_0_75_s_is_ignored(meeting: Meeting) -> None:
    meeting.members["anna"].audio_gaps.append((10.0, 10.75))
    meeting.run_until(20.0)
    assert meeting.times(SuspendRequired) == []


def test_transport_disconnected_requires_suspension_at_the_next_tick(meeting: Meeting) -> None:
    meeting.members["anna"].link = "disconnected"
    meeting.run_until(11.0)
    at, event = meeting.first(SuspendRequired)
    assert at == 10.25
    assert isinstance(event, SuspendRequired)
    assert event.evidence.code == "transport.state"
    assert event.evidence.params["value"] == "disconnected"


def test_camera_switched_off_requires_suspension(meeting: Meeting) -> None:
    meeting.members["anna"].camera_on = False
    meeting.run_until(11.0)
    at, event = meeting.first(SuspendRequired)
    assert at == 10.25
    assert isinstance(event, SuspendRequired) and event.evidence.code == "video.live"


def test_remote_member_sending_no_video_fails_after_the_grace_period() -> None:
    m = Meeting()
    m.join("anna").sends_video = False
    m.run_until(3.0)
    at, event = m.first(SuspendRequired)
    assert at == 2.25  # connected at 0.25: the grace runs 2 s from there
    assert isinstance(event, SuspendRequired) and event.evidence.code == "video.missing"


def test_member_in_the_room_owes_no_streams() -> None:
    m = Meeting()
    m.join("bo", remote=False).sends_video = False
    m.run_until(10.0)
    assert m.monitor.state("bo")["state"] == "ok"


# ---- downlink: can the member see and hear the others ----


def test_downlink_freeze_reported_by_member_fails_and_suspends(meeting: Meeting) -> None:
    meeting.members["anna"].downlink_freezes.append((10.5, 1.2))
    meeting.run_until(12.0)
    assert meeting.times(QualityChanged, state="failed") == [10.5]
    at, event = meeting.first(SuspendRequired)
    assert at == 10.5
    assert isinstance(event, SuspendRequired)
    assert event.evidence.code == "downlink.video.freeze"
    assert event.evidence.params["from"] == "room"


def test_short_downlink_freeze_is_ignored(meeting: Meeting) -> None:
    meeting.members["anna"].downlink_freezes.append((10.5, 0.3))
    meeting.run_until(15.0)
    assert meeting.times(SuspendRequired) == []


# ---- degradation: 2 s window, 3 of the last 4 evaluations ----


@pytest.mark.parametrize("knob", ["audio_loss", "video_loss"])
def test_loss_of_8_percent_sustained_for_10_s_fails_the_member(meeting: Meeting, knob: str) -> None:
    setattr(meeting.members["anna"], knob, 0.08)
    meeting.run_until(30.0)
    at, event = meeting.first(SuspendRequired)
    # The 2 s window fills with 8 % loss by 12.0; three bad evaluations after crossing the
    # limit the critical level holds, and it fails the member 10 s later.
    assert 21.5 <= at <= 22.5
    assert isinstance(event, SuspendRequired)
    assert event.evidence.code == knob.replace("_", ".")
    assert event.evidence.params["threshold"] == {"audio_loss": 0.075, "video_loss": 0.06}[knob]
    assert event.evidence.params["window_s"] == 2.0


def test_a_critical_burst_shorter_than_10_s_is_a_warning_not_a_failure(meeting: Meeting) -> None:
    """A CPU hiccup: 12 % of the sound lost for 3 s is not "cannot hear"."""
    meeting.members["anna"].audio_loss = 0.12
    meeting.run_until(13.0)
    meeting.members["anna"].audio_loss = 0.0
    meeting.run_until(30.0)
    assert meeting.times(SuspendRequired) == []
    assert meeting.times(QualityChanged, state="degraded") == [11.0]
    assert meeting.monitor.state("anna")["state"] == "ok"


def test_video_loss_of_3_percent_degrades_without_suspension(meeting: Meeting) -> None:
    meeting.members["anna"].video_loss = 0.03
    meeting.run_until(14.0)
    assert meeting.monitor.state("anna")["state"] == "degraded"
    assert meeting.times(SuspendRequired) == []


def test_8_fps_for_10_s_fails_the_member(meeting: Meeting) -> None:
    meeting.members["anna"].fps = 8.0
    meeting.run_until(24.0)
    assert meeting.monitor.state("anna")["state"] == "failed"
    _, event = meeting.first(SuspendRequired)
    assert isinstance(event, SuspendRequired)
    assert (event.evidence.code, event.evidence.params["threshold"]) == ("video.fps", 12)


def test_degradation_needs_three_of_the_last_four_evaluations(meeting: Meeting) -> None:
    # From 10.0 every sample says 8 fps. The 2 s window holds 8 samples, so its mean first
    # drops below 20 fps at 11.0 (4 of 8 at 8 fps) and below 12 fps at 11.75 (7 of 8).
    # Three bad evaluations later the level holds: degraded at 11.5, critical at 12.25,
    # which fails the member once held for 10 s: at 22.25.
    meeting.members["anna"].fps = 8.0
    meeting.run_until(24.0)
    assert meeting.times(QualityChanged) == [11.5, 22.25]
    assert meeting.times(SuspendRequired) == [22.25]


def test_one_way_delay_beyond_150_ms_degrades(meeting: Meeting) -> None:
    meeting.members["anna"].rtt_s = 0.300  # 150 + 2*5 + 40 = 200 ms one way
    meeting.run_until(14.0)
    state = meeting.monitor.state("anna")
    assert state["state"] == "degraded"
    assert state["reasons"][0]["code"] == "link.delay"  # type: ignore[index]


def test_height_below_240_degrades(meeting: Meeting) -> None:
    meeting.members["anna"].height = 180
    meeting.run_until(14.0)
    assert meeting.monitor.state("anna")["state"] == "degraded"


# ---- who may suspend ----


@pytest.mark.parametrize("deciding, remote", [(False, True), (True, False)])
def test_failure_of_observer_or_room_member_is_shown_but_never_suspends(
    deciding: bool, remote: bool
) -> None:
    m = Meeting()
    m.join("olle", deciding=deciding, remote=remote).link = "failed"
    m.run_until(10.0)
    assert m.times(QualityChanged, state="failed") == [2.0]
    assert m.times(SuspendRequired) == []


def test_member_who_becomes_deciding_while_failed_requires_suspension() -> None:
    m = Meeting()
    m.join("ella", deciding=False).link = "failed"
    m.run_until(5.0)
    m.monitor.set_participant("ella", name="Ella", deciding=True, remote=True, now=m.now)
    m.run_until(6.0)
    assert m.times(SuspendRequired) == [5.25]


# ---- grace and hysteresis ----


def test_grace_period_after_track_start_ignores_a_late_first_packet(meeting: Meeting) -> None:
    meeting.monitor.track_started("anna", "audio", now=10.0)  # unmute
    meeting.members["anna"].audio_gaps.append((10.0, 11.75))
    meeting.run_until(20.0)
    assert meeting.times(SuspendRequired) == []


def test_grace_period_ends_two_seconds_after_track_start(meeting: Meeting) -> None:
    meeting.monitor.track_started("anna", "audio", now=10.0)
    meeting.members["anna"].audio_gaps.append((10.0, 99.0))
    meeting.run_until(13.0)
    assert meeting.times(SuspendRequired) == [12.0]


def test_restorable_only_after_five_seconds_better_than_degraded(meeting: Meeting) -> None:
    anna = meeting.members["anna"]
    anna.link = "disconnected"
    meeting.run_until(12.0)
    anna.link = "connected"  # good from the tick at 12.25
    meeting.run_until(20.0)
    assert meeting.times(SuspendRequired) == [10.25]
    assert meeting.times(Restorable) == [17.25]
    assert meeting.times(QualityChanged) == [10.25, 17.25]
    assert meeting.monitor.state("anna")["state"] == "ok"


def test_a_relapse_during_hysteresis_restarts_the_clock(meeting: Meeting) -> None:
    anna = meeting.members["anna"]
    anna.link = "disconnected"
    meeting.run_until(12.0)
    anna.link = "connected"
    meeting.run_until(15.0)
    anna.link = "disconnected"  # one bad tick at 15.25
    meeting.run_until(15.25)
    anna.link = "connected"
    meeting.run_until(25.0)
    assert meeting.times(SuspendRequired) == [10.25]  # still the same suspension
    assert meeting.times(Restorable) == [20.5]


def test_the_way_back_counts_from_the_fault_clearing_grace_included(meeting: Meeting) -> None:
    anna = meeting.members["anna"]
    anna.link = "failed"
    meeting.run_until(12.0)
    meeting.monitor.track_started("anna", "link", now=12.0)  # ICE restart
    anna.link = "connected"
    meeting.run_until(22.0)
    # Nothing is graded in the grace (to 14.0), but its hard checks pass from 12.25.
    assert meeting.times(Restorable) == [17.25]


def test_a_camera_back_at_a_low_rate_and_resolution_is_restorable_and_only_degraded(
    meeting: Meeting,
) -> None:
    """Chromium after "Kamera på" on a busy machine: 8 fps for the first 2 s (the grace),
    then 320x180 with a long delay. Degraded is lawful: restorable 5 s after it is back."""
    anna = meeting.members["anna"]
    anna.camera_on = False
    meeting.run_until(12.0)
    anna.camera_on, anna.fps = True, 8.0
    meeting.monitor.track_started("anna", "video", now=12.0)
    meeting.run_until(14.0)
    anna.fps, anna.height, anna.rtt_s = 25.0, 180, 0.250
    meeting.run_until(30.0)
    assert meeting.times(SuspendRequired) == [10.25]
    assert meeting.times(Restorable) == [17.25]
    assert meeting.monitor.state("anna")["state"] == "degraded"


def test_a_picture_still_critical_after_it_is_back_delays_the_way_back(meeting: Meeting) -> None:
    anna = meeting.members["anna"]
    anna.camera_on = False
    meeting.run_until(12.0)
    anna.camera_on, anna.fps = True, 8.0
    meeting.monitor.track_started("anna", "video", now=12.0)
    meeting.run_until(18.0)  # 8 fps (critical) for 4 s after the grace
    anna.fps = 25.0
    meeting.run_until(30.0)
    restored = meeting.times(Restorable)
    assert len(restored) == 1 and restored[0] > 23.0


# ---- face presence: shown to the chair, never a suspend ----


def test_face_covered_for_6_s_is_not_visible_then_visible_again(meeting: Meeting) -> None:
    anna = meeting.members["anna"]
    anna.face = NO_FACE
    meeting.run_until(16.0)
    anna.face = FACE
    meeting.run_until(20.0)
    hidden = meeting.times(VisibilityChanged, visible=False)
    assert len(hidden) == 1 and 14.0 <= hidden[0] <= 15.0  # >= 80 % of 5 s negative
    assert meeting.times(VisibilityChanged, visible=True) == [5.5, 17.5]
    assert meeting.times(SuspendRequired) == [] and meeting.times(QualityChanged) == []
    assert meeting.monitor.state("anna")["visible"] is True


def test_looking_down_at_papers_for_3_s_keeps_member_visible(meeting: Meeting) -> None:
    anna = meeting.members["anna"]
    anna.face = NO_FACE
    meeting.run_until(13.0)
    anna.face = FACE
    meeting.run_until(20.0)
    assert meeting.times(VisibilityChanged, visible=False) == []


def test_visibility_is_judged_only_on_a_full_5_s_of_detections() -> None:
    m = Meeting()
    m.join("anna").face = NO_FACE
    m.run_until(10.0)
    assert m.times(VisibilityChanged) == [5.5]  # first detection at 0.5
    assert m.monitor.state("anna")["visible"] is False


@pytest.mark.parametrize("confidence, width", [(0.5, 120), (0.9, 30)])
def test_unsure_or_small_face_does_not_count(
    meeting: Meeting, confidence: float, width: int
) -> None:
    meeting.members["anna"].face = (True, confidence, width)
    meeting.run_until(20.0)
    assert len(meeting.times(VisibilityChanged, visible=False)) == 1


# ---- liveness: a live person, not a picture of one (a warning, never a suspend) ----


def photo(at: float) -> tuple[float, float]:
    """A photo propped in front of the camera: camera noise moves it by ~0.1 px."""
    return 300 + 0.05 * math.sin(7 * at), 100 + 0.05 * math.cos(5 * at)


def sitting_still(at: float) -> tuple[float, float]:
    """A person sitting still, reading: the head sways about 3 px (2.5 % of 120 px) slowly."""
    return 300 + 3 * math.sin(at / 4), 100 + 1.5 * math.sin(at / 3)


def test_a_face_that_never_moves_is_possibly_a_still_image_and_nothing_more() -> None:
    m = Meeting()
    m.join("anna").face_at = photo
    m.run_until(40.0)
    assert m.times(StillImageChanged, still=True) == [30.5]  # a full 30 s from the first look
    assert m.monitor.state("anna")["still_image"] is True
    assert m.monitor.state("anna")["figures"]["still_image"] is True
    assert m.times(SuspendRequired) == [] and m.times(QualityChanged) == []
    assert m.monitor.state("anna")["state"] == "ok"


def test_a_person_sitting_still_is_not_a_still_image() -> None:
    m = Meeting()
    m.join("anna").face_at = sitting_still
    m.run_until(120.0)
    assert m.times(StillImageChanged) == []


def test_the_warning_clears_as_soon_as_the_face_moves() -> None:
    m = Meeting()
    anna = m.join("anna")
    anna.face_at = photo
    m.run_until(40.0)
    anna.face_at = lambda at: (photo(at)[0] + 4.0, photo(at)[1])  # the head turns a little
    m.run_until(45.0)
    assert m.times(StillImageChanged) == [30.5, 40.5]
    assert m.times(StillImageChanged, still=False) == [40.5]


def test_no_new_pictures_or_a_lost_face_is_not_evidence_of_a_still_image() -> None:
    m = Meeting()
    anna = m.join("anna")
    anna.face_at = photo
    m.run_until(20.0)
    anna.pictures = False  # a frozen camera: the freeze rule judges it, not liveness
    m.run_until(50.0)
    anna.pictures = True
    m.run_until(60.0)
    anna.face = NO_FACE  # one detection without the face spoils the window
    m.run_until(60.5)
    anna.face = FACE
    m.run_until(85.0)
    assert m.times(StillImageChanged) == []
    m.run_until(92.0)
    assert m.times(StillImageChanged, still=True) == [90.5]  # 30 s after the faceless look


def test_unknown_visibility_when_no_picture_was_looked_at() -> None:
    m = Meeting()
    anna = m.join("anna")
    m.run_until(10.0)
    anna.pictures = False  # e.g. the analysis worker is down: nobody is blamed
    m.run_until(20.0)
    assert m.times(VisibilityChanged) == [5.5, 15.0]  # 5 s after the last look
    assert m.monitor.state("anna")["visible"] is None
    assert m.times(SuspendRequired) == [] and m.times(QualityChanged) == []


# ---- what the server reads ----


def test_snapshot_gives_state_score_and_figures_as_json(meeting: Meeting) -> None:
    snapshot = meeting.monitor.snapshot()
    json.dumps(snapshot)
    anna = snapshot["anna"]
    assert (anna["state"], anna["visible"], anna["suspended"]) == ("ok", True, False)
    assert anna["figures"] == {
        "fps": 30.0,
        "height": 720,
        "rtt_ms": 40,
        "delay_ms": 70,
        "audio_loss_pct": 0.0,
        "video_loss_pct": 0.0,
        "audio_level_dbov": -30,
        "face_visible": True,
        "still_image": False,
    }
    assert 0 < anna["score"] < 100  # type: ignore[operator]


def test_score_drops_to_zero_on_a_hard_fault(meeting: Meeting) -> None:
    meeting.members["anna"].link = "failed"
    meeting.run_until(10.25)
    assert meeting.monitor.state("anna")["score"] == 0


def test_events_serialise_to_plain_dicts(meeting: Meeting) -> None:
    meeting.members["anna"].link = "failed"
    meeting.run_until(10.25)
    meeting.members["anna"].link = "connected"
    meeting.run_until(16.0)
    kinds = [e.to_dict()["type"] for _, e in meeting.events]
    assert kinds == [
        "visibility_changed",
        "quality_changed",
        "suspend_required",
        "quality_changed",
        "restorable",
    ]
    suspend = next(e for _, e in meeting.events if isinstance(e, SuspendRequired))
    assert json.loads(json.dumps(suspend.to_dict())) == {
        "type": "suspend_required",
        "pid": "anna",
        "name": "Anna",
        "evidence": {"code": "transport.state", "params": {"value": "failed"}},
    }


def test_removed_participant_is_no_longer_evaluated(meeting: Meeting) -> None:
    meeting.monitor.remove_participant("anna", now=10.0)
    meeting.members["anna"].link = "failed"
    meeting.run_until(12.0)
    assert meeting.monitor.snapshot() == {}
    assert len(meeting.events) == 1


def test_samples_from_the_grace_period_do_not_weigh_on_the_window_after_it() -> None:
    """A stream's first second (no frame rate known yet) must not fail it once grace ends."""
    from compliance.monitor import EqualTermsMonitor
    from compliance.profile import QualityRules
    from compliance.samples import AudioSample, LinkSample, VideoSample

    rules = QualityRules()
    monitor = EqualTermsMonitor(rules)
    monitor.set_participant("m", name="M", deciding=True, remote=True, now=0.0)
    events = []
    t = 0.0
    while t < 6.0:
        fps = 0.0 if t < 1.5 else 25.0  # nothing measurable while the stream starts
        monitor.feed("m", VideoSample(at=t, frames_per_second=fps, current_gap_s=0.02,
                                      mean_frame_interval_s=0.04, height=480,
                                      packets_expected=int(t * 100), packets_lost=0,
                                      jitter_s=0.001, live=True))
        monitor.feed("m", AudioSample(at=t, seconds_since_last_packet=0.01,
                                      packets_expected=int(t * 50), packets_lost=0,
                                      jitter_s=0.001, level_dbov=-30, live=True))
        monitor.feed("m", LinkSample(at=t, state="connected", rtt_s=0.01))
        events += monitor.tick(t)
        t = round(t + rules.tick_s, 2)
    assert events == [], events


def test_a_first_connection_that_takes_6_s_is_not_a_failure() -> None:
    m = Meeting()
    anna = m.join("anna")
    anna.link = "connecting"  # a busy machine: ICE and DTLS take a while
    m.run_until(6.0)
    anna.link = "connected"
    m.run_until(20.0)
    assert m.times(SuspendRequired) == [] and m.times(QualityChanged) == []


def test_a_first_connection_that_never_comes_fails_after_10_s() -> None:
    m = Meeting()
    m.join("anna").link = "connecting"
    m.run_until(12.0)
    at, event = m.first(SuspendRequired)
    assert at == 10.0
    assert isinstance(event, SuspendRequired) and event.evidence.code == "transport.state"


def _stall_until(meeting: Meeting, at: float) -> None:
    """The server's loop stalls: the next tick comes only at `at`, before the packets that
    queued meanwhile are read (every stream then looks as old as the stall)."""
    for member in meeting.members.values():
        for sample in member.samples(at):
            meeting.monitor.feed(member.pid, sample)
    meeting.now = at
    meeting.events += [(at, e) for e in meeting.monitor.tick(at)]


def test_the_servers_own_stall_is_not_a_members_gap(meeting: Meeting) -> None:
    """The loop stalls 1.5 s (ticks due at 10.25 come at 11.5): every stream looks 1.5 s
    old, because the server took in nothing; nobody is blamed for it."""
    anna = meeting.members["anna"]
    anna.video_gaps.append((10.0, 11.6))
    anna.audio_gaps.append((10.0, 11.6))
    _stall_until(meeting, 11.5)
    meeting.run_until(20.0)
    assert meeting.times(SuspendRequired) == []
    assert meeting.times(QualityChanged) == []


def test_a_freeze_that_goes_on_through_a_server_stall_is_found_that_much_later(
    meeting: Meeting,
) -> None:
    meeting.members["anna"].video_gaps.append((10.0, 99.0))
    _stall_until(meeting, 11.5)
    meeting.run_until(16.0)
    at, event = meeting.first(SuspendRequired)
    assert at == 12.25  # 1.0 s of its own + the 1.25 s the server stalled
    assert isinstance(event, SuspendRequired) and event.evidence.code == "video.freeze"


def test_a_silence_that_starts_after_a_server_stall_is_found_on_time(meeting: Meeting) -> None:
    """The stall excuses only the part of a gap it covers, not the seconds after it."""
    meeting.members["anna"].audio_gaps.append((11.75, 99.0))
    _stall_until(meeting, 11.5)
    meeting.run_until(16.0)
    at, event = meeting.first(SuspendRequired)
    assert at == 12.75
    assert isinstance(event, SuspendRequired) and event.evidence.code == "audio.silence"


def test_a_tick_late_by_less_than_the_stall_threshold_excuses_nothing(meeting: Meeting) -> None:
    """0.2 s late (due 10.25, came 10.45) is the loop's ordinary jitter, not a stall."""
    meeting.members["anna"].video_gaps.append((9.9, 99.0))
    _stall_until(meeting, 10.45)
    meeting.run_until(12.0)
    at, _ = meeting.first(SuspendRequired)
    assert at == pytest.approx(10.95)  # the first tick with 1.0 s of gap
