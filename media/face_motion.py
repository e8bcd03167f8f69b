"""Face motion: where exactly a detected face is, to a fraction of a pixel, detection by detection.

The liveness signal (a live person, not a picture of one) needs to know whether a face moves
at all. The detector's boxes and landmarks are too coarse for that: they come in whole pixels
of the downscaled picture and jitter by one of them on a perfectly still photo, which is more
than a person sitting still moves. Instead the face region of each new picture is compared
with the same region of a reference picture by phase correlation (OpenCV), with all the
region's pixels voting: a still face reads still to within about 0.1 pixel through camera
noise, and a moved one is found to within about a third of a pixel (tests/test_liveness.py).

The tracker keeps one reference per stream and re-anchors it when the face has moved far or
was lost; positions stay continuous across a re-anchoring.
"""

from __future__ import annotations

import cv2
import numpy as np

CROP_PX = 64  # the face region is compared at this size (cheap: one 64x64 FFT pair)
REANCHOR_SHARE = 0.2  # a shift of a fifth of the face's width: take a new reference


class FaceMotion:
    """Sub-pixel position of one stream's face, from the luma plane and the detector's box."""

    def __init__(self) -> None:
        self._reference: np.ndarray | None = None
        self._box: tuple[int, int, int, int] | None = None  # the reference's region
        self._origin = (0.0, 0.0)  # the face's position when the reference was taken
        self._window = cv2.createHanningWindow((CROP_PX, CROP_PX), cv2.CV_32F)

    def reset(self) -> None:
        self._reference = self._box = None

    def update(self, luma: np.ndarray, box: tuple[int, int, int, int]) -> tuple[float, float]:
        """The face's position (x, y) in native pixels, given the picture's luma plane and
        the detector's box for the face in it."""
        if self._reference is None or self._box is None or not _overlaps(self._box, box):
            return self._anchor(luma, box, (float(box[0]), float(box[1])))
        crop = self._crop(luma, self._box)
        # OpenCV 4.14 applies the window to both inputs in place: hand it a copy.
        (dx, dy), _response = cv2.phaseCorrelate(self._reference.copy(), crop, self._window)
        # The region was resized to CROP_PX square: back to native pixels on each axis.
        position = (self._origin[0] + dx * self._box[2] / CROP_PX,
                    self._origin[1] + dy * self._box[3] / CROP_PX)
        if max(abs(dx), abs(dy)) > REANCHOR_SHARE * CROP_PX:
            return self._anchor(luma, box, position)
        return position

    def _anchor(self, luma: np.ndarray, box: tuple[int, int, int, int],
                position: tuple[float, float]) -> tuple[float, float]:
        self._box, self._origin = box, position
        self._reference = self._crop(luma, box)
        return position

    @staticmethod
    def _crop(luma: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
        x, y, w, h = box
        region = luma[y : y + h, x : x + w]
        return cv2.resize(region, (CROP_PX, CROP_PX), interpolation=cv2.INTER_AREA).astype(
            np.float32)


def _overlaps(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    """Whether two boxes share at least half of the smaller one (the same face)."""
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    if x1 <= x0 or y1 <= y0:
        return False
    return (x1 - x0) * (y1 - y0) >= 0.5 * min(a[2] * a[3], b[2] * b[3])
