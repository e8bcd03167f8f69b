"""The server process of ``bench.relay``: Kvorum's app with benchmark-only routes.

``python -m bench.relay_server --mode sfu|naive --analysis on|off [--port 0] [--profile PATH]``

Runs ``server.app.create_app`` (plain HTTP, demo meeting, media stats exposed, and a
guest room ``bench`` that synthetic participants join by name) on 127.0.0.1 and
prints one JSON line ``{"ready": true, "port": ..., "pid": ..., "meeting": "bench"}``
once it listens. ICE candidates are restricted to 127.0.0.1 by the config. The
whole server runs as in production: every room's supervisor (the equal-terms monitor
every 250 ms), each producer's analyser (RTP statistics on each packet) and, with
analysis on, the analysis worker process (decoding and face detection).

Routes added for the benchmark (this process only, never in production):

* ``POST /api/bench/reset``: start the measurement window: reset the relay meters
  (and baselines), and start the profiler if ``--profile`` was given;
* ``POST /api/bench/end``: end the window: the figures since the reset, and stop
  and write the profile.

Stop the process with SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import dataclasses
import json
import logging
import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from aiohttp import web

from bench.naive_router import NaiveRouter
from media.relay_meter import SAMPLES
from media.router import Router
from server.app import create_app
from server.config import Config
from server.keys import ROOMS

MEETING = "bench"

logger = logging.getLogger("bench.relay_server")


class BenchState:
    """What the benchmark routes need to remember between reset and end."""

    def __init__(self, mode: str, profile: Path | None) -> None:
        self.mode = mode
        self.routers: list[Any] = []
        self.decoded_at_reset = 0
        self.analysis: Any = None  # the app's AnalysisWorker, or None
        self.reset_at = time.monotonic()
        self.naive_baseline = (0, 0)
        self.profile_path = profile
        self.profiler: cProfile.Profile | None = None

    @property
    def decoded_frames(self) -> int:
        """Frames the analysis worker decoded, to show analysis really runs."""
        return self.analysis.decoded_frames if self.analysis is not None else 0

    def router_factory(self, **kwargs: Any) -> Any:
        router: Any = NaiveRouter() if self.mode == "naive" else Router(**kwargs)
        self.analysis = kwargs.get("analysis") if self.mode == "sfu" else None
        self.routers.append(router)
        return router

    async def naive_counts(self) -> tuple[int, int]:
        received = sent = 0
        for router in self.routers:
            if isinstance(router, NaiveRouter):
                r, s = await router.packet_counts()
                received += r
                sent += s
        return received, sent


BENCH = web.AppKey("bench", BenchState)


async def reset(request: web.Request) -> web.Response:
    state = request.app[BENCH]
    for router in state.routers:
        router.meter.reset()
    state.decoded_at_reset = state.decoded_frames
    state.naive_baseline = await state.naive_counts()
    state.reset_at = time.monotonic()
    if state.profile_path is not None and state.profiler is None:
        state.profiler = cProfile.Profile()
        state.profiler.enable()
    return web.json_response({"reset_at": state.reset_at})


async def end(request: web.Request) -> web.Response:
    state = request.app[BENCH]
    now = time.monotonic()
    if state.profiler is not None:
        state.profiler.disable()
        assert state.profile_path is not None
        state.profiler.dump_stats(str(state.profile_path))
        state.profiler = None
    out: dict[str, Any] = {"mode": state.mode, "window_s": now - state.reset_at,
                           "analysed_frames": state.decoded_frames - state.decoded_at_reset,
                           "rooms": {}}
    for room in request.app[ROOMS]:
        figures = room.router.meter.figures()
        out["rooms"][room.id] = dataclasses.asdict(figures) | {
            "peers": len(room.router.peers),
            # The meter keeps the latest SAMPLES durations: at N=15 that is the last
            # ~11 s of a 20 s window. Every inbound packet has subscribers after warm-up.
            "latency_samples": min(figures.received_packets, SAMPLES),
        }
    if state.mode == "naive":
        received, sent = await state.naive_counts()
        out["naive_received_packets"] = received - state.naive_baseline[0]
        out["naive_sent_packets"] = sent - state.naive_baseline[1]
    return web.json_response(out)


async def serve(args: argparse.Namespace) -> None:
    analyse = args.analysis == "on"
    state = BenchState(args.mode, Path(args.profile) if args.profile else None)
    with tempfile.TemporaryDirectory(prefix="kvorum-bench-") as tmp:
        config = Config(host="127.0.0.1", port=args.port, tls=False, demo=True,
                        guest_meeting=MEETING, expose_media_stats=True,
                        # the naive relay decodes every stream anyway and feeds no analysis
                        analyse_video=analyse and args.mode == "sfu",
                        database=Path(tmp) / "kvorum.sqlite3")
        app = create_app(config, router_factory=state.router_factory)
        app[BENCH] = state
        app.router.add_post("/api/bench/reset", reset)
        app.router.add_post("/api/bench/end", end)
        runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=2.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", args.port)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        print(json.dumps({"ready": True, "port": port, "pid": os.getpid(), "meeting": MEETING,
                          "mode": args.mode, "analysis": args.analysis}), flush=True)
        await stop.wait()
        if state.profiler is not None:
            state.profiler.disable()
            state.profiler.dump_stats(str(state.profile_path))
        await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.relay_server", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mode", choices=["sfu", "naive"], default="sfu")
    p.add_argument("--analysis", choices=["on", "off"], default="on",
                   help="sfu mode: decode each inbound video once for analysis")
    p.add_argument("--port", type=int, default=0, help="0: any free port (printed when ready)")
    p.add_argument("--profile", default=None,
                   help="cProfile the event-loop thread from reset to end, write pstats here")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="server %(levelname)s %(name)s: %(message)s")
    asyncio.run(serve(args))


if __name__ == "__main__":
    main(sys.argv[1:])
