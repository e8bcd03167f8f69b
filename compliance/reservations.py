"""Reservations: after a decision, a deciding person who took part in it and voted against
it may reserve, in the app or recorded by the chair, with an optional written reason. No
reservation once the meeting has closed (seed: before the meeting ends), none by someone who
did not take part in the decision. The written reason may follow until the profile's
deadline after the meeting closed (before the minutes are approved).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from compliance.events import (
    Event,
    MeetingClosed,
    ReservationMade,
    ReservationReasonGiven,
    Role,
)
from compliance.violations import RuleViolation

if TYPE_CHECKING:
    from compliance.meeting import MeetingState

CHAIR_OR_SECRETARY: tuple[Role, ...] = ("ordförande", "sekreterare")
MAX_REASON = 4000


@dataclass
class Reservation:
    item_id: str
    person_id: str
    at: str
    by: str
    reason: str = ""


@dataclass
class Reservations:
    """Reservations by item, then by person; and when the meeting closed."""

    by_item: dict[str, dict[str, Reservation]] = field(default_factory=dict)
    meeting_closed_at: str | None = None

    def apply(self, event: Event, state: MeetingState) -> bool:
        match event:
            case ReservationMade():
                self.by_item.setdefault(event.item_id, {})[event.person_id] = Reservation(
                    event.item_id, event.person_id, event.at, event.by, event.reason
                )
            case ReservationReasonGiven():
                self.by_item[event.item_id][event.person_id].reason = event.reason
            case MeetingClosed():
                self.meeting_closed_at = event.at
                return False
            case _:
                return False
        return True


def _reason(text: str) -> str:
    text = text.strip()
    if len(text) > MAX_REASON:
        raise RuleViolation(
            "invalid_text",
            f"Motiveringen får vara högst {MAX_REASON} tecken.",
            f"The reason may be at most {MAX_REASON} characters.",
        )
    return text


def may_reserve(state: MeetingState, item_id: str, person_id: str) -> RuleViolation | None:
    """Why the person may not reserve against the item's decision now, or None."""
    if state.phase == "closed":
        return RuleViolation(
            "reservation_after_close",
            "Sammanträdet är avslutat; reservationer ska anmälas innan det avslutas.",
            "The meeting is closed; reservations must be declared before it ends.",
        )
    decision = state.proposals.of(item_id).decision
    if decision is None:
        return RuleViolation(
            "no_decision",
            "Ärendet har inget beslut att reservera sig mot.",
            "The item has no decision to reserve against.",
        )
    name = state.person(person_id).name
    if person_id not in decision.deciding:
        return RuleViolation(
            "did_not_take_part",
            f"{name} deltog inte i beslutet och kan inte reservera sig.",
            f"{name} did not take part in the decision and cannot reserve.",
        )
    if decision.vote_id is not None:
        vote = state.votes.votes[decision.vote_id]
        winning = "ja" if vote.ja == decision.proposal_id else "nej"
        own = vote.votes.get(person_id)
        if not vote.secret and own != ("nej" if winning == "ja" else "ja"):
            return RuleViolation(
                "did_not_vote_against",
                f"{name} röstade inte emot beslutet.",
                f"{name} did not vote against the decision.",
            )
    if person_id in state.reservations.by_item.get(item_id, {}):
        return RuleViolation(
            "already_reserved",
            f"{name} har redan reserverat sig.",
            f"{name} has already reserved.",
        )
    return None


# -- commands ------------------------------------------------------------------------------------


def reserve(
    state: MeetingState, item_id: str, person_id: str, by: str, at: str, reason: str = ""
) -> ReservationMade:
    """A person who voted against the decision reserves (themselves, or recorded by the
    chair or secretary)."""
    state._require_meeting()
    if by != person_id:
        state._require_by(by, CHAIR_OR_SECRETARY)
    refusal = may_reserve(state, item_id, person_id)
    if refusal is not None:
        raise refusal
    return ReservationMade(
        at=at, item_id=item_id, person_id=person_id, by=by, reason=_reason(reason)
    )


def give_reason(
    state: MeetingState, item_id: str, person_id: str, reason: str, by: str, at: str
) -> ReservationReasonGiven:
    """The written reason for a reservation, until the deadline after the meeting closed."""
    if by != person_id:
        state._require_by(by, CHAIR_OR_SECRETARY)
    if person_id not in state.reservations.by_item.get(item_id, {}):
        raise RuleViolation(
            "no_reservation",
            "Personen har inte reserverat sig i ärendet.",
            "The person has not reserved against the item's decision.",
        )
    closed_at = state.reservations.meeting_closed_at
    if closed_at is not None:
        deadline = datetime.fromisoformat(closed_at) + timedelta(
            hours=state.rules.reservation_reason_deadline_h
        )
        if datetime.fromisoformat(at) > deadline:
            raise RuleViolation(
                "reason_deadline_passed",
                "Tiden för att lämna en skriftlig motivering har gått ut.",
                "The time to give a written reason has run out.",
            )
    text = _reason(reason)
    if not text:
        raise RuleViolation("invalid_text", "Motiveringen saknas.", "The reason is missing.")
    return ReservationReasonGiven(
        at=at, item_id=item_id, person_id=person_id, by=by, reason=text
    )
