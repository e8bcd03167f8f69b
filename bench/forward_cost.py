"""Cost of forwarding one packet to one subscriber, measured where other load cannot blur it.

    scripts/in-loopback-netns.sh .venv/bin/python -m bench.forward_cost --json
    scripts/in-loopback-netns.sh .venv/bin/python -m bench.forward_cost --callgrind \
        --subscribers 4 --packets 1000 --json

A Kvorum server (the whole app, analysis off) runs in this process with one
publisher and ``--subscribers`` subscribers, all real aiortc peers on 127.0.0.1.
Once media flows, the publisher stops sending, and the harness hands the video
and audio producers the packets they received during warm-up again (renumbered,
in arrival order), one after the other without yielding to the event loop, as
aiortc's receiver would hand them over: everything from ``Producer._on_rtp`` to
the datagram handed to the kernel is measured, and nothing of the receive side
(ICE, DTLS, SRTP unprotect, RTP parsing), of RTCP or of the subscribers is.

Two measures of the same path:

* CPU time per forwarded copy (``time.process_time``, user and kernel, this
  process), the least of ``--rounds`` rounds: a busy machine still inflates it
  (shared caches, hyperthreads), far less than wall time;
* with ``--callgrind``: user-space instructions per forwarded copy, counted by
  valgrind (``--instr-atstart=no``, switched on and off around the replay with
  ``callgrind_control``) in two child runs of ``--packets`` and 3x as many packets;
  the difference cancels the switching. Instruction counts do not depend on other
  load, so before/after comparisons of the code hold on a shared machine. The
  kernel's share of ``sendto`` (loopback delivery) is not in them. Runs take a few
  minutes (valgrind is ~50x slower); 4 subscribers keep the set-up short.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MEETING = "bench"


async def _wait_until(predicate: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(0.1)
    return bool(predicate())


def _forwarded(producers: Any) -> int:
    return sum(c.sender.packets_sent for p in producers for c in p.consumers)


async def _callgrind_control(*options: str) -> None:
    """Switch valgrind's instruction counting for this process on or off."""
    proc = await asyncio.create_subprocess_exec(
        "callgrind_control", *options, str(os.getpid()), stdout=subprocess.DEVNULL)
    if await proc.wait() != 0:
        raise RuntimeError("callgrind_control failed: is this process under valgrind?")


async def measure(subscribers: int, packets: int, rounds: int,
                  instrument: bool = False, profile: str | None = None) -> dict[str, Any]:
    """Set up the server and peers, then replay ``packets`` packets ``rounds`` times.
    With ``instrument``, valgrind counts instructions only while the packets are replayed."""
    from aiohttp import web

    from bench.relay import DEFAULT_VIDEO_BITRATE, DatagramCounter, cached_video_clip
    from bench.synthetic import ReplayTrack, SyntheticParticipant
    from media.aiortc_tap import tap_receiver
    from server.app import create_app
    from server.config import Config
    from server.keys import ROOMS

    with tempfile.TemporaryDirectory(prefix="kvorum-fwcost-") as tmp:
        config = Config(host="127.0.0.1", port=0, tls=False, demo=False, guest_meeting=MEETING,
                        analyse_video=False, database=Path(tmp) / "kvorum.sqlite3")
        app = create_app(config)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        url = f"http://127.0.0.1:{port}"
        people: list[Any] = []
        try:
            publisher = SyntheticParticipant(url, MEETING, "P0", 0, decode=False,
                                             video_clip=cached_video_clip(
                                                 0, 640, 360, DEFAULT_VIDEO_BITRATE))
            await publisher.join(timeout=60)
            people.append(publisher)
            for mark in range(1, subscribers + 1):
                person = SyntheticParticipant(url, MEETING, f"S{mark}", mark, decode=False,
                                              publish=False)
                DatagramCounter.for_participant(person)
                await person.join(timeout=60)
                people.append(person)
            room = app[ROOMS].get(MEETING)
            assert room is not None
            flowing = await _wait_until(lambda: all(
                s.frames > 0 for p in people[1:] for s in p.received.values()
                if s.kind == "video") and all(len(p.received) == 2 for p in people[1:]),
                timeout=60 + 10 * subscribers)
            if not flowing:
                raise RuntimeError("media did not reach every subscriber")
            producers = room.router.peers[publisher.id].producers
            captured: list[tuple[Any, Any]] = []
            capturing = True
            for producer in producers.values():
                async def capture(packet: Any, arrival_ms: int, p: Any = producer) -> bool:
                    if capturing:
                        captured.append((p, packet))
                    return True  # on to the producer, as before

                tap_receiver(producer.transceiver.receiver, capture)
            await asyncio.sleep(2.5)  # a keyframe and a few seconds of both streams
            assert isinstance(publisher.video, ReplayTrack) and publisher.audio is not None
            publisher.video.paused = publisher.audio.paused = True
            # until nothing arrives for a second: only the replayed packets are measured
            last, quiet_since = len(captured), time.monotonic()
            while time.monotonic() - quiet_since < 1.0:
                await asyncio.sleep(0.1)
                if len(captured) != last:
                    last, quiet_since = len(captured), time.monotonic()
            capturing = False
            captured = [(p, packet) for p, packet in captured if packet.payload]
            if not captured:
                raise RuntimeError("no packets captured")
            copies = sum(len(p.consumers) for p, _ in captured) / len(captured)
            next_seq = {id(p): pk.sequence_number for p, pk in captured}
            sent0 = _forwarded(producers.values())
            cpu: list[float] = []
            if instrument:
                await _callgrind_control("-i", "on")
            profiler = cProfile.Profile() if profile else None
            if profiler is not None:
                profiler.enable()
            for _ in range(rounds):
                c0 = time.process_time()
                for i in range(packets):
                    producer, packet = captured[i % len(captured)]
                    seq = next_seq[id(producer)] = (next_seq[id(producer)] + 1) & 0xFFFF
                    packet.sequence_number = seq
                    # No yield to the event loop inside a round: only the forwarding path
                    # runs (no timers, no subscribers); copies a subscriber's full socket
                    # buffer drops have cost the server the same.
                    await producer._on_rtp(packet, 0)
                cpu.append(time.process_time() - c0)
                if not instrument:
                    await asyncio.sleep(0.2)
            if instrument:
                await _callgrind_control("-i", "off")
            if profiler is not None:
                profiler.disable()
                profiler.dump_stats(profile)
            sent = _forwarded(producers.values()) - sent0
            return {
                "subscribers": subscribers,
                "packets_per_round": packets,
                "rounds": rounds,
                "copies_per_packet": round(copies, 2),
                "forwarded_copies": sent,
                "cpu_us_per_copy_min": round(min(cpu) / (packets * copies) * 1e6, 2),
                "cpu_us_per_copy_rounds": [round(c / (packets * copies) * 1e6, 2) for c in cpu],
            }
        finally:
            for person in people:
                await person.leave()
            await runner.cleanup()


