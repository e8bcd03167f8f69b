"""The meeting model: remote requests, lobby and admission, roll call, the decision guard."""

from __future__ import annotations

from dataclasses import replace

import pytest

from compliance.events import Event, RemoteMode, Role
from compliance.meeting import MeetingState, RuleViolation
from compliance.profile import LegalRules

DAY = "2026-03-10"  # the meeting's date
Roster = list[tuple[str, Role, str, int | None]]  # person id, role, party, substitute order


def at(hhmm: str, day: str = DAY) -> str:
    """A local timestamp on the meeting day (or another day)."""
    return f"{day}T{hhmm}:00+01:00"


def committee_roster(members: int = 13) -> Roster:
    """The chair (S), ledamöter m1.. alternating S/M, a secretary, and four ersättare."""
    roster: Roster = [("chair", "ordförande", "S", None)]
    roster += [(f"m{i}", "ledamot", "S" if i % 2 else "M", None) for i in range(1, members)]
    roster += [
        ("sec", "sekreterare", "", None),
        ("sM1", "ersättare", "M", 1),
        ("sS2", "ersättare", "S", 2),
        ("sS1", "ersättare", "S", 1),
        ("sC1", "ersättare", "C", 1),
    ]
    return roster


def meeting_events(
    roster: Roster | None = None, party_order: tuple[str, ...] = ("M", "C", "S")
) -> list[Event]:
    """The events that create a committee, its roster and one meeting on DAY at 18:00."""
    state = MeetingState()
    events: list[Event] = []

    def do(event: Event) -> None:
        state.apply(event)
        events.append(event)

    created = at("09:00", "2026-01-15")
    do(state.create_committee("c1", "Kultur- och fritidsnämnden", created, party_order))
    for pid, role, party, order in roster if roster is not None else committee_roster():
        do(state.add_person(pid, f"Person {pid}", role, created, party, order, f"{pid}@example.se"))
    do(state.create_meeting("mt1", DAY, "18:00", "Rådhuset", at("09:00", "2026-02-20"), ("A", "B")))
    return events


def new_meeting(rules: LegalRules | None = None, members: int = 13) -> MeetingState:
    """A called meeting with the default roster, nobody present yet."""
    return MeetingState.replay(meeting_events(committee_roster(members)), rules)


def run(state: MeetingState, event: Event) -> Event:
    """Apply a command's event, as the server does after appending it."""
    state.apply(event)
    return event


def approve_remote(state: MeetingState, pid: str, mode: RemoteMode = "deciding") -> None:
    run(state, state.request_remote(pid, mode, at("10:00", "2026-03-01")))
    run(state, state.decide_remote(pid, True, by="chair", at=at("11:00", "2026-03-01")))


def join_remote(state: MeetingState, pid: str, mode: RemoteMode = "deciding") -> None:
    run(state, state.enter_lobby(pid, at("17:55")))
    run(state, state.admit(pid, mode, by="sec", at=at("17:58")))


def roll_call(state: MeetingState, *pids: str) -> None:
    for pid in pids:
        run(state, state.mark_present(pid, by="sec", at=at("18:00")))


def open_quorate(state: MeetingState) -> None:
    """Chair and m1..m6 in the room: 7 of 13, quorate; then open."""
    roll_call(state, "chair", *(f"m{i}" for i in range(1, 7)))
    run(state, state.open(by="chair", at=at("18:01")))


def violation(code: str) -> pytest.RaisesExc[RuleViolation]:
    return pytest.raises(RuleViolation, check=lambda e: e.code == code)


def test_approved_remote_member_goes_from_lobby_to_admitted_to_deciding() -> None:
    state = new_meeting()
    approve_remote(state, "m7")
    open_quorate(state)
    run(state, state.enter_lobby("m7", at("18:02")))
    assert "m7" in state.lobby and not state.can_decide("m7")

    admitted = run(state, state.admit("m7", "deciding", by="chair", at=at("18:03")))

    assert admitted.to_dict()["type"] == "admitted"
    assert "m7" not in state.lobby
    assert state.present["m7"].where == "remote" and state.present["m7"].mode == "deciding"
    assert state.can_decide("m7")
    assert state.quorum().present == 8


