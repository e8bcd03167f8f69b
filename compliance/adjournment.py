"""Adjournment (ajournering): a break for the party groups to deliberate.

Remote links stay up, so the room cannot be heard by remote members: the room's media to
them stops (seed). Each party group (one or more parties) hears and sees only its own
members, remote and on their own devices in the room; who belongs to no group receives
nothing. Resuming restores the whole meeting. Who receives whom: `compliance.media_policy`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from compliance.events import Adjourned, AdjournmentEnded, Event, Role
from compliance.violations import RuleViolation

if TYPE_CHECKING:
    from compliance.meeting import MeetingState

CHAIR: tuple[Role, ...] = ("ordförande",)


@dataclass
class Adjournment:
    """The adjournment in force, if any."""

    current: Adjourned | None = None

    def group_of(self, party: str) -> int | None:
        """The index of the party's group during the adjournment, or None."""
        if self.current is None or not party:
            return None
        return next((i for i, g in enumerate(self.current.groups) if party in g), None)

    def apply(self, event: Event, state: MeetingState) -> bool:
        match event:
            case Adjourned():
                self.current = event
            case AdjournmentEnded():
                self.current = None
            case _:
                return False
        return True


def adjourn(
    state: MeetingState, by: str, at: str, groups: Sequence[Sequence[str]] = (), reason: str = ""
) -> Adjourned:
    """The chair adjourns; `groups` are the party groups (each a list of party codes)."""
    state._require_by(by, CHAIR)
    if state.phase != "open":
        raise state._phase_violation()
    if state.adjournment.current is not None:
        raise RuleViolation(
            "already_adjourned", "Sammanträdet är redan ajournerat.",
            "The meeting is already adjourned.",
        )
    if state.votes.open is not None:
        raise RuleViolation(
            "vote_in_progress", "En omröstning pågår.", "A vote is in progress."
        )
    cleaned = tuple(tuple(p.strip() for p in group if p.strip()) for group in groups)
    parties = [p for group in cleaned for p in group]
    known = {p.party for p in state.people.values() if p.party}
    if len(parties) != len(set(parties)) or any(not g for g in cleaned):
        raise RuleViolation(
            "invalid_groups",
            "Varje parti får höra till en grupp, och ingen grupp får vara tom.",
            "Each party may belong to one group, and no group may be empty.",
        )
    unknown = sorted(set(parties) - known)
    if unknown:
        raise RuleViolation(
            "invalid_groups",
            f"Okänt parti: {', '.join(unknown)}.",
            f"Unknown party: {', '.join(unknown)}.",
        )
    return Adjourned(at=at, by=by, groups=cleaned, reason=reason[:500])


def end_adjournment(state: MeetingState, by: str, at: str) -> AdjournmentEnded:
    """The chair resumes the meeting after the adjournment."""
    state._require_by(by, CHAIR)
    if state.adjournment.current is None:
        raise RuleViolation(
            "not_adjourned", "Sammanträdet är inte ajournerat.", "The meeting is not adjourned."
        )
    return AdjournmentEnded(at=at, by=by)
