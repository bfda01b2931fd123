"""``GET /metrics`` and ``GET /metrics/summary`` of a standalone worker moving real records.

A file source feeds a topic; a file sink reads it with a JSON converter that refuses some
lines, which go to a dead letter queue. The figures the worker reports must equal what moved.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from sluice.testing import EmbeddedWorker, wait_for
from tests.fixtures.kafka import consume_all

pytestmark = pytest.mark.integration

GOOD = 40
BAD = 5

# What Strimzi's Kafka Connect dashboard queries (strimzi-kafka-connect.json), apart from the
# Kubernetes container series and the per-pod labels Prometheus adds when it scrapes.
DASHBOARD_SERIES = {
    "kafka_connect_worker_connector_count",
    "kafka_connect_worker_task_count",
    "kafka_connect_worker_connector_running_task_count",
    "kafka_connect_worker_connector_paused_task_count",
    "kafka_connect_worker_connector_failed_task_count",
    "kafka_connect_worker_connector_unassigned_task_count",
    "kafka_connect_worker_connector_destroyed_task_count",
    "kafka_connect_connector_status",
    "kafka_connect_connector_connector_class",
    "kafka_connect_connector_connector_type",
    "kafka_connect_connector_connector_version",
    "kafka_connect_connector_task_status",
    "kafka_connect_task_error_total_record_failures",
    "kafka_producer_connection_count",
    "kafka_consumer_connection_count",
    "kafka_producer_outgoing_byte_total",
    "kafka_consumer_incoming_byte_total",
    "jvm_memory_used_bytes",
    "jvm_threads_current",
    "jvm_gc_collection_seconds_sum",
}


def scrape(api: httpx.Client) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = api.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    out: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            out[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return out


def value(samples: dict[Any, float], name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


@pytest.fixture
def worker(kafka_bootstrap: str, tmp_path: Path) -> Iterator[EmbeddedWorker]:
    with EmbeddedWorker(kafka_bootstrap, tmp_path / "w") as w:
        yield w


def test_metrics_count_what_moved(
    worker: EmbeddedWorker, kafka_topic: Any, kafka_bootstrap: str, tmp_path: Path
) -> None:
    topic, dlq = kafka_topic(), kafka_topic()
    source_file, sink_file = tmp_path / "in.txt", tmp_path / "out.txt"
    lines = [str(i) for i in range(GOOD)] + [f"not json {i}" for i in range(BAD)]
    source_file.write_text("".join(f"{line}\n" for line in lines))
    worker.create(
        "src",
        {
            "connector.class": "FileStreamSource",
            "file": str(source_file),
            "topic": topic,
        },
    )
    worker.create(
        "snk",
        {
            "connector.class": "FileStreamSink",
            "file": str(sink_file),
            "topics": topic,
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter.schemas.enable": "false",
            "errors.tolerance": "all",
            "errors.deadletterqueue.topic.name": dlq,
            "errors.deadletterqueue.topic.replication.factor": "1",
        },
    )
    worker.wait_running("src")
    worker.wait_running("snk")
    assert len(consume_all(kafka_bootstrap, dlq, BAD)) == BAD
    src = {"connector": "src", "task": "0"}
    snk = {"connector": "snk", "task": "0"}

    with httpx.Client(base_url=worker.rest_url, timeout=30) as api:

        def settled() -> dict[Any, float] | None:
            s = scrape(api)
            done = (
                value(s, "kafka_connect_sink_task_sink_record_send_total", **snk) == GOOD
                and value(s, "sluice_sink_partition_lag", **snk, topic=topic, partition="0") == 0
            )
            return s if done else None

        s = wait_for(settled, 30, message=lambda: api.get("/metrics").text[-3000:])

        def missing() -> set[str]:
            names = {k[0] for k in scrape(api)}
            return {name for name in DASHBOARD_SERIES if name not in names}

        # The clients' connection and byte figures come with librdkafka's statistics (5 s).
        wait_for(
            lambda: not missing(),
            20,
            message=lambda: f"series Strimzi's dashboard reads are missing: {sorted(missing())}",
        )

        # Source: every line polled and written, commits succeeded.
        n = float(GOOD + BAD)
        assert value(s, "kafka_connect_source_task_source_record_poll_total", **src) == n
        assert value(s, "kafka_connect_source_task_source_record_write_total", **src) == n
        assert value(s, "kafka_connect_source_task_source_record_poll_rate", **src) > 0
        assert value(s, "kafka_connect_connector_task_batch_size_max", **src) >= 1
        # Sink: all read, the good ones put, the bad ones counted and sent to the DLQ.
        assert value(s, "kafka_connect_sink_task_sink_record_read_total", **snk) == n
        assert value(s, "kafka_connect_task_error_total_record_errors", **snk) == BAD
        assert value(s, "kafka_connect_task_error_total_record_failures", **snk) == BAD
        assert value(s, "kafka_connect_task_error_total_records_skipped", **snk) == BAD
        assert value(s, "kafka_connect_task_error_deadletterqueue_produce_requests", **snk) == BAD
        assert value(s, "kafka_connect_task_error_deadletterqueue_produce_failures", **snk) == 0
        assert value(s, "kafka_connect_task_error_last_error_timestamp", **snk) > 0
        assert value(s, "kafka_connect_task_error_total_record_errors", **src) == 0
        assert value(s, "kafka_connect_sink_task_partition_count", **snk) == 1
        # States and the worker's counts.
        for task in (src, snk):
            assert value(s, "kafka_connect_connector_task_status", **task, status="running") == 1
        assert value(s, "kafka_connect_connector_status", connector="src", status="running") == 1
        assert (
            value(
                s, "kafka_connect_connector_connector_type", connector="snk", connector_type="sink"
            )
            == 1
        )
        assert value(s, "kafka_connect_worker_connector_count") == 2
        assert value(s, "kafka_connect_worker_task_count") == 2
        assert value(s, "kafka_connect_worker_task_startup_success_total") == 2
        assert value(s, "kafka_connect_worker_connector_startup_attempts_total") == 2
        assert value(s, "kafka_connect_worker_connector_running_task_count", connector="snk") == 1
        assert len(sink_file.read_text().splitlines()) == GOOD

        # Commit figures arrive with the next offset flush (every second here).
        def committed() -> bool:
            s = scrape(api)
            return (
                value(s, "kafka_connect_connector_task_offset_commit_success_percentage", **src)
                == 1.0
                and (value(s, "kafka_connect_sink_task_offset_commit_seq_no", **snk) or 0) >= 1
            )

        wait_for(committed, 15, message="no successful offset commit was counted")

        # The JSON summary agrees with the Prometheus figures.
        summary = api.get("/metrics/summary").json()
        tasks = {t["connector"]: t for t in summary["tasks"]}
        assert tasks["src"]["records_out_total"] == GOOD + BAD
        assert tasks["src"]["type"] == "source" and tasks["src"]["lag"] is None
        assert tasks["snk"]["records_out_total"] == GOOD
        assert tasks["snk"]["lag"] == 0
        assert tasks["snk"]["partitions"] == [{"topic": topic, "partition": 0, "lag": 0}]
        assert tasks["snk"]["errors_total"] == BAD
        assert tasks["snk"]["dlq_produce_requests"] == BAD
        assert summary["workers"] == [
            {"worker_id": summary["worker_id"], "reachable": True, "error": None}
        ]

        # Pausing shows in the task status and the worker's per-connector counts.
        assert api.put("/connectors/snk/pause").status_code == 202

        def paused() -> bool:
            s = scrape(api)
            return (
                value(s, "kafka_connect_connector_task_status", **snk, status="paused") == 1
                and value(s, "kafka_connect_worker_connector_paused_task_count", connector="snk")
                == 1
                and value(s, "kafka_connect_connector_status", connector="snk", status="paused")
                == 1
            )

        wait_for(paused, 15, message=lambda: api.get("/metrics").text[-2000:])

        # A deleted connector's series go with it; a bad scope is a 400 naming the parameter.
        assert api.delete("/connectors/src").status_code == 204
        s = scrape(api)
        assert not any(dict(labels).get("connector") == "src" for _, labels in s)
        bad = api.get("/metrics/summary", params={"scope": "everything"})
        assert bad.status_code == 400 and "scope" in bad.json()["message"]
