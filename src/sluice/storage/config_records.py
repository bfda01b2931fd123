"""The config topic's records, byte for byte as Kafka Connect writes and reads them.

Keys are plain UTF-8 strings; values are the JSON that ``JsonConverter`` (``schemas.enable=false``)
writes for the Structs of ``KafkaConfigBackingStore``: fields in schema order, nulls explicit.

=============================  ==========================================================
key                            value
=============================  ==========================================================
``connector-<name>``           ``{"properties":{...}}``; a tombstone deletes the connector
``task-<name>-<i>``            ``{"properties":{...}}``, applied only by the next commit
``commit-<name>``              ``{"tasks":<n>}``
``target-state-<name>``        ``{"state":"PAUSED","state.v2":"STOPPED"}`` (older workers
                               know only ``state``, so STOPPED is written there as PAUSED)
``tasks-fencing-<name>``       ``{"task-count":<n>}`` (KIP-618)
``session-key``                ``{"key":"<base64>","algorithm":"HmacSHA256",
                               "creation-timestamp":<ms>}`` (KIP-507)
``restart-connector-<name>``   ``{"include-tasks":<bool>,"only-failed":<bool>}`` (KIP-745)
``logger-cluster-<namespace>`` ``{"level":"DEBUG"}`` (KIP-976)
=============================  ==========================================================

:func:`decode` turns one record into a typed record, or ``None`` (logged) when the record is
malformed: a bad record in the config topic must never stop a worker, as in Kafka Connect.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from sluice.api.value_text import java_class_name
from sluice.storage.config import SessionKey
from sluice.storage.internal_json import JsonError
from sluice.storage.internal_json import decode as decode_json
from sluice.storage.internal_json import encode as encode_json
from sluice.storage.states import ConnectorTaskId, RestartRequest, TargetState

__all__ = [
    "COMMIT_TASKS_PREFIX",
    "CONNECTOR_PREFIX",
    "LOGGER_CLUSTER_PREFIX",
    "RESTART_PREFIX",
    "SESSION_KEY_KEY",
    "TARGET_STATE_PREFIX",
    "TASK_COUNT_RECORD_PREFIX",
    "TASK_PREFIX",
    "ConfigRecord",
    "ConnectorConfigRecord",
    "LoggerLevelRecord",
    "RestartRequestRecord",
    "SessionKeyRecord",
    "TargetStateRecord",
    "TaskCommitRecord",
    "TaskConfigRecord",
    "TaskCountRecord",
    "commit_key",
    "connector_key",
    "decode",
    "encode_connector_config",
    "encode_logger_level",
    "encode_restart_request",
    "encode_session_key",
    "encode_target_state",
    "encode_task_commit",
    "encode_task_config",
    "encode_task_count",
    "java_parse_int",
    "java_split_dash",
    "logger_key",
    "parse_task_key",
    "restart_key",
    "target_state_key",
    "task_count_key",
    "task_key",
    "wrap_int32",
]

log = logging.getLogger(__name__)

TARGET_STATE_PREFIX: Final = "target-state-"
CONNECTOR_PREFIX: Final = "connector-"
TASK_PREFIX: Final = "task-"
COMMIT_TASKS_PREFIX: Final = "commit-"
TASK_COUNT_RECORD_PREFIX: Final = "tasks-fencing-"
SESSION_KEY_KEY: Final = "session-key"
RESTART_PREFIX: Final = "restart-connector-"
LOGGER_CLUSTER_PREFIX: Final = "logger-cluster-"

_JAVA_INT: Final = re.compile(r"[+-]?[0-9]+")
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1


# -- keys -------------------------------------------------------------------------------------
def connector_key(name: str) -> str:
    return CONNECTOR_PREFIX + name


def task_key(task: ConnectorTaskId) -> str:
    return f"{TASK_PREFIX}{task.connector}-{task.task}"


def commit_key(name: str) -> str:
    return COMMIT_TASKS_PREFIX + name


def target_state_key(name: str) -> str:
    return TARGET_STATE_PREFIX + name


def task_count_key(name: str) -> str:
    return TASK_COUNT_RECORD_PREFIX + name


def restart_key(name: str) -> str:
    return RESTART_PREFIX + name


def logger_key(namespace: str) -> str:
    return LOGGER_CLUSTER_PREFIX + namespace


def java_split_dash(key: str) -> list[str]:
    """``key.split("-")`` as Java does it: trailing empty strings are dropped."""
    parts = key.split("-")
    while parts and parts[-1] == "":
        parts.pop()
    return parts


def java_parse_int(text: str) -> int | None:
    """``Integer.parseInt`` (ASCII digits), ``None`` where Java throws."""
    if _JAVA_INT.fullmatch(text) is None:
        return None
    value = int(text)
    return value if _INT32_MIN <= value <= _INT32_MAX else None


def wrap_int32(value: int) -> int:
    """Java's ``(int)`` cast of a long: the low 32 bits, signed."""
    return ((value + 2**31) % 2**32) - 2**31


