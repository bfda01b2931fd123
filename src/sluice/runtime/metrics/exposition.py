"""The worker's metrics in Prometheus' text format, named as Strimzi's JMX exporter names
Kafka Connect's MBeans.

Strimzi's rules (``kafka-connect-metrics.yaml``) turn ``kafka.connect:type=<group>-metrics,
connector=X,task=0`` attribute ``<name>`` into ``kafka_connect_<group>_<name>`` with ``connector``
and ``task`` labels (dashes to underscores, lower case); attributes ending in ``-total`` become
counters, the rest gauges; string attributes (``status``, ``connector-class``, ``leader-name``)
become a gauge of 1 with the string as a label. Emitting those names directly lets Strimzi's
Grafana dashboard and existing alert rules work against a sluice worker unchanged.

Everything is read at scrape time from the live worker: nothing is registered or unregistered
as connectors and tasks come and go, so a vanished task simply stops appearing.
"""

from __future__ import annotations

import gc
import math
import threading
import time
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

import psutil
from prometheus_client import CollectorRegistry, GCCollector, PlatformCollector, ProcessCollector
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    Metric,
    SummaryMetricFamily,
)
from prometheus_client.registry import Collector

from sluice.runtime.metrics.task_metrics import TASK_STATES, SinkTaskMetrics, SourceTaskMetrics

if TYPE_CHECKING:
    from sluice.runtime.worker import Worker
    from sluice.runtime.worker_task import WorkerTask

__all__ = ["ConnectCollector", "JvmCompatCollector", "new_registry"]

_TASK = ("connector", "task")


class _Families:
    """Families created on first use, so a scrape only lists what has samples."""

    def __init__(self) -> None:
        self._by_name: dict[str, Metric] = {}

    def add(
        self,
        name: str,
        labels: dict[str, str],
        value: float,
        doc: str = "",
        counter: bool = False,
    ) -> None:
        family = self._by_name.get(name)
        if family is None:
            kind = CounterMetricFamily if counter else GaugeMetricFamily
            family = kind(name, doc or name.replace("_", " "), labels=list(labels))
            self._by_name[name] = family
        family.add_metric(list(labels.values()), float(value))  # type: ignore[attr-defined]

    def __iter__(self) -> Iterator[Metric]:
        return iter(self._by_name.values())


