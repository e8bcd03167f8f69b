"""A meeting driven through the procedure's commands with fake time (no I/O)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from compliance import agenda, proposals
from compliance.events import Event
from compliance.meeting import MeetingState, RuleViolation
from compliance.profile import LegalRules, profile_by_id
from tests.test_meeting import meeting_events

START = datetime(2026, 3, 10, 18, 0, tzinfo=timezone(timedelta(hours=1)))  # the meeting day
ROOM = ("chair", "sec", "m1", "m2", "m3", "m4")
REMOTE = ("m5", "m6", "m7")  # deciding, remote
OBSERVERS = ("sC1",)  # a substitute attending remotely, not deciding


class Meeting:
    """One meeting with a clock: `do` runs a command now and applies its event."""

    def __init__(
        self,
        rules: LegalRules | None = None,
        profile: str | None = None,
        room: tuple[str, ...] = ROOM,
        remote: tuple[str, ...] = REMOTE,
        observers: tuple[str, ...] = OBSERVERS,
        open_meeting: bool = True,
    ) -> None:
        self.rules = rules if profile is None else profile_by_id(profile).legal
        self.events: list[Event] = meeting_events()  # every event, from the committee on
        self.state = MeetingState.replay(self.events, self.rules)
        self.seconds = -600.0  # people arrive before 18:00
        for pid, mode in [(p, "deciding") for p in remote] + [
            (p, "attending-only") for p in observers
        ]:
            self.do(MeetingState.request_remote, pid, mode)
            self.do(MeetingState.decide_remote, pid, True, by="chair")
            self.do(MeetingState.enter_lobby, pid)
            self.do(MeetingState.admit, pid, mode, by="sec")
        self.seconds = 0.0
        for pid in room:
            self.do(MeetingState.mark_present, pid, by="sec" if pid != "sec" else "chair")
        if open_meeting:
            self.do(MeetingState.open, by="chair")

    def now(self) -> str:
        return (START + timedelta(seconds=self.seconds)).isoformat(timespec="milliseconds")

    def wait(self, seconds: float) -> None:
        self.seconds += seconds

    def do(self, command: Callable[..., Event], *args: Any, **kwargs: Any) -> Any:
        """Run the command at the current time and apply its event; one second passes."""
        event = command(self.state, *args, at=self.now(), **kwargs)
        self.state.apply(event)
        self.events.append(event)
        self.wait(1)
        return event

    def refused(self, code: str, command: Callable[..., Event], *args: Any, **kwargs: Any
                ) -> RuleViolation:
        """The command is refused with `code`, and nothing changes."""
        before = repr(self.state)
        with pytest.raises(RuleViolation) as refusal:
            command(self.state, *args, at=self.now(), **kwargs)
        assert refusal.value.code == code, refusal.value
        assert refusal.value.message_sv and refusal.value.message_en
        assert repr(self.state) == before
        return refusal.value

    # -- common stretches of procedure ---------------------------------------------------------

    def open_item(self, item_id: str = "1") -> None:
        self.do(agenda.open_item, item_id, by="chair")

    def to_proposition(self, *proposals_by: str) -> list[str]:
        """Open item 1, the chair states the draft, each of `proposals_by` proposes, the
        deliberation ends and the check is confirmed; returns the proposal ids."""
        self.do(agenda.change_item, "1", by="sec", draft="Nämnden godkänner förslaget.")
        self.open_item("1")
        ids = [self.do(proposals.state_draft, by="chair").proposal_id]
        for author in proposals_by:
            ids.append(self.do(proposals.make_proposal, author, f"Yrkande av {author}",
                               by=author).proposal_id)
        self.do(proposals.end_deliberation, by="chair")
        self.do(proposals.confirm_equal_terms, by="chair")
        return ids

    def put(self, order: list[str], finding: str | None = None) -> Any:
        if not self.state.proposals.of("1").order:
            self.do(proposals.set_proposition_order, tuple(order), by="chair")
        question = self.state.proposals.of("1").next_question()
        assert question is not None
        return self.do(proposals.put_question, finding or question[1], by="chair")
