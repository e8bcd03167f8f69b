"""The hash chain over the event log: each stored event carries the hash of the one before.

`hash(n) = sha256(hash(n-1) + "\\n" + canonical(seq, stream, at, type, data))`, with the first
event chained to `GENESIS`. `data` is the stored JSON text itself, byte for byte, so the hash
never depends on how a reader re-serialises it. Editing, deleting, inserting or renumbering
any stored event breaks the chain at that event (or the next); `verify_chain` finds the first
break. What a chain alone cannot show is a cut at the end, or a whole chain recomputed by
someone who rewrote the file: that is what an anchor is for, a hash taken earlier and kept
elsewhere (the signed minutes print the hash of every decision's event and the chain's head).
An anchor vouches for every event up to it. Pure: no database; `server.eventlog` reads the
rows, `server.verify` is the command.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

GENESIS = "0" * 64  # the "previous hash" of the first event

BreakReason = Literal["hash_mismatch", "sequence_gap", "anchor_not_found"]


@dataclass(frozen=True)
class ChainRow:
    """One stored event as the chain sees it: its columns exactly as stored."""

    seq: int
    stream: str
    at: str
    type: str
    data: str  # the stored JSON text
    hash: str | None


def canonical(row: ChainRow) -> bytes:
    """The bytes a row's hash covers (everything stored but the hash itself)."""
    return json.dumps(
        [row.seq, row.stream, row.at, row.type, row.data],
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode("utf-8")


def chain_hash(previous: str, row: ChainRow) -> str:
    """The hash a row must carry, given the hash of the row before it."""
    return hashlib.sha256(previous.encode("ascii") + b"\n" + canonical(row)).hexdigest()


@dataclass(frozen=True)
class ChainVerdict:
    """The result of checking a chain: intact, or the first event where it breaks and why."""

    intact: bool
    events: int  # events checked (up to the break)
    head: str  # hash of the last event that checked out (GENESIS if none)
    broken_seq: int | None = None
    broken_stream: str | None = None
    broken_type: str | None = None
    reason: BreakReason | None = None

    @property
    def message_sv(self) -> str:
        if self.intact:
            return (
                f"Händelseloggens hashkedja är obruten: {self.events} händelser, "
                f"senaste hash {self.head}."
            )
        return f"Händelseloggens hashkedja är bruten vid händelse {self._where()}: " + {
            "hash_mismatch": "hashen stämmer inte; händelsen eller en före den har ändrats, "
            "tagits bort eller lagts till i efterhand.",
            "sequence_gap": "numreringen har en lucka; en händelse har tagits bort.",
            "anchor_not_found": "den förankrade hashen finns inte i loggen; händelser har "
            "tagits bort, lagts till eller ändrats efter förankringen.",
        }[self.reason or "hash_mismatch"]

    @property
    def message_en(self) -> str:
        if self.intact:
            return (
                f"The event log's hash chain is intact: {self.events} events, "
                f"head {self.head}."
            )
        return f"The event log's hash chain is broken at event {self._where()}: " + {
            "hash_mismatch": "the hash does not match; this event or one before it was "
            "edited, deleted or inserted afterwards.",
            "sequence_gap": "the numbering has a gap; an event was deleted.",
            "anchor_not_found": "the anchored hash is not in the log; events were deleted, "
            "added or edited after it was taken.",
        }[self.reason or "hash_mismatch"]

    def _where(self) -> str:
        if self.broken_seq is None:
            return "(slutet)" if self.reason == "anchor_not_found" else "?"
        return f"{self.broken_seq} ({self.broken_stream}, {self.broken_type})"

    def to_dict(self) -> dict[str, object]:
        """JSON-ready, with the messages."""
        return {
            "intact": self.intact,
            "events": self.events,
            "head": self.head,
            "broken_seq": self.broken_seq,
            "broken_stream": self.broken_stream,
            "broken_type": self.broken_type,
            "reason": self.reason,
            "message_sv": self.message_sv,
            "message_en": self.message_en,
        }


def link_rows(rows: Iterable[ChainRow], previous: str = GENESIS) -> list[ChainRow]:
    """The rows with their hashes filled in, chained after `previous` (for a migration)."""
    linked = []
    for row in rows:
        previous = chain_hash(previous, row)
        linked.append(
            ChainRow(row.seq, row.stream, row.at, row.type, row.data, previous)
        )
    return linked


def verify_chain(rows: Iterable[ChainRow], anchor: str | None = None) -> ChainVerdict:
    """Check every row's hash in `seq` order; stop at the first break.

    `rows` must be the whole log in `seq` order, starting at seq 1. With `anchor`, the chain
    must also contain that hash (taken earlier, e.g. printed in signed minutes): this catches
    events cut off the end, and a chain recomputed after an edit before the anchor.
    """
    previous, count, expected_seq, seen_anchor = GENESIS, 0, 1, anchor is None
    for row in rows:
        if row.seq != expected_seq:
            return _broken(count, previous, row, "sequence_gap")
        if row.hash != chain_hash(previous, row):
            return _broken(count, previous, row, "hash_mismatch")
        previous, count, expected_seq = row.hash, count + 1, expected_seq + 1
        seen_anchor = seen_anchor or row.hash == anchor
    if not seen_anchor:
        return ChainVerdict(False, count, previous, reason="anchor_not_found")
    return ChainVerdict(True, count, previous)


def _broken(count: int, head: str, row: ChainRow, reason: BreakReason) -> ChainVerdict:
    return ChainVerdict(False, count, head, row.seq, row.stream, row.type, reason)
