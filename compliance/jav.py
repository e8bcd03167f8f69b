"""Jäv (conflict of interest): a person declares it, or the chair records it, for an item.

While that item is open the person is out of it: no media either way (the media policy),
not counted for the quorum, not on the speaker list, neither proposing nor voting; a
substitute may serve in their seat (`compliance.substitutes` proposes one, own party first;
the chair confirms). When the item closes they are let back in, and the substitutes who
served for them during it are released (both listed in the `item_closed` event).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from compliance.events import (
    Event,
    ItemClosed,
    JavDeclared,
    Role,
    SubstituteReleased,
    SubstituteServing,
)
from compliance.violations import RuleViolation

if TYPE_CHECKING:
    from compliance.meeting import MeetingState

CHAIR_OR_SECRETARY: tuple[Role, ...] = ("ordförande", "sekreterare")


@dataclass
class Jav:
    """Who has jäv in which item, and who serves for them while it is open."""

    declared: dict[str, dict[str, JavDeclared]] = field(default_factory=dict)  # item -> person
    stand_ins: dict[str, dict[str, str]] = field(default_factory=dict)  # item -> sub -> member

    def has(self, item_id: str, person_id: str) -> bool:
        return person_id in self.declared.get(item_id, {})

    def out_now(self, state: MeetingState) -> set[str]:
        """People with jäv in the open item (nobody when no item is open)."""
        current = state.agenda.current
        return set(self.declared.get(current, {})) if current else set()

    def returning(
        self, state: MeetingState, item_id: str
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(people let back in, substitutes released) when the item closes."""
        returned = tuple(p for p in self.declared.get(item_id, {}) if p in state.present)
        released = tuple(
            s for s, m in self.stand_ins.get(item_id, {}).items() if state.serving.get(s) == m
        )
        return returned, released

    def apply(self, event: Event, state: MeetingState) -> bool:
        match event:
            case JavDeclared():
                self.declared.setdefault(event.item_id, {})[event.person_id] = event
            case SubstituteServing():
                current = state.agenda.current
                if current and self.has(current, event.member_id):
                    self.stand_ins.setdefault(current, {})[event.substitute_id] = event.member_id
                return False
            case SubstituteReleased():
                for stand_ins in self.stand_ins.values():
                    stand_ins.pop(event.substitute_id, None)
                return False
            case ItemClosed():
                for substitute in event.released:
                    state.serving.pop(substitute, None)
                return False
            case _:
                return False
        return True


def declare_jav(
    state: MeetingState, person_id: str, by: str, at: str, item_id: str | None = None,
    reason: str = "",
) -> JavDeclared:
    """Jäv for the open item (or a later one): by the person, or recorded by the chair or
    secretary."""
    state._require_not_closed()
    if by != person_id:
        state._require_by(by, CHAIR_OR_SECRETARY)
    person = state.person(person_id)
    target = item_id or state.agenda.current
    if target is None or target not in state.agenda.items:
        raise RuleViolation(
            "unknown_item",
            "Ange ett ärende på föredragningslistan.",
            "Name an item on the agenda.",
        )
    if state.agenda.items[target].status not in ("pending", "open"):
        raise RuleViolation(
            "item_not_pending",
            "Ärendet är redan behandlat.",
            "The item has already been handled.",
        )
    if person.role == "ordförande":
        raise RuleViolation(
            "chair_jav",
            "Ordförandens jäv: ärendet ska ledas av en annan ledamot (vice ordförande); "
            "Kvorum stöder det ännu inte. Anteckna jävet och låt sekreteraren föra det till "
            "protokollet.",
            "The chair's conflict of interest: another member (the vice chair) must lead the "
            "item; Kvorum does not support that yet. Note the conflict and let the secretary "
            "put it in the minutes.",
        )
    if state.jav.has(target, person_id):
        raise RuleViolation(
            "jav_already_declared",
            "Jäv är redan anmält för ärendet.",
            "A conflict of interest is already declared for the item.",
        )
    vote = state.votes.open_vote()
    if vote is not None and vote.item_id == target:
        raise RuleViolation(
            "vote_in_progress",
            "En omröstning pågår i ärendet.",
            "A vote on the item is in progress.",
        )
    return JavDeclared(at=at, item_id=target, person_id=person_id, by=by, reason=reason[:500])
