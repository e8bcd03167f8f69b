"""Proposals (yrkanden), the end of the deliberation, the proposition and the decision.

Only deciding persons propose; the chair may state the committee's draft decision (förslag
till beslut) as a proposal. When the deliberation has ended and the chair has confirmed the
equal-terms check, the chair sets the order: the first proposal is the main one
(huvudförslag); with more than two, the others are put against each other in that order to
find the counter-proposal (kontrapropositionsvotering), then the main proposal is put against
it. Each question opens a window in which any deciding person may ask for a vote (longer when
anyone deciding is remote: profile). Without a request the chair's finding stands; with one,
the chair holds a vote (`compliance.votes`). The decision passes `decision_block()`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from compliance.agenda import equal_terms_since_item_opened, require_open_item
from compliance.events import (
    DecisionRecorded,
    DeliberationEnded,
    DeliberationReopened,
    EqualTermsConfirmed,
    Event,
    ProposalMade,
    ProposalWithdrawn,
    PropositionOrderSet,
    PropositionStage,
    QuestionPut,
    Role,
    RoundDecided,
    VoteClosed,
    VoteRequested,
    VoteStarted,
    VoteVoided,
)
from compliance.violations import RuleViolation

if TYPE_CHECKING:
    from compliance.meeting import MeetingState

CHAIR: tuple[Role, ...] = ("ordförande",)
CHAIR_OR_SECRETARY: tuple[Role, ...] = ("ordförande", "sekreterare")
MAX_TEXT = 4000


@dataclass
class Proposal:
    proposal_id: str
    text: str
    author: str  # "" for the committee's draft decision
    by: str
    at: str
    draft: bool = False
    withdrawn: bool = False


@dataclass
class Round:
    """One question put: `ja` against `nej`, the chair's finding, the vote window."""

    number: int
    stage: PropositionStage
    ja: str
    nej: str | None
    finding: str
    closes_at: str
    requested_by: list[str] = field(default_factory=list)
    vote_id: str | None = None  # the vote on it, while open or once closed
    vote_winner: str | None = None  # what the closed vote decided
    winner: str | None = None  # set when the round is decided


@dataclass
class ItemProcedure:
    """One item's proposals and where the proposition stands."""

    proposals: dict[str, Proposal] = field(default_factory=dict)
    deliberation_ended: bool = False
    confirmed: EqualTermsConfirmed | None = None
    order: tuple[str, ...] = ()
    rounds: list[Round] = field(default_factory=list)
    decision: DecisionRecorded | None = None

    def live(self) -> list[Proposal]:
        return [p for p in self.proposals.values() if not p.withdrawn]

    def current_round(self) -> Round | None:
        return self.rounds[-1] if self.rounds else None

    def next_question(self) -> tuple[PropositionStage, str, str | None] | None:
        """(stage, ja, nej) of the next question to put, or None when all are decided."""
        order, k = self.order, len(self.rounds)
        counter_rounds = max(0, len(order) - 2)
        if k < counter_rounds:
            ja = order[1] if k == 0 else self.rounds[k - 1].winner
            assert ja is not None
            return "counter", ja, order[k + 2]
        if k == counter_rounds and self.decision is None:
            if counter_rounds:
                nej = self.rounds[-1].winner
            else:
                nej = order[1] if len(order) == 2 else None
            return "main", order[0], nej
        return None


