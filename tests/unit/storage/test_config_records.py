"""Config-topic records: Kafka Connect's keys and JSON, and tolerant reading of foreign records."""

from __future__ import annotations

import logging

import pytest

from sluice.storage import config_records as r
from sluice.storage.config import SessionKey
from sluice.storage.states import ConnectorTaskId, RestartRequest, TargetState


def test_keys() -> None:
    assert r.connector_key("my-conn") == "connector-my-conn"
    assert r.task_key(ConnectorTaskId("my-conn", 3)) == "task-my-conn-3"
    assert r.commit_key("c") == "commit-c"
    assert r.target_state_key("c") == "target-state-c"
    assert r.task_count_key("c") == "tasks-fencing-c"
    assert r.restart_key("c") == "restart-connector-c"
    assert r.logger_key("org.apache") == "logger-cluster-org.apache"
    assert r.SESSION_KEY_KEY == "session-key"


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("task-my-conn-3", ConnectorTaskId("my-conn", 3)),
        ("task-c-0", ConnectorTaskId("c", 0)),
        ("task-a-b-c-12", ConnectorTaskId("a-b-c", 12)),
        ("task-c-+7", ConnectorTaskId("c", 7)),  # Integer.parseInt takes a sign
        ("task-c", None),
        ("task-c-x", None),
        ("task-c-", None),  # Java's split drops the trailing empty string
        ("task-c-99999999999", None),
        ("task-c-1_0", None),
    ],
)
def test_task_key_parsing(key: str, expected: ConnectorTaskId | None) -> None:
    assert r.parse_task_key(key) == expected


def test_values_are_compact_json_in_schema_order() -> None:
    assert r.encode_connector_config({"name": "c", "tasks.max": "2"}) == (
        b'{"properties":{"name":"c","tasks.max":"2"}}'
    )
    assert r.encode_task_config({"task.class": "T"}) == b'{"properties":{"task.class":"T"}}'
    assert r.encode_task_commit(3) == b'{"tasks":3}'
    assert r.encode_task_count(2) == b'{"task-count":2}'
    assert r.encode_restart_request(RestartRequest("c", include_tasks=True)) == (
        b'{"include-tasks":true,"only-failed":false}'
    )
    assert r.encode_logger_level("DEBUG") == b'{"level":"DEBUG"}'
    key = SessionKey(b"\x00\x01secret\xff", "HmacSHA256", 1700000000123)
    assert r.encode_session_key(key) == (
        b'{"key":"AAFzZWNyZXT/","algorithm":"HmacSHA256","creation-timestamp":1700000000123}'
    )


@pytest.mark.parametrize(
    ("state", "encoded"),
    [
        (TargetState.STARTED, b'{"state":"STARTED","state.v2":"STARTED"}'),
        (TargetState.PAUSED, b'{"state":"PAUSED","state.v2":"PAUSED"}'),
        # workers older than KIP-875 only know "state": STOPPED reads as PAUSED there
        (TargetState.STOPPED, b'{"state":"PAUSED","state.v2":"STOPPED"}'),
    ],
)
def test_target_states(state: TargetState, encoded: bytes) -> None:
    assert r.encode_target_state(state) == encoded
    assert r.decode(b"target-state-c", encoded) == r.TargetStateRecord("c", state)


def test_strings_are_escaped_as_jackson_does() -> None:
    encoded = r.encode_connector_config({"a\x01": 'q"\\\n\t\x7f/é😀'})
    assert encoded == (b'{"properties":{"a\\u0001":"q\\"\\\\\\n\\t\x7f/\xc3\xa9\\uD83D\\uDE00"}}')
    assert r.decode(b"connector-c", encoded) == r.ConnectorConfigRecord(
        "c", {"a\x01": 'q"\\\n\t\x7f/é😀'}
    )


def test_every_kind_reads_back() -> None:
    config = {"connector.class": "X", "name": "my-conn"}
    assert r.decode(b"connector-my-conn", r.encode_connector_config(config)) == (
        r.ConnectorConfigRecord("my-conn", config)
    )
    assert r.decode("task-my-conn-1", r.encode_task_config({"t": "1"})) == r.TaskConfigRecord(
        ConnectorTaskId("my-conn", 1), {"t": "1"}
    )
    assert r.decode(b"commit-my-conn", r.encode_task_commit(2)) == r.TaskCommitRecord("my-conn", 2)
    assert r.decode(b"tasks-fencing-c", r.encode_task_count(4)) == r.TaskCountRecord("c", 4)
    key = SessionKey(b"k" * 32, "HmacSHA256", 5)
    assert r.decode(b"session-key", r.encode_session_key(key)) == r.SessionKeyRecord(key)
    request = RestartRequest("c", include_tasks=True, only_failed=True)
    assert r.decode(b"restart-connector-c", r.encode_restart_request(request)) == (
        r.RestartRequestRecord(request)
    )
    assert r.decode(b"logger-cluster-org.x", r.encode_logger_level("WARN")) == (
        r.LoggerLevelRecord("org.x", "WARN")
    )


