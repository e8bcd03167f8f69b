"""Who may receive whose media, as a rule of the meeting (the router asks this).

- Only present people receive; people in the lobby are seen by the room's devices (the
  chair's and the secretary's) and nobody else, and receive nothing.
- A person who has left, and a person with jäv in the open item, are cut completely both
  ways, whatever their client does.
- During an adjournment the room's devices and the remote members no longer reach each
  other; each party group exchanges media only within itself; the rest receive nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from compliance.meeting import MeetingState

# The devices in the meeting room: the chair's (the room's camera and display) and the
# secretary's. Everyone else's device is their own, wherever they sit.
ROOM_DEVICE_ROLES: frozenset[str] = frozenset({"ordförande", "sekreterare"})


def is_room_device(state: MeetingState, person_id: str) -> bool:
    person = state.people.get(person_id)
    return person is not None and person.role in ROOM_DEVICE_ROLES


def may_receive(state: MeetingState, subscriber: str, publisher: str) -> bool:
    """May the device of person `subscriber` receive the media of person `publisher`?"""
    if subscriber not in state.present:
        return False  # in the lobby, left, or never admitted
    if publisher not in state.present:
        return publisher in state.lobby and is_room_device(state, subscriber)
    out = state.jav.out_now(state)
    if subscriber in out or publisher in out:
        return False
    adjourned = state.adjournment.current
    if adjourned is None:
        return True
    room_sub, room_pub = is_room_device(state, subscriber), is_room_device(state, publisher)
    if room_sub or room_pub:
        return room_sub and room_pub  # the room keeps to itself
    group = state.adjournment.group_of(state.people[subscriber].party)
    return group is not None and group == state.adjournment.group_of(state.people[publisher].party)
