"""Relay benchmark: N synthetic participants in a full mesh through a Kvorum server process.

    scripts/in-loopback-netns.sh .venv/bin/python -m bench.relay \
        --participants 15 --seconds 20 --json
    scripts/in-loopback-netns.sh .venv/bin/python -m bench.relay \
        --participants 6 --baseline naive --json

The server (``bench.relay_server``) runs in its own process on a free 127.0.0.1
port; the clients run here (or, with ``--client-procs K``, in K worker processes
this one starts), restricted to 127.0.0.1 as the server is. Every participant
publishes a pre-encoded VP8 clip (640x360, 15 fps) and an Opus clip from
``bench.synthetic``, replayed with fresh timestamps, and counts what it receives
by SSRC and RTP marker bit as the datagrams come off its socket, without
decrypting or decoding (MEDIA.md: load generators must be cheap; see
:class:`DatagramCounter`).

After every participant receives audio and video from every other one, and a
short settling time, the benchmark resets the server's relay meter and measures
for ``--seconds``:

* server CPU: utime+stime of the server process (all its threads) from
  ``/proc/<pid>/stat`` over the window, divided by wall time; also split into the
  event-loop thread and the other threads (aiortc's decoder and encoder threads);
* forwarded packets per second and relay latency (packet received -> sent to
  every subscriber, inside the server) from the server's ``RelayMeter``;
* received frame rate of every subscribed video track from the frame arrivals
  (marker bits) in the window;
* the clients' own CPU, so a saturated load generator shows.

``--json`` prints one JSON object; ``--repeat K`` runs K times (a fresh server and
clients each time) and reports the median of each figure, with the runs inside.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import pickle
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
CACHE_DIR = ROOT / "var" / "bench-cache"
CLK_TCK = os.sysconf("SC_CLK_TCK")

# Default video bitrate for the replayed clip: with bench.synthetic's clip at
# 640x360 this gives about 68-79 RTP packets/s per publisher, the load MEDIA.md's
# prototype figures were taken at (~68 packets/s video plus 50 packets/s Opus).
DEFAULT_VIDEO_BITRATE = 600_000

log = logging.getLogger("bench.relay")


# --------------------------------------------------------------------------- /proc


def _stat_fields(path: str) -> list[str]:
    with open(path) as f:
        data = f.read()
    return data[data.rindex(")") + 2 :].split()  # fields from 3 (state) on


def process_cpu_seconds(pid: int) -> float:
    """utime + stime of a whole process (every thread), in seconds."""
    return sum(process_user_system_seconds(pid))


def process_user_system_seconds(pid: int) -> tuple[float, float]:
    """(utime, stime) of a whole process, in seconds."""
    fields = _stat_fields(f"/proc/{pid}/stat")
    return int(fields[11]) / CLK_TCK, int(fields[12]) / CLK_TCK


def descendants_cpu_seconds(pid: int) -> dict[int, float]:
    """utime + stime of every live descendant process of ``pid`` (e.g. the server's
    analysis worker), by pid."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            ppid = int(_stat_fields(f"/proc/{entry}/stat")[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    out: dict[int, float] = {}
    todo = list(children.get(pid, []))
    while todo:
        child = todo.pop()
        try:
            out[child] = process_cpu_seconds(child)
        except OSError:
            continue
        todo.extend(children.get(child, []))
    return out


def thread_cpu_seconds(pid: int) -> dict[int, float]:
    """utime + stime of each live thread of a process, by thread id."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            fields = _stat_fields(f"/proc/{pid}/task/{tid}/stat")
        except OSError:
            continue
        out[int(tid)] = (int(fields[11]) + int(fields[12])) / CLK_TCK
    return out


def system_busy_seconds() -> float:
    """CPU time the whole machine spent busy (all cores, every process), in seconds."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / CLK_TCK


def wait_until_idle(max_other_cores: float, timeout: float) -> float:
    """Wait (up to ``timeout`` s) until the machine is quiet: other people's jobs on the
    same cores would be measured as the server's slowness. Returns the last busy level."""
    deadline = time.monotonic() + timeout
    while True:
        b0, t0 = system_busy_seconds(), time.monotonic()
        time.sleep(2.0)
        busy = (system_busy_seconds() - b0) / (time.monotonic() - t0)
        if busy <= max_other_cores or time.monotonic() > deadline:
            if busy > max_other_cores:
                log.warning("machine still busy (%.2f cores) after %.0f s; measuring anyway",
                            busy, timeout)
            return busy
        log.warning("machine busy (%.2f cores used by other processes); waiting", busy)


