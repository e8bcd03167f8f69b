"""A live person, not a picture of one: the face tracker and the monitor's still-image rule
on real pixels (a real face photograph, VP8-coded as a browser sends it), in short clips.

The figures over long clips and many faces come from `python -m bench.liveness`
(docs/benchmarks.md); the rule itself is tested with fake time in tests/test_monitor.py.
"""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np
import pytest
from skimage import data

from bench.liveness import Condition, run_clip, scene
from compliance.profile import QualityRules
from media.face_detector import FaceDetector
from media.face_motion import FaceMotion

RULES = dataclasses.replace(QualityRules(), still_window_s=6.0)  # short clips, same rule


@pytest.fixture(scope="module")
def detector() -> FaceDetector:
    return FaceDetector()


def test_a_photo_held_still_is_warned_about_after_one_window(detector: FaceDetector) -> None:
    clip = run_clip(scene(data.astronaut()), Condition("photo", live=False, noise=2.0),
                    seconds=9.0, seed=1, detector=detector, rules=RULES)
    assert clip is not None
    assert clip["first_warning_s"] == pytest.approx(6.5, abs=0.6)
    assert max(clip["movements"]) < RULES.still_max_movement


def test_a_person_keeping_still_is_not(detector: FaceDetector) -> None:
    clip = run_clip(scene(data.astronaut()), Condition("live", live=True, sway_deg=0.5),
                    seconds=9.0, seed=1, detector=detector, rules=RULES)
    assert clip is not None
    assert clip["first_warning_s"] is None
    assert min(clip["movements"]) > RULES.still_max_movement


def test_the_tracker_finds_a_known_shift_to_a_fraction_of_a_pixel() -> None:
    rng = np.random.default_rng(0)
    luma = cv2.cvtColor(scene(data.astronaut()), cv2.COLOR_RGB2GRAY).astype(np.float32)
    box = (310, 98, 54, 68)  # the detector's box for the face in this picture

    def picture(dx: float, dy: float) -> np.ndarray:
        """The picture moved by (dx, dy) pixels, with camera noise."""
        m = np.float32([[1, 0, dx], [0, 1, dy]])
        moved = cv2.warpAffine(luma, m, (luma.shape[1], luma.shape[0]), flags=cv2.INTER_CUBIC)
        return np.clip(moved + rng.normal(0, 2, luma.shape), 0, 255).astype(np.uint8)

    motion = FaceMotion()
    x0, y0 = motion.update(picture(0, 0), box)
    for _ in range(5):  # a still picture reads still, camera noise and all
        x, y = motion.update(picture(0, 0), box)
        assert abs(x - x0) < 0.1 and abs(y - y0) < 0.1
    for dx, dy in ((0.3, 0.0), (1.0, -0.5), (-2.5, 1.5), (8.0, 3.0)):  # the last re-anchors
        x, y = motion.update(picture(dx, dy), box)
        assert (x - x0, y - y0) == (pytest.approx(dx, abs=0.35), pytest.approx(dy, abs=0.35))
