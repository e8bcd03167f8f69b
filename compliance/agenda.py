"""The agenda (föredragningslista): the secretary's items, opened and closed by the chair in
order. Everything of the procedure (speakers, proposals, votes, jäv) happens within the open
item. Tabling an item (bordläggning) closes it without a decision.

The open item also keeps what the equal-terms check needs: every interruption of a deciding
remote member since it opened (link failed, technical pause, left, suspension, joined late).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from compliance.events import (
    ITEM_KINDS,
    Admitted,
    AgendaItemAdded,
    AgendaItemChanged,
    AgendaItemMoved,
    AgendaItemRemoved,
    Event,
    ItemClosed,
    ItemKind,
    ItemOpened,
    LeftMeeting,
    LinkFailed,
    MeetingCreated,
    MeetingSuspended,
    Role,
    TechnicalPauseStarted,
)
from compliance.violations import RuleViolation

if TYPE_CHECKING:
    from compliance.meeting import MeetingState

MAX_TITLE = 200
MAX_DRAFT = 4000
CHAIR: tuple[Role, ...] = ("ordförande",)
CHAIR_OR_SECRETARY: tuple[Role, ...] = ("ordförande", "sekreterare")


@dataclass
class AgendaItem:
    """One item (ärende) and where it stands."""

    item_id: str
    title: str
    kind: ItemKind = "decision"
    draft: str = ""  # the committee's draft decision (förslag till beslut)
    status: str = "pending"  # pending, open, closed, tabled
    opened_at: str | None = None
    closed_at: str | None = None
    interruptions: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class EqualTermsCheck:
    """Has every deciding remote member been connected on equal terms since the item opened?"""

    item_id: str
    ok: bool
    interruptions: tuple[dict[str, Any], ...]


@dataclass
class Agenda:
    """The meeting's items in order, and which one is open."""

    items: dict[str, AgendaItem] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    current: str | None = None
    next_number: int = 1

    def ordered(self) -> list[AgendaItem]:
        return [self.items[i] for i in self.order]

    def open_item(self) -> AgendaItem | None:
        return self.items[self.current] if self.current else None

    def apply(self, event: Event, state: MeetingState) -> bool:
        """Fold an event in (before the meeting's own state sees it); True if it is ours."""
        match event:
            case MeetingCreated():
                for title in event.agenda:
                    self._add(AgendaItem(str(self.next_number), title), None)
                return False  # the meeting's own event: the core applies it too
            case AgendaItemAdded():
                item = AgendaItem(event.item_id, event.title, event.kind, event.draft)
                self._add(item, event.position)
            case AgendaItemChanged():
                item = self.items[event.item_id]
                item.title, item.kind, item.draft = event.title, event.kind, event.draft
            case AgendaItemRemoved():
                self.items.pop(event.item_id, None)
                self.order.remove(event.item_id)
            case AgendaItemMoved():
                self.order.remove(event.item_id)
                self.order.insert(event.position, event.item_id)
            case ItemOpened():
                item = self.items[event.item_id]
                item.status, item.opened_at, self.current = "open", event.at, event.item_id
            case ItemClosed():
                item = self.items[event.item_id]
                item.status = "tabled" if event.tabled else "closed"
                item.closed_at, self.current = event.at, None
            case _:
                self._note_interruption(event, state)
                return False
        return True

    def _add(self, item: AgendaItem, position: int | None) -> None:
        self.items[item.item_id] = item
        self.order.insert(len(self.order) if position is None else position, item.item_id)
        if item.item_id.isdigit():
            self.next_number = max(self.next_number, int(item.item_id) + 1)

    def _note_interruption(self, event: Event, state: MeetingState) -> None:
        """While an item is open, remember what interrupted a deciding remote member."""
        item = self.open_item()
        if item is None:
            return
        what = None
        person_id = getattr(event, "person_id", None)
        presence = state.present.get(person_id) if isinstance(person_id, str) else None
        remote_deciding = (
            presence is not None and presence.where == "remote" and presence.mode == "deciding"
        )
        match event:
            case MeetingSuspended():
                item.interruptions.append(
                    {"person_id": event.participant, "what": "suspended", "at": event.at}
                )
                return
            case LinkFailed() if remote_deciding:
                what = "link_failed"
            case TechnicalPauseStarted() if remote_deciding:
                what = "technical_pause"
            case LeftMeeting() if remote_deciding:
                what = "left"
            case Admitted() if event.mode == "deciding":
                what = "joined_late"
        if what is not None:
            item.interruptions.append({"person_id": person_id, "what": what, "at": event.at})


