"""What the standalone and distributed herders share (Kafka's ``AbstractHerder``).

Both keep configs in a :class:`~sluice.storage.config.ConfigBackingStore` and states in a
:class:`~sluice.storage.status.StatusBackingStore` handed to them, serve reads from those stores,
and hear from connector and task threads through the status listener methods here, which stamp
every state with this worker's id and group generation. What differs is how a change is made:
in-process at once (standalone) or through the config topic and a rebalance (distributed).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections.abc import Callable, Mapping
from typing import Any

from prometheus_client import CollectorRegistry

from sluice.api import HeaderConverter, NotFoundError
from sluice.kafka.client_logs import new_admin
from sluice.plugins.registry import KINDS, PluginError
from sluice.runtime.herder import Herder, PluginInfo
from sluice.runtime.loggers import Loggers
from sluice.runtime.metrics.summary import local_summary
from sluice.runtime.offsets_admin import ConnectorOffsetsAdmin
from sluice.runtime.plugin_versions import plugin_version
from sluice.runtime.status import ConnectorInfo, ConnectorStateInfo, ConnectorType, TaskInfo
from sluice.runtime.validation import plugin_config, validation_result
from sluice.runtime.worker import Worker
from sluice.storage.config import ConfigBackingStore
from sluice.storage.states import ConnectorTaskId, RestartRequest, State, StateInfo
from sluice.storage.status import StatusBackingStore

__all__ = ["AbstractHerder", "RestartPlan"]

log = logging.getLogger(__name__)

_PLUGIN_ORDER = {
    k: i
    for i, k in enumerate(
        ["sink", "source", "transformation", "predicate", "converter", "header_converter"]
    )
}


def _restarting(state: StateInfo) -> StateInfo:
    """The state a restart answer shows: RESTARTING, keeping the trace and version (as Kafka)."""
    return dataclasses.replace(state, state=State.RESTARTING)


class RestartPlan:
    """What a KIP-745 restart request restarts, and the status to answer it with."""

    def __init__(self, request: RestartRequest, status: ConnectorStateInfo) -> None:
        self.request = request
        self.restart_connector = not request.only_failed or status.connector.state is State.FAILED
        self.task_ids = [
            ConnectorTaskId(status.name, i)
            for i, s in status.tasks.items()
            if request.include_tasks and (not request.only_failed or s.state is State.FAILED)
        ]
        restarting = {t.task for t in self.task_ids}
        self.status = ConnectorStateInfo(
            status.name,
            _restarting(status.connector) if self.restart_connector else status.connector,
            {i: _restarting(s) if i in restarting else s for i, s in status.tasks.items()},
            status.type,
        )

    def __repr__(self) -> str:
        return (
            f"RestartPlan({self.request.connector}: connector={self.restart_connector}, "
            f"tasks={[t.task for t in self.task_ids]})"
        )


class AbstractHerder(Herder):
    """Status reporting, reads, validation, plugins and offsets for both herders."""

    def __init__(
        self,
        worker: Worker,
        configs: ConfigBackingStore,
        status: StatusBackingStore,
        kafka_cluster_id: str | None = None,
        loggers: Loggers | None = None,
    ) -> None:
        self.worker = worker
        self.loggers = loggers if loggers is not None else Loggers()
        self.configs = configs
        self.status = status
        self.offsets = ConnectorOffsetsAdmin(worker)
        self._cluster_id = kafka_cluster_id

    # -- identity -----------------------------------------------------------------------------
    def worker_id(self) -> str:
        return self.worker.worker_id

    def metrics_registry(self) -> CollectorRegistry:
        return self.worker.metrics_registry

    def metrics_summary(self) -> dict[str, Any]:
        return local_summary(self.worker, self.worker.history)

    def kafka_cluster_id(self) -> str | None:
        if self._cluster_id is None:
            try:
                admin = new_admin(self.worker.admin_config())
                self._cluster_id = admin.list_topics(timeout=10).cluster_id
            except Exception as e:
                log.warning("Could not look up the Kafka cluster id: %s", e)
        return self._cluster_id

    # -- status listener (called from connector and task threads) -----------------------------
    def _state(
        self, state: State, trace: str | None = None, version: str | None = None
    ) -> StateInfo:
        return StateInfo(state, self.worker_id(), trace, self.generation(), version)

    def connector_version(self, name: str) -> str | None:
        """The connector plugin's version for its status (KIP-891): the running instance's, else
        that of the class its config names; ``None`` if neither can be had."""
        wc = self.worker.connectors.get(name)
        if wc is not None:
            return wc.version()
        config = self.configs.snapshot().connector_configs.get(name)
        if config is None:
            return None
        try:
            return plugin_version(self.worker.connector_class(config))
        except Exception:
            return None

    def task_version(self, task: ConnectorTaskId) -> str | None:
        """The task plugin's version for its status; ``None`` without a task instance here."""
        instance = getattr(self.worker.tasks.get(task), "task", None)
        return None if instance is None else plugin_version(type(instance))

    def _known(self, connector: str) -> bool:
        """Whether the connector still exists: a state reported after deletion is dropped."""
        return self.configs.contains(connector)

    def _put_connector(self, name: str, state: State, trace: str | None = None) -> None:
        if self._known(name):
            self.status.put_connector(name, self._state(state, trace, self.connector_version(name)))

    def _put_connector_safe(self, name: str, state: State, trace: str | None = None) -> None:
        if self._known(name):
            self.status.put_connector_safe(
                name, self._state(state, trace, self.connector_version(name))
            )

    def on_connector_startup(self, name: str) -> None:
        self._put_connector(name, State.RUNNING)

    def on_connector_pause(self, name: str) -> None:
        self._put_connector(name, State.PAUSED)

    def on_connector_resume(self, name: str) -> None:
        self._put_connector(name, State.RUNNING)

    def on_connector_stop(self, name: str) -> None:
        self._put_connector(name, State.STOPPED)

    def on_connector_failure(self, name: str, trace: str) -> None:
        self._put_connector_safe(name, State.FAILED, trace)

    def on_connector_shutdown(self, name: str) -> None:
        self._put_connector_safe(name, State.UNASSIGNED)

    def _put_task(self, task: ConnectorTaskId, state: State, trace: str | None = None) -> None:
        if self._known(task.connector):
            self.status.put_task(task, self._state(state, trace, self.task_version(task)))

    def _put_task_safe(self, task: ConnectorTaskId, state: State, trace: str | None = None) -> None:
        if self._known(task.connector):
            self.status.put_task_safe(task, self._state(state, trace, self.task_version(task)))

    def on_task_startup(self, task: ConnectorTaskId) -> None:
        self._put_task(task, State.RUNNING)

    def on_task_pause(self, task: ConnectorTaskId) -> None:
        self._put_task(task, State.PAUSED)

    def on_task_resume(self, task: ConnectorTaskId) -> None:
        self._put_task(task, State.RUNNING)

    def on_task_failure(self, task: ConnectorTaskId, trace: str) -> None:
        self._put_task_safe(task, State.FAILED, trace)

    def on_task_shutdown(self, task: ConnectorTaskId) -> None:
        self._put_task_safe(task, State.UNASSIGNED)

    def on_task_problem(self, task: ConnectorTaskId, trace: str | None) -> None:
        """A running task's problems changed (task thread, see
        :mod:`sluice.runtime.task_problems`): write its RUNNING state again with them as its
        ``trace`` (``None``: without), so that every worker's REST API shows them.

        Only this worker's own RUNNING state is rewritten, never a state another worker or a
        pause has written since. In standalone mode this updates the memory store, which
        :meth:`connector_status` overrides anyway; in distributed mode it is one status record per
        change, at most one per task every few seconds, and while the brokers are out of reach
        it waits in the store's queue (a newer write of the key makes it moot).
        """
        current = self.status.task(task)
        if (
            current is None
            or current.state is not State.RUNNING
            or current.worker_id != self.worker_id()
            or current.trace == trace
        ):
            return
        self._put_task(task, State.RUNNING, trace)

    def on_topic(self, task: ConnectorTaskId) -> Callable[[str], None]:
        """What a source task calls with each topic it produces to for the first time."""
        return lambda topic: self.status.put_topic(task.connector, topic, task.task)

    # -- reads --------------------------------------------------------------------------------
    def _require(self, name: str) -> dict[str, str]:
        config = self.configs.snapshot().connector_configs.get(name)
        if config is None:
            raise NotFoundError(f"Connector {name} not found")
        return config

    def connector_type(self, config: Mapping[str, str]) -> ConnectorType:
        try:
            return ConnectorType.SINK if self.worker.is_sink(config) else ConnectorType.SOURCE
        except Exception:
            return ConnectorType.UNKNOWN

    def connectors(self) -> list[str]:
        return self.configs.snapshot().connectors()

    def connector_info(self, name: str) -> ConnectorInfo:
        snap = self.configs.snapshot()
        config = snap.connector_configs.get(name)
        if config is None:
            raise NotFoundError(f"Connector {name} not found")
        return ConnectorInfo(name, dict(config), snap.tasks(name), self.connector_type(config))

    def connector_config(self, name: str) -> dict[str, str]:
        return dict(self._require(name))

    def task_configs(self, name: str) -> list[TaskInfo]:
        snap = self.configs.snapshot()
        if not snap.contains(name):
            raise NotFoundError(f"Connector {name} not found")
        return [TaskInfo(t, dict(snap.task_config(t) or {})) for t in snap.tasks(name)]

    def connector_status(self, name: str) -> ConnectorStateInfo:
        """The stored states, with the live problems of this worker's running tasks as their
        ``trace`` (see :meth:`with_problems`)."""
        config = self.configs.snapshot().connector_configs.get(name)
        status = self.status.connector(name)
        if config is None or status is None:
            raise NotFoundError(f"No status found for connector {name}")
        tasks = {
            i: self.with_problems(ConnectorTaskId(name, i), s)
            for i, s in self.status.tasks(name).items()
        }
        return ConnectorStateInfo(name, status, tasks, self.connector_type(config))

    def task_status(self, task: ConnectorTaskId) -> StateInfo:
        status = self.status.task(task)
        if status is None:
            raise NotFoundError(f"No status found for task {task}")
        return self.with_problems(task, status)

    def with_problems(self, task: ConnectorTaskId, state: StateInfo) -> StateInfo:
        """``state`` with the task's current problems as its ``trace``, if it is RUNNING here.

        Why a RUNNING task may have a trace, and why that is safe: Kafka Connect's task state
        entity is ``{"id", "state", "worker_id", "trace"?, "version"?}``, where ``trace`` is
        optional free text (Jackson leaves it out when empty). Kafka fills it only on FAILED,
        but neither its REST clients (the Connect CLI tools, kcctl, Strimzi's operator, which
        decides on ``state`` alone) nor a Java worker reading the status topic give it a
        meaning beyond "text to show"; they show it when present. The state stays RUNNING, as
        Kafka Connect's would, so nothing that acts on states acts differently; the text starts
        with ``WARNING:`` or ``ERROR:`` and is one line per problem, never a stack trace.

        The owning worker answers from the task's live problems, so the text is current and
        clears as soon as the condition does, even when the status topic cannot be written
        (brokers unreachable). Other workers show what the owner last published through
        :meth:`on_task_problem`.
        """
        if state.state is not State.RUNNING or state.worker_id != self.worker_id():
            return state
        live = self.worker.tasks.get(task)
        if live is None:
            return state
        trace = live.problems.trace()
        return state if trace == state.trace else dataclasses.replace(state, trace=trace)

    def restart_plan(self, request: RestartRequest) -> RestartPlan | None:
        """The plan for a KIP-745 restart; ``None`` while the connector has no status."""
        try:
            return RestartPlan(request, self.connector_status(request.connector))
        except NotFoundError:
            return None

    # -- topics and offsets -------------------------------------------------------------------
    def connector_active_topics(self, name: str) -> list[str]:
        return self.status.topics(name)

    def reset_connector_active_topics(self, name: str) -> None:
        self.status.reset_topics(name)

    def connector_offsets(self, name: str) -> list[dict[str, Any]]:
        return self.offsets.read(name, self._require(name))

    # -- cluster-wide logger levels -----------------------------------------------------------
    def set_cluster_logger_level(self, namespace: str, level: str) -> None:
        """A standalone worker is the whole cluster: the level applies here at once."""
        self.loggers.set_level(namespace, level)

    # -- plugins and validation ---------------------------------------------------------------
    def validate_connector_config(self, config: Mapping[str, str]) -> dict[str, Any]:
        return validation_result(self, config)

    def connector_plugins(self, connectors_only: bool = True) -> list[PluginInfo]:
        kinds = (
            ["sink", "source"] if connectors_only else [k for k in KINDS if k != "config_provider"]
        )
        registry = self.worker.registry
        plugins = registry.plugins(kinds)
        if "header_converter" in kinds:
            # Kafka lists a class under every plugin type it implements: its converters are
            # header converters too.
            listed = {d.name for d in plugins if d.kind == "header_converter"}
            for d in list(plugins):
                if d.kind == "converter" and d.name not in listed:
                    with contextlib.suppress(PluginError):
                        if issubclass(registry.load(d.name), HeaderConverter):
                            plugins.append(dataclasses.replace(d, kind="header_converter"))
        plugins.sort(key=lambda d: (_PLUGIN_ORDER.get(d.kind, 99), d.name))
        return [
            PluginInfo(d.name, d.kind, None if d.version == "undefined" else d.version)
            for d in plugins
        ]

    def connector_plugin_config(self, plugin: str) -> list[dict[str, Any]]:
        return plugin_config(self, plugin)
