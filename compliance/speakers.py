"""The speaker list (talarlista) of the open item: one ordered list for the room and for
remote members. Remote members ask for the floor in the app; the chair adds people in the
room; the chair gives the floor. A reply (replik) waits until the chair allows it, then goes
to the head of the list. Observers (övriga närvarande) may be given the floor; whether they
may propose or vote is for `compliance.proposals` and `compliance.votes`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from compliance.agenda import require_open_item
from compliance.events import (
    DeliberationEnded,
    Event,
    FloorGiven,
    FloorRequested,
    FloorWithdrawn,
    ItemClosed,
    ItemOpened,
    JavDeclared,
    LeftMeeting,
    ReplyAllowed,
    Role,
)
from compliance.violations import RuleViolation

if TYPE_CHECKING:
    from compliance.meeting import MeetingState

CHAIR: tuple[Role, ...] = ("ordförande",)
CHAIR_OR_SECRETARY: tuple[Role, ...] = ("ordförande", "sekreterare")


@dataclass
class Speaker:
    """One place on the list."""

    person_id: str
    requested_at: str
    by: str
    reply: bool = False
    allowed: bool = False  # a reply the chair has allowed


@dataclass
class SpeakerList:
    """The open item's list and who has the floor."""

    queue: list[Speaker] = field(default_factory=list)
    current: str | None = None
    spoken: list[tuple[str, str]] = field(default_factory=list)  # (person id, from when)

    def waiting(self, person_id: str) -> Speaker | None:
        return next((s for s in self.queue if s.person_id == person_id), None)

    def apply(self, event: Event, state: MeetingState) -> bool:
        match event:
            case ItemOpened() | ItemClosed():
                self.queue, self.current, self.spoken = [], None, []
                return False
            case DeliberationEnded():
                self.queue, self.current = [], None
                return False
            case FloorRequested():
                self.queue.append(Speaker(event.person_id, event.at, event.by, event.reply))
            case FloorWithdrawn():
                self._drop(event.person_id)
            case ReplyAllowed():
                speaker = self.waiting(event.person_id)
                if speaker is not None:
                    self.queue.remove(speaker)
                    speaker.allowed = True
                    replies = sum(1 for s in self.queue if s.reply and s.allowed)
                    self.queue.insert(replies, speaker)
            case FloorGiven():
                self._drop(event.person_id)
                self.current = event.person_id
                self.spoken.append((event.person_id, event.at))
            case JavDeclared() | LeftMeeting():
                if state.agenda.current is not None and (
                    not isinstance(event, JavDeclared) or event.item_id == state.agenda.current
                ):
                    self._drop(event.person_id)
                    if self.current == event.person_id:
                        self.current = None
                return False
            case _:
                return False
        return True

    def _drop(self, person_id: str) -> None:
        self.queue = [s for s in self.queue if s.person_id != person_id]


def _require_deliberation(state: MeetingState) -> str:
    item = require_open_item(state)
    if state.proposals.of(item.item_id).deliberation_ended:
        raise RuleViolation(
            "deliberation_ended",
            "Överläggningen i ärendet är avslutad.",
            "The deliberation on the item has ended.",
        )
    return item.item_id


def _self_or(state: MeetingState, person_id: str, by: str, roles: tuple[Role, ...]) -> None:
    """`by` acts for themselves, or holds one of `roles` (acting for someone else)."""
    if by != person_id:
        state._require_by(by, roles)


def _require_may_speak(state: MeetingState, person_id: str, item_id: str) -> None:
    state.person(person_id)
    if person_id not in state.present:
        raise RuleViolation(
            "not_present", "Personen är inte närvarande.", "The person is not present."
        )
    if state.jav.has(item_id, person_id):
        raise RuleViolation(
            "jav",
            "Personen har anmält jäv i ärendet och deltar inte i det.",
            "The person has declared a conflict of interest and takes no part in the item.",
        )


# -- commands ----------------------------------------------------------------------------------


def request_floor(
    state: MeetingState, person_id: str, by: str, at: str, reply: bool = False
) -> FloorRequested:
    """Ask for the floor (`by` = `person_id`), or the chair or secretary puts someone on the
    list (a person in the room who raised a hand)."""
    item_id = _require_deliberation(state)
    _self_or(state, person_id, by, CHAIR_OR_SECRETARY)
    _require_may_speak(state, person_id, item_id)
    if state.speakers.waiting(person_id) is not None:
        raise RuleViolation(
            "already_on_list",
            "Personen står redan på talarlistan.",
            "The person is already on the speaker list.",
        )
    return FloorRequested(at=at, item_id=item_id, person_id=person_id, by=by, reply=reply)


def withdraw_floor(state: MeetingState, person_id: str, by: str, at: str) -> FloorWithdrawn:
    """Leave the list, or the chair takes someone off it."""
    item_id = require_open_item(state).item_id
    _self_or(state, person_id, by, CHAIR_OR_SECRETARY)
    if state.speakers.waiting(person_id) is None:
        raise _not_on_list()
    return FloorWithdrawn(at=at, item_id=item_id, person_id=person_id, by=by)


def allow_reply(state: MeetingState, person_id: str, by: str, at: str) -> ReplyAllowed:
    """The chair allows a requested reply; it goes to the head of the list."""
    item_id = _require_deliberation(state)
    state._require_by(by, CHAIR)
    speaker = state.speakers.waiting(person_id)
    if speaker is None:
        raise _not_on_list()
    if not speaker.reply or speaker.allowed:
        raise RuleViolation(
            "no_reply_requested",
            "Personen har inte begärt replik.",
            "The person has not asked for a reply.",
        )
    return ReplyAllowed(at=at, item_id=item_id, person_id=person_id, by=by)


def give_floor(state: MeetingState, person_id: str, by: str, at: str) -> FloorGiven:
    """The chair gives the floor: usually to the head of the list, but to anyone present."""
    item_id = _require_deliberation(state)
    state._require_by(by, CHAIR)
    _require_may_speak(state, person_id, item_id)
    return FloorGiven(at=at, item_id=item_id, person_id=person_id, by=by)


def _not_on_list() -> RuleViolation:
    return RuleViolation(
        "not_on_list",
        "Personen står inte på talarlistan.",
        "The person is not on the speaker list.",
    )
