"""The meeting service: runs commands on the meeting model, appends their events, keeps state.

State lives only in the event log (SQLite); what is held here is derived by
replaying it at start and by applying each event as it is appended. Committee
events (roster) are stored under the committee's id and apply to every meeting
of that committee; a meeting's events are stored under the meeting's id.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import secrets
import sqlite3
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from compliance.events import CommitteeCreated, Event, MeetingCreated
from compliance.meeting import MeetingState, RuleViolation
from compliance.profile import Profile

from .eventlog import EventLog, StoredEvent
from .invitations import Invitations

logger = logging.getLogger(__name__)

LOCAL_TIME = ZoneInfo("Europe/Stockholm")  # the municipality's clock, for deadlines and minutes
INVITATION_MAX_AGE_S = 30 * 24 * 3600
RETRY_UNWRITTEN_S = 0.5  # how often a protective event the log refused is written again

Listener = Callable[[str, Event], Awaitable[None]]
LogListener = Callable[[str], Awaitable[None]]  # a meeting's unwritten events changed
Command = Callable[[MeetingState, str], Event]


def now_local() -> str:
    """Now as ISO 8601 local time with offset, as events store it."""
    return datetime.now(LOCAL_TIME).isoformat(timespec="milliseconds")


def load_secret(path: Path) -> bytes:
    """The server's signing key for invitations, made on first start (kept 0600)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(secrets.token_bytes(32))
        path.chmod(0o600)
    return path.read_bytes()