def test_member_without_approval_cannot_join_as_deciding() -> None:
    state = new_meeting()
    run(state, state.enter_lobby("m7", at("17:55")))
    with violation("remote_not_approved"):
        state.admit("m7", "deciding", by="chair", at=at("17:56"))

    run(state, state.request_remote("m7", "deciding", at("10:00", "2026-03-01")))
    run(state, state.decide_remote("m7", False, by="chair", at=at("11:00", "2026-03-01")))
    with violation("remote_not_approved"):
        state.admit("m7", "deciding", by="chair", at=at("17:56"))


def test_attending_only_approval_admits_without_the_right_to_decide() -> None:
    state = new_meeting()
    approve_remote(state, "m7", "attending-only")
    run(state, state.enter_lobby("m7", at("17:55")))
    with violation("deciding_not_approved"):
        state.admit("m7", "deciding", by="chair", at=at("17:56"))

    run(state, state.admit("m7", "attending-only", by="chair", at=at("17:56")))
    open_quorate(state)

    assert not state.can_decide("m7")
    assert "m7" not in state.quorum().counted


def test_new_request_needs_a_new_decision() -> None:
    state = new_meeting()
    approve_remote(state, "m7", "attending-only")
    run(state, state.request_remote("m7", "deciding", at("10:00", "2026-03-02")))
    assert state.approved_mode("m7") is None


def test_request_after_the_deadline_is_flagged_late() -> None:
    state = new_meeting()
    on_time = state.request_remote("m7", "deciding", at("23:59", "2026-03-06"))
    late = state.request_remote("m7", "deciding", at("00:01", "2026-03-07"))
    assert (on_time.late, late.late) == (False, True)

    two_days = replace(LegalRules(), remote_request_deadline_days=2)
    request = new_meeting(two_days).request_remote("m7", "deciding", at("08:00", "2026-03-07"))
    assert not request.late


def test_late_request_can_still_be_approved_by_the_chair() -> None:
    state = new_meeting()
    run(state, state.request_remote("m7", "deciding", at("12:00", "2026-03-09")))
    assert state.requests["m7"].late
    run(state, state.decide_remote("m7", True, by="chair", at=at("12:05", "2026-03-09")))
    assert state.approved_mode("m7") == "deciding"


def test_only_the_chair_decides_remote_requests() -> None:
    state = new_meeting()
    run(state, state.request_remote("m7", "deciding", at("10:00", "2026-03-01")))
    with violation("not_allowed"):
        state.decide_remote("m7", True, by="sec", at=at("11:00", "2026-03-01"))


def test_admitting_someone_not_in_the_lobby_is_refused() -> None:
    state = new_meeting()
    approve_remote(state, "m7")
    with violation("not_in_lobby"):
        state.admit("m7", "deciding", by="chair", at=at("18:00"))


def test_only_chair_or_secretary_admit() -> None:
    state = new_meeting()
    approve_remote(state, "m7")
    run(state, state.enter_lobby("m7", at("17:55")))
    with violation("not_allowed"):
        state.admit("m7", "deciding", by="m1", at=at("17:56"))


def test_officials_join_remotely_without_request_but_never_deciding() -> None:
    state = new_meeting()
    run(state, state.enter_lobby("sec", at("17:55")))
    with violation("cannot_decide"):
        state.admit("sec", "deciding", by="chair", at=at("17:56"))
    run(state, state.admit("sec", "attending-only", by="chair", at=at("17:56")))
    assert state.present["sec"].mode == "attending-only"


def test_chair_must_be_in_the_room() -> None:
    state = new_meeting()
    with violation("chair_must_be_in_room"):
        state.request_remote("chair", "deciding", at("10:00", "2026-03-01"))
    roll_call(state, *(f"m{i}" for i in range(1, 8)))
    with violation("chair_must_be_in_room"):
        state.open(by="chair", at=at("18:01"))

    relaxed = new_meeting(replace(LegalRules(), chair_must_be_in_room=False))
    assert relaxed.request_remote("chair", "deciding", at("10:00", "2026-03-01")).mode == "deciding"


def test_suspended_meeting_blocks_decisions() -> None:
    state = new_meeting()
    assert state.decision_block().code == "meeting_not_open"  # type: ignore[union-attr]
    open_quorate(state)
    assert state.decision_block() is None

    run(state, state.suspend(at("18:30"), participant="m7", code="video.fps",
                             params={"value": 0.0, "threshold": 12}))

    block = state.decision_block()
    assert block is not None and block.code == "meeting_suspended"
    assert block.message_sv and block.message_en
    assert state.suspension is not None
    assert (state.suspension.code, state.suspension.params["value"]) == ("video.fps", 0.0)


