"""``python -m bench.metrics_overhead``: what per-task metrics cost on B1 and B2 (issue 12).

The same sluice worker runs each workload twice per round, with task metrics counted (the
default) and with ``sluice.task.metrics.enable=false``, the rounds interleaved so that load
from elsewhere on the machine falls on both. It prints records/s of each and the overhead
``1 - on/off`` per workload; the target is under 3 %.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import report
from bench.inputs import Inputs
from bench.kafka_ops import bench_broker
from bench.profiles import PROFILES
from bench.progress import Progress
from bench.sides import SluiceSide
from bench.workloads import BenchContext, plan

__all__ = ["main"]

WORKLOADS = ("B1-100B", "B1-1KB", "B2-100B", "B2-1KB")
TARGET = 0.03


class MetricsOffSide(SluiceSide):
    """sluice with per-task counting switched off: the baseline the overhead is taken from."""

    name = "sluice_metrics_off"
    label = "sluice (task metrics off)"

    def side_worker_props(self) -> dict[str, str]:
        return {**super().side_worker_props(), "sluice.task.metrics.enable": "false"}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.metrics_overhead", description=__doc__)
    p.add_argument("--quick", action="store_true", help="a tenth of the issue's sizes")
    p.add_argument("--runs", type=int, default=3, help="measured rounds (default 3)")
    p.add_argument("--only", default=",".join(WORKLOADS), help="workload ids")
    p.add_argument("--bootstrap", help="use this broker instead of starting one")
    p.add_argument("--port", type=int, default=19092, help="port of the bench broker")
    p.add_argument("--cache-dir", type=Path, default=Path(".cache/bench"))
    p.add_argument("--results-dir", type=Path, default=Path("bench/results"))
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    progress = Progress()
    cache = args.cache_dir.resolve()
    cache.mkdir(parents=True, exist_ok=True)
    wanted = [w.strip() for w in args.only.split(",") if w.strip()]
    results: dict[str, Any] = {}
    with bench_broker(args.bootstrap, args.port, cache, progress) as broker:
        ctx = BenchContext(
            broker, Inputs(cache, broker, progress), PROFILES["default"], cache / "runs", progress
        )
        sides = [SluiceSide(), MetricsOffSide()]
        for side in sides:
            side.prepare()
        for workload in plan(0.1 if args.quick else 1.0):
            if workload.id not in wanted:
                continue
            rates: dict[str, list[float]] = {s.name: [] for s in sides}
            for label in ["warmup1", *[f"run{i + 1}" for i in range(args.runs)]]:
                for side in sides:
                    result = workload.run(ctx, side, label)
                    progress.done(
                        f"{workload.id} {side.label} {label}: {result.records_per_s:,.0f} records/s"
                    )
                    if label.startswith("run"):
                        rates[side.name].append(result.records_per_s)
            on = statistics.median(rates["sluice"])
            off = statistics.median(rates["sluice_metrics_off"])
            results[workload.id] = {
                "metrics_on_records_per_s": round(on, 1),
                "metrics_off_records_per_s": round(off, 1),
                "overhead": round(1 - on / off, 4),
                "runs_on": [round(r, 1) for r in rates["sluice"]],
                "runs_off": [round(r, 1) for r in rates["sluice_metrics_off"]],
            }
    print(f"{'workload':<10}{'metrics on':>14}{'metrics off':>14}{'overhead':>10}")
    for wid, r in results.items():
        flag = "" if r["overhead"] < TARGET else "  (over the 3 % target)"
        print(
            f"{wid:<10}{r['metrics_on_records_per_s']:>14,.0f}"
            f"{r['metrics_off_records_per_s']:>14,.0f}{r['overhead']:>10.1%}{flag}"
        )
    out = args.results_dir / "metrics-overhead.json"
    report.write_json(out, results)
    print(f"results: {out}")
    return 0 if results else 1


if __name__ == "__main__":
    sys.exit(main())
