"""Votes: roll call with the chair last, each person's vote in the result, ties broken by the
chair's casting vote or a recorded draw, counter-proposal votes, and the secret ballot."""

from __future__ import annotations

from compliance import agenda, proposals, votes
from compliance.events import DecisionRecorded, RoundDecided, VoteClosed
from compliance.meeting import MeetingState
from tests.procedure_helpers import Meeting

DECIDING = ("m1", "m2", "m3", "m4", "m5", "m6", "m7", "chair")  # the chair last


def vote_on_question(m: Meeting, answers: dict[str, str]) -> VoteClosed:
    m.do(votes.start_vote, by="chair")
    for pid, choice in answers.items():
        m.do(votes.cast_vote, pid, choice, by=pid if pid in ("m5", "m6", "m7") else "chair")
    return m.do(votes.close_vote, by="chair")  # type: ignore[no-any-return]


def test_voters_are_the_deciding_persons_with_the_chair_last() -> None:
    m = Meeting()
    ids = m.to_proposition("m5")
    m.put(ids)
    started = m.do(votes.start_vote, by="chair")
    assert started.voters == DECIDING  # not the secretary, not the observer sC1
    m.refused("not_deciding", votes.cast_vote, "sC1", "ja", by="sC1")


def test_the_chair_votes_last_and_the_result_lists_each_persons_vote() -> None:
    m = Meeting()
    ids = m.to_proposition("m5")
    m.put(ids)
    m.do(votes.start_vote, by="chair")
    m.refused("chair_votes_last", votes.cast_vote, "chair", "ja", by="chair")
    answers = {"m1": "ja", "m2": "ja", "m3": "nej", "m4": "avstår", "m5": "nej", "m6": "ja",
               "m7": "ja"}
    for pid, choice in answers.items():
        m.do(votes.cast_vote, pid, choice, by=pid if pid in ("m5", "m6", "m7") else "chair")
    m.refused("votes_missing", votes.close_vote, by="chair")
    m.refused("already_voted", votes.cast_vote, "m5", "ja", by="m5")
    m.do(votes.cast_vote, "chair", "ja", by="chair")
    closed = m.do(votes.close_vote, by="chair", links={"m5": {"state": "ok", "fps": 15}})
    assert closed.votes == {**answers, "chair": "ja"}
    assert closed.tally == {"ja": 5, "nej": 2, "avstår": 1}
    assert (closed.result, closed.winner, closed.tie_break) == ("ja", ids[0], "")
    assert set(closed.links) == {"m5", "m6", "m7"}  # each remote voter, as evidence
    assert closed.links["m5"] == {"state": "ok", "fps": 15} and closed.links["m6"] == {}
    decision = m.do(proposals.decide, by="chair")
    assert isinstance(decision, DecisionRecorded)
    assert (decision.proposal_id, decision.method, decision.vote_id) == (
        ids[0], "vote", closed.vote_id)


def test_a_members_own_vote_only_by_themselves_or_the_chair() -> None:
    m = Meeting()
    ids = m.to_proposition("m5")
    m.put(ids)
    m.do(votes.start_vote, by="chair")
    m.refused("not_allowed", votes.cast_vote, "m6", "ja", by="m5")


def test_a_tie_in_a_decision_goes_by_the_chairs_casting_vote() -> None:
    m = Meeting()
    ids = m.to_proposition("m5")
    m.put(ids)
    closed = vote_on_question(m, {"m1": "ja", "m2": "ja", "m3": "ja", "m4": "nej",
                                  "m5": "nej", "m6": "nej", "m7": "nej", "chair": "ja"})
    assert closed.tally == {"ja": 4, "nej": 4, "avstår": 0}
    assert (closed.tie_break, closed.result, closed.winner) == ("casting", "ja", ids[0])


def test_a_chair_who_abstained_must_still_give_the_casting_vote() -> None:
    m = Meeting()
    ids = m.to_proposition("m5")
    m.put(ids)
    m.do(votes.start_vote, by="chair")
    for pid, choice in {"m1": "ja", "m2": "ja", "m3": "ja", "m4": "avstår", "m5": "nej",
                        "m6": "nej", "m7": "nej", "chair": "avstår"}.items():
        m.do(votes.cast_vote, pid, choice, by=pid if pid in ("m5", "m6", "m7") else "chair")
    m.refused("casting_vote_required", votes.close_vote, by="chair")
    closed = m.do(votes.close_vote, by="chair", casting="nej")
    assert (closed.tie_break, closed.winner) == ("casting", ids[1])


def test_a_tie_in_an_election_is_drawn_by_lot_and_the_draw_recorded() -> None:
    for value, expected in ((0.2, 0), (0.7, 1)):
        m = Meeting()
        m.do(agenda.change_item, "1", by="sec", kind="election")
        ids = m.to_proposition("m5")
        m.put(ids)
        m.do(votes.start_vote, by="chair")
        for pid, choice in {"m1": "ja", "m2": "ja", "m3": "ja", "m4": "nej", "m5": "nej",
                            "m6": "nej", "m7": "nej", "chair": "ja"}.items():
            m.do(votes.cast_vote, pid, choice, by=pid if pid in ("m5", "m6", "m7") else "chair")
        m.refused("draw_required", votes.close_vote, by="chair")  # no casting vote here
        closed = m.do(votes.close_vote, by="chair", draw=value)
        assert closed.tie_break == "lot"
        assert closed.draw["value"] == value and "0,5" in closed.draw["rule"]
        assert closed.winner == ids[expected]


