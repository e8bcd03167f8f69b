"""Jäv (quorum, substitute, automatic return), reservations, and who may receive whom:
departed and jäv persons cut both ways, the adjournment's party groups."""

from __future__ import annotations

from compliance import adjournment, agenda, jav, proposals, reservations, speakers, votes
from compliance.media_policy import may_receive
from compliance.meeting import MeetingState
from compliance.substitutes import propose_substitute
from tests.procedure_helpers import Meeting

# -- jäv -------------------------------------------------------------------------------------------


def jav_meeting() -> Meeting:
    return Meeting(room=("chair", "sec", "m1", "m2", "m3", "m4", "sM1", "sS1"))


def test_jav_cuts_the_person_out_of_the_item_and_lets_them_back_in_when_it_closes() -> None:
    m = jav_meeting()
    m.open_item("1")
    m.do(speakers.request_floor, "m6", by="m6")
    declared = m.do(jav.declare_jav, "m6", by="m6", reason="jäv: delägare i bolaget")
    assert declared.item_id == "1"
    assert "m6" not in m.state.quorum().counted and not m.state.can_decide("m6")
    assert m.state.speakers.queue == []  # off the list
    m.refused("jav", speakers.request_floor, "m6", by="m6")
    m.refused("not_deciding", proposals.make_proposal, "m6", "Avslag", by="m6")
    for other in ("chair", "m1", "m5", "sC1"):  # no media either way
        assert not may_receive(m.state, "m6", other) and not may_receive(m.state, other, "m6")
    assert may_receive(m.state, "m5", "chair")

    substitute = propose_substitute(m.state, "m6")  # m6 is M (even): sM1, own party first
    assert substitute is not None and substitute.person_id == "sM1"
    m.do(MeetingState.serve_substitute, "sM1", "m6", by="chair")
    assert "sM1" in m.state.quorum().counted
    m.do(proposals.make_proposal, "sM1", "Bifall", by="chair")

    closed = m.do(agenda.close_item, "1", by="chair")
    assert closed.returned == ("m6",) and closed.released == ("sM1",)
    assert "sM1" not in m.state.serving
    assert m.state.can_decide("m6") and may_receive(m.state, "m6", "chair")
    assert may_receive(m.state, "chair", "m6")


def test_jav_declared_in_advance_applies_when_the_item_opens() -> None:
    m = jav_meeting()
    m.do(jav.declare_jav, "m1", by="chair", item_id="2")
    assert m.state.can_decide("m1") and may_receive(m.state, "m1", "chair")
    m.open_item("1")
    m.do(agenda.close_item, "1", by="chair")
    m.open_item("2")
    assert not m.state.can_decide("m1") and not may_receive(m.state, "m1", "chair")
    m.refused("jav_already_declared", jav.declare_jav, "m1", by="m1")


def test_a_member_cannot_record_someone_elses_jav_and_the_chairs_is_not_supported() -> None:
    m = jav_meeting()
    m.open_item("1")
    m.refused("not_allowed", jav.declare_jav, "m2", by="m1")
    m.refused("chair_jav", jav.declare_jav, "chair", by="chair")


def test_a_substitute_serving_before_the_item_is_not_released_by_it() -> None:
    m = jav_meeting()
    m.do(MeetingState.serve_substitute, "sS1", "m9", by="chair")
    m.open_item("1")
    m.do(jav.declare_jav, "m6", by="m6")
    m.do(MeetingState.serve_substitute, "sM1", "m6", by="chair")
    closed = m.do(agenda.close_item, "1", by="chair")
    assert closed.released == ("sM1",)
    assert m.state.serving == {"sS1": "m9"}


# -- reservations ----------------------------------------------------------------------------------


def decided_by_vote(m: Meeting) -> list[str]:
    ids = m.to_proposition("m5")
    m.put(ids)
    m.do(proposals.request_vote, "m5", by="m5")
    m.do(votes.start_vote, by="chair")
    answers = {"m1": "ja", "m2": "ja", "m3": "ja", "m4": "avstår", "m5": "nej", "m6": "nej",
               "m7": "ja", "chair": "ja"}
    for pid, choice in answers.items():
        m.do(votes.cast_vote, pid, choice, by=pid if pid in ("m5", "m6", "m7") else "chair")
    m.do(votes.close_vote, by="chair")
    m.do(proposals.decide, by="chair")
    return ids


def test_those_who_voted_against_may_reserve_others_may_not() -> None:
    m = Meeting()
    m.refused("no_decision", reservations.reserve, "1", "m5", by="m5")
    decided_by_vote(m)
    made = m.do(reservations.reserve, "1", "m5", by="m5", reason="Kostnaden är för hög.")
    assert (made.person_id, made.by, made.reason) == ("m5", "m5", "Kostnaden är för hög.")
    m.do(reservations.reserve, "1", "m6", by="chair")  # recorded by the chair
    m.refused("already_reserved", reservations.reserve, "1", "m5", by="m5")
    m.refused("did_not_vote_against", reservations.reserve, "1", "m1", by="chair")
    m.refused("did_not_vote_against", reservations.reserve, "1", "m4", by="chair")  # abstained
    m.refused("did_not_take_part", reservations.reserve, "1", "sC1", by="sC1")
    m.refused("not_allowed", reservations.reserve, "1", "m7", by="m5")


