"""The agenda, the speaker list, proposals and the proposition: who may do what, and when."""

from __future__ import annotations

from compliance import agenda, proposals, speakers
from compliance.meeting import MeetingState
from tests.procedure_helpers import Meeting

# -- agenda ----------------------------------------------------------------------------------------


def test_the_secretary_edits_pending_items_and_the_chair_opens_them_in_order() -> None:
    m = Meeting()
    assert [i.title for i in m.state.agenda.ordered()] == ["A", "B"]
    added = m.do(agenda.add_item, "Bygglov", by="sec", draft="Bevilja bygglov", position=1)
    assert added.item_id == "3"
    m.do(agenda.add_item, "Övrigt")  # the secretariat with its key: `by` empty
    m.do(agenda.move_item, "4", 0, by="sec")
    assert [i.item_id for i in m.state.agenda.ordered()] == ["4", "1", "3", "2"]
    m.do(agenda.remove_item, "4", by="sec")
    m.refused("not_allowed", agenda.add_item, "X", by="m1")

    m.refused("not_next_item", agenda.open_item, "3", by="chair")
    m.do(agenda.open_item, "1", by="chair")
    m.refused("item_already_open", agenda.open_item, "3", by="chair")
    m.refused("item_not_pending", agenda.change_item, "1", by="sec", title="Nytt")
    m.do(agenda.close_item, "1", by="chair")
    m.do(agenda.open_item, "3", by="chair")
    assert m.state.agenda.current == "3"


def test_nothing_of_the_procedure_happens_outside_an_open_item() -> None:
    m = Meeting()
    m.refused("no_open_item", speakers.request_floor, "m5", by="m5")
    m.refused("no_open_item", proposals.make_proposal, "m5", "Avslag", by="m5")
    m.refused("no_open_item", proposals.end_deliberation, by="chair")


def test_items_open_only_in_an_open_meeting() -> None:
    m = Meeting(open_meeting=False)
    m.refused("meeting_not_open", agenda.open_item, "1", by="chair")
    m.do(MeetingState.open, by="chair")
    m.do(MeetingState.suspend, reason="test")
    m.refused("meeting_suspended", agenda.open_item, "1", by="chair")


# -- speaker list ----------------------------------------------------------------------------------


def test_one_speaker_list_for_remote_requests_and_people_added_by_the_chair() -> None:
    m = Meeting()
    m.open_item()
    m.do(speakers.request_floor, "m5", by="m5")  # remote, in the app
    m.do(speakers.request_floor, "m1", by="chair")  # raised a hand in the room
    m.do(speakers.request_floor, "sC1", by="sC1")  # an observer may speak
    m.refused("already_on_list", speakers.request_floor, "m5", by="m5")
    m.refused("not_allowed", speakers.request_floor, "m6", by="m5")
    assert [s.person_id for s in m.state.speakers.queue] == ["m5", "m1", "sC1"]

    m.do(speakers.give_floor, "m5", by="chair")
    assert m.state.speakers.current == "m5"
    m.do(speakers.request_floor, "m6", by="m6", reply=True)
    assert [s.person_id for s in m.state.speakers.queue] == ["m1", "sC1", "m6"]
    m.do(speakers.allow_reply, "m6", by="chair")
    assert [s.person_id for s in m.state.speakers.queue] == ["m6", "m1", "sC1"]
    m.refused("no_reply_requested", speakers.allow_reply, "m1", by="chair")
    m.do(speakers.withdraw_floor, "m1", by="m1")
    m.do(speakers.give_floor, "sC1", by="chair")
    assert m.state.speakers.current == "sC1"
    m.refused("not_allowed", speakers.give_floor, "m6", by="m6")


def test_the_list_closes_with_the_deliberation() -> None:
    m = Meeting()
    m.open_item()
    m.do(speakers.request_floor, "m5", by="m5")
    m.do(speakers.give_floor, "m5", by="chair")
    m.do(proposals.end_deliberation, by="chair")
    assert m.state.speakers.current is None and m.state.speakers.queue == []
    m.refused("deliberation_ended", speakers.request_floor, "m6", by="m6")


def test_people_not_present_cannot_be_put_on_the_list() -> None:
    m = Meeting()
    m.open_item()
    m.refused("not_present", speakers.request_floor, "m10", by="chair")


# -- proposals -------------------------------------------------------------------------------------


def test_only_deciding_persons_propose() -> None:
    m = Meeting(room=("chair", "sec", "m1", "m2", "m3", "m4", "sS1"))
    m.open_item()
    for pid in ("sC1", "sec", "sS1"):  # observer, secretary, substitute not serving
        m.refused("not_deciding", proposals.make_proposal, pid, "Avslag", by="chair")
    m.refused("not_deciding", proposals.make_proposal, "sC1", "Avslag", by="sC1")
    made = m.do(proposals.make_proposal, "m5", "Avslag", by="m5")
    assert (made.author, made.by, made.text) == ("m5", "m5", "Avslag")
    m.do(proposals.make_proposal, "m1", "Återremiss", by="chair")  # recorded for the room
    m.refused("not_allowed", proposals.make_proposal, "m1", "X", by="m5")
    m.do(MeetingState.serve_substitute, "sS1", "m9", by="chair")
    m.do(proposals.make_proposal, "sS1", "Bifall med ändring", by="chair")  # now serving


def test_the_chair_states_the_draft_decision_once() -> None:
    m = Meeting()
    m.do(agenda.change_item, "1", by="sec", draft="Nämnden antar planen.")
    m.open_item()
    draft = m.do(proposals.state_draft, by="chair")
    assert (draft.text, draft.author, draft.draft) == ("Nämnden antar planen.", "", True)
    m.refused("draft_already_stated", proposals.state_draft, by="chair")
    m.refused("not_allowed", proposals.state_draft, by="m5")


