"""The JSON shapes of Kafka Connect's REST entities, built from the herder's dataclasses.

Key names and order follow Kafka Connect's Jackson output (``worker_id``, ``error_code``,
``trace`` left out when empty...), so clients that compare bodies field by field see no
difference.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from sluice.runtime.herder import PluginInfo
from sluice.runtime.loggers import LoggerLevel
from sluice.runtime.status import (
    ConnectorInfo,
    ConnectorStateInfo,
    ConnectorTaskId,
    StateInfo,
    TaskInfo,
)

__all__ = [
    "PLUGIN_TYPE_ORDER",
    "active_topics",
    "connector_info",
    "connector_state_info",
    "error_message",
    "logger_levels",
    "plugin_infos",
    "server_info",
    "task_infos",
    "task_state",
    "worker_status",
]

PLUGIN_TYPE_ORDER: Final = (
    "sink",
    "source",
    "transformation",
    "predicate",
    "converter",
    "header_converter",
)
"""The order ``GET /connector-plugins?connectorsOnly=false`` lists plugin types in."""

UNDEFINED_VERSION: Final = "undefined"
"""The version Kafka gives a plugin that has none; left out of the REST entities."""

HEALTHY_MESSAGE: Final = "Worker has completed startup and is ready to handle requests."
STARTING_MESSAGE: Final = "Worker is still starting up."
UNHEALTHY_MESSAGE: Final = (
    "Worker was unable to handle this request and may be unable to handle other requests."
)


def error_message(status: int, message: str | None) -> dict[str, Any]:
    return {"error_code": status, "message": message}


def server_info(version: str, commit: str, kafka_cluster_id: str | None) -> dict[str, Any]:
    return {"version": version, "commit": commit, "kafka_cluster_id": kafka_cluster_id}


def worker_status(status: str, message: str) -> dict[str, Any]:
    return {"status": status, "message": message}


def _task_id(task: ConnectorTaskId) -> dict[str, Any]:
    return {"connector": task.connector, "task": task.task}


def connector_info(info: ConnectorInfo) -> dict[str, Any]:
    return {
        "name": info.name,
        "config": dict(info.config),
        "tasks": [_task_id(t) for t in info.tasks],
        "type": info.type.value,
    }


def _state(state: StateInfo) -> dict[str, Any]:
    out: dict[str, Any] = {"state": state.state.value, "worker_id": state.worker_id}
    # Kafka 4.1 reports the plugin version of each instance (KIP-891), null when unknown, and
    # leaves out "undefined" (its NoVersionFilter).
    if state.version != UNDEFINED_VERSION:
        out["version"] = state.version
    if state.trace:
        out["trace"] = state.trace
    return out


def task_state(task: int, state: StateInfo) -> dict[str, Any]:
    return {"id": task, **_state(state)}


def connector_state_info(info: ConnectorStateInfo) -> dict[str, Any]:
    return {
        "name": info.name,
        "connector": _state(info.connector),
        "tasks": [task_state(i, s) for i, s in sorted(info.tasks.items())],
        "type": info.type.value,
    }


def task_infos(tasks: Iterable[TaskInfo]) -> list[dict[str, Any]]:
    return [{"id": _task_id(t.id), "config": dict(t.config)} for t in tasks]


def active_topics(connector: str, topics: Iterable[str]) -> dict[str, Any]:
    return {connector: {"topics": list(topics)}}


def plugin_infos(plugins: Iterable[PluginInfo], connectors_only: bool) -> list[dict[str, Any]]:
    """Kafka's order: by type (sink, source, transformation...), then by class name; a plugin
    without a version has no ``version`` field."""
    rank = {t: i for i, t in enumerate(PLUGIN_TYPE_ORDER)}
    selected = [
        p
        for p in plugins
        if p.type in rank and (not connectors_only or p.type in ("sink", "source"))
    ]
    selected.sort(key=lambda p: (rank[p.type], p.class_name))
    out: list[dict[str, Any]] = []
    for p in selected:
        entry: dict[str, Any] = {"class": p.class_name, "type": p.type}
        if p.version not in (None, "", UNDEFINED_VERSION):
            entry["version"] = p.version
        out.append(entry)
    return out


def logger_levels(levels: Mapping[str, LoggerLevel]) -> dict[str, Any]:
    return {name: level.to_json() for name, level in levels.items()}
