"""The supervision unit with fake time: samples and reports in, meeting commands out."""

from __future__ import annotations

from dataclasses import dataclass, field

from compliance.profile import QualityRules
from compliance.supervision import (
    Command,
    Connection,
    DownlinkReport,
    FailLink,
    RestoreLink,
    Supervision,
    Suspend,
    after_restart,
)

from .test_meeting import approve_remote, at, join_remote, new_meeting, open_quorate, run
from .test_monitor import STEP, Member


@dataclass
class Receiver(Member):
    """A member whose browser also reports the freezes it saw, per sender: (when, seconds)."""

    seen_freezes: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    seen_fps: dict[str, float] = field(default_factory=dict)  # sender -> fps this browser sees
    # sender -> (from, until, share): this browser conceals that share of the sender's sound
    concealing: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    heard: dict[str, tuple[float, float]] = field(default_factory=dict)  # concealed, received

    def audio_report(self, sender: str, at: float) -> DownlinkReport:
        """The browser's cumulative audio counters for `sender`'s sound (48 kHz)."""
        start, end, share = self.concealing[sender]
        concealed, received = self.heard.get(sender, (0.0, 0.0))
        step = 48_000 * STEP
        concealed += step * share if start < at <= end else 0.0
        self.heard[sender] = (concealed, received + step)
        return DownlinkReport(at=at, from_key=sender, kind="audio", rtt_s=0.04,
                              concealed_samples=concealed, total_samples_received=received + step)


class Meeting:
    """An open meeting: the chair and m1..m6 in the room, remote members as asked."""

    def __init__(self, remote: dict[str, str], opened: bool = True) -> None:
        self.state = new_meeting()
        for pid, mode in remote.items():
            approve_remote(self.state, pid, mode)  # type: ignore[arg-type]
            join_remote(self.state, pid, mode)  # type: ignore[arg-type]
        if opened:
            open_quorate(self.state)
        self.unit = Supervision(QualityRules())
        self.members = {pid: Receiver(pid) for pid in remote}
        self.now = 0.0
        self.commands: list[tuple[float, Command]] = []
        self.connect()

    def connect(self) -> None:
        self.unit.connected([Connection(pid, f"Person {pid}", pid) for pid in self.members],
                            self.state, self.now)

    def run_until(self, until: float, reports: bool = False) -> None:
        """Step 250 ms at a time: feed, tick, apply the commands as the server does."""
        while self.now < until:
            self.now += STEP
            for pid, member in self.members.items():
                for sample in member.samples(self.now):
                    if not hasattr(sample, "from_participant"):
                        self.unit.feed(pid, sample)  # type: ignore[arg-type]
                for sender in {*member.seen_freezes, *member.seen_fps}:  # the browser's report
                    seen = [s for t, s in member.seen_freezes.get(sender, []) if t <= self.now]
                    self.unit.downlink(pid, DownlinkReport(
                        at=self.now, from_key=sender, kind="video",
                        frames_per_second=member.seen_fps.get(sender, 25.0),
                        freeze_count=len(seen), total_freezes_duration_s=sum(seen)))
                for sender in member.concealing:
                    self.unit.downlink(pid, member.audio_report(sender, self.now))
            for command in self.unit.tick(self.state, self.now).commands:
                self.commands.append((self.now, command))
                run(self.state, command(self.state, at("18:30")))

    def of(self, kind: type) -> list[tuple[float, str]]:
        return [(t, c.person_id) for t, c in self.commands if isinstance(c, kind)]


def test_a_deciding_members_failure_fails_the_link_and_suspends_in_one_tick() -> None:
    m = Meeting({"m7": "deciding", "m8": "deciding"})
    m.run_until(10.0)
    m.members["m7"].camera_on = False
    m.run_until(11.0)
    assert m.of(FailLink) == [(10.25, "m7")] and m.of(Suspend) == [(10.25, "m7")]
    assert m.state.phase == "suspended" and m.state.decision_block() is not None
    m.members["m8"].link = "disconnected"  # while suspended: her link fails, no new suspension
    m.run_until(12.0)
    assert m.of(FailLink) == [(10.25, "m7"), (11.25, "m8")] and len(m.of(Suspend)) == 1


def test_a_restored_link_is_recorded_after_the_hysteresis_and_the_chair_may_resume() -> None:
    m = Meeting({"m7": "deciding"})
    m.run_until(10.0)
    m.members["m7"].link = "disconnected"
    m.run_until(12.0)
    m.members["m7"].link = "connected"
    m.run_until(20.0)
    assert m.of(RestoreLink) == [(17.25, "m7")]
    assert m.state.may_resume()


