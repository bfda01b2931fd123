"""Status-topic records: Kafka Connect's keys and JSON, and tolerant reading of foreign records."""

from __future__ import annotations

import pytest

from sluice.storage import status_records as r
from sluice.storage.states import ConnectorTaskId, State, StateInfo
from sluice.storage.status import TopicStatus


def test_keys() -> None:
    assert r.connector_status_key("my-conn") == "status-connector-my-conn"
    assert r.task_status_key(ConnectorTaskId("my-conn", 2)) == "status-task-my-conn-2"
    assert r.topic_status_key("orders", "my-conn") == "status-topic-orders:connector-my-conn"


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("status-connector-my-conn", r.ConnectorStatusKey("my-conn")),
        ("status-task-my-conn-2", r.TaskStatusKey(ConnectorTaskId("my-conn", 2))),
        ("status-task-a-b-c-10", r.TaskStatusKey(ConnectorTaskId("a-b-c", 10))),
        ("status-topic-orders:connector-my-conn", r.TopicStatusKey("orders", "my-conn")),
        ("status-topic-a.b_c-1:connector-x:y", r.TopicStatusKey("a.b_c-1", "x:y")),
        ("status-connector-", None),
        ("status-task-c", None),
        ("status-task-c-x", None),
        ("status-topic-:connector-c", None),
        ("status-topic-t:connector-", None),
        ("status-topic-nocolon", None),
        ("unrelated", None),
    ],
)
def test_key_parsing(key: str, expected: r.StatusKey | None) -> None:
    assert r.parse_key(key) == expected


def test_status_values_write_trace_null_explicitly() -> None:
    running = StateInfo(State.RUNNING, "10.0.0.5:8083", None, 7)
    encoded = r.encode_status(running)
    assert encoded == (
        b'{"state":"RUNNING","trace":null,"worker_id":"10.0.0.5:8083","generation":7,'
        b'"version":null}'
    )
    assert r.decode_status(encoded) == running
    failed = StateInfo(State.FAILED, "w", "Traceback:\n\tat x\u00e9", 0)
    encoded = r.encode_status(failed)
    assert encoded == (
        b'{"state":"FAILED","trace":"Traceback:\\n\\tat x\xc3\xa9","worker_id":"w",'
        b'"generation":0,"version":null}'
    )
    assert r.decode_status(encoded) == failed


def test_topic_status_values() -> None:
    status = TopicStatus("orders", "my-conn", 1, 1700000000000)
    encoded = r.encode_topic_status(status)
    assert encoded == (
        b'{"topic":{"name":"orders","connector":"my-conn","task":1,'
        b'"discoverTimestamp":1700000000000}}'
    )
    assert r.decode_topic_status(encoded) == status


@pytest.mark.parametrize(
    "value",
    [
        b"not json",
        b"[]",
        b'{"state":"SLEEPING","trace":null,"worker_id":"w","generation":1}',
        b'{"state":"RUNNING","trace":null,"worker_id":"w"}',
        b'{"state":"RUNNING","trace":null,"worker_id":"w","generation":1.0}',
        b'{"state":"RUNNING","trace":3,"worker_id":"w","generation":1}',
        b'{"state":"RUNNING","trace":null,"worker_id":null,"generation":1}',
        b'{"state":"RUNNING","trace":null,"worker_id":"w","generation":1,"version":5}',
    ],
)
def test_bad_status_values_are_skipped(value: bytes) -> None:
    assert r.decode_status(value) is None


def test_status_without_trace_or_version_reads_as_none() -> None:
    # written by a worker older than Kafka 4.1, or one that left out the null trace
    assert r.decode_status(b'{"state":"PAUSED","worker_id":"w","generation":3}') == StateInfo(
        State.PAUSED, "w", None, 3
    )
    # Kafka 4.1 workers write the connector plugin's version
    with_version = (
        b'{"state":"RUNNING","trace":null,"worker_id":"w","generation":1,"version":"4.1.1"}'
    )
    assert r.decode_status(with_version) == StateInfo(State.RUNNING, "w", None, 1, "4.1.1")
    assert r.encode_status(StateInfo(State.RUNNING, "w", None, 1, "4.1.1")) == with_version


@pytest.mark.parametrize(
    "value",
    [
        b"{}",
        b'{"topic":"orders"}',
        b'{"topic":{"name":"t","connector":"c","task":"0","discoverTimestamp":1}}',
        b'{"topic":{"name":"t","connector":"c","task":0}}',
    ],
)
def test_bad_topic_values_are_skipped(value: bytes) -> None:
    assert r.decode_topic_status(value) is None
