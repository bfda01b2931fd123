"""The Prometheus names sluice emits are those Strimzi's JMX exporter rules give Kafka
Connect's MBeans.

The MBeans and attributes below are Kafka Connect's (``ConnectMetricsRegistry``, the worker and
herder metric groups); the rules are the ones in Strimzi's ``kafka-connect-metrics.yaml``,
restated here as regular expressions. Whatever Strimzi would export for Kafka Connect, sluice
must export under the same name and labels.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from sluice.runtime.errors import ErrorHandler
from sluice.runtime.metrics.client_stats import ClientStatsRegistry
from sluice.runtime.metrics.exposition import new_registry
from sluice.runtime.metrics.task_metrics import SinkTaskMetrics, SourceTaskMetrics, TaskMetrics
from sluice.runtime.metrics.worker_metrics import RebalanceMetrics, WorkerMetrics
from sluice.runtime.status import ConnectorType
from sluice.runtime.task_problems import TaskProblems
from sluice.storage.states import ConnectorTaskId

TASK_GROUPS = {
    "connector-task-metrics": [
        "running-ratio", "pause-ratio", "offset-commit-max-time-ms", "offset-commit-avg-time-ms",
        "batch-size-max", "batch-size-avg", "offset-commit-failure-percentage",
        "offset-commit-success-percentage",
    ],
    "source-task-metrics": [
        "source-record-poll-rate", "source-record-poll-total", "source-record-write-rate",
        "source-record-write-total", "poll-batch-max-time-ms", "poll-batch-avg-time-ms",
        "source-record-active-count", "source-record-active-count-max",
        "source-record-active-count-avg",
    ],
    "sink-task-metrics": [
        "sink-record-read-rate", "sink-record-read-total", "sink-record-send-rate",
        "sink-record-send-total", "sink-record-lag-max", "partition-count",
        "offset-commit-seq-no", "offset-commit-completion-rate", "offset-commit-completion-total",
        "offset-commit-skip-rate", "offset-commit-skip-total", "put-batch-max-time-ms",
        "put-batch-avg-time-ms", "sink-record-active-count", "sink-record-active-count-max",
        "sink-record-active-count-avg",
    ],
    "task-error-metrics": [
        "total-record-failures", "total-record-errors", "total-records-skipped", "total-retries",
        "total-errors-logged", "deadletterqueue-produce-requests",
        "deadletterqueue-produce-failures", "last-error-timestamp",
    ],
}  # fmt: skip
WORKER = [
    "connector-count", "task-count", "connector-startup-attempts-total",
    "connector-startup-success-total", "connector-startup-success-percentage",
    "connector-startup-failure-total", "connector-startup-failure-percentage",
    "task-startup-attempts-total", "task-startup-success-total",
    "task-startup-success-percentage", "task-startup-failure-total",
    "task-startup-failure-percentage",
]  # fmt: skip
WORKER_PER_CONNECTOR = [
    "connector-total-task-count", "connector-running-task-count", "connector-paused-task-count",
    "connector-failed-task-count", "connector-unassigned-task-count",
    "connector-destroyed-task-count", "connector-restarting-task-count",
]  # fmt: skip
REBALANCE = [
    "epoch", "completed-rebalances-total", "rebalancing", "rebalance-max-time-ms",
    "rebalance-avg-time-ms", "time-since-last-rebalance-ms",
]  # fmt: skip

# Strimzi's rules for the kafka.connect domain: (pattern, name template, label templates).
TASK_NUMERIC = (
    r".+-count|.+-ms|.+-ratio|.+-seq-no|.+-rate|.+-max|.+-avg|.+-failures|.+-requests"
    r"|.+-timestamp|.+-logged|.+-errors|.+-retries|.+-skipped"
)
RULES: list[tuple[str, str, dict[str, str]]] = [
    (
        r"kafka.connect<type=connector-metrics, connector=(.+)><>"
        r"(connector-class|connector-type|connector-version|status): (.+)",
        "kafka_connect_connector_$2",
        {"connector": "$1", "$2": "$3"},
    ),
    (
        r"kafka.connect<type=connector-task-metrics, connector=(.+), task=(.+)><>status: ([a-z-]+)",
        "kafka_connect_connector_task_status",
        {"connector": "$1", "task": "$2", "status": "$3"},
    ),
    (
        r"kafka.connect<type=(.+)-metrics, connector=(.+), task=(.+)><>(.+-total)",
        "kafka_connect_$1_$4",
        {"connector": "$2", "task": "$3"},
    ),
    (
        rf"kafka.connect<type=(.+)-metrics, connector=(.+), task=(.+)><>({TASK_NUMERIC})",
        "kafka_connect_$1_$4",
        {"connector": "$2", "task": "$3"},
    ),
    (
        r"kafka.connect<type=connect-worker-metrics, connector=(.+)><>([a-z-]+)",
        "kafka_connect_worker_$2",
        {"connector": "$1"},
    ),
    (r"kafka.connect<type=connect-worker-metrics><>([a-z-]+)", "kafka_connect_worker_$1", {}),
    (
        r"kafka.connect<type=connect-worker-rebalance-metrics><>"
        r"(leader-name|connect-protocol): (.+)",
        "kafka_connect_worker_rebalance_$1",
        {"$1": "$2"},
    ),
    (
        r"kafka.connect<type=connect-worker-rebalance-metrics><>([a-z-]+)",
        "kafka_connect_worker_rebalance_$1",
        {},
    ),
    (
        r"kafka.(.+)<type=(.+)-metrics, client-id=(.*)><>(.+-connectors|.+-tasks)",
        "kafka_$2_$4",
        {"clientid": "$3"},
    ),
]


def _sub(template: str, match: re.Match[str]) -> str:
    return re.sub(r"\$(\d)", lambda m: match.group(int(m.group(1))), template)


def _clean(name: str) -> str:
    """The exporter's ``lowercaseOutputName``/``lowercaseOutputLabelNames`` and sanitising."""
    return re.sub(r"[^a-zA-Z0-9_:]", "_", name).lower()


