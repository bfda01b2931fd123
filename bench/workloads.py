"""B1-B4: what each workload runs, and how one run of it is timed on either side.

Timing rules (issue 3):

- source runs (B1, B3-source) go from the first record's append time on the broker (the topic
  uses ``LogAppendTime``) until the side reports the last position of the input file as its
  committed offset; worker start-up is outside the window.
- sink runs (B2, B3-sink) go from the moment the output file first has bytes until the
  connector's consumer group ``connect-<name>`` has committed the topic's end offset (and, for
  B2, the file holds every byte).
- B4 starts five file connectors (three sources, two sinks), takes the time from process start
  to the first record's append time, then the RSS once everything is idle.

CPU seconds are the worker process's user+system time inside the window, from psutil samples.
"""

from __future__ import annotations

import os
import shutil
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import records
from bench.inputs import Inputs
from bench.kafka_ops import LOG_APPEND_TIME, Broker
from bench.process import WorkerProcess, wait_until_quiet
from bench.profiles import Profile
from bench.progress import Progress
from bench.sides import Side

__all__ = [
    "B3_TRANSFORMS",
    "FILE_SINK",
    "FILE_SOURCE",
    "BenchContext",
    "RunResult",
    "Workload",
    "WorkloadTimeoutError",
    "plan",
]

STRING_CONVERTER = "org.apache.kafka.connect.storage.StringConverter"
JSON_CONVERTER = "org.apache.kafka.connect.json.JsonConverter"
FILE_SOURCE = "org.apache.kafka.connect.file.FileStreamSourceConnector"
FILE_SINK = "org.apache.kafka.connect.file.FileStreamSinkConnector"
TSV_SOURCE = "TsvStructSourceConnector"

B3_TRANSFORMS: dict[str, str] = {
    "transforms": "replace,insert,ts",
    "transforms.replace.type": "org.apache.kafka.connect.transforms.ReplaceField$Value",
    "transforms.replace.exclude": "internal_note",
    "transforms.replace.renames": "user_id:customer_id,amount:total",
    "transforms.insert.type": "org.apache.kafka.connect.transforms.InsertField$Value",
    "transforms.insert.static.field": "pipeline",
    "transforms.insert.static.value": "sluice-bench",
    "transforms.insert.topic.field": "source_topic",
    "transforms.ts.type": "org.apache.kafka.connect.transforms.TimestampConverter$Value",
    "transforms.ts.field": "created_at",
    "transforms.ts.target.type": "string",
    "transforms.ts.format": "yyyy-MM-dd'T'HH:mm:ss.SSS",
}
"""B3's chain, with Kafka's class names: both runtimes read the very same connector config."""

FULL_SIZES: dict[str, int] = {"100B": 10_000_000, "1KB": 2_000_000, "B3": 2_000_000}
SIZE_BYTES: dict[str, int] = {"100B": 100, "1KB": 1024}
B4_LINES = 1000


class WorkloadTimeoutError(Exception):
    """A run made no progress, or did not finish, within its deadline."""


@dataclass
class RunResult:
    records: int
    seconds: float
    cpu_s: float
    peak_rss_mb: float
    ack_seconds: float | None = None
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def records_per_s(self) -> float:
        return self.records / self.seconds if self.seconds > 0 else 0.0


@dataclass
class Workload:
    id: str
    kind: str  # "source", "sink" or "idle"
    count: int
    record_bytes: float
    raw_id: str | None
    run: Callable[[BenchContext, Side, str], RunResult]
    target: str


