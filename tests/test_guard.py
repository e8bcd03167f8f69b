"""`decision_block()`: the one guard every decision asks, one test per reason it refuses."""

from __future__ import annotations

from compliance import adjournment, jav, proposals, votes
from compliance.meeting import MeetingState
from tests.procedure_helpers import Meeting


def at_question() -> tuple[Meeting, list[str]]:
    """Item 1 with the draft and one counter-proposal, the question put, a vote asked for."""
    m = Meeting()
    ids = m.to_proposition("m5")
    m.put(ids)
    m.do(proposals.request_vote, "m5", by="m5")
    return m, ids


def test_an_open_quorate_meeting_may_decide() -> None:
    m, _ = at_question()
    assert m.state.decision_block() is None
    m.do(votes.start_vote, by="chair")


def test_refuses_while_the_meeting_is_suspended() -> None:
    m, _ = at_question()
    m.do(MeetingState.suspend, code="video.freeze", params={"value": 1.1})
    assert m.state.decision_block().code == "meeting_suspended"  # type: ignore[union-attr]
    m.refused("meeting_suspended", votes.start_vote, by="chair")
    m.refused("meeting_suspended", proposals.decide, by="chair")


def test_refuses_without_a_quorum() -> None:
    m = Meeting(room=("chair", "sec", "m1", "m2", "m3"), remote=("m4", "m5"))  # 6 of 13
    assert m.state.quorum().required == 7
    ids = m.to_proposition("m5")
    m.put(ids)
    m.wait(60)
    refusal = m.refused("not_quorate", proposals.decide, by="chair")
    assert "6 av 13" in refusal.message_sv and "(KL 6:27)" in refusal.message_en


def test_refuses_while_a_deciding_person_is_on_technical_pause() -> None:
    m, _ = at_question()
    m.do(MeetingState.start_technical_pause, "m2")
    assert m.state.decision_block().code == "technical_pause"  # type: ignore[union-attr]
    m.refused("technical_pause", votes.start_vote, by="chair")
    m.do(MeetingState.end_technical_pause, "m2")
    m.do(votes.start_vote, by="chair")


def test_an_observers_technical_pause_does_not_block() -> None:
    m, _ = at_question()
    m.do(MeetingState.start_technical_pause, "sC1")
    assert m.state.decision_block() is None


def test_a_remote_voters_link_failing_during_the_vote_voids_it() -> None:
    m, _ = at_question()
    vote = m.do(votes.start_vote, by="chair")
    m.do(votes.cast_vote, "m5", "nej", by="m5")
    m.do(MeetingState.report_link_failed, "m6", code="video.freeze")
    m.do(MeetingState.suspend, participant="m6", code="video.freeze")
    # the link comes back and the chair resumes: the vote is still void
    m.do(MeetingState.report_link_restored, "m6")
    m.do(MeetingState.resume, by="chair")
    block = m.state.decision_block()
    assert block is not None and block.code == "vote_void_link_failed"
    assert "Person m6" in block.message_sv
    m.refused("vote_void_link_failed", votes.close_vote, by="chair")

    voided = votes.void_if_compromised(m.state, m.now())
    assert voided is not None and voided.vote_id == vote.vote_id
    assert voided.person_ids == ("m6",) and voided.code == "vote_void_link_failed"
    m.state.apply(voided)
    assert m.state.decision_block() is None
    assert m.state.votes.open is None
    retaken = m.do(votes.start_vote, by="chair")
    assert retaken.vote_id != vote.vote_id
    assert m.state.votes.votes[retaken.vote_id].votes == {}  # every answer is given again


def test_a_link_failing_outside_a_vote_voids_nothing() -> None:
    m, _ = at_question()
    m.do(MeetingState.report_link_failed, "m6")
    assert m.state.decision_block().code == "link_failed"  # type: ignore[union-attr]
    m.do(MeetingState.report_link_restored, "m6")
    assert votes.void_if_compromised(m.state, m.now()) is None
    assert m.state.decision_block() is None


def test_refuses_while_adjourned() -> None:
    m, _ = at_question()
    m.do(adjournment.adjourn, by="chair", groups=[["S"], ["M"]])
    assert m.state.decision_block().code == "adjourned"  # type: ignore[union-attr]
    m.refused("adjourned", votes.start_vote, by="chair")
    m.do(adjournment.end_adjournment, by="chair")
    assert m.state.decision_block() is None


def test_quorum_counts_jav_out_and_a_serving_substitute_in() -> None:
    m = Meeting(room=("chair", "sec", "m1", "m2", "m3", "sS1"), remote=("m4", "m5", "m6"))
    m.open_item("1")
    assert m.state.quorum().present == 7 and m.state.decision_block() is None
    m.do(jav.declare_jav, "m1", by="m1", reason="äger fastigheten")
    assert m.state.quorum().present == 6
    assert m.state.decision_block().code == "not_quorate"  # type: ignore[union-attr]
    m.do(MeetingState.serve_substitute, "sS1", "m1", by="chair")
    assert m.state.quorum().present == 7 and "sS1" in m.state.quorum().counted
    assert m.state.decision_block() is None