def test_three_proposals_go_through_a_counter_proposal_vote_first() -> None:
    m = Meeting()
    draft, by_m5, by_m1 = m.to_proposition("m5", "m1")
    first = m.put([draft, by_m5, by_m1])
    assert (first.stage, first.ja, first.nej) == ("counter", by_m5, by_m1)
    m.do(proposals.request_vote, "m6", by="m6")
    closed = vote_on_question(m, {"m1": "nej", "m2": "nej", "m3": "ja", "m4": "ja", "m5": "ja",
                                  "m6": "ja", "m7": "ja", "chair": "nej"})
    assert closed.winner == by_m5
    settled = m.do(proposals.decide, by="chair")
    assert isinstance(settled, RoundDecided) and settled.winner == by_m5
    assert m.state.proposals.of("1").decision is None  # only the counter-proposal so far

    main = m.put([])
    assert (main.stage, main.ja, main.nej) == ("main", draft, by_m5)
    m.wait(31)  # nobody asks for a vote: the chair's finding stands
    decision = m.do(proposals.decide, by="chair")
    assert isinstance(decision, DecisionRecorded)
    assert (decision.proposal_id, decision.method) == (draft, "acclamation")
    m.refused("already_decided", proposals.put_question, draft, by="chair")


def test_four_proposals_eliminate_in_the_chairs_order() -> None:
    m = Meeting()
    a, b, c, d = m.to_proposition("m5", "m1", "m6")
    first = m.put([a, c, d, b], finding=d)
    assert (first.ja, first.nej) == (c, d)
    m.wait(31)
    assert m.do(proposals.decide, by="chair").winner == d
    second = m.put([], finding=d)
    assert (second.stage, second.ja, second.nej) == ("counter", d, b)
    m.wait(31)
    m.do(proposals.decide, by="chair")
    third = m.put([])
    assert (third.stage, third.ja, third.nej) == ("main", a, d)


def test_secret_ballot_is_refused_under_todays_profile_when_anyone_deciding_is_remote() -> None:
    m = Meeting()
    ids = m.to_proposition("m5")
    m.put(ids)
    refusal = m.refused("secret_ballot_remote", votes.start_vote, by="chair", secret=True)
    assert refusal.offer == "table-item"
    assert "Bordlägg" in refusal.message_sv and "Table the item" in refusal.message_en
    tabled = m.do(agenda.table_item, "1", by="chair", reason="sluten omröstning")
    assert tabled.tabled and m.state.agenda.items["1"].status == "tabled"


def test_secret_ballot_in_the_room_is_counted_outside_kvorum() -> None:
    m = Meeting(remote=(), observers=(), room=("chair", "sec", "m1", "m2", "m3", "m4", "m5",
                                                "m6", "m7"))
    ids = m.to_proposition("m5")
    m.put(ids)
    started = m.do(votes.start_vote, by="chair", secret=True)
    assert started.secret
    m.refused("secret_ballot", votes.cast_vote, "m1", "ja", by="chair")
    m.refused("tally_required", votes.close_vote, by="chair")
    m.refused("tally_mismatch", votes.close_vote, by="chair", tally={"ja": 3, "nej": 2})
    closed = m.do(votes.close_vote, by="chair", tally={"ja": 5, "nej": 2, "avstår": 1})
    assert closed.votes == {} and closed.winner == ids[0]  # no one's ballot is known


def test_secret_ballot_with_remote_members_under_the_reform_profile_only_as_it_says() -> None:
    m = Meeting(profile="reform")
    assert m.state.rules.secret_ballot_with_remote == "count-outside"
    ids = m.to_proposition("m5")
    m.put(ids)
    started = m.do(votes.start_vote, by="chair", secret=True)
    assert started.secret
    m.refused("secret_ballot", votes.cast_vote, "m5", "ja", by="m5")  # never through Kvorum
    m.refused("draw_required", votes.close_vote, by="chair", tally={"ja": 4, "nej": 4})
    closed = m.do(votes.close_vote, by="chair", tally={"ja": 4, "nej": 4}, draw=0.9)
    assert (closed.tie_break, closed.winner, closed.votes) == ("lot", ids[1], {})


def test_a_voter_who_leaves_during_the_vote_gives_no_answer_and_the_vote_closes() -> None:
    m = Meeting()
    ids = m.to_proposition("m5")
    m.put(ids)
    m.do(votes.start_vote, by="chair")
    m.do(MeetingState.leave, "m4", reason="gick hem")
    for pid in ("m1", "m2", "m3", "m5", "m6", "m7"):
        m.do(votes.cast_vote, pid, "ja", by=pid if pid in ("m5", "m6", "m7") else "chair")
    m.do(votes.cast_vote, "chair", "ja", by="chair")  # m4 is gone: the chair is last now
    closed = m.do(votes.close_vote, by="chair")
    assert "m4" not in closed.votes and closed.tally["ja"] == 7


def test_the_chair_cannot_open_an_item_when_the_agenda_is_done() -> None:
    m = Meeting()
    for item_id in ("1", "2"):
        m.do(agenda.open_item, item_id, by="chair")
        m.do(agenda.close_item, item_id, by="chair")
    m.refused("agenda_done", agenda.open_item, "1", by="chair")
