"""Distributed mode side by side with Kafka Connect's ``ConnectDistributed``: D1-D3.

- **D1-failover**: three workers run a FileStreamSource over a file that keeps growing (a line
  every 50 ms, each carrying its sequence number) into a ``LogAppendTime`` topic, and a
  FileStreamSink reading that topic. Once records flow and the group has been ``Stable`` at
  its coordinator with an unchanged placement for ``--steady`` seconds (a kill in the middle of
  a rebalance round costs up to a heartbeat interval more, on either runtime), the worker
  running the source task is killed with SIGKILL; the clock runs from the kill until (a) every
  connector and task is RUNNING on a survivor (``GET /connectors?expand=status`` polled on a
  survivor every 100 ms), and (b) the first line appended after the kill lands in the topic
  (its broker append time; a record the dead worker cannot have produced). Modes: ``defaults``
  (each runtime as shipped: sluice's ``scheduled.rebalance.max.delay.ms`` is 0, Kafka's 300000,
  so the Java case waits five minutes and is opt-in with ``--java-defaults``, capped at
  ``--java-defaults-cap``) and ``delay0`` (``scheduled.rebalance.max.delay.ms=0`` written into
  both worker files). Medians of
  ``--failover-runs`` (5): where the kill falls in the heartbeat cycle spreads the figure over
  about three seconds.
- **D2-rebalance**: three workers (``scheduled.rebalance.max.delay.ms=0`` on both sides, so a
  leaving worker's work moves at once on Java too), then ``--connectors`` FileStreamSources
  (100-line files, ``tasks.max=1``) created one after the other with ``POST /connectors`` on the
  first worker: the time from the first POST until every connector and task is RUNNING. Then a
  fourth worker starts: the time until every connector and task is RUNNING, the new worker holds
  some of them and the placement has not changed for ``--settle`` seconds (the time reported is
  when that final placement was first seen), from the process start and from its first healthy
  answer. Then the fourth worker stops gracefully (SIGTERM) and the same is timed on the three
  left.
- **D3-idle**: in the D2 cluster, each worker's RSS (median over the second half of an idle
  window of ``--idle-seconds``, after ``--idle-settle`` seconds of quiet) and CPU seconds over
  the window: after joining with no connectors, and with the connectors created and idle (their
  files read to the end). D2 and D3: medians of ``--runs`` (3).

``python -m bench.distributed`` runs everything (``--only D1,D3`` selects; about 15 minutes on
two cores, plus six with ``--java-defaults``); ``python -m bench --only D`` runs the same through
the main harness (its ``--runs`` sets the D2/D3 runs), never as part of a plain ``make bench``.
Results: ``bench/results/distributed.json`` and ``distributed.png``; worker logs stay in
``.cache/bench/runs/D*``.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import shutil
import signal
import statistics
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from confluent_kafka import Consumer, TopicPartition

from bench import report
from bench.cluster import ClusterError, ClusterWorker, ConnectCluster, Placement, kill_all
from bench.kafka_ops import LOG_APPEND_TIME, Broker
from bench.progress import Progress
from sluice.devkafka import LocalKafka, kafka_version

__all__ = ["D_IDS", "DistOptions", "main", "run_distributed", "selected_ids"]

D_IDS = ["D1-failover", "D2-rebalance", "D3-idle"]
FILE_SOURCE = "org.apache.kafka.connect.file.FileStreamSourceConnector"
FILE_SINK = "org.apache.kafka.connect.file.FileStreamSinkConnector"
DELAY_KEY = "scheduled.rebalance.max.delay.ms"
APPEND_INTERVAL = 0.05
D2_LINES = 100
POLL = 0.1


@dataclass
class DistOptions:
    sides: list[str] = field(default_factory=lambda: ["sluice", "java"])
    only: list[str] = field(default_factory=list)
    runs: int = 3
    failover_runs: int = 5
    java_defaults: bool = False
    java_defaults_runs: int = 1
    java_defaults_cap: float = 400.0
    failover_cap: float = 90.0
    workers: int = 3
    connectors: int = 50
    idle_seconds: float = 10.0
    idle_settle: float = 5.0
    settle: float = 3.0
    steady: float = 4.0
    cache_dir: Path = Path(".cache/bench")
    results_dir: Path = Path("bench/results")


def selected_ids(only: Sequence[str], explicit: bool = False) -> list[str]:
    """The D ids ``only`` names (all of them for an empty ``only`` unless ``explicit``)."""
    if not only:
        return [] if explicit else list(D_IDS)
    return [d for d in D_IDS if any(o and d.startswith(o.rstrip("*")) for o in only)]


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _median(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def _r(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def _stop_timeout() -> float:
    """How long a graceful stop may take: briefly when the bench is being interrupted."""
    return 5.0 if isinstance(sys.exc_info()[1], KeyboardInterrupt) else 60.0


class SettleTimeoutError(ClusterError):
    """The cluster did not reach the awaited placement before the cap."""


class _Appender:
    """Appends ``<seq> <epoch seconds>`` lines to a file every 50 ms, remembering when."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.written: list[tuple[int, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="appender", daemon=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")

    def start(self) -> None:
        self._thread.start()

    def _loop(self) -> None:
        seq = 0
        with open(self.path, "a", encoding="ascii") as out:
            while not self._stop.is_set():
                now = time.time()
                out.write(f"{seq:09d} {now:.6f}\n")
                out.flush()
                self.written.append((seq, now))
                seq += 1
                self._stop.wait(APPEND_INTERVAL)

    def first_after(self, t: float, timeout: float = 5.0) -> int:
        """The sequence number of the first line written after ``t``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for seq, at in list(self.written):
                if at > t:
                    return seq
            time.sleep(0.01)
        raise ClusterError("the appender wrote nothing after the kill")

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)


@dataclass
class _Landing:
    first_new: float | None = None
    """Append time (epoch s) of the first record whose sequence is >= the one asked for."""
    first_after_kill: float | None = None
    """Append time of the first record appended after the kill (the new task's first output,
    possibly a line the dead worker had sent already: offsets are committed every minute)."""
    first_after_kill_seq: int | None = None


def _first_landing(
    broker: Broker, topic: str, min_seq: int, t_kill: float, deadline: float
) -> _Landing:
    """Read ``topic`` from the start until a record with sequence >= ``min_seq`` shows up or
    ``deadline`` (``time.time()``) passes."""
    consumer = Consumer(
        {
            "bootstrap.servers": broker.bootstrap,
            "group.id": _unique("bench-d1-probe"),
            "enable.auto.commit": False,
            "log_level": 4,
        }
    )
    found = _Landing()
    try:
        consumer.assign([TopicPartition(topic, 0, 0)])
        while time.time() < deadline:
            msg = consumer.poll(0.5)
            if msg is None or msg.error() is not None:
                continue
            value = msg.value() or b""
            try:
                seq = int(value.split(b" ", 1)[0])
            except ValueError:
                continue
            at = float(msg.timestamp()[1]) / 1000.0
            if found.first_after_kill is None and at > t_kill:
                found.first_after_kill, found.first_after_kill_seq = at, seq
            if seq >= min_seq:
                found.first_new = at
                return found
        return found
    finally:
        consumer.close()


def _wait_placement(
    cluster: ConnectCluster,
    expected: Mapping[str, int],
    deadline: float,
    progress: Progress,
    what: str,
    on: ClusterWorker | None = None,
    require: Callable[[Placement], bool] | None = None,
    stable: float = 0.0,
    probe: Callable[[], bool] | None = None,
) -> tuple[float, Placement, float | None]:
    """Poll until every expected connector and task is RUNNING on a live worker (and ``require``
    holds); with ``stable``, until that placement has not changed for so long. Returns when it
    was first seen (``time.time()``), the placement, and when ``probe`` first returned true."""
    started = time.monotonic()
    seen: Placement | None = None
    seen_at = 0.0
    probed: float | None = None
    while True:
        now = time.time()
        if probe is not None and probed is None and probe():
            probed = now
        current = cluster.placement(expected, on)
        if current is not None and (require is None or require(current)):
            if current != seen:
                seen, seen_at = current, now
            if time.time() - seen_at >= stable and (
                not stable or cluster.group_state() == "Stable"
            ):
                return seen_at, current, probed
        else:
            seen = None
        for worker in cluster.live():
            cluster.check_alive(worker)
        if time.monotonic() > deadline:
            raise SettleTimeoutError(f"{what}: not settled within the cap")
        progress.update(f"{what}: waiting", int(time.monotonic() - started))
        time.sleep(POLL)


def _wait_steady(
    cluster: ConnectCluster,
    expected: Mapping[str, int],
    seconds: float,
    deadline: float,
    progress: Progress,
    what: str,
) -> Placement:
    """Wait until the placement has not changed and the group has been ``Stable`` at its
    coordinator for ``seconds`` (longer than a heartbeat interval: a member that has not
    noticed a rebalance yet learns of it from its next heartbeat)."""
    started = time.monotonic()
    last: Placement | None = None
    since = time.monotonic()
    while True:
        current = cluster.placement(expected)
        state = cluster.group_state()
        now = time.monotonic()
        if current is None or state != "Stable" or current != last:
            last, since = current, now
        elif now - since >= seconds:
            return current
        if now > deadline:
            raise ClusterError(f"{what}: the group did not settle (state {state})")
        for worker in cluster.live():
            cluster.check_alive(worker)
        progress.update(f"{what}: waiting for a steady group", int(now - started))
        time.sleep(0.25)


class _Context:
    def __init__(self, opts: DistOptions, broker: Broker, progress: Progress) -> None:
        self.opts = opts
        self.broker = broker
        self.progress = progress
        self.cache = opts.cache_dir.resolve()
        self.runs_dir = self.cache / "runs"
        self.loads: list[str] = []

    def run_dir(self, name: str) -> Path:
        path = self.runs_dir / name
        if path.exists():
            shutil.rmtree(path)
        path.mkdir(parents=True)
        return path

    def d2_files(self, count: int) -> list[Path]:
        folder = self.cache / "inputs" / "d2"
        folder.mkdir(parents=True, exist_ok=True)
        files = []
        for i in range(count):
            path = folder / f"source-{i:03d}.txt"
            if not path.exists():
                path.write_text("".join(f"{i:03d}-{n:05d} {'x' * 90}\n" for n in range(D2_LINES)))
            files.append(path)
        return files


# -- D1 ------------------------------------------------------------------------------------------


def _failover_run(ctx: _Context, side: str, mode: str, label: str, cap: float) -> dict[str, Any]:
    props = {DELAY_KEY: "0"} if mode == "delay0" else {}
    run_dir = ctx.run_dir(f"D1-{mode}-{side}-{label}")
    what = f"D1 {mode} {side} {label}"
    broker = ctx.broker
    cluster = ConnectCluster(side, broker, run_dir, ctx.cache, ctx.opts.workers, props)
    topic = broker.create_topic(_unique(f"bench-d1-{side}"), LOG_APPEND_TIME)
    appender = _Appender(run_dir / "source.txt")
    source, sink = _unique("d1-source"), _unique("d1-sink")
    try:
        ctx.progress.update(f"{what}: starting {ctx.opts.workers} workers", 0)
        startup = cluster.start()
        appender.start()
        cluster.create_connector(
            {
                "name": source,
                "connector.class": FILE_SOURCE,
                "tasks.max": "1",
                "file": str(appender.path),
                "topic": topic,
            }
        )
        cluster.create_connector(
            {
                "name": sink,
                "connector.class": FILE_SINK,
                "tasks.max": "1",
                "file": str(run_dir / "sink.txt"),
                "topics": topic,
            }
        )
        expected = {source: 1, sink: 1}
        created = time.monotonic()
        _wait_placement(
            cluster, expected, time.monotonic() + 120, ctx.progress, f"{what}: first placement"
        )
        # Records flowing end to end before the kill.
        deadline = time.monotonic() + 60
        while broker.end_offset(topic) < 20 or not (run_dir / "sink.txt").exists():
            if time.monotonic() > deadline:
                raise ClusterError(f"{what}: no records flowing after 60s")
            time.sleep(0.2)
        # Kill in a steady state, not in the middle of a rebalance: a member killed after it
        # sent JoinGroup stays in the group until that round ends (a heartbeat interval later at
        # worst) and only then starts its session timeout.
        before = _wait_steady(
            cluster,
            expected,
            ctx.opts.steady,
            time.monotonic() + 120,
            ctx.progress,
            what,
        )
        steady_after = time.monotonic() - created
        victim = cluster.worker_named(before.worker_of(f"{source}/0"))
        assert victim is not None
        victim_held = sorted(e for e, w in before.where if victim.owns(w))
        survivor = next(w for w in cluster.live() if w is not victim)
        load = _load()
        t_kill = cluster.kill9(victim)
        seq_after = appender.first_after(t_kill)
        running_s: float | None
        try:
            t_running, after, _ = _wait_placement(
                cluster,
                expected,
                time.monotonic() + cap,
                ctx.progress,
                f"{what}: after kill -9",
                on=survivor,
            )
            running_s = t_running - t_kill
            placed = dict(after.where)
        except SettleTimeoutError:
            running_s, placed = None, {}
        landed = _first_landing(
            broker, topic, seq_after, t_kill, max(t_kill + cap, time.time() + 5)
        )
        first_s = None if landed.first_new is None else landed.first_new - t_kill
        resumed = landed.first_after_kill
        return {
            "startup_s": _r(startup),
            "running_s": _r(running_s),
            "first_record_s": _r(first_s),
            "first_output_s": None if resumed is None else _r(resumed - t_kill),
            "first_output_seq": landed.first_after_kill_seq,
            "first_new_seq": seq_after,
            "steady_after_create_s": _r(steady_after),
            "task_config_bounces": _task_config_bounces(cluster),
            "cap_s": cap,
            "killed_worker": victim.index,
            "killed_worker_held": victim_held,
            "placement_after": placed,
            "load": load,
        }
    finally:
        appender.stop()
        cluster.stop(_stop_timeout())
        cluster.delete_topics([topic])


_BOUNCE_LINES = (
    b"for new task configs",  # sluice
    b"Handling task config update by stopping tasks",  # Kafka Connect
)


def _task_config_bounces(cluster: ConnectCluster) -> int:
    """How often a worker stopped a running task for a task-config update and rejoined (both
    runtimes log it): when the update lands after the round that already assigned the new
    configs, the task bounces and the group waits for a member's next heartbeat."""
    count = 0
    for worker in cluster.workers:
        try:
            text = worker.log_file.read_bytes()
        except OSError:
            continue
        count += sum(text.count(line) for line in _BOUNCE_LINES)
    return count