def parse_task_key(key: str) -> ConnectorTaskId | None:
    """``task-<name>-<i>``: the task number follows the last ``-`` (names may contain ``-``)."""
    parts = java_split_dash(key)
    if len(parts) < 3:
        return None
    number = java_parse_int(parts[-1])
    return None if number is None else ConnectorTaskId("-".join(parts[1:-1]), number)


# -- values, written --------------------------------------------------------------------------
def encode_connector_config(config: Mapping[str, str]) -> bytes:
    return encode_json({"properties": dict(config)})


encode_task_config = encode_connector_config
"""Task configs share the connector config's schema (``TASK_CONFIGURATION_V0``)."""


def encode_task_commit(tasks: int) -> bytes:
    return encode_json({"tasks": tasks})


def encode_target_state(state: TargetState) -> bytes:
    legacy = TargetState.PAUSED if state is TargetState.STOPPED else state
    return encode_json({"state": legacy.value, "state.v2": state.value})


def encode_task_count(task_count: int) -> bytes:
    return encode_json({"task-count": task_count})


def encode_session_key(key: SessionKey) -> bytes:
    return encode_json(
        {
            "key": base64.b64encode(key.key).decode("ascii"),
            "algorithm": key.algorithm,
            "creation-timestamp": key.creation_timestamp,
        }
    )


def encode_restart_request(request: RestartRequest) -> bytes:
    return encode_json({"include-tasks": request.include_tasks, "only-failed": request.only_failed})


def encode_logger_level(level: str) -> bytes:
    return encode_json({"level": level})


# -- records, read ----------------------------------------------------------------------------
@dataclass(frozen=True)
class ConnectorConfigRecord:
    name: str
    config: dict[str, str] | None
    """``None``: the connector was deleted."""


@dataclass(frozen=True)
class TaskConfigRecord:
    task: ConnectorTaskId
    config: dict[str, str]


@dataclass(frozen=True)
class TaskCommitRecord:
    name: str
    tasks: int


@dataclass(frozen=True)
class TargetStateRecord:
    name: str
    state: TargetState | None
    """``None``: the target state was removed (with its connector)."""


@dataclass(frozen=True)
class TaskCountRecord:
    name: str
    task_count: int


@dataclass(frozen=True)
class SessionKeyRecord:
    key: SessionKey


@dataclass(frozen=True)
class RestartRequestRecord:
    request: RestartRequest


@dataclass(frozen=True)
class LoggerLevelRecord:
    namespace: str
    level: str


ConfigRecord = (
    ConnectorConfigRecord
    | TaskConfigRecord
    | TaskCommitRecord
    | TargetStateRecord
    | TaskCountRecord
    | SessionKeyRecord
    | RestartRequestRecord
    | LoggerLevelRecord
)


class _Malformed(Exception):
    """A record to log and skip."""


def _java_type(value: Any) -> str:
    """The Java class name Kafka Connect would print for a JSON value it read (schemaless JSON
    reads as Connect values do)."""
    return java_class_name(value)


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Malformed(f"{what} is not a JSON object but {_java_type(value)}")
    return value


def _int(value: Any, what: str) -> int:
    """Kafka's ``intValue``: an Integer or a Long (narrowed to 32 bits as Java's cast does)."""
    if type(value) is not int:
        raise _Malformed(f"{what} should be an integer but is {_java_type(value)}")
    return wrap_int32(value)


def _properties(value: Any, what: str) -> dict[str, str]:
    props = _object(value, what).get("properties")
    if not isinstance(props, dict):
        raise _Malformed(f"'properties' of {what} should be a Map but is {_java_type(props)}")
    out: dict[str, str] = {}
    for k, v in props.items():
        if v is None:
            continue  # the schema allows null values; a null setting is an absent setting
        if not isinstance(v, str):
            raise _Malformed(f"'properties' of {what}: {k!r} is {_java_type(v)}, not a string")
        out[k] = v
    return out


