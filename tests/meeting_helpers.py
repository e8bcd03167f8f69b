"""Helpers for tests that run the demo meeting with synthetic participants."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from bench.synthetic import SyntheticParticipant

MEETING = "demo"


def token(server: Any, person_id: str) -> str:
    """A personal invitation token for someone on the demo meeting's roster."""
    state = server.service.meeting(MEETING)
    invitation = next(i for i, p in state.invitations.items() if p == person_id)
    return str(server.service.token_for(MEETING, invitation))


async def next_message(person: SyntheticParticipant, predicate: Callable[[dict[str, Any]], bool],
                       timeout: float, since: int = 0) -> dict[str, Any] | None:
    """The first message from index ``since`` on that matches, waiting up to ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        for message in person.messages[since:]:
            if predicate(message):
                return message
        if time.monotonic() >= deadline:
            return None
        await asyncio.sleep(0.02)


def suspended_by(pid: str) -> Callable[[dict[str, Any]], bool]:
    """Matches the dashboards' `meeting-state` that shows the meeting suspended for `pid`."""
    return lambda m: (m["type"] == "meeting-state" and m.get("phase") == "suspended"
                      and (m.get("suspension") or {}).get("person_id") == pid)


def link_failed(pid: str) -> Callable[[dict[str, Any]], bool]:
    """Matches the dashboards' `meeting-state` that shows `pid`'s link failed (the meeting
    is suspended for it, or already was)."""
    return lambda m: m["type"] == "meeting-state" and any(
        p["person_id"] == pid and p["link_failed"] for p in m.get("people", []))


def quality_of(message: dict[str, Any], person_id: str) -> dict[str, Any] | None:
    if message.get("type") != "quality":
        return None
    return next((r for r in message["participants"] if r.get("person_id") == person_id), None)


async def command(chair: SyntheticParticipant, message: dict[str, Any]) -> dict[str, Any]:
    """Send a chair command and return the server's answer (done or error)."""
    since = len(chair.messages)
    await chair.send(message)
    reply = await next_message(
        chair, lambda m: m.get("ref") == message["type"] and m["type"] in ("done", "error"),
        timeout=10, since=since)
    assert reply is not None, f"no answer to {message['type']}"
    return reply


async def join_admitted(server: Any, person_id: str, mark: int, mode: str = "deciding",
                        chair: SyntheticParticipant | None = None,
                        **kwargs: Any) -> SyntheticParticipant:
    """A remote member joins by personal link, waits in the lobby and is admitted."""
    person = SyntheticParticipant(server.base_url, MEETING, person_id, mark=mark,
                                  token=token(server, person_id), **kwargs)
    await person.join()
    assert person.welcome["admitted"] is False, "a remote member must wait in the lobby"
    if chair is not None:
        reply = await command(chair, {"type": "admit", "person_id": person_id, "mode": mode})
        assert reply["type"] == "done", reply
        assert await next_message(person, lambda m: m["type"] == "admitted", timeout=10)
    return person


async def start_meeting(server: Any, members: list[tuple[str, str]], **kwargs: Any
                        ) -> tuple[SyntheticParticipant, list[SyntheticParticipant]]:
    """The chair's room device joins, admits ``members`` (person id, mode) and opens the
    meeting; returns once every member's link is judged ok by the monitor."""
    chair = SyntheticParticipant(server.base_url, MEETING, "ordf", mark=0,
                                 token=token(server, "ordf"), decode=False)
    await chair.join()
    people = [await join_admitted(server, pid, mark=i + 1, mode=mode, chair=chair,
                                  decode=False, **kwargs)
              for i, (pid, mode) in enumerate(members)]
    await open_when_links_work(chair)
    since = len(chair.messages)
    for pid, _ in members:
        ok = await next_message(
            chair, lambda m, pid=pid: (quality_of(m, pid) or {}).get("state") == "ok",
            timeout=15, since=since)
        assert ok, f"{pid}'s link never became ok"
    return chair, people


