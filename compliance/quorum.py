"""Quorum (beslutförhet, KL 6:27): are enough of the committee's seats filled right now?

A seat is filled by its member, or by the substitute serving in the member's place; it counts
when that person counts as present. Who counts as present (in the room, or remote and deciding
with a working link) is the caller's fact: a remote member whose link has failed is absent
while it is failed.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from compliance.profile import LegalRules


@dataclass(frozen=True)
class Quorum:
    """The count behind a quorum decision."""

    members: int  # seats on the committee
    present: int  # seats filled by someone counted as present
    required: int  # seats that must be filled
    quorate: bool
    counted: tuple[str, ...]  # person ids filling those seats, members and serving substitutes


def required_present(members: int, rules: LegalRules) -> int:
    """Seats that must be filled: more than half (KL 6:27), or at least half if so configured."""
    half = members // 2 + 1 if rules.quorum_more_than_half else (members + 1) // 2
    return max(half, 1)  # an empty committee is never quorate


def seat_holders(members: Sequence[str], serving: Mapping[str, str]) -> dict[str, str]:
    """Member id -> who holds that seat now: the serving substitute, else the member.

    `serving` maps substitute id -> the member id they serve for.
    """
    stand_in = {member: substitute for substitute, member in serving.items()}
    return {member: stand_in.get(member, member) for member in members}


def quorum(
    members: Sequence[str],
    serving: Mapping[str, str],
    present: Collection[str],
    rules: LegalRules,
) -> Quorum:
    """Count filled seats; `present` holds the ids of everyone who counts as present now."""
    counted = tuple(h for h in seat_holders(members, serving).values() if h in present)
    required = required_present(len(members), rules)
    return Quorum(
        members=len(members),
        present=len(counted),
        required=required,
        quorate=len(counted) >= required,
        counted=counted,
    )