def test_tombstones() -> None:
    assert r.decode(b"connector-c", None) == r.ConnectorConfigRecord("c", None)
    assert r.decode(b"connector-c", b"null") == r.ConnectorConfigRecord("c", None)
    assert r.decode(b"target-state-c", None) == r.TargetStateRecord("c", None)
    # tombstones mean nothing for these kinds: skipped
    for key in (b"task-c-0", b"commit-c", b"session-key", b"logger-cluster-x"):
        assert r.decode(key, None) is None


def test_target_state_prefers_v2_and_falls_back_to_state() -> None:
    assert r.decode(b"target-state-c", b'{"state":"PAUSED"}') == r.TargetStateRecord(
        "c", TargetState.PAUSED
    )
    assert r.decode(b"target-state-c", b'{"state":"PAUSED","state.v2":null}') == (
        r.TargetStateRecord("c", TargetState.PAUSED)
    )
    assert r.decode(b"target-state-c", b'{"state":"PAUSED","state.v2":7}') == (
        r.TargetStateRecord("c", TargetState.PAUSED)
    )
    assert r.decode(b"target-state-c", b'{"state":"STOPPED"}') == r.TargetStateRecord(
        "c", TargetState.STOPPED
    )
    assert r.decode(b"target-state-c", b'{"state":"RUNNING"}') is None
    assert r.decode(b"target-state-c", b'{"state.v2":"STOPPED"}') == r.TargetStateRecord(
        "c", TargetState.STOPPED
    )
    assert r.decode(b"target-state-c", b'{"state.v2":7}') is None


def test_restart_flags_default_to_false() -> None:
    assert r.decode(b"restart-connector-c", b'{"include-tasks":"yes"}') == (
        r.RestartRequestRecord(RestartRequest("c", include_tasks=False, only_failed=False))
    )
    assert r.decode(b"restart-connector-c", b"[]") is None


def test_session_key_reading() -> None:
    unpadded = b'{"key":"a2V5","algorithm":"HmacSHA256","creation-timestamp":1}'
    record = r.decode(b"session-key", unpadded)
    assert record == r.SessionKeyRecord(SessionKey(b"key", "HmacSHA256", 1))
    padded = b'{"key":"a2V5MQ==","algorithm":"HmacSHA256","creation-timestamp":1}'
    assert r.decode(b"session-key", padded) == r.SessionKeyRecord(
        SessionKey(b"key1", "HmacSHA256", 1)
    )
    for bad in (
        b'{"key":"a2V5","algorithm":"HmacSHA256","creation-timestamp":1.5}',
        b'{"key":"a2V5","algorithm":"HmacSHA256"}',
        b'{"key":"!!!","algorithm":"HmacSHA256","creation-timestamp":1}',
        b'{"key":5,"algorithm":"HmacSHA256","creation-timestamp":1}',
    ):
        assert r.decode(b"session-key", bad) is None


def test_counts_are_ints_narrowed_like_java() -> None:
    assert r.decode(b"commit-c", b'{"tasks":4294967298}') == r.TaskCommitRecord("c", 2)
    assert r.decode(b"commit-c", b'{"tasks":2.0}') is None
    assert r.decode(b"commit-c", b'{"tasks":"2"}') is None
    assert r.decode(b"commit-c", b"{}") is None


def test_properties() -> None:
    # null values (allowed by the schema) are absent settings; other types are refused
    assert r.decode(b"connector-c", b'{"properties":{"a":"1","b":null}}') == (
        r.ConnectorConfigRecord("c", {"a": "1"})
    )
    assert r.decode(b"connector-c", b'{"properties":{"a":1}}') is None
    assert r.decode(b"connector-c", b'{"properties":"x"}') is None
    assert r.decode(b"connector-c", b'{"other":{}}') is None
    assert r.decode(b"connector-c", b'"just a string"') is None


def test_malformed_records_are_logged_and_skipped(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="sluice.storage.config_records")
    assert r.decode(None, b"{}") is None
    assert r.decode(b"\xff\xfe", b"{}") is None
    assert r.decode(b"connector-c", b"{not json") is None
    assert r.decode(b"something-else", b"{}") is None
    assert r.decode(b"task-c-x", b'{"properties":{}}') is None
    assert len(caplog.records) == 5
    assert "something-else" in caplog.text
