"""The minutes (protokoll), derived from the meeting's events: a plain model the renderers
(`compliance.minutes_html`, `compliance.minutes_docx`) turn into print-ready HTML and DOCX.

Nothing here is typed in by anyone: every line follows from an event. The first page lists
who decided (Beslutande, "deltar på distans" for remote deciding members, a serving substitute
marked for whom), the substitutes (Ersättare) and others present (Övriga närvarande), the rule
profile and the places for the signatures; then the roll call, each item handled (§) with its
proposals, the order they were put, the votes with each person's vote, the decision,
reservations, jäv and tabling; the interruptions with their reasons and durations; the
attendance changes; and the evidence per decision as an appendix. Swedish throughout: it is a
public document (KL 5:65-69 via 6:35, numbers unverified; the seed's "Beslutande ... deltar på
distans").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from compliance.events import (
    SEAT_ROLES,
    Adjourned,
    AdjournmentEnded,
    Admitted,
    DecisionRecorded,
    DeliberationEnded,
    DeliberationReopened,
    EqualTermsConfirmed,
    Event,
    FloorGiven,
    ItemClosed,
    ItemOpened,
    JavDeclared,
    LeftMeeting,
    LinkFailed,
    LinkRestored,
    MarkedPresent,
    MeetingClosed,
    MeetingOpened,
    MeetingResumed,
    MeetingSuspended,
    PersonAdded,
    ProposalMade,
    ProposalWithdrawn,
    PropositionOrderSet,
    QuestionPut,
    ReservationMade,
    ReservationReasonGiven,
    RoundDecided,
    SubstituteReleased,
    SubstituteServing,
    TechnicalPauseEnded,
    TechnicalPauseStarted,
    VoteCast,
    VoteClosed,
    VoteRequested,
    VoteStarted,
    VoteVoided,
)
from compliance.evidence import DecisionEvidence, Evidence
from compliance.meeting import MeetingState
from compliance.profile import PROFILE_TITLES, LegalRules
from compliance.reasons import describe

MONTHS_SV = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
             "september", "oktober", "november", "december")  # fmt: skip
CHOICE_SV = {"ja": "Ja", "nej": "Nej", "avstår": "Avstår"}

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


# -- the model --------------------------------------------------------------------------------


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
class Interruption:
    """A suspension (avbrott, KL 6:24) or an adjournment (ajournering), with its reason and
    how long it lasted."""

    start: str  # ISO 8601
    end: str | None  # None: never ended
    start_time: str  # HH:MM
    end_time: str | None
    duration: str | None  # Swedish, e.g. "4 min 10 s"
    seconds: float | None
    person_id: str | None
    reason: str  # Swedish, with the person's name
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def span(self) -> str:
        """'kl. 18:20–18:25 (5 min)'."""
        if self.end_time is None:
            return f"kl. {self.start_time}–"
        return f"kl. {self.start_time}–{self.end_time} ({self.duration})"


@dataclass(frozen=True)
class Proposal:
    """A proposal (yrkande) as the minutes name it."""

    proposal_id: str
    label: str  # "förslaget till beslut", "Karin Linds (M) yrkande"
    author: str  # "Karin Lind (M)", or "" for the draft decision
    text: str
    withdrawn: bool = False

    @property
    def line(self) -> str:
        if not self.author:
            return f"Ordföranden framställer förslaget till beslut: {self.text}"
        withdrawn = " (återtaget)" if self.withdrawn else ""
        return f"{self.author} yrkar: {self.text}{withdrawn}"


@dataclass(frozen=True)
class Ballot:
    """One person's answer in an open vote."""

    person_id: str
    who: str  # "Karin Lind (M)", with "tjänstgörande ersättare för …" if so
    choice: str  # Ja, Nej, Avstår


@dataclass(frozen=True)
class VoteRecord:
    """A vote (omröstning): the question, each person's vote (open votes), the result."""

    vote_id: str
    ja: str  # label of the ja alternative
    nej: str
    secret: bool
    started_time: str
    ballots: tuple[Ballot, ...] = ()
    tally: dict[str, int] = field(default_factory=dict)
    result: str = ""  # Swedish sentence, "" while open
    voided: str = ""  # why the vote is void (then retaken), "" if not

    @property
    def question(self) -> str:
        how = ("Sluten omröstning; valsedlarna lämnades och räknades utanför Kvorum"
               if self.secret else "Öppen omröstning genom upprop")
        return f"{how}. Ja-röst för {self.ja}, nej-röst för {self.nej}."


