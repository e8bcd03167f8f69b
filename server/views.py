"""What the chair's dashboard and the members' pages are shown of a meeting's state."""

from __future__ import annotations

from typing import Any

from compliance.events import ROLE_EN
from compliance.meeting import COMMAND_ROLES, MeetingState
from compliance.quorum import seat_holders
from compliance.substitutes import propose_substitute

from .rooms import Room

# Chair commands (docs/protocol.md) -> the MeetingState command whose roles decide who may send
# it; a command not listed here is open to both dashboards (chair and secretary).
COMMAND_METHODS = {
    "admit": "admit", "mark-present": "mark_present", "decide-remote": "decide_remote",
    "serve-substitute": "serve_substitute", "release-substitute": "release_substitute",
    "open-meeting": "open", "resume-meeting": "resume", "close-meeting": "close",
}


def command_roles() -> dict[str, list[str]]:
    """Who may send each chair command: the dashboards disable the others' buttons."""
    return {kind: list(COMMAND_ROLES[method]) for kind, method in COMMAND_METHODS.items()}


def presence_label(state: MeetingState, person_id: str) -> str:
    presence = state.present.get(person_id)
    if presence is None:
        return "lobby" if person_id in state.lobby else "absent"
    if presence.where == "room":
        return "room"
    return "remote-deciding" if presence.mode == "deciding" else "remote-attending"


def restorable(state: MeetingState) -> bool:
    """The chair may resume: suspended, and no present person's link is still failed."""
    return state.phase == "suspended" and not any(
        p.link_failed for p in state.present.values())


def meeting_view(room: Room) -> dict[str, Any]:
    """The full state for dashboards (chair, secretary)."""
    state = room.state
    if state is None:
        return {"type": "meeting-state", "guest_room": True, "phase": "open"}
    q = state.quorum()
    connected = {p.person_id: p.id for p in room.participants.values() if p.person_id}
    holders = seat_holders(state.members(), state.serving)
    people = []
    for person_id, person in state.people.items():
        presence = state.present.get(person_id)
        request = state.requests.get(person_id)
        decision = state.decisions.get(person_id)
        people.append({
            "person_id": person_id, "name": person.name, "role": person.role,
            "role_en": ROLE_EN.get(person.role, ""),
            "party": person.party, "presence": presence_label(state, person_id),
            "link_failed": bool(presence and presence.link_failed),
            "paused": bool(presence and presence.paused),
            "participant_id": connected.get(person_id),
            "counted": person_id in q.counted,
            "serving_for": state.serving.get(person_id),
            "remote_request": None if request is None else {
                "mode": request.mode, "late": request.late,
                "decision": None if decision is None else decision.approved},
            "admit_modes": state.admit_modes(person_id),
        })
    proposals = {}
    for member_id in state.members():
        holder = holders.get(member_id, member_id)
        if holder not in state.present:
            substitute = propose_substitute(state, member_id)
            if substitute is not None:
                proposals[member_id] = substitute.person_id
    block = state.decision_block()
    suspension = state.suspension
    return {
        "type": "meeting-state",
        "meeting": {"id": room.id, "title": room.title,
                    "date": state.meeting.date if state.meeting else None,
                    "time": state.meeting.time if state.meeting else None,
                    "place": state.meeting.place if state.meeting else None,
                    "agenda": list(state.meeting.agenda) if state.meeting else []},
        "phase": state.phase,
        "suspension": None if suspension is None else {
            "reason": suspension.reason, "person_id": suspension.participant,
            "name": state.people[suspension.participant].name
            if suspension.participant in state.people else None,
            "at": suspension.at, "evidence": suspension.evidence},
        "restorable": restorable(state),
        "quorum": {"present": q.present, "required": q.required, "members": q.members,
                   "quorate": q.quorate},
        "decision_block": None if block is None else {
            "code": block.code, "message_sv": block.message_sv, "message_en": block.message_en},
        "people": people,
        "substitute_proposals": proposals,
        "commands": command_roles(),
    }


def phase_view(room: Room) -> dict[str, Any]:
    """What every admitted participant sees of the meeting's phase (the suspend banner)."""
    state = room.state
    if state is None:
        return {"type": "meeting-phase", "phase": "open", "suspension": None}
    suspension = state.suspension
    return {"type": "meeting-phase", "phase": state.phase, "suspension": None if suspension is None
            else {"reason": suspension.reason, "at": suspension.at,
                  "person_id": suspension.participant}}


async def publish_state(room: Room) -> None:
    """Send the dashboards the full state and everyone the phase."""
    await room.broadcast(meeting_view(room), dashboards_only=True)
    await room.broadcast(phase_view(room))
