"""The meeting's facts: one frozen dataclass per event, stored as JSON in the event log.

Events are past-tense facts, validated by the commands in `compliance.meeting` before they are
written. Every event carries `at`, an ISO 8601 timestamp with offset (local time of the meeting
place), given by the caller: nothing here reads a clock.
"""

from __future__ import annotations

import builtins
import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, TypeVar

Role = Literal["ordförande", "ledamot", "ersättare", "sekreterare", "tjänsteperson"]
ROLES: tuple[Role, ...] = ("ordförande", "ledamot", "ersättare", "sekreterare", "tjänsteperson")
ROLE_EN: dict[str, str] = {
    "ordförande": "chair",
    "ledamot": "member",
    "ersättare": "substitute",
    "sekreterare": "secretary",
    "tjänsteperson": "official",
}
SEAT_ROLES: frozenset[str] = frozenset({"ordförande", "ledamot"})  # the committee's members
ELECTED_ROLES: frozenset[str] = SEAT_ROLES | {"ersättare"}

RemoteMode = Literal["deciding", "attending-only"]
REMOTE_MODES: tuple[RemoteMode, ...] = ("deciding", "attending-only")

E = TypeVar("E", bound="Event")


@dataclass(frozen=True, kw_only=True)
class Event:
    """Base of all events: `type` names the event, `at` says when it happened."""

    type: ClassVar[str] = ""
    registry: ClassVar[dict[str, builtins.type[Event]]] = {}
    at: str

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.type in Event.registry:
            raise TypeError(f"duplicate event type {cls.type!r}")
        Event.registry[cls.type] = cls

    def to_dict(self) -> dict[str, Any]:
        """The event as a JSON-ready dict, `type` included."""
        return {"type": self.type, **dataclasses.asdict(self)}

    @classmethod
    def from_dict(cls: builtins.type[E], data: dict[str, Any]) -> E:
        """Rebuild an event from `to_dict()` output; on `Event` it dispatches on `type`."""
        fields = dict(data)
        kind = fields.pop("type")
        target = Event.registry.get(kind)
        if target is None or not issubclass(target, cls):
            raise ValueError(f"unknown or unexpected event type {kind!r}")
        values: dict[str, Any] = {k: _tuples(v) for k, v in fields.items()}
        return target(**values)


def _tuples(value: Any) -> Any:
    """JSON lists back to the tuples events hold (nested too); dicts are left as they are."""
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


@dataclass(frozen=True, kw_only=True)
class CommitteeCreated(Event):
    """A committee (nämnd) exists; `party_order` is the order in which other parties'
    substitutes are called when a party has none left."""

    type = "committee_created"
    committee_id: str
    name: str
    party_order: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class PersonAdded(Event):
    """A person joins the committee's roster; `substitute_order` ranks ersättare in a party."""

    type = "person_added"
    person_id: str
    name: str
    role: Role
    party: str = ""
    substitute_order: int | None = None
    email: str = ""


@dataclass(frozen=True, kw_only=True)
class MeetingCreated(Event):
    """A meeting (sammanträde) is called: date, time, place and agenda items."""

    type = "meeting_created"
    meeting_id: str
    committee_id: str
    date: str  # YYYY-MM-DD, local
    time: str  # HH:MM, local
    place: str
    agenda: tuple[str, ...] = ()
    profile: str = ""  # the rule profile's id (compliance.profile.PROFILES); "" = the default


@dataclass(frozen=True, kw_only=True)
class InvitationIssued(Event):
    """A personal invitation link was issued to a person."""

    type = "invitation_issued"
    invitation_id: str
    person_id: str


@dataclass(frozen=True, kw_only=True)
class InvitationRevoked(Event):
    """An invitation link stops working (lost, forwarded, person replaced)."""

    type = "invitation_revoked"
    invitation_id: str
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class RemoteRequested(Event):
    """A member asks to take part remotely; `late` if asked after the deadline."""

    type = "remote_requested"
    person_id: str
    mode: RemoteMode
    late: bool
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class RemoteDecided(Event):
    """The chair approves or refuses a person's latest remote request."""

    type = "remote_decided"
    person_id: str
    approved: bool
    by: str
    reason: str = ""
    recorded_by: str = ""  # "" the chair acted; "secretariat": recorded on the chair's word


@dataclass(frozen=True, kw_only=True)
class LobbyEntered(Event):
    """A remote person opened their invitation and waits to be admitted."""

    type = "lobby_entered"
    person_id: str


