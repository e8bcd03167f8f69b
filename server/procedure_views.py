"""What participants are shown of the procedure: the agenda, the open item, the speaker list,
proposals, the question put, the vote in progress, results and decisions.

`procedure_view` is what one admitted participant sees (with `you`: what they may do now);
a person with jäv in the open item sees that item's title and nothing of it. Dashboards
(chair, secretary) get the same view plus `detail`: the equal-terms check, each voter's
answer while the vote is open, and whether and why a decision is blocked.
"""

from __future__ import annotations

from typing import Any

from compliance.agenda import equal_terms_since_item_opened
from compliance.meeting import MeetingState
from compliance.profile import PROFILE_TITLES
from compliance.proposals import ItemProcedure
from compliance.reservations import may_reserve
from compliance.votes import Vote, compromised


def _name(state: MeetingState, person_id: str | None) -> str | None:
    if person_id is None:
        return None
    person = state.people.get(person_id)
    return person.name if person else person_id


def _person(state: MeetingState, person_id: str | None,
            connected: dict[str, str] | None = None) -> dict[str, Any] | None:
    if person_id is None:
        return None
    view: dict[str, Any] = {"person_id": person_id, "name": _name(state, person_id)}
    if connected is not None:
        view["participant_id"] = connected.get(person_id)
    return view


def profile_view(state: MeetingState) -> dict[str, Any]:
    sv, en = PROFILE_TITLES.get(state.profile_id, (state.rules.name, state.rules.name))
    return {"id": state.profile_id, "name": state.rules.name, "title_sv": sv, "title_en": en}


def _vote_result(state: MeetingState, vote: Vote) -> dict[str, Any] | None:
    closed = vote.closed
    if closed is None:
        return None
    return {
        "vote_id": vote.vote_id, "round": vote.round, "ja": vote.ja, "nej": vote.nej,
        "secret": vote.secret, "tally": closed.tally, "result": closed.result,
        "winner": closed.winner, "tie_break": closed.tie_break, "draw": closed.draw,
        "votes": [{"person_id": pid, "name": _name(state, pid), "choice": choice}
                  for pid, choice in closed.votes.items()],
        "at": closed.at,
    }


def _decision(state: MeetingState, procedure: ItemProcedure) -> dict[str, Any] | None:
    d = procedure.decision
    if d is None:
        return None
    return {"proposal_id": d.proposal_id, "text": d.text, "method": d.method,
            "vote_id": d.vote_id, "at": d.at, "deciding": list(d.deciding)}


def _item_view(state: MeetingState, item_id: str, viewer: str | None,
               connected: dict[str, str]) -> dict[str, Any]:
    item = state.agenda.items[item_id]
    procedure = state.proposals.of(item_id)
    current = procedure.current_round()
    open_vote = state.votes.open_vote()
    vote = open_vote if open_vote is not None and open_vote.item_id == item_id else None
    results = [r for v in state.votes.votes.values()
               if v.item_id == item_id and (r := _vote_result(state, v)) is not None]
    voided = [{"vote_id": v.vote_id, "code": v.voided.code, "message_sv": v.voided.message_sv,
               "message_en": v.voided.message_en, "at": v.voided.at}
              for v in state.votes.votes.values() if v.item_id == item_id and v.voided]
    return {
        "item_id": item_id, "title": item.title, "kind": item.kind, "draft": item.draft,
        "status": item.status, "opened_at": item.opened_at,
        "speakers": {
            "current": _person(state, state.speakers.current, connected)
            if state.agenda.current == item_id else None,
            "queue": [{"person_id": s.person_id, "name": _name(state, s.person_id),
                       "reply": s.reply, "allowed": s.allowed}
                      for s in state.speakers.queue] if state.agenda.current == item_id else [],
        },
        "proposals": [{"proposal_id": p.proposal_id, "text": p.text, "author": p.author,
                       "author_name": _name(state, p.author) if p.author else None,
                       "draft": p.draft, "withdrawn": p.withdrawn}
                      for p in procedure.proposals.values()],
        "deliberation_ended": procedure.deliberation_ended,
        "equal_terms_confirmed": None if procedure.confirmed is None else {
            "ok": procedure.confirmed.ok, "at": procedure.confirmed.at},
        "order": list(procedure.order),
        "next_question": _next_question(procedure, current),
        "question": None if current is None else {
            "round": current.number, "stage": current.stage, "ja": current.ja,
            "nej": current.nej, "finding": current.finding, "closes_at": current.closes_at,
            "requested_by": [_person(state, p) for p in current.requested_by],
            "vote_id": current.vote_id, "decided": current.winner is not None,
            "winner": current.winner},
        "vote": None if vote is None else {
            "vote_id": vote.vote_id, "round": vote.round, "ja": vote.ja, "nej": vote.nej,
            "secret": vote.secret, "kind": vote.kind,
            "voters": [{"person_id": p, "name": _name(state, p), "voted": p in vote.votes}
                       for p in vote.voters],
            "my_vote": vote.votes.get(viewer) if viewer else None},
        "results": results,
        "voided": voided,
        "decision": _decision(state, procedure),
        "jav": [_person(state, p) for p in state.jav.declared.get(item_id, {})],
        "reservations": [{"person_id": r.person_id, "name": _name(state, r.person_id),
                          "reason": r.reason, "at": r.at}
                         for r in state.reservations.by_item.get(item_id, {}).values()],
    }