class MeetingService:
    """Commands in, events out: the only writer of the event log."""

    def __init__(self, log: EventLog, invitations: Invitations, profile: Profile) -> None:
        self.log = log
        self.invitations = invitations
        self.profile = profile
        self.committees: dict[str, MeetingState] = {}
        self.meetings: dict[str, MeetingState] = {}
        self._committee_of: dict[str, str] = {}
        self.listeners: list[Listener] = []
        self.log_listeners: list[LogListener] = []
        self._unwritten: list[tuple[str, Event]] = []  # applied, not yet in the log, in order
        self._retry: asyncio.Task[None] | None = None
        for stored in log.all_events():
            self._apply(stored.meeting_id, stored.event)

    # -- reading ---------------------------------------------------------------------------

    def meeting(self, meeting_id: str) -> MeetingState | None:
        return self.meetings.get(meeting_id)

    def committee(self, committee_id: str) -> MeetingState | None:
        return self.committees.get(committee_id)

    def committee_of(self, meeting_id: str) -> str | None:
        return self._committee_of.get(meeting_id)

    def stored_events(self, meeting_id: str) -> list[StoredEvent]:
        """One meeting's events as stored (seq, hash): its committee's roster, its own
        `meeting_created`, then its own stream; other meetings of the committee left out."""
        committee = self.log.stored(self.committee_of(meeting_id) or "")
        own = [s for s in committee if not (isinstance(s.event, MeetingCreated)
                                            and s.event.meeting_id != meeting_id)]
        return own + self.log.stored(meeting_id)

    def verify_invitation(self, token: str, meeting_id: str) -> str:
        """The invited person's id; raises InvitationRefused (forged, expired, revoked, other
        meeting) or RuleViolation when the meeting is unknown."""
        self._require_meeting(meeting_id)
        return self.identify(token, meeting_id)[0]

    def identify(self, token: str, meeting_id: str) -> tuple[str, str]:
        """(person id, invitation id) of a valid token, refused as `verify_invitation`. For
        a meeting that does not exist the token is judged the same way (forged, expired, or
        for another meeting), so the answer does not tell whether the meeting exists."""
        state = self.meetings.get(meeting_id)
        revoked = state.revoked if state is not None else frozenset[str]()
        return self.invitations.identify(token, meeting_id, revoked, INVITATION_MAX_AGE_S)

    # -- writing ---------------------------------------------------------------------------

    async def run(self, meeting_id: str, command: Command) -> Event:
        """Check ``command`` against the meeting's state, append its event, apply it, tell
        the listeners. Raises RuleViolation, and then nothing is written."""
        state = self._require_meeting(meeting_id)
        event = command(state, now_local())
        await self._append(meeting_id, event)
        return event

    async def run_fail_closed(self, meeting_id: str, command: Command) -> Event:
        """For an event that protects the meeting (a failed link, a suspension): the state
        takes it at once, so decisions are blocked whether or not the log can write it
        now; a write that fails is retried until it lands, and the dashboards are told."""
        state = self._require_meeting(meeting_id)
        event = command(state, now_local())
        self._apply(meeting_id, event)
        self._unwritten.append((meeting_id, event))
        if not await self._write_unwritten():
            self._start_retrying()
        await self._tell(meeting_id, event)
        return event

    def unwritten(self, meeting_id: str) -> list[Event]:
        """Events the meeting's state holds that the log has not yet stored."""
        return [event for stream, event in self._unwritten if stream == meeting_id]

    async def close(self) -> None:
        """Stop retrying (one last try) and close the log."""
        if self._retry is not None:
            self._retry.cancel()
            self._retry = None
        await self._write_unwritten()
        self.log.close()

    async def run_committee(self, committee_id: str, command: Command) -> Event:
        """The same for roster commands, on the committee's own stream."""
        state = self.committees.get(committee_id)
        if state is None:
            raise RuleViolation("unknown_committee", "Nämnden finns inte.",
                                "The committee does not exist.")
        event = command(state, now_local())
        await self._append(committee_id, event)
        return event

    async def create_committee(self, committee_id: str, name: str,
                               party_order: tuple[str, ...] = ()) -> Event:
        if committee_id in self.committees or committee_id in self.meetings:
            raise RuleViolation("id_taken", "Id:t används redan.", "The id is already in use.")
        event = MeetingState(rules=self.profile.legal).create_committee(
            committee_id, name, now_local(), party_order)
        await self._append(committee_id, event)
        return event

    async def create_meeting(self, committee_id: str, meeting_id: str, **fields: Any) -> Event:
        if meeting_id in self.meetings or meeting_id in self.committees:
            raise RuleViolation("id_taken", "Id:t används redan.", "The id is already in use.")
        event = await self.run_committee(
            committee_id, lambda s, at: s.create_meeting(meeting_id, at=at, **fields))
        return event

    async def issue_invitation(self, meeting_id: str, person_id: str) -> tuple[str, str]:
        """A new personal invitation: (invitation id, token)."""
        invitation_id = secrets.token_hex(6)
        await self.run(meeting_id, lambda s, at: s.issue_invitation(invitation_id, person_id, at))
        return invitation_id, self.invitations.issue(person_id, meeting_id, invitation_id)

    def token_for(self, meeting_id: str, invitation_id: str) -> str:
        """A fresh token for an existing invitation (same invitation, new signature time)."""
        state = self._require_meeting(meeting_id)
        return self.invitations.issue(state.invitations[invitation_id], meeting_id, invitation_id)

    async def _append(self, stream_id: str, event: Event) -> None:
        if self._unwritten and not await self._write_unwritten():
            raise RuleViolation(
                "log_unavailable",
                "Sammanträdets logg kan inte skrivas just nu; försök igen om en stund.",
                "The meeting's log cannot be written just now; try again shortly.",
            )
        self.log.append(stream_id, event)
        self._apply(stream_id, event)
        await self._tell(stream_id, event)

    async def _tell(self, stream_id: str, event: Event) -> None:
        affected = [stream_id] if stream_id in self.meetings else [
            m for m, c in self._committee_of.items() if c == stream_id]
        for meeting_id in affected:
            for listener in list(self.listeners):
                try:
                    await listener(meeting_id, event)
                except Exception:
                    logger.exception("meeting listener failed on %s", event.type)

    async def _write_unwritten(self) -> bool:
        """Write the applied events the log has not stored, in order; True when none is
        left. An event whose content the log refuses is stored without its `params`
        (the finding's numbers), so that the fact itself always lands."""
        changed: set[str] = set()
        try:
            while self._unwritten:
                stream_id, event = self._unwritten[0]
                try:
                    self.log.append(stream_id, event)
                except (sqlite3.IntegrityError, ValueError, TypeError):
                    if not getattr(event, "params", None):
                        raise
                    logger.exception("the log refused %s; storing it without params",
                                     event.type)
                    self.log.append(stream_id, dataclasses.replace(event, params={}))  # type: ignore[type-var]
                self._unwritten.pop(0)
                changed.add(stream_id)
        except Exception:
            logger.exception("the log could not store %s; retrying", self._unwritten[0][1].type)
            changed.add(self._unwritten[0][0])
        for meeting_id in changed:
            for listener in list(self.log_listeners):
                try:
                    await listener(meeting_id)
                except Exception:
                    logger.exception("log listener failed")
        return not self._unwritten

    def _start_retrying(self) -> None:
        if self._retry is None or self._retry.done():
            self._retry = asyncio.ensure_future(self._retry_until_written())

    async def _retry_until_written(self) -> None:
        while not await self._write_unwritten():
            await asyncio.sleep(RETRY_UNWRITTEN_S)

    def _apply(self, stream_id: str, event: Event) -> None:
        if isinstance(event, CommitteeCreated):
            self.committees[stream_id] = MeetingState(rules=self.profile.legal)
            self.committees[stream_id].apply(event)
            return
        if isinstance(event, MeetingCreated):
            committee = self.committees[event.committee_id]  # may call any number of meetings
            state = MeetingState(rules=self.profile.legal)
            state.committee = committee.committee
            state.people = dict(committee.people)
            state.apply(event)
            self.meetings[event.meeting_id] = state
            self._committee_of[event.meeting_id] = event.committee_id
            return
        if stream_id in self.committees:
            self.committees[stream_id].apply(event)
            for meeting_id, committee_id in self._committee_of.items():
                if committee_id == stream_id:
                    self.meetings[meeting_id].apply(event)
            return
        self.meetings[stream_id].apply(event)

    def _require_meeting(self, meeting_id: str) -> MeetingState:
        state = self.meetings.get(meeting_id)
        if state is None:
            raise RuleViolation("unknown_meeting", "Sammanträdet finns inte.",
                                "The meeting does not exist.")
        return state