# -- D2 / D3 -------------------------------------------------------------------------------------


def _idle_window(ctx: _Context, cluster: ConnectCluster, what: str) -> dict[str, Any]:
    """Wait ``idle_settle`` seconds (start-up work such as JIT compiling dies down), then
    sample for ``idle_seconds``."""
    settle_until = time.time() + ctx.opts.idle_settle
    while time.time() < settle_until:
        ctx.progress.update(f"{what}: settling", int(settle_until - time.time()))
        time.sleep(0.2)
    seconds = ctx.opts.idle_seconds
    start = time.time()
    end = start + seconds
    while time.time() < end:
        ctx.progress.update(f"{what}: idle", int(time.time() - start))
        for worker in cluster.live():
            cluster.check_alive(worker)
        time.sleep(0.2)
    rss, cpu = [], []
    for worker in cluster.live():
        proc = worker.stats()
        samples = proc.rss_between(start + seconds / 2, end)
        rss.append(statistics.median(samples) / 2**20 if samples else 0.0)
        cpu.append(proc.cpu_at(end) - proc.cpu_at(start))
    return {
        "window_s": seconds,
        "rss_mb": [round(v, 1) for v in rss],
        "cpu_s": [round(v, 3) for v in cpu],
        "rss_mb_median": _r(statistics.median(rss), 1),
        "cpu_s_median": _r(statistics.median(cpu)),
    }


