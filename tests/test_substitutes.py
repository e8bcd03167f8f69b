"""Substitutes (ersättare) are proposed by party order and serve once the chair confirms."""

from __future__ import annotations

import pytest

from compliance.events import PersonAdded
from compliance.meeting import MeetingState, RuleViolation
from compliance.substitutes import propose_substitute, substitute_ranking
from tests.test_meeting import (
    approve_remote,
    at,
    join_remote,
    new_meeting,
    roll_call,
    run,
    violation,
)


def proposal(state: MeetingState, member_id: str) -> str | None:
    proposed = propose_substitute(state, member_id)
    return proposed.person_id if proposed else None


def test_own_party_substitutes_come_first_in_their_order() -> None:
    state = new_meeting()  # m7 is S; S has sS1 and sS2, M has sM1, C has sC1
    roll_call(state, "chair", "sC1", "sM1", "sS2", "sS1")
    assert proposal(state, "m7") == "sS1"
    assert proposal(state, "m2") == "sM1"  # m2 is M


def test_then_the_other_parties_in_the_configured_order() -> None:
    state = new_meeting()  # party order M, C, S
    roll_call(state, "chair", "sC1", "sM1")
    assert proposal(state, "m7") == "sM1"  # m7 is S: M comes before C


def test_ranking_puts_unlisted_parties_last() -> None:
    def sub(pid: str, party: str, order: int) -> PersonAdded:
        return PersonAdded(
            at="", person_id=pid, name=pid, role="ersättare", party=party, substitute_order=order
        )

    member = PersonAdded(at="", person_id="m", name="m", role="ledamot", party="S")
    ranked = substitute_ranking(
        member, [sub("a1", "A", 1), sub("m2", "M", 2), sub("s2", "S", 2), sub("m1", "M", 1)], ["M"]
    )
    assert [p.person_id for p in ranked] == ["s2", "m1", "m2", "a1"]


def test_absent_serving_paused_or_attending_only_substitutes_are_skipped() -> None:
    state = new_meeting()
    approve_remote(state, "sS1", "attending-only")
    join_remote(state, "sS1", "attending-only")
    roll_call(state, "chair", "sS2", "sM1", "sC1")
    assert proposal(state, "m7") == "sS2"

    run(state, state.serve_substitute("sS2", "m7", by="chair", at=at("18:05")))
    assert proposal(state, "m5") == "sM1"  # m5 is S; S has nobody free left

    run(state, state.start_technical_pause("sM1", at("18:10")))
    assert proposal(state, "m5") == "sC1"


def test_nobody_available_gives_no_proposal() -> None:
    state = new_meeting()
    assert proposal(state, "m7") is None


def test_only_members_get_a_substitute() -> None:
    with pytest.raises(RuleViolation):
        propose_substitute(new_meeting(), "sec")


def test_chair_confirms_the_proposal_as_substitute_serving() -> None:
    state = new_meeting()
    roll_call(state, "chair", "sS1")
    proposed = propose_substitute(state, "m7")
    assert proposed is not None
    with violation("not_allowed"):
        state.serve_substitute(proposed.person_id, "m7", by="sec", at=at("18:05"))

    event = run(state, state.serve_substitute(proposed.person_id, "m7", by="chair", at=at("18:05")))

    assert event.to_dict() == {
        "type": "substitute_serving",
        "at": at("18:05"),
        "substitute_id": "sS1",
        "member_id": "m7",
        "by": "chair",
    }
    assert state.serving == {"sS1": "m7"}


def test_a_seat_takes_one_substitute_and_a_substitute_one_seat() -> None:
    state = new_meeting()
    roll_call(state, "chair", "sS1", "sS2")
    run(state, state.serve_substitute("sS1", "m7", by="chair", at=at("18:05")))
    with violation("seat_taken"):
        state.serve_substitute("sS2", "m7", by="chair", at=at("18:06"))
    with violation("already_serving"):
        state.serve_substitute("sS1", "m5", by="chair", at=at("18:06"))
    with violation("substitute_not_present"):
        state.serve_substitute("sM1", "m2", by="chair", at=at("18:06"))


def test_released_substitute_returns_the_seat_to_the_member() -> None:
    state = new_meeting()
    roll_call(state, "chair", "m7", "sS1")
    run(state, state.leave("m7", at("18:10"), reason="jäv § 2"))
    run(state, state.serve_substitute("sS1", "m7", by="chair", at=at("18:11")))
    run(state, state.mark_present("m7", by="sec", at=at("18:25")))  # back after the item
    assert "m7" not in state.quorum().counted

    run(state, state.release_substitute("sS1", by="chair", at=at("18:30")))

    assert state.serving == {} and "m7" in state.quorum().counted