def strimzi(bean: str) -> tuple[str, frozenset[str]] | None:
    """The series name and label names Strimzi's first matching rule gives ``bean``."""
    for pattern, name, labels in RULES:
        match = re.fullmatch(pattern, bean)
        if match:
            return _clean(_sub(name, match)), frozenset(_clean(_sub(k, match)) for k in labels)
    return None


def kafka_connect_beans() -> list[str]:
    beans = [
        "kafka.connect<type=connector-metrics, connector=c><>" + f"{attr}: x"
        for attr in ("connector-class", "connector-type", "connector-version", "status")
    ]
    beans.append("kafka.connect<type=connector-task-metrics, connector=c, task=0><>status: running")
    for group, attributes in TASK_GROUPS.items():
        beans += [f"kafka.connect<type={group}, connector=c, task=0><>{a}" for a in attributes]
    beans += [f"kafka.connect<type=connect-worker-metrics><>{a}" for a in WORKER]
    beans += [
        f"kafka.connect<type=connect-worker-metrics, connector=c><>{a}"
        for a in WORKER_PER_CONNECTOR
    ]
    beans += [f"kafka.connect<type=connect-worker-rebalance-metrics><>{a}" for a in REBALANCE]
    beans += [
        f"kafka.connect<type=connect-worker-rebalance-metrics><>{a}: x"
        for a in ("leader-name", "connect-protocol")
    ]
    beans += [
        f"kafka.connect<type=connect-coordinator-metrics, client-id=connect-1><>{a}"
        for a in ("assigned-connectors", "assigned-tasks")
    ]
    return beans


@dataclass
class FakeConnector:
    kind: ConnectorType
    config: dict[str, str] = field(default_factory=lambda: {"connector.class": "FileStreamSource"})

    @property
    def type(self) -> ConnectorType:
        return self.kind

    def status(self) -> str:
        return "running"

    def version(self) -> str:
        return "4.1.1"


