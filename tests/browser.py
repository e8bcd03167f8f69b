"""Headless Chromium (Debian's /usr/bin/chromium) with a fake camera showing a real face."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def write_face_y4m(path: Path, width: int = 640, height: int = 360, frames: int = 50) -> Path:
    """A Y4M clip of scikit-image's astronaut photo (public domain), gently panning,
    for Chromium's --use-file-for-fake-video-capture."""
    import cv2
    from skimage import data

    photo = data.astronaut()  # 512x512 RGB, a real face
    scale = width / photo.shape[1]
    big = cv2.resize(photo, (width, int(photo.shape[0] * scale)))
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F25:1 Ip A1:1 C420jpeg\n".encode())
        for i in range(frames):
            top = int((big.shape[0] - height) * (0.2 + 0.1 * np.sin(i / frames * 2 * np.pi)))
            rgb = np.ascontiguousarray(big[top : top + height])
            yuv = cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420)
            out.write(b"FRAME\n" + yuv.tobytes())
    return path


def chromium_args(y4m: Path | None) -> list[str]:
    args = [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        "--allow-loopback-in-peer-connection",
        "--disable-features=WebRtcHideLocalIpsWithMdns",
        "--autoplay-policy=no-user-gesture-required",
    ]
    if y4m is not None:
        args.append(f"--use-file-for-fake-video-capture={y4m}")
    return args
