"""The standalone herder: connector state kept in memory, changes applied at once in-process.

All state changes take the herder lock; connector and task threads report status through the
listener methods, and a connector's ``request_task_reconfiguration`` is served on a single
background thread so a connector can never deadlock against the herder.
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
from collections.abc import Mapping
from typing import Any

from confluent_kafka import TopicPartition as KafkaTopicPartition
from confluent_kafka.admin import AdminClient

from sluice.api import (
    AlreadyExistsError,
    ConnectError,
    NotFoundError,
    SinkConnector,
    SourceConnector,
)
from sluice.plugins.registry import KINDS
from sluice.runtime.herder import (
    BadRequestError,
    Herder,
    PluginInfo,
    RestartRequest,
)
from sluice.runtime.offset_storage import ConnectorOffsets
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
from sluice.runtime.validation import validate_or_raise, validation_result
from sluice.runtime.worker import Worker
from sluice.storage.config import MemoryConfigBackingStore
from sluice.storage.status import MemoryStatusBackingStore

__all__ = ["StandaloneHerder"]

log = logging.getLogger(__name__)

_NOT_STOPPED = (
    "Connectors must be in the STOPPED state before their offsets can be modified. This can be "
    "done for the specified connector by issuing a 'PUT' request to the "
    "'/connectors/{name}/stop' endpoint"
)


class StandaloneHerder(Herder):
    def __init__(self, worker: Worker, kafka_cluster_id: str | None = None) -> None:
        self.worker = worker
        self.configs = MemoryConfigBackingStore()
        self.status = MemoryStatusBackingStore()
        self._cluster_id = kafka_cluster_id
        self._lock = threading.RLock()
        self._ready = False
        self._reconfig = concurrent.futures.ThreadPoolExecutor(1, "herder-reconfigure")

    # -- herder lifecycle ---------------------------------------------------------------------
    def start(self) -> None:
        self.worker.start()
        self._ready = True
        log.info("Herder started")

    def stop(self) -> None:
        log.info("Herder stopping")
        self._ready = False
        self._reconfig.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            self.worker.stop()
        log.info("Herder stopped")

    def ready(self) -> bool:
        return self._ready

    def worker_id(self) -> str:
        return self.worker.worker_id

    def kafka_cluster_id(self) -> str | None:
        if self._cluster_id is None:
            try:
                admin = AdminClient(self.worker.admin_config())
                self._cluster_id = admin.list_topics(timeout=10).cluster_id
            except Exception as e:
                log.warning("Could not look up the Kafka cluster id: %s", e)
        return self._cluster_id

    # -- status listener (called from connector and task threads) -----------------------------
    def _put_connector_state(self, name: str, state: State, trace: str | None = None) -> None:
        if self.configs.snapshot().contains(name):
            self.status.put_connector(name, StateInfo(state, self.worker_id(), trace))

    def on_connector_startup(self, name: str) -> None:
        self._put_connector_state(name, State.RUNNING)

    def on_connector_pause(self, name: str) -> None:
        self._put_connector_state(name, State.PAUSED)

    def on_connector_resume(self, name: str) -> None:
        self._put_connector_state(name, State.RUNNING)

    def on_connector_stop(self, name: str) -> None:
        self._put_connector_state(name, State.STOPPED)

    def on_connector_failure(self, name: str, trace: str) -> None:
        self._put_connector_state(name, State.FAILED, trace)

    def on_connector_shutdown(self, name: str) -> None:
        self._put_connector_state(name, State.UNASSIGNED)

    def _put_task_state(
        self, task: ConnectorTaskId, state: State, trace: str | None = None
    ) -> None:
        if self.configs.snapshot().contains(task.connector):
            self.status.put_task(task, StateInfo(state, self.worker_id(), trace))

    def on_task_startup(self, task: ConnectorTaskId) -> None:
        self._put_task_state(task, State.RUNNING)

    def on_task_pause(self, task: ConnectorTaskId) -> None:
        self._put_task_state(task, State.PAUSED)

    def on_task_resume(self, task: ConnectorTaskId) -> None:
        self._put_task_state(task, State.RUNNING)

    def on_task_failure(self, task: ConnectorTaskId, trace: str) -> None:
        self._put_task_state(task, State.FAILED, trace)

    def on_task_shutdown(self, task: ConnectorTaskId) -> None:
        self._put_task_state(task, State.UNASSIGNED)

    def _on_topic(self, connector: str) -> Any:
        return lambda topic: self.status.put_topic(connector, topic)

    # -- connectors ---------------------------------------------------------------------------
    def _require(self, name: str) -> dict[str, str]:
        config = self.configs.snapshot().connector_configs.get(name)
        if config is None:
            raise NotFoundError(f"Connector {name} not found")
        return config

    def connectors(self) -> list[str]:
        return sorted(self.configs.snapshot().connector_configs)

    def _type(self, config: Mapping[str, str]) -> ConnectorType:
        try:
            return ConnectorType.SINK if self.worker.is_sink(config) else ConnectorType.SOURCE
        except Exception:
            return ConnectorType.UNKNOWN

    def connector_info(self, name: str) -> ConnectorInfo:
        snap = self.configs.snapshot()
        config = snap.connector_configs.get(name)
        if config is None:
            raise NotFoundError(f"Connector {name} not found")
        tasks = [ConnectorTaskId(name, i) for i in range(len(snap.task_configs.get(name, [])))]
        return ConnectorInfo(name, dict(config), tasks, self._type(config))

    def connector_config(self, name: str) -> dict[str, str]:
        return dict(self._require(name))

    def put_connector_config(
        self,
        name: str,
        config: Mapping[str, str],
        allow_replace: bool,
        initial_state: TargetState | None = None,
    ) -> tuple[bool, ConnectorInfo]:
        config = dict(config)
        config.setdefault("name", name)
        validate_or_raise(self, config)
        with self._lock:
            exists = self.configs.snapshot().contains(name)
            if exists and not allow_replace:
                raise AlreadyExistsError(f"Connector {name} already exists")
            if exists:
                self._stop_connector_and_tasks(name)
                target = self.configs.snapshot().target_states.get(name, TargetState.STARTED)
            else:
                target = initial_state or TargetState.STARTED
            self.configs.put_connector_config(name, config, target)
            self._start_connector(name)
            return not exists, self.connector_info(name)

    def patch_connector_config(self, name: str, patch: Mapping[str, str | None]) -> ConnectorInfo:
        with self._lock:
            merged = dict(self._require(name))
            for k, v in patch.items():
                if v is None:
                    merged.pop(k, None)
                else:
                    merged[k] = v
            return self.put_connector_config(name, merged, allow_replace=True)[1]

    def delete_connector_config(self, name: str) -> None:
        with self._lock:
            self._require(name)
            self._stop_connector_and_tasks(name)
            self.configs.remove_connector_config(name)
            self.status.remove(name)

    def _start_connector(self, name: str) -> None:
        snap = self.configs.snapshot()
        config = snap.connector_configs[name]
        target = snap.target_states.get(name, TargetState.STARTED)
        ok = self.worker.start_connector(name, config, self, target, self._request_reconfiguration)
        if ok:
            self._update_tasks(name)

    def _stop_connector_and_tasks(self, name: str) -> None:
        self.worker.stop_and_await_tasks(self.worker.task_ids(name))
        self.worker.stop_connector(name)

    def _update_tasks(self, name: str) -> None:
        """Recompute task configs; restart the tasks if they changed (and start missing ones)."""
        snap = self.configs.snapshot()
        config = snap.connector_configs.get(name)
        if config is None:
            return
        target = snap.target_states.get(name, TargetState.STARTED)
        if target is TargetState.STOPPED:
            new_configs: list[dict[str, str]] = []
        else:
            try:
                new_configs = self.worker.connector_task_configs(name, config)
            except Exception as e:
                wc = self.worker.connectors.get(name)
                if wc is not None:
                    wc.fail(e)
                return
        old_configs = snap.task_configs.get(name)
        running = self.worker.task_ids(name)
        if old_configs == new_configs and len(running) == len(new_configs):
            return
        self.worker.stop_and_await_tasks(running)
        for i in range(len(new_configs), len(old_configs or [])):
            self.status.remove_task(ConnectorTaskId(name, i))
        self.configs.put_task_configs(name, new_configs)
        for i, tc in enumerate(new_configs):
            self._start_task(ConnectorTaskId(name, i), config, tc, target)

    def _start_task(
        self, id: ConnectorTaskId, config: dict[str, str], tc: dict[str, str], target: TargetState
    ) -> None:
        self.worker.start_task(id, config, tc, self, target, self._on_topic(id.connector))

    def _request_reconfiguration(self, name: str) -> None:
        def run() -> None:
            with self._lock:
                if self.configs.snapshot().contains(name):
                    self._update_tasks(name)

        self._reconfig.submit(run)

    def task_configs(self, name: str) -> list[TaskInfo]:
        self._require(name)
        configs = self.configs.snapshot().task_configs.get(name, [])
        return [TaskInfo(ConnectorTaskId(name, i), dict(c)) for i, c in enumerate(configs)]

    def connector_status(self, name: str) -> ConnectorStateInfo:
        snap = self.configs.snapshot()
        config = snap.connector_configs.get(name)
        status = self.status.connector(name)
        if config is None or status is None:
            raise NotFoundError(f"No status found for connector {name}")
        return ConnectorStateInfo(name, status, self.status.tasks(name), self._type(config))

    def task_status(self, task: ConnectorTaskId) -> StateInfo:
        status = self.status.task(task)
        if status is None:
            raise NotFoundError(f"No status found for task {task}")
        return status

    def restart_connector(self, name: str) -> None:
        with self._lock:
            self._require(name)
            self.worker.stop_connector(name)
            self._start_connector(name)

    def restart_task(self, task: ConnectorTaskId) -> None:
        with self._lock:
            snap = self.configs.snapshot()
            configs = snap.task_configs.get(task.connector)
            if configs is None or task.task >= len(configs):
                raise NotFoundError(f"Task {task} not found")
            self.worker.stop_and_await_tasks([task])
            target = snap.target_states.get(task.connector, TargetState.STARTED)
            self._start_task(
                task, snap.connector_configs[task.connector], configs[task.task], target
            )

    def restart_connector_and_tasks(self, request: RestartRequest) -> ConnectorStateInfo:
        with self._lock:
            name = request.connector
            if not self.configs.snapshot().contains(name):
                raise NotFoundError(f"Unknown connector: {name}")
            status = self.connector_status(name)
            restart_connector = not request.only_failed or status.connector.state is State.FAILED
            tasks = [
                i
                for i, s in status.tasks.items()
                if request.include_tasks and (not request.only_failed or s.state is State.FAILED)
            ]
            planned = ConnectorStateInfo(
                name,
                StateInfo(State.RESTARTING, status.connector.worker_id)
                if restart_connector
                else status.connector,
                {
                    i: StateInfo(State.RESTARTING, s.worker_id) if i in tasks else s
                    for i, s in status.tasks.items()
                },
                status.type,
            )
            if restart_connector:
                self.status.put_connector(name, planned.connector)
            for i in tasks:
                self.status.put_task(ConnectorTaskId(name, i), planned.tasks[i])
            ids = [ConnectorTaskId(name, i) for i in tasks]
            self.worker.stop_and_await_tasks(ids)
            if restart_connector:
                self.worker.stop_connector(name)
                snap = self.configs.snapshot()
                self.worker.start_connector(
                    name,
                    snap.connector_configs[name],
                    self,
                    snap.target_states.get(name, TargetState.STARTED),
                    self._request_reconfiguration,
                )
            snap = self.configs.snapshot()
            target = snap.target_states.get(name, TargetState.STARTED)
            task_configs = snap.task_configs.get(name, [])
            for id in ids:
                if id.task < len(task_configs):
                    self._start_task(
                        id, snap.connector_configs[name], task_configs[id.task], target
                    )
            if restart_connector:
                self._update_tasks(name)
            return planned

    def _set_target(self, name: str, state: TargetState) -> None:
        with self._lock:
            self._require(name)
            previous = self.configs.snapshot().target_states.get(name)
            self.configs.put_target_state(name, state)
            if state is TargetState.STOPPED:
                self._stop_connector_and_tasks(name)
                self.configs.put_task_configs(name, [])
                for i in self.status.tasks(name):
                    self.status.remove_task(ConnectorTaskId(name, i))
                self.status.put_connector(name, StateInfo(State.STOPPED, self.worker_id()))
                return
            if previous is TargetState.STOPPED or name not in self.worker.connectors:
                # Leaving STOPPED rebuilds the connector (it may have been restarted while
                # stopped) and recomputes its tasks.
                self.worker.stop_connector(name)
                self._start_connector(name)
                return
            self.worker.set_target_state(name, state)

    def pause_connector(self, name: str) -> None:
        self._set_target(name, TargetState.PAUSED)

    def resume_connector(self, name: str) -> None:
        self._set_target(name, TargetState.STARTED)

    def stop_connector(self, name: str) -> None:
        self._set_target(name, TargetState.STOPPED)

    # -- topics -------------------------------------------------------------------------------
    def connector_active_topics(self, name: str) -> list[str]:
        return self.status.topics(name)

    def reset_connector_active_topics(self, name: str) -> None:
        self.status.reset_topics(name)

    # -- offsets ------------------------------------------------------------------------------
    def _is_stopped(self, name: str) -> bool:
        snap = self.configs.snapshot()
        return snap.target_states.get(name) is TargetState.STOPPED and not snap.task_configs.get(
            name
        )

    def connector_offsets(self, name: str) -> list[dict[str, Any]]:
        config = self._require(name)
        if self._type(config) is ConnectorType.SINK:
            return [
                {
                    "partition": {"kafka_topic": tp.topic, "kafka_partition": tp.partition},
                    "offset": {"kafka_offset": tp.offset},
                }
                for tp in self._sink_group_offsets(name)
            ]
        return [
            {"partition": p, "offset": o}
            for p, o in ConnectorOffsets(name, self.worker.offset_store).entries()
        ]

    def _sink_group_offsets(self, name: str) -> list[KafkaTopicPartition]:
        from confluent_kafka import ConsumerGroupTopicPartitions

        admin = AdminClient(self.worker.admin_config())
        group = self._sink_group(name)
        futures = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)])
        try:
            result = futures[group].result(timeout=30)
        except Exception as e:
            if "GROUP_ID_NOT_FOUND" in str(e):
                return []
            raise ConnectError(f"Failed to read offsets of consumer group {group}: {e}") from e
        return [tp for tp in result.topic_partitions if tp.offset >= 0]

    def _sink_group(self, name: str) -> str:
        config = self._require(name)
        return config.get("consumer.override.group.id", f"connect-{name}")

    def alter_connector_offsets(self, name: str, offsets: list[dict[str, Any]]) -> str:
        with self._lock:
            config = self._require(name)
            if not self._is_stopped(name):
                raise BadRequestError(_NOT_STOPPED.format(name=name))
            if not offsets:
                raise BadRequestError(
                    "Partitions / offsets need to be provided for an alter offsets request"
                )
            connector = self.worker.connector_class(config)()
            if issubclass(type(connector), SinkConnector):
                handled = self._alter_sink_offsets(name, config, connector, offsets)
            else:
                pairs = []
                for entry in offsets:
                    partition = entry.get("partition")
                    if not isinstance(partition, dict):
                        raise BadRequestError("Source partitions may not be null")
                    offset = entry.get("offset")
                    pairs.append((partition, offset))
                try:
                    assert isinstance(connector, SourceConnector)
                    handled = connector.alter_offsets(config, pairs)
                except ConnectError as e:
                    raise BadRequestError(str(e)) from e
                ConnectorOffsets(name, self.worker.offset_store).write(pairs)
            return _offsets_message("altered", handled)

    def _alter_sink_offsets(
        self, name: str, config: dict[str, str], connector: Any, offsets: list[dict[str, Any]]
    ) -> bool:
        from confluent_kafka import ConsumerGroupTopicPartitions

        from sluice.api import TopicPartition

        parsed: dict[TopicPartition, int | None] = {}
        for entry in offsets:
            p = entry.get("partition") or {}
            topic, partition = p.get("kafka_topic"), p.get("kafka_partition")
            if not isinstance(topic, str) or partition is None:
                raise BadRequestError(
                    "Kafka partitions must be valid objects with kafka_topic and kafka_partition"
                )
            try:
                part = int(partition)
                o = entry.get("offset")
                off = None if o is None else int(o["kafka_offset"])
            except (TypeError, ValueError, KeyError) as e:
                raise BadRequestError(f"Invalid sink offset entry {entry}: {e}") from e
            parsed[TopicPartition(topic, part)] = off
        try:
            handled = bool(connector.alter_offsets(config, parsed))
        except ConnectError as e:
            raise BadRequestError(str(e)) from e
        to_delete = [tp for tp, o in parsed.items() if o is None]
        admin = AdminClient(self.worker.admin_config())
        group = self._sink_group(name)
        to_set = [
            KafkaTopicPartition(t.topic, t.partition, o) for t, o in parsed.items() if o is not None
        ]
        if to_delete:
            raise BadRequestError(
                "Removing the committed offset of single sink partitions (null offset) is not "
                "supported; DELETE /connectors/{name}/offsets resets all of them"
            )
        if to_set:
            fut = admin.alter_consumer_group_offsets([ConsumerGroupTopicPartitions(group, to_set)])
            fut[group].result(timeout=30)
        return handled

    def reset_connector_offsets(self, name: str) -> str:
        with self._lock:
            config = self._require(name)
            if not self._is_stopped(name):
                raise BadRequestError(_NOT_STOPPED.format(name=name))
            connector = self.worker.connector_class(config)()
            if isinstance(connector, SinkConnector):
                current = self._sink_group_offsets(name)
                from sluice.api import TopicPartition

                handled = bool(
                    connector.alter_offsets(
                        config, {TopicPartition(tp.topic, tp.partition): None for tp in current}
                    )
                )
                admin = AdminClient(self.worker.admin_config())
                futures = admin.delete_consumer_groups([self._sink_group(name)])
                for f in futures.values():
                    try:
                        f.result(timeout=30)
                    except Exception as e:
                        if "GROUP_ID_NOT_FOUND" not in str(e):
                            raise ConnectError(f"Failed to reset sink offsets: {e}") from e
            else:
                store = ConnectorOffsets(name, self.worker.offset_store)
                pairs: list[tuple[dict[str, Any], dict[str, Any] | None]] = [
                    (p, None) for p, _ in store.entries()
                ]
                assert isinstance(connector, SourceConnector)
                handled = bool(connector.alter_offsets(config, pairs))
                store.reset()
            return _offsets_message("reset", handled)

    # -- plugins and validation ---------------------------------------------------------------
    def validate_connector_config(self, config: Mapping[str, str]) -> dict[str, Any]:
        return validation_result(self, config)

    def connector_plugins(self, connectors_only: bool = True) -> list[PluginInfo]:
        kinds = (
            ["sink", "source"] if connectors_only else [k for k in KINDS if k != "config_provider"]
        )
        order = {
            k: i
            for i, k in enumerate(
                ["sink", "source", "transformation", "predicate", "converter", "header_converter"]
            )
        }
        plugins = self.worker.registry.plugins(kinds)
        plugins.sort(key=lambda d: (order.get(d.kind, 99), d.name))
        return [
            PluginInfo(d.name, d.kind, None if d.version == "undefined" else d.version)
            for d in plugins
        ]

    def connector_plugin_config(self, plugin: str) -> list[dict[str, Any]]:
        from sluice.runtime.validation import plugin_config

        return plugin_config(self, plugin)


def _offsets_message(verb: str, handled: bool) -> str:
    if handled:
        return f"The offsets for this connector have been {verb} successfully"
    return (
        f"The Connect framework-managed offsets for this connector have been {verb} "
        "successfully. However, if this connector manages offsets externally, they will need "
        f"to be manually {verb} in the system that the connector uses."
    )