def test_observers_may_not_ask_for_a_vote_and_the_window_is_longer_with_remote_members() -> None:
    m = Meeting()
    ids = m.to_proposition("m5")
    question = m.put(ids)
    assert question.window_s == m.state.rules.vote_request_window_remote_s
    m.refused("not_deciding", proposals.request_vote, "sC1", by="sC1")
    m.refused("vote_window_open", proposals.decide, by="chair")
    m.wait(question.window_s)
    m.refused("vote_window_closed", proposals.request_vote, "m5", by="m5")
    decision = m.do(proposals.decide, by="chair")
    assert decision.method == "acclamation" and decision.proposal_id == ids[0]
    assert decision.deciding == ("chair", "m1", "m2", "m3", "m4", "m5", "m6", "m7")
    assert set(decision.links) == {"m5", "m6", "m7"}
    assert decision.quorum == {"members": 13, "present": 8, "required": 7, "quorate": True}
    assert decision.profile == "today"


def test_the_window_is_shorter_when_everyone_deciding_is_in_the_room() -> None:
    m = Meeting(remote=(), observers=("sC1",))
    ids = m.to_proposition("m1")
    assert m.put(ids).window_s == m.state.rules.vote_request_window_s


def test_a_requested_vote_must_be_held() -> None:
    m = Meeting()
    ids = m.to_proposition("m5")
    m.put(ids)
    m.do(proposals.request_vote, "m6", by="m6")
    m.wait(60)
    m.refused("vote_requested", proposals.decide, by="chair")


def test_a_single_proposal_has_nothing_to_vote_on() -> None:
    m = Meeting()
    ids = m.to_proposition()
    question = m.put(ids)
    assert question.nej is None
    m.refused("nothing_to_vote_on", proposals.request_vote, "m5", by="m5")


def test_the_proposition_waits_for_the_confirmed_check() -> None:
    m = Meeting()
    m.do(agenda.change_item, "1", by="sec", draft="Bifall")
    m.open_item()
    draft = m.do(proposals.state_draft, by="chair").proposal_id
    m.refused("deliberation_not_ended", proposals.confirm_equal_terms, by="chair")
    m.do(proposals.end_deliberation, by="chair")
    m.refused("equal_terms_not_confirmed", proposals.set_proposition_order, (draft,), by="chair")
    m.refused("deliberation_ended", proposals.make_proposal, "m5", "Avslag", by="m5")
    m.do(proposals.reopen_deliberation, by="chair")
    other = m.do(proposals.make_proposal, "m5", "Avslag", by="m5").proposal_id
    m.do(proposals.end_deliberation, by="chair")
    m.do(proposals.confirm_equal_terms, by="chair")
    m.refused("invalid_order", proposals.set_proposition_order, (draft,), by="chair")
    m.do(proposals.set_proposition_order, (other, draft), by="chair")


def test_the_equal_terms_check_shows_every_interruption_since_the_item_opened() -> None:
    m = Meeting()
    m.do(MeetingState.start_technical_pause, "m6")  # before the item: not counted
    m.do(MeetingState.end_technical_pause, "m6")
    m.open_item()
    assert agenda.equal_terms_since_item_opened(m.state).ok
    m.do(MeetingState.report_link_failed, "m5")
    m.do(MeetingState.suspend, participant="m5", code="video.freeze")
    m.do(MeetingState.report_link_restored, "m5")
    m.do(MeetingState.resume, by="chair")
    m.do(MeetingState.start_technical_pause, "m7")
    m.do(MeetingState.end_technical_pause, "m7")
    m.do(MeetingState.start_technical_pause, "m1")  # in the room: not a remote link
    m.do(MeetingState.end_technical_pause, "m1")
    check = agenda.equal_terms_since_item_opened(m.state)
    assert not check.ok
    assert [(i["person_id"], i["what"]) for i in check.interruptions] == [
        ("m5", "link_failed"), ("m5", "suspended"), ("m7", "technical_pause")]
    m.do(proposals.end_deliberation, by="chair")
    confirmed = m.do(proposals.confirm_equal_terms, by="chair")
    assert not confirmed.ok and confirmed.interruptions == check.interruptions


def test_the_profile_is_chosen_before_the_meeting_opens_and_governs_the_quorum() -> None:
    m = Meeting(open_meeting=False, room=("chair", "sec", "m1", "m2", "m3"),
                remote=("m4", "m5"), observers=())
    seven = m.state.quorum()
    assert (seven.present, seven.required, seven.quorate) == (6, 7, False)
    m.refused("unknown_profile", MeetingState.choose_profile, "lagom", by="sec")
    m.refused("not_allowed", MeetingState.choose_profile, "seed-half", by="m1")
    chosen = m.do(MeetingState.choose_profile, "seed-half", by="sec")
    assert chosen.profile_id == "seed-half" and m.state.profile_id == "seed-half"
    half = m.state.quorum()
    assert (half.required, half.quorate) == (7, False)  # 13 members: at least half is 7 too
    m.do(MeetingState.open, by="chair")
    m.refused("profile_locked", MeetingState.choose_profile, "today", by="sec")


def test_at_least_half_differs_for_an_even_committee() -> None:
    from tests.test_meeting import new_meeting

    state = new_meeting(members=12)
    chosen = state.choose_profile("seed-half", "2026-03-01T10:00:00+01:00")
    before = state.quorum().required
    state.apply(chosen)
    assert (before, state.quorum().required) == (7, 6)
