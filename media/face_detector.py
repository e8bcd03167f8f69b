"""Face presence: "is a face visible in this frame?" (MEDIA.md, "Face presence").

`FaceDetector` uses yuface (libfacedetection / YuNet family, BSD; the CNN weights are compiled
into the wheel, nothing is downloaded). `HaarFaceDetector` is the OpenCV Haar-cascade baseline it
was benchmarked against (docs/benchmarks.md, section Face presence); same API, not for
production use.

Rules, all constructor arguments: a face counts when confidence >= `min_confidence` (0.6) and
min_width_px (40) <= box width <= `max_width_frac` (0.8) x the frame's shorter side, widths in
native pixels. The upper bound rejects the frame-filling blobs yuface reports (at 0.6+) on heavily
defocused frames; a real face that large does not fit in the frame anyway.

Frames are downscaled (long side to `max_side`, 320 px) but never so far that a `min_width_px`
face would shrink below `min_face_px_processed` (20 px); box and width come back in native px.

Threading: instances keep no per-call state and may be shared between threads (the Haar
baseline keeps one cascade per thread). yuface holds the GIL for the whole call (10-15 ms at
640x360) and runs libgomp threads: a worker thread running it stalls the asyncio loop meanwhile.
Importing this module sets OMP_WAIT_POLICY=PASSIVE unless already set (see the import below).
"""

from __future__ import annotations

import os
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

# yuface runs its own bundled libgomp, which reads this once when yuface is imported. The default
# (active spin-wait) made calls 5-10x slower on a busy 2-core host (docs/benchmarks.md,
# section Face presence).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import yuface


@dataclass(frozen=True)
class FacePresence:
    """Detection result. The other fields describe the best candidate, which may have failed a
    rule when `present` is False (zeros and None when nothing was found)."""

    present: bool
    confidence: float
    width_px: int
    box: tuple[int, int, int, int] | None  # (x, y, w, h) in native pixels


NO_FACE = FacePresence(present=False, confidence=0.0, width_px=0, box=None)


