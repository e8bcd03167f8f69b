"""Face-presence detector (media/face_detector.py) and its benchmark CLI (bench/faces.py)."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest
from skimage import data

from media.face_detector import FaceDetector, FacePresence

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def det() -> FaceDetector:
    return FaceDetector()


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    """512x512 BGR portrait; the face is about 88 px wide."""
    return np.ascontiguousarray(data.astronaut()[:, :, ::-1])


def covered(img: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """Flat grey box over the face with a 25 % margin (a hand or a sticker on the camera)."""
    x, y, w, h = box
    m = w // 4
    out = img.copy()
    out[max(0, y - m): y + h + m, max(0, x - m): x + w + m] = 128
    return out


def small_face(img: np.ndarray, face_width: int = 30) -> np.ndarray:
    """160x120 frame holding the portrait shrunk so the face is about `face_width` px wide."""
    s = face_width / 88
    sm = cv2.resize(img, None, fx=s, fy=s, interpolation=cv2.INTER_AREA)[:120, :160]
    frame = np.full((120, 160, 3), 100, np.uint8)
    frame[: sm.shape[0], : sm.shape[1]] = sm
    return frame


def test_real_face_present(det: FaceDetector, astronaut: np.ndarray) -> None:
    r = det.detect(astronaut)
    assert r.present and r.confidence >= 0.6 and r.width_px >= 40
    x, y, w, _h = r.box
    assert 150 < x < 210 and 40 < y < 90 and 70 < w < 110  # the face, not the flag or suit


def test_confidence_rule(astronaut: np.ndarray) -> None:
    r = FaceDetector(min_confidence=0.99).detect(astronaut)
    assert not r.present and 0.6 <= r.confidence < 0.99 and r.box is not None


def test_result_is_frozen(det: FaceDetector, astronaut: np.ndarray) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        det.detect(astronaut).present = False  # type: ignore[misc]


def test_covered_face_absent(det: FaceDetector, astronaut: np.ndarray) -> None:
    assert not det.detect(covered(astronaut, det.detect(astronaut).box)).present


def test_dark_frame_absent(det: FaceDetector) -> None:
    rng = np.random.default_rng(0)
    dark = np.clip(rng.normal(8, 3, (360, 640, 3)), 0, 255).astype(np.uint8)
    assert det.detect(dark) == FacePresence(False, 0.0, 0, None)


def test_heavily_blurred_frame_absent(det: FaceDetector, astronaut: np.ndarray) -> None:
    for frame in (astronaut, cv2.resize(astronaut, (360, 640)), cv2.resize(astronaut, (640, 360))):
        assert not det.detect(cv2.GaussianBlur(frame, (0, 0), 25)).present


def test_small_face_fails_width_rule_only(det: FaceDetector, astronaut: np.ndarray) -> None:
    frame = small_face(astronaut)
    r = det.detect(frame)
    assert not r.present
    assert r.confidence >= 0.6 and 20 <= r.width_px < 40  # seen, but too small
    assert FaceDetector(min_width_px=20).detect(frame).present


def test_downscaled_frame_keeps_native_width(astronaut: np.ndarray) -> None:
    det = FaceDetector()
    frame = cv2.resize(astronaut, (1024, 1024), interpolation=cv2.INTER_LINEAR)
    assert det.scale_for(1024, 1024) == 0.5  # floor: a 40 px face stays >= 20 px
    r = det.detect(frame)
    assert r.present and 150 < r.width_px < 200  # about twice the 512 px width


def test_gray_yuv_and_view_inputs(det: FaceDetector, astronaut: np.ndarray) -> None:
    assert det.detect(cv2.cvtColor(astronaut, cv2.COLOR_BGR2GRAY)).present
    assert det.detect_yuv420p(cv2.cvtColor(astronaut, cv2.COLOR_BGR2YUV_I420)).present
    # Non-contiguous views at a size that is not downscaled: yuface ignores strides.
    small = cv2.resize(astronaut, (300, 300), interpolation=cv2.INTER_AREA)
    canvas = np.zeros((400, 500, 3), np.uint8)
    canvas[:300, :300] = small
    assert det.detect(canvas[:300, :300]) == det.detect(small)
    rgb = np.ascontiguousarray(small[:, :, ::-1])
    assert det.detect(rgb[:, :, ::-1]) == det.detect(small)
    assert det.detect(small).present


def test_thread_safe(det: FaceDetector, astronaut: np.ndarray) -> None:
    frames = [astronaut, covered(astronaut, det.detect(astronaut).box)] * 4
    expected = [det.detect(f) for f in frames]
    got: dict[int, FacePresence] = {}

    def work(i: int) -> None:
        got[i] = det.detect(frames[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(frames))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [got[i] for i in range(len(frames))] == expected


def test_rejects_bad_input(det: FaceDetector) -> None:
    with pytest.raises(ValueError):
        det.detect(np.zeros((10, 10, 3), np.float32))
    with pytest.raises(ValueError):
        FaceDetector(min_confidence=1.5)


def test_bench_cli_json(tmp_path: Path, det: FaceDetector, astronaut: np.ndarray) -> None:
    pos, neg = tmp_path / "positives", tmp_path / "negatives"
    pos.mkdir()
    neg.mkdir()
    cv2.imwrite(str(pos / "astronaut.jpg"), astronaut)
    cv2.imwrite(str(pos / "astronaut_mirror.png"), astronaut[:, ::-1])
    cv2.imwrite(str(pos / "too_small.png"), small_face(astronaut))  # expected miss (FN)
    cv2.imwrite(str(neg / "covered.png"), covered(astronaut, det.detect(astronaut).box))
    cv2.imwrite(str(neg / "dark.png"), np.full((360, 640, 3), 6, np.uint8))
    cv2.imwrite(str(neg / "blurred.jpg"), cv2.GaussianBlur(astronaut, (0, 0), 25))
    out = subprocess.run(
        [sys.executable, "-m", "bench.faces", "--data", str(tmp_path), "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=True,
    )
    r = json.loads(out.stdout)
    assert r["detector"] == "yuface"
    assert (r["n_positives"], r["n_negatives"]) == (3, 3)
    assert (r["true_positives"], r["false_positives"], r["false_negatives"]) == (2, 0, 1)
    assert r["precision"] == 1.0 and r["recall"] == pytest.approx(2 / 3, abs=1e-3)
    assert r["misclassified"] == ["positives/too_small.png"]
    assert r["ms_per_image"] > 0