# -- queries ---------------------------------------------------------------------------------------


def equal_terms_since_item_opened(state: MeetingState) -> EqualTermsCheck:
    """The check the chair sees before putting the question, from the log's events: every
    link failure, technical pause, departure or suspension of a deciding remote member, and
    every deciding member admitted late, since the open item opened."""
    item = require_open_item(state)
    return EqualTermsCheck(item.item_id, not item.interruptions, tuple(item.interruptions))


def require_open_item(state: MeetingState, item_id: str | None = None) -> AgendaItem:
    """The open item (and it must be `item_id` if given), or a RuleViolation."""
    item = state.agenda.open_item()
    if item is None:
        raise RuleViolation(
            "no_open_item", "Inget ärende är öppnat.", "No agenda item is open."
        )
    if item_id is not None and item_id != item.item_id:
        raise RuleViolation(
            "not_the_open_item",
            "Det är inte det öppnade ärendet.",
            "That is not the open agenda item.",
        )
    return item


def _item(state: MeetingState, item_id: str) -> AgendaItem:
    item = state.agenda.items.get(item_id)
    if item is None:
        raise RuleViolation(
            "unknown_item",
            "Ärendet finns inte på föredragningslistan.",
            "The item is not on the agenda.",
        )
    return item


def _pending(state: MeetingState, item_id: str) -> AgendaItem:
    item = _item(state, item_id)
    if item.status != "pending":
        raise RuleViolation(
            "item_not_pending",
            "Ärendet har redan behandlats eller behandlas nu och kan inte ändras.",
            "The item has been or is being handled and cannot be changed.",
        )
    return item


def _require_editor(state: MeetingState, by: str) -> None:
    """Agenda edits: the secretariat (`by` empty: the admin key), the secretary or the chair."""
    state._require_not_closed()
    if by:
        state._require_by(by, CHAIR_OR_SECRETARY)


def _checked(title: str, kind: str, draft: str) -> None:
    if not title.strip() or len(title) > MAX_TITLE:
        raise RuleViolation(
            "invalid_item",
            f"Ärendets rubrik ska vara 1–{MAX_TITLE} tecken.",
            f"The item's title must be 1–{MAX_TITLE} characters.",
        )
    if kind not in ITEM_KINDS:
        raise RuleViolation(
            "invalid_item",
            "Ärendets typ ska vara decision, election eller information.",
            "The item's kind must be decision, election or information.",
        )
    if len(draft) > MAX_DRAFT:
        raise RuleViolation(
            "invalid_item",
            f"Förslaget till beslut får vara högst {MAX_DRAFT} tecken.",
            f"The draft decision may be at most {MAX_DRAFT} characters.",
        )


def _position(state: MeetingState, position: int, extra: int) -> int:
    if not 0 <= position <= len(state.agenda.order) - 1 + extra:
        raise RuleViolation(
            "invalid_position",
            "Platsen finns inte på föredragningslistan.",
            "That position is not on the agenda.",
        )
    return position


# -- commands: the secretary's agenda --------------------------------------------------------------


def add_item(
    state: MeetingState,
    title: str,
    at: str,
    by: str = "",
    kind: ItemKind = "decision",
    draft: str = "",
    position: int | None = None,
) -> AgendaItemAdded:
    """A new item, last or at `position`; its id is the next free number."""
    _require_editor(state, by)
    _checked(title, kind, draft)
    if position is not None:
        _position(state, position, extra=1)
    item_id = str(state.agenda.next_number)
    return AgendaItemAdded(
        at=at, item_id=item_id, title=title.strip(), kind=kind, draft=draft.strip(),
        position=position, by=by,
    )


