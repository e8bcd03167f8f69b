"""The meeting's state, derived by replaying its events, and the commands that extend it.

A command checks the rules against the current state and returns the new event, or raises
`RuleViolation`; it never changes the state. The caller appends the event to the log and then
`apply`s it. `apply` trusts the event (it was checked when it was made), so an old log always
replays even after the rules change. Time comes in as the `at` argument (ISO 8601).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from compliance.adjournment import Adjournment
from compliance.agenda import Agenda
from compliance.events import (
    ELECTED_ROLES,
    REMOTE_MODES,
    ROLE_EN,
    SEAT_ROLES,
    Admitted,
    CommitteeCreated,
    Event,
    InvitationIssued,
    InvitationRevoked,
    LeftMeeting,
    LinkFailed,
    LinkRestored,
    LobbyEntered,
    MarkedPresent,
    MeetingClosed,
    MeetingCreated,
    MeetingOpened,
    MeetingResumed,
    MeetingSuspended,
    PersonAdded,
    ProfileChosen,
    RemoteDecided,
    RemoteMode,
    RemoteRequested,
    Role,
    SubstituteReleased,
    SubstituteServing,
    TechnicalPauseEnded,
    TechnicalPauseStarted,
)
from compliance.jav import Jav
from compliance.profile import (
    DEFAULT_PROFILE_ID,
    PROFILES,
    LegalRules,
    default_profile,
    profile_by_id,
)
from compliance.proposals import Proposals
from compliance.quorum import Quorum, quorum, seat_holders
from compliance.reservations import Reservations
from compliance.roster import person_problems
from compliance.speakers import SpeakerList
from compliance.violations import RuleViolation
from compliance.votes import Votes, compromised

Phase = Literal["scheduled", "open", "suspended", "closed"]
CHAIR: tuple[Role, ...] = ("ordförande",)
CHAIR_OR_SECRETARY: tuple[Role, ...] = ("ordförande", "sekreterare")
# Who may run each command that names its caller (`by`); the dashboards show this table.
COMMAND_ROLES: dict[str, tuple[Role, ...]] = {
    "decide_remote": CHAIR,
    "admit": CHAIR_OR_SECRETARY,
    "mark_present": CHAIR_OR_SECRETARY,
    "serve_substitute": CHAIR,
    "release_substitute": CHAIR,
    "open": CHAIR,
    "resume": CHAIR,
    "close": CHAIR,
}


@dataclass
class Presence:
    """Where a present person is: in the room, or remote in a mode; and what interrupts them."""

    where: Literal["room", "remote"]
    mode: RemoteMode | None = None  # remote only
    paused: bool = False  # technical pause: not counted as having left
    link_failed: bool = False  # the monitor says picture or sound failed: absent meanwhile
    failure: LinkFailed | None = None  # why, while link_failed

    @property
    def counts(self) -> bool:
        """Counts as a present participant (KL 5:16, 6:24): in the room, or deciding remotely
        with a working link."""
        return not self.link_failed and (self.where == "room" or self.mode == "deciding")


@dataclass
class MeetingState:
    """One meeting of one committee, as its events say it is now."""

    rules: LegalRules = field(default_factory=lambda: default_profile().legal)
    committee: CommitteeCreated | None = None
    people: dict[str, PersonAdded] = field(default_factory=dict)  # the roster, by person id
    meeting: MeetingCreated | None = None
    invitations: dict[str, str] = field(default_factory=dict)  # invitation id -> person id
    revoked: set[str] = field(default_factory=set)  # revoked invitation ids
    requests: dict[str, RemoteRequested] = field(default_factory=dict)  # latest, by person
    decisions: dict[str, RemoteDecided] = field(default_factory=dict)  # on the latest request
    lobby: set[str] = field(default_factory=set)
    present: dict[str, Presence] = field(default_factory=dict)
    serving: dict[str, str] = field(default_factory=dict)  # substitute id -> member id
    phase: Phase = "scheduled"
    suspension: MeetingSuspended | None = None  # the current one, while suspended
    profile_id: str = DEFAULT_PROFILE_ID  # the rule profile in force (compliance.profile)
    # The procedure, one part per concept; each folds in the events it knows.
    agenda: Agenda = field(default_factory=Agenda)
    speakers: SpeakerList = field(default_factory=SpeakerList)
    proposals: Proposals = field(default_factory=Proposals)
    votes: Votes = field(default_factory=Votes)
    reservations: Reservations = field(default_factory=Reservations)
    jav: Jav = field(default_factory=Jav)
    adjournment: Adjournment = field(default_factory=Adjournment)

    # -- deriving state ----------------------------------------------------------------------

    @classmethod
    def replay(cls, events: Iterable[Event], rules: LegalRules | None = None) -> MeetingState:
        """The state after `events`, in log order (committee events first, then the meeting's)."""
        state = cls() if rules is None else cls(rules=rules, profile_id=profile_id_of(rules))
        for event in events:
            state.apply(event)
        return state

    def apply(self, event: Event) -> None:
        """Fold one event into the state: first the procedure's parts (they see the state as
        it was before the event), then the meeting's own presence and phase."""
        parts = (self.agenda, self.speakers, self.proposals, self.votes, self.reservations,
                 self.jav, self.adjournment)
        handled = [part.apply(event, self) for part in parts]
        if not self._apply_own(event) and not any(handled):
            raise ValueError(f"no rule to apply event type {event.type!r}")

    def _apply_own(self, event: Event) -> bool:
        match event:
            case CommitteeCreated():
                self.committee = event
            case PersonAdded():
                self.people[event.person_id] = event
            case MeetingCreated():
                self.meeting = event
                if event.profile:
                    self._use_profile(event.profile)
            case ProfileChosen():
                self._use_profile(event.profile_id)
            case InvitationIssued():
                self.invitations[event.invitation_id] = event.person_id
            case InvitationRevoked():
                self.revoked.add(event.invitation_id)
            case RemoteRequested():
                self.requests[event.person_id] = event
                self.decisions.pop(event.person_id, None)
            case RemoteDecided():
                self.decisions[event.person_id] = event
            case LobbyEntered():
                self.lobby.add(event.person_id)
            case Admitted():
                self.lobby.discard(event.person_id)
                self.present[event.person_id] = Presence("remote", event.mode)
            case MarkedPresent():
                self.lobby.discard(event.person_id)
                self.present[event.person_id] = Presence("room")
            case LeftMeeting():
                self.lobby.discard(event.person_id)
                self.present.pop(event.person_id, None)
            case TechnicalPauseStarted() | TechnicalPauseEnded():
                if presence := self.present.get(event.person_id):
                    presence.paused = isinstance(event, TechnicalPauseStarted)
            case LinkFailed():
                if presence := self.present.get(event.person_id):
                    presence.link_failed, presence.failure = True, event
            case LinkRestored():
                if presence := self.present.get(event.person_id):
                    presence.link_failed, presence.failure = False, None
            case SubstituteServing():
                self.serving[event.substitute_id] = event.member_id
            case SubstituteReleased():
                self.serving.pop(event.substitute_id, None)
            case MeetingOpened() | MeetingResumed():
                self.phase, self.suspension = "open", None
            case MeetingSuspended():
                self.phase, self.suspension = "suspended", event
            case MeetingClosed():
                self.phase, self.suspension = "closed", None
            case _:
                return False
        return True

    def _use_profile(self, profile_id: str) -> None:
        self.profile_id, self.rules = profile_id, profile_by_id(profile_id).legal

    # -- questions -----------------------------------------------------------------------------

    def person(self, person_id: str) -> PersonAdded:
        """The roster entry, or `RuleViolation("unknown_person")`."""
        if person_id not in self.people:
            raise RuleViolation(
                "unknown_person",
                "Personen finns inte i nämndens förteckning.",
                "The person is not on the committee's roster.",
            )
        return self.people[person_id]

    def member(self, person_id: str) -> PersonAdded:
        """The roster entry of a member (chair or ledamot), or `RuleViolation("not_a_member")`."""
        person = self.person(person_id)
        if person.role not in SEAT_ROLES:
            raise RuleViolation(
                "not_a_member",
                "Personen är inte ledamot i nämnden.",
                "The person is not a member of the committee.",
            )
        return person

    def members(self) -> list[str]:
        """The committee's seats: the chair and the members (ledamöter), in roster order."""
        return [pid for pid, p in self.people.items() if p.role in SEAT_ROLES]

    def approved_mode(self, person_id: str) -> RemoteMode | None:
        """The remote mode the chair approved on the person's latest request, if any."""
        decision = self.decisions.get(person_id)
        return self.requests[person_id].mode if decision and decision.approved else None

    def quorum(self) -> Quorum:
        """Quorum now (KL 6:27), serving substitutes counted, failed links absent, and people
        with jäv in the open item not counted."""
        out = self.jav.out_now(self)
        counting = {
            pid for pid, presence in self.present.items() if presence.counts and pid not in out
        }
        return quorum(self.members(), self.serving, counting, self.rules)

    def can_decide(self, person_id: str) -> bool:
        """True if the person holds a seat now, counts as present and has no jäv in the
        open item: a deciding person (beslutande)."""
        return person_id in self.quorum().counted

    def decision_block(self) -> RuleViolation | None:
        """Why no decision (proposal, vote) may be taken now, or None if one may.

        The single place decision features ask. Blocks when the meeting is not open, is
        suspended, adjourned or closed, a seat holder's link has failed or they are on a
        technical pause, the committee is not quorate (people with jäv in the open item not
        counted), or a remote voter's link failed during the open vote (the vote is void).
        """
        if self.phase != "open":
            return self._phase_violation()
        if self.adjournment.current is not None:
            return RuleViolation(
                "adjourned",
                "Sammanträdet är ajournerat; inga beslut fattas under ajourneringen.",
                "The meeting is adjourned; no decisions are taken meanwhile.",
            )
        out = self.jav.out_now(self)
        for holder in seat_holders(self.members(), self.serving).values():
            presence = self.present.get(holder)
            if presence is None or holder in out:
                continue
            name = self.people[holder].name
            if presence.link_failed:
                return RuleViolation(
                    "link_failed",
                    f"{name} har ingen fungerande förbindelse; sammanträdet ska avbrytas "
                    "(KL 6:24).",
                    f"{name} has no working link; the meeting must be suspended (KL 6:24).",
                )
            if presence.paused:
                return RuleViolation(
                    "technical_pause",
                    f"{name} har teknisk paus; beslut får inte fattas under pausen.",
                    f"{name} is on a technical pause; no decision may be taken meanwhile.",
                )
        q = self.quorum()
        if not q.quorate:
            return RuleViolation(
                "not_quorate",
                f"Nämnden är inte beslutför: {q.present} av {q.members} ledamöter "
                f"närvarande, {q.required} krävs (KL 6:27).",
                f"The committee is not quorate: {q.present} of {q.members} members present, "
                f"{q.required} required (KL 6:27).",
            )
        return compromised(self)

    # -- commands: roster and meeting --------------------------------------------------------

    def create_committee(
        self, committee_id: str, name: str, at: str, party_order: Iterable[str] = ()
    ) -> CommitteeCreated:
        """Create the committee; `party_order` ranks other parties' substitutes."""
        if self.committee is not None:
            raise RuleViolation(
                "committee_exists", "Nämnden finns redan.", "The committee already exists."
            )
        return CommitteeCreated(
            at=at, committee_id=committee_id, name=name, party_order=tuple(party_order)
        )

    def add_person(
        self,
        person_id: str,
        name: str,
        role: Role,
        at: str,
        party: str = "",
        substitute_order: int | None = None,
        email: str = "",
    ) -> PersonAdded:
        """Add a person to the roster (see `compliance.roster` for what is valid)."""
        self._require_committee()
        if person_id in self.people:
            raise RuleViolation(
                "person_exists",
                "Personen finns redan i förteckningen.",
                "The person is already on the roster.",
            )
        problems = person_problems(name, role, party, substitute_order, email)
        if problems:
            sv, en = problems[0]
            raise RuleViolation(
                "invalid_person", f"Ogiltig uppgift: {sv}.", f"Invalid entry: {en}."
            )
        return PersonAdded(
            at=at,
            person_id=person_id,
            name=name,
            role=role,
            party=party,
            substitute_order=substitute_order,
            email=email,
        )

    def create_meeting(
        self,
        meeting_id: str,
        date: str,
        time: str,
        place: str,
        at: str,
        agenda: Iterable[str] = (),
        profile: str = "",
    ) -> MeetingCreated:
        """Call a meeting (date YYYY-MM-DD and time HH:MM, local), under a rule profile
        (`compliance.profile.PROFILES`; "" = the default)."""
        committee = self._require_committee()
        if profile:
            _require_known_profile(profile)
        if self.meeting is not None:
            raise RuleViolation(
                "meeting_exists", "Sammanträdet finns redan.", "The meeting already exists."
            )
        try:
            datetime.fromisoformat(f"{date}T{time}")
        except ValueError:
            raise RuleViolation(
                "invalid_time",
                f"Ogiltigt datum eller klockslag: {date} {time}.",
                f"Invalid date or time: {date} {time}.",
            ) from None
        return MeetingCreated(
            at=at,
            meeting_id=meeting_id,
            committee_id=committee.committee_id,
            date=date,
            time=time,
            place=place,
            agenda=tuple(agenda),
            profile=profile,
        )

    def choose_profile(self, profile_id: str, at: str, by: str = "") -> ProfileChosen:
        """Choose the meeting's rule profile, before it opens: by the chair or secretary, or
        the secretariat with its key (`by` empty)."""
        self._require_meeting()
        if self.phase != "scheduled":
            raise RuleViolation(
                "profile_locked",
                "Regelprofilen kan bara väljas innan sammanträdet öppnas.",
                "The rule profile can only be chosen before the meeting opens.",
            )
        if by:
            self._require_by(by, CHAIR_OR_SECRETARY)
        _require_known_profile(profile_id)
        return ProfileChosen(at=at, profile_id=profile_id, by=by)

    def issue_invitation(self, invitation_id: str, person_id: str, at: str) -> InvitationIssued:
        """Record a personal invitation (the signed link is made by the server)."""
        self._require_meeting()
        self.person(person_id)
        if invitation_id in self.invitations:
            raise RuleViolation(
                "invitation_exists",
                "Inbjudan finns redan.",
                "The invitation already exists.",
            )
        return InvitationIssued(at=at, invitation_id=invitation_id, person_id=person_id)

    def revoke_invitation(self, invitation_id: str, at: str, reason: str = "") -> InvitationRevoked:
        """Revoke an invitation so its link stops working."""
        if invitation_id not in self.invitations:
            raise RuleViolation(
                "unknown_invitation", "Inbjudan finns inte.", "The invitation does not exist."
            )
        if invitation_id in self.revoked:
            raise RuleViolation(
                "already_revoked",
                "Inbjudan är redan återkallad.",
                "The invitation is already revoked.",
            )
        return InvitationRevoked(at=at, invitation_id=invitation_id, reason=reason)

    # -- commands: before the meeting ----------------------------------------------------------

    def request_remote(
        self, person_id: str, mode: RemoteMode, at: str, reason: str = ""
    ) -> RemoteRequested:
        """A member asks to take part remotely; flagged `late` after the deadline."""
        meeting = self._require_not_closed()
        person = self.person(person_id)
        self._require_may_be_remote(person, mode)
        deadline = datetime.fromisoformat(meeting.date).date() - timedelta(
            days=self.rules.remote_request_deadline_days
        )
        late = datetime.fromisoformat(at).date() > deadline
        return RemoteRequested(at=at, person_id=person_id, mode=mode, late=late, reason=reason)

    def decide_remote(
        self, person_id: str, approved: bool, by: str, at: str, reason: str = "",
        recorded_by: str = "",
    ) -> RemoteDecided:
        """The chair approves or refuses the person's latest remote request (`recorded_by`:
        who entered it, when not the chair themself, e.g. "secretariat")."""
        self._require_not_closed()
        self._require_by(by, COMMAND_ROLES["decide_remote"])
        if person_id not in self.requests:
            raise RuleViolation(
                "no_request",
                "Det finns ingen begäran om deltagande på distans.",
                "There is no request to take part remotely.",
            )
        return RemoteDecided(at=at, person_id=person_id, approved=approved, by=by, reason=reason,
                             recorded_by=recorded_by)

    # -- commands: joining and leaving --------------------------------------------------------

    def enter_lobby(self, person_id: str, at: str) -> LobbyEntered:
        """A remote person waits in the lobby to be admitted."""
        self._require_not_closed()
        self.person(person_id)
        self._require_absent(person_id)
        if person_id in self.lobby:
            raise RuleViolation(
                "already_in_lobby",
                "Personen väntar redan i lobbyn.",
                "The person is already waiting in the lobby.",
            )
        return LobbyEntered(at=at, person_id=person_id)

    def admit(self, person_id: str, mode: RemoteMode, by: str, at: str) -> Admitted:
        """Let a remote person in from the lobby; deciding needs the chair's approval of it."""
        self._require_not_closed()
        self._require_by(by, COMMAND_ROLES["admit"])
        person = self.person(person_id)
        if person_id not in self.lobby:
            raise RuleViolation(
                "not_in_lobby",
                "Personen väntar inte i lobbyn.",
                "The person is not waiting in the lobby.",
            )
        self._require_admissible(person, mode)
        return Admitted(at=at, person_id=person_id, mode=mode, by=by)

    def admit_modes(self, person_id: str) -> list[RemoteMode]:
        """The modes `admit` accepts for this person by the rules on remote participation
        (what the chair's dashboard offers; being in the lobby is checked by `admit`)."""
        person = self.person(person_id)
        modes: list[RemoteMode] = []
        for mode in REMOTE_MODES:
            try:
                self._require_admissible(person, mode)
            except RuleViolation:
                continue
            modes.append(mode)
        return modes

    def _require_admissible(self, person: PersonAdded, mode: RemoteMode) -> None:
        self._require_may_be_remote(person, mode)
        if person.role in ELECTED_ROLES:
            approved = self.approved_mode(person.person_id)
            if approved is None:
                raise RuleViolation(
                    "remote_not_approved",
                    "Ordföranden har inte godkänt deltagande på distans.",
                    "The chair has not approved remote participation.",
                )
            if mode == "deciding" and approved != "deciding":
                raise RuleViolation(
                    "deciding_not_approved",
                    "Ordföranden har godkänt närvaro på distans utan rätt att delta i beslut.",
                    "The chair approved remote attendance without the right to take part "
                    "in decisions.",
                )

    def mark_present(self, person_id: str, by: str, at: str) -> MarkedPresent:
        """Roll call (upprop): the person is in the room."""
        self._require_not_closed()
        self._require_by(by, COMMAND_ROLES["mark_present"])
        self.person(person_id)
        self._require_absent(person_id)
        return MarkedPresent(at=at, person_id=person_id, by=by)

    def leave(self, person_id: str, at: str, reason: str = "", by: str = "") -> LeftMeeting:
        """The person leaves the meeting or the lobby: recorded by the chair or secretary,
        or by the person (`by` = `person_id`): a departure, never a failed link."""
        self._require_not_closed()
        if person_id not in self.present and person_id not in self.lobby:
            raise _not_present()
        return LeftMeeting(at=at, person_id=person_id, reason=reason, by=by)

    def start_technical_pause(self, person_id: str, at: str) -> TechnicalPauseStarted:
        """A brief pause, not counted as leaving; decisions wait until it ends."""
        if self._require_present(person_id).paused:
            raise RuleViolation(
                "already_paused",
                "Personen har redan teknisk paus.",
                "The person is already on a technical pause.",
            )
        return TechnicalPauseStarted(at=at, person_id=person_id)

    def end_technical_pause(self, person_id: str, at: str) -> TechnicalPauseEnded:
        """The person is back from a technical pause."""
        if not self._require_present(person_id).paused:
            raise RuleViolation(
                "not_paused",
                "Personen har ingen teknisk paus.",
                "The person is not on a technical pause.",
            )
        return TechnicalPauseEnded(at=at, person_id=person_id)

    def report_link_failed(
        self, person_id: str, at: str, code: str = "", params: dict[str, Any] | None = None
    ) -> LinkFailed:
        """The media monitor reports a remote person's picture or sound failing, with its
        finding (`code`, `params`; see `compliance.reasons`)."""
        if self._require_remote(person_id).link_failed:
            raise RuleViolation(
                "link_already_failed",
                "Förbindelsen är redan bruten.",
                "The link has already failed.",
            )
        return LinkFailed(at=at, person_id=person_id, code=code, params=dict(params or {}))

    def report_link_restored(self, person_id: str, at: str) -> LinkRestored:
        """The media monitor reports a remote person's picture and sound good again."""
        if not self._require_remote(person_id).link_failed:
            raise RuleViolation(
                "link_not_failed", "Förbindelsen är inte bruten.", "The link has not failed."
            )
        return LinkRestored(at=at, person_id=person_id)

    # -- commands: substitutes (who to propose: compliance.substitutes) ----------------------

    def serve_substitute(
        self, substitute_id: str, member_id: str, by: str, at: str
    ) -> SubstituteServing:
        """The chair confirms a present substitute to serve in a member's seat."""
        self._require_not_closed()
        self._require_by(by, COMMAND_ROLES["serve_substitute"])
        self.member(member_id)
        if self.person(substitute_id).role != "ersättare":
            raise RuleViolation(
                "not_a_substitute", "Personen är inte ersättare.", "The person is not a substitute."
            )
        presence = self.present.get(substitute_id)
        if presence is None or not presence.counts:
            raise RuleViolation(
                "substitute_not_present",
                "Ersättaren är inte närvarande som deltagare.",
                "The substitute is not present as a participant.",
            )
        if substitute_id in self.serving:
            raise RuleViolation(
                "already_serving",
                "Ersättaren tjänstgör redan.",
                "The substitute is already serving.",
            )
        if member_id in self.serving.values():
            raise RuleViolation(
                "seat_taken",
                "En ersättare tjänstgör redan för ledamoten.",
                "A substitute already serves for this member.",
            )
        return SubstituteServing(at=at, substitute_id=substitute_id, member_id=member_id, by=by)

    def release_substitute(self, substitute_id: str, by: str, at: str) -> SubstituteReleased:
        """The chair ends a substitute's service; the seat returns to its member."""
        self._require_not_closed()
        self._require_by(by, COMMAND_ROLES["release_substitute"])
        if substitute_id not in self.serving:
            raise RuleViolation(
                "not_serving", "Ersättaren tjänstgör inte.", "The substitute is not serving."
            )
        return SubstituteReleased(at=at, substitute_id=substitute_id, by=by)

    # -- commands: the meeting's course ------------------------------------------------------

    def open(self, by: str, at: str) -> MeetingOpened:
        """The chair opens the meeting after the roll call."""
        self._require_meeting()
        if self.phase != "scheduled":
            raise RuleViolation(
                "already_opened",
                "Sammanträdet är redan öppnat.",
                "The meeting has already been opened.",
            )
        self._require_by(by, COMMAND_ROLES["open"])
        presence = self.present.get(by)
        if self.rules.chair_must_be_in_room and (presence is None or presence.where != "room"):
            raise _chair_in_room()
        failed = [self.people[pid].name for pid, p in self.present.items() if p.link_failed]
        if failed:
            names = ", ".join(failed)
            raise RuleViolation(
                "links_failed",
                f"Upprop: bild eller ljud fungerar inte för {names}. Återställ förbindelsen "
                "eller notera att personen har lämnat innan sammanträdet öppnas (KL 6:24).",
                f"Roll call: picture or sound does not work for {names}. Restore the link or "
                "record that the person has left before opening the meeting (KL 6:24).",
            )
        return MeetingOpened(at=at, by=by)

    def suspend(
        self,
        at: str,
        *,
        participant: str | None = None,
        code: str = "",
        params: dict[str, Any] | None = None,
        reason: str = "",
    ) -> MeetingSuspended:
        """Interrupt the meeting (KL 6:24) because `participant`'s link failed, with the
        finding (`code`, `params`; see `compliance.reasons`)."""
        if self.phase != "open":
            raise self._phase_violation()
        return MeetingSuspended(
            at=at, participant=participant, code=code, params=dict(params or {}), reason=reason
        )

    def may_resume(self) -> bool:
        """Suspended, and every present person's link works (KL 6:24): the resume button."""
        return self.phase == "suspended" and not any(
            p.link_failed for p in self.present.values()
        )

    def resume(self, by: str, at: str) -> MeetingResumed:
        """The chair resumes, only once every present person's link is restored."""
        if self.phase != "suspended":
            raise RuleViolation(
                "not_suspended", "Sammanträdet är inte avbrutet.", "The meeting is not suspended."
            )
        self._require_by(by, COMMAND_ROLES["resume"])
        if not self.may_resume():
            raise RuleViolation(
                "not_restorable",
                "Förbindelserna är inte återställda med god kvalitet; sammanträdet kan inte "
                "återupptas (KL 6:24).",
                "The links are not restored with good quality; the meeting cannot resume "
                "(KL 6:24).",
            )
        return MeetingResumed(at=at, by=by)

    def close(self, by: str, at: str) -> MeetingClosed:
        """The chair closes an open or suspended meeting."""
        if self.phase not in ("open", "suspended"):
            raise self._phase_violation()
        self._require_by(by, COMMAND_ROLES["close"])
        return MeetingClosed(at=at, by=by)

    # -- shared checks ---------------------------------------------------------------------------

    def _require_committee(self) -> CommitteeCreated:
        if self.committee is None:
            raise RuleViolation(
                "no_committee", "Nämnden är inte upprättad.", "The committee has not been created."
            )
        return self.committee

    def _require_meeting(self) -> MeetingCreated:
        if self.meeting is None:
            raise RuleViolation(
                "no_meeting", "Sammanträdet är inte kallat.", "The meeting has not been called."
            )
        return self.meeting

    def _require_not_closed(self) -> MeetingCreated:
        meeting = self._require_meeting()
        if self.phase == "closed":
            raise self._phase_violation()
        return meeting

    def _require_by(self, by: str, roles: tuple[Role, ...]) -> None:
        if self.person(by).role not in roles:
            raise RuleViolation(
                "not_allowed",
                f"Endast {' eller '.join(roles)} får göra detta.",
                f"Only the {' or '.join(ROLE_EN[r] for r in roles)} may do this.",
            )

    def _require_may_be_remote(self, person: PersonAdded, mode: RemoteMode) -> None:
        if person.role == "ordförande" and self.rules.chair_must_be_in_room:
            raise _chair_in_room()
        if mode == "deciding" and person.role not in ELECTED_ROLES:
            raise RuleViolation(
                "cannot_decide",
                "Endast ledamöter och ersättare kan delta som beslutande.",
                "Only members and substitutes can take part as deciding participants.",
            )

    def _require_absent(self, person_id: str) -> None:
        if person_id in self.present:
            raise RuleViolation(
                "already_present", "Personen är redan närvarande.", "The person is already present."
            )

    def _require_present(self, person_id: str) -> Presence:
        self._require_not_closed()
        if person_id not in self.present:
            raise _not_present()
        return self.present[person_id]

    def _require_remote(self, person_id: str) -> Presence:
        presence = self._require_present(person_id)
        if presence.where != "remote":
            raise RuleViolation(
                "not_remote",
                "Personen deltar inte på distans.",
                "The person is not taking part remotely.",
            )
        return presence

    def _phase_violation(self) -> RuleViolation:
        """Why the current phase stops an action that needs an open meeting."""
        if self.phase == "suspended":
            return RuleViolation(
                "meeting_suspended",
                "Sammanträdet är avbrutet tills förbindelserna är återställda (KL 6:24).",
                "The meeting is suspended until the links are restored (KL 6:24).",
            )
        if self.phase == "closed":
            return RuleViolation(
                "meeting_closed", "Sammanträdet är avslutat.", "The meeting is closed."
            )
        return RuleViolation(
            "meeting_not_open", "Sammanträdet är inte öppnat.", "The meeting has not been opened."
        )


def profile_id_of(rules: LegalRules) -> str:
    """The registry id of the profile whose legal rules these are, or "custom"."""
    return next((pid for pid, p in PROFILES.items() if p.legal == rules), "custom")


def _require_known_profile(profile_id: str) -> None:
    if profile_id not in PROFILES:
        raise RuleViolation(
            "unknown_profile",
            f"Okänd regelprofil; välj en av: {', '.join(PROFILES)}.",
            f"Unknown rule profile; choose one of: {', '.join(PROFILES)}.",
        )


def _not_present() -> RuleViolation:
    return RuleViolation(
        "not_present", "Personen är inte närvarande.", "The person is not present."
    )


def _chair_in_room() -> RuleViolation:
    return RuleViolation(
        "chair_must_be_in_room",
        "Ordföranden ska vara på plats i sammanträdeslokalen.",
        "The chair must be present in the meeting room.",
    )