def machine() -> dict[str, Any]:
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            model = next((line.split(":", 1)[1].strip() for line in f
                          if line.startswith("model name")), "")
    except OSError:
        pass
    import aiortc
    import av
    return {"nproc": os.cpu_count(), "cpu_model": model, "python": platform.python_version(),
            "aiortc": aiortc.__version__, "av": av.__version__}


# --------------------------------------------------------------------------- clips


def cached_video_clip(mark: int, width: int, height: int, bitrate: int) -> Any:
    """``bench.synthetic.video_clip``, encoded once and kept under var/bench-cache."""
    import av

    from bench.synthetic import video_clip
    key = f"video-{mark}-{width}x{height}-15fps-2s-{bitrate}-av{av.__version__}.pkl"
    path = CACHE_DIR / key
    if path.exists():
        try:
            with open(path, "rb") as f:
                return pickle.load(f)
        except Exception:  # a torn write: encode again
            pass
    clip = video_clip(mark, width, height, bitrate=bitrate)
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        pickle.dump(clip, f)
    os.replace(tmp, path)
    return clip


def prepare_clips(n: int, width: int, height: int, bitrate: int) -> None:
    for mark in range(n):
        cached_video_clip(mark, width, height, bitrate)


# --------------------------------------------------------------------------- clients


def ssrcs_by_mid(sdp: str) -> dict[str, int]:
    """The media SSRC the offerer announces on each m-line (the first of an FID group)."""
    out = {}
    for section in re.split(r"\r?\nm=", sdp)[1:]:
        mid = first = fid = None
        for line in section.splitlines():
            if line.startswith("a=mid:"):
                mid = line[6:].strip()
            elif line.startswith("a=ssrc-group:FID "):
                fid = int(line.split()[1])
            elif line.startswith("a=ssrc:") and first is None:
                first = int(line[7:].split()[0])
        ssrc = fid or first
        if mid is not None and ssrc is not None:
            out[mid] = ssrc
    return out


class DatagramCounter:
    """Counts a peer connection's subscribed RTP where it comes off the socket.

    SRTP leaves the RTP header in the clear, so the SSRC says which subscription a
    datagram belongs to and the marker bit ends a frame. Counting there and dropping
    the packet spares the load generator aioice's queue, aiortc's DTLS loop, SRTP
    decryption and RTP parsing: about 45 us of Python per packet, which at N=15 (about
    25,000 packets/s to the clients) would take more CPU than the two cores have.
    RTCP, STUN, DTLS and packets of SSRCs not (yet) mapped go on to aiortc as usual,
    where ``SyntheticParticipant``'s receiver tap counts the latter.

    This reaches into aiortc/aioice internals (the bundle transport's aioice
    ``Connection.data_received``), so it checks them and fails loudly; it belongs in
    ``media/aiortc_tap.py`` next to the server's hooks (see docs/benchmarks.md, section Relay).
    """

    def __init__(self, pc: Any) -> None:
        self.pc = pc
        self.by_ssrc: dict[int, Any] = {}
        self.installed = False

    @classmethod
    def for_participant(cls, person: Any) -> DatagramCounter:
        """Counting for a Kvorum participant: its subscriptions change with each offer."""
        counter = cls(person.pc)

        def on_message(message: dict[str, Any]) -> None:
            if message.get("type") == "offer":
                counter.watch(message["sdp"], person.received)

        person.on_message = on_message
        return counter

    def watch(self, offer_sdp: str, streams_by_mid: dict[str, Any]) -> None:
        """Count the streams (by MID) whose SSRCs the offer announces."""
        for mid, ssrc in ssrcs_by_mid(offer_sdp).items():
            stream = streams_by_mid.get(mid)
            if stream is not None:
                self.by_ssrc[ssrc] = stream
        if not self.installed:
            self._install()

    def _install(self) -> None:
        transceivers = self.pc.getTransceivers()
        dtls = transceivers[0].receiver.transport if transceivers else None
        connection = getattr(getattr(dtls, "transport", None), "_connection", None)
        original = getattr(connection, "data_received", None)
        if original is None:
            raise RuntimeError("aioice's Connection.data_received is not where bench.relay "
                               "expects it (aiortc 1.16 / aioice 0.13): use --client-count "
                               "receiver, or move the hook")
        by_ssrc = self.by_ssrc
        monotonic = time.monotonic

        def data_received(data: bytes, component: int) -> None:
            # RTP (not RTCP: RFC 5761 payload types 192-223) in an SRTP datagram
            if len(data) >= 12 and 127 < data[0] < 192 and not 191 < data[1] < 224:
                stream = by_ssrc.get(int.from_bytes(data[8:12], "big"))
                if stream is not None:
                    stream.packets += 1
                    if data[1] & 0x80 and stream.kind == "video":
                        stream.frames += 1
                        stream.frame_arrivals.append(monotonic())
                    return
            original(data, component)

        connection.data_received = data_received
        self.installed = True


