"""AnalysisWorker: the process that looks at pictures, so the forwarding process never does.

Every analysed video's RTP is batched per frame by its producer's analyser and written to one
worker process (``python -m media.analysis_process``) through a pipe. The worker reassembles
frames, decodes each stream once and runs the face detector about twice a second; its
results come back as JSON lines. The pipe is the cheap channel: one write per video frame,
never awaited. When the worker falls behind by more than ``max_backlog_bytes``, frames are
dropped here (the stream resynchronises at its next keyframe); forwarding never waits.

If the worker dies it is reported (``available`` False, ``on_availability``) and started
again; streams re-open in the new worker and ask their publisher for a keyframe. If the
server dies (even by kill -9), the worker exits with it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import struct
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from compliance.profile import QualityRules

logger = logging.getLogger(__name__)

# Messages to the worker: a header (body length, type, stream id), then the body.
HEADER = struct.Struct("!IBH")
OPEN, PACKETS, CLOSE = 1, 2, 3
# One RTP packet inside a PACKETS body: sequence number, timestamp, marker, payload length.
PACKET = struct.Struct("!HIBH")

# A worker that falls this far behind (about 2 s of 15 HD streams) drops frames instead.
MAX_BACKLOG_BYTES = 4_000_000
RESTART_DELAY_S = 0.5
START_TIMEOUT_S = 60.0  # the first start imports the codecs and the detector: wait this long
# The worker runs at a lower CPU priority from its first instruction (its imports take a
# second or more of CPU): forwarding comes first when the cores are busy.
NICENESS = 10

Result = dict[str, Any]


def worker_settings(rules: QualityRules) -> dict[str, float]:
    """What the worker process needs from the profile, passed on its command line."""
    return {"face_sample_hz": rules.face_sample_hz,
            "face_min_confidence": rules.face_min_confidence,
            "face_min_width_px": rules.face_min_width_px}


@dataclass
class _Stream:
    mime_type: str
    on_result: Callable[[Result], None]
    on_restart: Callable[[], None]
    decoded_frames: int = field(default=0)


class AnalysisWorker:
    """One analysis process for the whole server, restarted whenever it dies."""

    def __init__(self, rules: QualityRules, max_backlog_bytes: int = MAX_BACKLOG_BYTES,
                 restart_delay_s: float = RESTART_DELAY_S) -> None:
        self.settings = worker_settings(rules)
        self.max_backlog_bytes = max_backlog_bytes
        self.restart_delay_s = restart_delay_s
        self.available = False
        self.restarts = 0
        self.dropped_bytes = 0
        self.on_availability: list[Callable[[bool], None]] = []
        self._streams: dict[int, _Stream] = {}
        self._next_id = 1
        self._process: asyncio.subprocess.Process | None = None
        self._task: asyncio.Task[None] | None = None
        self._ready: asyncio.Future[None] | None = None
        self._closed = False

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def decoded_frames(self) -> int:
        """Frames decoded by the worker over every stream open now (as last reported)."""
        return sum(s.decoded_frames for s in self._streams.values())

    async def start(self) -> None:
        """Start the worker and wait until it has loaded its codecs and detector, so that
        the cost of starting it (a second or two of imports) never falls inside a meeting.
        On a machine too busy for that, go on without it: it becomes available when ready."""
        if self._task is not None:
            return
        self._ready = asyncio.get_running_loop().create_future()
        self._task = asyncio.ensure_future(self._run())
        try:
            await asyncio.wait_for(asyncio.shield(self._ready), START_TIMEOUT_S)
        except TimeoutError:
            logger.warning("analysis worker not ready after %.0f s; starting without it",
                           START_TIMEOUT_S)

    # -- streams --------------------------------------------------------------------------

    def open_stream(self, mime_type: str, on_result: Callable[[Result], None],
                    on_restart: Callable[[], None]) -> int:
        """Register a video stream; returns its id for :meth:`send` and :meth:`close_stream`."""
        stream_id = self._next_id
        self._next_id = self._next_id % 0xFFFF + 1
        self._streams[stream_id] = _Stream(mime_type, on_result, on_restart)
        if self.available:
            self._write(OPEN, stream_id, mime_type.encode())
        return stream_id

    def close_stream(self, stream_id: int) -> None:
        if self._streams.pop(stream_id, None) is not None and self.available:
            self._write(CLOSE, stream_id, b"")

    def send(self, stream_id: int, packets: list[bytes]) -> bool:
        """Write one frame's packets (each a PACKET header followed by its payload); False
        when dropped (worker down or behind): the stream must then resynchronise at a
        keyframe."""
        if not self.available or self._process is None:
            return False
        stdin = self._process.stdin
        assert stdin is not None
        if stdin.transport.get_write_buffer_size() > self.max_backlog_bytes:
            self.dropped_bytes += sum(map(len, packets))
            return False
        return self._write(PACKETS, stream_id, b"".join(packets))

    def _write(self, kind: int, stream_id: int, body: bytes) -> bool:
        process = self._process
        if process is None or process.stdin is None or process.stdin.is_closing():
            return False
        process.stdin.write(HEADER.pack(len(body), kind, stream_id) + body)
        return True

    # -- the process ------------------------------------------------------------------------

    async def _run(self) -> None:
        while not self._closed:
            try:
                await self._run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("analysis worker failed")
            if self._closed:
                break
            self._set_available(False)
            self.restarts += 1
            logger.warning("analysis worker stopped; restarting in %.1f s", self.restart_delay_s)
            await asyncio.sleep(self.restart_delay_s)

    async def _run_once(self) -> None:
        nice = shutil.which("nice")
        command = [sys.executable, "-m", "media.analysis_process", json.dumps(self.settings),
                   str(os.getpid())]
        self._process = process = await asyncio.create_subprocess_exec(
            *([nice, "-n", str(NICENESS)] if nice else []), *command,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        assert process.stdout is not None
        try:
            while line := await process.stdout.readline():
                self._on_line(line)
        finally:
            if process.returncode is None:
                process.kill()
            await process.wait()
            self._process = None

    def _on_line(self, line: bytes) -> None:
        message: Result = json.loads(line)
        if message.get("type") == "ready":
            for stream_id, stream in self._streams.items():
                self._write(OPEN, stream_id, stream.mime_type.encode())
            self._set_available(True)
            if self._ready is not None and not self._ready.done():
                self._ready.set_result(None)
            if self.restarts:
                for stream in list(self._streams.values()):
                    stream.on_restart()
            return
        stream = self._streams.get(int(message.get("stream", 0)))
        if stream is None:
            return
        if "decoded" in message:
            stream.decoded_frames = int(message["decoded"])
        stream.on_result(message)

    def _set_available(self, available: bool) -> None:
        if available == self.available:
            return
        self.available = available
        for callback in list(self.on_availability):
            try:
                callback(available)
            except Exception:
                logger.exception("analysis availability callback failed")

    async def close(self) -> None:
        self._closed = True
        process = self._process
        if process is not None and process.stdin is not None:
            process.stdin.close()  # the worker exits at the end of its input
            try:
                await asyncio.wait_for(process.wait(), 5.0)
            except TimeoutError:
                process.kill()
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        self._set_available(False)
