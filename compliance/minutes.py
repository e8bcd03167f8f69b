"""The minutes (protokoll), derived from the meeting's events: a plain model the renderers
(`compliance.minutes_html`, `compliance.minutes_docx`) turn into print-ready HTML and DOCX.

Nothing here is typed in by anyone: every line follows from an event. The first page lists
who decided (Beslutande, "deltar på distans" for remote deciding members, a serving substitute
marked for whom), the substitutes (Ersättare) and others present (Övriga närvarande); then the
roll call, each item (§), the interruptions with their reasons and durations, the attendance
changes, and the places for the signatures. Swedish throughout: it is a public document
(KL 5:65-69 via 6:35, numbers unverified; the seed's "Beslutande ... deltar på distans").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from compliance.events import (
    SEAT_ROLES,
    Admitted,
    Event,
    LeftMeeting,
    LinkFailed,
    LinkRestored,
    MarkedPresent,
    MeetingClosed,
    MeetingOpened,
    MeetingResumed,
    MeetingSuspended,
    PersonAdded,
    SubstituteReleased,
    SubstituteServing,
    TechnicalPauseEnded,
    TechnicalPauseStarted,
)
from compliance.evidence import Evidence
from compliance.meeting import MeetingState
from compliance.profile import LegalRules

MONTHS_SV = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
             "september", "oktober", "november", "december")  # fmt: skip

# What the media monitor's metrics mean, for a suspension's reason (compliance/monitor.py).
METRIC_SV: dict[str, str] = {
    "video.freeze": "bilden frös",
    "video.live": "kameran stängdes av eller bilden upphörde",
    "video.missing": "ingen bild togs emot",
    "video.fps": "för låg bildfrekvens",
    "video.height": "för låg bildupplösning",
    "video.loss": "paketförluster i bilden",
    "audio.silence": "ljudet upphörde",
    "audio.live": "ljudet upphörde",
    "audio.missing": "inget ljud togs emot",
    "audio.loss": "paketförluster i ljudet",
    "transport.state": "förbindelsen bröts",
    "transport.missing": "ingen förbindelse",
    "link.delay": "för stor fördröjning",
    "server.restart": "servern startades om och förbindelserna bröts",
}
UNITS_SV: dict[str, str] = {"video.freeze": "s", "audio.silence": "s", "link.delay": "s",
                            "video.fps": "bilder/s", "video.height": "px"}  # fmt: skip


@dataclass(frozen=True)
class Attendee:
    """One person on the minutes' first page, with the remarks that follow their name."""

    person_id: str
    name: str
    role: str  # the roster role (ordförande, ledamot, ersättare, sekreterare, tjänsteperson)
    party: str
    remote: bool  # took part remotely
    remarks: tuple[str, ...] = ()

    @property
    def line(self) -> str:
        """'Karin Lind (M), ledamot, deltar på distans'."""
        party = f" ({self.party})" if self.party else ""
        return ", ".join((f"{self.name}{party}", self.role, *self.remarks))


@dataclass(frozen=True)
class AttendanceChange:
    """Someone came, left, lost or regained their link, paused, or began or stopped serving."""

    at: str  # ISO 8601, as logged
    time: str  # HH:MM
    person_id: str
    text: str  # Swedish, with the person's name


@dataclass(frozen=True)
class Suspension:
    """An interruption of the meeting (KL 6:24), with its reason and how long it lasted."""

    start: str  # ISO 8601
    end: str | None  # None: never resumed
    start_time: str  # HH:MM
    end_time: str | None
    duration: str | None  # Swedish, e.g. "4 min 10 s"
    seconds: float | None
    person_id: str | None
    reason: str  # Swedish, with the person's name
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Item:
    """One paragraph (§): an agenda item as it was handled."""

    number: int
    item_id: str
    title: str