def _target_state(value: dict[str, Any], name: str) -> TargetState:
    state = value.get("state.v2")
    if state is not None and not isinstance(state, str):
        log.error(
            "Invalid data for target state for connector '%s': 'state.v2' field should be a "
            "String but is %s",
            name,
            _java_type(state),
        )
        state = None
    if state is None:  # written by a worker older than KIP-875
        state = value.get("state")
        if not isinstance(state, str):
            raise _Malformed(f"'state' should be a String but is {_java_type(state)}")
    try:
        return TargetState(state)
    except ValueError:
        raise _Malformed(f"unknown target state {state!r}") from None


def _flag(value: dict[str, Any], field: str) -> bool:
    flag = value.get(field)
    if not isinstance(flag, bool):
        log.warning(
            "Invalid data for restart request '%s' field should be a Boolean but is %s, "
            "defaulting to false",
            field,
            _java_type(flag),
        )
        return False
    return flag


def _session_key(value: dict[str, Any]) -> SessionKey:
    encoded = value.get("key")
    if not isinstance(encoded, str):
        raise _Malformed(f"'key' should be a String but is {_java_type(encoded)}")
    try:  # Java's basic decoder takes the text with or without its '=' padding
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError) as e:
        raise _Malformed(f"'key' is not base64: {e}") from None
    algorithm = value.get("algorithm")
    if not isinstance(algorithm, str):
        raise _Malformed(f"'algorithm' should be a String but is {_java_type(algorithm)}")
    created = value.get("creation-timestamp")
    if type(created) is not int:
        raise _Malformed(f"'creation-timestamp' should be a long but is {_java_type(created)}")
    return SessionKey(key, algorithm, created)


def _decode(key: str, value: Any) -> ConfigRecord:
    if key.startswith(TARGET_STATE_PREFIX):
        name = key[len(TARGET_STATE_PREFIX) :]
        if value is None:
            return TargetStateRecord(name, None)
        return TargetStateRecord(name, _target_state(_object(value, "target state"), name))
    if key.startswith(CONNECTOR_PREFIX):
        name = key[len(CONNECTOR_PREFIX) :]
        if value is None:
            return ConnectorConfigRecord(name, None)
        return ConnectorConfigRecord(name, _properties(value, f"connector '{name}'"))
    if key.startswith(TASK_PREFIX):
        task = parse_task_key(key)
        if task is None:
            raise _Malformed(f"{key} couldn't be parsed as a task config key")
        if value is None:
            raise _Malformed(f"the task configuration of {task} is unexpectedly null")
        return TaskConfigRecord(task, _properties(value, f"task {task}"))
    if key.startswith(COMMIT_TASKS_PREFIX):
        name = key[len(COMMIT_TASKS_PREFIX) :]
        commit = _object(value, f"the task commit of connector '{name}'")
        return TaskCommitRecord(name, _int(commit.get("tasks"), "'tasks'"))
    if key.startswith(RESTART_PREFIX):
        name = key[len(RESTART_PREFIX) :]
        request = _object(value, "restart request")
        return RestartRequestRecord(
            RestartRequest(
                name,
                include_tasks=_flag(request, "include-tasks"),
                only_failed=_flag(request, "only-failed"),
            )
        )
    if key.startswith(TASK_COUNT_RECORD_PREFIX):
        name = key[len(TASK_COUNT_RECORD_PREFIX) :]
        count = _object(value, f"the task count record of connector '{name}'")
        return TaskCountRecord(name, _int(count.get("task-count"), "'task-count'"))
    if key == SESSION_KEY_KEY:
        return SessionKeyRecord(_session_key(_object(value, "session key")))
    if key.startswith(LOGGER_CLUSTER_PREFIX):
        namespace = key[len(LOGGER_CLUSTER_PREFIX) :]
        level = _object(value, f"logging level of namespace {namespace}").get("level")
        if not isinstance(level, str):
            raise _Malformed(f"'level' should be a String but is {_java_type(level)}")
        return LoggerLevelRecord(namespace, level)
    raise _Malformed("invalid key")


def decode(key: bytes | str | None, value: bytes | None) -> ConfigRecord | None:
    """The record a config-topic key and value hold; ``None`` (after logging why) when it is
    malformed and Kafka Connect would skip it. A value of ``None`` (or JSON ``null``) is a
    tombstone."""
    if key is None:
        log.error("Discarding config topic record without a key")
        return None
    try:
        text = key if isinstance(key, str) else key.decode("utf-8")
    except UnicodeDecodeError:
        log.error("Discarding config topic record with a key that is not UTF-8: %r", key)
        return None
    try:
        parsed = None if value is None else decode_json(value)
    except JsonError as e:
        log.error("Failed to convert config data to Kafka Connect format (%s): %s", text, e)
        return None
    try:
        return _decode(text, parsed)
    except _Malformed as e:
        log.error("Ignoring config topic record %s: %s", text, e)
        return None
