"""``python -m bench.relay`` runs end to end and reports sane figures (N=2, 3 s, SFU)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

FIELDS = (
    "participants", "mode", "seconds", "server_cpu_cores", "forwarded_packets_per_s",
    "relay_latency_ms_p50", "relay_latency_ms_p95", "received_fps_min", "received_fps_median",
    "cpu_us_per_forwarded_packet", "video_subscriptions", "client_cpu_cores",
)


def test_relay_benchmark_prints_one_json_object_with_sane_figures() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bench.relay", "--participants", "2", "--seconds", "3",
         "--settle", "1", "--json", "--idle-timeout", "0", "--retries", "0"],
        cwd=ROOT, capture_output=True, text=True, timeout=90,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one JSON line, got: {proc.stdout[-2000:]}"
    result = json.loads(lines[0])
    missing = [f for f in FIELDS if f not in result]
    assert not missing, f"missing fields {missing}"
    assert result["participants"] == 2
    assert result["mode"] == "sfu"
    assert 2.5 <= result["seconds"] <= 4
    assert result["video_subscriptions"] == 2  # each of 2 participants sees the other
    assert result["forwarded_packets_per_s"] > 0
    assert result["received_fps_min"] > 5
    assert result["received_fps_median"] >= result["received_fps_min"]
    assert result["received_fps_median"] < 20  # 15 fps published: no phantom frames
    assert result["server_cpu_cores"] > 0
    assert result["cpu_us_per_forwarded_packet"] > 0
    p50, p95 = result["relay_latency_ms_p50"], result["relay_latency_ms_p95"]
    assert p50 is not None and p95 is not None
    assert 0 < p50 <= p95 < 1000


def test_without_janus_the_baseline_says_how_to_install_it(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": str(tmp_path)}  # no janus (and nothing else) on the PATH
    proc = subprocess.run(
        [sys.executable, "-m", "bench.relay", "--baseline", "janus", "-n", "2", "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 2
    assert "apt-get install -y janus" in proc.stderr
    assert "not installed" in json.loads(proc.stdout)["error"]


@pytest.mark.skipif(shutil.which("janus") is None,
                    reason="Janus is installed for the benchmark only: apt-get install -y janus")
def test_janus_baseline_runs_the_same_participants_through_janus_videoroom() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bench.relay", "--baseline", "janus", "--participants", "2",
         "--seconds", "3", "--settle", "1", "--json", "--idle-timeout", "0", "--retries", "0"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["mode"] == "janus"
    assert result["video_subscriptions"] == 2
    assert result["received_fps_min"] > 5
    assert result["server_cpu_cores"] > 0  # the janus process, not this one
    assert result["forwarded_packets_per_s"] > 0
    assert result["relay_latency_ms_p50"] is None