def _callgrind_run(args: argparse.Namespace, packets: int, keep: str | None) -> tuple[int, int]:
    """One child run under valgrind, counting only its replay: (instructions, copies)."""
    with tempfile.TemporaryDirectory(prefix="kvorum-callgrind-") as tmp:
        out = Path(tmp) / "callgrind.out"
        proc = subprocess.run(
            ["valgrind", "--tool=callgrind", "--instr-atstart=no",
             f"--callgrind-out-file={out}", sys.executable, "-m", "bench.forward_cost",
             "--subscribers", str(args.subscribers), "--packets", str(packets),
             "--rounds", "1", "--json", "--instrumented"],
            cwd=ROOT, capture_output=True, text=True, check=False)
        if keep and out.exists():
            shutil.copy(out, keep)
    match = re.search(r"Collected : (\d+)", proc.stderr)
    if proc.returncode != 0 or match is None:
        raise RuntimeError(f"valgrind run failed: {proc.stderr[-2000:]}")
    run = json.loads(proc.stdout.strip().splitlines()[-1])
    return int(match.group(1)), int(run["forwarded_copies"])


def callgrind(args: argparse.Namespace) -> dict[str, Any]:
    """Instructions per forwarded copy: two child runs under valgrind that count only
    their replay, of ``--packets`` and 3x as many packets. Switching the counting on
    and off costs the same in both, so it cancels in the difference."""
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed: apt-get install valgrind")
    short = _callgrind_run(args, args.packets, None)
    long = _callgrind_run(args, 3 * args.packets, args.keep_profile)
    return {
        "subscribers": args.subscribers,
        "packets": [args.packets, 3 * args.packets],
        "forwarded_copies": [short[1], long[1]],
        "instructions": [short[0], long[0]],
        "instructions_per_copy": round((long[0] - short[0]) / (long[1] - short[1])),
        "note": "user-space instructions (valgrind) from Producer._on_rtp to sendto, "
                "per copy, including the inbound packet's share; the kernel's share of "
                "sendto is not counted",
    }


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.forward_cost", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--subscribers", type=int, default=14, help="copies of each packet")
    p.add_argument("--packets", type=int, default=1000, help="inbound packets per round")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--callgrind", action="store_true",
                   help="count instructions with valgrind (slow: minutes)")
    p.add_argument("--keep-profile", default=None,
                   help="with --callgrind: keep valgrind's profile here (callgrind_annotate)")
    p.add_argument("--profile", default=None,
                   help="cProfile the replay, write pstats here (distorts the CPU figure)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--instrumented", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    os.environ.setdefault("PYTHONHASHSEED", "0")
    result = callgrind(args) if args.callgrind else asyncio.run(
        measure(args.subscribers, args.packets, args.rounds, args.instrumented, args.profile))
    print(json.dumps(result) if args.json else "\n".join(f"{k:28} {v}"
                                                        for k, v in result.items()))


if __name__ == "__main__":
    main(sys.argv[1:])