class ClientGroup:
    """Some of the synthetic participants, all in this process's event loop: Kvorum's
    (joining ``meeting`` at ``url``), or Janus's (``janus``: joining VideoRoom ``meeting``
    through Janus's HTTP API at ``url``)."""

    def __init__(self, url: str, meeting: str, width: int, height: int, bitrate: int,
                 count_at: str = "ice", janus: bool = False) -> None:
        from media.ice import use_addresses
        use_addresses(["127.0.0.1"])  # the same restriction as the server's (MEDIA.md)
        self.url = url
        self.meeting = meeting
        self.size = (width, height)
        self.bitrate = bitrate
        self.count_at = count_at
        self.janus = janus
        self.people: list[Any] = []

    async def join(self, mark: int, timeout: float = 30) -> Any:
        from bench.synthetic import ReplayTrack, SyntheticParticipant, audio_clip
        if self.janus:
            from bench.janus import JanusParticipant
            janus = JanusParticipant(self.url, int(self.meeting), mark,
                                     cached_video_clip(mark, *self.size, self.bitrate),
                                     audio_clip(mark))
            self.people.append(janus)
            return await janus.join(timeout=timeout)
        person = SyntheticParticipant(self.url, self.meeting, f"P{mark}", mark, decode=False,
                                      publish=False)
        # Publish the disk-cached clip (as SyntheticParticipant does with its own).
        person.video = ReplayTrack(cached_video_clip(mark, *self.size, self.bitrate))
        person.audio = ReplayTrack(audio_clip(mark))
        person.pc.addTransceiver(person.audio, direction="sendonly")
        person.pc.addTransceiver(person.video, direction="sendonly")
        if self.count_at == "ice":
            DatagramCounter.for_participant(person)
        self.people.append(person)
        await person.join(timeout=timeout)
        assert person.id is not None
        return person.id

    async def subscribe(self, ids: list[Any]) -> None:
        """Janus: subscribe every participant here to every other feed (Kvorum's router
        does this itself)."""
        for person in self.people:
            await person.subscribe(ids)

    def status(self, ids: list[str]) -> dict[str, int]:
        """How many of the expected (subscriber, publisher) pairs carry audio and video."""
        expected = flowing = 0
        for person in self.people:
            for other in ids:
                if other == person.id:
                    continue
                expected += 1
                streams = person.streams_from(other)
                video, audio = streams.get("video"), streams.get("audio")
                if video is not None and audio is not None and video.frames > 0 \
                        and audio.packets > 0:
                    flowing += 1
        return {"expected": expected, "flowing": flowing}

    async def snapshot(self) -> dict[str, Any]:
        sent = 0
        if self.janus:  # Kvorum's relay meter counts what arrives; Janus has none
            sent = sum([await p.sent_packets() for p in self.people])
        return {
            "t": time.monotonic(),
            "cpu": process_cpu_seconds(os.getpid()),
            "packets": sum(s.packets for p in self.people for s in p.received.values()),
            "sent": sent,
        }

    def window(self, t0: float, t1: float) -> list[dict[str, Any]]:
        """Frames received in [t0, t1] on every active video subscription."""
        out = []
        for person in self.people:
            for publisher in {s.publisher for s in person.received.values()}:
                video = person.streams_from(publisher).get("video")
                if video is None:
                    continue
                arrivals = [t for t in video.frame_arrivals if t0 <= t <= t1]
                gaps = [b - a for a, b in zip([t0, *arrivals], [*arrivals, t1])]
                out.append({"subscriber": person.id, "publisher": publisher,
                            "frames": len(arrivals), "max_gap_s": max(gaps)})
        return out

    async def close(self) -> None:
        await asyncio.gather(*(p.leave() for p in self.people), return_exceptions=True)