@dataclass
class BenchContext:
    broker: Broker
    inputs: Inputs
    profile: Profile
    runs_dir: Path
    progress: Progress
    idle_seconds: float = 10.0
    min_rate: float = 1000.0
    """Slowest acceptable records/s before a run is declared stuck."""
    settle_seconds: float = 60.0
    """How long a run may wait for the machine to be quiet first (0: not at all)."""

    def worker_props(self, run_dir: Path, json_values: bool) -> dict[str, str]:
        props = {
            "bootstrap.servers": self.broker.bootstrap,
            "key.converter": STRING_CONVERTER,
            "value.converter": JSON_CONVERTER if json_values else STRING_CONVERTER,
            "offset.storage.file.filename": str(run_dir / "connect.offsets"),
            "offset.flush.interval.ms": str(self.profile.offset_flush_interval_ms),
        }
        if json_values:
            props["value.converter.schemas.enable"] = "true"
        for k, v in self.profile.producer.items():
            props[f"producer.{k}"] = v
        for k, v in self.profile.consumer.items():
            props[f"consumer.{k}"] = v
        props["consumer.max.poll.records"] = str(self.profile.max_poll_records)
        return props

    def run_dir(self, workload: str, side: Side, label: str) -> Path:
        path = self.runs_dir / f"{workload}-{side.name}-{label}"
        if path.exists():
            shutil.rmtree(path)
        path.mkdir(parents=True)
        return path

    def deadline(self, count: int) -> float:
        return time.monotonic() + 120.0 + count / self.min_rate

    def settle(self, what: str) -> None:
        """Wait (at most a minute) until the machine is quiet before a run starts.

        The first side to run after a topic was pre-filled otherwise shares the cores with the
        broker still writing the topic out: B5's two-partition topic, filled just before
        sluice's two-task run, cost that run a fifth of its rate."""
        if self.settle_seconds <= 0:
            return
        waited, busy = wait_until_quiet(QUIET_CORES, self.settle_seconds)
        if waited > 1.5:
            self.progress.done(
                f"{what}: waited {waited:.0f}s for the machine to be quiet ({busy:.2f} cores busy)"
            )


QUIET_CORES = 0.3
"""Busy cores below which the machine counts as quiet before a run (the broker idles at ~0.05)."""


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _wait(
    ctx: BenchContext,
    proc: WorkerProcess,
    what: str,
    done: Callable[[], int],
    total: int,
    deadline: float,
    interval: float,
    stall: float = 120.0,
) -> None:
    """Poll ``done()`` until it reaches ``total``; fail if the worker dies or progress stalls."""
    last_value, last_change = -1, time.monotonic()
    while True:
        value = done()
        now = time.monotonic()
        if value >= total:
            return
        if value != last_value:
            last_value, last_change = value, now
        ctx.progress.update(what, max(0, value), total)
        proc.check_alive()
        if now > deadline or now - last_change > stall:
            raise WorkloadTimeoutError(
                f"{what}: stuck at {value:,}/{total:,}; worker log {proc.log_file}:\n"
                f"{proc.log_tail()}"
            )
        time.sleep(interval)


def _position(side: Side, connector: str, filename: Path) -> int:
    offset = side.committed_source_offset(connector, {"filename": str(filename)})
    if not offset:
        return -1
    position = offset.get("position")
    return int(position) if isinstance(position, int) else -1


# -- source ------------------------------------------------------------------------------------


