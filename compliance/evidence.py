"""Evidence per decision: what a court can check afterwards about each decision the minutes
record (Förvaltningsrätten i Luleå annulled decisions over a failed link, 2620-20, 2661-20).

For each decision: who decided and how (in the room, remote, serving for whom), the quorum at
that moment, each remote deciding member's link over the item and over the vote (from the
log's link_failed / link_restored / technical pause / departure / suspension events in those
spans, and the link records the server stored in the vote's and the decision's events), the
votes voided on the item and why, and the place of the decision's event in the log's hash chain
(`compliance.chain`) with the chain's verdict. A printed decision hash is an anchor:
`python -m server.verify --anchor <hash>` later proves that nothing up to it has changed.
Pure: the server passes the stored rows (seq, hash, event) and the verdict.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from compliance.chain import ChainVerdict
from compliance.events import (
    Admitted,
    DecisionRecorded,
    Event,
    ItemOpened,
    LeftMeeting,
    LinkFailed,
    LinkRestored,
    MeetingCreated,
    MeetingResumed,
    MeetingSuspended,
    TechnicalPauseEnded,
    TechnicalPauseStarted,
    VoteClosed,
    VoteStarted,
    VoteVoided,
)
from compliance.meeting import MeetingState
from compliance.profile import LegalRules

# Events that interrupt a remote deciding member (their own), and what ends the interruption.
BREAKS = ("link_failed", "technical_pause_started", "left", "meeting_suspended", "admitted")


class Logged(Protocol):
    """An event as stored in the log: its place in the chain and its hash."""

    @property
    def seq(self) -> int: ...

    @property
    def hash(self) -> str: ...

    @property
    def event(self) -> Event: ...


@dataclass(frozen=True)
class RemoteLink:
    """One remote deciding member's link over the item and over the vote that decided it."""

    person_id: str
    name: str
    over_item: tuple[dict[str, Any], ...]  # their events from the item's opening to the decision
    unbroken_over_item: bool
    vote_id: str | None  # the deciding vote, None when decided without a vote
    over_vote: tuple[dict[str, Any], ...]
    unbroken_over_vote: bool | None  # None without a vote
    at_vote_close: dict[str, Any]  # the link record stored in vote_closed
    at_decision: dict[str, Any]  # the link record stored in decision_recorded

    def to_dict(self) -> dict[str, Any]:
        return {
            "person_id": self.person_id, "name": self.name,
            "item": {"events": list(self.over_item), "unbroken": self.unbroken_over_item},
            "vote": None if self.vote_id is None else {
                "vote_id": self.vote_id, "events": list(self.over_vote),
                "unbroken": self.unbroken_over_vote, "link_at_close": self.at_vote_close},
            "link_at_decision": self.at_decision,
        }


@dataclass(frozen=True)
class DecisionEvidence:
    """What a court can check about one decision."""

    item_id: str
    title: str
    at: str
    seq: int
    hash: str
    chain_verified: bool  # the chain is intact at least up to this event
    proposal_id: str
    text: str
    method: str  # acclamation or vote
    vote_id: str | None
    profile: str
    item_opened_at: str | None
    deciding: tuple[dict[str, Any], ...]  # person_id, name, role, party, where, serving_for
    quorum: dict[str, Any]
    remote: tuple[RemoteLink, ...]
    votes: dict[str, str] = field(default_factory=dict)  # the deciding vote, person -> choice
    voided: tuple[dict[str, Any], ...] = ()  # votes on the item declared void, and why
    suspensions: tuple[dict[str, Any], ...] = ()  # the meeting's suspensions in the item

    def to_dict(self) -> dict[str, Any]:
        return {
            "item_id": self.item_id, "title": self.title, "at": self.at,
            "event": {"seq": self.seq, "hash": self.hash, "chain_verified": self.chain_verified},
            "decision": {"proposal_id": self.proposal_id, "text": self.text,
                         "method": self.method, "vote_id": self.vote_id},
            "profile": self.profile, "item_opened_at": self.item_opened_at,
            "deciding": list(self.deciding), "quorum": self.quorum,
            "remote_links": [link.to_dict() for link in self.remote],
            "votes": self.votes, "voided_votes": list(self.voided),
            "suspensions": list(self.suspensions),
        }