def test_an_observers_failure_is_never_recorded() -> None:
    m = Meeting({"m7": "attending-only"})
    m.run_until(10.0)
    m.members["m7"].camera_on = False
    m.run_until(15.0)
    assert m.commands == [] and m.state.phase == "open"


def test_a_receiver_is_not_blamed_for_a_senders_freeze() -> None:
    m = Meeting({"m7": "deciding", "m8": "deciding"})
    m.members["m7"].video_gaps.append((10.0, 11.5))  # m7's camera freezes for 1.5 s ...
    m.members["m8"].seen_freezes["m7"] = [(11.8, 1.5)]  # ... m8's browser counts it after
    m.run_until(16.0)
    assert m.of(FailLink) == [(11.0, "m7")]


def test_without_the_senders_trouble_the_receiver_is_blamed() -> None:
    m = Meeting({"m7": "deciding", "m8": "deciding"})
    m.members["m8"].seen_freezes["m7"] = [(11.8, 1.5)]
    m.run_until(16.0)
    assert m.of(FailLink) == [(12.0, "m8")]


def test_a_senders_short_gap_excuses_only_its_own_length() -> None:
    """A busy sender's 0.4 s hiccup does not hide the receiver's own 1.6 s of freezes."""
    m = Meeting({"m7": "deciding", "m8": "deciding"})
    m.members["m7"].video_gaps.append((11.0, 11.4))
    m.members["m8"].seen_freezes["m7"] = [(11.8, 0.4), (11.8, 1.2)]
    m.run_until(16.0)
    assert m.of(FailLink) == [(12.0, "m8")]


def test_a_receiver_is_not_graded_on_a_slow_senders_frame_rate() -> None:
    """The sender sends 8 fps: she fails after 10 s; her receivers see 8 fps too, and are
    not blamed for it."""
    m = Meeting({"m7": "deciding", "m8": "deciding"})
    m.members["m7"].fps = 8.0
    m.members["m8"].seen_fps["m7"] = 8.0
    m.run_until(30.0)
    assert [pid for _, pid in m.of(FailLink)] == ["m7"]


def test_a_2_s_concealment_glitch_is_a_warning_not_a_failure() -> None:
    """Measured with Chromium on a busy machine: the chair's CPU hiccup concealed 11.8 % of
    the sound for 2 s. Critical, but not "cannot hear": only held for 10 s does it fail."""
    m = Meeting({"m7": "deciding", "m8": "deciding"})
    m.members["m8"].concealing["m7"] = (10.0, 12.0, 0.118)
    m.run_until(30.0)
    assert m.commands == [] and m.state.phase == "open"


def test_concealment_held_for_10_s_fails_the_receiver() -> None:
    m = Meeting({"m7": "deciding", "m8": "deciding"})
    m.members["m8"].concealing["m7"] = (10.0, 99.0, 0.118)
    m.run_until(30.0)
    assert [pid for _, pid in m.of(FailLink)] == ["m8"]
    (at, _), = m.of(FailLink)
    assert 20.0 <= at <= 22.0  # critical from ~11, held 10 s


def test_after_a_restart_remote_links_fail_and_come_back_once_seen_good() -> None:
    m = Meeting({"m7": "deciding"})
    restart = after_restart(m.state)
    assert restart == [FailLink("m7", "server.restart"), Suspend("m7", "server.restart")]
    for command in restart:
        run(m.state, command(m.state, at("18:30")))
    m.connect()  # she rejoins, connected at 0.25: restored 5 s (the hysteresis) later
    m.run_until(10.0)
    assert m.of(RestoreLink) == [(5.25, "m7")]


def test_a_member_who_left_is_no_longer_watched() -> None:
    m = Meeting({"m7": "deciding"})
    m.run_until(5.0)
    run(m.state, m.state.leave("m7", at("18:40"), by="m7"))
    del m.members["m7"]
    m.connect()
    m.run_until(10.0)
    assert m.unit.watched() == [] and m.commands == [] and m.state.phase == "open"


def test_a_stream_back_after_a_camera_was_off_is_restorable_grace_plus_hysteresis() -> None:
    m = Meeting({"m7": "deciding"})
    m.run_until(10.0)
    m.members["m7"].camera_on = False
    m.run_until(12.0)
    m.members["m7"].camera_on = True
    m.unit.stream_started("m7", "video", 12.0)
    m.run_until(25.0)
    assert m.of(RestoreLink) and m.of(RestoreLink)[0][0] <= 12.0 + 7.25