@dataclass
class Proposals:
    """Every item's procedure, by item id."""

    items: dict[str, ItemProcedure] = field(default_factory=dict)

    def of(self, item_id: str) -> ItemProcedure:
        """The item's procedure (an empty one, not kept, if nothing happened in it yet)."""
        return self.items.get(item_id) or ItemProcedure()

    def _kept(self, item_id: str) -> ItemProcedure:
        return self.items.setdefault(item_id, ItemProcedure())

    def apply(self, event: Event, state: MeetingState) -> bool:
        match event:
            case ProposalMade():
                self._kept(event.item_id).proposals[event.proposal_id] = Proposal(
                    event.proposal_id, event.text, event.author, event.by, event.at, event.draft
                )
            case ProposalWithdrawn():
                self._kept(event.item_id).proposals[event.proposal_id].withdrawn = True
            case DeliberationEnded() | DeliberationReopened():
                procedure = self._kept(event.item_id)
                procedure.deliberation_ended = isinstance(event, DeliberationEnded)
                procedure.confirmed = None
            case EqualTermsConfirmed():
                self._kept(event.item_id).confirmed = event
            case PropositionOrderSet():
                self._kept(event.item_id).order = event.order
            case QuestionPut():
                self._kept(event.item_id).rounds.append(
                    Round(event.round, event.stage, event.ja, event.nej, event.finding,
                          event.closes_at)
                )
            case VoteRequested():
                self._round(event.item_id, event.round).requested_by.append(event.person_id)
            case RoundDecided():
                self._round(event.item_id, event.round).winner = event.winner
            case DecisionRecorded():
                procedure = self._kept(event.item_id)
                procedure.decision = event
                if procedure.rounds:
                    procedure.rounds[-1].winner = event.proposal_id
            case VoteStarted():
                self._round(event.item_id, event.round).vote_id = event.vote_id
                return False
            case VoteClosed() | VoteVoided():
                for procedure in self.items.values():
                    for r in procedure.rounds:
                        if r.vote_id == event.vote_id:
                            if isinstance(event, VoteClosed):
                                r.vote_winner = event.winner
                            else:
                                r.vote_id = None
                return False
            case _:
                return False
        return True

    def _round(self, item_id: str, number: int) -> Round:
        return next(r for r in self._kept(item_id).rounds if r.number == number)


# -- helpers -------------------------------------------------------------------------------------


def _deliberating(state: MeetingState) -> tuple[str, ItemProcedure]:
    item = require_open_item(state)
    procedure = state.proposals.of(item.item_id)
    if procedure.deliberation_ended:
        raise RuleViolation(
            "deliberation_ended",
            "Överläggningen i ärendet är avslutad; nya yrkanden tas inte emot.",
            "The deliberation on the item has ended; no new proposals are taken.",
        )
    return item.item_id, procedure


def _text(text: str) -> str:
    text = text.strip()
    if not text or len(text) > MAX_TEXT:
        raise RuleViolation(
            "invalid_text",
            f"Texten ska vara 1–{MAX_TEXT} tecken.",
            f"The text must be 1–{MAX_TEXT} characters.",
        )
    return text


def _later(at: str, seconds: float) -> str:
    return (datetime.fromisoformat(at) + timedelta(seconds=seconds)).isoformat(
        timespec="milliseconds"
    )


def require_deciding(state: MeetingState, person_id: str) -> None:
    """The person decides in the open item: holds a seat, counts as present, no jäv."""
    person = state.person(person_id)
    if not state.can_decide(person_id):
        raise RuleViolation(
            "not_deciding",
            f"{person.name} deltar inte i beslutet (endast tjänstgörande ledamöter och "
            "ersättare får yrka och rösta).",
            f"{person.name} does not take part in the decision (only serving members and "
            "substitutes may propose and vote).",
        )


def _question(state: MeetingState) -> tuple[str, ItemProcedure, Round]:
    item = require_open_item(state)
    procedure = state.proposals.of(item.item_id)
    current = procedure.current_round()
    if current is None or current.winner is not None:
        raise RuleViolation(
            "no_question",
            "Ordföranden har inte ställt någon proposition som väntar på beslut.",
            "The chair has not put a question that awaits a decision.",
        )
    return item.item_id, procedure, current


def _guard(state: MeetingState) -> None:
    block = state.decision_block()
    if block is not None:
        raise block


# -- commands ------------------------------------------------------------------------------------


def make_proposal(
    state: MeetingState, author: str, text: str, by: str, at: str
) -> ProposalMade:
    """A deciding person proposes (themselves, or recorded by the chair or secretary)."""
    item_id, procedure = _deliberating(state)
    if by != author:
        state._require_by(by, CHAIR_OR_SECRETARY)
    require_deciding(state, author)
    proposal_id = f"{item_id}.{len(procedure.proposals) + 1}"
    return ProposalMade(
        at=at, item_id=item_id, proposal_id=proposal_id, text=_text(text), author=author, by=by
    )


def state_draft(state: MeetingState, by: str, at: str, text: str = "") -> ProposalMade:
    """The chair states the committee's draft decision (förslag till beslut) as a proposal;
    the text is the agenda item's draft unless given."""
    item_id, procedure = _deliberating(state)
    state._require_by(by, CHAIR)
    if any(p.draft for p in procedure.live()):
        raise RuleViolation(
            "draft_already_stated",
            "Förslaget till beslut är redan framställt.",
            "The draft decision has already been stated.",
        )
    body = _text(text or state.agenda.items[item_id].draft)
    proposal_id = f"{item_id}.{len(procedure.proposals) + 1}"
    return ProposalMade(
        at=at, item_id=item_id, proposal_id=proposal_id, text=body, author="", by=by, draft=True
    )