def _rebalance_run(ctx: _Context, side: str, label: str, ids: list[str]) -> dict[str, Any]:
    opts = ctx.opts
    run_dir = ctx.run_dir(f"D2-{side}-{label}")
    what = f"D2 {side} {label}"
    broker = ctx.broker
    cluster = ConnectCluster(side, broker, run_dir, ctx.cache, opts.workers, {DELAY_KEY: "0"})
    topic = broker.create_topic(_unique(f"bench-d2-{side}"))
    files = ctx.d2_files(opts.connectors)
    out: dict[str, Any] = {"load": _load()}
    try:
        ctx.progress.update(f"{what}: starting {opts.workers} workers", 0)
        out["startup_s"] = _r(cluster.start())
        if "D3-idle" in ids:
            out["idle_empty"] = _idle_window(ctx, cluster, f"{what} no connectors")
        names = [f"d2-{i:03d}-{uuid.uuid4().hex[:6]}" for i in range(opts.connectors)]
        expected = dict.fromkeys(names, 1)
        first = cluster.workers[0]
        t0 = time.time()
        retries = 0
        for i, (name, path) in enumerate(zip(names, files, strict=True)):
            ctx.progress.update(f"{what}: creating connectors", i, len(names))
            retries += cluster.create_connector(
                {
                    "name": name,
                    "connector.class": FILE_SOURCE,
                    "tasks.max": "1",
                    "file": str(path),
                    "topic": topic,
                },
                first,
            )
        t_posted = time.time()
        t_running, placed, _ = _wait_placement(
            cluster, expected, time.monotonic() + 300, ctx.progress, f"{what}: all RUNNING"
        )
        out["post_s"] = _r(t_posted - t0)
        out["post_retries"] = retries
        out["create_to_running_s"] = _r(t_running - t0)
        out["placement_3"] = placed.workers()
        total = opts.connectors * D2_LINES
        deadline = time.monotonic() + 300
        while broker.end_offset(topic) < total:
            if time.monotonic() > deadline:
                raise ClusterError(f"{what}: {broker.end_offset(topic)}/{total} records")
            ctx.progress.update(f"{what}: records", broker.end_offset(topic), total)
            time.sleep(0.2)
        if "D3-idle" in ids:
            out["idle_connectors"] = _idle_window(ctx, cluster, f"{what} {len(names)} connectors")
        if "D2-rebalance" in ids:
            new = cluster.add_worker()
            t_start = new.stats().started_at
            t_settled, placed, t_healthy = _wait_placement(
                cluster,
                expected,
                time.monotonic() + 300,
                ctx.progress,
                f"{what}: 4th worker joining",
                require=lambda p: any(new.owns(w) for w in p.workers()),
                stable=opts.settle,
                probe=lambda: cluster.healthy(new),
            )
            out["join_settled_s"] = _r(t_settled - t_start)
            out["join_settled_from_healthy_s"] = (
                None if t_healthy is None else _r(t_settled - t_healthy)
            )
            out["join_healthy_s"] = None if t_healthy is None else _r(t_healthy - t_start)
            out["placement_4"] = placed.workers()
            t_term = cluster.terminate(new)
            t_settled, placed, t_exit = _wait_placement(
                cluster,
                expected,
                time.monotonic() + 300,
                ctx.progress,
                f"{what}: 4th worker leaving",
                stable=opts.settle,
                probe=lambda: not new.alive(),
            )
            out["leave_settled_s"] = _r(t_settled - t_term)
            out["placement_after_leave"] = placed.workers()
            out["leave_exit_s"] = None if t_exit is None else _r(t_exit - t_term)
        return out
    finally:
        cluster.stop(_stop_timeout())
        cluster.delete_topics([topic])


