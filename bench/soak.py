"""Soak: 15 synthetic participants in one meeting for a long time, analysis on.

    flock /tmp/kvorum-bench.lock python -m bench.soak --minutes 30 --json

The server runs in its own process (`python -m server`, analysis on, no demo). The meeting is
set up the way a secretariat does it, through the API: a committee of 15 (the chair and the
secretary in the room, 13 members remote and deciding), a meeting, everyone invited, each
member's request to take part remotely and the chair's approval. Then the chair's room device
and the 13 members join (synthetic, pre-encoded 320x240 VP8 and Opus, each reporting what it
receives once a second as a browser does), the chair admits them and opens the meeting, and
nothing is injected. Every 10 s the server process's resident memory, open file descriptors,
threads and asyncio tasks are sampled (`/api/server-stats`, served with
`--expose-media-stats`). Pass: memory grows under 10 % from the first sample after warm-up to
the last, no descriptor, thread or task leak, and no failed link (every one is false:
nothing failed).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import aiohttp

from bench.detection import free_port, log
from bench.synthetic import SyntheticParticipant
from media.ice import use_addresses

MEETING = "soak"
MEMBERS = [f"led{i}" for i in range(1, 14)]
PARTIES = ["S", "M", "C", "SD", "V", "KD", "L", "MP"]
WARM_UP_S = 60.0
SAMPLE_EVERY_S = 10.0


def roster_csv() -> str:
    rows = ["namn;roll;parti;ordning;e-post", "Ordf Ek;ordförande;S;;ordf@soak.example",
            "Sekr Sjö;sekreterare;;;sekr@soak.example"]
    rows += [f"Ledamot {pid};ledamot;{PARTIES[i % len(PARTIES)]};;{pid}@soak.example"
             for i, pid in enumerate(MEMBERS)]
    return "\n".join(rows) + "\n"


class Soak:
    def __init__(self, base: str, key: str) -> None:
        self.base = base
        self.http = aiohttp.ClientSession(headers={"Authorization": f"Bearer {key}"})
        self.tokens: dict[str, str] = {}
        self.ids: dict[str, str] = {}  # "led1" -> the roster's person id
        self.people: list[SyntheticParticipant] = []
        self.suspends: list[dict[str, Any]] = []
        self.failed: dict[str, bool] = {}

    async def api(self, method: str, path: str, **kwargs: Any) -> Any:
        async with self.http.request(method, self.base + path, **kwargs) as response:
            body = await response.json()
            if response.status >= 400:
                raise RuntimeError(f"{method} {path}: {response.status} {body}")
            return body

    async def prepare(self) -> None:
        """The committee, meeting, invitations, requests and decisions, by the API."""
        await self.api("POST", "/api/committees",
                       json={"id": "soaknamnden", "name": "Soaknämnden", "party_order": PARTIES})
        added = await self.api("POST", "/api/committees/soaknamnden/roster",
                               data=roster_csv().encode())
        for person in added["added"]:
            self.ids[person["email"].split("@")[0]] = person["id"]
        day = (date.today() + timedelta(days=30)).isoformat()
        await self.api("POST", "/api/committees/soaknamnden/meetings",
                       json={"id": MEETING, "date": day, "time": "18:00", "place": "Salen"})
        issued = await self.api("POST", f"/api/meetings/{MEETING}/invitations/all")
        for inv in issued["issued"]:
            self.tokens[inv["person_id"]] = parse_qs(urlparse(inv["link"]).query)["t"][0]
        chair = self.ids["ordf"]
        for pid in MEMBERS:
            person = self.ids[pid]
            async with aiohttp.ClientSession() as member:
                async with member.post(f"{self.base}/api/meetings/{MEETING}/requests",
                                       json={"mode": "deciding"},
                                       headers={"X-Kvorum-Token": self.tokens[person]}) as r:
                    assert r.status == 201, await r.text()
            async with aiohttp.ClientSession() as chair_session:
                async with chair_session.post(
                        f"{self.base}/api/meetings/{MEETING}/requests/{person}/decision",
                        json={"approved": True},
                        headers={"X-Kvorum-Token": self.tokens[chair]}) as r:
                    assert r.status == 200, await r.text()

    async def join(self) -> None:
        chair = SyntheticParticipant(self.base, MEETING, "ordf", mark=0, decode=False,
                                     token=self.tokens[self.ids["ordf"]])
        chair.on_message = self.on_chair_message
        await chair.join()
        self.people.append(chair)
        secretary = SyntheticParticipant(self.base, MEETING, "sekr", mark=14, decode=False,
                                         token=self.tokens[self.ids["sekr"]])
        await secretary.join()
        self.people.append(secretary)
        for i, pid in enumerate(MEMBERS):
            person = self.ids[pid]
            member = SyntheticParticipant(self.base, MEETING, pid, mark=i + 1, decode=False,
                                          token=self.tokens[person])
            await member.join()
            member.report_downlink()
            self.people.append(member)
            await chair.send({"type": "admit", "person_id": person, "mode": "deciding"})
        await asyncio.sleep(5)
        await chair.send({"type": "open-meeting"})

    def on_chair_message(self, message: dict[str, Any]) -> None:
        if message["type"] == "meeting-state" and not message.get("guest_room"):
            for person in message["people"]:  # the chair learns of a failed link here
                pid, failed = person["person_id"], person["link_failed"]
                if failed and not self.failed.get(pid):
                    self.suspends.append({"at": time.monotonic(), "person": pid,
                                          "evidence": person.get("link_failure")})
                self.failed[pid] = failed
        elif message["type"] == "error":
            log(f"chair got an error: {message}")

    async def server_stats(self) -> dict[str, Any]:
        async with self.http.get(self.base + "/api/server-stats") as response:
            return dict(await response.json())

    async def close(self) -> None:
        for person in self.people:
            await person.leave()
        await self.http.close()


async def run(minutes: float, port: int, folder: Path) -> dict[str, Any]:
    use_addresses(["127.0.0.1"])
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "server", "--no-tls", "--host", "127.0.0.1", "--port", str(port),
         "--database", str(folder / "kvorum.sqlite3"), "--ice-address", "127.0.0.1",
         "--no-demo", "--expose-media-stats"],
        stdout=subprocess.DEVNULL, stderr=open(folder / "server.log", "w"),
        cwd=Path(__file__).resolve().parent.parent)
    soak: Soak | None = None
    samples: list[dict[str, Any]] = []
    try:
        for _ in range(600):
            try:
                async with aiohttp.ClientSession() as s, s.get(base + "/"):
                    break
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.1)
        soak = Soak(base, (folder / "admin.key").read_text().strip())
        await soak.prepare()
        await soak.join()
        started = time.monotonic()
        log(f"soak: {len(soak.people)} participants, {minutes} min")
        while (elapsed := time.monotonic() - started) < minutes * 60:
            sample = await soak.server_stats() | {"t_s": round(elapsed, 1)}
            samples.append(sample)
            log(f"  {elapsed:6.0f} s  rss {sample['rss_mib']:.1f} MiB  fds {sample['fds']}  "
                f"tasks {sample['tasks']}  threads {sample['threads']}  "
                f"suspends {len(soak.suspends)}")
            await asyncio.sleep(SAMPLE_EVERY_S)
        samples.append(await soak.server_stats() | {"t_s": round(time.monotonic() - started, 1)})
        suspends = list(soak.suspends)
    finally:
        if soak is not None:
            await soak.close()
        process.terminate()
        process.wait(20)
    warm = [s for s in samples if s["t_s"] >= min(WARM_UP_S, samples[-1]["t_s"] / 2)]
    first, last = warm[0], warm[-1]
    growth = (last["rss_mib"] - first["rss_mib"]) / first["rss_mib"] * 100
    errors = [line for line in (folder / "server.log").read_text().splitlines()
              if " ERROR " in line]
    result = {
        "participants": 2 + len(MEMBERS), "minutes": minutes,
        "rss_mib_first_last": [first["rss_mib"], last["rss_mib"]],
        "rss_growth_pct": round(growth, 1),
        "fds_first_last": [first["fds"], last["fds"]],
        "tasks_first_last": [first["tasks"], last["tasks"]],
        "threads_first_last": [first["threads"], last["threads"]],
        "false_suspensions": len(suspends), "suspensions": suspends[:10],
        "server_errors": errors[:10], "samples": samples,
    }
    result["pass"] = (growth < 10 and last["fds"] <= first["fds"] + 5
                      and last["tasks"] <= first["tasks"] + 10
                      and last["threads"] <= first["threads"] + 2
                      and not suspends and not errors)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        result = asyncio.run(run(args.minutes, free_port(), Path(folder)))
    if args.json:
        print(json.dumps(result))
    else:
        summary = {k: v for k, v in result.items() if k != "samples"}
        print(json.dumps(summary, indent=2, ensure_ascii=False))
    return 0 if result["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
