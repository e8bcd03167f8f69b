"""Attendance: who was there, how, from when to when; exact, because fees (arvode) follow it.

Derived from the events alone. Each person's timeline is a list of contiguous segments,
from their first arrival until the meeting closes; a segment ends where the next begins.
A substitute's segments also say for whom they served (tjänstgörande ersättare), if so.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from compliance.events import (
    Admitted,
    Event,
    ItemClosed,
    LeftMeeting,
    LinkFailed,
    LinkRestored,
    MarkedPresent,
    MeetingClosed,
    PersonAdded,
    SubstituteReleased,
    SubstituteServing,
    TechnicalPauseEnded,
    TechnicalPauseStarted,
)

AttendanceState = Literal[
    "in-room", "remote-deciding", "remote-attending", "technical-pause", "link-failed", "left"
]
LABEL_SV: dict[str, str] = {
    "in-room": "i sammanträdeslokalen",
    "remote-deciding": "på distans, beslutande",
    "remote-attending": "på distans, närvarande utan beslutanderätt",
    "technical-pause": "teknisk paus",
    "link-failed": "förbindelsen bruten",
    "left": "har lämnat",
}
CSV_HEADER = (
    "person_id", "namn", "roll", "parti", "närvaro", "från", "till", "minuter", "tjänstgör_för",
)


@dataclass(frozen=True)
class Segment:
    """One stretch of time in one attendance state; `end` is None while it lasts."""

    state: AttendanceState
    start: str
    end: str | None = None
    serving_for: str | None = None  # a substitute serving in this member's seat

    def minutes(self) -> float | None:
        """Length in minutes, or None while the segment lasts."""
        if self.end is None:
            return None
        span = datetime.fromisoformat(self.end) - datetime.fromisoformat(self.start)
        return span.total_seconds() / 60


@dataclass
class _Track:
    base: AttendanceState  # in-room, remote-deciding, remote-attending or left
    paused: bool = False
    failed: bool = False
    serving_for: str | None = None

    def state(self) -> AttendanceState:
        if self.base == "left":
            return "left"
        if self.failed:
            return "link-failed"
        return "technical-pause" if self.paused else self.base


def timelines(events: Iterable[Event]) -> dict[str, list[Segment]]:
    """Person id -> their attendance segments, in time order (people never present omitted)."""
    tracks: dict[str, _Track] = {}
    result: dict[str, list[Segment]] = {}
    for event in events:
        if isinstance(event, MeetingClosed):
            for segments in result.values():
                if segments[-1].end is None:
                    segments[-1] = replace(segments[-1], end=event.at)
            tracks.clear()
            continue
        if isinstance(event, ItemClosed):  # substitutes released when a jäv item closes
            for substitute in event.released:
                _advance(result, tracks, substitute, event.at, serving_for=None)
            continue
        if isinstance(event, SubstituteServing | SubstituteReleased):
            member = event.member_id if isinstance(event, SubstituteServing) else None
            _advance(result, tracks, event.substitute_id, event.at, serving_for=member)
            continue
        person_id = getattr(event, "person_id", None)
        if person_id is None:
            continue
        track = tracks.get(person_id)
        match event:
            case MarkedPresent():
                track = tracks[person_id] = _Track("in-room")
            case Admitted():
                base: AttendanceState = (
                    "remote-deciding" if event.mode == "deciding" else "remote-attending"
                )
                track = tracks[person_id] = _Track(base)
            case LeftMeeting() if track is not None:
                track.base = "left"
            case TechnicalPauseStarted() | TechnicalPauseEnded() if track is not None:
                track.paused = isinstance(event, TechnicalPauseStarted)
            case LinkFailed() | LinkRestored() if track is not None:
                track.failed = isinstance(event, LinkFailed)
            case _:
                continue
        assert track is not None
        _advance(result, tracks, person_id, event.at)
    return result


_UNCHANGED = "\x00unchanged"  # a person id never looks like this


def _advance(
    result: dict[str, list[Segment]],
    tracks: dict[str, _Track],
    person_id: str,
    at: str,
    serving_for: str | None = _UNCHANGED,
) -> None:
    """Start a new segment for the person if their state (or whom they serve for) changed."""
    track = tracks.get(person_id)
    if track is None:
        return
    if serving_for != _UNCHANGED:
        track.serving_for = serving_for
    segments = result.setdefault(person_id, [])
    current = Segment(track.state(), at, serving_for=track.serving_for)
    if segments and (segments[-1].state, segments[-1].serving_for) == (
        current.state, current.serving_for,
    ):
        return
    if segments and segments[-1].end is None:
        segments[-1] = replace(segments[-1], end=at)
    segments.append(current)


def attendance_csv(events: Iterable[Event]) -> str:
    """Attendance as CSV text for the fee administration: one row per segment, roster order.

    Columns: person_id, namn, roll, parti, närvaro (Swedish label), från, till (ISO 8601),
    minuter (one decimal; empty while the segment lasts), tjänstgör_för (for a serving
    substitute: the member's name and id, e.g. "Karin Lind (led1)"; else empty).
    """
    events = list(events)
    people = {e.person_id: e for e in events if isinstance(e, PersonAdded)}
    per_person = timelines(events)
    ordered = [pid for pid in people if pid in per_person]
    ordered += [pid for pid in per_person if pid not in people]

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    cell = _inert
    for pid in ordered:
        person = people.get(pid)
        for seg in per_person[pid]:
            minutes = seg.minutes()
            member = people.get(seg.serving_for) if seg.serving_for else None
            serving = f"{member.name} ({seg.serving_for})" if member else seg.serving_for or ""
            writer.writerow(
                (
                    cell(pid),
                    cell(person.name if person else ""),
                    person.role if person else "",
                    cell(person.party if person else ""),
                    LABEL_SV[seg.state],
                    seg.start,
                    seg.end or "",
                    "" if minutes is None else f"{minutes:.1f}",
                    serving,
                )
            )
    return out.getvalue()


def _inert(text: str) -> str:
    """A cell a spreadsheet will show, never run: text starting with = + - @ (or a tab or
    carriage return) would be read as a formula, so it gets a leading apostrophe (OWASP)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
