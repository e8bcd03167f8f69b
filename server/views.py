"""What the chair's dashboard and the members' pages are shown of a meeting's state."""

from __future__ import annotations

from typing import Any

from compliance.events import ROLE_EN
from compliance.meeting import COMMAND_ROLES, MeetingState
from compliance.quorum import seat_holders
from compliance.reasons import worded
from compliance.substitutes import propose_substitute

from .procedure import CHAIR_ROLES as PROCEDURE_ROLES
from .procedure_views import procedure_detail, procedure_view, profile_view
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
    roles = {kind: list(COMMAND_ROLES[method]) for kind, method in COMMAND_METHODS.items()}
    return roles | PROCEDURE_ROLES


def presence_label(state: MeetingState, person_id: str) -> str:
    presence = state.present.get(person_id)
    if presence is None:
        return "lobby" if person_id in state.lobby else "absent"
    if presence.where == "room":
        return "room"
    return "remote-deciding" if presence.mode == "deciding" else "remote-attending"


def names(state: MeetingState) -> dict[str, str]:
    """Person id -> name, to word findings about the others."""
    return {pid: person.name for pid, person in state.people.items()}


def suspension_view(state: MeetingState) -> dict[str, Any] | None:
    """Why the meeting is suspended, worded ({code, params, person_id, name, sv, en}), and
    since when; None unless suspended."""
    suspension = state.suspension
    if suspension is None:
        return None
    pid = suspension.participant
    name = state.people[pid].name if pid in state.people else ""
    if suspension.code:
        view = worded(suspension.code, suspension.params, pid, name, names(state),
                      suspended=True)
    else:  # a log written before codes: its free text is all there is
        view = {"code": "", "params": {}, "person_id": pid, "name": name,
                "sv": suspension.reason, "en": suspension.reason}
    return view | {"at": suspension.at}


def link_failure_view(state: MeetingState, person_id: str) -> dict[str, Any] | None:
    """Why a present person's link counts as failed, worded; None if it works."""
    presence = state.present.get(person_id)
    if presence is None or not presence.link_failed:
        return None
    failure = presence.failure
    name = state.people[person_id].name
    code = failure.code if failure is not None else ""
    params = failure.params if failure is not None else {}
    return worded(code, params, person_id, name, names(state)) | {
        "at": failure.at if failure is not None else None}


def meeting_view(room: Room) -> dict[str, Any]:
    """The full state for dashboards (chair, secretary)."""
    state = room.state
    if state is None:
        return {"type": "meeting-state", "guest_room": True, "phase": "open"}
    q = state.quorum()
    connected = {p.person_id: p.id for p in room.participants.values() if p.person_id}
    holders = seat_holders(state.members(), state.serving)
    out = state.jav.out_now(state)
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
            "link_failure": link_failure_view(state, person_id),
            "paused": bool(presence and presence.paused),
            "jav": person_id in out,
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
        if holder not in state.present or holder in out:
            substitute = propose_substitute(state, member_id)
            if substitute is not None:
                proposals[member_id] = substitute.person_id
    block = state.decision_block()
    return {
        "type": "meeting-state",
        "meeting": {"id": room.id, "title": room.title,
                    "date": state.meeting.date if state.meeting else None,
                    "time": state.meeting.time if state.meeting else None,
                    "place": state.meeting.place if state.meeting else None,
                    "agenda": list(state.meeting.agenda) if state.meeting else []},
        "phase": state.phase,
        "suspension": suspension_view(state),
        "restorable": state.may_resume(),
        "log_unwritten": len(room.service.unwritten(room.id)) if room.service else 0,
        "quorum": {"present": q.present, "required": q.required, "members": q.members,
                   "quorate": q.quorate},
        "decision_block": None if block is None else {
            "code": block.code, "message_sv": block.message_sv, "message_en": block.message_en},
        "people": people,
        "substitute_proposals": proposals,
        "profile": profile_view(state),
        "procedure": procedure_detail(state),
        "commands": command_roles(),
    }


def phase_view(room: Room) -> dict[str, Any]:
    """What every admitted participant sees of the meeting's phase (the suspend banner)."""
    state = room.state
    if state is None:
        return {"type": "meeting-phase", "phase": "open", "suspension": None}
    return {"type": "meeting-phase", "phase": state.phase, "suspension": suspension_view(state)}


async def publish_state(room: Room) -> None:
    """Send the dashboards the full state, everyone the phase and their view of the
    procedure (`procedure`, per person: what they may do differs)."""
    await room.broadcast(meeting_view(room), dashboards_only=True)
    await room.broadcast(phase_view(room))
    state = room.state
    if state is None:
        return
    connected = {p.person_id: p.id for p in room.participants.values() if p.person_id}
    for participant in list(room.participants.values()):
        if participant.admitted:
            await participant.send(procedure_view(state, participant.person_id, connected))
