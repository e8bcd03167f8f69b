"""Evidence per decision: what a court can check afterwards about each decision the minutes
record (Förvaltningsrätten i Luleå annulled decisions over a failed link, 2620-20, 2661-20).

For each decision: who decided, the quorum at that moment, each remote deciding member's link
over the item and over the vote (from the log's link_failed / link_restored / suspension
events in that span, and the link record stored in the decision's event), and the hash of the
decision's event in the log's hash chain (`compliance.chain`), with the chain's verdict. A
printed decision hash is an anchor: `python -m server.verify --anchor <hash>` later proves that
nothing up to that decision has changed. Pure: the server passes the stored rows and verdict.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from compliance.chain import ChainVerdict
from compliance.events import Event, MeetingCreated


class Logged(Protocol):
    """An event as stored in the log: its place in the chain and its hash."""

    @property
    def seq(self) -> int: ...

    @property
    def hash(self) -> str: ...

    @property
    def event(self) -> Event: ...


@dataclass(frozen=True)
class Evidence:
    """The evidence appendix of one meeting's minutes."""

    meeting_id: str
    chain: ChainVerdict
    last_seq: int  # the meeting's last event: the anchor for the whole meeting
    last_hash: str
    decisions: tuple[dict[str, Any], ...] = ()

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
            "decisions": list(self.decisions),
        }


def build_evidence(logged: Sequence[Logged], chain: ChainVerdict) -> Evidence:
    """The evidence of one meeting from its stored events (the committee's stream, then the
    meeting's, each with seq and hash) and the verdict on the whole log's chain."""
    meeting = next((r.event for r in logged if isinstance(r.event, MeetingCreated)), None)
    if meeting is None:
        raise ValueError("the events hold no meeting")
    last = max(logged, key=lambda r: r.seq)
    return Evidence(
        meeting_id=meeting.meeting_id,
        chain=chain,
        last_seq=last.seq,
        last_hash=last.hash,
    )