class ConnectCollector(Collector):
    """Kafka Connect's metric groups for one worker, read from it at scrape time."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker

    def collect(self) -> Iterable[Metric]:
        out = _Families()
        self._worker_group(out)
        self._connectors(out)
        self._tasks(out)
        self._rebalance(out)
        self._clients(out)
        return out

    # -- connect-worker-metrics ---------------------------------------------------------------
    def _worker_group(self, out: _Families) -> None:
        worker = self.worker
        connectors = worker.connector_snapshot()
        tasks = worker.task_snapshot()
        out.add("kafka_connect_worker_connector_count", {}, len(connectors))
        out.add("kafka_connect_worker_task_count", {}, len(tasks))
        for what, counts in (
            ("connector", worker.metrics.connector_startups),
            ("task", worker.metrics.task_startups),
        ):
            prefix = f"kafka_connect_worker_{what}_startup"
            out.add(f"{prefix}_attempts_total", {}, counts.attempts, counter=True)
            out.add(f"{prefix}_success_total", {}, counts.successes, counter=True)
            out.add(f"{prefix}_failure_total", {}, counts.failures, counter=True)
            out.add(f"{prefix}_success_percentage", {}, counts.percentage(counts.successes))
            out.add(f"{prefix}_failure_percentage", {}, counts.percentage(counts.failures))
        per_connector: dict[str, dict[str, int]] = {
            name: dict.fromkeys(TASK_STATES, 0) for name in connectors
        }
        for task in tasks:
            states = per_connector.setdefault(task.id.connector, dict.fromkeys(TASK_STATES, 0))
            states[task.metrics.status] = states.get(task.metrics.status, 0) + 1
        for name, states in per_connector.items():
            labels = {"connector": name}
            out.add("kafka_connect_worker_connector_total_task_count", labels, sum(states.values()))
            for state in TASK_STATES:
                out.add(f"kafka_connect_worker_connector_{state}_task_count", labels, states[state])

    # -- connector-metrics --------------------------------------------------------------------
    def _connectors(self, out: _Families) -> None:
        for name, wc in self.worker.connector_snapshot().items():
            out.add(
                "kafka_connect_connector_connector_class",
                {"connector": name, "connector_class": wc.config.get("connector.class", "")},
                1,
            )
            out.add(
                "kafka_connect_connector_connector_type",
                {"connector": name, "connector_type": wc.type.value},
                1,
            )
            out.add(
                "kafka_connect_connector_connector_version",
                {"connector": name, "connector_version": wc.version()},
                1,
            )
            out.add("kafka_connect_connector_status", {"connector": name, "status": wc.status()}, 1)

    # -- connector-task, source-task, sink-task and task-error metrics ------------------------
    def _tasks(self, out: _Families) -> None:
        for task in self.worker.task_snapshot():
            m = task.metrics
            labels = {"connector": task.id.connector, "task": str(task.id.task)}
            out.add("kafka_connect_connector_task_status", {**labels, "status": m.status}, 1)
            running, paused = m.ratios()
            g = "kafka_connect_connector_task_"
            out.add(g + "running_ratio", labels, running)
            out.add(g + "pause_ratio", labels, paused)
            out.add(g + "offset_commit_max_time_ms", labels, m.commit_time_ms.max())
            out.add(g + "offset_commit_avg_time_ms", labels, m.commit_time_ms.avg())
            out.add(g + "batch_size_max", labels, m.batch_size.max())
            out.add(g + "batch_size_avg", labels, m.batch_size.avg())
            success = m.commit_outcome.avg()
            out.add(
                g + "offset_commit_success_percentage",
                labels,
                0.0 if math.isnan(success) else success,
            )
            out.add(
                g + "offset_commit_failure_percentage",
                labels,
                0.0 if math.isnan(success) else 1.0 - success,
            )
            if isinstance(m, SourceTaskMetrics):
                self._source(out, labels, m)
            elif isinstance(m, SinkTaskMetrics):
                self._sink(out, labels, m)
            self._errors(out, labels, task)
            self._problems(out, labels, task)

    @staticmethod
    def _source(out: _Families, labels: dict[str, str], m: SourceTaskMetrics) -> None:
        g = "kafka_connect_source_task_"
        out.add(g + "source_record_poll_rate", labels, m.poll.rate())
        out.add(g + "source_record_poll_total", labels, m.poll_total, counter=True)
        out.add(g + "source_record_write_rate", labels, m.write.rate())
        out.add(g + "source_record_write_total", labels, m.write_total, counter=True)
        out.add(g + "poll_batch_max_time_ms", labels, m.poll_time_ms.max())
        out.add(g + "poll_batch_avg_time_ms", labels, m.poll_time_ms.avg())
        out.add(g + "source_record_active_count", labels, m.active_count())
        out.add(g + "source_record_active_count_max", labels, m.active.max())
        out.add(g + "source_record_active_count_avg", labels, m.active.avg())

    @staticmethod
    def _sink(out: _Families, labels: dict[str, str], m: SinkTaskMetrics) -> None:
        g = "kafka_connect_sink_task_"
        out.add(g + "sink_record_read_rate", labels, m.read.rate())
        out.add(g + "sink_record_read_total", labels, m.read_total, counter=True)
        out.add(g + "sink_record_send_rate", labels, m.send.rate())
        out.add(g + "sink_record_send_total", labels, m.send_total, counter=True)
        out.add(g + "sink_record_lag_max", labels, m.lag_max())
        out.add(g + "partition_count", labels, m.partition_count)
        out.add(g + "offset_commit_seq_no", labels, m.commit_seq_no)
        out.add(g + "offset_commit_completion_rate", labels, m.commit_completion.rate())
        out.add(
            g + "offset_commit_completion_total", labels, m.commit_completion_total, counter=True
        )
        out.add(g + "offset_commit_skip_rate", labels, m.commit_skip.rate())
        out.add(g + "offset_commit_skip_total", labels, m.commit_skip_total, counter=True)
        out.add(g + "put_batch_max_time_ms", labels, m.put_time_ms.max())
        out.add(g + "put_batch_avg_time_ms", labels, m.put_time_ms.avg())
        out.add(g + "sink_record_active_count", labels, m.active_count)
        out.add(g + "sink_record_active_count_max", labels, m.active.max())
        out.add(g + "sink_record_active_count_avg", labels, m.active.avg())
        for (topic, partition), lag in sorted(m.lag.items()):
            out.add(
                "sluice_sink_partition_lag",
                {**labels, "topic": topic, "partition": str(partition)},
                lag,
                "Records in the partition not yet read by the sink task (high watermark minus "
                "the next offset to read); Kafka Connect has no per-partition figure",
            )

    @staticmethod
    def _errors(out: _Families, labels: dict[str, str], task: WorkerTask) -> None:
        e = task.errors
        requests, failures = task.dead_letter_counts()
        g = "kafka_connect_task_error_"
        out.add(g + "total_record_failures", labels, e.total_failures)
        out.add(g + "total_record_errors", labels, e.total_errors)
        out.add(g + "total_records_skipped", labels, e.total_skipped)
        out.add(g + "total_retries", labels, e.total_retries)
        out.add(g + "total_errors_logged", labels, e.errors_logged)
        out.add(g + "deadletterqueue_produce_requests", labels, requests)
        out.add(g + "deadletterqueue_produce_failures", labels, failures)
        out.add(g + "last_error_timestamp", labels, e.last_error_ms)

    @staticmethod
    def _problems(out: _Families, labels: dict[str, str], task: WorkerTask) -> None:
        for problem in task.problems.current():
            out.add(
                "sluice_task_problem",
                {**labels, "kind": problem.kind},
                1,
                "1 while the task has a current problem of this kind (kafka: its clients cannot "
                "reach the brokers; log: it keeps logging warnings); absent otherwise",
            )

    # -- connect-worker-rebalance-metrics and connect-coordinator-metrics ---------------------
    def _rebalance(self, out: _Families) -> None:
        r = self.worker.rebalance_metrics
        if r is None:
            return
        g = "kafka_connect_worker_rebalance_"
        if r.connect_protocol:
            out.add(g + "connect_protocol", {"connect_protocol": r.connect_protocol}, 1)
        if r.leader_name:
            out.add(g + "leader_name", {"leader_name": r.leader_name}, 1)
        out.add(g + "epoch", {}, r.epoch)
        out.add(g + "completed_rebalances_total", {}, r.completed_total, counter=True)
        out.add(g + "rebalancing", {}, 1.0 if r.rebalancing else 0.0)
        out.add(g + "rebalance_max_time_ms", {}, r.time_ms.max())
        out.add(g + "rebalance_avg_time_ms", {}, r.time_ms.avg())
        out.add(g + "time_since_last_rebalance_ms", {}, r.time_since_last_ms())
        client = {"clientid": self.worker.client_id}
        out.add("kafka_connect_coordinator_assigned_connectors", client, r.assigned_connectors)
        out.add("kafka_connect_coordinator_assigned_tasks", client, r.assigned_tasks)

    # -- the clients' connections and bytes ---------------------------------------------------
    def _clients(self, out: _Families) -> None:
        for c in self.worker.client_stats.snapshot():
            labels = {"clientid": c.client_id}
            out.add(f"kafka_{c.kind}_connection_count", labels, c.connections)
            if c.kind == "producer":
                out.add(
                    "kafka_producer_outgoing_byte_total", labels, c.outgoing_bytes, counter=True
                )
            else:
                out.add(
                    "kafka_consumer_incoming_byte_total", labels, c.incoming_bytes, counter=True
                )


class _GcTimes:
    """Time in Python's garbage collector per generation, measured once for the process."""

    def __init__(self) -> None:
        self.seconds = [0.0, 0.0, 0.0]
        self.count = [0, 0, 0]
        self._started = 0.0
        self._lock = threading.Lock()
        gc.callbacks.append(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        generation = info.get("generation", 0)
        with self._lock:
            self.seconds[generation] += time.perf_counter() - self._started
            self.count[generation] += 1

    def family(self) -> Metric:
        family = SummaryMetricFamily(
            "jvm_gc_collection_seconds",
            "Time spent in Python's garbage collector, by generation",
            labels=["gc"],
        )
        with self._lock:
            for generation in range(3):
                family.add_metric(
                    [f"python-gen{generation}"], self.count[generation], self.seconds[generation]
                )
        return family


_gc_times: _GcTimes | None = None
_gc_lock = threading.Lock()


def _process_gc_times() -> _GcTimes:
    global _gc_times
    with _gc_lock:
        if _gc_times is None:
            _gc_times = _GcTimes()
        return _gc_times


class JvmCompatCollector(Collector):
    """The process figures Strimzi's dashboard reads under the JVM exporter's names.

    A Python worker has no JVM; its resident memory, thread count and garbage-collection time
    stand in for ``jvm_memory_used_bytes``, ``jvm_threads_current`` and
    ``jvm_gc_collection_seconds`` so the dashboard's memory, thread and GC panels are not
    empty. The standard ``process_*`` and ``python_*`` series are exported too.
    """

    def __init__(self) -> None:
        self._process = psutil.Process()
        self._gc = _process_gc_times()

    def collect(self) -> Iterable[Metric]:
        memory = GaugeMetricFamily(
            "jvm_memory_used_bytes", "Resident memory of the worker process", labels=["area"]
        )
        memory.add_metric(["heap"], float(self._process.memory_info().rss))
        threads = GaugeMetricFamily("jvm_threads_current", "Threads of the worker process")
        threads.add_metric([], float(threading.active_count()))
        return [memory, threads, self._gc.family()]


def new_registry(worker: Worker) -> CollectorRegistry:
    """A registry of its own per worker (tests run several workers in one process)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ConnectCollector(worker))
    registry.register(JvmCompatCollector())
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    return registry
