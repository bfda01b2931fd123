"""An in-memory Herder for unit tests of the HTTP mapping only (no connectors actually run).

It keeps configs, states and offsets in dicts and records the calls it gets, so the tests can
check what a request asks of the herder and how its answer is rendered (status codes, headers,
bodies). The herder's own rules (validation, restart plans, offsets only when stopped, its error
messages) are not modelled faithfully here: test_rest_standalone.py checks them against the
real standalone herder.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sluice.api import AlreadyExistsError, NotFoundError
from sluice.runtime.herder import BadRequestError, Herder, PluginInfo, RestartRequest
from sluice.runtime.status import (
    ConnectorInfo,
    ConnectorStateInfo,
    ConnectorTaskId,
    ConnectorType,
    State,
    StateInfo,
    TargetState,
    TaskInfo,
)

WORKER = "127.0.0.1:8083"


class FakeHerder(Herder):
    def __init__(self) -> None:
        self.configs: dict[str, dict[str, str]] = {}
        self.targets: dict[str, TargetState] = {}
        self.states: dict[str, StateInfo] = {}
        self.task_states: dict[str, dict[int, StateInfo]] = {}
        self.topics: dict[str, list[str]] = {}
        self.offsets: dict[str, list[dict[str, Any]]] = {}
        self.is_ready = True
        self.calls: list[tuple[str, Any]] = []
        self.plugins = [
            PluginInfo("org.apache.kafka.connect.file.FileStreamSourceConnector", "source", "1"),
            PluginInfo("org.apache.kafka.connect.json.JsonConverter", "converter", "1"),
            PluginInfo("org.apache.kafka.connect.file.FileStreamSinkConnector", "sink", "1"),
            PluginInfo("org.apache.kafka.connect.transforms.Cast$Value", "transformation", None),
            PluginInfo("x.Pred", "predicate", "undefined"),
            PluginInfo("x.Header", "header_converter", "2"),
        ]

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> None: ...

    def stop(self) -> None: ...

    def ready(self) -> bool:
        return self.is_ready

    def worker_id(self) -> str:
        return WORKER

    def kafka_cluster_id(self) -> str | None:
        return "cluster-1"

    def set_cluster_logger_level(self, namespace: str, level: str) -> None:
        self.calls.append(("set_cluster_logger_level", (namespace, level)))

    # -- helpers -------------------------------------------------------------------------------
    def _require(self, name: str) -> dict[str, str]:
        if name not in self.configs:
            raise NotFoundError(f"Connector {name} not found")
        return self.configs[name]

    def _type(self, name: str) -> ConnectorType:
        cls = self.configs[name].get("connector.class", "")
        return ConnectorType.SINK if "Sink" in cls else ConnectorType.SOURCE

    def _tasks(self, name: str) -> list[ConnectorTaskId]:
        if self.targets.get(name) is TargetState.STOPPED:
            return []
        return [
            ConnectorTaskId(name, i) for i in range(int(self.configs[name].get("tasks.max", 1)))
        ]

    # -- connectors ----------------------------------------------------------------------------
    def connectors(self) -> list[str]:
        return sorted(self.configs)

    def connector_info(self, name: str) -> ConnectorInfo:
        config = self._require(name)
        return ConnectorInfo(name, dict(config), self._tasks(name), self._type(name))

    def connector_config(self, name: str) -> dict[str, str]:
        return dict(self._require(name))

    def put_connector_config(
        self,
        name: str,
        config: Mapping[str, str],
        allow_replace: bool,
        initial_state: TargetState | None = None,
    ) -> tuple[bool, ConnectorInfo]:
        self.calls.append(("put", (name, dict(config), allow_replace, initial_state)))
        nulls = [k for k, v in config.items() if v is None]
        if not config.get("connector.class"):
            raise BadRequestError(f"Connector config {dict(config)} contains no connector type")
        if nulls:
            raise BadRequestError(
                "Connector configuration is invalid and contains the following 1 error(s):\n"
                "Null value can not be supplied as the configuration value."
            )
        if not name:
            raise BadRequestError("Connector configuration is invalid: empty name")
        exists = name in self.configs
        if exists and not allow_replace:
            raise AlreadyExistsError(f"Connector {name} already exists")
        self.configs[name] = dict(config)
        if not exists:
            self.targets[name] = initial_state or TargetState.STARTED
        state = {
            TargetState.STARTED: State.RUNNING,
            TargetState.PAUSED: State.PAUSED,
            TargetState.STOPPED: State.STOPPED,
        }[self.targets[name]]
        self.states[name] = StateInfo(state, WORKER)
        self.task_states[name] = {t.task: StateInfo(state, WORKER) for t in self._tasks(name)}
        return not exists, self.connector_info(name)

    def patch_connector_config(self, name: str, patch: Mapping[str, str | None]) -> ConnectorInfo:
        merged: dict[str, str] = dict(self._require(name))
        for k, v in patch.items():
            if v is None:
                merged.pop(k, None)
            else:
                merged[k] = v
        return self.put_connector_config(name, merged, allow_replace=True)[1]

    def delete_connector_config(self, name: str) -> None:
        self._require(name)
        for store in (self.configs, self.targets, self.states, self.task_states):
            store.pop(name, None)

    def task_configs(self, name: str) -> list[TaskInfo]:
        config = self._require(name)
        return [TaskInfo(t, {**config, "task.class": "x.Task"}) for t in self._tasks(name)]

    def connector_status(self, name: str) -> ConnectorStateInfo:
        if name not in self.states:
            raise NotFoundError(f"No status found for connector {name}")
        return ConnectorStateInfo(
            name, self.states[name], dict(self.task_states.get(name, {})), self._type(name)
        )

    def task_status(self, task: ConnectorTaskId) -> StateInfo:
        state = self.task_states.get(task.connector, {}).get(task.task)
        if state is None:
            raise NotFoundError(f"No status found for task {task}")
        return state

    def restart_connector(self, name: str) -> None:
        self._require(name)
        self.calls.append(("restart_connector", name))

    def restart_task(self, task: ConnectorTaskId) -> None:
        if task.task not in self.task_states.get(task.connector, {}):
            raise NotFoundError(f"Task {task} not found")
        self.calls.append(("restart_task", task))

    def restart_connector_and_tasks(self, request: RestartRequest) -> ConnectorStateInfo:
        if request.connector not in self.configs:
            raise NotFoundError(f"Unknown connector: {request.connector}")
        self.calls.append(("restart_connector_and_tasks", request))
        return self.connector_status(request.connector)

    def _target(self, name: str, target: TargetState) -> None:
        if name not in self.configs:
            raise NotFoundError(f"Unknown connector {name}")
        self.targets[name] = target

    def pause_connector(self, name: str) -> None:
        self._target(name, TargetState.PAUSED)

    def resume_connector(self, name: str) -> None:
        self._target(name, TargetState.STARTED)

    def stop_connector(self, name: str) -> None:
        self._target(name, TargetState.STOPPED)

    # -- topics and offsets --------------------------------------------------------------------
    def connector_active_topics(self, name: str) -> list[str]:
        return list(self.topics.get(name, []))

    def reset_connector_active_topics(self, name: str) -> None:
        self.topics.pop(name, None)

    def connector_offsets(self, name: str) -> list[dict[str, Any]]:
        self._require(name)
        return list(self.offsets.get(name, []))

    def _check_stopped(self, name: str) -> None:
        self._require(name)
        if self.targets.get(name) is not TargetState.STOPPED:
            raise BadRequestError(
                "Connectors must be in the STOPPED state before their offsets can be modified. "
                "This can be done for the specified connector by issuing a 'PUT' request to the "
                f"'/connectors/{name}/stop' endpoint"
            )

    def alter_connector_offsets(self, name: str, offsets: list[dict[str, Any]]) -> str:
        self._check_stopped(name)
        self.offsets[name] = offsets
        return "The offsets for this connector have been altered successfully"

    def reset_connector_offsets(self, name: str) -> str:
        self._check_stopped(name)
        self.offsets.pop(name, None)
        return "The offsets for this connector have been reset successfully"

    # -- plugins -------------------------------------------------------------------------------
    def validate_connector_config(self, config: Mapping[str, str]) -> dict[str, Any]:
        if "connector.class" not in config:
            raise BadRequestError(f"Connector config {dict(config)} contains no connector type")
        return {"name": config["connector.class"], "error_count": 0, "groups": [], "configs": []}

    def connector_plugins(self, connectors_only: bool = True) -> list[PluginInfo]:
        return list(self.plugins)

    def connector_plugin_config(self, plugin: str) -> list[dict[str, Any]]:
        if plugin != "FileStreamSource":
            raise NotFoundError(f"Unknown plugin {plugin}.")
        return []