Step = str | VoteRecord  # one line of an item's proceedings, in the order it happened


@dataclass(frozen=True)
class Item:
    """One paragraph (§): an agenda item as it was handled."""

    number: int
    item_id: str
    title: str
    kind: str  # decision, election, information
    draft: str  # the committee's draft decision (förslag till beslut), as on the agenda
    opened_time: str
    closed_time: str | None
    jav: tuple[str, ...]  # who had jäv, left and came back
    speakers: tuple[str, ...]  # who was given the floor, in order
    proposals: tuple[Proposal, ...]
    proceedings: tuple[Step, ...]  # the proposition, votes, suspensions, in order
    decision: str | None  # "Nämnden beslutar …", None if not decided
    reservations: tuple[str, ...]
    tabled: str | None  # "Ärendet bordläggs …", None if not tabled

    @property
    def votes(self) -> tuple[VoteRecord, ...]:
        return tuple(s for s in self.proceedings if isinstance(s, VoteRecord))


@dataclass(frozen=True)
class EvidenceLine:
    """One decision's evidence as the minutes' appendix shows it."""

    paragraph: str  # "§ 2 Budget 2027"
    time: str  # HH:MM
    seq: int
    hash: str
    verified: bool  # the chain vouches for this event
    deciding: str  # "9 beslutande; beslutför: 9 av 13 ledamöter, 7 krävs"
    remote: tuple[str, ...]  # per remote deciding member, their link over the item and vote


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
    items: tuple[Item, ...]
    not_handled: tuple[str, ...]  # agenda items never opened
    suspensions: tuple[Interruption, ...]
    adjournments: tuple[Interruption, ...]
    attendance: tuple[AttendanceChange, ...]
    chair: str  # name, under the chair's signature
    secretary: str
    evidence: Evidence | None = None  # the appendix: evidence per decision, the hash chain
    evidence_lines: tuple[EvidenceLine, ...] = ()

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


def genitive(name: str) -> str:
    """Swedish genitive: 'Karin Lind' -> 'Karin Linds', 'Hans Weiss' -> 'Hans Weiss'."""
    return name if name[-1:].lower() in ("s", "x", "z") else f"{name}s"


def listing(parts: Iterable[str]) -> str:
    """'a', 'a och b', 'a, b och c'."""
    items = list(parts)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " och " + items[-1]


# -- building ---------------------------------------------------------------------------------


@dataclass
class _Serving:
    """A substitute's time in a member's seat."""

    member_id: str
    member: str  # the member's name
    since: str
    until: str | None = None

    @property
    def remark(self) -> str:
        until = f"–{clock(self.until)}" if self.until else ""
        return f"tjänstgörande ersättare för {self.member} ({clock(self.since)}{until})"


@dataclass
class _Seen:
    """What the walk remembers about one person."""

    room: bool = False
    deciding: bool = False  # remote, deciding
    attending: bool = False  # remote, attending only
    served: list[_Serving] = field(default_factory=list)
    jav: list[str] = field(default_factory=list)  # "§ 2"


@dataclass(frozen=True)
class _VoteSlot:
    """Where a vote stands among an item's steps, until its record is complete."""

    vote_id: str


@dataclass
class _ItemDraft:
    """An item while the walk is inside it."""

    number: int
    item_id: str
    opened: str
    speakers: list[str] = field(default_factory=list)
    proposals: dict[str, Proposal] = field(default_factory=dict)
    steps: list[Step | _VoteSlot] = field(default_factory=list)
    decision: str | None = None
    reservations: dict[str, tuple[str, str]] = field(default_factory=dict)  # pid -> who, reason
    jav_out: dict[str, str] = field(default_factory=dict)  # pid -> since (ISO)
    jav_lines: list[str] = field(default_factory=list)
    tabled: str | None = None
    closed: str | None = None