def test_someone_out_for_jav_did_not_take_part_and_cannot_reserve() -> None:
    m2 = Meeting()
    m2.do(agenda.change_item, "1", by="sec", draft="Bifall")
    m2.open_item("1")
    m2.do(jav.declare_jav, "m7", by="m7")
    draft = m2.do(proposals.state_draft, by="chair").proposal_id
    m2.do(proposals.end_deliberation, by="chair")
    m2.do(proposals.confirm_equal_terms, by="chair")
    m2.do(proposals.set_proposition_order, (draft,), by="chair")
    m2.do(proposals.put_question, draft, by="chair")
    m2.wait(60)
    decision = m2.do(proposals.decide, by="chair")
    assert "m7" not in decision.deciding
    m2.do(agenda.close_item, "1", by="chair")
    m2.refused("did_not_take_part", reservations.reserve, "1", "m7", by="m7")
    m2.do(reservations.reserve, "1", "m6", by="m6")  # by acclamation: any who took part


def test_no_reservation_after_the_meeting_closes_but_the_reason_may_follow() -> None:
    m = Meeting()
    decided_by_vote(m)
    m.do(reservations.reserve, "1", "m5", by="m5")
    m.do(agenda.close_item, "1", by="chair")
    m.do(MeetingState.close, by="chair")
    m.refused("reservation_after_close", reservations.reserve, "1", "m6", by="m6")
    m.wait(3600)
    given = m.do(reservations.give_reason, "1", "m5", "Skälen framgår av bilaga.", by="m5")
    assert m.state.reservations.by_item["1"]["m5"].reason == given.reason
    m.refused("no_reservation", reservations.give_reason, "1", "m6", "x", by="m6")
    m.wait(m.state.rules.reservation_reason_deadline_h * 3600)
    m.refused("reason_deadline_passed", reservations.give_reason, "1", "m5", "Sent", by="m5")


# -- who receives whom -----------------------------------------------------------------------------


def test_a_person_who_left_is_cut_both_ways_and_the_lobby_is_seen_by_the_room_only() -> None:
    m = Meeting()
    assert may_receive(m.state, "m5", "chair") and may_receive(m.state, "chair", "m5")
    m.do(MeetingState.leave, "m5", reason="jäv § 4")
    for other in ("chair", "sec", "m6", "sC1"):
        assert not may_receive(m.state, "m5", other)
        assert not may_receive(m.state, other, "m5")
    m.do(MeetingState.enter_lobby, "m5")
    assert may_receive(m.state, "chair", "m5") and may_receive(m.state, "sec", "m5")
    assert not may_receive(m.state, "m6", "m5") and not may_receive(m.state, "m5", "chair")


def test_adjournment_keeps_party_groups_apart_and_the_room_to_itself() -> None:
    m = Meeting(room=("chair", "sec", "m1", "m2", "m3", "m4"), remote=("m5", "m6", "m7", "m8"))
    # S: chair, m1, m3, m5, m7 · M: m2, m4, m6, m8 · C: the observer sC1
    m.do(adjournment.adjourn, by="chair", groups=[["S"], ["M"]], reason="gruppöverläggning")
    assert may_receive(m.state, "m5", "m7") and may_receive(m.state, "m7", "m1")
    assert may_receive(m.state, "m6", "m8") and may_receive(m.state, "m2", "m6")
    for s, p in (("m5", "m6"), ("m6", "m5"), ("m1", "m2"), ("m8", "m7")):
        assert not may_receive(m.state, s, p), (s, p)
    for remote in ("m5", "m6"):  # the room's devices and the remote members: nothing
        assert not may_receive(m.state, remote, "chair")
        assert not may_receive(m.state, "chair", remote)
        assert not may_receive(m.state, remote, "sec")
    assert may_receive(m.state, "chair", "sec")
    assert not may_receive(m.state, "sC1", "m5") and not may_receive(m.state, "m5", "sC1")

    m.do(adjournment.end_adjournment, by="chair")
    assert may_receive(m.state, "m5", "m6") and may_receive(m.state, "m5", "chair")


def test_party_groups_may_join_parties_and_must_be_known_and_disjoint() -> None:
    m = Meeting()
    m.refused("invalid_groups", adjournment.adjourn, by="chair", groups=[["S"], ["S", "M"]])
    m.refused("invalid_groups", adjournment.adjourn, by="chair", groups=[["XYZ"]])
    m.do(adjournment.adjourn, by="chair", groups=[["S", "C"], ["M"]])
    assert may_receive(m.state, "sC1", "m5")  # C joins S's group
    m.refused("already_adjourned", adjournment.adjourn, by="chair")


def test_no_adjournment_during_a_vote() -> None:
    m = Meeting()
    ids = m.to_proposition("m5")
    m.put(ids)
    m.do(votes.start_vote, by="chair")
    m.refused("vote_in_progress", adjournment.adjourn, by="chair")


def test_a_whole_procedure_replays_from_its_stored_events_to_the_same_state() -> None:
    import json

    from compliance.events import Event

    m = Meeting(room=("chair", "sec", "m1", "m2", "m3", "m4", "sM1"))
    decided_by_vote(m)
    m.do(reservations.reserve, "1", "m5", by="m5", reason="Nej")
    m.do(agenda.close_item, "1", by="chair")
    m.open_item("2")
    m.do(jav.declare_jav, "m6", by="m6")
    m.do(MeetingState.serve_substitute, "sM1", "m6", by="chair")
    m.do(adjournment.adjourn, by="chair", groups=[["S"], ["M", "C"]])
    m.do(adjournment.end_adjournment, by="chair")
    m.do(agenda.close_item, "2", by="chair")

    stored = [Event.from_dict(json.loads(json.dumps(e.to_dict()))) for e in m.events]
    assert stored == m.events
    assert MeetingState.replay(stored) == m.state
