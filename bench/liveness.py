"""Liveness benchmark: false alarms on people sitting still, misses on a photo held still.

    python -m bench.liveness [--data /work/shared/face-eval] [--faces 6] [--seconds 60] --json

What it measures: the "possibly a still image" warning of the equal-terms monitor
(`compliance/monitor.py`, `QualityRules.still_window_s` / `still_max_movement`), fed exactly
as in the server: each clip is encoded with VP8 at a browser's bitrate, decoded, and at
`face_sample_hz` the newest picture goes through the face detector and the face tracker of
the analysis worker (`media/face_detector.py`, `media/face_motion.py`); the samples go into
the monitor with the clip's time.

The material is synthetic, made from real face photographs (scikit-image's astronaut and,
with --data, the first positives of the labelled face set), each placed in a 640x360 picture:
- "sitting still": the head sways as a seated person's does when keeping still: yaw, pitch
  and roll each a slow random process (Ornstein-Uhlenbeck, time constant 3 s) with a
  standard deviation of `--sway-deg` degrees (quiet sitting: up to about 1 degree, Peeters'
  thesis on head movement; 0.25 is a person keeping very still), turning about a pivot
  10 cm behind the face, plus 0.5 mm of breathing at 15 breaths a minute, plus camera noise.
- "photo": the same photograph perfectly still, with camera noise of `--noise` grey levels
  (standard deviation) and a slow 1 % exposure drift, as a printed photo propped in front
  of a webcam looks.
A false alarm is a "sitting still" clip that ever got the warning; a miss is time after the
first full window during which a "photo" clip did not have it.
Reported per condition: clips warned, share of the time warned, and the movement the rule
measured (the smallest and the median, over every full window, as a share of face width).
"""

from __future__ import annotations

import argparse
import fractions
import json
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np

from compliance.monitor import EqualTermsMonitor, StillImageChanged
from compliance.profile import QualityRules
from compliance.samples import FaceSample
from media.face_detector import FaceDetector
from media.face_motion import FaceMotion

WIDTH, HEIGHT, FPS = 640, 360, 15
BITRATE = 500_000  # what a browser sends at 640x360 on a good link
FACE_MM = 150.0  # a face is about 15 cm wide
PIVOT_MM = 100.0  # the head turns about a point about 10 cm behind the face


@dataclass(frozen=True)
class Condition:
    name: str
    live: bool
    sway_deg: float = 0.0
    noise: float = 2.0


def scene(photo: np.ndarray) -> np.ndarray:
    """The photograph (RGB) scaled to the picture's height, centred on a grey wall,
    with some margin so that a moving head never leaves it."""
    h = int(HEIGHT * 0.9)
    w = int(photo.shape[1] * h / photo.shape[0])
    wall = np.full((HEIGHT + 80, WIDTH + 80, 3), 128, np.uint8)
    small = cv2.resize(photo, (min(w, WIDTH), h), interpolation=cv2.INTER_AREA)
    y0, x0 = (wall.shape[0] - small.shape[0]) // 2, (wall.shape[1] - small.shape[1]) // 2
    wall[y0 : y0 + small.shape[0], x0 : x0 + small.shape[1]] = small
    return wall


def _slow_random(n: int, sigma: float, rng: np.random.Generator, tau_s: float = 3.0
                 ) -> np.ndarray:
    """An Ornstein-Uhlenbeck process sampled at FPS with standard deviation sigma."""
    a = np.exp(-1 / (FPS * tau_s))
    x = np.empty(n)
    x[0] = sigma * rng.standard_normal()
    noise = sigma * np.sqrt(1 - a * a) * rng.standard_normal(n)
    for i in range(1, n):
        x[i] = a * x[i - 1] + noise[i]
    return x


