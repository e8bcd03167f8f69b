"""The procedure over the WebSocket: members' and the chair's messages (docs/protocol.md),
each read by its schema and turned into a command of `compliance/` (agenda, speakers,
proposals, votes, reservations, jäv, adjournment).

Declared like every WebSocket message (server/schemas.py, docs/protocol.md "Declaring a
message"): a `Message` schema per type, registered by `install` from server/signalling.py.
Members act for themselves; a message's optional `person_id` names someone else, which the
rules allow the chair (or secretary) only: recording what a person in the room said. The
chair's messages need a dashboard connection (chair or secretary); the rules then say which
of them the chair alone may do. Refusals come back as `error` with the rule's code.

Also here: what the server adds to a decision (each remote deciding member's link record
from the media monitor, the random value for a draw) and what follows an event by itself
(a remote voter's link failed: the open vote is voided and the reason recorded).
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any, Literal

import msgspec
from msgspec import Meta, Struct

from compliance import adjournment, agenda, jav, proposals, reservations, speakers, votes
from compliance.events import Event, LinkFailed
from compliance.meeting import MeetingState

from .keys import SUPERVISORS
from .meetings import MeetingService
from .messages import error
from .schemas import Id, Message, message_type

if TYPE_CHECKING:
    from .signalling import Session

Text = Annotated[str, Meta(min_length=1, max_length=4000, pattern=r"^[^\x00]*$")]
Reason = Annotated[str, Meta(max_length=4000, pattern=r"^[^\x00]*$")]
Party = Annotated[str, Meta(min_length=1, max_length=40, pattern=r"^[^\x00-\x1f\x7f]+$")]
Count = Annotated[int, Meta(ge=0, le=10_000)]


# -- members (for themselves; `person_id` = acting for someone in the room: chair only) --------


class RequestFloor(Message, tag="request-floor"):
    person_id: Id | None = None
    reply: bool = False


class WithdrawFloor(Message, tag="withdraw-floor"):
    person_id: Id | None = None


class Propose(Message, tag="propose"):
    text: Text
    person_id: Id | None = None


class WithdrawProposal(Message, tag="withdraw-proposal"):
    proposal_id: Id


class RequestVote(Message, tag="request-vote"):
    person_id: Id | None = None


class CastVote(Message, tag="vote"):
    choice: Literal["ja", "nej", "avstår"]
    person_id: Id | None = None


class Reserve(Message, tag="reserve"):
    item_id: Id
    reason: Reason = ""
    person_id: Id | None = None


class ReservationReason(Message, tag="reservation-reason"):
    item_id: Id
    reason: Text
    person_id: Id | None = None


class DeclareJav(Message, tag="declare-jav"):
    item_id: Id | None = None
    reason: Reason = ""
    person_id: Id | None = None


class MyTechnicalPause(Message, tag="my-technical-pause"):
    on: bool


# -- the chair (dashboard connections) --------------------------------------------------------


class OpenItem(Message, tag="open-item"):
    item_id: Id


class CloseItem(Message, tag="close-item"):
    item_id: Id


class TableItem(Message, tag="table-item"):
    item_id: Id
    reason: Reason = ""


class GiveFloor(Message, tag="give-floor"):
    person_id: Id


class AllowReply(Message, tag="allow-reply"):
    person_id: Id


class StateDraft(Message, tag="state-draft"):
    text: Reason = ""


class EndDeliberation(Message, tag="end-deliberation"):
    pass


class ReopenDeliberation(Message, tag="reopen-deliberation"):
    pass


class ConfirmEqualTerms(Message, tag="confirm-equal-terms"):
    pass


class SetPropositionOrder(Message, tag="set-proposition-order"):
    order: Annotated[list[Id], Meta(min_length=1, max_length=100)]


class PutQuestion(Message, tag="put-question"):
    finding: Id


class StartVote(Message, tag="start-vote"):
    secret: bool = False


class Tally(Struct, frozen=True, forbid_unknown_fields=True):
    ja: Count = 0
    nej: Count = 0
    avstår: Count = 0


class CloseVote(Message, tag="close-vote"):
    casting: Literal["ja", "nej"] | None = None
    tally: Tally | None = None


class Decide(Message, tag="decide"):
    pass


class Adjourn(Message, tag="adjourn"):
    groups: Annotated[list[Annotated[list[Party], Meta(min_length=1, max_length=20)]],
                      Meta(max_length=20)] = msgspec.field(default_factory=list)
    reason: Reason = ""


class EndAdjournment(Message, tag="end-adjournment"):
    pass


class ChooseProfile(Message, tag="choose-profile"):
    profile_id: Id


# -- what each message does -------------------------------------------------------------------

Context = dict[str, Any]  # what the server adds: "links" (person id -> link record), "draw"
Command = Callable[[MeetingState, str, str, Any, Context], Event]


def _who(m: Any, by: str) -> str:
    return m.person_id or by


MEMBER_COMMANDS: dict[type[Message], Command] = {
    RequestFloor: lambda s, by, at, m, c: speakers.request_floor(
        s, _who(m, by), by=by, at=at, reply=m.reply),
    WithdrawFloor: lambda s, by, at, m, c: speakers.withdraw_floor(s, _who(m, by), by=by, at=at),
    Propose: lambda s, by, at, m, c: proposals.make_proposal(s, _who(m, by), m.text, by=by, at=at),
    WithdrawProposal: lambda s, by, at, m, c: proposals.withdraw_proposal(
        s, m.proposal_id, by=by, at=at),
    RequestVote: lambda s, by, at, m, c: proposals.request_vote(s, _who(m, by), by=by, at=at),
    CastVote: lambda s, by, at, m, c: votes.cast_vote(s, _who(m, by), m.choice, by=by, at=at),
    Reserve: lambda s, by, at, m, c: reservations.reserve(
        s, m.item_id, _who(m, by), by=by, at=at, reason=m.reason),
    ReservationReason: lambda s, by, at, m, c: reservations.give_reason(
        s, m.item_id, _who(m, by), m.reason, by=by, at=at),
    DeclareJav: lambda s, by, at, m, c: jav.declare_jav(
        s, _who(m, by), by=by, at=at, item_id=m.item_id, reason=m.reason),
    MyTechnicalPause: lambda s, by, at, m, c: (
        s.start_technical_pause if m.on else s.end_technical_pause)(by, at=at),
}

CHAIR_COMMANDS: dict[type[Message], Command] = {
    OpenItem: lambda s, by, at, m, c: agenda.open_item(s, m.item_id, by=by, at=at),
    CloseItem: lambda s, by, at, m, c: agenda.close_item(s, m.item_id, by=by, at=at),
    TableItem: lambda s, by, at, m, c: agenda.table_item(
        s, m.item_id, by=by, at=at, reason=m.reason),
    GiveFloor: lambda s, by, at, m, c: speakers.give_floor(s, m.person_id, by=by, at=at),
    AllowReply: lambda s, by, at, m, c: speakers.allow_reply(s, m.person_id, by=by, at=at),
    StateDraft: lambda s, by, at, m, c: proposals.state_draft(s, by=by, at=at, text=m.text),
    EndDeliberation: lambda s, by, at, m, c: proposals.end_deliberation(s, by=by, at=at),
    ReopenDeliberation: lambda s, by, at, m, c: proposals.reopen_deliberation(s, by=by, at=at),
    ConfirmEqualTerms: lambda s, by, at, m, c: proposals.confirm_equal_terms(s, by=by, at=at),
    SetPropositionOrder: lambda s, by, at, m, c: proposals.set_proposition_order(
        s, tuple(m.order), by=by, at=at),
    PutQuestion: lambda s, by, at, m, c: proposals.put_question(s, m.finding, by=by, at=at),
    StartVote: lambda s, by, at, m, c: votes.start_vote(s, by=by, at=at, secret=m.secret),
    CloseVote: lambda s, by, at, m, c: votes.close_vote(
        s, by=by, at=at, links=c["links"], casting=m.casting, draw=c["draw"],
        tally=None if m.tally is None else msgspec.structs.asdict(m.tally)),
    Decide: lambda s, by, at, m, c: proposals.decide(s, by=by, at=at, links=c["links"]),
    Adjourn: lambda s, by, at, m, c: adjournment.adjourn(
        s, by=by, at=at, groups=m.groups, reason=m.reason),
    EndAdjournment: lambda s, by, at, m, c: adjournment.end_adjournment(s, by=by, at=at),
    ChooseProfile: lambda s, by, at, m, c: s.choose_profile(m.profile_id, at, by=by),
}

# Who may send each chair message (the dashboards disable the others' buttons); the rules
# check it again. Members' messages are for everyone admitted.
CHAIR_ROLES: dict[str, list[str]] = {
    message_type(schema): ["ordförande", "sekreterare"] if schema is ChooseProfile
    else ["ordförande"] for schema in CHAIR_COMMANDS
}


# -- what the server adds -------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """JSON-safe: non-finite numbers become None (the log and the pages read strict JSON)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def link_records(session: Session) -> dict[str, dict[str, Any]]:
    """Each person's link record now, from the room's media monitor (state, score, figures,
    reasons, visible...): the evidence a decision keeps for its remote deciding members."""
    assert session.room is not None
    supervisor = session.app[SUPERVISORS].get(session.room.id)
    if supervisor is None:
        return {}
    return {key: _plain(row) for key, row in supervisor.monitor.snapshot().items()}