@dataclass(frozen=True)
class Minutes:
    """Everything the minutes say, in the order they say it."""

    meeting_id: str
    committee: str
    date: str  # YYYY-MM-DD
    date_text: str  # "10 mars 2026"
    place: str
    called_time: str  # HH:MM, as called
    opened_time: str | None
    closed_time: str | None
    profile: str  # the rule profile in force, by name
    beslutande: tuple[Attendee, ...]
    ersattare: tuple[Attendee, ...]  # substitutes present who did not serve
    ovriga: tuple[Attendee, ...]  # secretary, officials, remote attending-only
    roll_call: tuple[str, ...]  # who was present at the opening, and how
    suspensions: tuple[Suspension, ...]
    attendance: tuple[AttendanceChange, ...]
    chair: str  # name, under the chair's signature
    secretary: str
    adjournments: tuple[Suspension, ...] = ()  # ajourneringar: start, end, reason
    items: tuple[Item, ...] = ()
    evidence: Evidence | None = None  # the appendix: evidence per decision, the hash chain

    @property
    def paragraphs(self) -> str:
        """The paragraphs these minutes hold, for the signature page: '§§ 1–4'."""
        numbers = [item.number for item in self.items]
        if not numbers:
            return "–"
        return f"§ {numbers[0]}" if len(numbers) == 1 else f"§§ {numbers[0]}–{numbers[-1]}"


# -- formatting -------------------------------------------------------------------------------


def clock(at: str) -> str:
    """'2026-03-10T18:01:30+01:00' -> '18:01'."""
    return datetime.fromisoformat(at).strftime("%H:%M")


def date_sv(day: str) -> str:
    """'2026-03-10' -> '10 mars 2026'."""
    d = datetime.fromisoformat(day)
    return f"{d.day} {MONTHS_SV[d.month - 1]} {d.year}"


