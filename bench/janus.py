"""Janus VideoRoom as the relay benchmark's reference: ``bench.relay --baseline janus``.

Janus (Debian's ``janus`` package, 1.1.2) is installed for the benchmark only
(``apt-get install -y janus``); nothing of it is committed. :class:`JanusProcess`
writes a configuration into a temporary folder at run time (MEDIA.md, "Janus as the
benchmark's reference"): only ``janus.plugin.videoroom`` and the HTTP transport on
127.0.0.1, every other plugin, transport, logger and event handler disabled, no
session timeout, ``event_loops = 2``. Janus skips interfaces flagged IFF_LOOPBACK
when it gathers ICE candidates, so inside the loopback-only network namespace a
dummy device also carries 127.0.0.1 (``anc0``): Janus then offers 127.0.0.1 and the
kernel still routes it over lo. Outside such a namespace Janus would fall back to
the machine's other interfaces, so the benchmark refuses to start it there.

:class:`JanusParticipant` is the synthetic participant of ``bench.relay`` in Janus's
terms: the same replayed clips, published on one publisher handle, and one
subscriber handle (its own PeerConnection) per remote feed, which is what a full
mesh is in VideoRoom (N + N(N-1) PeerConnections). What it receives is counted at
the socket, as ``bench.relay.DatagramCounter`` does for Kvorum's participants.
"""

from __future__ import annotations

import asyncio
import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiortc import RTCPeerConnection, RTCSessionDescription

INSTALL_HINT = "apt-get install -y janus"
DUMMY_DEVICE = "anc0"
VIDEOROOM = "janus.plugin.videoroom"


class JanusMissing(RuntimeError):
    """Janus is not installed (it is needed for ``--baseline janus`` only)."""

    def __init__(self) -> None:
        super().__init__(
            "Janus is not installed; --baseline janus runs Debian's janus package (1.1.2). "
            f"Install it for the benchmark with: {INSTALL_HINT}")


def find_janus() -> tuple[str, Path]:
    """The ``janus`` binary and the folder of its plugins, transports, loggers and events."""
    binary = shutil.which("janus")
    folders = [Path(p) for p in [*glob.glob("/usr/lib/*/janus"), "/usr/lib/janus"]
               if (Path(p) / "plugins" / "libjanus_videoroom.so").exists()]
    if binary is None or not folders:
        raise JanusMissing()
    return binary, folders[0]


def network_interfaces() -> list[str]:
    """This network namespace's interfaces (/proc/net is per namespace; /sys/class/net
    shows the namespace that mounted sysfs)."""
    with open("/proc/net/dev") as f:
        return sorted(line.split(":")[0].strip() for line in f.readlines()[2:])


