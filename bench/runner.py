"""The bench from start to finish: broker, inputs, B0, then B1-B4 on both sides, then reports.

Each workload runs its warm-up runs first, then the measured runs with the sides interleaved
(sluice, Java, sluice, Java, ...) so that a burst of load from elsewhere on the machine does not
land on one side only. A failed run is reported and the bench goes on.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import distributed, raw, report
from bench.inputs import Inputs
from bench.java_connect import JavaSide
from bench.kafka_ops import Broker, bench_broker
from bench.profiles import PROFILES
from bench.progress import Progress
from bench.sides import Side, SluiceSide
from bench.workloads import FULL_SIZES, SIZE_BYTES, BenchContext, RunResult, Workload, plan
from sluice.devkafka import find_java, kafka_version

__all__ = ["Options", "run_bench"]

B0_IDS = ["B0-produce-100B", "B0-produce-1KB", "B0-consume-100B", "B0-consume-1KB"]


@dataclass
class Options:
    scale: float = 1.0
    runs: int = 3
    warmup: int = 1
    profile: str = "default"
    sides: list[str] = field(default_factory=lambda: ["sluice", "java"])
    only: list[str] = field(default_factory=list)
    bootstrap: str | None = None
    port: int = 19092
    cache_dir: Path = Path(".cache/bench")
    results_dir: Path = Path("bench/results")
    idle_seconds: float = 10.0
    min_rate: float = 1000.0
    java_plugin_discovery: str | None = None
    profile_sluice: bool = False
    settle_seconds: float = 60.0
    distributed_java_defaults: bool = False


def _selected(wid: str, only: list[str]) -> bool:
    return not only or any(wid == o or wid.startswith(o.rstrip("*")) for o in only)


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def _java_version() -> str:
    try:
        out = subprocess.run([find_java(), "-version"], capture_output=True, text=True, check=False)
        return out.stderr.splitlines()[0] if out.stderr else "?"
    except Exception as e:
        return f"? ({e})"


def _meta(opts: Options, bootstrap: str, profile_lines: list[str]) -> dict[str, Any]:
    return {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "scale": opts.scale,
        "runs": opts.runs,
        "warmup": opts.warmup,
        "profile": opts.profile,
        "client_settings": profile_lines,
        "bootstrap": bootstrap,
        "kafka_version": kafka_version(),
        "python": sys.version.split()[0],
        "java": _java_version(),
        "cpus": os.cpu_count(),
        "machine": platform.platform(),
        "load_at_start": _load(),
        "java_plugin_discovery": opts.java_plugin_discovery or "(Kafka's default)",
    }


class _Runner:
    def __init__(self, opts: Options, ctx: BenchContext, sides: list[Side]) -> None:
        self.opts = opts
        self.ctx = ctx
        self.sides = sides
        self.progress = ctx.progress
        self.loads: dict[str, list[str]] = {}

    def b0(self, results: dict[str, dict[str, Any]]) -> None:
        ctx = self.ctx
        for size_label in ("100B", "1KB"):
            size = SIZE_BYTES[size_label]
            count = max(1000, int(FULL_SIZES[size_label] * self.opts.scale))
            for mode in ("produce", "consume"):
                wid = f"B0-{mode}-{size_label}"
                if not _selected(wid, self.opts.only):
                    continue
                runs: list[raw.RawResult] = []
                errors: list[str] = []
                topic = ctx.inputs.lines_topic(size, count) if mode == "consume" else ""
                total = self.opts.warmup + self.opts.runs
                for i in range(total):
                    label = (
                        f"warmup{i + 1}"
                        if i < self.opts.warmup
                        else f"run{i + 1 - self.opts.warmup}"
                    )
                    run_dir = ctx.runs_dir / f"{wid}-{label}"
                    run_dir.mkdir(parents=True, exist_ok=True)
                    try:
                        if mode == "produce":
                            result = raw.run_producer_perf(
                                ctx.broker,
                                ctx.profile,
                                size,
                                count,
                                run_dir,
                                self.progress,
                                120 + count / ctx.min_rate,
                            )
                        else:
                            result = raw.run_consumer_perf(
                                ctx.broker,
                                ctx.profile,
                                topic,
                                count,
                                run_dir,
                                self.progress,
                                120 + count / ctx.min_rate,
                            )
                    except Exception as e:
                        errors.append(f"{label}: {e}")
                        self.progress.done(f"{wid} {label}: FAILED: {e}")
                        continue
                    self.progress.done(
                        f"{wid} {label}: {result.records_per_s:,.0f} records/s "
                        f"({result.mb_per_s:.1f} MB/s)"
                    )
                    if i >= self.opts.warmup:
                        runs.append(result)
                results[wid] = report.b0_entry(wid, size, runs, errors)

    def _sides_for(self, workload: Workload) -> list[Side]:
        """B4 also runs Kafka Connect with ``plugin.discovery=service_load``.

        Kafka's default (``hybrid_warn``) scans every jar at start-up, which costs seconds and
        leaves the heap grown; ``service_load`` is what a tuned deployment runs, so B4 shows both.
        """
        sides = list(self.sides)
        java = [s for s in sides if isinstance(s, JavaSide)]
        if workload.kind == "idle" and java and java[0].plugin_discovery != "service_load":
            variant = JavaSide(java[0].cache_dir, "service_load", name="java_sl")
            variant.prepare()
            sides.append(variant)
        return sides

    def workloads(self, results: dict[str, dict[str, Any]]) -> None:
        for workload in plan(self.opts.scale):
            if not _selected(workload.id, self.opts.only):
                continue
            sides = self._sides_for(workload)
            runs: dict[str, list[RunResult]] = {s.name: [] for s in sides}
            errors: dict[str, list[str]] = {s.name: [] for s in sides}
            labels = [f"warmup{i + 1}" for i in range(self.opts.warmup)]
            labels += [f"run{i + 1}" for i in range(self.opts.runs)]
            for label in labels:
                for side in sides:
                    load = _load()
                    self.loads.setdefault(workload.id, []).append(f"{side.name} {label}: {load}")
                    started = time.monotonic()
                    try:
                        result = workload.run(self.ctx, side, label)
                    except Exception as e:
                        errors[side.name].append(f"{label}: {e}")
                        self.progress.done(f"{workload.id} {side.name} {label}: FAILED: {e}")
                        if not isinstance(e, (TimeoutError, RuntimeError, OSError)):
                            traceback.print_exc(file=sys.stderr)
                        continue
                    wall = time.monotonic() - started
                    if workload.kind == "idle":
                        summary = (
                            f"start-up {result.extra['startup_s']:.2f}s, idle RSS "
                            f"{result.extra['idle_rss_mb']:.0f} MB"
                        )
                    else:
                        summary = (
                            f"{result.records_per_s:,.0f} records/s, "
                            f"{result.cpu_s / result.records * 1e6:.1f} CPU s/M, "
                            f"peak RSS {result.peak_rss_mb:.0f} MB"
                        )
                    self.progress.done(
                        f"{workload.id} {side.name} {label}: {summary} "
                        f"(load {load}, wall {wall:.0f}s)"
                    )
                    if label.startswith("run"):
                        runs[side.name].append(result)
            raw_entry = results.get(workload.raw_id) if workload.raw_id else None
            results[workload.id] = report.workload_entry(workload, runs, errors, raw_entry)


def _distributed(
    opts: Options, broker: Broker, progress: Progress, ids: list[str]
) -> dict[str, dict[str, Any]]:
    """D1-D3 (:mod:`bench.distributed`): only when ``--only`` names them, they take minutes."""
    d_opts = distributed.DistOptions(
        sides=list(opts.sides),
        only=ids,
        runs=opts.runs,
        java_defaults=opts.distributed_java_defaults,
        idle_seconds=opts.idle_seconds,
        cache_dir=opts.cache_dir,
        results_dir=opts.results_dir,
    )
    found = distributed.run_distributed(d_opts, broker, progress)
    return {k: v for k, v in found.items() if k != "meta"}


def run_bench(opts: Options) -> dict[str, dict[str, Any]]:
    """Run everything the options select; returns the per-workload results written to JSON."""
    progress = Progress()
    cache = opts.cache_dir.resolve()
    cache.mkdir(parents=True, exist_ok=True)
    with bench_broker(opts.bootstrap, opts.port, cache, progress) as broker:
        bootstrap = broker.bootstrap
        d_ids = distributed.selected_ids(opts.only, explicit=True)
        b_ids = [*B0_IDS, *[w.id for w in plan(opts.scale)]]
        if d_ids and not any(_selected(wid, opts.only) for wid in b_ids):
            return _distributed(opts, broker, progress, d_ids)
        profile = PROFILES[opts.profile]
        runs_dir = cache / "runs"
        ctx = BenchContext(
            broker,
            Inputs(cache, broker, progress),
            profile,
            runs_dir,
            progress,
            idle_seconds=opts.idle_seconds,
            min_rate=opts.min_rate,
            settle_seconds=opts.settle_seconds,
        )
        sides: list[Side] = []
        for name in opts.sides:
            sides.append(
                SluiceSide(opts.profile_sluice)
                if name == "sluice"
                else JavaSide(cache, opts.java_plugin_discovery)
            )
        for side in sides:
            side.prepare()
        profile_lines = profile.describe()
        meta = _meta(opts, bootstrap, profile_lines)
        print("\n".join(profile_lines), flush=True)
        print(
            f"scale {opts.scale} ({opts.warmup} warm-up + {opts.runs} measured runs per side); "
            f"Kafka {meta['kafka_version']}; {meta['java']}; Python {meta['python']}; "
            f"{meta['cpus']} CPUs, load {meta['load_at_start']}",
            flush=True,
        )
        results: dict[str, dict[str, Any]] = {}
        runner = _Runner(opts, ctx, sides)
        runner.b0(results)
        runner.workloads(results)
        meta["load_at_end"] = _load()
        meta["load_per_run"] = runner.loads
        ordered = {
            k: results[k] for k in [*B0_IDS, *[w.id for w in plan(opts.scale)]] if k in results
        }
        print(report.render_table(ordered), flush=True)
        print(f"load average at start {meta['load_at_start']}, at end {meta['load_at_end']}")
        out = opts.results_dir
        report.write_json(out / "latest.json", ordered)
        report.write_json(out / "latest-run.json", {"meta": meta})
        chart = report.write_chart(
            out / "latest.png",
            ordered,
            f"sluice ratios ({opts.profile} profile, scale {opts.scale}, {meta['started']})",
        )
        print(f"results: {out / 'latest.json'}" + (f", chart: {chart}" if chart else ""))
        if d_ids:
            ordered.update(_distributed(opts, broker, progress, d_ids))
        return ordered
