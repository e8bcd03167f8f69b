"""How fast a hard fault in a deciding remote member's media reaches the chair.

    python -m bench.detection --faults 20 --json
    python -m bench.detection --clean-seconds 300 --json
    python -m bench.detection --participants 15 --faults 20 --json

Starts the server in its own process with the demo meeting, joins the chair's room
device and three deciding remote members (synthetic, pre-encoded 640x360 at 25 fps),
opens the meeting (with `--participants N` other than 4: a committee of a chair and N-1
deciding remote members made through the secretary's API instead of the demo meeting),
then injects hard faults of mixed kinds one at a time into live
streams. For each: the time from fault onset to the `meeting-state` at the chair's
WebSocket that shows the member's link failed (and the meeting suspended); then the fault
is undone, the link must be restored, and the chair resumes. False events are failed
links that no injected fault explains. With --clean-seconds nothing is injected: every
failed link is a false event.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bench.children import cancel_on_signals, spawn, stop
from bench.synthetic import SyntheticParticipant
from media.ice import use_addresses

MEMBERS = ["led1", "led2", "led3"]
FAULTED = 3  # faults go, one at a time, to the first three members
KINDS = ["video-freeze", "audio-stop", "camera-off", "downlink-freeze", "connection-drop"]
DEMO_NAMES = {"Eva Ek": "ordf", "Karin Lind": "led1", "Omar Haddad": "led2", "Lena Berg": "led3"}


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def start_server(port: int, folder: Path, keep_log: bool = False
                 ) -> tuple[subprocess.Popen[str], dict[str, str]]:
    """The server in its own process; returns it and the demo tokens by person id. With
    `keep_log` its log goes to `folder`/server.log. It ends with this process (bench.children):
    end it with `bench.children.stop`."""
    log_file = (folder / "server.log").open("w") if keep_log else subprocess.DEVNULL
    process = spawn(
        [sys.executable, "-m", "server", "--no-tls", "--host", "127.0.0.1", "--port", str(port),
         "--database", str(folder / "kvorum.sqlite3"), "--ice-address", "127.0.0.1"],
        stdout=subprocess.PIPE, stderr=log_file, text=True,
        cwd=Path(__file__).resolve().parent.parent)
    tokens: dict[str, str] = {}
    assert process.stdout is not None
    deadline = time.monotonic() + 180  # a loaded machine starts slowly
    for line in process.stdout:
        match = re.match(r"\s+(.+?) \((.+?)\): \S+\?t=(\S+)", line)
        if match and match.group(1) in DEMO_NAMES:
            tokens[DEMO_NAMES[match.group(1)]] = match.group(3)
        if len(tokens) == len(DEMO_NAMES) or time.monotonic() > deadline:
            break
    if len(tokens) != len(DEMO_NAMES):
        stop(process)
        raise RuntimeError("the server did not print the demo meeting's links")
    while time.monotonic() < deadline:  # the links are printed just before it listens
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.05)
    return process, tokens


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def large_meeting(base: str, folder: Path, participants: int
                        ) -> tuple[str, dict[str, str], list[str]]:
    """A committee of a chair and `participants` - 1 members, every member approved to take
    part remotely and decide, made through the secretary's API as a municipality would.
    Returns the meeting id, the tokens by person id (the chair's as "ordf") and the members."""
    import aiohttp

    key = (folder / "admin.key").read_text().strip()
    auth = {"Authorization": f"Bearer {key}"}
    async with aiohttp.ClientSession(base, headers=auth) as http:

        async def call(path: str, body: dict[str, Any] | None = None,
                       headers: dict[str, str] | None = None) -> Any:
            async with http.post(path, json=body or {}, headers=headers) as response:
                reply = await response.json()
                if response.status >= 300:
                    raise RuntimeError(f"{path}: {response.status} {reply}")
                return reply

        await call("/api/committees", {"id": "bench", "name": "Bänknämnden",
                                       "party_order": ["S", "M"]})
        people = [("ordf", "Eva Ek", "ordförande")] + [
            (f"led{i}", f"Ledamot {i}", "ledamot") for i in range(1, participants)]
        for pid, name, role in people:
            await call("/api/committees/bench/people", {
                "id": pid, "name": name, "role": role, "party": "SM"[len(pid) % 2],
                "email": f"{pid}@bench.example"})
        day = (datetime.now() + timedelta(days=60)).date().isoformat()
        meeting = (await call("/api/committees/bench/meetings", {
            "date": day, "time": "18:00", "place": "Salen"}))["id"]
        issued = (await call(f"/api/meetings/{meeting}/invitations/all"))["issued"]
        tokens = {i["person_id"]: i["link"].split("?t=", 1)[1] for i in issued}
        members = [pid for pid, _, _ in people[1:]]
        for pid in members:
            await call(f"/api/meetings/{meeting}/requests", {"mode": "deciding"},
                       headers={"X-Kvorum-Token": tokens[pid]})
            await call(f"/api/meetings/{meeting}/requests/{pid}/decision",
                       {"approved": True, "by": "ordf"})
    return meeting, tokens, members


class Bench:
    def __init__(self, base: str, tokens: dict[str, str], meeting: str = "demo",
                 members: list[str] | None = None) -> None:
        self.base = base
        self.tokens = tokens
        self.meeting = meeting
        self.member_ids = members or MEMBERS
        self.chair: SyntheticParticipant | None = None
        self.members: dict[str, SyntheticParticipant] = {}
        self.suspends: list[tuple[float, str, dict[str, Any]]] = []
        self.restorable: list[tuple[float, str]] = []
        self.quality: dict[str, str] = {}
        self.failed: dict[str, bool] = {}

    def on_chair_message(self, message: dict[str, Any]) -> None:
        """The chair learns of a failed link (and the suspension) from `meeting-state`."""
        now = time.monotonic()
        if message["type"] == "meeting-state" and not message.get("guest_room"):
            for person in message["people"]:
                pid, failed = person["person_id"], person["link_failed"]
                if failed and not self.failed.get(pid):
                    self.suspends.append((now, pid, person["link_failure"] or {}))
                elif self.failed.get(pid) and not failed:
                    self.restorable.append((now, pid))
                self.failed[pid] = failed
        elif message["type"] == "quality":
            for row in message["participants"]:
                if row.get("person_id"):
                    self.quality[row["person_id"]] = row.get("state", "?")

    async def command(self, message: dict[str, Any]) -> dict[str, Any]:
        assert self.chair is not None
        since = len(self.chair.messages)
        await self.chair.send(message)
        while True:
            for reply in self.chair.messages[since:]:
                if reply.get("ref") == message["type"] and reply["type"] in ("done", "error"):
                    return reply
            await asyncio.sleep(0.02)

    async def join_member(self, pid: str, mark: int) -> SyntheticParticipant:
        member = SyntheticParticipant(self.base, self.meeting, pid, mark=mark, decode=False,
                                      token=self.tokens[pid], video_size=(640, 360), fps=25)
        await member.join()
        member.report_downlink()
        self.members[pid] = member
        return member

    async def setup(self) -> None:
        self.chair = SyntheticParticipant(self.base, self.meeting, "ordf", mark=0, decode=False,
                                          token=self.tokens["ordf"], video_size=(640, 360),
                                          fps=25)
        self.chair.on_message = self.on_chair_message
        await self.chair.join()
        for i, pid in enumerate(self.member_ids):
            await self.join_member(pid, i + 1)
            reply = await self.command({"type": "admit", "person_id": pid, "mode": "deciding"})
            assert reply["type"] == "done", reply
        reply = await self.command({"type": "open-meeting"})
        assert reply["type"] == "done", reply
        await self.wait_all_ok(30)

    async def wait_all_ok(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(self.quality.get(pid) == "ok" for pid in self.member_ids):
                return True
            await asyncio.sleep(0.1)
        return False

    async def inject(self, kind: str, pid: str) -> None:
        member = self.members[pid]
        assert member.video is not None and member.audio is not None and self.chair is not None
        if kind == "video-freeze":
            member.video.paused = True
        elif kind == "audio-stop":
            member.audio.paused = True
        elif kind == "camera-off":
            await member.send({"type": "media-state", "video": False})
        elif kind == "downlink-freeze":
            frozen = member.reported_freezes.get(self.chair.id or "", (0, 0.0))
            member.freeze_downlink(self.chair.id or "", frozen[0] + 2, frozen[1] + 1.2)
        elif kind == "connection-drop":
            await member.drop()

    async def undo(self, kind: str, pid: str) -> None:
        member = self.members[pid]
        assert member.video is not None and member.audio is not None
        if kind == "video-freeze":
            member.video.paused = False
        elif kind == "audio-stop":
            member.audio.paused = False
        elif kind == "camera-off":
            await member.send({"type": "media-state", "video": True})
        elif kind == "connection-drop":
            await self.join_member(pid, self.member_ids.index(pid) + 1)

    async def close(self) -> None:
        for member in self.members.values():
            await member.leave()
        if self.chair is not None:
            await self.chair.leave()


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return round(ordered[index], 1)


async def run(faults: int, clean_seconds: float, timeout: float,
              participants: int = 1 + len(MEMBERS)) -> dict[str, Any]:
    cancel_on_signals()
    use_addresses(["127.0.0.1"])
    folder = Path(tempfile.mkdtemp(prefix="kvorum-detection-"))
    port = free_port()
    process, tokens = start_server(port, folder)
    base = f"http://127.0.0.1:{port}"
    bench: Bench | None = None
    results: list[dict[str, Any]] = []
    false_events: list[dict[str, Any]] = []
    windows: list[tuple[str, float, float]] = []  # (person, fault onset, fault resumed)
    try:
        if participants == 1 + len(MEMBERS):
            bench = Bench(base, tokens)
        else:
            meeting, tokens, members = await large_meeting(base, folder, participants)
            bench = Bench(base, tokens, meeting, members)
        await bench.setup()
        if clean_seconds:
            log(f"clean run: {clean_seconds:.0f} s, nothing injected")
            started = time.monotonic()
            while time.monotonic() - started < clean_seconds:
                await asyncio.sleep(5)
                elapsed = time.monotonic() - started
                log(f"  {elapsed:5.0f} s, suspends so far: {len(bench.suspends)}")
            windows.append(("", 0.0, 0.0))
        for i in range(faults):
            kind = KINDS[i % len(KINDS)]
            pid = bench.member_ids[i % min(FAULTED, len(bench.member_ids))]
            if not await bench.wait_all_ok(30):
                log(f"  fault {i + 1}: links not all ok before injecting ({bench.quality})")
            seen = len(bench.suspends)
            onset = time.monotonic()
            await bench.inject(kind, pid)
            detected = None
            while time.monotonic() - onset < timeout:
                new = bench.suspends[seen:]
                if any(p == pid for _, p, _ in new):
                    detected = next(t for t, p, _ in new if p == pid) - onset
                    break
                await asyncio.sleep(0.005)
            results.append({"kind": kind, "person": pid,
                            "latency_ms": None if detected is None else round(detected * 1000, 1)})
            log(f"  fault {i + 1}/{faults} {kind:16s} {pid}: "
                f"{'missed' if detected is None else f'{detected * 1000:.0f} ms'}")
            restorable_seen = len(bench.restorable)
            await asyncio.sleep(0.5)
            await bench.undo(kind, pid)
            deadline = time.monotonic() + 40
            while time.monotonic() < deadline and not any(
                    p == pid for _, p in bench.restorable[restorable_seen:]):
                await asyncio.sleep(0.1)
            reply = await bench.command({"type": "resume-meeting"})
            if reply["type"] != "done":
                log(f"  resume refused: {reply.get('code')} ({bench.quality})")
            windows.append((pid, onset, time.monotonic()))
        # A suspend is false unless it names the member of a fault in progress.
        for at, person, evidence in bench.suspends:
            if not any(p == person and start <= at <= end for p, start, end in windows):
                false_events.append({"person": person, "evidence": evidence})
        latencies = [r["latency_ms"] for r in results if r["latency_ms"] is not None]
        by_kind = {k: [r["latency_ms"] for r in results if r["kind"] == k] for k in KINDS}
        return {
            "faults": faults, "detected": len(latencies),
            "missed": sum(r["latency_ms"] is None for r in results),
            "latency_ms_p50": percentile(latencies, 50),
            "latency_ms_p95": percentile(latencies, 95),
            "latency_ms_max": max(latencies) if latencies else None,
            "false_events": len(false_events), "false_event_details": false_events,
            "clean_seconds": clean_seconds, "by_kind": by_kind,
            "participants": 1 + len(bench.member_ids), "machine_cores": os.cpu_count(),
        }
    finally:
        try:
            if bench is not None:
                await asyncio.wait_for(bench.close(), 30)
        finally:
            stop(process)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--faults", type=int, default=20)
    parser.add_argument("--clean-seconds", type=float, default=0.0,
                        help="first run this long with no fault; every suspend is false")
    parser.add_argument("--timeout", type=float, default=5.0,
                        help="a fault not detected within this many seconds counts as missed")
    parser.add_argument("--participants", type=int, default=1 + len(MEMBERS),
                        help="the chair and N-1 deciding remote members (4: the demo meeting)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = asyncio.run(run(args.faults, args.clean_seconds, args.timeout, args.participants))
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")


if __name__ == "__main__":
    main()
