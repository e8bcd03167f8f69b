"""A fuzzer over the signalling WebSocket and the HTTP API, against a live meeting.

    flock /tmp/kvorum-bench.lock python -m bench.fuzz --messages 100000 --seed 11 --json

The demo meeting runs in this process (its own event loop thread) with the chair's room device
and two deciding remote members, synthetic, sending media; the meeting is open. Hypothesis
(seeded) writes the messages: every declared message type (`server.signalling.ROUTES`, so new
ones are fuzzed as they are added) with fields of the right type, the wrong type, or hostile
values; plain JSON of any shape; and text that is not JSON at all (NaN, Infinity, lone
surrogates, deep nesting, truncation). They are sent from four sockets: one not joined, a
guest in the open room, a lobby member and the secretary's device (never the chair's: a fuzzed
`close-meeting` would be obeyed). Between messages some API requests are fuzzed too.

Each message is followed by a sentinel (an unknown type) so its replies are known: every reply
must be valid JSON; every error must have a code and Swedish and English text; a message that
is not a JSON object with a string type must be refused. At the end: the server logged no
error, media still flows to every member, the event log replays and its hash chain is intact,
and open file descriptors and memory are back near their level (tests/test_fuzz.py asserts it).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import msgspec
import psutil
from aiohttp import web
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from bench.synthetic import SyntheticParticipant
from media.ice import use_addresses
from server.app import create_app
from server.config import Config
from server.keys import ADMIN_KEY, SERVICE
from server.signalling import ROUTES

MEETING = "demo"
MEMBERS = ("led1", "led2")
SOCKETS = ("anonymous", "guest", "lobby", "secretary")
KNOWN_IDS = ("led4", "ers2", "ers3", "sekr", "nobody", "", "led5")  # never the live members
SENTINEL = "fuzz-sentinel"


# -- what is sent -------------------------------------------------------------------------------

def _json_values() -> st.SearchStrategy[Any]:
    scalars = (st.none() | st.booleans() | st.integers(-(2**70), 2**70)
               | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=40)
               | st.sampled_from(KNOWN_IDS))
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                        | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=12)


def _field_value(name: str) -> st.SearchStrategy[Any]:
    """A value for a declared field: often the right kind, often not."""
    likely = {
        "person_id": st.sampled_from(KNOWN_IDS), "substitute_id": st.sampled_from(KNOWN_IDS),
        "member_id": st.sampled_from(KNOWN_IDS), "meeting": st.sampled_from(
            (MEETING, "open", "check-000000000000", "nope", "")),
        "mode": st.sampled_from(("deciding", "attending-only", "Deciding", "")),
        "approved": st.booleans(), "on": st.booleans(), "audio": st.booleans(),
        "video": st.booleans(), "check": st.just(False),
        "sdp": st.sampled_from(("v=0\r\n", "x" * 1000, "")),
        "inbound": st.lists(st.fixed_dictionaries({
            "participant": st.text(max_size=12), "kind": st.sampled_from(("audio", "video", "x")),
            "framesPerSecond": st.floats(0, 60) | st.integers(-5, 100),
            "freezeCount": st.integers(0, 5)}), max_size=3),
    }
    hostile = st.sampled_from(("false", "true", "0", 0, 1, None, [], {}, "x" * 70_000,
                               "\u0000", "led1\u0000", 1e308, -1))
    return st.one_of(likely.get(name, st.text(max_size=30)), hostile, _json_values())


@st.composite
def declared_message(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(sorted(ROUTES)))
    message: dict[str, Any] = {"type": kind}
    for f in msgspec.structs.fields(ROUTES[kind].schema):
        if draw(st.integers(0, 9)) < 8:  # mostly present
            message[f.encode_name] = draw(_field_value(f.name))
    if draw(st.booleans()):
        message[draw(st.text(max_size=8))] = draw(_json_values())
    return json.dumps(message)


HOSTILE_TEXT = st.sampled_from((
    "", " ", "{", "[1, 2]", "null", "42", '"join"', '{"type": null}', '{"type": 5}',
    '{"type": "x" }', '{"type": "stats", "inbound": NaN}', '{"type": "join", "x": Infinity}',
    '{"type": "media-state", "audio": -Infinity}', '{"type": "mark-left", "reason": "\\ud800"}',
    '{"type": "join", "name": "\\udc00"}', '{"type": "join"' + ', "x": [' * 5000,
    '{"type": "stats", "inbound": ' + "[" * 3000 + "]" * 3000 + "}",
    '{"type": "technical-pause", "person_id": "led1", "on": "false"}',
    '{"type": "decide-remote", "person_id": "led4", "approved": "false"}',
    '{"type": "stats", "inbound": [{"participant": "p", "kind": "video", '
    '"totalFreezesDuration": 1e999}]}',
))

MESSAGES = st.one_of(
    declared_message(), declared_message(), declared_message(),
    _json_values().map(json.dumps), st.text(max_size=200), HOSTILE_TEXT)

API_PATHS = (
    "/api/committees", "/api/committees/demonamnden/people", "/api/committees/demonamnden/roster",
    "/api/committees/demonamnden/meetings", f"/api/meetings/{MEETING}/invitations",
    f"/api/meetings/{MEETING}/requests", f"/api/meetings/{MEETING}/requests/led4/decision",
    f"/api/meetings/{MEETING}/invitations/abc/revoke", f"/api/meetings/{MEETING}",
    f"/api/meetings/{MEETING}/me", "/api/meetings/nope/invitations",
)


@dataclass(frozen=True)
class ApiCall:
    method: str
    path: str
    body: bytes
    credential: str  # admin, member, bad, none


API_CALLS = st.builds(
    ApiCall, st.sampled_from(("GET", "POST")), st.sampled_from(API_PATHS),
    st.one_of(MESSAGES.map(str.encode), st.binary(max_size=100),
              st.just(b'{"name": "x", "party_order": ["S", NaN]}')),
    st.sampled_from(("admin", "member", "bad", "none")))


# -- the live meeting ---------------------------------------------------------------------------

@dataclass
class Findings:
    """What the fuzzer saw; `problems` must stay empty."""

    messages: int = 0
    api_calls: int = 0
    replies: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)


class _ErrorLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(self.format(record))


class LiveMeeting:
    """The demo meeting with media, served on its own event-loop thread."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.findings = Findings()
        self.errors = _ErrorLog()
        self.sockets: dict[str, aiohttp.ClientWebSocketResponse] = {}
        self.people: list[SyntheticParticipant] = []
        self._sentinels = 0

    def run(self, coroutine: Any, timeout: float = 60) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        return future.result(timeout)

    def start(self) -> None:
        logging.getLogger().addHandler(self.errors)
        self.thread.start()
        self.run(self._start(), timeout=120)

    async def _start(self) -> None:
        use_addresses(["127.0.0.1"])
        with __import__("socket").socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        config = Config(host="127.0.0.1", port=port, tls=False,
                        database=self.folder / "kvorum.sqlite3", demo=True,
                        guest_meeting="open")
        self.app = create_app(config)
        self.runner = web.AppRunner(self.app)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", port).start()
        self.base = f"http://127.0.0.1:{port}"
        self.session = aiohttp.ClientSession()
        chair = SyntheticParticipant(self.base, MEETING, "ordf", mark=0, decode=False,
                                     token=self.token("ordf"))
        await chair.join()
        self.people.append(chair)
        for i, pid in enumerate(MEMBERS):
            member = SyntheticParticipant(self.base, MEETING, pid, mark=i + 1, decode=False,
                                          token=self.token(pid))
            await member.join()
            self.people.append(member)
            await chair.send({"type": "admit", "person_id": pid, "mode": "deciding"})
        await asyncio.sleep(2)
        await chair.send({"type": "open-meeting"})
        for name in SOCKETS:
            await self._open(name)
        await self._wait_for_media(30)

    def token(self, person_id: str) -> str:
        service = self.app[SERVICE]
        state = service.meeting(MEETING)
        invitation = next(i for i, p in state.invitations.items()
                          if p == person_id and i not in state.revoked)
        return str(service.token_for(MEETING, invitation))

    async def _open(self, name: str) -> None:
        ws = await self.session.ws_connect(self.base + "/ws")
        join = {"guest": {"type": "join", "meeting": "open", "name": "Fuzz"},
                "lobby": {"type": "join", "meeting": MEETING, "token": self.token("led4")},
                "secretary": {"type": "join", "meeting": MEETING, "token": self.token("sekr")},
                }.get(name)
        if join is not None:
            await ws.send_json(join)
            while (await ws.receive_json(timeout=20))["type"] != "welcome":
                pass
        self.sockets[name] = ws

    def frames(self) -> dict[str, int]:
        """Video frames each member has received from the chair so far."""
        chair = self.people[0]
        return {p.name: sum(s.frames for s in p.received.values()
                            if s.publisher == chair.id and s.kind == "video")
                for p in self.people[1:]}

    async def _wait_for_media(self, timeout: float) -> bool:
        start = self.frames()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(self.frames()[n] > start[n] + 10 for n in start):
                return True
            await asyncio.sleep(0.2)
        return False

    def media_flows(self, timeout: float = 30) -> bool:
        return bool(self.run(self._wait_for_media(timeout), timeout + 10))

    # -- sending --

    def send(self, socket: str, raw: str) -> None:
        self.run(self._send(socket, raw))

    async def _send(self, name: str, raw: str) -> None:
        ws = self.sockets[name]
        if ws.closed:
            await self._open(name)
            ws = self.sockets[name]
        logged = len(self.errors.records)
        try:
            await self._exchange(name, ws, raw)
        finally:
            for record in self.errors.records[logged:]:
                self.findings.problems.append(
                    f"server logged an error after {name}: {raw[:200]!r}: {record[-1500:]}")

    async def _exchange(self, name: str, ws: aiohttp.ClientWebSocketResponse, raw: str) -> None:
        self._sentinels += 1
        sentinel = f"{SENTINEL}-{self._sentinels}"
        self.findings.messages += 1
        try:
            await ws.send_str(raw)
            await ws.send_str(json.dumps({"type": sentinel}))
        except ConnectionError:
            return
        replies: list[dict[str, Any]] = []
        while True:
            msg = await ws.receive(timeout=30)
            if msg.type != aiohttp.WSMsgType.TEXT:
                if raw_type(raw) != "leave":
                    self.findings.problems.append(f"{name}: {msg.type} after {raw[:120]!r}")
                return  # a `leave` ended the socket: it is reopened for the next message
            try:
                reply = json.loads(msg.data, parse_constant=_refuse_constant)
            except ValueError as exc:
                self.findings.problems.append(f"invalid JSON sent: {exc}: {msg.data[:200]}")
                continue
            if reply.get("type") == "error" and sentinel in (reply.get("ref"), reply.get("detail")):
                break
            replies.append(reply)
        self._judge(name, raw, replies)
        if raw_type(raw) == "leave" and not any(r.get("type") == "error" for r in replies):
            await self._await_close(name, ws)

    async def _await_close(self, name: str, ws: aiohttp.ClientWebSocketResponse) -> None:
        """A `leave` that was accepted ends the socket; the sentinel's reply may come before
        the close, so wait for it: the next message then opens a new socket."""
        try:
            while (await ws.receive(timeout=30)).type == aiohttp.WSMsgType.TEXT:
                pass
        except TimeoutError:
            self.findings.problems.append(f"{name}: an accepted leave did not end the socket")

    def _judge(self, name: str, raw: str, replies: list[dict[str, Any]]) -> None:
        errors = [r for r in replies if r.get("type") == "error"]
        for error in errors:
            self.findings.replies[str(error.get("code"))] += 1
            if not all(isinstance(error.get(k), str) and error.get(k)
                       for k in ("code", "message_sv", "message_en")):
                self.findings.problems.append(f"unclear error {error} for {raw[:120]!r}")
        if not errors:
            self.findings.replies["(effect)"] += 1
        if raw_type(raw) is None and not errors:
            self.findings.problems.append(f"{name}: not a message, yet no error: {raw[:120]!r}")

    def call(self, c: ApiCall) -> None:
        self.run(self._call(c))

    async def _call(self, c: ApiCall) -> None:
        headers = {"Content-Type": "application/json"}
        if c.credential == "admin":
            headers["Authorization"] = f"Bearer {self.app[ADMIN_KEY]}"
        elif c.credential == "member":
            headers["X-Kvorum-Token"] = self.token("led4")
        elif c.credential == "bad":
            headers["X-Kvorum-Token"] = "abc.def.ghi"
        self.findings.api_calls += 1
        async with self.session.request(c.method, self.base + c.path, data=c.body,
                                        headers=headers) as response:
            self.findings.statuses[response.status] += 1
            text = await response.text()
            if response.status >= 500:
                self.findings.problems.append(f"{response.status} for {c}: {text[:200]}")
            elif response.status >= 400:
                try:
                    body = json.loads(text, parse_constant=_refuse_constant)
                    assert body["code"] and body["message_sv"] and body["message_en"]
                except (ValueError, KeyError, AssertionError, TypeError):
                    self.findings.problems.append(
                        f"unclear {response.status} for {c}: {text[:200]}")

    # -- the end --

    def stop(self) -> None:
        async def _stop() -> None:
            for ws in self.sockets.values():
                await ws.close()
            for person in self.people:
                await person.leave()
            await self.session.close()
            await self.runner.cleanup()

        try:
            self.run(_stop(), timeout=60)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            logging.getLogger().removeHandler(self.errors)

    def close_fuzz_sockets(self) -> None:
        async def _close() -> None:
            for ws in self.sockets.values():
                await ws.close()
            await asyncio.sleep(1.0)

        self.run(_close())