def carry_loopback_on_dummy_device() -> None:
    """Inside the loopback-only namespace, put 127.0.0.1 on a dummy device too, so Janus
    (which skips loopback interfaces) gathers it. Refuses outside such a namespace."""
    others = [i for i in network_interfaces() if i not in ("lo", DUMMY_DEVICE)]
    if others:
        raise RuntimeError(
            f"--baseline janus must run in a loopback-only network namespace (found {others}): "
            "scripts/in-loopback-netns.sh .venv/bin/python -m bench.relay --baseline janus ...")
    if DUMMY_DEVICE not in network_interfaces():
        for cmd in (["ip", "link", "add", DUMMY_DEVICE, "type", "ifb"],
                    ["ip", "link", "set", DUMMY_DEVICE, "up"],
                    ["ip", "addr", "add", "127.0.0.1/32", "dev", DUMMY_DEVICE]):
            subprocess.run(cmd, check=True, capture_output=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _disable_all_but(folder: Path, keep: str | None) -> str:
    names = sorted(p.name for p in folder.glob("libjanus_*.so"))
    return ",".join(n for n in names if n != keep)


def write_config(directory: Path, modules: Path, http_port: int, event_loops: int) -> Path:
    """Janus's configuration for the benchmark, in ``directory``; returns janus.jcfg."""
    core = f"""general: {{
    configs_folder = "{directory}"
    plugins_folder = "{modules / 'plugins'}"
    transports_folder = "{modules / 'transports'}"
    events_folder = "{modules / 'events'}"
    loggers_folder = "{modules / 'loggers'}"
    debug_level = 3
    session_timeout = 0
    event_loops = {event_loops}
}}
certificates: {{
}}
media: {{
    ipv6 = false
}}
nat: {{
    nice_debug = false
    ignore_mdns = true
    ice_enforce_list = "127.0.0.1"
}}
plugins: {{
    disable = "{_disable_all_but(modules / 'plugins', 'libjanus_videoroom.so')}"
}}
transports: {{
    disable = "{_disable_all_but(modules / 'transports', 'libjanus_http.so')}"
}}
loggers: {{
    disable = "{_disable_all_but(modules / 'loggers', None)}"
}}
events: {{
    broadcast = false
}}
"""
    (directory / "janus.jcfg").write_text(core)
    (directory / "janus.transport.http.jcfg").write_text(f"""general: {{
    json = "plain"
    base_path = "/janus"
    http = true
    ip = "127.0.0.1"
    port = {http_port}
    https = false
}}
admin: {{
    admin_http = false
}}
""")
    (directory / "janus.plugin.videoroom.jcfg").write_text("general: {\n}\n")
    return directory / "janus.jcfg"


class JanusProcess:
    """Janus started for one benchmark run with a generated configuration; stop by PID."""

    def __init__(self, event_loops: int = 2) -> None:
        binary, modules = find_janus()
        carry_loopback_on_dummy_device()
        self._dir = tempfile.TemporaryDirectory(prefix="kvorum-janus-")
        folder = Path(self._dir.name)
        port = _free_port()
        config = write_config(folder, modules, port, event_loops)
        self.log_path = folder / "janus.log"
        self._log = open(self.log_path, "wb")  # closed in stop()
        self.proc = subprocess.Popen([binary, "-C", str(config), "-F", str(folder)],
                                     stdout=self._log, stderr=subprocess.STDOUT)
        self.pid = self.proc.pid
        self.url = f"http://127.0.0.1:{port}/janus"

    async def wait_ready(self, timeout: float = 30) -> dict[str, Any]:
        """Wait until the HTTP transport answers; Janus's ``info``."""
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as http:
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"Janus exited ({self.proc.returncode}): {self.log()}")
                try:
                    async with http.get(self.url + "/info") as r:
                        info: dict[str, Any] = await r.json(content_type=None)
                        return info
                except aiohttp.ClientError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"Janus did not start: {self.log()}") from None
                    await asyncio.sleep(0.2)

    def log(self, tail: int = 2000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-tail:]
        except OSError:
            return ""

    async def create_room(self, publishers: int) -> int:
        """A VideoRoom for the run: opus/vp8, no bitrate cap, a PLI every 10 s at most."""
        async with JanusSession(self.url) as session:
            handle = await session.attach()
            room = 1000 + os.getpid() % 1000
            reply = await session.message(handle, {
                "request": "create", "room": room, "publishers": publishers,
                "bitrate": 0, "fir_freq": 10, "audiocodec": "opus", "videocodec": "vp8",
                "notify_joining": False, "permanent": False})
            if reply.get("videoroom") != "created":
                raise RuntimeError(f"Janus did not create the room: {reply}")
            return room

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        self._dir.cleanup()


class JanusError(RuntimeError):
    pass