class _ScaledDetector(ABC):
    """Shared input handling: gray/BGR/I420 input, downscale, rules, mapping back to native px."""

    def __init__(
        self,
        min_confidence: float = 0.6,
        min_width_px: int = 40,
        max_side: int = 320,
        min_face_px_processed: int = 20,
        max_width_frac: float = 0.8,
    ) -> None:
        if not 0.0 <= min_confidence <= 1.0:
            raise ValueError("min_confidence must be in [0, 1]")
        if min_width_px < 1 or max_side < 16 or min_face_px_processed < 1:
            raise ValueError("min_width_px, max_side and min_face_px_processed must be positive")
        self.min_confidence = float(min_confidence)
        self.min_width_px = int(min_width_px)
        self.max_side = int(max_side)
        self.min_face_px_processed = int(min_face_px_processed)
        self.max_width_frac = float(max_width_frac)

    def scale_for(self, width: int, height: int) -> float:
        """Downscale factor (<= 1) used for a frame of this native size."""
        floor = min(1.0, self.min_face_px_processed / self.min_width_px)
        return min(1.0, max(floor, self.max_side / max(width, height)))

    def detect(self, image: np.ndarray) -> FacePresence:
        """Detect in a BGR (H, W, 3) or gray (H, W) uint8 image at native resolution."""
        if image.dtype != np.uint8 or image.ndim not in (2, 3):
            raise ValueError("expected a uint8 BGR (H, W, 3) or gray (H, W) image")
        if image.ndim == 3 and image.shape[2] == 4:
            image = image[:, :, :3]
        elif image.ndim == 3 and image.shape[2] != 3:
            raise ValueError("expected 3 (BGR) or 4 (BGRA) channels")
        h, w = image.shape[:2]
        if h < 8 or w < 8:
            return NO_FACE
        scale = self.scale_for(w, h)
        small = image
        if scale < 1.0:
            size = (max(1, round(w * scale)), max(1, round(h * scale)))
            small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        # Search a little below the rule's size: widths are re-measured in native pixels below.
        min_face_px = max(1, int(0.8 * self.min_width_px * scale))
        found = self._candidates(small, min_face_px)
        return self._decide(found, 1.0 / scale, w, h)

    def detect_yuv420p(self, yuv: np.ndarray) -> FacePresence:
        """Detect in planar I420 as from `av.VideoFrame.to_ndarray()` of a yuv420p frame.

        `yuv` has shape (H * 3 // 2, W); conversion to BGR costs ~0.07 ms at 640x360.
        """
        if yuv.dtype != np.uint8 or yuv.ndim != 2 or yuv.shape[0] % 3:
            raise ValueError("expected a uint8 (H * 3 // 2, W) I420 array")
        return self.detect(cv2.cvtColor(yuv, cv2.COLOR_YUV2BGR_I420))

    @abstractmethod
    def _candidates(
        self, image: np.ndarray, min_face_px: int
    ) -> list[tuple[float, int, int, int, int]]:
        """Rows of (confidence, x, y, w, h) in `image` pixels; `min_face_px` is a search hint."""

    def _decide(
        self, found: list[tuple[float, int, int, int, int]], inv: float, w: int, h: int
    ) -> FacePresence:
        best: FacePresence | None = None
        for conf, x, y, bw, bh in found:
            x0, y0 = max(0, round(x * inv)), max(0, round(y * inv))
            x1, y1 = min(w, round((x + bw) * inv)), min(h, round((y + bh) * inv))
            if x1 <= x0 or y1 <= y0:
                continue
            width = round(bw * inv)  # unclipped: a face at the frame edge keeps its size
            present = (
                conf >= self.min_confidence
                and self.min_width_px <= width <= self.max_width_frac * min(w, h)
            )
            cand = FacePresence(present, round(conf, 3), width, (x0, y0, x1 - x0, y1 - y0))
            # Prefer a qualifying face; among equals, the more confident, then the wider.
            if best is None or (cand.present, cand.confidence, cand.width_px) > (
                best.present, best.confidence, best.width_px
            ):
                best = cand
        return best or NO_FACE


class FaceDetector(_ScaledDetector):
    """yuface (YuNet family) face-presence detector; confidence is yuface's score / 100."""

    def _candidates(
        self, image: np.ndarray, min_face_px: int
    ) -> list[tuple[float, int, int, int, int]]:
        if image.ndim == 2:
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        # yuface ignores strides: a non-contiguous view gives wrong boxes silently.
        rows = yuface.c_detect(np.ascontiguousarray(image))
        return [(int(r[0]) / 100.0, int(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in rows]


class HaarFaceDetector(_ScaledDetector):
    """OpenCV Haar cascade baseline (frontalface_alt2 by default); kept for the benchmark.

    Haar has no calibrated score: confidence is min(1, neighbours / 10), so the default 0.6
    means at least 6 overlapping raw detections. OpenCV 5 removed cascades (pin opencv < 5).
    A CascadeClassifier must not be shared between threads, so each thread gets its own.
    """

    def __init__(self, *args: Any, cascade: str = "haarcascade_frontalface_alt2.xml",
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cascade_file = cv2.data.haarcascades + cascade
        if cv2.CascadeClassifier(self.cascade_file).empty():
            raise FileNotFoundError(self.cascade_file)
        self._local = threading.local()

    def _candidates(
        self, image: np.ndarray, min_face_px: int
    ) -> list[tuple[float, int, int, int, int]]:
        cascade = getattr(self._local, "cascade", None)
        if cascade is None:
            cascade = self._local.cascade = cv2.CascadeClassifier(self.cascade_file)
        gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        rects, neighbours = cascade.detectMultiScale2(
            cv2.equalizeHist(gray), scaleFactor=1.1, minNeighbors=1,
            minSize=(min_face_px, min_face_px),
        )
        return [
            (min(1.0, int(n) / 10.0), int(x), int(y), int(bw), int(bh))
            for (x, y, bw, bh), n in zip(rects, neighbours)
        ]