@dataclass(frozen=True)
class Evidence:
    """The evidence appendix of one meeting's minutes."""

    meeting_id: str
    chain: ChainVerdict
    last_seq: int  # the meeting's last event: the anchor for the whole meeting
    last_hash: str
    decisions: tuple[DecisionEvidence, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, as the API serves it (docs/api.md)."""
        return {
            "meeting_id": self.meeting_id,
            "chain": {
                **self.chain.to_dict(),
                "algorithm": "sha256(previous hash + '\\n' + JSON [seq, stream, at, type, "
                "data]); the first event's previous hash is 64 zeros",
            },
            "meeting_last_event": {"seq": self.last_seq, "hash": self.last_hash},
            "decisions": [d.to_dict() for d in self.decisions],
        }


def build_evidence(
    logged: Sequence[Logged], chain: ChainVerdict, rules: LegalRules | None = None
) -> Evidence:
    """The evidence of one meeting from its stored events (the committee's stream, then the
    meeting's, each with seq and hash) and the verdict on the whole log's chain."""
    meeting = next((r.event for r in logged if isinstance(r.event, MeetingCreated)), None)
    if meeting is None:
        raise ValueError("the events hold no meeting")
    walk = _Walk(MeetingState.replay((), rules), chain)
    for row in logged:
        walk.see(row)
        walk.state.apply(row.event)
    last = max(logged, key=lambda r: r.seq)
    return Evidence(meeting.meeting_id, chain, last.seq, last.hash, tuple(walk.decisions))


def _fact(event: Event) -> dict[str, Any]:
    """An event as the evidence quotes it."""
    fact: dict[str, Any] = {"type": event.type, "at": event.at}
    for name in ("code", "params", "evidence", "reason", "mode", "participant"):
        value = getattr(event, name, None)
        if value:
            fact[name] = value
    return fact


class _Walk:
    """Replays the events with the meeting's state, noting what each decision needs."""

    def __init__(self, state: MeetingState, chain: ChainVerdict) -> None:
        self.state = state
        self.chain = chain
        self.decisions: list[DecisionEvidence] = []
        self.item_opened: dict[str, str] = {}
        self.item_facts: dict[str, list[tuple[str | None, dict[str, Any]]]] = {}
        self.vote_facts: dict[str, list[tuple[str | None, dict[str, Any]]]] = {}
        self.vote_closed: dict[str, VoteClosed] = {}
        self.voided: dict[str, list[dict[str, Any]]] = {}  # item -> voided votes

    def see(self, row: Logged) -> None:
        event, state = row.event, self.state
        item_id = state.agenda.current
        vote = state.votes.open_vote()
        match event:
            case ItemOpened():
                self.item_opened[event.item_id] = event.at
                self.item_facts[event.item_id] = []
            case VoteStarted():
                self.vote_facts[event.vote_id] = []
            case VoteClosed():
                self.vote_closed[event.vote_id] = event
            case VoteVoided():
                target = state.votes.votes[event.vote_id].item_id
                self.voided.setdefault(target, []).append({
                    "vote_id": event.vote_id, "at": event.at, "code": event.code,
                    "person_ids": list(event.person_ids), "message_sv": event.message_sv,
                    "message_en": event.message_en})
            case DecisionRecorded():
                self.decisions.append(self.decision(row, event))
            case (LinkFailed() | LinkRestored() | TechnicalPauseStarted()
                  | TechnicalPauseEnded() | LeftMeeting() | Admitted()):
                self.note(item_id, vote.vote_id if vote else None, event.person_id, event)
            case MeetingSuspended() | MeetingResumed():
                person = event.participant if isinstance(event, MeetingSuspended) else None
                self.note(item_id, vote.vote_id if vote else None, person, event)
            case _:
                pass

    def note(self, item_id: str | None, vote_id: str | None, person_id: str | None,
             event: Event) -> None:
        fact = _fact(event)
        if item_id is not None and item_id in self.item_facts:
            self.item_facts[item_id].append((person_id, fact))
        if vote_id is not None:
            self.vote_facts[vote_id].append((person_id, fact))

    def decision(self, row: Logged, event: DecisionRecorded) -> DecisionEvidence:
        state = self.state
        item = state.agenda.items.get(event.item_id)
        closed = self.vote_closed.get(event.vote_id or "")
        deciding = []
        for pid in event.deciding:
            person = state.people.get(pid)
            presence = state.present.get(pid)
            serving = state.serving.get(pid)
            deciding.append({
                "person_id": pid, "name": person.name if person else pid,
                "role": person.role if person else "", "party": person.party if person else "",
                "where": presence.where if presence else None,
                "serving_for": serving,
            })
        remote = tuple(self.remote_link(event, pid, closed) for pid in event.links)
        item_facts = self.item_facts.get(event.item_id, [])
        suspensions = tuple(f for _, f in item_facts
                            if f["type"] in ("meeting_suspended", "meeting_resumed"))
        broken = self.chain.broken_seq
        return DecisionEvidence(
            item_id=event.item_id, title=item.title if item else event.item_id, at=event.at,
            seq=row.seq, hash=row.hash,
            chain_verified=self.chain.intact or (broken is not None and row.seq < broken),
            proposal_id=event.proposal_id, text=event.text, method=event.method,
            vote_id=event.vote_id, profile=event.profile,
            item_opened_at=self.item_opened.get(event.item_id), deciding=tuple(deciding),
            quorum=dict(event.quorum), remote=remote,
            votes=dict(closed.votes) if closed else {},
            voided=tuple(self.voided.get(event.item_id, [])), suspensions=suspensions,
        )

    def remote_link(self, event: DecisionRecorded, person_id: str,
                    closed: VoteClosed | None) -> RemoteLink:
        def own(facts: list[tuple[str | None, dict[str, Any]]]) -> tuple[dict[str, Any], ...]:
            return tuple(f for pid, f in facts if pid == person_id)

        over_item = own(self.item_facts.get(event.item_id, []))
        over_vote = own(self.vote_facts.get(event.vote_id or "", []))
        person = self.state.people.get(person_id)
        return RemoteLink(
            person_id=person_id, name=person.name if person else person_id,
            over_item=over_item,
            unbroken_over_item=not any(f["type"] in BREAKS for f in over_item),
            vote_id=event.vote_id, over_vote=over_vote,
            unbroken_over_vote=None if event.vote_id is None else not any(
                f["type"] in BREAKS for f in over_vote),
            at_vote_close=dict(closed.links.get(person_id, {})) if closed else {},
            at_decision=dict(event.links.get(person_id, {})),
        )
