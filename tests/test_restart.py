"""Killing the server hard loses nothing: the log replays to the same meeting, and people
rejoin with their links and continue."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
from pathlib import Path
from typing import Any

from bench.detection import start_server
from bench.synthetic import SyntheticParticipant
from compliance.profile import default_profile
from media.ice import use_addresses
from server.eventlog import EventLog
from server.invitations import Invitations
from server.meetings import MeetingService, load_secret

from .meeting_helpers import command, next_message, open_when_links_work

MEMBERS = ["led1", "led2", "led3"]


def replayed(folder: Path) -> dict[str, Any]:
    """The demo meeting's state as a fresh replay of the SQLite log derives it."""
    log = EventLog(folder / "kvorum.sqlite3")
    try:
        service = MeetingService(log, Invitations(load_secret(folder / "secret.key")),
                                 default_profile())
        state = service.meeting("demo")
        assert state is not None
        q = state.quorum()
        return {
            "phase": state.phase,
            "present": {pid: (p.where, p.mode, p.link_failed) for pid, p in state.present.items()},
            "lobby": sorted(state.lobby), "serving": dict(state.serving),
            "quorum": (q.present, q.required, q.quorate), "events": len(log.all_events()),
        }
    finally:
        log.close()


def failures(folder: Path) -> list[Any]:
    with EventLog(folder / "kvorum.sqlite3") as log:
        return [e for e in log.events("demo") if e.type == "link_failed"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def join_all(
    base: str, tokens: dict[str, str]
) -> tuple[SyntheticParticipant, list[SyntheticParticipant]]:
    chair = SyntheticParticipant(base, "demo", "ordf", mark=0, decode=False, token=tokens["ordf"])
    await chair.join()
    members = []
    for i, pid in enumerate(MEMBERS):
        member = SyntheticParticipant(base, "demo", pid, mark=i + 1, decode=False,
                                      token=tokens[pid])
        await member.join()
        members.append(member)
    return chair, members


async def media_flows(people: list[SyntheticParticipant], timeout: float = 20) -> bool:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if all(len(p.streams_from(q.id)) == 2 and p.streams_from(q.id)["video"].frames > 5
               for p in people for q in people if p is not q):
            return True
        await asyncio.sleep(0.2)
    return False


async def test_kill_9_and_restart_keeps_the_meeting_and_people_rejoin(tmp_path):
    use_addresses(["127.0.0.1"])  # the synthetic clients, like the server, use loopback only
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server, tokens = start_server(port, tmp_path)
    people: list[SyntheticParticipant] = []
    try:
        chair, members = await join_all(base, tokens)
        people = [chair, *members]
        for pid in MEMBERS:
            reply = await command(chair, {"type": "admit", "person_id": pid, "mode": "deciding"})
            assert reply["type"] == "done", reply
        for pid in ("led4", "led5"):
            reply = await command(chair, {"type": "mark-present", "person_id": pid})
            assert reply["type"] == "done"
        assert await media_flows(people), "media did not flow before the crash"
        await open_when_links_work(chair)
        before = replayed(tmp_path)
        # On a loaded machine a member's stream may stall for a second and suspend the
        # meeting before the crash: what matters here is that the crash changes nothing.
        assert before["phase"] in ("open", "suspended"), failures(tmp_path)
        assert before["phase"] == "suspended" or before["quorum"] == (6, 4, True)

        os.kill(server.pid, signal.SIGKILL)
        server.wait(10)
        for person in people:
            await person.leave()
        assert replayed(tmp_path) == before, "the log lost or changed something in the crash"

        server, _tokens_again = start_server(port, tmp_path)
        after = replayed(tmp_path)
        assert after["present"].keys() == before["present"].keys()
        assert all(after["present"][pid][2] for pid in MEMBERS), "remote links must count as failed"
        assert after["phase"] == "suspended", "an open meeting must be suspended after a crash"

        # Everyone rejoins with the links they already had; no one goes back to the lobby.
        chair, members = await join_all(base, tokens)
        people = [chair, *members]
        assert all(m.welcome["admitted"] for m in members)
        assert await media_flows(people), "media did not flow after the restart"
        restored = await next_message(
            chair, lambda m: m["type"] == "meeting-state" and m["restorable"], timeout=30)
        assert restored, "links never restored after the restart"
        assert (await command(chair, {"type": "resume-meeting"}))["type"] == "done"
        assert (await command(chair, {"type": "mark-left", "person_id": "led5"}))["type"] == "done"
        final = replayed(tmp_path)
        assert final["phase"] == "open" and "led5" not in final["present"]
    finally:
        for person in people:
            await person.leave()
        server.terminate()
        server.wait(10)


async def test_kill_9_during_a_suspension_keeps_it_and_decisions_stay_blocked(tmp_path):
    """The meeting is suspended (a deciding member's camera froze) when the server is killed:
    after the restart the log replays to the same suspension, decisions are still refused,
    and the chair can resume only once every link is back."""
    use_addresses(["127.0.0.1"])
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server, tokens = start_server(port, tmp_path)
    people: list[SyntheticParticipant] = []
    try:
        chair, members = await join_all(base, tokens)
        people = [chair, *members]
        for pid in MEMBERS:
            reply = await command(chair, {"type": "admit", "person_id": pid, "mode": "deciding"})
            assert reply["type"] == "done", reply
        await command(chair, {"type": "mark-present", "person_id": "led4"})
        assert await media_flows(people), "media did not flow before the fault"
        assert (await command(chair, {"type": "open-meeting"}))["type"] == "done"
        members[0].video.paused = True  # led1's camera freezes: the meeting is suspended
        suspended = await next_message(
            chair, lambda m: m["type"] == "meeting-state" and m["phase"] == "suspended", 20)
        assert suspended is not None, "the frozen camera did not suspend the meeting"
        before = replayed(tmp_path)
        assert before["phase"] == "suspended" and before["present"]["led1"][2]

        os.kill(server.pid, signal.SIGKILL)
        server.wait(10)
        for person in people:
            await person.leave()
        assert replayed(tmp_path) == before, "the log lost or changed something in the crash"

        server, _ = start_server(port, tmp_path)
        after = replayed(tmp_path)
        assert after["phase"] == "suspended" and after["present"]["led1"][2]
        chair, members = await join_all(base, tokens)
        people = [chair, *members]
        first = await next_message(chair, lambda m: m["type"] == "meeting-state", 10)
        assert first is not None and first["phase"] == "suspended"
        assert first["decision_block"] is not None
        reply = await command(chair, {"type": "resume-meeting"})
        assert reply["type"] == "error" and reply["code"] == "not_restorable", reply
        restored = await next_message(
            chair, lambda m: m["type"] == "meeting-state" and m["restorable"], timeout=40)
        assert restored, "links never restored after the restart"
        assert (await command(chair, {"type": "resume-meeting"}))["type"] == "done"
        assert replayed(tmp_path)["phase"] == "open"
    finally:
        for person in people:
            await person.leave()
        server.terminate()
        server.wait(10)