def change_item(
    state: MeetingState,
    item_id: str,
    at: str,
    by: str = "",
    title: str | None = None,
    kind: ItemKind | None = None,
    draft: str | None = None,
) -> AgendaItemChanged:
    """Change a pending item; fields left None keep their value."""
    _require_editor(state, by)
    item = _pending(state, item_id)
    new_title = item.title if title is None else title.strip()
    new_kind = item.kind if kind is None else kind
    new_draft = item.draft if draft is None else draft.strip()
    _checked(new_title, new_kind, new_draft)
    return AgendaItemChanged(
        at=at, item_id=item_id, title=new_title, kind=new_kind, draft=new_draft, by=by
    )


def remove_item(state: MeetingState, item_id: str, at: str, by: str = "") -> AgendaItemRemoved:
    """Take a pending item off the agenda."""
    _require_editor(state, by)
    _pending(state, item_id)
    return AgendaItemRemoved(at=at, item_id=item_id, by=by)


def move_item(
    state: MeetingState, item_id: str, position: int, at: str, by: str = ""
) -> AgendaItemMoved:
    """Move a pending item to `position` (0 = first)."""
    _require_editor(state, by)
    _pending(state, item_id)
    return AgendaItemMoved(
        at=at, item_id=item_id, position=_position(state, position, extra=0), by=by
    )


# -- commands: the chair ---------------------------------------------------------------------------


def open_item(state: MeetingState, item_id: str, by: str, at: str) -> ItemOpened:
    """Open the next item: the first one still pending, once the previous one is closed."""
    state._require_by(by, CHAIR)
    if state.phase != "open":
        raise state._phase_violation()
    if state.adjournment.current is not None:
        raise _adjourned()
    if state.agenda.current is not None:
        raise RuleViolation(
            "item_already_open",
            "Ett ärende är redan öppnat; avsluta det först.",
            "An item is already open; close it first.",
        )
    _item(state, item_id)
    pending = [i for i in state.agenda.ordered() if i.status == "pending"]
    if not pending:
        raise RuleViolation(
            "agenda_done",
            "Alla ärenden på föredragningslistan är behandlade.",
            "Every item on the agenda has been handled.",
        )
    if pending[0].item_id != item_id:
        raise RuleViolation(
            "not_next_item",
            f"Ärendena behandlas i tur och ordning; nästa är {pending[0].title}.",
            f"Items are taken in order; the next is {pending[0].title}.",
        )
    return ItemOpened(at=at, item_id=item_id, by=by)


def close_item(state: MeetingState, item_id: str, by: str, at: str) -> ItemClosed:
    """Close the open item; people with jäv for it are let back in."""
    state._require_by(by, CHAIR)
    require_open_item(state, item_id)
    _require_no_vote(state)
    returned, released = state.jav.returning(state, item_id)
    return ItemClosed(at=at, item_id=item_id, by=by, returned=returned, released=released)


def table_item(state: MeetingState, item_id: str, by: str, at: str, reason: str = "") -> ItemClosed:
    """Table the open item (bordläggning): a decision of the committee, so the guard asks."""
    state._require_by(by, CHAIR)
    require_open_item(state, item_id)
    _require_no_vote(state)
    block = state.decision_block()
    if block is not None:
        raise block
    returned, released = state.jav.returning(state, item_id)
    return ItemClosed(
        at=at, item_id=item_id, by=by, tabled=True, reason=reason[:500],
        returned=returned, released=released,
    )


def _require_no_vote(state: MeetingState) -> None:
    if state.votes.open is not None:
        raise RuleViolation(
            "vote_in_progress",
            "En omröstning pågår; avsluta den först.",
            "A vote is in progress; close it first.",
        )


def _adjourned() -> RuleViolation:
    return RuleViolation(
        "adjourned",
        "Sammanträdet är ajournerat.",
        "The meeting is adjourned.",
    )