async def open_when_links_work(chair: SyntheticParticipant, timeout: float = 60) -> None:
    """Open the meeting as a chair would: once the roll call finds every link working (on a
    loaded machine a fresh link may fail, and is restored 5 s after it works again)."""
    deadline = time.monotonic() + timeout
    while True:
        reply = await command(chair, {"type": "open-meeting"})
        if reply["type"] == "done":
            return
        assert reply.get("code") == "links_failed" and time.monotonic() < deadline, reply
        await asyncio.sleep(1.0)


async def close_all(*people: SyntheticParticipant) -> None:
    for person in people:
        await person.leave()


RECOVERABLE = ("meeting_suspended", "link_failed", "links_failed", "not_restorable",
               "vote_void_link_failed")


async def recover(server: Any, chair: SyntheticParticipant, patience: float = 90) -> None:
    """If a link stumbled on a busy machine and the meeting was suspended, do what the law
    says: wait until the links are restored, then the chair resumes."""
    state = server.service.meeting(MEETING)
    deadline = time.monotonic() + patience
    while state.phase == "suspended" or any(p.link_failed for p in state.present.values()):
        assert time.monotonic() < deadline, "the links were never restored"
        if state.phase == "suspended" and not any(
                p.link_failed for p in state.present.values()):
            await command(chair, {"type": "resume-meeting"})
        await asyncio.sleep(0.5)


async def steady(server: Any, chair: SyntheticParticipant, message: dict[str, Any],
                 patience: float = 120, sender: SyntheticParticipant | None = None
                 ) -> dict[str, Any]:
    """A command (the chair's, or `sender`'s) sent again after recovering from a link
    failure the busy machine caused (not the test): a refusal while a link is failed or the
    meeting suspended may be that failure's (a member whose link failed is not deciding);
    any refusal that stays once every link is good is returned."""
    state = server.service.meeting(MEETING)
    deadline = time.monotonic() + patience
    while True:
        reply = await command(sender or chair, message)
        stumbled = state.phase == "suspended" or any(
            p.link_failed for p in state.present.values())
        if reply["type"] == "done" or not (reply.get("code") in RECOVERABLE or stumbled):
            return reply
        assert time.monotonic() < deadline, reply
        await recover(server, chair, patience=max(1.0, deadline - time.monotonic()))


# -- who receives whose media, counted at the synthetic clients ------------------------------

FLOW_S = 20.0  # generous: renegotiation on a busy machine


def received(person: SyntheticParticipant, publisher: str | None) -> int:
    """Every RTP packet `person` has received from the participant `publisher`, ever."""
    return sum(s.packets for s in person.received.values() if s.publisher == publisher)


async def flowing(person: SyntheticParticipant, publisher: str | None,
                  timeout: float = FLOW_S, per_second: int = 5) -> bool:
    """Packets from `publisher` keep arriving at `person` (more than `per_second` within a
    second; a publisher sends 75 a second, a busy machine forwards fewer)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = received(person, publisher)
        await asyncio.sleep(1.0)
        if received(person, publisher) - before > per_second:
            return True
    return False


Pairs = list[tuple[SyntheticParticipant, SyntheticParticipant]]


def counts(pairs: Pairs) -> list[int]:
    return [received(r, s.id) for r, s in pairs]


async def silent(pairs: Pairs, quiet: float = 2.5, timeout: float = 20.0) -> list[str]:
    """Which (receiver, sender) pairs still get packets: empty once no pair has received a
    single packet for `quiet` seconds (after renegotiation, and the backlog of a busy
    machine, have passed); a real leak (50 packets/s and more) is never quiet."""
    deadline = time.monotonic() + timeout
    while True:
        before = counts(pairs)
        await asyncio.sleep(quiet)
        after = counts(pairs)
        leaks = [f"{r.name} <- {s.name}: {a - b} packets"
                 for (r, s), b, a in zip(pairs, before, after, strict=True) if a > b]
        if not leaks or time.monotonic() > deadline:
            return leaks
