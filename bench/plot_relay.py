"""Plot ``bench.relay`` results: server CPU, CPU per forwarded packet and worst received
frame rate against N, for Kvorum (analysis on and off), the naive relay and Janus.

    python -m bench.plot_relay results.jsonl -o docs/relay.png

The input holds ``bench.relay --json`` objects: one per line (JSON lines), a JSON
list, or an object with a ``results`` list. Points are the medians the benchmark
reports; with ``--repeat`` the bars span the runs' lowest and highest values.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import matplotlib.ticker


def load(path: Path) -> list[dict[str, Any]]:
    text = path.read_text()
    try:
        data = json.loads(text)
    except ValueError:
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    if isinstance(data, dict):
        data = data.get("results", [data])
    return list(data)


def series_name(result: dict[str, Any]) -> str:
    if result["mode"] == "naive":
        return "naive (MediaRelay + encoding sender per subscriber)"
    if result["mode"] == "janus":
        return "Janus 1.1.2 VideoRoom"
    return f"SFU, analysis {result.get('analysis', 'on')}"


STYLE = {
    "SFU, analysis on": dict(color="tab:blue", marker="o"),
    "SFU, analysis off": dict(color="tab:green", marker="s"),
    "Janus 1.1.2 VideoRoom": dict(color="tab:purple", marker="D"),
    "naive (MediaRelay + encoding sender per subscriber)": dict(color="tab:red", marker="^"),
}


def plot(results: list[dict[str, Any]], out: Path, title: str | None = None) -> None:
    groups: dict[str, dict[int, dict[str, Any]]] = defaultdict(dict)
    for result in results:
        groups[series_name(result)][int(result["participants"])] = result
    fig, (ax_cpu, ax_us, ax_fps) = plt.subplots(1, 3, figsize=(17, 6.4))
    for name in sorted(groups, key=lambda n: list(STYLE).index(n) if n in STYLE else 99):
        points = groups[name]
        ns = sorted(points)
        style = STYLE.get(name, {})
        for ax, key in ((ax_cpu, "server_cpu_cores"), (ax_fps, "received_fps_min"),
                        (ax_us, "cpu_us_per_forwarded_packet")):
            ys = [points[n][key] for n in ns]
            lo, hi = [], []
            for n, y in zip(ns, ys):
                runs = [r[key] for r in points[n].get("runs", []) if r.get(key) is not None]
                lo.append(y - min(runs) if runs else 0)
                hi.append(max(runs) - y if runs else 0)
            ax.errorbar(ns, ys, yerr=[lo, hi], label=name, capsize=3, linewidth=1.5, **style)
        for n in ns:
            if points[n].get("received_fps_median") == 0:
                ax_cpu.annotate("collapsed:\nno media flows", (n, points[n]["server_cpu_cores"]),
                                textcoords="offset points", xytext=(-70, -5), fontsize=7,
                                color=style.get("color"))
        children = [points[n].get("server_children_cpu_cores") or 0 for n in ns]
        if any(c > 0.005 for c in children):
            ax_cpu.plot(ns, [points[n]["server_cpu_cores"] + c for n, c in zip(ns, children)],
                        linestyle="--", linewidth=1, color=style.get("color"),
                        marker=style.get("marker"), fillstyle="none",
                        label=f"{name} + analysis worker")
    machine = next((r.get("machine") for r in results if r.get("machine")), {}) or {}
    cores = machine.get("nproc")
    ax_cpu.axhline(0.9, color="black", linestyle="--", linewidth=1,
                   label="floor: 0.9 cores at N=15, analysis on (with workers)")
    ax_cpu.axhline(0.6, color="grey", linestyle=":", linewidth=1,
                   label="aim: 0.6 cores (Janus forwarding alone)")
    if cores:
        ax_cpu.axhline(cores, color="tab:red", linestyle=":", linewidth=0.8,
                       label=f"all {cores} cores of the machine")
    ax_cpu.set_xlabel("participants (full mesh)")
    ax_cpu.set_ylabel("server process CPU (cores)")
    ax_cpu.set_title("Server CPU")
    ax_cpu.set_ylim(bottom=0)
    ax_cpu.grid(alpha=0.3)
    ax_cpu.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2)
    ax_us.axhline(20, color="black", linestyle="--", linewidth=1, label="floor: 20 us at N=15")
    ax_us.axhline(15, color="grey", linestyle=":", linewidth=1, label="aim: 15 us")
    ax_us.set_xlabel("participants (full mesh)")
    ax_us.set_ylabel("server CPU per forwarded packet (us)")
    ax_us.set_title("CPU per forwarded packet")
    ax_us.set_yscale("log")  # the naive relay is ~100x the others
    ax_us.set_yticks([10, 15, 20, 30, 50, 100, 200, 500, 1000, 2000])
    ax_us.yaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
    ax_us.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax_us.grid(alpha=0.3)
    ax_us.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2)
    ax_fps.axhline(14.5, color="black", linestyle="--", linewidth=1, label="floor: 14.5 fps")
    ax_fps.axhline(15, color="grey", linestyle=":", linewidth=1, label="published: 15 fps")
    ax_fps.set_xlabel("participants (full mesh)")
    ax_fps.set_ylabel("received fps, worst subscribed video track")
    ax_fps.set_title("Worst received frame rate")
    ax_fps.set_ylim(0, 16.5)
    ax_fps.grid(alpha=0.3)
    ax_fps.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2)
    for ax in (ax_cpu, ax_us, ax_fps):
        all_ns = sorted({int(r["participants"]) for r in results})
        ax.set_xticks(all_ns)
    sub = title or "Kvorum relay benchmark: 640x360 15 fps VP8 + Opus per participant, loopback"
    if machine:
        sub += (f"\n{machine.get('nproc')} x {machine.get('cpu_model', '')}, "
                f"aiortc {machine.get('aiortc', '')}")
    fig.suptitle(sub, fontsize=10)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)


COLUMNS = [
    ("N", "participants", "{}"),
    ("server CPU (cores)", "server_cpu_cores", "{:.2f}"),
    ("event loop / other threads / kernel", None, None),
    ("analysis worker (cores)", "server_children_cpu_cores", "{:.2f}"),
    ("in pkt/s per publisher", "inbound_packets_per_s_per_publisher", "{:.0f}"),
    ("forwarded pkt/s", "forwarded_packets_per_s", "{:.0f}"),
    ("CPU per fwd packet (us)", "cpu_us_per_forwarded_packet", "{:.1f}"),
    ("latency p50 / p95 (ms)", None, None),
    ("fps min / median", None, None),
    ("subs < 14 fps", "subscriptions_below_14_fps", "{}"),
    ("client CPU (cores per process)", None, None),
    ("others' CPU (cores)", "other_processes_cpu_cores", "{:.2f}"),
    ("Kvorum / Janus: CPU, CPU with workers, per packet", None, None),
]


def _cell(result: dict[str, Any], header: str, key: str | None, fmt: str | None) -> str:
    if key is not None:
        value = result.get(key)
        if isinstance(value, list):
            return " / ".join("-" if v is None else fmt.format(v) for v in value)  # type: ignore[union-attr]
        return "-" if value is None else fmt.format(value)  # type: ignore[union-attr]
    if header.startswith("event loop"):
        return (f"{result['server_cpu_cores_event_loop']:.2f} / "
                f"{result['server_cpu_cores_other_threads']:.2f} / "
                f"{result['server_cpu_cores_kernel']:.2f}")
    if header.startswith("latency"):
        p50, p95 = result.get("relay_latency_ms_p50"), result.get("relay_latency_ms_p95")
        return "n/a" if p50 is None else f"{p50:.2f} / {p95:.2f}"
    if header.startswith("fps"):
        return f"{result['received_fps_min']:.1f} / {result['received_fps_median']:.1f}"
    if header.startswith("Kvorum / Janus"):
        ratios = [result.get(k) for k in ("cpu_ratio_to_janus", "cpu_with_workers_ratio_to_janus",
                                           "us_per_packet_ratio_to_janus")]
        return "-" if ratios[0] is None else " / ".join(
            "-" if r is None else f"{r:.2f}" for r in ratios)
    if header.startswith("client CPU"):
        cpu = result["client_cpu_cores"]
        # with --repeat the median run's list is not defined: show the first run's
        if cpu and isinstance(cpu[0], list):
            cpu = cpu[0]
        return " + ".join(f"{c:.2f}" for c in cpu)
    return ""


def markdown(results: list[dict[str, Any]]) -> str:
    """One markdown table per series (mode and analysis), rows by N."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for result in results:
        groups[series_name(result)].append(result)
    out = []
    for name in sorted(groups, key=lambda n: list(STYLE).index(n) if n in STYLE else 99):
        rows = sorted(groups[name], key=lambda r: int(r["participants"]))
        out.append(f"**{name}**\n")
        out.append("| " + " | ".join(h for h, _, _ in COLUMNS) + " |")
        out.append("|" + "---|" * len(COLUMNS))
        for r in rows:
            out.append("| " + " | ".join(_cell(r, h, k, f) for h, k, f in COLUMNS) + " |")
        out.append("")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.plot_relay", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("results", type=Path, help="bench.relay --json output(s)")
    p.add_argument("-o", "--output", type=Path, default=Path("docs/relay.png"))
    p.add_argument("--title", default=None)
    p.add_argument("--markdown", action="store_true",
                   help="also print the figures as markdown tables "
                   "(for docs/benchmarks.md, section Relay)")
    args = p.parse_args(argv)
    results = load(args.results)
    plot(results, args.output, args.title)
    if args.markdown:
        print(markdown(results))
    else:
        print(args.output)


if __name__ == "__main__":
    main(sys.argv[1:])
