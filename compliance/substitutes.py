"""Who is called to serve for a member (ersättarordning): own party first, then the others.

This module only proposes; the chair confirms with `MeetingState.serve_substitute`, which
produces the `substitute_serving` event. Party balance (styrkebalans) rules on when a member
may take the seat back are left to the chair (`MeetingState.release_substitute`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from compliance.events import PersonAdded
from compliance.meeting import MeetingState


def substitute_ranking(
    member: PersonAdded, candidates: Iterable[PersonAdded], party_order: Sequence[str]
) -> list[PersonAdded]:
    """The ersättare among `candidates` in the order they are called for `member`.

    The member's own party first, each party's ersättare by their `substitute_order`; then
    the other parties in `party_order`; parties missing from it last, by name.
    """

    def rank(p: PersonAdded) -> tuple[int, str, int, str]:
        if p.party == member.party:
            party_rank = 0
        elif p.party in party_order:
            party_rank = 1 + party_order.index(p.party)
        else:
            party_rank = 1 + len(party_order)
        order = p.substitute_order if p.substitute_order is not None else 1 << 30
        return party_rank, p.party, order, p.name

    return sorted((p for p in candidates if p.role == "ersättare"), key=rank)


def propose_substitute(state: MeetingState, member_id: str) -> PersonAdded | None:
    """The first available ersättare for the member's seat, or None if nobody is available.

    Available: present as a participant (in the room, or remote deciding with a working
    link), not on a technical pause, not already serving, and without jäv in the open item.
    """
    member = state.member(member_id)
    out = state.jav.out_now(state)
    available = [
        p
        for pid, p in state.people.items()
        if (presence := state.present.get(pid)) is not None
        and presence.counts
        and not presence.paused
        and pid not in state.serving
        and pid not in out
    ]
    party_order = state.committee.party_order if state.committee else ()
    ranked = substitute_ranking(member, available, party_order)
    return ranked[0] if ranked else None