class RemoteGroup:
    """A ClientGroup in a worker process, driven over its stdin/stdout (one JSON per line)."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self._lock = asyncio.Lock()

    @classmethod
    async def start(cls, url: str, meeting: str, width: int, height: int,
                    bitrate: int, count_at: str, nice: int = 0,
                    janus: bool = False) -> RemoteGroup:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.relay", "--worker", "--url", url, "--meeting", meeting,
            "--client-count", count_at, "--client-nice", str(nice),
            "--video-size", f"{width}x{height}", "--video-bitrate", str(bitrate),
            *(["--baseline", "janus"] if janus else []),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT)
        return cls(proc)

    async def call(self, cmd: str, **kwargs: Any) -> Any:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        async with self._lock:
            self.proc.stdin.write((json.dumps({"cmd": cmd, **kwargs}) + "\n").encode())
            await self.proc.stdin.drain()
            line = await self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"client worker {self.proc.pid} exited")
        reply = json.loads(line)
        if "error" in reply:
            raise RuntimeError(f"client worker: {reply['error']}")
        return reply["result"]

    async def join(self, mark: int, timeout: float = 30) -> Any:
        return await self.call("join", mark=mark, timeout=timeout)

    async def subscribe(self, ids: list[Any]) -> None:
        await self.call("subscribe", ids=ids)

    async def status(self, ids: list[str]) -> dict[str, int]:
        return await self.call("status", ids=ids)  # type: ignore[no-any-return]

    async def snapshot(self) -> dict[str, Any]:
        return await self.call("snapshot")  # type: ignore[no-any-return]

    async def window(self, t0: float, t1: float) -> list[dict[str, Any]]:
        return await self.call("window", t0=t0, t1=t1)  # type: ignore[no-any-return]

    async def close(self) -> None:
        try:
            await asyncio.wait_for(self.call("close"), 15)
        except Exception:
            pass
        if self.proc.returncode is None:
            try:
                self.proc.terminate()
            except ProcessLookupError:
                pass
        try:
            await asyncio.wait_for(self.proc.wait(), 10)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()


async def worker_main(args: argparse.Namespace) -> None:
    """``--worker``: serve one ClientGroup over stdin/stdout until told to close."""
    if args.client_nice:
        os.nice(args.client_nice)
    width, height = parse_size(args.video_size)
    group = ClientGroup(args.url, args.meeting, width, height, args.video_bitrate,
                        args.client_count, janus=args.baseline == "janus")
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    out = sys.stdout
    while True:
        line = await reader.readline()
        if not line:
            break
        request = json.loads(line)
        cmd = request.pop("cmd")
        try:
            if cmd == "close":
                await group.close()
                out.write(json.dumps({"result": True}) + "\n")
                out.flush()
                break
            if cmd not in ("join", "subscribe", "status", "snapshot", "window"):
                raise ValueError(f"unknown command {cmd}")
            result = await _call_local(group, cmd, **request)
            out.write(json.dumps({"result": result}) + "\n")
        except Exception as exc:  # report, and let the driver decide
            out.write(json.dumps({"error": f"{type(exc).__name__}: {exc}"}) + "\n")
        out.flush()


# --------------------------------------------------------------------------- one run


def parse_size(text: str) -> tuple[int, int]:
    w, h = text.lower().split("x")
    return int(w), int(h)


async def _call_local(group: Any, name: str, *args: Any, **kwargs: Any) -> Any:
    result = getattr(group, name)(*args, **kwargs)
    if asyncio.iscoroutine(result):
        result = await result
    return result


class ServerProcess:
    def __init__(self, mode: str, analysis: str, profile: str | None) -> None:
        cmd = [sys.executable, "-m", "bench.relay_server", "--mode", mode,
               "--analysis", analysis, "--port", "0"]
        if profile:
            cmd += ["--profile", profile]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, cwd=ROOT, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("benchmark server did not start")
        ready = json.loads(line)
        self.port: int = ready["port"]
        self.pid: int = self.proc.pid
        self.meeting: str = ready["meeting"]
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class JanusServer:
    """``--baseline janus``: Janus VideoRoom in place of the Kvorum server (bench/janus.py)."""

    def __init__(self, event_loops: int) -> None:
        from bench.janus import JanusProcess
        self.janus = JanusProcess(event_loops)
        self.pid = self.janus.pid
        self.url = self.janus.url
        self.meeting = ""

    async def start(self, publishers: int) -> None:
        await self.janus.wait_ready()
        self.meeting = str(await self.janus.create_room(publishers))

    def stop(self) -> None:
        self.janus.stop()


async def run_once(args: argparse.Namespace) -> dict[str, Any]:
    n = args.participants
    width, height = parse_size(args.video_size)
    mode = args.baseline or "sfu"
    procs = args.client_procs if args.client_procs > 0 else (1 if n <= 8 else 2)
    prepare_clips(n, width, height, args.video_bitrate)
    idle_busy = (wait_until_idle(args.max_other_load, args.idle_timeout)
                 if args.idle_timeout > 0 else 0.0)
    janus = mode == "janus"
    server: Any = JanusServer(args.janus_event_loops) if janus else ServerProcess(
        mode, args.analysis, args.profile)
    groups: list[Any] = []
    started = time.monotonic()
    try:
        if janus:
            await server.start(publishers=n)
        if procs == 1 and not args.client_nice:
            groups = [ClientGroup(server.url, server.meeting, width, height, args.video_bitrate,
                                  args.client_count, janus=janus)]
        else:
            groups = [await RemoteGroup.start(server.url, server.meeting, width, height,
                                              args.video_bitrate, args.client_count,
                                              args.client_nice, janus=janus)
                      for _ in range(procs)]
        ids = []
        for mark in range(n):  # one at a time, as people arrive at a meeting
            ids.append(await _call_local(groups[mark % procs], "join", mark))
            if janus:  # full mesh: one subscriber handle per remote feed
                for group in groups:
                    await _call_local(group, "subscribe", ids)

        deadline = time.monotonic() + args.warmup_timeout
        while True:
            states = [await _call_local(g, "status", ids) for g in groups]
            expected = sum(s["expected"] for s in states)
            flowing = sum(s["flowing"] for s in states)
            if flowing == expected:
                break
            if time.monotonic() > deadline:
                # A saturated relay (the naive baseline at 12-15) may never get media to
                # everyone: measure anyway; those subscriptions then count 0 fps.
                log.warning("warm-up: media flows on %d of %d subscriber-publisher pairs "
                            "after %.0f s; measuring anyway", flowing, expected,
                            args.warmup_timeout)
                break
            await asyncio.sleep(0.5)
        await asyncio.sleep(args.settle)
        warmup_s = time.monotonic() - started

        async with aiohttp.ClientSession() as http:
            snap0 = [await _call_local(g, "snapshot") for g in groups]
            if not janus:
                async with http.post(server.url + "/api/bench/reset") as r:
                    r.raise_for_status()
            threads0 = thread_cpu_seconds(server.pid)
            children0 = descendants_cpu_seconds(server.pid)
            user0, sys0 = process_user_system_seconds(server.pid)
            cpu0 = user0 + sys0
            me0 = process_cpu_seconds(os.getpid())
            busy0 = system_busy_seconds()
            t0 = time.monotonic()
            await asyncio.sleep(args.seconds)
            t1 = time.monotonic()
            busy1 = system_busy_seconds()
            me1 = process_cpu_seconds(os.getpid())
            user1, sys1 = process_user_system_seconds(server.pid)
            cpu1 = user1 + sys1
            threads1 = thread_cpu_seconds(server.pid)
            children1 = descendants_cpu_seconds(server.pid)
            stats: dict[str, Any] = {"window_s": t1 - t0, "analysed_frames": 0}
            if not janus:
                async with http.post(server.url + "/api/bench/end") as r:
                    r.raise_for_status()
                    stats = await r.json()
            snap1 = [await _call_local(g, "snapshot") for g in groups]
        subs = [s for g in groups for s in await _call_local(g, "window", t0, t1)]
    finally:
        server.stop()
        for group in groups:
            await group.close()

    wall = t1 - t0
    window_s = stats["window_s"]
    room = stats["rooms"][server.meeting] if not janus else {}
    if janus:  # what the clients sent and received: Janus has no relay meter
        received = sum(b["sent"] - a["sent"] for a, b in zip(snap0, snap1))
        forwarded = sum(b["packets"] - a["packets"] for a, b in zip(snap0, snap1))
        window_s = statistics.mean(b["t"] - a["t"] for a, b in zip(snap0, snap1))
    elif mode == "naive":
        forwarded = stats["naive_sent_packets"]
        received = stats["naive_received_packets"]
    else:
        forwarded = room["forwarded_packets"]
        received = room["received_packets"]
    cpu_cores = (cpu1 - cpu0) / wall
    loop_cpu = threads1.get(server.pid, 0.0) - threads0.get(server.pid, 0.0)
    other_cpu = sum(v - threads0.get(tid, 0.0) for tid, v in threads1.items()
                    if tid != server.pid)
    fps = sorted(s["frames"] / wall for s in subs)
    forwarded_per_s = forwarded / window_s
    client_cpu = [round((b["cpu"] - a["cpu"]) / (b["t"] - a["t"]), 3)
                  for a, b in zip(snap0, snap1)]
    children_cpu = sum(v - children0.get(pid, 0.0) for pid, v in children1.items()) / wall
    bench_cpu = cpu_cores + children_cpu + (me1 - me0) / wall
    if procs > 1 or args.client_nice:  # the clients ran in worker processes
        bench_cpu += sum(client_cpu)
    client_pps = sum((b["packets"] - a["packets"]) / (b["t"] - a["t"])
                     for a, b in zip(snap0, snap1))
    result: dict[str, Any] = {
        "participants": n,
        "mode": mode,
        "analysis": (args.analysis if mode == "sfu" else "n/a (decodes every inbound stream)"
                     if mode == "naive" else "n/a (forwards only)"),
        "seconds": round(wall, 3),
        "video_size": f"{width}x{height}",
        "video_bitrate": args.video_bitrate,
        "server_cpu_cores": round(cpu_cores, 4),
        "server_cpu_cores_event_loop": round(loop_cpu / wall, 4),
        "server_cpu_cores_other_threads": round(other_cpu / wall, 4),
        "server_cpu_cores_kernel": round((sys1 - sys0) / wall, 4),
        "server_threads": len(threads1),
        # Not the server process: its child processes (the analysis worker: decoding, faces).
        "server_children_cpu_cores": round(children_cpu, 4),
        "inbound_packets_per_s": round(received / window_s, 1),
        "inbound_packets_per_s_per_publisher": round(received / window_s / n, 1),
        "forwarded_packets_per_s": round(forwarded_per_s, 1),
        "cpu_us_per_forwarded_packet": (round(cpu_cores / forwarded_per_s * 1e6, 2)
                                        if forwarded_per_s else None),
        "relay_latency_ms_p50": room["latency_ms_p50"] if mode == "sfu" else None,
        "relay_latency_ms_p95": room["latency_ms_p95"] if mode == "sfu" else None,
        "relay_latency_ms_max": room["latency_ms_max"] if mode == "sfu" else None,
        "latency_samples": room["latency_samples"] if mode == "sfu" else 0,
        "video_subscriptions": len(subs),
        "received_fps_min": round(fps[0], 2) if fps else None,
        "received_fps_median": round(statistics.median(fps), 2) if fps else None,
        "received_fps_max": round(fps[-1], 2) if fps else None,
        "subscriptions_below_14_fps": sum(f < 14 for f in fps),
        "max_frame_gap_ms": round(max(s["max_gap_s"] for s in subs) * 1000, 1) if subs else None,
        "analysed_frames_per_s": round(stats["analysed_frames"] / window_s, 1),
        "client_received_packets_per_s": round(client_pps, 1),
        "client_processes": procs,
        "client_count_at": args.client_count,
        "client_nice": args.client_nice,
        "client_cpu_cores": client_cpu,
        "machine_busy_cores": round((busy1 - busy0) / wall, 3),
        # CPU used during the window by processes that are not this benchmark's: if this
        # is not ~0, someone else's job shared the cores and the figures are pessimistic.
        "other_processes_cpu_cores": round((busy1 - busy0) / wall - bench_cpu, 3),
        "busy_before_start_cores": round(idle_busy, 3),
        "warmup_s": round(warmup_s, 1),
        "warmup_pairs_flowing": flowing,
        "warmup_pairs_expected": expected,
    }
    if mode == "naive":
        result["relay_latency_note"] = (
            "not measured: the naive relay decodes and re-encodes frames, so no packet is "
            "forwarded and RelayMeter has nothing to time (see docs/benchmarks.md, section Relay)")
    if janus:
        result["janus_event_loops"] = args.janus_event_loops
        result["relay_latency_note"] = (
            "not measured: Janus has no relay meter; server_cpu_cores is the janus process, "
            "forwarded packets are what the clients received, inbound what they sent")
    return result


# --------------------------------------------------------------------------- main


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The median of every numeric figure over the runs; other fields from the first run."""
    out: dict[str, Any] = {}
    for key, value in runs[0].items():
        values = [r.get(key) for r in runs]
        numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if numbers and all(v is None or v in numbers for v in values):
            # a figure a run could not give (None: e.g. per packet with nothing forwarded)
            # is left out of the median
            med = statistics.median(numbers)
            out[key] = round(med, 4) if isinstance(med, float) else med
        else:
            out[key] = value if all(v == value for v in values) else values
    return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.relay", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--participants", "-n", type=int, default=4)
    p.add_argument("--seconds", type=float, default=20, help="measurement window")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--baseline", choices=["naive", "janus"], default=None,
                   help="naive: the MediaRelay + encoding-sender relay instead of the SFU; "
                        "janus: Janus VideoRoom (Debian's janus package, "
                        "apt-get install -y janus; in the loopback-only namespace only)")
    p.add_argument("--janus-event-loops", type=int, default=2,
                   help="janus: Janus's event_loops setting (MEDIA.md: 2)")
    p.add_argument("--analysis", choices=["on", "off"], default="on",
                   help="sfu: the server decodes each inbound video once for analysis")
    p.add_argument("--video-size", default="640x360")
    p.add_argument("--video-bitrate", type=int, default=DEFAULT_VIDEO_BITRATE,
                   help="bitrate the replayed VP8 clip is encoded at (default %(default)s)")
    p.add_argument("--client-procs", type=int, default=0,
                   help="client processes (0: 1 up to 8 participants, else 2)")
    p.add_argument("--client-count", choices=["ice", "receiver"], default="ice",
                   help="where clients count received RTP: as it comes off the socket (cheap, "
                        "default) or at aiortc's RTCRtpReceiver after SRTP (bench.synthetic)")
    p.add_argument("--client-nice", type=int, default=0,
                   help="run the clients in worker processes at this niceness (e.g. 10), so "
                        "the server has first call on the CPU (a diagnostic: shows whether the "
                        "server or the shared cores limit the frame rate)")
    p.add_argument("--repeat", type=int, default=1, help="runs; figures are the medians")
    p.add_argument("--sweep", default=None, metavar="N,N,...",
                   help="run every participant count here in every one of --modes, and "
                        "print one JSON object per point (JSON lines); the Kvorum points "
                        "carry their ratio to Janus at the same N")
    p.add_argument("--modes", default="on,off,naive,janus",
                   help="with --sweep: on (SFU, analysis on), off (analysis off), naive, janus")
    p.add_argument("--runs", type=int, default=3,
                   help="with --sweep: runs per point, taken round by round; medians reported")
    p.add_argument("--settle", type=float, default=3.0,
                   help="seconds between media flowing everywhere and the window")
    p.add_argument("--warmup-timeout", type=float, default=None)
    p.add_argument("--max-other-load", type=float, default=0.15,
                   help="before each run, wait until the machine's busy CPU is at most this "
                        "many cores (other people's jobs), or --idle-timeout passes")
    p.add_argument("--idle-timeout", type=float, default=600,
                   help="0: do not wait for a quiet machine")
    p.add_argument("--retries", type=int, default=3,
                   help="runs disturbed by other processes (> --max-other-load) to repeat")
    p.add_argument("--profile", default=None,
                   help="cProfile the server's event loop during the window, write pstats here")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--url", help=argparse.SUPPRESS)
    p.add_argument("--meeting", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.sweep:
        unknown = set(args.modes.split(",")) - set(MODES)
        if unknown:
            p.error(f"unknown --modes {sorted(unknown)}; choose from {sorted(MODES)}")
    if args.profile:
        args.profile = str(Path(args.profile).resolve())
    return args


MODES = {  # --modes: name -> (--baseline, --analysis)
    "on": (None, "on"), "off": (None, "off"), "naive": ("naive", "on"), "janus": ("janus", "on"),
}


class Point:
    """The runs of one benchmark point (N and mode): kept, thrown away as disturbed, failed."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.runs: list[dict[str, Any]] = []
        self.discarded: list[dict[str, Any]] = []
        self.failures: list[str] = []

    def run(self) -> None:
        """One more kept run, or give up after --retries failed or disturbed ones."""
        args = self.args
        while True:
            try:
                run = asyncio.run(run_once(args))
            except Exception as exc:  # a run that never reached its window: say so, go on
                log.error("run failed (N=%d %s): %s: %s", args.participants,
                          args.baseline or f"sfu analysis {args.analysis}",
                          type(exc).__name__, exc)
                self.failures.append(f"{type(exc).__name__}: {exc}")
                if len(self.failures) > args.retries:
                    return
                continue
            if run["other_processes_cpu_cores"] > args.max_other_load \
                    and len(self.discarded) < args.retries:
                log.warning("run disturbed: other processes used %.2f cores during the window; "
                            "running it again", run["other_processes_cpu_cores"])
                self.discarded.append(run)
                continue
            self.runs.append(run)
            if not args.json:
                print(f"run {len(self.runs)}: {json.dumps(run)}", file=sys.stderr)
            return

    def result(self) -> dict[str, Any]:
        args = self.args
        if not self.runs:
            return {"participants": args.participants, "mode": args.baseline or "sfu",
                    "analysis": args.analysis,
                    "error": self.failures[-1] if self.failures else "no run"}
        result = summarise(self.runs) if len(self.runs) > 1 else dict(self.runs[0])
        result["machine"] = machine()
        result["failed_runs"] = self.failures
        result["disturbed_runs_discarded"] = len(self.discarded)
        if len(self.runs) > 1:
            result["repeat"] = len(self.runs)
            result["runs"] = self.runs
        return result


def point_args(args: argparse.Namespace, participants: int, mode: str) -> argparse.Namespace:
    baseline, analysis = MODES[mode]
    out = argparse.Namespace(**vars(args))
    out.participants, out.baseline, out.analysis = participants, baseline, analysis
    out.warmup_timeout = args.warmup_timeout or 30 + 5 * participants
    return out


def compare_with_janus(results: list[dict[str, Any]]) -> None:
    """Kvorum's figures over Janus's at the same N, from the same sweep."""
    janus = {r["participants"]: r for r in results if r.get("mode") == "janus" and
             "error" not in r}
    for result in results:
        reference = janus.get(result["participants"])
        if result.get("mode") != "sfu" or reference is None or "error" in result:
            continue
        result["janus_server_cpu_cores"] = reference["server_cpu_cores"]
        result["janus_cpu_us_per_forwarded_packet"] = reference["cpu_us_per_forwarded_packet"]
        if reference["server_cpu_cores"]:
            result["cpu_ratio_to_janus"] = round(
                result["server_cpu_cores"] / reference["server_cpu_cores"], 3)
            result["cpu_with_workers_ratio_to_janus"] = round(
                (result["server_cpu_cores"] + result["server_children_cpu_cores"])
                / reference["server_cpu_cores"], 3)
        if reference["cpu_us_per_forwarded_packet"] and result["cpu_us_per_forwarded_packet"]:
            result["us_per_packet_ratio_to_janus"] = round(
                result["cpu_us_per_forwarded_packet"]
                / reference["cpu_us_per_forwarded_packet"], 3)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    if args.worker:
        asyncio.run(worker_main(args))
        return
    if args.sweep:
        sizes = [int(n) for n in args.sweep.split(",")]
        modes = args.modes.split(",")
        rounds = args.runs
    else:
        sizes, rounds = [args.participants], args.repeat
        modes = [args.baseline or args.analysis]
    if "janus" in modes:
        from bench.janus import JanusMissing, find_janus
        try:
            find_janus()
        except JanusMissing as exc:
            print(f"bench.relay: {exc}", file=sys.stderr)
            print(json.dumps({"mode": "janus", "error": str(exc)}))
            sys.exit(2)
    points = {(n, mode): Point(point_args(args, n, mode)) for n in sizes for mode in modes}
    # Round by round, so a slow drift of the shared machine touches every point alike.
    for _ in range(rounds):
        for point in points.values():
            point.run()
    results = [point.result() for point in points.values()]
    compare_with_janus(results)
    for result in results:
        if args.json:
            print(json.dumps(result), flush=True)
        else:
            for key, value in result.items():
                if key != "runs":
                    print(f"{key:40} {value}")
            print()
    if any("error" in r for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main(sys.argv[1:])