def draw() -> float:
    """A random value in [0, 1) for a draw by lot (recorded in the event)."""
    return secrets.randbelow(1_000_000) / 1_000_000


# -- handling -------------------------------------------------------------------------------------


def _handler(schema: type[Message], command: Command, chair: bool
             ) -> Callable[[Session, Any], Awaitable[None]]:
    """The handler of one message: who may send it, then the command, then `done`."""
    kind = message_type(schema)

    async def run(session: Session, message: Any) -> None:
        participant, room = session.participant, session.room
        assert participant is not None and room is not None
        by = participant.person_id
        if room.service is None or by is None:
            await session.send(error("guest-room", ref=kind))
            return
        if chair and not participant.dashboard:
            await session.send(error("not-allowed", ref=kind))
            return
        if not chair and not participant.admitted:
            await session.send(error("not-admitted", ref=kind))
            return
        context: Context = {
            "links": link_records(session) if schema in (CloseVote, Decide) else {},
            "draw": draw()}
        await room.service.run(room.id, lambda s, at: command(s, by, at, message, context))
        await session.send({"type": "done", "ref": kind})

    return run


def install(register: Callable[[type[Any], Callable[[Session, Any], Awaitable[None]]], None]
            ) -> None:
    """Register every procedure message with the WebSocket's router (server/signalling.py)."""
    for schema, command in MEMBER_COMMANDS.items():
        register(schema, _handler(schema, command, chair=False))
    for schema, command in CHAIR_COMMANDS.items():
        register(schema, _handler(schema, command, chair=True))


def follow_up(service: MeetingService) -> Callable[[str, Event], Any]:
    """A listener: when a remote voter's link fails during a vote, void the vote at once and
    record why (it is retaken once the link is back)."""

    async def listener(meeting_id: str, event: Event) -> None:
        if not isinstance(event, LinkFailed):
            return
        state = service.meeting(meeting_id)
        if state is not None and votes.compromised(state) is not None:
            await service.run(meeting_id, lambda s, at: _void(s, at))

    return listener


def _void(state: MeetingState, at: str) -> Event:
    voided = votes.void_if_compromised(state, at)
    assert voided is not None
    return voided