class _Builder:
    """One walk over the events, with the meeting's state replayed alongside: `see` reads
    each event against the state as it was before it."""

    def __init__(self, rules: LegalRules | None) -> None:
        self.state = MeetingState.replay((), rules)
        self.seen: dict[str, _Seen] = {}
        self.opened: str | None = None
        self.closed: str | None = None
        self.roll_call: list[str] = []
        self.suspensions: list[Interruption] = []
        self.adjournments: list[Interruption] = []
        self.open_suspension: MeetingSuspended | None = None
        self.open_adjournment: Adjourned | None = None
        self.attendance: list[AttendanceChange] = []
        self.items: dict[str, _ItemDraft] = {}
        self.votes: dict[str, VoteRecord] = {}

    # -- names --

    def name(self, person_id: str | None) -> str:
        person = self.state.people.get(person_id or "")
        return person.name if person else (person_id or "")

    def finding(self, event: LinkFailed | MeetingSuspended, person_id: str | None) -> str:
        """What the monitor found, worded by compliance/reasons.py (the same sentence the
        dashboards showed), or from a log written before findings had codes."""
        if event.code:
            names = {pid: p.name for pid, p in self.state.people.items()}
            return describe(event.code, event.params, self.name(person_id), names)[0].rstrip(".")
        return failure_sv(event.evidence)

    def who(self, person_id: str) -> str:
        """'Karin Lind (M)'."""
        person = self.state.people.get(person_id)
        if person is None:
            return person_id
        return f"{person.name} ({person.party})" if person.party else person.name

    def label(self, item: _ItemDraft, proposal_id: str | None) -> str:
        proposal = item.proposals.get(proposal_id or "")
        return proposal.label if proposal else (proposal_id or "")

    def current(self) -> _ItemDraft | None:
        item_id = self.state.agenda.current
        return self.items.get(item_id) if item_id else None

    def change(self, event: Event, person_id: str, text: str) -> None:
        self.attendance.append(AttendanceChange(event.at, clock(event.at), person_id, text))

    def step(self, text: Step) -> None:
        item = self.current()
        if item is not None:
            item.steps.append(text)

    # -- the walk --

    def walk(self, events: Iterable[Event]) -> None:
        for event in events:
            self.see(event)
            self.see_procedure(event)
            self.state.apply(event)
        if self.open_suspension is not None:
            self.end_suspension(None)
        if self.open_adjournment is not None:
            self.end_adjournment(None)

    def see(self, event: Event) -> None:
        """Presence, phase and interruptions."""
        during = self.opened is not None and self.closed is None
        match event:
            case MarkedPresent():
                self.seen.setdefault(event.person_id, _Seen()).room = True
                if during:
                    self.change(event, event.person_id,
                                f"{self.who(event.person_id)} närvarande i sammanträdeslokalen")
            case Admitted():
                seen = self.seen.setdefault(event.person_id, _Seen())
                if event.mode == "deciding":
                    seen.deciding, how = True, "på distans"
                else:
                    seen.attending, how = True, "på distans utan rätt att delta i beslut"
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
                                f"{self.finding(event, event.person_id)}")
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
                seen.served.append(
                    _Serving(event.member_id, self.name(event.member_id), event.at))
                self.change(event, event.substitute_id,
                            f"{self.who(event.substitute_id)} tjänstgör för "
                            f"{self.who(event.member_id)}")
                item = self.current()
                if item is not None and event.member_id in item.jav_out:
                    item.jav_lines.append(f"{self.who(event.substitute_id)} tjänstgör i "
                                          f"{genitive(self.name(event.member_id))} ställe.")
            case SubstituteReleased():
                self.release(event.substitute_id, event.at)
            case MeetingOpened():
                self.opened = event.at
                self.roll_call = [self.roll_line(pid) for pid in self.state.people
                                  if pid in self.state.present]
            case MeetingSuspended():
                self.open_suspension = event
            case MeetingResumed():
                self.end_suspension(event.at)
            case Adjourned():
                self.open_adjournment = event
            case AdjournmentEnded():
                self.end_adjournment(event.at)
            case MeetingClosed():
                if self.open_suspension is not None:
                    self.end_suspension(event.at)
                if self.open_adjournment is not None:
                    self.end_adjournment(event.at)
                self.closed = event.at
                for substitute in self.state.serving:
                    self.release(substitute, event.at, announce=False)
            case _:
                pass

    def see_procedure(self, event: Event) -> None:
        """Items, proposals, the proposition, votes, the decision, reservations, jäv."""
        item = self.current()
        match event:
            case ItemOpened():
                opened = _ItemDraft(len(self.items) + 1, event.item_id, event.at)
                self.items[event.item_id] = opened
                for pid in self.state.jav.declared.get(event.item_id, {}):
                    self.jav_out(opened, pid, event)
            case JavDeclared():
                if item is not None and item.item_id == event.item_id:
                    self.jav_out(item, event.person_id, event)
            case FloorGiven() if item is not None:
                if self.who(event.person_id) not in item.speakers:
                    item.speakers.append(self.who(event.person_id))
            case ProposalMade() if item is not None:
                author = "" if event.draft else self.who(event.author)
                label = ("förslaget till beslut" if event.draft else
                         f"{genitive(self.name(event.author))} yrkande")
                item.proposals[event.proposal_id] = Proposal(
                    event.proposal_id, label, author, event.text)
            case ProposalWithdrawn() if item is not None:
                old = item.proposals[event.proposal_id]
                item.proposals[event.proposal_id] = Proposal(
                    old.proposal_id, old.label, old.author, old.text, withdrawn=True)
            case DeliberationEnded():
                self.step("Ordföranden förklarar överläggningen avslutad.")
            case DeliberationReopened():
                self.step("Ordföranden återupptar överläggningen.")
            case EqualTermsConfirmed():
                self.step(self.equal_terms_line(event))
            case PropositionOrderSet() if item is not None:
                order = [self.label(item, p) for p in event.order]
                text = f"Ordföranden föreslår propositionsordningen: huvudförslag {order[0]}"
                if len(order) > 2:
                    text += (f"; motförslag utses genom kontraproposition mellan "
                             f"{listing(order[1:])}")
                elif len(order) == 2:
                    text += f", mot {order[1]}"
                self.step(text + ". Nämnden godkänner propositionsordningen.")
            case QuestionPut() if item is not None:
                self.step(self.question_line(item, event))
            case VoteRequested():
                self.step(f"Votering begärs av {self.who(event.person_id)}.")
            case VoteStarted() if item is not None:
                record = VoteRecord(event.vote_id, self.label(item, event.ja),
                                    self.label(item, event.nej), event.secret, clock(event.at))
                self.votes[event.vote_id] = record
                item.steps.append(_VoteSlot(event.vote_id))
            case VoteCast():
                record = self.votes[event.vote_id]
                ballot = Ballot(event.person_id, self.voter(event.person_id),
                                CHOICE_SV[event.choice])
                self.votes[event.vote_id] = _with(record, ballots=(*record.ballots, ballot))
            case VoteClosed():
                self.close_vote(event)
            case VoteVoided():
                self.votes[event.vote_id] = _with(
                    self.votes[event.vote_id],
                    voided=f"Omröstningen är ogiltig och görs om: {event.message_sv}")
            case RoundDecided() if item is not None:
                how = "genom omröstning" if event.method == "vote" else "utan omröstning"
                self.step(f"Nämnden utser {how} {self.label(item, event.winner)} till "
                          "motförslag i huvudvoteringen.")
            case DecisionRecorded() if item is not None:
                how = "efter omröstning" if event.method == "vote" else ""
                label = self.label(item, event.proposal_id)
                item.decision = (f"Nämnden beslutar {how + ' ' if how else ''}enligt {label}: "
                                 f"{event.text}")
            case ReservationMade():
                target = self.items.get(event.item_id)
                if target is not None:
                    target.reservations[event.person_id] = (self.who(event.person_id),
                                                            event.reason)
            case ReservationReasonGiven():
                target = self.items.get(event.item_id)
                if target is not None and event.person_id in target.reservations:
                    who, _ = target.reservations[event.person_id]
                    target.reservations[event.person_id] = (who, event.reason)
            case ItemClosed() if item is not None:
                item.closed = event.at
                if event.tabled:
                    why = f" Skäl: {event.reason}" if event.reason else ""
                    item.tabled = f"Nämnden beslutar att bordlägga ärendet.{why}"
                for pid in event.returned:
                    since = item.jav_out.pop(pid, event.at)
                    item.jav_lines.append(
                        f"{self.who(pid)} återinträder i sammanträdet kl. {clock(event.at)} "
                        f"(borta {duration_sv(seconds_between(since, event.at))}).")
                    self.change(event, pid, f"{self.who(pid)} återinträder efter "
                                            f"§ {item.number} (jäv)")
                for substitute in event.released:
                    self.release(substitute, event.at)
            case _:
                pass

    # -- pieces --

    def jav_out(self, item: _ItemDraft, person_id: str, event: Event) -> None:
        declared = self.state.jav.declared.get(item.item_id, {}).get(person_id)
        reason = declared.reason if declared else getattr(event, "reason", "")
        why = f" ({reason})" if reason else ""
        item.jav_out[person_id] = event.at
        item.jav_lines.append(f"{self.who(person_id)} anmäler jäv{why} och lämnar "
                              f"sammanträdet under ärendet kl. {clock(event.at)}.")
        self.seen.setdefault(person_id, _Seen()).jav.append(f"§ {item.number}")
        self.change(event, person_id,
                    f"{self.who(person_id)} lämnar sammanträdet under § {item.number} (jäv)")

    def voter(self, person_id: str) -> str:
        serving = self.state.serving.get(person_id)
        note = f", tjänstgörande ersättare för {self.name(serving)}" if serving else ""
        presence = self.state.present.get(person_id)
        remote = ", på distans" if presence is not None and presence.where == "remote" else ""
        return f"{self.who(person_id)}{note}{remote}"

    def question_line(self, item: _ItemDraft, event: QuestionPut) -> str:
        ja, finding = self.label(item, event.ja), self.label(item, event.finding)
        if event.nej is None:
            return (f"Ordföranden ställer proposition på {ja} och finner att nämnden bifaller "
                    "det.")
        nej = self.label(item, event.nej)
        if event.stage == "counter":
            return (f"Ordföranden ställer proposition på {ja} mot {nej} för att utse "
                    f"motförslag och finner att nämnden utser {finding} till motförslag.")
        return (f"Ordföranden ställer proposition på {ja} mot {nej} och finner att nämnden "
                f"beslutar enligt {finding}.")

    def equal_terms_line(self, event: EqualTermsConfirmed) -> str:
        if event.ok:
            return ("Ordföranden konstaterar att samtliga beslutande som deltar på distans har "
                    "varit anslutna på lika villkor sedan ärendet öppnades.")
        what_sv = {"link_failed": "förbindelsen bröts", "technical_pause": "teknisk paus",
                   "left": "lämnade", "suspended": "sammanträdet avbröts",
                   "joined_late": "anslöt efter att ärendet öppnats"}
        parts = []
        for i in event.interruptions:
            who = f"{self.who(str(i['person_id']))}: " if i.get("person_id") else ""
            parts.append(f"{who}{what_sv.get(str(i.get('what')), str(i.get('what')))} "
                         f"kl. {clock(str(i['at']))}")
        return ("Ordföranden konstaterar följande avbrott för beslutande på distans sedan "
                f"ärendet öppnades: {'; '.join(parts)}.")

    def close_vote(self, event: VoteClosed) -> None:
        record = self.votes[event.vote_id]
        tally = dict(event.tally)
        counts = (f"{tally.get('ja', 0)} ja-röster mot {tally.get('nej', 0)} nej-röster"
                  + (f", {tally['avstår']} avstår" if tally.get("avstår") else ""))
        winner = record.ja if event.result == "ja" else record.nej
        if event.tie_break == "casting":
            chair = next((self.who(p) for p in self.state.people
                          if self.state.people[p].role == "ordförande"), "ordföranden")
            result = (f"Med {counts} och ordförandens utslagsröst ({chair}, "
                      f"{event.result}) har nämnden beslutat enligt {winner}.")
        elif event.tie_break == "lot":
            value = number_sv(float(event.draw.get("value", 0.0)))
            result = (f"Med {counts} avgörs saken genom lottning (dragna värdet {value}; "
                      f"{event.draw.get('rule', '')}): {winner}.")
        else:
            result = f"Med {counts} har nämnden beslutat enligt {winner}."
        self.votes[event.vote_id] = _with(record, tally=tally, result=result)

    def release(self, substitute: str, at: str, announce: bool = True) -> None:
        seen = self.seen.get(substitute)
        if seen and seen.served and seen.served[-1].until is None:
            seen.served[-1].until = at
            if announce:
                member = self.who(seen.served[-1].member_id)
                self.attendance.append(AttendanceChange(
                    at, clock(at), substitute,
                    f"{self.who(substitute)} slutar tjänstgöra; {member} återtar sin plats"))

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
        if event.code and event.participant:
            reason = (f"bild eller ljud från {self.who(event.participant)} fungerade inte på "
                      f"lika villkor: {self.finding(event, event.participant)}")
        elif event.code:
            reason = self.finding(event, None)
        elif event.evidence.get("metric") and event.participant:
            reason = (f"bild eller ljud från {self.who(event.participant)} fungerade inte på "
                      f"lika villkor: {failure_sv(event.evidence)}")
        elif event.evidence.get("metric"):
            reason = failure_sv(event.evidence)
        else:
            reason = event.reason
        record = _interruption(event.at, end, event.participant, reason, event.evidence)
        self.suspensions.append(record)
        self.step(f"Sammanträdet avbryts {record.span}: {reason}.")

    def end_adjournment(self, end: str | None) -> None:
        event = self.open_adjournment
        assert event is not None
        self.open_adjournment = None
        groups = "; ".join(" + ".join(g) for g in event.groups)
        reason = "överläggning i partigrupper" + (f" ({groups})" if groups else "")
        if event.reason:
            reason += f": {event.reason}"
        record = _interruption(event.at, end, None, reason, {})
        self.adjournments.append(record)
        self.step(f"Sammanträdet ajourneras {record.span} för {reason}.")

    # -- results --

    def attendees(self) -> tuple[list[Attendee], list[Attendee], list[Attendee]]:
        beslutande: list[Attendee] = []
        ersattare: list[Attendee] = []
        ovriga: list[Attendee] = []
        for pid, person in self.state.people.items():
            seen = self.seen.get(pid)
            if seen is None:
                continue
            decided = seen.room or seen.deciding
            notes = (("deltar på distans",) if seen.deciding else ()) + tuple(
                f"jäv {p}" for p in seen.jav)
            if person.role in SEAT_ROLES and decided:
                beslutande.append(_attendee(person, seen.deciding, notes))
            elif person.role == "ersättare" and seen.served:
                serving = tuple(s.remark for s in seen.served)
                beslutande.append(_attendee(person, seen.deciding, (*serving, *notes)))
            elif person.role == "ersättare" and decided:
                ersattare.append(_attendee(person, seen.deciding, notes))
            elif seen.attending and not decided:
                ovriga.append(_attendee(
                    person, True, ("närvarar på distans utan rätt att delta i beslut",)))
            else:
                ovriga.append(_attendee(person, seen.deciding, notes))
        return beslutande, ersattare, ovriga

    def finished_items(self) -> list[Item]:
        result = []
        for draft in self.items.values():
            agenda_item = self.state.agenda.items.get(draft.item_id)
            steps = tuple(self.votes[s.vote_id] if isinstance(s, _VoteSlot) else s
                          for s in draft.steps)
            reservations = tuple(
                f"{who} reserverar sig mot beslutet"
                + (f", med skriftlig motivering: ”{reason}”" if reason else ".")
                for who, reason in draft.reservations.values())
            result.append(Item(
                number=draft.number, item_id=draft.item_id,
                title=agenda_item.title if agenda_item else draft.item_id,
                kind=agenda_item.kind if agenda_item else "decision",
                draft=agenda_item.draft if agenda_item else "",
                opened_time=clock(draft.opened),
                closed_time=clock(draft.closed) if draft.closed else None,
                jav=tuple(draft.jav_lines), speakers=tuple(draft.speakers),
                proposals=tuple(draft.proposals.values()), proceedings=steps,
                decision=draft.decision, reservations=reservations, tabled=draft.tabled))
        return result

    def evidence_lines(self, evidence: Evidence) -> list[EvidenceLine]:
        return [self.evidence_line(d) for d in evidence.decisions]

    def evidence_line(self, d: DecisionEvidence) -> EvidenceLine:
        item = self.items.get(d.item_id)
        number = f"§ {item.number} " if item else ""
        title = self.state.agenda.items[d.item_id].title if d.item_id in (
            self.state.agenda.items) else d.item_id
        q = d.quorum
        deciding = (f"{len(d.deciding)} beslutande; beslutför: {q.get('present')} av "
                    f"{q.get('members')} ledamöter närvarande, {q.get('required')} krävs")
        remote = []
        for link in d.remote:
            if link.unbroken_over_item:
                item_part = "förbindelsen obruten under hela ärendet"
            else:
                item_part = "avbrott under ärendet (" + "; ".join(
                    f"{_LINK_EVENT_SV.get(e['type'], e['type'])} kl. {clock(e['at'])}"
                    for e in link.over_item) + ")"
            if link.vote_id is None:
                vote_part = "beslut utan omröstning"
            elif link.unbroken_over_vote:
                vote_part = "obruten under omröstningen"
            else:
                vote_part = "avbrott under omröstningen"
            remote.append(f"{self.who(link.person_id)}: {item_part}; {vote_part}.")
        return EvidenceLine(
            paragraph=f"{number}{title}", time=clock(d.at), seq=d.seq, hash=d.hash,
            verified=d.chain_verified, deciding=deciding, remote=tuple(remote))