@dataclass(frozen=True, kw_only=True)
class Admitted(Event):
    """The chair or secretary let a remote person in from the lobby, in a given mode."""

    type = "admitted"
    person_id: str
    mode: RemoteMode
    by: str


@dataclass(frozen=True, kw_only=True)
class MarkedPresent(Event):
    """A person is in the room, confirmed at roll call (upprop) by the chair or secretary."""

    type = "marked_present"
    person_id: str
    by: str


@dataclass(frozen=True, kw_only=True)
class LeftMeeting(Event):
    """A person left the meeting (or the lobby), e.g. for jäv on an item; `by` is who
    recorded it: the chair or secretary, or the person who pressed "Lämna mötet"."""

    type = "left"
    person_id: str
    reason: str = ""
    by: str = ""


@dataclass(frozen=True, kw_only=True)
class TechnicalPauseStarted(Event):
    """A person steps out briefly without being counted as having left."""

    type = "technical_pause_started"
    person_id: str


@dataclass(frozen=True, kw_only=True)
class TechnicalPauseEnded(Event):
    """A person is back from a technical pause."""

    type = "technical_pause_ended"
    person_id: str


@dataclass(frozen=True, kw_only=True)
class LinkFailed(Event):
    """The media monitor found a remote person's picture or sound failing (KL 6:24): the
    finding's `code` and `params`, worded by `compliance.reasons`. (`evidence` is the
    free-form record of logs written before codes.)"""

    type = "link_failed"
    person_id: str
    code: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class LinkRestored(Event):
    """The media monitor found a remote person's picture and sound good again."""

    type = "link_restored"
    person_id: str


@dataclass(frozen=True, kw_only=True)
class SubstituteServing(Event):
    """A substitute (ersättare) serves in a member's seat, confirmed by the chair."""

    type = "substitute_serving"
    substitute_id: str
    member_id: str
    by: str


@dataclass(frozen=True, kw_only=True)
class SubstituteReleased(Event):
    """A substitute stops serving; the seat returns to its member (e.g. after jäv)."""

    type = "substitute_released"
    substitute_id: str
    by: str


@dataclass(frozen=True, kw_only=True)
class MeetingOpened(Event):
    """The chair opened the meeting after the roll call."""

    type = "meeting_opened"
    by: str


@dataclass(frozen=True, kw_only=True)
class MeetingSuspended(Event):
    """The meeting is interrupted (avbrutet, KL 6:24) because of `participant`'s link: the
    finding's `code` and `params`, worded by `compliance.reasons`. `reason` is free text
    (and all that logs written before codes hold; `evidence` too is theirs)."""

    type = "meeting_suspended"
    participant: str | None = None
    code: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    reason: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class MeetingResumed(Event):
    """The chair resumed a suspended meeting once the links were good again."""

    type = "meeting_resumed"
    by: str


@dataclass(frozen=True, kw_only=True)
class MeetingClosed(Event):
    """The chair closed the meeting."""

    type = "meeting_closed"
    by: str


# -- the rule profile ------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ProfileChosen(Event):
    """The rule profile the meeting follows (compliance.profile.PROFILES), chosen before it
    opens; `by` is empty when the secretariat chose it with its key."""

    type = "profile_chosen"
    profile_id: str
    by: str = ""


# -- the agenda (compliance.agenda) ----------------------------------------------------------------

ItemKind = Literal["decision", "election", "information"]
ITEM_KINDS: tuple[ItemKind, ...] = ("decision", "election", "information")


@dataclass(frozen=True, kw_only=True)
class AgendaItemAdded(Event):
    """An item on the agenda (föredragningslista), with the committee's draft decision
    (förslag till beslut); `position` None = last. Items of `meeting_created.agenda` are
    items "1", "2", ... without an event of their own."""

    type = "agenda_item_added"
    item_id: str
    title: str
    kind: ItemKind = "decision"
    draft: str = ""
    position: int | None = None
    by: str = ""


@dataclass(frozen=True, kw_only=True)
class AgendaItemChanged(Event):
    """A pending item's title, kind or draft decision changed."""

    type = "agenda_item_changed"
    item_id: str
    title: str
    kind: ItemKind
    draft: str
    by: str = ""


@dataclass(frozen=True, kw_only=True)
class AgendaItemRemoved(Event):
    """A pending item was taken off the agenda."""

    type = "agenda_item_removed"
    item_id: str
    by: str = ""


