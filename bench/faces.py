"""Face-presence benchmark: precision, recall and time per image on a labelled folder.

    python -m bench.faces --data /work/shared/face-eval --json [--detector yuface|haar]

DIR holds `positives/` (one visible face each) and `negatives/` (no face); images may be any
size. Only `detect()` is timed (decoding the file is not); ms is the median wall time per image,
cpu_ms the median process CPU time (yuface runs libgomp threads, so cpu_ms > ms on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import cv2

from media.face_detector import FaceDetector, HaarFaceDetector

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}
DETECTORS = {"yuface": FaceDetector, "haar": HaarFaceDetector}


def list_images(data: Path) -> list[tuple[str, bool]]:
    """(path relative to `data`, is_positive) for every image under positives/ and negatives/."""
    items: list[tuple[str, bool]] = []
    for sub, label in (("positives", True), ("negatives", False)):
        folder = data / sub
        if not folder.is_dir():
            raise SystemExit(f"missing folder: {folder}")
        for p in sorted(folder.rglob("*")):
            if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES:
                items.append((p.relative_to(data).as_posix(), label))
    return items


def run(data: Path, detector: str = "yuface", min_confidence: float = 0.6,
        min_width_px: int = 40, max_side: int = 320, cascade: str | None = None,
        progress: bool = True) -> dict[str, Any]:
    """Run one detector over `data` and return the result dict printed by --json."""
    kwargs: dict[str, Any] = {"cascade": cascade} if detector == "haar" and cascade else {}
    det = DETECTORS[detector](min_confidence=min_confidence, min_width_px=min_width_px,
                              max_side=max_side, **kwargs)
    items = list_images(data)
    tp = fp = fn = tn = 0
    wall: list[float] = []
    cpu: list[float] = []
    misclassified: list[str] = []
    for i, (name, positive) in enumerate(items, 1):
        image = cv2.imread(str(data / name), cv2.IMREAD_COLOR)
        if image is None:
            print(f"warning: cannot read {name}, skipped", file=sys.stderr)
            continue
        c0, t0 = time.process_time(), time.perf_counter()
        present = det.detect(image).present
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        if positive and present:
            tp += 1
        elif positive:
            fn += 1
            misclassified.append(name)
        elif present:
            fp += 1
            misclassified.append(name)
        else:
            tn += 1
        if progress and (i % 50 == 0 or i == len(items)):
            print(f"{detector}: {i}/{len(items)}", file=sys.stderr)
    return {
        "detector": detector + (f":{cascade}" if kwargs else ""),
        "min_confidence": min_confidence,
        "min_width_px": min_width_px,
        "max_side": max_side,
        "n_positives": tp + fn,
        "n_negatives": fp + tn,
        "precision": round(tp / (tp + fp), 4) if tp + fp else None,
        "recall": round(tp / (tp + fn), 4) if tp + fn else None,
        "true_positives": tp,
        "false_positives": fp,
        "false_negatives": fn,
        "ms_per_image": round(1000 * statistics.median(wall), 2) if wall else None,
        "cpu_ms_per_image": round(1000 * statistics.median(cpu), 2) if cpu else None,
        "misclassified": misclassified,
    }


def table(r: dict[str, Any]) -> str:
    """Short human-readable summary."""
    def fmt(v: float | None) -> str:
        return "n/a" if v is None else f"{v:.3f}"

    lines = [
        f"detector   {r['detector']} (confidence >= {r['min_confidence']}, "
        f"width >= {r['min_width_px']} px)",
        f"images     {r['n_positives']} positives, {r['n_negatives']} negatives",
        f"precision  {fmt(r['precision'])}   (TP {r['true_positives']}, "
        f"FP {r['false_positives']})",
        f"recall     {fmt(r['recall'])}   (FN {r['false_negatives']})",
        f"ms/image   {r['ms_per_image']} wall, {r['cpu_ms_per_image']} CPU (median)",
    ]
    if r["misclassified"]:
        lines.append("misclassified: " + ", ".join(r["misclassified"]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.faces", description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, required=True, help="folder with positives/, negatives/")
    ap.add_argument("--detector", choices=sorted(DETECTORS), default="yuface")
    ap.add_argument("--min-confidence", type=float, default=0.6)
    ap.add_argument("--min-width", type=int, default=40, help="min face width, native px")
    ap.add_argument("--max-side", type=int, default=320, help="downscale target, long side px")
    ap.add_argument("--cascade", help="haar only: file in cv2.data.haarcascades")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--quiet", action="store_true", help="no progress on stderr")
    a = ap.parse_args(argv)
    result = run(a.data, a.detector, a.min_confidence, a.min_width, a.max_side, a.cascade,
                 progress=not a.quiet)
    print(json.dumps(result) if a.json else table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