def _run_source(
    ctx: BenchContext,
    side: Side,
    label: str,
    workload: str,
    input_files: list[Path],
    count: int,
    connector_class: str,
    json_values: bool,
    transforms: dict[str, str],
) -> RunResult:
    """One source run; with several input files, one task each into as many partitions."""
    broker = ctx.broker
    tasks = len(input_files)
    topic = broker.create_topic(
        _unique(f"bench-{workload}-{side.name}"), LOG_APPEND_TIME, partitions=tasks
    )
    run_dir = ctx.run_dir(workload, side, label)
    name = _unique(f"{workload.lower()}-{side.name}")
    connector = {
        "name": name,
        "connector.class": connector_class,
        "tasks.max": str(tasks),
        "file": ",".join(str(f) for f in input_files),
        "topic": topic,
        **transforms,
    }
    ctx.settle(f"{workload} {side.name} {label}")
    proc = side.launch(run_dir, ctx.worker_props(run_dir, json_values), [connector])
    what = f"{workload} {side.name} {label}"
    try:
        deadline = ctx.deadline(count)
        _wait(
            ctx,
            proc,
            f"{what}: records in Kafka",
            lambda: broker.end_offset(topic),
            count,
            deadline,
            0.1,
        )
        size = sum(f.stat().st_size for f in input_files)
        _wait(
            ctx,
            proc,
            f"{what}: committed bytes",
            lambda: sum(max(0, _position(side, name, f)) for f in input_files),
            size,
            deadline,
            0.02,
        )
        t_end = time.time()
        firsts, lasts = [], []
        for p in range(tasks):
            end = broker.end_offset(topic, p)
            if end:
                firsts.append(broker.record_timestamp(topic, 0, partition=p))
                lasts.append(broker.record_timestamp(topic, end - 1, partition=p))
        t_first, t_last = min(firsts), max(lasts)
    finally:
        proc.stop()
        broker.delete_topics([topic])
    return RunResult(
        records=count,
        seconds=t_end - t_first,
        cpu_s=proc.cpu_at(t_end) - proc.cpu_at(t_first),
        peak_rss_mb=proc.peak_rss() / 2**20,
        ack_seconds=t_last - t_first,
    )


# -- sink --------------------------------------------------------------------------------------


