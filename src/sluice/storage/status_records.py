"""The status topic's records, byte for byte as Kafka Connect writes and reads them.

======================================  ========================================================
key                                     value
======================================  ========================================================
``status-connector-<name>``             ``{"state":"RUNNING","trace":null,"worker_id":"h:8083",
                                        "generation":7,"version":null}``
``status-task-<name>-<i>``              the same; ``trace`` holds the stack trace when FAILED
``status-topic-<topic>:connector-<n>``  ``{"topic":{"name":"<topic>","connector":"<n>",
                                        "task":0,"discoverTimestamp":<ms>}}`` (KIP-558)
======================================  ========================================================

A DESTROYED state and a forgotten topic are written as tombstones. The decoders return ``None``
(after logging why) for malformed records, which Kafka Connect skips.

``version`` is the version of the connector or task plugin, which Kafka Connect writes since 4.1
(KIP-891) and shows in its REST status; ``null`` when the worker had no instance to ask. Workers
older than 4.1 ignore the field, and their records read back without a version.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Final

from sluice.storage.config_records import java_parse_int, java_split_dash, wrap_int32
from sluice.storage.internal_json import JsonError
from sluice.storage.internal_json import decode as decode_json
from sluice.storage.internal_json import encode as encode_json
from sluice.storage.states import ConnectorTaskId, State, StateInfo
from sluice.storage.status import TopicStatus

__all__ = [
    "CONNECTOR_STATUS_PREFIX",
    "TASK_STATUS_PREFIX",
    "TOPIC_STATUS_PREFIX",
    "TOPIC_STATUS_SEPARATOR",
    "ConnectorStatusKey",
    "StatusKey",
    "TaskStatusKey",
    "TopicStatusKey",
    "connector_status_key",
    "decode_status",
    "decode_topic_status",
    "encode_status",
    "encode_topic_status",
    "parse_key",
    "task_status_key",
    "topic_status_key",
]

log = logging.getLogger(__name__)

TASK_STATUS_PREFIX: Final = "status-task-"
CONNECTOR_STATUS_PREFIX: Final = "status-connector-"
TOPIC_STATUS_PREFIX: Final = "status-topic-"
TOPIC_STATUS_SEPARATOR: Final = ":connector-"


def connector_status_key(name: str) -> str:
    return CONNECTOR_STATUS_PREFIX + name


def task_status_key(task: ConnectorTaskId) -> str:
    return f"{TASK_STATUS_PREFIX}{task.connector}-{task.task}"


def topic_status_key(topic: str, connector: str) -> str:
    return f"{TOPIC_STATUS_PREFIX}{topic}{TOPIC_STATUS_SEPARATOR}{connector}"


@dataclass(frozen=True)
class ConnectorStatusKey:
    connector: str


@dataclass(frozen=True)
class TaskStatusKey:
    task: ConnectorTaskId


@dataclass(frozen=True)
class TopicStatusKey:
    topic: str
    connector: str


StatusKey = ConnectorStatusKey | TaskStatusKey | TopicStatusKey


def parse_key(key: str) -> StatusKey | None:
    """What a status-topic key names; ``None`` (logged) for keys Kafka Connect discards."""
    if key.startswith(CONNECTOR_STATUS_PREFIX):
        connector = key[len(CONNECTOR_STATUS_PREFIX) :]
        if connector:
            return ConnectorStatusKey(connector)
    elif key.startswith(TASK_STATUS_PREFIX):
        parts = java_split_dash(key)
        number = java_parse_int(parts[-1]) if len(parts) >= 4 else None
        if number is not None:
            return TaskStatusKey(ConnectorTaskId("-".join(parts[2:-1]), number))
    elif key.startswith(TOPIC_STATUS_PREFIX):
        # Topic names cannot hold ':', so the first one ends the topic (Kafka does not check
        # the rest of the separator either).
        colon = key.find(":")
        if colon >= len(TOPIC_STATUS_PREFIX):
            topic = key[len(TOPIC_STATUS_PREFIX) : colon]
            connector = key[colon + len(TOPIC_STATUS_SEPARATOR) :]
            if topic and connector:
                return TopicStatusKey(topic, connector)
    log.warning("Discarding status topic record with invalid key %s", key)
    return None


def encode_status(status: StateInfo) -> bytes:
    """``STATUS_SCHEMA_V0``; DESTROYED is never encoded (it is written as a tombstone)."""
    return encode_json(
        {
            "state": status.state.value,
            "trace": status.trace,
            "worker_id": status.worker_id,
            "generation": status.generation,
            "version": status.version,
        }
    )


def encode_topic_status(status: TopicStatus) -> bytes:
    return encode_json(
        {
            "topic": {
                "name": status.topic,
                "connector": status.connector,
                "task": status.task,
                "discoverTimestamp": status.discover_timestamp,
            }
        }
    )


def _parse(value: bytes, what: str) -> dict[str, Any] | None:
    try:
        parsed = decode_json(value)
    except JsonError as e:
        log.error("Failed to deserialize %s: %s", what, e)
        return None
    if not isinstance(parsed, dict):
        log.error("Invalid %s type %s", what, type(parsed).__name__)
        return None
    return parsed


def decode_status(value: bytes) -> StateInfo | None:
    """A connector or task state; ``None`` (logged) when Kafka Connect could not parse it."""
    parsed = _parse(value, "status")
    if parsed is None:
        return None
    state, trace = parsed.get("state"), parsed.get("trace")
    worker, generation = parsed.get("worker_id"), parsed.get("generation")
    version = parsed.get("version")
    if not (
        isinstance(state, str)
        and (trace is None or isinstance(trace, str))
        and isinstance(worker, str)
        and type(generation) is int
        and (version is None or isinstance(version, str))
    ):
        log.error("Failed to deserialize status %r", parsed)
        return None
    try:
        parsed_state = State(state)
    except ValueError:
        log.error("Failed to deserialize status: unknown state %r", state)
        return None
    return StateInfo(parsed_state, worker, trace, wrap_int32(generation), version)


def decode_topic_status(value: bytes) -> TopicStatus | None:
    """A topic a connector used; ``None`` (logged) when Kafka Connect could not parse it."""
    parsed = _parse(value, "topic status")
    if parsed is None:
        return None
    inner = parsed.get("topic")
    if not isinstance(inner, dict):
        log.error("Invalid topic status value %r for field topic", inner)
        return None
    name, connector = inner.get("name"), inner.get("connector")
    task, discovered = inner.get("task"), inner.get("discoverTimestamp")
    if not (
        isinstance(name, str)
        and isinstance(connector, str)
        and type(task) is int
        and type(discovered) is int
    ):
        log.error("Failed to deserialize topic status %r", inner)
        return None
    return TopicStatus(name, connector, wrap_int32(task), discovered)
