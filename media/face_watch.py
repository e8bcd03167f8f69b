"""Face watch: about twice a second, is a face visible in each member's video?

Detection runs in one separate worker process: yuface holds the GIL for its whole
call (~7 ms), which in a thread would stall the event loop that forwards media.
Only the newest decoded frame of each stream is looked at; if the worker falls
behind, frames are skipped, never queued.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from compliance.samples import FaceSample

logger = logging.getLogger(__name__)

_detector: Any = None


def _start_worker(min_confidence: float, min_width_px: int) -> None:
    os.environ["OMP_NUM_THREADS"] = "1"  # one core for detection, the other for media
    global _detector
    from media.face_detector import FaceDetector

    _detector = FaceDetector(min_confidence=min_confidence, min_width_px=min_width_px)


def _detect(yuv: np.ndarray) -> tuple[bool, float, int]:
    result = _detector.detect_yuv420p(yuv)
    return result.present, result.confidence, result.width_px


@dataclass
class _Watched:
    on_sample: Callable[[FaceSample], None]
    frame: Any = None
    fresh: bool = False
    busy: bool = False
    samples: int = field(default=0)


class FaceWatch:
    """Runs the face detector on the newest frame of every watched stream at ``rate_hz``."""

    def __init__(self, rate_hz: float = 2.0, min_confidence: float = 0.6,
                 min_width_px: int = 40) -> None:
        self.interval_s = 1.0 / rate_hz
        self._settings = (min_confidence, min_width_px)
        self._watched: dict[str, _Watched] = {}
        self._pool: ProcessPoolExecutor | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start the worker process and wait until its detector is loaded, so that the
        cost of starting it (a second of imports) never falls inside a meeting."""
        if self._pool is not None:
            return
        self._pool = ProcessPoolExecutor(
            1, mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker, initargs=self._settings)
        blank = np.zeros((54, 64), dtype=np.uint8)
        await asyncio.get_running_loop().run_in_executor(self._pool, _detect, blank)
        self._task = asyncio.ensure_future(self._run())

    def watch(
        self, key: str, on_sample: Callable[[FaceSample], None]
    ) -> Callable[[Any, float], None]:
        """Start watching a stream; returns the frame observer to give its producer."""
        watched = _Watched(on_sample)
        self._watched[key] = watched

        def on_frame(frame: Any, now: float) -> None:
            watched.frame = frame
            watched.fresh = True

        return on_frame

    def unwatch(self, key: str) -> None:
        self._watched.pop(key, None)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                await asyncio.sleep(self.interval_s)
                for watched in list(self._watched.values()):
                    if watched.fresh and not watched.busy:
                        watched.fresh = False
                        watched.busy = True
                        yuv = watched.frame.to_ndarray(format="yuv420p")
                        future = loop.run_in_executor(self._pool, _detect, yuv)
                        future.add_done_callback(lambda f, w=watched: self._done(w, f))
        except asyncio.CancelledError:
            pass

    @staticmethod
    def _done(watched: _Watched, future: asyncio.Future[tuple[bool, float, int]]) -> None:
        watched.busy = False
        if future.cancelled() or future.exception() is not None:
            if not future.cancelled():
                logger.warning("face detection failed: %s", future.exception())
            return
        present, confidence, width = future.result()
        watched.samples += 1
        watched.on_sample(FaceSample(at=time.monotonic(), present=present,
                                     confidence=confidence, width_px=width))

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await asyncio.get_running_loop().run_in_executor(
                None, lambda: pool.shutdown(wait=True, cancel_futures=True))