def test_closed_or_inquorate_meeting_blocks_decisions() -> None:
    state = new_meeting()
    open_quorate(state)
    run(state, state.leave("m6", at("18:40"), reason="jäv § 2"))
    assert state.decision_block().code == "not_quorate"  # type: ignore[union-attr]

    run(state, state.close(by="chair", at=at("19:00")))
    assert state.decision_block().code == "meeting_closed"  # type: ignore[union-attr]


def test_failed_link_of_a_deciding_member_blocks_decisions_until_restored() -> None:
    state = new_meeting()
    approve_remote(state, "m7")
    join_remote(state, "m7")
    roll_call(state, "chair", "m1", "m2", "m3", "m4", "m5", "m6", "m8")  # 9 of 13 with m7
    run(state, state.open(by="chair", at=at("18:01")))

    run(state, state.report_link_failed(
        "m7", at("18:20"), "audio.silence", {"value": 1.2, "threshold": 1.0}))
    assert state.quorum().quorate  # still 8 of 13 without m7 ...
    assert state.decision_block().code == "link_failed"  # type: ignore[union-attr]

    run(state, state.report_link_restored("m7", at("18:21")))
    assert state.decision_block() is None


def test_technical_pause_keeps_presence_but_blocks_decisions() -> None:
    state = new_meeting()
    open_quorate(state)
    run(state, state.start_technical_pause("m1", at("18:30")))
    assert "m1" in state.quorum().counted
    assert state.decision_block().code == "technical_pause"  # type: ignore[union-attr]
    run(state, state.end_technical_pause("m1", at("18:33")))
    assert state.decision_block() is None


def test_resume_only_once_every_present_link_is_restored() -> None:
    state = new_meeting()
    approve_remote(state, "m7")
    join_remote(state, "m7")
    open_quorate(state)
    with violation("not_suspended"):
        state.resume(by="chair", at=at("18:10"))
    run(state, state.report_link_failed("m7", at("18:30"), "video.live"))
    run(state, state.suspend(at("18:30"), participant="m7", code="video.live"))
    assert not state.may_resume()
    with violation("not_restorable"):
        state.resume(by="chair", at=at("18:31"))
    run(state, state.report_link_restored("m7", at("18:33")))
    assert state.may_resume()
    with violation("not_allowed"):
        state.resume(by="sec", at=at("18:34"))
    run(state, state.resume(by="chair", at=at("18:35")))

    assert state.phase == "open" and state.suspension is None
    assert state.decision_block() is None


def test_commands_do_not_change_state_until_applied() -> None:
    state = new_meeting()
    roll_call(state, "chair")
    state.mark_present("m1", by="sec", at=at("18:00"))
    assert "m1" not in state.present


def test_replay_rebuilds_the_state_a_command_sequence_made() -> None:
    events = meeting_events()
    state = MeetingState.replay(events)
    for make in (
        lambda: state.request_remote("m7", "deciding", at("10:00", "2026-03-01")),
        lambda: state.decide_remote("m7", True, by="chair", at=at("11:00", "2026-03-01")),
        lambda: state.issue_invitation("inv-m7", "m7", at("11:05", "2026-03-01")),
        lambda: state.enter_lobby("m7", at("17:55")),
        lambda: state.admit("m7", "deciding", by="sec", at=at("17:58")),
        lambda: state.mark_present("chair", by="sec", at=at("18:00")),
        lambda: state.open(by="chair", at=at("18:01")),
        lambda: state.report_link_failed("m7", at("18:20")),
    ):
        events.append(run(state, make()))

    assert MeetingState.replay(events) == state
    assert state.invitations == {"inv-m7": "m7"}


def test_meeting_cannot_open_while_a_present_members_link_has_failed() -> None:
    """Roll call confirms picture and sound: a failed link must be restored, or the member
    recorded as gone, before the chair opens (KL 6:24)."""
    state = new_meeting()
    approve_remote(state, "m7")
    join_remote(state, "m7")
    roll_call(state, "chair", *(f"m{i}" for i in range(1, 7)))
    run(state, state.report_link_failed("m7", at("18:00")))
    with violation("links_failed"):
        state.open(by="chair", at=at("18:01"))
    run(state, state.report_link_restored("m7", at("18:02")))
    run(state, state.open(by="chair", at=at("18:03")))
    assert state.phase == "open"