class _FirstBytes:
    """Notes when a file first holds data, from a thread polling its size every 5 ms."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.at: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="first-bytes", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                if self.path.stat().st_size > 0:
                    self.at = time.time()
                    return
            except OSError:
                pass
            self._stop.wait(0.005)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(1)


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _run_sink(
    ctx: BenchContext,
    side: Side,
    label: str,
    workload: str,
    topic: str,
    count: int,
    expected_bytes: int | None,
    json_values: bool,
    transforms: dict[str, str],
    tasks: int = 1,
) -> RunResult:
    """One sink run of ``tasks`` tasks over a topic of as many partitions."""
    broker = ctx.broker
    run_dir = ctx.run_dir(workload, side, label)
    out = run_dir / "sink-output.txt"
    name = _unique(f"{workload.lower()}-{side.name}")
    connector = {
        "name": name,
        "connector.class": FILE_SINK,
        "tasks.max": str(tasks),
        "file": str(out),
        "topics": topic,
        **transforms,
    }
    first = _FirstBytes(out)
    group = broker.group_offsets(f"connect-{name}")
    ctx.settle(f"{workload} {side.name} {label}")
    proc = side.launch(run_dir, ctx.worker_props(run_dir, json_values), [connector])
    what = f"{workload} {side.name} {label}"
    try:
        deadline = ctx.deadline(count)
        if expected_bytes is not None:
            _wait(
                ctx,
                proc,
                f"{what}: bytes written",
                lambda: _file_size(out),
                expected_bytes,
                deadline,
                0.05,
            )
        _wait(
            ctx,
            proc,
            f"{what}: committed records",
            lambda: group.committed(topic, tasks),
            count,
            deadline,
            0.05,
        )
        t_end = time.time()
    finally:
        proc.stop()
        first.stop()
        group.close()
    if first.at is None:
        raise WorkloadTimeoutError(f"{what}: the output file never got data")
    if expected_bytes is not None and _file_size(out) != expected_bytes:
        raise WorkloadTimeoutError(
            f"{what}: output holds {_file_size(out):,} bytes, expected {expected_bytes:,}"
        )
    out.unlink(missing_ok=True)
    return RunResult(
        records=count,
        seconds=t_end - first.at,
        cpu_s=proc.cpu_at(t_end) - proc.cpu_at(first.at),
        peak_rss_mb=proc.peak_rss() / 2**20,
    )


# -- idle footprint ----------------------------------------------------------------------------


def _run_idle(ctx: BenchContext, side: Side, label: str) -> RunResult:
    broker = ctx.broker
    run_dir = ctx.run_dir("B4-idle", side, label)
    source_file = ctx.inputs.lines_file(100, B4_LINES)
    topics = [
        broker.create_topic(_unique(f"bench-b4-{side.name}-{i}"), LOG_APPEND_TIME) for i in range(3)
    ]
    connectors: list[dict[str, str]] = []
    for i, topic in enumerate(topics):
        connectors.append(
            {
                "name": _unique(f"b4-source{i}-{side.name}"),
                "connector.class": FILE_SOURCE,
                "tasks.max": "1",
                "file": str(source_file),
                "topic": topic,
            }
        )
    sink_files = [run_dir / f"sink{i}.txt" for i in range(2)]
    for i, path in enumerate(sink_files):
        connectors.append(
            {
                "name": _unique(f"b4-sink{i}-{side.name}"),
                "connector.class": FILE_SINK,
                "tasks.max": "1",
                "file": str(path),
                "topics": topics[i],
            }
        )
    proc = side.launch(run_dir, ctx.worker_props(run_dir, False), connectors)
    what = f"B4-idle {side.name} {label}"
    expected = source_file.stat().st_size
    try:
        deadline = time.monotonic() + 180.0
        _wait(
            ctx,
            proc,
            f"{what}: first record",
            lambda: max(map(broker.end_offset, topics)),
            1,
            deadline,
            0.02,
        )
        _wait(
            ctx,
            proc,
            f"{what}: records in Kafka",
            lambda: min(map(broker.end_offset, topics)),
            B4_LINES,
            deadline,
            0.1,
        )
        _wait(
            ctx,
            proc,
            f"{what}: sink bytes",
            lambda: min(map(_file_size, sink_files)),
            expected,
            deadline,
            0.1,
        )
        first = min(broker.record_timestamp(t, 0) for t in topics if broker.end_offset(t) > 0)
        idle_from = time.time()
        end = idle_from + ctx.idle_seconds
        while time.time() < end:
            ctx.progress.update(f"{what}: idle", int(time.time() - idle_from))
            proc.check_alive()
            time.sleep(0.2)
        idle_rss = proc.rss_between(idle_from + ctx.idle_seconds / 2, end)
    finally:
        proc.stop()
        broker.delete_topics(topics)
    startup = first - proc.started_at
    return RunResult(
        records=B4_LINES * 3,
        seconds=startup,
        cpu_s=proc.cpu_at(end) - proc.cpu_at(idle_from),
        peak_rss_mb=proc.peak_rss() / 2**20,
        extra={
            "startup_s": startup,
            "idle_rss_mb": statistics.median(idle_rss) / 2**20 if idle_rss else 0.0,
            "idle_cpu_pct": 100.0
            * (proc.cpu_at(end) - proc.cpu_at(idle_from))
            / max(ctx.idle_seconds, 1e-9),
        },
    )


# -- the plan ----------------------------------------------------------------------------------


def _scaled(count: int, scale: float) -> int:
    return max(1000, int(count * scale))


def plan(scale: float) -> list[Workload]:
    """Every B1-B4 workload at ``scale`` times the issue's sizes (B0 is in :mod:`bench.raw`)."""
    b3 = _scaled(FULL_SIZES["B3"], scale)
    envelope_bytes = statistics.mean(len(records.envelope(i)) for i in range(0, 2000, 7))
    out: list[Workload] = []
    for size_label in ("100B", "1KB"):
        size = SIZE_BYTES[size_label]
        count = _scaled(FULL_SIZES[size_label], scale)

        def source(
            ctx: BenchContext,
            side: Side,
            label: str,
            size: int = size,
            count: int = count,
            wid: str = f"B1-{size_label}",
        ) -> RunResult:
            return _run_source(
                ctx,
                side,
                label,
                wid,
                [ctx.inputs.lines_file(size, count)],
                count,
                FILE_SOURCE,
                False,
                {},
            )

        def sink(
            ctx: BenchContext,
            side: Side,
            label: str,
            size: int = size,
            count: int = count,
            wid: str = f"B2-{size_label}",
        ) -> RunResult:
            return _run_sink(
                ctx,
                side,
                label,
                wid,
                ctx.inputs.lines_topic(size, count),
                count,
                count * (size + 1),
                False,
                {},
            )

        out.append(
            Workload(
                f"B1-{size_label}",
                "source",
                count,
                size,
                f"B0-produce-{size_label}",
                source,
                "java>=1.5x raw>=0.5x",
            )
        )
        out.append(
            Workload(
                f"B2-{size_label}",
                "sink",
                count,
                size,
                f"B0-consume-{size_label}",
                sink,
                "java>=1.5x raw>=0.5x",
            )
        )

    def b3_source(ctx: BenchContext, side: Side, label: str) -> RunResult:
        return _run_source(
            ctx,
            side,
            label,
            "B3-source",
            [ctx.inputs.orders_file(b3)],
            b3,
            TSV_SOURCE,
            True,
            B3_TRANSFORMS,
        )

    def b3_sink(ctx: BenchContext, side: Side, label: str) -> RunResult:
        return _run_sink(
            ctx, side, label, "B3-sink", ctx.inputs.orders_topic(b3), b3, None, True, B3_TRANSFORMS
        )

    out.append(
        Workload(
            "B3-source", "source", b3, envelope_bytes, "B0-produce-1KB", b3_source, "java>=0.8x"
        )
    )
    out.append(
        Workload("B3-sink", "sink", b3, envelope_bytes, "B0-consume-1KB", b3_sink, "java>=0.8x")
    )
    out.append(
        Workload("B4-idle", "idle", B4_LINES * 3, 100, None, _run_idle, "rss<=0.25x startup<=0.25x")
    )
    out.extend(_b5(b3, envelope_bytes))
    order = ["B1-100B", "B1-1KB", "B2-100B", "B2-1KB", "B3-source", "B3-sink", "B4-idle"]
    return sorted(out, key=lambda w: (order.index(w.id) if w.id in order else len(order), w.id))