# -- the plan, the figures, the report -----------------------------------------------------------


def _failover_modes(opts: DistOptions) -> list[tuple[str, str, int, float]]:
    """(mode, side, runs, cap) in the order they interleave."""
    combos: list[tuple[str, str, int, float]] = []
    for side in opts.sides:
        # sluice's defaults already have the delay at 0: "defaults" and "delay0" are the same
        # settings but both are run, the second with the key written out.
        if side == "sluice":
            combos.append(("defaults", side, opts.failover_runs, opts.failover_cap))
        combos.append(("delay0", side, opts.failover_runs, opts.failover_cap))
        if side == "java" and opts.java_defaults:
            combos.append(("defaults", side, opts.java_defaults_runs, opts.java_defaults_cap))
    return combos


def _summary(runs: list[dict[str, Any]], keys: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in keys:
        values = [r.get(key) for r in runs]
        out[key] = _r(_median([v for v in values if isinstance(v, (int, float))]))
        out[f"{key}_runs"] = values
    return out


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else round(a / b, 3)


D1_KEYS = ["running_s", "first_record_s", "startup_s"]
D2_KEYS = [
    "startup_s",
    "post_s",
    "create_to_running_s",
    "join_settled_s",
    "join_healthy_s",
    "join_settled_from_healthy_s",
    "leave_settled_s",
    "leave_exit_s",
]


def _idle_summary(runs: list[dict[str, Any]], phase: str) -> dict[str, Any]:
    rss = [v for r in runs if phase in r for v in r[phase]["rss_mb"]]
    cpu = [v for r in runs if phase in r for v in r[phase]["cpu_s"]]
    window = next((r[phase]["window_s"] for r in runs if phase in r), None)
    return {
        "rss_mb_per_worker": _r(_median(rss), 1),
        "cpu_s_per_worker": _r(_median(cpu)),
        "window_s": window,
        "rss_mb_all": rss,
        "cpu_s_all": cpu,
    }


def _fmt(value: Any, spec: str = ".2f") -> str:
    return "-" if value is None else format(value, spec)


def render(results: dict[str, Any], opts: DistOptions) -> str:
    lines: list[str] = []
    d1 = results.get("D1-failover")
    if d1:
        lines.append(
            f"D1 failover: {opts.workers} workers, FileStreamSource (a line every 50 ms) + "
            "FileStreamSink, kill -9 of the worker running the source task; medians"
        )
        head = f"{'from kill -9 to':<38}{'sluice s':>10}{'java s':>10}{'s/java':>8}"
        lines += [head + "  runs (sluice | java)", "-" * (len(head) + 24)]
        for mode, label in (("defaults", "each side's defaults"), ("delay0", f"{DELAY_KEY}=0")):
            entry = d1.get(mode)
            if not entry:
                continue
            lines.append(f"{label}:")
            s, j = entry.get("sluice", {}), entry.get("java", {})
            for key, name in (
                ("running_s", "every task RUNNING elsewhere"),
                ("first_record_s", "first new record in topic"),
            ):
                s_runs = " ".join(_fmt(v, ".1f") for v in s.get(f"{key}_runs", []))
                j_vals = j.get(f"{key}_runs", [])
                j_runs = " ".join(
                    _fmt(v, ".1f") if v is not None else f">{j.get('cap_s', 0):.0f}" for v in j_vals
                )
                java_fig = _fmt(j.get(key), ".2f")
                if j_vals and j.get(key) is None:
                    java_fig = f">{j.get('cap_s', 0):.0f}"
                lines.append(
                    f"{'  ' + name:<38}{_fmt(s.get(key)):>10}{java_fig:>10}"
                    f"{_fmt(_ratio(s.get(key), j.get(key))):>8}  {s_runs} | {j_runs}"
                )
            if mode == "defaults" and not j:
                lines.append(
                    f"  (Kafka Connect with its defaults, {DELAY_KEY}=300000: not run; "
                    "--java-defaults)"
                )
        for err in d1.get("errors", []):
            lines.append(f"  ! {err.splitlines()[0][:160]}")
        lines.append("")
    d2 = results.get("D2-rebalance")
    if d2:
        lines.append(
            f"D2 rebalance: {opts.workers} workers, {opts.connectors} FileStreamSource connectors "
            f"(tasks.max=1), {DELAY_KEY}=0 on both; medians"
        )
        head = f"{'':<48}{'sluice s':>10}{'java s':>10}{'s/java':>8}"
        lines += [head + "  runs (sluice | java)", "-" * (len(head) + 24)]
        rows = (
            ("startup_s", f"{opts.workers} workers started -> all healthy"),
            ("create_to_running_s", f"create {opts.connectors} -> all RUNNING"),
            ("post_s", f"  of which the {opts.connectors} POSTs"),
            ("join_settled_s", "4th worker starts -> settled"),
            ("join_settled_from_healthy_s", "4th worker healthy -> settled"),
            ("leave_settled_s", "4th worker SIGTERM -> settled on 3"),
        )
        s, j = d2.get("sluice", {}), d2.get("java", {})
        for key, name in rows:
            if s.get(key) is None and j.get(key) is None:
                continue
            s_runs = " ".join(_fmt(v, ".1f") for v in s.get(f"{key}_runs", []))
            j_runs = " ".join(_fmt(v, ".1f") for v in j.get(f"{key}_runs", []))
            lines.append(
                f"{name:<48}{_fmt(s.get(key)):>10}{_fmt(j.get(key)):>10}"
                f"{_fmt(_ratio(s.get(key), j.get(key))):>8}  {s_runs} | {j_runs}"
            )
        lines.append(
            "settled: every connector and task RUNNING (the new worker holding some) and the "
            f"placement unchanged for {opts.settle:.0f}s; time of its first sighting"
        )
        for err in d2.get("errors", []):
            lines.append(f"  ! {err.splitlines()[0][:160]}")
        lines.append("")
    d3 = results.get("D3-idle")
    if d3:
        window = opts.idle_seconds
        lines.append(
            f"D3 idle worker in the D2 cluster (per worker, medians over workers and runs; "
            f"{window:.0f}s window after {opts.idle_settle:.0f}s of quiet)"
        )
        head = f"{'':<40}{'sluice':>10}{'java':>10}{'s/java':>8}"
        lines += [head, "-" * len(head)]
        for phase, name in (
            ("idle_empty", "joined, no connectors"),
            ("idle_connectors", f"{opts.connectors} connectors idle"),
        ):
            s, j = d3.get("sluice", {}).get(phase, {}), d3.get("java", {}).get(phase, {})
            lines.append(
                f"{'RSS MB, ' + name:<40}{_fmt(s.get('rss_mb_per_worker'), '.0f'):>10}"
                f"{_fmt(j.get('rss_mb_per_worker'), '.0f'):>10}"
                f"{_fmt(_ratio(s.get('rss_mb_per_worker'), j.get('rss_mb_per_worker'))):>8}"
            )
            lines.append(
                f"{f'CPU s per {window:.0f}s, ' + name:<40}"
                f"{_fmt(s.get('cpu_s_per_worker'), '.3f'):>10}"
                f"{_fmt(j.get('cpu_s_per_worker'), '.3f'):>10}"
                f"{_fmt(_ratio(s.get('cpu_s_per_worker'), j.get('cpu_s_per_worker'))):>8}"
            )
    return "\n".join(lines)


def write_chart(path: Path, results: dict[str, Any], title: str) -> Path | None:
    """Seconds (D1, D2) and MB (D3), sluice beside Java; ``None`` without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    times: list[tuple[str, float | None, float | None]] = []
    for mode, entry in results.get("D1-failover", {}).items():
        if not isinstance(entry, dict) or mode == "errors":
            continue
        s, j = entry.get("sluice", {}), entry.get("java", {})
        for key, name in (("running_s", "tasks RUNNING"), ("first_record_s", "first record")):
            times.append((f"failover {mode}\n{name}", s.get(key), j.get(key)))
    d2 = results.get("D2-rebalance", {})
    for key, name in (
        ("create_to_running_s", "create 50\n-> RUNNING"),
        ("join_settled_s", "4th joins\n-> settled"),
        ("leave_settled_s", "4th leaves\n-> settled"),
    ):
        s, j = d2.get("sluice", {}).get(key), d2.get("java", {}).get(key)
        if s is not None or j is not None:
            times.append((name, s, j))
    mem: list[tuple[str, float | None, float | None]] = []
    d3 = results.get("D3-idle", {})
    for phase, name in (("idle_empty", "idle, empty"), ("idle_connectors", "idle, 50 conn.")):
        s, j = d3.get("sluice", {}).get(phase, {}), d3.get("java", {}).get(phase, {})
        if s or j:
            mem.append((name, s.get("rss_mb_per_worker"), j.get("rss_mb_per_worker")))
    panels = [(p, unit) for p, unit in ((times, "seconds"), (mem, "RSS MB per worker")) if p]
    if not panels:
        return None
    widths = [max(2, len(p)) for p, _ in panels]
    fig, axes = plt.subplots(
        1, len(panels), figsize=(2 + 1.3 * sum(widths), 5), gridspec_kw={"width_ratios": widths}
    )
    if len(panels) == 1:
        axes = [axes]
    for ax, (items, unit) in zip(axes, panels, strict=True):
        xs = range(len(items))
        for offset, idx, name, color in (
            (-0.2, 1, "sluice", "tab:blue"),
            (0.2, 2, "java", "tab:orange"),
        ):
            raw = [item[idx] for item in items]
            vals = [float("nan") if v is None else float(v) for v in raw]
            ax.bar([x + offset for x in xs], vals, 0.4, label=name, color=color)
            for x, v in zip(xs, raw, strict=True):
                ax.text(
                    x + offset,
                    v if v is not None else 1.0,
                    "-" if v is None else f"{v:.1f}" if v < 100 else f"{v:.0f}",
                    ha="center",
                    va="bottom",
                    fontsize=7,
                )
        ax.set_xticks(list(xs), [item[0] for item in items], fontsize=7)
        present = [float(v) for item in items for v in item[1:] if v]
        if present and max(present) > 20 * min(present):
            ax.set_yscale("log")  # Kafka's five-minute delay next to seconds
        ax.set_ylabel(unit + (" (log scale)" if ax.get_yscale() == "log" else ""))
        ax.legend()
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def run_distributed(opts: DistOptions, broker: Broker, progress: Progress) -> dict[str, Any]:
    """Run the selected D workloads on ``broker``; print the tables, write JSON and chart.

    SIGTERM is turned into KeyboardInterrupt meanwhile (in the main thread), so that every
    worker started is stopped on the way out."""
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        return _run_distributed(opts, broker, progress)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _run_distributed(opts: DistOptions, broker: Broker, progress: Progress) -> dict[str, Any]:
    ids = selected_ids(opts.only)
    ctx = _Context(opts, broker, progress)
    meta: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "selected": ids,
        "sides": opts.sides,
        "runs": opts.runs,
        "failover_runs": opts.failover_runs,
        "workers": opts.workers,
        "connectors": opts.connectors,
        "idle_seconds": opts.idle_seconds,
        "idle_settle_s": opts.idle_settle,
        "settle_s": opts.settle,
        "steady_before_kill_s": opts.steady,
        "java_defaults": opts.java_defaults,
        "java_defaults_cap_s": opts.java_defaults_cap,
        "failover_cap_s": opts.failover_cap,
        "kafka_version": kafka_version(),
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "machine": platform.platform(),
        "bootstrap": broker.bootstrap,
        "load_at_start": _load(),
    }
    print(
        f"distributed bench: {', '.join(ids)}; sides {','.join(opts.sides)}; "
        f"{opts.failover_runs} D1 runs, {opts.runs} D2/D3 runs; "
        f"Kafka {meta['kafka_version']}; {meta['cpus']} CPUs, load {meta['load_at_start']}",
        flush=True,
    )
    results: dict[str, Any] = {}
    if "D1-failover" in ids:
        d1: dict[str, Any] = {"errors": []}
        combos = _failover_modes(opts)
        collected: dict[tuple[str, str], list[dict[str, Any]]] = {
            (m, s): [] for m, s, _, _ in combos
        }
        for i in range(max(r for _, _, r, _ in combos)):
            for mode, side, runs, cap in combos:
                if i >= runs:
                    continue
                label = f"run{i + 1}"
                started = time.monotonic()
                try:
                    run = _failover_run(ctx, side, mode, label, cap)
                except (ClusterError, OSError) as e:
                    d1["errors"].append(f"{mode} {side} {label}: {e}")
                    progress.done(f"D1 {mode} {side} {label}: FAILED: {e}")
                    continue
                except Exception as e:
                    d1["errors"].append(f"{mode} {side} {label}: {e!r}")
                    progress.done(f"D1 {mode} {side} {label}: FAILED: {e!r}")
                    traceback.print_exc(file=sys.stderr)
                    continue
                collected[(mode, side)].append(run)
                ctx.loads.append(f"D1 {mode} {side} {label}: {run['load']}")
                progress.done(
                    f"D1 {mode} {side} {label}: all RUNNING elsewhere "
                    f"{_fmt(run['running_s'])} s, first new record {_fmt(run['first_record_s'])} s"
                    f" (killed worker {run['killed_worker']} holding "
                    f"{len(run['killed_worker_held'])}; load {run['load']}; "
                    f"wall {time.monotonic() - started:.0f}s)"
                )
        for (mode, side), runs_ in collected.items():
            cap = next(c for m, s, _, c in combos if (m, s) == (mode, side))
            entry = _summary(runs_, D1_KEYS)
            entry["cap_s"] = cap
            entry["runs"] = runs_
            d1.setdefault(mode, {})[side] = entry
        for mode in ("defaults", "delay0"):
            if mode in d1:
                s, j = d1[mode].get("sluice", {}), d1[mode].get("java", {})
                d1[mode]["ratio_running"] = _ratio(s.get("running_s"), j.get("running_s"))
                d1[mode]["ratio_first_record"] = _ratio(
                    s.get("first_record_s"), j.get("first_record_s")
                )
        sluice_default = d1.get("defaults", {}).get("sluice", {}).get("running_s_runs", [])
        d1["target"] = "sluice defaults: every task RUNNING on a survivor within 15 s"
        d1["target_met"] = (
            None if not sluice_default else all(v is not None and v <= 15.0 for v in sluice_default)
        )
        results["D1-failover"] = d1
    if "D2-rebalance" in ids or "D3-idle" in ids:
        d2: dict[str, Any] = {"errors": []}
        per_side: dict[str, list[dict[str, Any]]] = {s: [] for s in opts.sides}
        for i in range(opts.runs):
            for side in opts.sides:
                label = f"run{i + 1}"
                started = time.monotonic()
                try:
                    run = _rebalance_run(ctx, side, label, ids)
                except Exception as e:
                    d2["errors"].append(f"{side} {label}: {e}")
                    progress.done(f"D2 {side} {label}: FAILED: {e}")
                    if not isinstance(e, (ClusterError, OSError)):
                        traceback.print_exc(file=sys.stderr)
                    continue
                per_side[side].append(run)
                ctx.loads.append(f"D2 {side} {label}: {run['load']}")
                progress.done(
                    f"D2 {side} {label}: start {_fmt(run.get('startup_s'))} s, create->RUNNING "
                    f"{_fmt(run.get('create_to_running_s'))} s, join "
                    f"{_fmt(run.get('join_settled_s'))} s, leave "
                    f"{_fmt(run.get('leave_settled_s'))} s; idle RSS "
                    f"{_fmt(run.get('idle_empty', {}).get('rss_mb_median'), '.0f')} / "
                    f"{_fmt(run.get('idle_connectors', {}).get('rss_mb_median'), '.0f')} MB "
                    f"(load {run['load']}, wall {time.monotonic() - started:.0f}s)"
                )
        if "D2-rebalance" in ids:
            for side, runs_ in per_side.items():
                entry = _summary(runs_, D2_KEYS)
                entry["placements"] = [
                    {k: r.get(k) for k in ("placement_3", "placement_4", "placement_after_leave")}
                    for r in runs_
                ]
                entry["post_retries"] = [r.get("post_retries") for r in runs_]
                d2[side] = entry
            s, j = d2.get("sluice", {}), d2.get("java", {})
            d2["ratios"] = {k: _ratio(s.get(k), j.get(k)) for k in D2_KEYS}
            results["D2-rebalance"] = d2
        if "D3-idle" in ids:
            d3: dict[str, Any] = {"errors": d2["errors"]}
            for side, runs_ in per_side.items():
                d3[side] = {
                    phase: _idle_summary(runs_, phase)
                    for phase in ("idle_empty", "idle_connectors")
                }
            results["D3-idle"] = d3
    meta["load_at_end"] = _load()
    meta["load_per_run"] = ctx.loads
    results["meta"] = meta
    print(render(results, opts), flush=True)
    print(f"load average at start {meta['load_at_start']}, at end {meta['load_at_end']}")
    out = opts.results_dir
    report.write_json(out / "distributed.json", results)
    chart = write_chart(
        out / "distributed.png",
        results,
        f"sluice vs Kafka Connect, distributed mode ({meta['started']}; medians of "
        f"{opts.failover_runs} D1 / {opts.runs} D2-D3 runs)",
    )
    print(f"results: {out / 'distributed.json'}" + (f", chart: {chart}" if chart else ""))
    return results


# -- command line --------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench.distributed", description=__doc__.splitlines()[0]
    )
    p.add_argument("--only", default="", help="comma-separated: D1, D2, D3 (default all)")
    p.add_argument("--sides", default="sluice,java", help="sluice,java (default both)")
    p.add_argument("--runs", type=int, default=3, help="D2/D3 runs per side (3)")
    p.add_argument(
        "--failover-runs",
        type=int,
        default=5,
        help="D1 runs per side and mode (5: the heartbeat phase spreads failover over ~3 s)",
    )
    p.add_argument("--quick", action="store_true", help="one run, 5 s idle windows")
    p.add_argument(
        "--java-defaults",
        action="store_true",
        help=f"also fail over Java with its defaults ({DELAY_KEY}=300000): minutes per run",
    )
    p.add_argument("--java-defaults-runs", type=int, default=1)
    p.add_argument("--java-defaults-cap", type=float, default=400.0, help="seconds (400)")
    p.add_argument("--failover-cap", type=float, default=90.0, help="seconds, delay-0 modes")
    p.add_argument("--workers", type=int, default=3)
    p.add_argument("--connectors", type=int, default=50)
    p.add_argument("--idle-seconds", type=float, default=10.0, help="idle window (10 s)")
    p.add_argument(
        "--idle-settle", type=float, default=5.0, help="seconds before an idle window (5 s)"
    )
    p.add_argument("--settle", type=float, default=3.0, help="seconds a placement must hold")
    p.add_argument(
        "--steady",
        type=float,
        default=4.0,
        help="D1: seconds the group must be Stable (and the placement unchanged) before a kill",
    )
    p.add_argument("--bootstrap", help="use this broker instead of starting one")
    p.add_argument("--port", type=int, default=19092, help="port of the bench broker")
    p.add_argument("--cache-dir", type=Path, default=Path(".cache/bench"))
    p.add_argument("--results-dir", type=Path, default=Path("bench/results"))
    return p


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    sides = [s.strip() for s in args.sides.split(",") if s.strip()]
    if not sides or any(s not in ("sluice", "java") for s in sides):
        print("--sides: use sluice and/or java", file=sys.stderr)
        return 2
    only = [o.strip() for o in args.only.split(",") if o.strip()]
    if only and not selected_ids(only):
        print(f"--only: none of {D_IDS} matches {only}", file=sys.stderr)
        return 2
    opts = DistOptions(
        sides=sides,
        only=only,
        runs=1 if args.quick else args.runs,
        failover_runs=1 if args.quick else args.failover_runs,
        java_defaults=args.java_defaults,
        java_defaults_runs=args.java_defaults_runs,
        java_defaults_cap=args.java_defaults_cap,
        failover_cap=args.failover_cap,
        workers=args.workers,
        connectors=args.connectors,
        idle_seconds=5.0 if args.quick else args.idle_seconds,
        idle_settle=args.idle_settle,
        settle=args.settle,
        steady=args.steady,
        cache_dir=args.cache_dir,
        results_dir=args.results_dir,
    )
    signal.signal(signal.SIGTERM, _interrupt)  # the broker is stopped too
    progress = Progress()
    cache = opts.cache_dir.resolve()
    cache.mkdir(parents=True, exist_ok=True)
    local: LocalKafka | None = None
    broker: Broker | None = None
    try:
        bootstrap = args.bootstrap
        if bootstrap is None:
            local = LocalKafka(port=args.port, data_dir=cache / "kafka", heap="1g")
            progress.done(f"starting the bench broker on port {args.port} ({local.data_dir})")
            bootstrap = local.start(timeout=180)
        broker = Broker(bootstrap)
        results = run_distributed(opts, broker, progress)
        return 0 if results else 1
    except KeyboardInterrupt:
        progress.done("interrupted: stopping every worker")
        return 130
    finally:
        kill_all()
        if broker is not None:
            broker.close()
            broker = None  # its admin client goes now, not after the broker stopped
            gc.collect()
        if local is not None:
            progress.done("stopping the bench broker")
            local.stop()


if __name__ == "__main__":
    sys.exit(main())