@dataclass
class FakeTask:
    id: ConnectorTaskId
    metrics: TaskMetrics
    errors: ErrorHandler
    problems: TaskProblems = field(default_factory=TaskProblems)

    def dead_letter_counts(self) -> tuple[int, int]:
        return 0, 0


class FakeWorker:
    """The few things the collector reads from a worker, with real metric objects."""

    client_id = "connect-1"

    def __init__(self) -> None:
        self.metrics = WorkerMetrics()
        self.rebalance_metrics = RebalanceMetrics()
        self.rebalance_metrics.completed("sessioned", "http://w1:8083/", 3, 1, 2)
        self.client_stats = ClientStatsRegistry()
        source = SourceTaskMetrics("c", 0)
        source.set_status("running")
        source.record_poll(10, 0.01)
        sink = SinkTaskMetrics("d", 0)
        sink.record_read(10)
        sink.lag = {("t", 0): 4}
        self.tasks = [
            FakeTask(ConnectorTaskId("c", 0), source, ErrorHandler("c", 0)),
            FakeTask(ConnectorTaskId("d", 0), sink, ErrorHandler("d", 0)),
        ]

    def connector_snapshot(self) -> dict[str, FakeConnector]:
        return {"c": FakeConnector(ConnectorType.SOURCE), "d": FakeConnector(ConnectorType.SINK)}

    def task_snapshot(self) -> list[FakeTask]:
        return self.tasks


def emitted() -> dict[str, set[frozenset[str]]]:
    text = generate_latest(new_registry(FakeWorker())).decode()  # type: ignore[arg-type]
    out: dict[str, set[frozenset[str]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out.setdefault(sample.name, set()).add(frozenset(sample.labels))
    return out


def test_every_series_strimzi_exports_for_kafka_connect_is_emitted() -> None:
    ours = emitted()
    expected = {s for bean in kafka_connect_beans() if (s := strimzi(bean)) is not None}
    # Kafka's two offset-commit percentages match no Strimzi rule; everything else does.
    assert len(expected) == len(kafka_connect_beans()) - 2
    missing = [
        (name, sorted(labels)) for name, labels in expected if labels not in ours.get(name, set())
    ]
    assert not missing, missing


def test_examples_from_the_issue_and_the_dashboard() -> None:
    ours = emitted()
    assert (
        frozenset({"connector", "task"})
        in ours["kafka_connect_source_task_source_record_poll_total"]
    )
    assert frozenset({"connector", "task", "status"}) in ours["kafka_connect_connector_task_status"]
    assert frozenset() in ours["kafka_connect_worker_connector_count"]
    assert frozenset() in ours["kafka_connect_worker_task_startup_attempts_total"]
    assert frozenset({"clientid"}) in ours["kafka_connect_coordinator_assigned_tasks"]
    # sluice's own: lag per sink partition, which Kafka Connect does not expose per task.
    assert (
        frozenset({"connector", "task", "topic", "partition"}) in ours["sluice_sink_partition_lag"]
    )


def test_values_read_from_the_task_objects() -> None:
    text = generate_latest(new_registry(FakeWorker())).decode()  # type: ignore[arg-type]
    samples: dict[tuple[str, frozenset[tuple[str, Any]]], float] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples[(s.name, frozenset(s.labels.items()))] = s.value
    c0 = frozenset({("connector", "c"), ("task", "0")})
    assert samples[("kafka_connect_source_task_source_record_poll_total", c0)] == 10
    assert samples[("kafka_connect_connector_task_status", c0 | {("status", "running")})] == 1
    d0 = frozenset({("connector", "d"), ("task", "0")})
    assert samples[("kafka_connect_sink_task_sink_record_lag_max", d0)] == 4
    assert samples[("kafka_connect_worker_rebalance_epoch", frozenset())] == 3
    assert samples[("kafka_connect_worker_rebalance_completed_rebalances_total", frozenset())] == 1
    leader = frozenset({("leader_name", "http://w1:8083/")})
    assert samples[("kafka_connect_worker_rebalance_leader_name", leader)] == 1
    assert samples[("kafka_connect_worker_connector_count", frozenset())] == 2