_LINK_EVENT_SV = {"link_failed": "förbindelsen bröts", "link_restored": "återställd",
                  "meeting_suspended": "sammanträdet avbröts",
                  "meeting_resumed": "sammanträdet återupptogs",
                  "technical_pause_started": "teknisk paus",
                  "technical_pause_ended": "åter efter teknisk paus",
                  "left": "lämnade", "admitted": "anslöt"}  # fmt: skip


def _with(record: VoteRecord, **changes: Any) -> VoteRecord:
    return replace(record, **changes)


def _interruption(start: str, end: str | None, person_id: str | None, reason: str,
                  evidence: dict[str, Any]) -> Interruption:
    seconds = seconds_between(start, end) if end else None
    return Interruption(
        start=start, end=end, start_time=clock(start), end_time=clock(end) if end else None,
        duration=duration_sv(seconds) if seconds is not None else None, seconds=seconds,
        person_id=person_id, reason=reason, evidence=dict(evidence))


def _attendee(person: PersonAdded, remote: bool, remarks: tuple[str, ...]) -> Attendee:
    return Attendee(person.person_id, person.name, person.role, person.party, remote, remarks)


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
    title = PROFILE_TITLES.get(state.profile_id, ("", ""))[0]
    profile = f"{title} – {state.rules.name}" if title else state.rules.name
    return Minutes(
        meeting_id=state.meeting.meeting_id,
        committee=state.committee.name,
        date=state.meeting.date,
        date_text=date_sv(state.meeting.date),
        place=state.meeting.place,
        called_time=state.meeting.time,
        opened_time=clock(builder.opened) if builder.opened else None,
        closed_time=clock(builder.closed) if builder.closed else None,
        profile=profile,
        beslutande=tuple(beslutande),
        ersattare=tuple(ersattare),
        ovriga=tuple(ovriga),
        roll_call=tuple(builder.roll_call),
        items=tuple(builder.finished_items()),
        not_handled=tuple(i.title for i in state.agenda.ordered() if i.status == "pending"),
        suspensions=tuple(builder.suspensions),
        adjournments=tuple(builder.adjournments),
        attendance=tuple(builder.attendance),
        chair=chair,
        secretary=secretary,
        evidence=evidence,
        evidence_lines=tuple(builder.evidence_lines(evidence)) if evidence else (),
    )
