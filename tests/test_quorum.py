"""Quorum (KL 6:27): more than half of the members, serving substitutes counted."""

from __future__ import annotations

from dataclasses import replace

import pytest

from compliance.profile import LegalRules
from compliance.quorum import quorum, required_present
from tests.test_meeting import approve_remote, at, join_remote, new_meeting, roll_call, run

MEMBERS = [f"m{i}" for i in range(1, 14)]  # 13 members
AT_LEAST_HALF = replace(LegalRules(), quorum_more_than_half=False)


@pytest.mark.parametrize(("present", "quorate"), [(6, False), (7, True), (8, True)])
def test_thirteen_members_need_seven_present(present: int, quorate: bool) -> None:
    q = quorum(MEMBERS, {}, set(MEMBERS[:present]), LegalRules())
    assert (q.members, q.present, q.required, q.quorate) == (13, present, 7, quorate)
    assert q.counted == tuple(MEMBERS[:present])


def test_at_least_half_setting_makes_six_of_twelve_quorate() -> None:
    twelve = MEMBERS[:12]
    six = set(twelve[:6])
    assert not quorum(twelve, {}, six, LegalRules()).quorate  # more than half: 7 needed
    assert quorum(twelve, {}, six, AT_LEAST_HALF).quorate  # at least half: 6 suffice
    assert required_present(13, AT_LEAST_HALF) == 7


def test_people_without_a_seat_do_not_count() -> None:
    q = quorum(MEMBERS, {}, {"m1", "sec", "substitute-not-serving"}, LegalRules())
    assert q.counted == ("m1",)


def test_serving_substitute_fills_the_absent_members_seat() -> None:
    present = set(MEMBERS[:6]) | {"s1"}
    assert not quorum(MEMBERS, {}, present, LegalRules()).quorate
    q = quorum(MEMBERS, {"s1": "m13"}, present, LegalRules())
    assert q.quorate and "s1" in q.counted and q.present == 7


def test_replaced_member_and_substitute_fill_one_seat_not_two() -> None:
    present = set(MEMBERS[:7]) | {"s1"}
    q = quorum(MEMBERS, {"s1": "m1"}, present, LegalRules())
    assert q.present == 7 and "m1" not in q.counted and "s1" in q.counted


def test_failed_remote_link_drops_quorum_until_restored() -> None:
    state = new_meeting()
    approve_remote(state, "m7")
    join_remote(state, "m7")
    roll_call(state, "chair", "m1", "m2", "m3", "m4", "m5")
    assert state.quorum().present == 7 and state.quorum().quorate

    run(state, state.report_link_failed("m7", at("18:20")))
    assert not state.quorum().quorate and "m7" not in state.quorum().counted

    run(state, state.report_link_restored("m7", at("18:22")))
    assert state.quorum().quorate


def test_remote_attending_only_member_does_not_count() -> None:
    state = new_meeting()
    approve_remote(state, "m7", "attending-only")
    join_remote(state, "m7", "attending-only")
    roll_call(state, "chair", "m1", "m2", "m3", "m4", "m5")
    assert state.quorum().present == 6 and not state.quorum().quorate


def test_serving_substitute_in_the_meeting_makes_it_quorate() -> None:
    state = new_meeting()
    roll_call(state, "chair", "m1", "m2", "m3", "m4", "m5", "sS1")
    assert not state.quorum().quorate
    run(state, state.serve_substitute("sS1", "m7", by="chair", at=at("18:05")))
    assert state.quorum().quorate and "sS1" in state.quorum().counted