def withdraw_proposal(
    state: MeetingState, proposal_id: str, by: str, at: str
) -> ProposalWithdrawn:
    """Its author (or the chair) withdraws a proposal before the proposition order is set."""
    item = require_open_item(state)
    procedure = state.proposals.of(item.item_id)
    proposal = procedure.proposals.get(proposal_id)
    if proposal is None or proposal.withdrawn:
        raise _unknown_proposal()
    if by != proposal.author:
        state._require_by(by, CHAIR)
    if procedure.order:
        raise RuleViolation(
            "proposition_started",
            "Propositionsordningen är redan fastställd.",
            "The proposition order has already been set.",
        )
    return ProposalWithdrawn(at=at, item_id=item.item_id, proposal_id=proposal_id, by=by)


def end_deliberation(state: MeetingState, by: str, at: str) -> DeliberationEnded:
    """The chair ends the deliberation: the list closes, no new proposals."""
    item_id, _ = _deliberating(state)
    state._require_by(by, CHAIR)
    return DeliberationEnded(at=at, item_id=item_id, by=by)


def reopen_deliberation(state: MeetingState, by: str, at: str) -> DeliberationReopened:
    """The chair reopens the deliberation, before any question is put (e.g. after the
    equal-terms check showed a member was interrupted)."""
    item = require_open_item(state)
    state._require_by(by, CHAIR)
    procedure = state.proposals.of(item.item_id)
    if not procedure.deliberation_ended:
        raise RuleViolation(
            "deliberation_not_ended",
            "Överläggningen pågår fortfarande.",
            "The deliberation is still going on.",
        )
    if procedure.rounds:
        raise RuleViolation(
            "proposition_started",
            "Ordföranden har redan ställt proposition.",
            "The chair has already put the question.",
        )
    return DeliberationReopened(at=at, item_id=item.item_id, by=by)


def confirm_equal_terms(state: MeetingState, by: str, at: str) -> EqualTermsConfirmed:
    """After the deliberation the chair confirms having checked that every deciding remote
    member is still connected and present; the check, as the log shows it, goes with it."""
    item = require_open_item(state)
    state._require_by(by, CHAIR)
    if not state.proposals.of(item.item_id).deliberation_ended:
        raise RuleViolation(
            "deliberation_not_ended",
            "Avsluta överläggningen först.",
            "End the deliberation first.",
        )
    check = equal_terms_since_item_opened(state)
    return EqualTermsConfirmed(
        at=at, item_id=item.item_id, by=by, ok=check.ok, interruptions=check.interruptions
    )


def set_proposition_order(
    state: MeetingState, order: tuple[str, ...], by: str, at: str
) -> PropositionOrderSet:
    """The chair orders the proposals: the main proposal first."""
    item = require_open_item(state)
    state._require_by(by, CHAIR)
    procedure = state.proposals.of(item.item_id)
    if procedure.confirmed is None:
        raise RuleViolation(
            "equal_terms_not_confirmed",
            "Avsluta överläggningen och bekräfta kontrollen av distansdeltagarna först.",
            "End the deliberation and confirm the check of the remote members first.",
        )
    if procedure.rounds:
        raise RuleViolation(
            "proposition_started",
            "Ordföranden har redan ställt proposition.",
            "The chair has already put the question.",
        )
    live = {p.proposal_id for p in procedure.live()}
    if not order or len(set(order)) != len(order) or set(order) != live:
        raise RuleViolation(
            "invalid_order",
            "Propositionsordningen ska innehålla varje yrkande i ärendet exakt en gång.",
            "The proposition order must hold every proposal on the item exactly once.",
        )
    return PropositionOrderSet(at=at, item_id=item.item_id, order=tuple(order), by=by)