@dataclass(frozen=True, kw_only=True)
class AgendaItemMoved(Event):
    """A pending item moved to `position` (0 = first)."""

    type = "agenda_item_moved"
    item_id: str
    position: int
    by: str = ""


@dataclass(frozen=True, kw_only=True)
class ItemOpened(Event):
    """The chair opened the next item; everything below happens within it."""

    type = "item_opened"
    item_id: str
    by: str


@dataclass(frozen=True, kw_only=True)
class ItemClosed(Event):
    """The chair closed the item, or tabled it (bordläggning, `tabled`, with `reason`).
    `returned`: people with jäv for it, let back in; `released`: the substitutes who served
    for them during it, whose seats return to their members."""

    type = "item_closed"
    item_id: str
    by: str
    tabled: bool = False
    reason: str = ""
    returned: tuple[str, ...] = ()
    released: tuple[str, ...] = ()


# -- the speaker list (compliance.speakers) -----------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class FloorRequested(Event):
    """A person asks for the floor (`by` themselves) or the chair puts them on the list;
    `reply` for a reply (replik), which waits until the chair allows it."""

    type = "floor_requested"
    item_id: str
    person_id: str
    by: str
    reply: bool = False


@dataclass(frozen=True, kw_only=True)
class FloorWithdrawn(Event):
    """A person left the speaker list (withdrew, or the chair took them off)."""

    type = "floor_withdrawn"
    item_id: str
    person_id: str
    by: str


@dataclass(frozen=True, kw_only=True)
class ReplyAllowed(Event):
    """The chair allowed a reply: it moves to the head of the list."""

    type = "reply_allowed"
    item_id: str
    person_id: str
    by: str


@dataclass(frozen=True, kw_only=True)
class FloorGiven(Event):
    """The chair gave the floor: this person speaks now (shown large for everyone)."""

    type = "floor_given"
    item_id: str
    person_id: str
    by: str


# -- proposals, proposition and decision (compliance.proposals) -----------------------------------


@dataclass(frozen=True, kw_only=True)
class ProposalMade(Event):
    """A proposal (yrkande) on the item. `author` is the deciding person who proposes; for
    the committee's draft decision stated by the chair (`draft`) it is empty."""

    type = "proposal_made"
    item_id: str
    proposal_id: str
    text: str
    author: str
    by: str
    draft: bool = False


@dataclass(frozen=True, kw_only=True)
class ProposalWithdrawn(Event):
    """Its author (or the chair) withdrew a proposal before the proposition order was set."""

    type = "proposal_withdrawn"
    item_id: str
    proposal_id: str
    by: str


@dataclass(frozen=True, kw_only=True)
class DeliberationEnded(Event):
    """The chair declared the deliberation over: no more speakers or proposals."""

    type = "deliberation_ended"
    item_id: str
    by: str


@dataclass(frozen=True, kw_only=True)
class DeliberationReopened(Event):
    """The chair reopened the deliberation (before any question was put)."""

    type = "deliberation_reopened"
    item_id: str
    by: str


@dataclass(frozen=True, kw_only=True)
class EqualTermsConfirmed(Event):
    """After the deliberation the chair checked, and confirms, that every deciding remote
    member has been connected on equal terms since the item opened: `ok` and the
    `interruptions` the log shows (person_id, what, at) as the chair saw them."""

    type = "equal_terms_confirmed"
    item_id: str
    by: str
    ok: bool
    interruptions: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True, kw_only=True)
class PropositionOrderSet(Event):
    """The order the chair puts the proposals in: the first is the main proposal
    (huvudförslag); the others are put against each other, in this order, to find the
    counter-proposal (kontraproposition)."""

    type = "proposition_order_set"
    item_id: str
    order: tuple[str, ...]
    by: str


PropositionStage = Literal["counter", "main"]


@dataclass(frozen=True, kw_only=True)
class QuestionPut(Event):
    """The chair puts one question (proposition): `ja` against `nej` (`nej` None when only
    one proposal stands), says which the committee supports (`finding`), and opens the
    window, until `closes_at`, in which any deciding person may ask for a vote."""

    type = "question_put"
    item_id: str
    round: int
    stage: PropositionStage
    ja: str
    nej: str | None
    finding: str
    by: str
    window_s: float
    closes_at: str


@dataclass(frozen=True, kw_only=True)
class VoteRequested(Event):
    """A deciding person asked for a vote (votering) on the question put."""

    type = "vote_requested"
    item_id: str
    round: int
    person_id: str
    by: str