def _next_question(procedure: ItemProcedure, current: Any) -> dict[str, Any] | None:
    """The question the chair would put next (stage, ja, nej), once the previous is settled."""
    if not procedure.order or (current is not None and current.winner is None):
        return None
    question = procedure.next_question()
    if question is None:
        return None
    stage, ja, nej = question
    return {"stage": stage, "ja": ja, "nej": nej}


def _you(state: MeetingState, person_id: str | None) -> dict[str, Any] | None:
    if person_id is None or person_id not in state.people:
        return None
    current = state.agenda.current
    presence = state.present.get(person_id)
    vote = state.votes.open_vote()
    reservable = [item.item_id for item in state.agenda.ordered()
                  if state.proposals.of(item.item_id).decision is not None
                  and may_reserve(state, item.item_id, person_id) is None]
    return {
        "person_id": person_id, "name": state.people[person_id].name,
        "role": state.people[person_id].role,
        "present": presence is not None, "paused": bool(presence and presence.paused),
        "deciding": state.can_decide(person_id),
        "jav": bool(current and state.jav.has(current, person_id)),
        "on_list": state.speakers.waiting(person_id) is not None,
        "speaking": state.speakers.current == person_id,
        "may_vote": vote is not None and not vote.secret and person_id in vote.voters
        and person_id not in vote.votes,
        "reservable": reservable,
        "adjournment_group": None if state.adjournment.current is None else
        state.adjournment.group_of(state.people[person_id].party),
    }


def procedure_view(state: MeetingState, viewer: str | None,
                   connected: dict[str, str] | None = None) -> dict[str, Any]:
    """The procedure as `viewer` (a person id) sees it: the `procedure` message."""
    connected = connected or {}
    current = state.agenda.current
    out_of_item = bool(current and viewer and state.jav.has(current, viewer))
    adjourned = state.adjournment.current
    handled = [i.item_id for i in state.agenda.ordered() if i.status in ("closed", "tabled")
               and state.proposals.of(i.item_id).decision is not None]
    return {
        "type": "procedure",
        "profile": profile_view(state),
        "phase": state.phase,
        "adjournment": None if adjourned is None else {
            "groups": [list(g) for g in adjourned.groups], "reason": adjourned.reason,
            "at": adjourned.at},
        "agenda": [{"item_id": i.item_id, "title": i.title, "kind": i.kind, "status": i.status,
                    "draft": i.draft} for i in state.agenda.ordered()],
        "item": None if current is None else (
            {"item_id": current, "title": state.agenda.items[current].title, "jav": True}
            if out_of_item else _item_view(state, current, viewer, connected)),
        "decided": [_item_view(state, item_id, viewer, connected) for item_id in handled],
        "you": _you(state, viewer),
    }


def procedure_detail(state: MeetingState) -> dict[str, Any]:
    """What only the chair and secretary see: the check before the question, each voter's
    answer so far, a void vote's reason, and the guard's answer now."""
    current = state.agenda.current
    check = equal_terms_since_item_opened(state) if current else None
    vote = state.votes.open_vote()
    block = state.decision_block()
    void = compromised(state)
    return {
        "equal_terms": None if check is None else {
            "ok": check.ok, "interruptions": [
                {**i, "name": _name(state, i.get("person_id"))} for i in check.interruptions]},
        "answers": None if vote is None else dict(vote.votes),
        "vote_void": None if void is None else {
            "code": void.code, "message_sv": void.message_sv, "message_en": void.message_en},
        "decision_block": None if block is None else {
            "code": block.code, "message_sv": block.message_sv, "message_en": block.message_en},
        "deciding": list(state.quorum().counted),
        "paused": [pid for pid, p in state.present.items() if p.paused],
    }