def b5_task_counts() -> list[int]:
    """1, 2 and the machine's core count (once each)."""
    return sorted({1, 2, os.cpu_count() or 1})


def _b5(count: int, envelope_bytes: float) -> list[Workload]:
    """B5: B3's converter and chain with ``tasks.max`` = 1, 2 and the core count, over as many
    partitions (sink) or input files (source): does a connector scale with its tasks?"""
    out: list[Workload] = []
    for tasks in b5_task_counts():

        def source(ctx: BenchContext, side: Side, label: str, tasks: int = tasks) -> RunResult:
            return _run_source(
                ctx,
                side,
                label,
                f"B5-source-{tasks}t",
                ctx.inputs.orders_files(count, tasks),
                count,
                TSV_SOURCE,
                True,
                B3_TRANSFORMS,
            )

        def sink(ctx: BenchContext, side: Side, label: str, tasks: int = tasks) -> RunResult:
            topic = ctx.inputs.orders_topic(count, tasks)
            wid = f"B5-sink-{tasks}t"
            return _run_sink(ctx, side, label, wid, topic, count, None, True, B3_TRANSFORMS, tasks)

        target = "java>=1.5x" if tasks > 1 else "-"
        out.append(
            Workload(
                f"B5-source-{tasks}t",
                "source",
                count,
                envelope_bytes,
                "B0-produce-1KB",
                source,
                target,
            )
        )
        out.append(
            Workload(
                f"B5-sink-{tasks}t", "sink", count, envelope_bytes, "B0-consume-1KB", sink, target
            )
        )
    return out


def summarize(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def as_dict(result: RunResult) -> dict[str, Any]:
    return {
        "records": result.records,
        "seconds": round(result.seconds, 4),
        "records_per_s": round(result.records_per_s, 1),
        "cpu_s": round(result.cpu_s, 3),
        "peak_rss_mb": round(result.peak_rss_mb, 1),
        "ack_seconds": None if result.ack_seconds is None else round(result.ack_seconds, 4),
        **{k: round(v, 3) for k, v in result.extra.items()},
    }