class JanusSession:
    """One Janus session over the HTTP transport: requests, and a long poll that hands
    each asynchronous event to the request (transaction) that caused it."""

    _transactions = itertools.count(1)

    def __init__(self, url: str) -> None:
        self.url = url
        self.id: int | None = None
        self._http: aiohttp.ClientSession | None = None
        self._waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._poller: asyncio.Task[None] | None = None

    async def __aenter__(self) -> JanusSession:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def open(self) -> None:
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None))
        reply = await self._post(self.url, {"janus": "create"})
        self.id = reply["data"]["id"]
        self._poller = asyncio.ensure_future(self._poll())

    async def _post(self, url: str, request: dict[str, Any]) -> dict[str, Any]:
        assert self._http is not None
        transaction = f"t{next(self._transactions)}"
        # waiting before asking: the event may come through the long poll before the ack
        future = self._waiting[transaction] = asyncio.get_running_loop().create_future()
        try:
            async with self._http.post(url, json={**request, "transaction": transaction}) as r:
                reply: dict[str, Any] = await r.json(content_type=None)
            if reply.get("janus") == "error":
                raise JanusError(f"{request.get('janus')}: {reply.get('error')}")
            if reply.get("janus") == "ack":
                return await asyncio.wait_for(future, 60)
            return reply
        finally:
            self._waiting.pop(transaction, None)

    async def _poll(self) -> None:
        assert self._http is not None
        while True:
            try:
                async with self._http.get(f"{self.url}/{self.id}?maxev=20") as r:
                    events = await r.json(content_type=None)
            except (TimeoutError, aiohttp.ClientError, ValueError):
                await asyncio.sleep(0.2)
                continue
            for event in events if isinstance(events, list) else [events]:
                future = self._waiting.get(event.get("transaction", ""))
                if future is not None and not future.done():
                    future.set_result(event)

    async def attach(self) -> int:
        reply = await self._post(f"{self.url}/{self.id}",
                                 {"janus": "attach", "plugin": VIDEOROOM})
        return int(reply["data"]["id"])

    async def message(self, handle: int, body: dict[str, Any],
                      jsep: dict[str, Any] | None = None) -> dict[str, Any]:
        """The plugin's answer to ``body`` (and the event's ``jsep`` under ``"jsep"``)."""
        request: dict[str, Any] = {"janus": "message", "body": body}
        if jsep is not None:
            request["jsep"] = jsep
        reply = await self._post(f"{self.url}/{self.id}/{handle}", request)
        data: dict[str, Any] = dict(reply.get("plugindata", {}).get("data", {}))
        if "error" in data:
            raise JanusError(f"{body.get('request')}: {data['error']}")
        if "jsep" in reply:
            data["jsep"] = reply["jsep"]
        return data

    async def close(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
        if self._http is not None:
            if self.id is not None:
                try:
                    await self._post(f"{self.url}/{self.id}", {"janus": "destroy"})
                except (aiohttp.ClientError, JanusError):
                    pass
            await self._http.close()


class JanusParticipant:
    """A synthetic participant in a Janus VideoRoom full mesh (see the module docstring).

    It has the parts of ``bench.synthetic.SyntheticParticipant`` that ``bench.relay``
    reads: ``id`` (its feed), ``received`` and :meth:`streams_from`.
    """

    def __init__(self, url: str, room: int, mark: int, video: Any, audio: Any) -> None:
        from bench.synthetic import ReplayTrack

        self.url = url
        self.room = room
        self.name = f"P{mark}"
        self.id: int | None = None
        self.received: dict[str, Any] = {}
        self.video = ReplayTrack(video)
        self.audio = ReplayTrack(audio)
        self.pc = RTCPeerConnection()
        self.pc.addTransceiver(self.audio, direction="sendonly")
        self.pc.addTransceiver(self.video, direction="sendonly")
        self._session = JanusSession(url)
        self._subscriptions: dict[int, RTCPeerConnection] = {}

    async def join(self, timeout: float = 30) -> int:
        """Publish audio and video on a publisher handle; returns the feed id."""
        await self._session.open()
        handle = await self._session.attach()
        joined = await self._session.message(
            handle, {"request": "join", "ptype": "publisher", "room": self.room,
                     "display": self.name})
        self.id = int(joined["id"])
        await self.pc.setLocalDescription(await self.pc.createOffer())
        offer = {"type": "offer", "sdp": self.pc.localDescription.sdp}
        answer = await asyncio.wait_for(self._session.message(
            handle, {"request": "publish", "audio": True, "video": True}, offer), timeout)
        await self.pc.setRemoteDescription(RTCSessionDescription(
            only_loopback_candidates(answer["jsep"]["sdp"]), answer["jsep"]["type"]))
        deadline = time.monotonic() + timeout
        while self.pc.connectionState != "connected":  # a feed exists once media is up
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name}'s publisher connection to Janus: "
                                   f"{self.pc.connectionState}")
            await asyncio.sleep(0.1)
        return self.id

    async def subscribe(self, feeds: list[int]) -> None:
        """One subscriber handle (PeerConnection) for each feed not yet received."""
        for feed in feeds:
            if feed != self.id and feed not in self._subscriptions:
                await self._subscribe(feed)

    async def _subscribe(self, feed: int) -> None:
        from bench.relay import DatagramCounter
        from bench.synthetic import ReceivedStream

        handle = await self._session.attach()
        deadline = time.monotonic() + 20
        while True:  # Janus knows a feed once its publisher's media has started
            try:
                attached = await self._session.message(
                    handle, {"request": "join", "ptype": "subscriber", "room": self.room,
                             "streams": [{"feed": feed}]})
                break
            except JanusError as exc:
                if "No such feed" not in str(exc) or time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)
        pc = RTCPeerConnection()
        self._subscriptions[feed] = pc
        await pc.setRemoteDescription(RTCSessionDescription(
            only_loopback_candidates(attached["jsep"]["sdp"]), attached["jsep"]["type"]))
        streams = {}
        for transceiver in pc.getTransceivers():
            mid = transceiver.mid or ""
            stream = ReceivedStream(mid, transceiver.kind, str(feed))
            streams[mid] = self.received[f"{feed}/{mid}"] = stream
        DatagramCounter(pc).watch(attached["jsep"]["sdp"], streams)
        await pc.setLocalDescription(await pc.createAnswer())
        await self._session.message(handle, {"request": "start"},
                                    {"type": "answer", "sdp": pc.localDescription.sdp})

    def streams_from(self, publisher: Any) -> dict[str, Any]:
        return {s.kind: s for s in self.received.values() if s.publisher == str(publisher)}

    async def sent_packets(self) -> int:
        """RTP packets this participant's publisher has sent (aiortc's getStats)."""
        total = 0
        for transceiver in self.pc.getTransceivers():
            for stats in (await transceiver.sender.getStats()).values():
                if stats.type == "outbound-rtp":
                    total += stats.packetsSent
        return total

    async def leave(self) -> None:
        await self._session.close()
        for pc in [self.pc, *self._subscriptions.values()]:
            await pc.close()


def only_loopback_candidates(sdp: str) -> str:
    """``sdp``, if every ICE candidate in it is 127.0.0.1 (MEDIA.md: loopback only)."""
    addresses = {line.split()[4] for line in sdp.splitlines() if line.startswith("a=candidate:")}
    if not addresses or addresses != {"127.0.0.1"}:
        raise RuntimeError(f"Janus offers ICE candidates on {sorted(addresses)}, not 127.0.0.1")
    return sdp