def pictures(wall: np.ndarray, condition: Condition, seconds: float, face_px: float,
             rng: np.random.Generator) -> Iterator[np.ndarray]:
    """The clip's RGB pictures."""
    n = int(seconds * FPS)
    px_per_mm = face_px / FACE_MM
    t = np.arange(n) / FPS
    if condition.live:
        yaw, pitch, roll = (_slow_random(n, condition.sway_deg, rng) for _ in range(3))
        breath = 0.5 * np.sin(2 * np.pi * 0.25 * t + rng.uniform(0, 2 * np.pi))
        dx = np.radians(yaw) * PIVOT_MM * px_per_mm
        dy = (np.radians(pitch) * PIVOT_MM + breath) * px_per_mm
        gain = np.ones(n)
    else:
        dx = dy = roll = np.zeros(n)
        gain = 1 + _slow_random(n, 0.01, rng, tau_s=10.0)
    centre = (wall.shape[1] / 2, wall.shape[0] / 2)
    for i in range(n):
        m = cv2.getRotationMatrix2D(centre, float(roll[i]), 1.0)
        m[0, 2] += dx[i] - 40
        m[1, 2] += dy[i] - 40
        frame = cv2.warpAffine(wall, m, (WIDTH, HEIGHT), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
        frame = frame * gain[i] + rng.normal(0, condition.noise, frame.shape).astype(np.float32)
        yield np.clip(frame, 0, 255).astype(np.uint8)


def through_vp8(rgbs: Iterator[np.ndarray]) -> Iterator[av.VideoFrame]:
    """Encode as a browser would (VP8, real time) and decode as the analysis worker does."""
    encoder = av.CodecContext.create("libvpx", "w")
    encoder.width, encoder.height, encoder.pix_fmt = WIDTH, HEIGHT, "yuv420p"
    encoder.time_base = fractions.Fraction(1, FPS)
    encoder.framerate = fractions.Fraction(FPS, 1)
    encoder.bit_rate = BITRATE
    encoder.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
    decoder = av.CodecContext.create("vp8", "r")
    for i, rgb in enumerate(rgbs):
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
        frame.pts = i
        for packet in encoder.encode(frame):
            yield from decoder.decode(av.Packet(bytes(packet)))


def run_clip(wall: np.ndarray, condition: Condition, seconds: float, seed: int,
             detector: FaceDetector, rules: QualityRules) -> dict[str, Any] | None:
    """One clip through detector, tracker and monitor; None if no face is found in it."""
    first = detector.detect(cv2.cvtColor(wall[40:-40, 40:-40], cv2.COLOR_RGB2BGR))
    if not first.present:
        return None
    rng = np.random.default_rng(seed)
    monitor = EqualTermsMonitor(rules)
    monitor.set_participant("p", name="P", deciding=True, remote=True, now=0.0)
    motion = FaceMotion()
    step = round(FPS / rules.face_sample_hz)
    warned_at: list[tuple[float, bool]] = []
    positions: list[tuple[float, float, float, int] | None] = []
    motion_ms: list[float] = []
    frames = through_vp8(pictures(wall, condition, seconds, first.width_px, rng))
    for i, frame in enumerate(frames):
        if i % step:
            continue
        at = i / FPS
        yuv = frame.to_ndarray(format="yuv420p")
        result = detector.detect_yuv420p(yuv)
        position = None
        if result.present and result.box is not None:
            t0 = time.perf_counter()
            position = motion.update(yuv[:HEIGHT], result.box)
            motion_ms.append((time.perf_counter() - t0) * 1000)
        else:
            motion.reset()
        positions.append((at, *position, result.width_px) if position else None)
        monitor.feed("p", FaceSample(at, result.present, result.confidence, result.width_px,
                                     position))
        for event in monitor.tick(at):
            if isinstance(event, StillImageChanged):
                warned_at.append((at, event.still))
    return {"warned_s": _warned_seconds(warned_at, seconds, rules.still_window_s),
            "first_warning_s": next((t for t, still in warned_at if still), None),
            "movements": _window_movements(positions, rules),
            "face_px": first.width_px, "motion_ms": statistics.median(motion_ms or [0.0])}


def _warned_seconds(changes: list[tuple[float, bool]], seconds: float, window: float) -> float:
    """Seconds with the warning on, counted from the first full window."""
    total, since = 0.0, None
    for at, still in changes:
        if still and since is None:
            since = at
        elif not still and since is not None:
            total, since = total + at - since, None
    if since is not None:
        total += seconds - since
    return total


def _window_movements(positions: list[tuple[float, float, float, int] | None],
                      rules: QualityRules) -> list[float]:
    """The rule's movement (range of position / face width) over every full window with a
    face in every look."""
    n = int(rules.still_window_s * rules.face_sample_hz)
    out = []
    for start in range(0, len(positions) - n + 1):
        window = positions[start : start + n]
        if any(p is None for p in window):
            continue
        xs = [p[1] for p in window if p]
        ys = [p[2] for p in window if p]
        width = statistics.median(p[3] for p in window if p)
        out.append(max(max(xs) - min(xs), max(ys) - min(ys)) / width)
    return out


def face_photos(data: Path | None, count: int) -> list[tuple[str, np.ndarray]]:
    """scikit-image's astronaut, then the first positives of the labelled set (RGB)."""
    from skimage import data as samples

    photos = [("skimage:astronaut", samples.astronaut())]
    if data is not None:
        for path in sorted((data / "positives").glob("*.jpg"))[: max(0, count - 1)]:
            image = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if image is not None:
                photos.append((path.name, cv2.cvtColor(image, cv2.COLOR_BGR2RGB)))
    return photos[:count]


CONDITIONS = [
    Condition("sitting still, sway 0.25 deg", live=True, sway_deg=0.25),
    Condition("sitting still, sway 0.5 deg", live=True, sway_deg=0.5),
    Condition("sitting still, sway 1 deg", live=True, sway_deg=1.0),
    Condition("photo, camera noise 1", live=False, noise=1.0),
    Condition("photo, camera noise 2", live=False, noise=2.0),
    Condition("photo, camera noise 4", live=False, noise=4.0),
]


def run(data: Path | None, faces: int, seconds: float, rules: QualityRules,
        progress: bool = True) -> dict[str, Any]:
    detector = FaceDetector(min_confidence=rules.face_min_confidence,
                            min_width_px=rules.face_min_width_px)
    photos = face_photos(data, faces)
    rows = []
    motion_ms: list[float] = []
    for condition in CONDITIONS:
        clips = []
        for seed, (name, photo) in enumerate(photos):
            clip = run_clip(scene(photo), condition, seconds, seed, detector, rules)
            if clip is None:
                continue
            clips.append(clip)
            motion_ms.append(clip["motion_ms"])
            if progress:
                print(f"{condition.name:32} {name:20} warned {clip['warned_s']:5.1f} s, "
                      f"movement min {min(clip['movements'], default=float('nan')):.4f}",
                      flush=True)
        judged = seconds - rules.still_window_s
        movements = [m for c in clips for m in c["movements"]]
        warned = [c for c in clips if c["first_warning_s"] is not None]
        rows.append({
            "condition": condition.name, "live": condition.live, "clips": len(clips),
            "clips_warned": len(warned),
            "share_of_time_warned": round(
                sum(c["warned_s"] for c in clips) / (judged * len(clips)), 3) if clips else None,
            "movement_min": round(min(movements), 4) if movements else None,
            "movement_median": round(statistics.median(movements), 4) if movements else None,
            "face_px_median": statistics.median(c["face_px"] for c in clips) if clips else None,
        })
    live = [r for r in rows if r["live"]]
    still = [r for r in rows if not r["live"]]
    return {
        "rule": {"still_window_s": rules.still_window_s,
                 "still_max_movement": rules.still_max_movement,
                 "face_sample_hz": rules.face_sample_hz},
        "seconds_per_clip": seconds, "photos": [name for name, _ in photos],
        "false_alarm_clips": sum(r["clips_warned"] for r in live),
        "live_clips": sum(r["clips"] for r in live),
        "missed_share_of_time": round(1 - statistics.mean(
            r["share_of_time_warned"] for r in still if r["clips"]), 3) if still else None,
        "photo_clips": sum(r["clips"] for r in still),
        "tracker_ms_per_look": round(statistics.median(motion_ms or [0.0]), 3),
        "conditions": rows,
    }


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.liveness", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=None,
                   help="labelled face set (positives/): more real faces than the astronaut")
    p.add_argument("--faces", type=int, default=6, help="how many face photographs")
    p.add_argument("--seconds", type=float, default=60.0, help="length of each clip")
    p.add_argument("--json", action="store_true", help="print one JSON object at the end")
    args = p.parse_args(argv)
    result = run(args.data, args.faces, args.seconds, QualityRules(), progress=True)
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