@dataclass(frozen=True, kw_only=True)
class RoundDecided(Event):
    """A counter-proposal question is settled: `winner` goes on (by acclamation, or by the
    vote `vote_id`)."""

    type = "round_decided"
    item_id: str
    round: int
    winner: str
    method: Literal["acclamation", "vote"]
    vote_id: str | None
    by: str


@dataclass(frozen=True, kw_only=True)
class DecisionRecorded(Event):
    """The committee's decision on the item, with what a court needs to check it: who
    decided (`deciding`), the quorum, the rule profile, and each remote deciding member's
    link record at the decision (`links`, from the media monitor)."""

    type = "decision_recorded"
    item_id: str
    proposal_id: str
    text: str
    method: Literal["acclamation", "vote"]
    vote_id: str | None
    by: str
    deciding: tuple[str, ...]
    quorum: dict[str, Any]
    profile: str
    links: dict[str, Any] = field(default_factory=dict)


# -- votes (compliance.votes) ----------------------------------------------------------------------

Choice = Literal["ja", "nej", "avstår"]
CHOICES: tuple[Choice, ...] = ("ja", "nej", "avstår")


@dataclass(frozen=True, kw_only=True)
class VoteStarted(Event):
    """A vote on the question put: open by roll call, or secret (sluten omröstning) with the
    ballots cast and counted outside Kvorum. `voters` are the deciding persons, the chair
    last. `kind` is the item's (a tie in an election is drawn by lot)."""

    type = "vote_started"
    item_id: str
    vote_id: str
    round: int
    ja: str
    nej: str
    kind: ItemKind
    secret: bool
    voters: tuple[str, ...]
    by: str


@dataclass(frozen=True, kw_only=True)
class VoteCast(Event):
    """One deciding person's answer in an open vote, given in the app (`by` themselves) or
    recorded by the chair for a person in the room."""

    type = "vote_cast"
    vote_id: str
    person_id: str
    choice: Choice
    by: str


@dataclass(frozen=True, kw_only=True)
class VoteClosed(Event):
    """The result: each person's vote (open votes), the totals, the winning alternative.
    `tie_break` is "" or "casting" (the chair's casting vote) or "lot" (a draw: `draw`
    holds the random value the server drew and the rule that read it). `links` holds each
    remote voter's link record at the close (from the media monitor)."""

    type = "vote_closed"
    vote_id: str
    by: str
    votes: dict[str, str]
    tally: dict[str, int]
    result: Literal["ja", "nej"]
    winner: str
    tie_break: Literal["", "casting", "lot"] = ""
    draw: dict[str, Any] = field(default_factory=dict)
    links: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class VoteVoided(Event):
    """The vote is void and must be retaken, with the reason (e.g. a remote voter's link
    failed during it)."""

    type = "vote_voided"
    vote_id: str
    code: str
    person_ids: tuple[str, ...]
    message_sv: str
    message_en: str


# -- reservations (compliance.reservations) ----------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ReservationMade(Event):
    """A deciding person who voted against the decision reserved against it (reservation),
    themselves in the app or recorded by the chair; `reason` is optional."""

    type = "reservation_made"
    item_id: str
    person_id: str
    by: str
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class ReservationReasonGiven(Event):
    """The written reason for a reservation, given later (until the profile's deadline)."""

    type = "reservation_reason_given"
    item_id: str
    person_id: str
    by: str
    reason: str


# -- jäv (compliance.jav) ----------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class JavDeclared(Event):
    """A person has a conflict of interest (jäv) in an item, declared by themselves or
    recorded by the chair: for that item they neither see, hear nor are heard, do not count
    for the quorum, and a substitute may serve; they return when the item closes."""

    type = "jav_declared"
    item_id: str
    person_id: str
    by: str
    reason: str = ""


# -- adjournment (compliance.adjournment) ------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Adjourned(Event):
    """The chair adjourned the meeting (ajournering): the room's media to remote members
    stops; each party group in `groups` (a tuple of party codes each) hears and sees only
    its own members; nobody else receives anything until the meeting resumes."""

    type = "adjourned"
    by: str
    groups: tuple[tuple[str, ...], ...] = ()
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class AdjournmentEnded(Event):
    """The chair resumed the meeting after the adjournment: everyone sees and hears all."""

    type = "adjournment_ended"
    by: str