def raw_type(raw: str) -> str | None:
    """The message's `type` if it is a JSON object with a string type, else None."""
    try:
        data = msgspec.json.decode(raw)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError, UnicodeError):
        return None
    if isinstance(data, dict) and isinstance(data.get("type"), str):
        return str(data["type"])
    return None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def resources() -> tuple[int, float]:
    """(open file descriptors, resident memory in MiB) of this process."""
    gc.collect()
    process = psutil.Process()
    return process.num_fds(), process.memory_info().rss / 2**20


def fuzz(meeting: LiveMeeting, messages: int, seed_value: int, batch: int = 50) -> None:
    """Send about `messages` Hypothesis-written messages (and an API call per 10) from the
    fuzzing sockets, in batches of `batch`."""

    @seed(seed_value)
    @settings(max_examples=max(1, messages // batch), deadline=None, database=None,
              suppress_health_check=list(HealthCheck), derandomize=False)
    @given(st.lists(st.tuples(st.sampled_from(SOCKETS), MESSAGES), min_size=batch,
                    max_size=batch), st.lists(API_CALLS, max_size=batch // 10))
    def run(batch_messages: list[tuple[str, str]], calls: list[ApiCall]) -> None:
        for socket, raw in batch_messages:
            meeting.send(socket, raw)
        for c in calls:
            meeting.call(c)

    run()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fuzz", description=__doc__.split(
        "\n\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        meeting = LiveMeeting(Path(folder))
        meeting.start()
        fds0, rss0 = resources()
        started = time.monotonic()
        try:
            fuzz(meeting, args.messages, args.seed)
            elapsed = time.monotonic() - started
            meeting.close_fuzz_sockets()
            flows = meeting.media_flows()
            fds1, rss1 = resources()
        finally:
            meeting.stop()
    f = meeting.findings
    result = {"messages": f.messages, "api_calls": f.api_calls, "seconds": round(elapsed, 1),
              "messages_per_s": round(f.messages / elapsed, 1), "replies": dict(f.replies),
              "http_statuses": {str(k): v for k, v in sorted(f.statuses.items())},
              "problems": f.problems[:20], "server_errors": meeting.errors.records[:20],
              "media_flows_after": flows, "fds_before_after": [fds0, fds1],
              "rss_mib_before_after": [round(rss0, 1), round(rss1, 1)]}
    print(json.dumps(result, indent=None if args.json else 2, ensure_ascii=False))
    ok = not f.problems and not meeting.errors.records and flows
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