def put_question(state: MeetingState, finding: str, by: str, at: str) -> QuestionPut:
    """The chair puts the next question and says which alternative the committee supports;
    the window for asking for a vote opens (longer when anyone deciding is remote)."""
    item = require_open_item(state)
    state._require_by(by, CHAIR)
    procedure = state.proposals.of(item.item_id)
    if not procedure.order:
        raise RuleViolation(
            "no_proposition_order",
            "Fastställ propositionsordningen först.",
            "Set the proposition order first.",
        )
    current = procedure.current_round()
    if current is not None and current.winner is None:
        raise RuleViolation(
            "question_pending",
            "Den förra propositionen väntar fortfarande på beslut.",
            "The previous question still awaits a decision.",
        )
    question = procedure.next_question()
    if question is None:
        raise RuleViolation(
            "already_decided", "Ärendet är redan avgjort.", "The item has already been decided."
        )
    stage, ja, nej = question
    if finding not in (ja, nej):
        raise RuleViolation(
            "invalid_finding",
            "Ordförandens förslag till beslut ska vara ett av de två alternativen.",
            "The chair's finding must be one of the two alternatives.",
        )
    remote = any(
        state.present[pid].where == "remote" for pid in state.quorum().counted
    )
    rules = state.rules
    window = rules.vote_request_window_remote_s if remote else rules.vote_request_window_s
    return QuestionPut(
        at=at, item_id=item.item_id, round=len(procedure.rounds) + 1, stage=stage, ja=ja,
        nej=nej, finding=finding, by=by, window_s=window, closes_at=_later(at, window),
    )


def request_vote(state: MeetingState, person_id: str, by: str, at: str) -> VoteRequested:
    """A deciding person asks for a vote (votering) within the window."""
    item_id, _, current = _question(state)
    if by != person_id:
        state._require_by(by, CHAIR_OR_SECRETARY)
    require_deciding(state, person_id)
    if current.nej is None:
        raise RuleViolation(
            "nothing_to_vote_on",
            "Det finns bara ett yrkande; det finns inget att rösta om.",
            "There is only one proposal; there is nothing to vote on.",
        )
    if current.vote_id is not None or person_id in current.requested_by:
        raise RuleViolation(
            "vote_already_requested",
            "Votering är redan begärd.",
            "A vote has already been requested.",
        )
    if datetime.fromisoformat(at) > datetime.fromisoformat(current.closes_at):
        raise RuleViolation(
            "vote_window_closed",
            "Tiden för att begära votering har gått ut.",
            "The time to ask for a vote has run out.",
        )
    return VoteRequested(at=at, item_id=item_id, round=current.number, person_id=person_id, by=by)


def decide(
    state: MeetingState, by: str, at: str, links: Mapping[str, Mapping[str, Any]] | None = None
) -> RoundDecided | DecisionRecorded:
    """The chair settles the question put: by the finding when nobody asked for a vote and
    the window has closed, or by the closed vote. The main question's answer is the
    committee's decision, recorded with the deciding persons, the quorum, the profile and
    each remote deciding member's link record (`links`, supplied by the server)."""
    item_id, procedure, current = _question(state)
    state._require_by(by, CHAIR)
    _guard(state)
    method: Literal["acclamation", "vote"]
    if current.vote_id is not None:
        if current.vote_winner is None:
            raise RuleViolation(
                "vote_in_progress",
                "Omröstningen pågår; avsluta den först.",
                "The vote is in progress; close it first.",
            )
        winner, method, vote_id = current.vote_winner, "vote", current.vote_id
    else:
        if current.requested_by:
            raise RuleViolation(
                "vote_requested",
                "Votering är begärd; genomför omröstningen.",
                "A vote has been requested; hold the vote.",
            )
        if datetime.fromisoformat(at) < datetime.fromisoformat(current.closes_at):
            raise RuleViolation(
                "vote_window_open",
                "Vänta: ledamöterna har ännu tid att begära votering.",
                "Wait: the members still have time to ask for a vote.",
            )
        winner, method, vote_id = current.finding, "acclamation", None
    if current.stage == "counter":
        return RoundDecided(
            at=at, item_id=item_id, round=current.number, winner=winner,
            method=method, vote_id=vote_id, by=by,
        )
    q = state.quorum()
    remote = [pid for pid in q.counted if state.present[pid].where == "remote"]
    given = links or {}
    return DecisionRecorded(
        at=at, item_id=item_id, proposal_id=winner, text=procedure.proposals[winner].text,
        method=method, vote_id=vote_id, by=by, deciding=q.counted,
        quorum={"members": q.members, "present": q.present, "required": q.required,
                "quorate": q.quorate},
        profile=state.profile_id, links={pid: dict(given.get(pid, {})) for pid in remote},
    )


def _unknown_proposal() -> RuleViolation:
    return RuleViolation(
        "unknown_proposal", "Yrkandet finns inte.", "The proposal does not exist."
    )
