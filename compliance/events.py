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
        values: dict[str, Any] = {
            k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()
        }
        return target(**values)


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
    """A person left the meeting (or the lobby), e.g. for jäv on an item."""

    type = "left"
    person_id: str
    reason: str = ""


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
