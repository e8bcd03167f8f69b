"""A suspension cannot be lost: decisions are blocked before the log has written it, the
dashboards are alerted, and the write is retried until it lands (issue 11)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from compliance.events import Event
from compliance.profile import default_profile
from server.eventlog import EventLog
from server.invitations import Invitations
from server.meetings import MeetingService, load_secret

from .meeting_helpers import close_all, next_message, start_meeting, suspended_by

MEETING = "m"


async def remote_meeting(folder: Path) -> MeetingService:
    """A committee with a chair in the room and a deciding remote member, opened."""
    service = MeetingService(EventLog(folder / "log.sqlite3"),
                             Invitations(load_secret(folder / "secret.key")), default_profile())
    await service.create_committee("c", "Nämnden")
    for pid, name, role in (("ordf", "Eva Ek", "ordförande"), ("led1", "Karin Lind", "ledamot"),
                            ("led2", "Omar Haddad", "ledamot")):
        await service.run_committee("c", lambda s, at, p=pid, n=name, r=role: s.add_person(
            p, n, r, at, party="S", email=f"{p}@example.se"))  # type: ignore[misc]
    await service.create_meeting("c", MEETING, date="2030-01-10", time="18:00", place="Salen")
    await service.run(MEETING, lambda s, at: s.request_remote("led1", "deciding", at))
    await service.run(MEETING, lambda s, at: s.decide_remote("led1", True, by="ordf", at=at))
    await service.run(MEETING, lambda s, at: s.mark_present("ordf", by="ordf", at=at))
    await service.run(MEETING, lambda s, at: s.mark_present("led2", by="ordf", at=at))
    await service.run(MEETING, lambda s, at: s.enter_lobby("led1", at))
    await service.run(MEETING, lambda s, at: s.admit("led1", "deciding", by="ordf", at=at))
    await service.run(MEETING, lambda s, at: s.open(by="ordf", at=at))
    return service


class BrokenDisk:
    """Makes the log's appends fail (as a full or failing disk would) until mended."""

    def __init__(self, log: EventLog, monkeypatch: pytest.MonkeyPatch) -> None:
        self.broken = True
        self.tries = 0
        append = log.append

        def failing(stream: str, event: Event) -> int:
            self.tries += 1
            if self.broken:
                raise sqlite3.OperationalError("disk I/O error")
            return append(stream, event)

        monkeypatch.setattr(log, "append", failing)


async def test_a_suspension_blocks_decisions_even_when_the_log_cannot_write_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    service = await remote_meeting(tmp_path)
    told: list[str] = []
    service.log_listeners.append(lambda meeting_id: _note(told, meeting_id))
    disk = BrokenDisk(service.log, monkeypatch)

    await service.run_fail_closed(MEETING, lambda s, at: s.report_link_failed(
        "led1", at, "video.freeze", {"value": 1.1, "threshold": 1.0}))
    await service.run_fail_closed(MEETING, lambda s, at: s.suspend(
        at, participant="led1", code="video.freeze", params={"value": 1.1}))

    state = service.meeting(MEETING)
    assert state is not None and state.phase == "suspended"
    assert state.decision_block() is not None, "decisions allowed while the write failed"
    assert [e.type for e in service.unwritten(MEETING)] == ["link_failed", "meeting_suspended"]
    assert told, "nobody was told the log could not write"
    with pytest.raises(Exception, match="log_unavailable"):  # nothing jumps the queue
        await service.run(MEETING, lambda s, at: s.report_link_restored("led1", at))

    disk.broken = False
    for _ in range(100):
        if not service.unwritten(MEETING):
            break
        await asyncio.sleep(0.05)
    assert service.unwritten(MEETING) == [], "the write was not retried"
    assert disk.tries > 2
    logged = [e.type for e in service.log.events(MEETING)]
    assert logged[-2:] == ["link_failed", "meeting_suspended"]
    await service.close()
    replayed = MeetingService(EventLog(tmp_path / "log.sqlite3"),
                              Invitations(load_secret(tmp_path / "secret.key")),
                              default_profile())
    again = replayed.meeting(MEETING)
    assert again is not None and again.phase == "suspended" and again.present["led1"].link_failed
    replayed.log.close()


async def test_a_finding_the_log_refuses_is_stored_without_its_numbers(tmp_path: Path) -> None:
    """A browser reported Infinity: SQLite's json_valid refuses it; the fact still lands."""
    service = await remote_meeting(tmp_path)
    await service.run_fail_closed(MEETING, lambda s, at: s.report_link_failed(
        "led1", at, "downlink.video.freeze", {"value": float("inf"), "from": "ordf"}))
    assert service.unwritten(MEETING) == []
    stored = service.log.events(MEETING)[-1]
    assert (stored.type, stored.code, stored.params) == (  # type: ignore[attr-defined]
        "link_failed", "downlink.video.freeze", {})
    state = service.meeting(MEETING)
    assert state is not None and state.decision_block() is not None
    await service.close()


async def test_live_meeting_suspends_and_alerts_the_chair_while_the_log_fails(
        server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    chair, (member,) = await start_meeting(server, [("led1", "deciding")])
    try:
        disk = BrokenDisk(server.service.log, monkeypatch)
        since = len(chair.messages)
        member.video.paused = True
        shown = await next_message(chair, suspended_by("led1"), 10, since)
        assert shown is not None, "the chair was not shown the suspension"
        assert shown["log_unwritten"] >= 1
        alert = await next_message(
            chair, lambda m: m["type"] == "error" and m["code"] == "log-write-failed", 5, since)
        assert alert is not None and "logg" in alert["message_sv"]
        assert server.service.meeting("demo").decision_block() is not None
        disk.broken = False
        written = await next_message(
            chair, lambda m: m["type"] == "meeting-state" and m["log_unwritten"] == 0, 10,
            since)
        assert written is not None, "the log never caught up"
        assert server.service.log.events("demo")[-1].type == "meeting_suspended"
    finally:
        await close_all(member, chair)


async def _note(told: list[str], meeting_id: str) -> None:
    told.append(meeting_id)
