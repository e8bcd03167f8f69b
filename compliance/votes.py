"""Votes (omröstning) on the question put.

Open votes are by roll call: each deciding person answers ja, nej or avstår, in the app or
recorded by the chair for a person in the room; the chair votes last; the result lists each
person's vote. A tie is broken by the chair's casting vote in a decision and by a draw in an
election (or in a secret ballot, where the chair's vote is not known); the random value is
the caller's and is recorded in the event. A secret ballot (sluten omröstning) is never held
through Kvorum: the ballots are cast and counted outside it and the chair enters the totals.
When anyone deciding takes part remotely, today's profile refuses it (table the item
instead); a profile may allow it with the ballots counted outside Kvorum.

A remote voter whose link fails while the vote is open makes the vote void: the guard says
so and `void_if_compromised` returns the event that records why; the vote is then retaken.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from compliance.agenda import require_open_item
from compliance.events import (
    CHOICES,
    Event,
    ItemKind,
    LinkFailed,
    Role,
    VoteCast,
    VoteClosed,
    VoteStarted,
    VoteVoided,
)
from compliance.proposals import require_deciding
from compliance.violations import RuleViolation

if TYPE_CHECKING:
    from compliance.meeting import MeetingState

CHAIR: tuple[Role, ...] = ("ordförande",)
CHAIR_OR_SECRETARY: tuple[Role, ...] = ("ordförande", "sekreterare")
LOT_RULE = "ja-alternativet vinner om värdet < 0,5 / the ja alternative wins if the value < 0.5"


@dataclass
class Vote:
    vote_id: str
    item_id: str
    round: int
    ja: str
    nej: str
    kind: ItemKind
    secret: bool
    voters: tuple[str, ...]
    started_at: str
    votes: dict[str, str] = field(default_factory=dict)
    failed_links: list[str] = field(default_factory=list)  # remote voters whose link failed
    closed: VoteClosed | None = None
    voided: VoteVoided | None = None


@dataclass
class Votes:
    """Every vote of the meeting, and the one open now."""

    votes: dict[str, Vote] = field(default_factory=dict)
    open: str | None = None

    def open_vote(self) -> Vote | None:
        return self.votes[self.open] if self.open else None

    def apply(self, event: Event, state: MeetingState) -> bool:
        match event:
            case VoteStarted():
                self.votes[event.vote_id] = Vote(
                    event.vote_id, event.item_id, event.round, event.ja, event.nej, event.kind,
                    event.secret, event.voters, event.at,
                )
                self.open = event.vote_id
            case VoteCast():
                self.votes[event.vote_id].votes[event.person_id] = event.choice
            case VoteClosed():
                self.votes[event.vote_id].closed = event
                self.open = None
            case VoteVoided():
                self.votes[event.vote_id].voided = event
                self.open = None
            case LinkFailed():
                vote = self.open_vote()
                if vote is not None and event.person_id in vote.voters:
                    vote.failed_links.append(event.person_id)
                return False
            case _:
                return False
        return True


def compromised(state: MeetingState) -> RuleViolation | None:
    """Why the open vote is void (a remote voter's link failed during it), or None."""
    vote = state.votes.open_vote()
    if vote is None or not vote.failed_links:
        return None
    names = ", ".join(state.people[pid].name for pid in vote.failed_links)
    return RuleViolation(
        "vote_void_link_failed",
        f"Förbindelsen till {names} bröts under omröstningen; omröstningen är ogiltig och "
        "ska göras om när förbindelsen är återställd.",
        f"The link to {names} failed during the vote; the vote is void and must be retaken "
        "once the link is restored.",
    )


def _require_open(state: MeetingState) -> Vote:
    vote = state.votes.open_vote()
    if vote is None:
        raise RuleViolation(
            "no_vote_open", "Ingen omröstning pågår.", "No vote is in progress."
        )
    return vote


def _voters(state: MeetingState) -> tuple[str, ...]:
    """The deciding persons in roster order, the chair last (the chair votes last)."""
    counted = set(state.quorum().counted)
    ordered = [pid for pid in state.people if pid in counted]
    return tuple(sorted(ordered, key=lambda pid: state.people[pid].role == "ordförande"))


# -- commands ------------------------------------------------------------------------------------


def start_vote(state: MeetingState, by: str, at: str, secret: bool = False) -> VoteStarted:
    """The chair starts a vote on the question put (a vote was asked for, or the chair
    wants one); the deciding persons now are the voters."""
    item = require_open_item(state)
    state._require_by(by, CHAIR)
    block = state.decision_block()
    if block is not None:
        raise block
    procedure = state.proposals.of(item.item_id)
    current = procedure.current_round()
    if current is None or current.winner is not None:
        raise RuleViolation(
            "no_question",
            "Ordföranden har inte ställt någon proposition som väntar på beslut.",
            "The chair has not put a question that awaits a decision.",
        )
    if current.nej is None:
        raise RuleViolation(
            "nothing_to_vote_on",
            "Det finns bara ett yrkande; det finns inget att rösta om.",
            "There is only one proposal; there is nothing to vote on.",
        )
    if current.vote_id is not None:
        raise RuleViolation(
            "already_voted_on",
            "Propositionen har redan avgjorts genom omröstning.",
            "The question has already been settled by a vote.",
        )
    voters = _voters(state)
    remote = [pid for pid in voters if state.present[pid].where == "remote"]
    if secret and remote and state.rules.secret_ballot_with_remote == "table":
        raise RuleViolation(
            "secret_ballot_remote",
            "Sluten omröstning kan inte hållas när någon beslutande deltar på distans: "
            "valhemligheten kan inte garanteras och alla måste kunna följa rösträkningen. "
            "Bordlägg ärendet till ett sammanträde utan distansdeltagande.",
            "A secret ballot cannot be held when anyone deciding takes part remotely: the "
            "secrecy of the ballot cannot be guaranteed and everyone must be able to follow "
            "the count. Table the item to a meeting without remote participation.",
            offer="table-item",
        )
    earlier = sum(1 for v in state.votes.votes.values() if v.item_id == item.item_id)
    vote_id = f"{item.item_id}.v{earlier + 1}"
    return VoteStarted(
        at=at, item_id=item.item_id, vote_id=vote_id, round=current.number, ja=current.ja,
        nej=current.nej, kind=state.agenda.items[item.item_id].kind, secret=secret,
        voters=voters, by=by,
    )


def cast_vote(
    state: MeetingState, person_id: str, choice: str, by: str, at: str
) -> VoteCast:
    """A deciding person answers in the roll call (in the app), or the chair records the
    answer of a person in the room. The chair answers last."""
    vote = _require_open(state)
    if vote.secret:
        raise RuleViolation(
            "secret_ballot",
            "Sluten omröstning: valsedlarna lämnas och räknas utanför Kvorum.",
            "Secret ballot: the ballots are cast and counted outside Kvorum.",
        )
    if by != person_id:
        state._require_by(by, CHAIR)
    if state.phase != "open":
        raise state._phase_violation()
    if choice not in CHOICES:
        raise RuleViolation(
            "invalid_choice",
            "Svara ja, nej eller avstår.",
            "Answer ja (yes), nej (no) or avstår (abstain).",
        )
    if person_id not in vote.voters:
        require_deciding(state, person_id)  # says why
        raise RuleViolation(
            "not_a_voter",
            "Personen var inte beslutande när omröstningen började.",
            "The person was not deciding when the vote started.",
        )
    if person_id in vote.votes:
        raise RuleViolation(
            "already_voted", "Personen har redan röstat.", "The person has already voted."
        )
    presence = state.present.get(person_id)
    if presence is None or presence.paused:
        raise RuleViolation(
            "voter_away",
            "Personen är inte på plats (teknisk paus eller har lämnat).",
            "The person is away (technical pause or left).",
        )
    waiting = [p for p in vote.voters
               if p not in vote.votes and p != person_id and p in state.present]
    if state.people[person_id].role == "ordförande" and waiting:
        raise RuleViolation(
            "chair_votes_last",
            "Ordföranden röstar sist.",
            "The chair votes last.",
        )
    return VoteCast(at=at, vote_id=vote.vote_id, person_id=person_id, choice=CHOICES[
        CHOICES.index(choice)], by=by)


def close_vote(
    state: MeetingState,
    by: str,
    at: str,
    links: Mapping[str, Mapping[str, Any]] | None = None,
    casting: str | None = None,
    draw: float | None = None,
    tally: Mapping[str, int] | None = None,
) -> VoteClosed:
    """The chair closes the vote and the result is counted.

    Open votes need every voter's answer. A secret ballot needs the `tally` counted outside
    Kvorum (ja, nej, avstår), one ballot per voter. A tie in a decision goes by the chair's
    vote, or `casting` ("ja"/"nej") if the chair abstained; in an election or a secret
    ballot by lot: `draw` is a random value in [0, 1) from the caller, recorded.
    `links`: each remote voter's link record now (from the media monitor), kept as evidence.
    """
    vote = _require_open(state)
    state._require_by(by, CHAIR)
    block = state.decision_block()
    if block is not None:
        raise block
    if vote.secret:
        counts = _secret_tally(vote, tally)
        votes: dict[str, str] = {}
    else:
        # A voter who has left the meeting since (recorded by the chair) gives no answer.
        missing = [state.people[p].name for p in vote.voters
                   if p not in vote.votes and p in state.present]
        if missing:
            raise RuleViolation(
                "votes_missing",
                f"Alla har inte röstat: {', '.join(missing)}.",
                f"Not everyone has voted: {', '.join(missing)}.",
            )
        votes = {p: vote.votes[p] for p in vote.voters if p in vote.votes}
        counts = {c: sum(1 for v in votes.values() if v == c) for c in CHOICES}
    result: Literal["ja", "nej"]
    tie_break: Literal["", "casting", "lot"] = ""
    drawn: dict[str, Any] = {}
    if counts["ja"] != counts["nej"]:
        result = "ja" if counts["ja"] > counts["nej"] else "nej"
    elif vote.kind == "election" or vote.secret or not state.rules.chair_casting_vote:
        if draw is None or not 0.0 <= draw < 1.0:
            raise RuleViolation(
                "draw_required",
                "Lika röstetal: avgörs genom lottning.",
                "A tie: it is decided by lot.",
            )
        result, tie_break = ("ja" if draw < 0.5 else "nej"), "lot"
        drawn = {"value": draw, "rule": LOT_RULE}
    else:
        result = _casting(state, vote, votes, casting)
        tie_break = "casting"
    winner = vote.ja if result == "ja" else vote.nej
    remote = [p for p in vote.voters if state.present.get(p) and state.present[p].where == "remote"]
    given = links or {}
    return VoteClosed(
        at=at, vote_id=vote.vote_id, by=by, votes=votes, tally=counts, result=result,
        winner=winner, tie_break=tie_break, draw=drawn,
        links={p: dict(given.get(p, {})) for p in remote},
    )


def void_if_compromised(state: MeetingState, at: str) -> VoteVoided | None:
    """The event that voids the open vote when a remote voter's link failed during it."""
    vote = state.votes.open_vote()
    reason = compromised(state)
    if vote is None or reason is None:
        return None
    return VoteVoided(
        at=at, vote_id=vote.vote_id, code=reason.code, person_ids=tuple(vote.failed_links),
        message_sv=reason.message_sv, message_en=reason.message_en,
    )


def _secret_tally(vote: Vote, tally: Mapping[str, int] | None) -> dict[str, int]:
    if tally is None or set(tally) - set(CHOICES) or any(
        not isinstance(n, int) or isinstance(n, bool) or n < 0 for n in tally.values()
    ):
        raise RuleViolation(
            "tally_required",
            "Ange antalet röster för ja, nej och avstår, räknade utanför Kvorum.",
            "Enter the number of ja, nej and avstår ballots, counted outside Kvorum.",
        )
    counts: dict[str, int] = {c: int(tally.get(c, 0)) for c in CHOICES}
    if sum(counts.values()) != len(vote.voters):
        raise RuleViolation(
            "tally_mismatch",
            f"Antalet valsedlar ({sum(counts.values())}) ska vara lika med antalet "
            f"beslutande ({len(vote.voters)}).",
            f"The number of ballots ({sum(counts.values())}) must equal the number of "
            f"deciding persons ({len(vote.voters)}).",
        )
    return counts


def _casting(
    state: MeetingState, vote: Vote, votes: Mapping[str, str], casting: str | None
) -> Literal["ja", "nej"]:
    """The chair's casting vote (utslagsröst): the chair's own ja/nej, else `casting`."""
    chair = next((p for p in vote.voters if state.people[p].role == "ordförande"), None)
    own = votes.get(chair) if chair else None
    for answer in (own, casting):
        if answer == "ja":
            return "ja"
        if answer == "nej":
            return "nej"
    raise RuleViolation(
        "casting_vote_required",
        "Lika röstetal: ordföranden har utslagsröst och ska ange ja eller nej.",
        "A tie: the chair has the casting vote and must give ja or nej.",
    )
