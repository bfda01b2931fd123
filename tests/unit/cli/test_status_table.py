"""``sluice status`` and ``sluice connectors`` output from REST documents, without a worker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sluice.cli.connectors import describe_text, is_create_request, list_table, offsets_table
from sluice.cli.status import (
    metrics_by_task,
    status_table,
    trace_summary,
    unreachable_workers,
)

CONNECTORS: dict[str, Any] = {
    "src": {
        "status": {
            "name": "src",
            "connector": {"state": "RUNNING", "worker_id": "w1:8083"},
            "tasks": [
                {
                    "id": 1,
                    "state": "FAILED",
                    "worker_id": "w2:8083",
                    "trace": "Traceback\n  x\nE: boom",
                },
                {"id": 0, "state": "RUNNING", "worker_id": "w1:8083"},
            ],
            "type": "source",
        },
        "info": {
            "name": "src",
            "config": {"connector.class": "FileStreamSource"},
            "type": "source",
        },
    },
    "sink": {
        "status": {
            "name": "sink",
            "connector": {"state": "PAUSED", "worker_id": "w1:8083"},
            "tasks": [{"id": 0, "state": "PAUSED", "worker_id": "w1:8083"}],
            "type": "sink",
        },
        "info": {"name": "sink", "config": {"connector.class": "FileStreamSink"}, "type": "sink"},
    },
}

SUMMARY = {
    "workers": [{"worker_id": "w2:8083", "reachable": False, "error": "timed out"}],
    "tasks": [
        {
            "connector": "src",
            "task": 0,
            "records_in_rate": 12.5,
            "records_out_rate": 10.0,
            "lag": None,
        },
        {"connector": "sink", "task": 0, "records_in_rate": 0.0, "records_out_rate": 0, "lag": 42},
    ],
}


def test_status_table_with_numbers() -> None:
    lines = status_table(CONNECTORS, SUMMARY).splitlines()
    assert lines[0].split() == [
        "CONNECTOR",
        "TASK",
        "TYPE",
        "STATE",
        "WORKER",
        "IN/S",
        "OUT/S",
        "LAG",
    ]
    assert lines[1].split() == ["sink", "sink", "PAUSED", "w1:8083", "0.0", "0.0", "42"]
    assert lines[2].split() == ["sink", "0", "sink", "PAUSED", "w1:8083", "0.0", "0.0", "42"]
    # the connector row adds up what is known of its tasks; task 1's worker did not answer
    assert lines[3].split() == ["src", "source", "RUNNING", "w1:8083", "12.5", "10.0", "-"]
    assert lines[4].split() == ["src", "0", "source", "RUNNING", "w1:8083", "12.5", "10.0", "-"]
    assert lines[5].split() == ["src", "1", "source", "FAILED", "w2:8083", "-", "-", "-"]
    assert lines[-2:] == ["Failed:", "  src task 1: E: boom"]
    assert unreachable_workers(SUMMARY) == ["w2:8083 (timed out)"]


def test_status_table_without_summary_shows_dashes() -> None:
    lines = status_table(CONNECTORS, None).splitlines()
    assert all(line.split()[-3:] == ["-", "-", "-"] for line in lines[1:6])
    assert status_table({}, None) == "No connectors."


def test_trace_summary_picks_the_error_line() -> None:
    java = "org.apache.kafka.connect.errors.ConnectException: no file\n\tat X.y(X.java:1)"
    assert trace_summary(java) == "org.apache.kafka.connect.errors.ConnectException: no file"
    assert trace_summary("Traceback (most recent call last):\n  f()\nValueError: x\n") == (
        "ValueError: x"
    )


def test_list_table_counts_task_states() -> None:
    lines = list_table(CONNECTORS).splitlines()
    assert lines[0].split() == ["NAME", "TYPE", "STATE", "TASKS", "CLASS"]
    assert lines[2].split() == [
        "src",
        "source",
        "RUNNING",
        "1",
        "FAILED,",
        "1",
        "RUNNING",
        "FileStreamSource",
    ]


def test_offsets_table() -> None:
    body = {
        "offsets": [
            {"partition": {"kafka_topic": "t", "kafka_partition": 0}, "offset": {"kafka_offset": 5}}
        ]
    }
    header, row = offsets_table(body).splitlines()
    assert row == '{"kafka_topic": "t", "kafka_partition": 0}  {"kafka_offset": 5}'
    assert header.startswith("PARTITION ") and header.index("OFFSET") == row.index('{"kafka_o')
    assert offsets_table({"offsets": []}) == "No committed offsets."


def test_create_request_or_flat_config(tmp_path: Path) -> None:
    files = {
        "create.json": '{"name": "c", "config": {"connector.class": "X"}}',
        "flat.json": '{"name": "c", "connector.class": "X", "tasks.max": 1}',
        "c.properties": "name=c\nconnector.class=X\n",
    }
    kinds = {}
    for name, text in files.items():
        (tmp_path / name).write_text(text)
        kinds[name] = is_create_request(tmp_path / name)
    assert kinds == {"create.json": True, "flat.json": False, "c.properties": False}


def test_describe_shows_tasks_config_and_failures() -> None:
    src = CONNECTORS["src"]
    text = describe_text(src["info"], src["status"], ["t"], metrics_by_task(SUMMARY))
    assert text.splitlines()[:6] == [
        "Name:    src",
        "Type:    source",
        "State:   RUNNING",
        "Worker:  w1:8083",
        "Class:   FileStreamSource",
        "Topics:  t",
    ]
    assert "  0     RUNNING  w1:8083  12.5   10.0    -" in text
    assert "  connector.class  FileStreamSource" in text
    assert text.endswith("Task 1 failure: E: boom\n  Traceback\n    x\n  E: boom")


def test_status_table_lists_running_tasks_that_report_a_problem() -> None:
    warned = {
        "src": {
            "status": {
                "name": "src",
                "connector": {"state": "RUNNING", "worker_id": "w1:8083"},
                "tasks": [
                    {
                        "id": 0,
                        "state": "RUNNING",
                        "worker_id": "w1:8083",
                        "trace": "WARNING: cannot reach the Kafka brokers since 12:03:05",
                    }
                ],
                "type": "source",
            },
            "info": {"name": "src", "config": {}, "type": "source"},
        }
    }
    lines = status_table(warned, None).splitlines()
    assert lines[-2:] == [
        "Warnings:",
        "  src task 0: WARNING: cannot reach the Kafka brokers since 12:03:05",
    ]
    assert "Failed:" not in lines