def duration_sv(seconds: float) -> str:
    """A duration in Swedish: '45 s', '4 min 10 s', '1 tim 5 min'."""
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} tim {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    return f"{secs} s"


def seconds_between(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def number_sv(value: Any) -> str:
    """A measured value with a decimal comma: 1.25 -> '1,25'."""
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".").replace(".", ",")
    return str(value)


def failure_sv(evidence: dict[str, Any]) -> str:
    """What the monitor found, in Swedish: 'bilden frös (uppmätt 1,2 s, gräns 1 s)'."""
    metric = str(evidence.get("metric", ""))
    what = METRIC_SV.get(metric)
    if what is None and metric.startswith("downlink."):
        what = "deltagaren tog inte emot sammanträdets bild eller ljud med god kvalitet"
    if what is None:
        what = "bild eller ljud fungerade inte"
    value, limit = evidence.get("value"), evidence.get("threshold")
    if isinstance(value, int | float) and isinstance(limit, int | float):
        unit = UNITS_SV.get(metric, "")
        unit = f" {unit}" if unit else ""
        what += f" (uppmätt {number_sv(value)}{unit}, gräns {number_sv(limit)}{unit})"
    return what


# -- building ---------------------------------------------------------------------------------


@dataclass
class _Seen:
    """What the walk remembers about one person."""

    room: bool = False
    deciding: bool = False  # remote, deciding
    attending: bool = False  # remote, attending only
    served: list[_Serving] = field(default_factory=list)


@dataclass
class _Serving:
    """A substitute's time in a member's seat."""

    member: str  # the member's name
    since: str
    until: str | None = None

    @property
    def remark(self) -> str:
        until = f"–{clock(self.until)}" if self.until else ""
        return f"tjänstgörande ersättare för {self.member} ({clock(self.since)}{until})"


class _Builder:
    """One walk over the events, with the meeting's state replayed alongside."""

    def __init__(self, rules: LegalRules | None) -> None:
        self.state = MeetingState.replay((), rules)
        self.seen: dict[str, _Seen] = {}
        self.opened: str | None = None
        self.closed: str | None = None
        self.roll_call: list[str] = []
        self.suspensions: list[Suspension] = []
        self.open_suspension: MeetingSuspended | None = None
        self.attendance: list[AttendanceChange] = []

    def name(self, person_id: str | None) -> str:
        person = self.state.people.get(person_id or "")
        return person.name if person else (person_id or "")

    def who(self, person_id: str) -> str:
        """'Karin Lind (M)'."""
        person = self.state.people.get(person_id)
        if person is None:
            return person_id
        return f"{person.name} ({person.party})" if person.party else person.name

    def change(self, event: Event, person_id: str, text: str) -> None:
        self.attendance.append(AttendanceChange(event.at, clock(event.at), person_id, text))

    def walk(self, events: Iterable[Event]) -> None:
        for event in events:
            self.see(event)
            self.state.apply(event)
        if self.open_suspension is not None:
            self.end_suspension(None)

    def see(self, event: Event) -> None:
        """Note one event, with `self.state` as it was before it."""
        during = self.opened is not None and self.closed is None
        match event:
            case MarkedPresent():
                self.seen.setdefault(event.person_id, _Seen()).room = True
                if during:
                    self.change(event, event.person_id,
                                f"{self.who(event.person_id)} närvarande i sammanträdeslokalen")
            case Admitted():
                seen = self.seen.setdefault(event.person_id, _Seen())
                how = "på distans" if event.mode == "deciding" else (
                    "på distans utan rätt att delta i beslut")
                if event.mode == "deciding":
                    seen.deciding = True
                else:
                    seen.attending = True
                if during:
                    self.change(event, event.person_id,
                                f"{self.who(event.person_id)} ansluter {how}")
            case LeftMeeting():
                if during and event.person_id in self.state.present:
                    why = f" ({event.reason})" if event.reason else ""
                    self.change(event, event.person_id,
                                f"{self.who(event.person_id)} lämnar sammanträdet{why}")
            case LinkFailed():
                if during:
                    self.change(event, event.person_id,
                                f"Förbindelsen med {self.who(event.person_id)} bryts: "
                                f"{failure_sv(event.evidence)}")
            case LinkRestored():
                if during:
                    self.change(event, event.person_id,
                                f"Förbindelsen med {self.who(event.person_id)} återställd")
            case TechnicalPauseStarted():
                if during:
                    self.change(event, event.person_id,
                                f"{self.who(event.person_id)} tar teknisk paus")
            case TechnicalPauseEnded():
                if during:
                    self.change(event, event.person_id,
                                f"{self.who(event.person_id)} åter efter teknisk paus")
            case SubstituteServing():
                seen = self.seen.setdefault(event.substitute_id, _Seen())
                seen.served.append(_Serving(self.name(event.member_id), event.at))
                self.change(event, event.substitute_id,
                            f"{self.who(event.substitute_id)} tjänstgör för "
                            f"{self.who(event.member_id)}")
            case SubstituteReleased():
                self.release(event.substitute_id, event.at)
                self.change(event, event.substitute_id,
                            f"{self.who(event.substitute_id)} slutar tjänstgöra; "
                            f"{self.who(self.state.serving.get(event.substitute_id, ''))} "
                            "återtar sin plats")
            case MeetingOpened():
                self.opened = event.at
                self.roll_call = [self.roll_line(pid) for pid in self.state.people
                                  if pid in self.state.present]
            case MeetingSuspended():
                self.open_suspension = event
            case MeetingResumed():
                self.end_suspension(event.at)
            case MeetingClosed():
                if self.open_suspension is not None:
                    self.end_suspension(event.at)
                self.closed = event.at
                for substitute in self.state.serving:
                    self.release(substitute, event.at)
            case _:
                pass

    def release(self, substitute: str, at: str) -> None:
        seen = self.seen.get(substitute)
        if seen and seen.served and seen.served[-1].until is None:
            seen.served[-1].until = at

    def roll_line(self, person_id: str) -> str:
        presence = self.state.present[person_id]
        if presence.where == "room":
            how = "i sammanträdeslokalen"
        elif presence.mode == "deciding":
            how = "på distans, beslutande"
        else:
            how = "på distans, utan rätt att delta i beslut"
        serving = self.state.serving.get(person_id)
        role: str = self.state.people[person_id].role
        if serving:
            role = f"tjänstgörande ersättare för {self.name(serving)}"
        return f"{self.who(person_id)}, {role}, {how}"

    def end_suspension(self, end: str | None) -> None:
        event = self.open_suspension
        assert event is not None
        self.open_suspension = None
        if event.evidence.get("metric") and event.participant:
            reason = (f"bild eller ljud från {self.who(event.participant)} fungerade inte på "
                      f"lika villkor: {failure_sv(event.evidence)}")
        elif event.evidence.get("metric"):
            reason = failure_sv(event.evidence)
        else:
            reason = event.reason
        seconds = seconds_between(event.at, end) if end else None
        self.suspensions.append(Suspension(
            start=event.at, end=end, start_time=clock(event.at),
            end_time=clock(end) if end else None,
            duration=duration_sv(seconds) if seconds is not None else None, seconds=seconds,
            person_id=event.participant, reason=reason, evidence=dict(event.evidence)))

    # -- the first page --

    def attendees(self) -> tuple[list[Attendee], list[Attendee], list[Attendee]]:
        beslutande: list[Attendee] = []
        ersattare: list[Attendee] = []
        ovriga: list[Attendee] = []
        for pid, person in self.state.people.items():
            seen = self.seen.get(pid)
            if seen is None:
                continue
            decided = seen.room or seen.deciding
            remote_note = ("deltar på distans",) if seen.deciding else ()
            if person.role in SEAT_ROLES and decided:
                beslutande.append(self.attendee(person, seen.deciding, remote_note))
            elif person.role == "ersättare" and seen.served:
                serving = tuple(s.remark for s in seen.served)
                beslutande.append(self.attendee(person, seen.deciding, (*serving, *remote_note)))
            elif person.role == "ersättare" and decided:
                ersattare.append(self.attendee(person, seen.deciding, remote_note))
            elif seen.attending and not decided:
                ovriga.append(self.attendee(
                    person, True, ("närvarar på distans utan rätt att delta i beslut",)))
            else:
                ovriga.append(self.attendee(person, seen.deciding, remote_note))
        return beslutande, ersattare, ovriga

    def attendee(self, person: PersonAdded, remote: bool, remarks: tuple[str, ...]) -> Attendee:
        return Attendee(person.person_id, person.name, person.role, person.party, remote,
                        remarks)


def build_minutes(
    events: Iterable[Event], rules: LegalRules | None = None, evidence: Evidence | None = None
) -> Minutes:
    """The minutes of one meeting from its events (the committee's stream, then its own),
    with the evidence appendix if given (`compliance.evidence.build_evidence`)."""
    builder = _Builder(rules)
    builder.walk(events)
    state = builder.state
    if state.meeting is None or state.committee is None:
        raise ValueError("the events hold no committee and meeting")
    beslutande, ersattare, ovriga = builder.attendees()
    chair = next((p.name for p in state.people.values() if p.role == "ordförande"), "")
    secretary = next((p.name for p in state.people.values() if p.role == "sekreterare"), "")
    return Minutes(
        meeting_id=state.meeting.meeting_id,
        committee=state.committee.name,
        date=state.meeting.date,
        date_text=date_sv(state.meeting.date),
        place=state.meeting.place,
        called_time=state.meeting.time,
        opened_time=clock(builder.opened) if builder.opened else None,
        closed_time=clock(builder.closed) if builder.closed else None,
        profile=state.rules.name,
        beslutande=tuple(beslutande),
        ersattare=tuple(ersattare),
        ovriga=tuple(ovriga),
        roll_call=tuple(builder.roll_call),
        suspensions=tuple(builder.suspensions),
        attendance=tuple(builder.attendance),
        chair=chair,
        secretary=secretary,
        evidence=evidence,
    )
