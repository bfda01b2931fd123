"""The config store of a distributed cluster: the config topic, applied as Kafka Connect applies it.

The config topic is a single-partition, compacted log that every worker reads in full. Most
records take effect as soon as they are read, but a connector's task configs are written one
record per task and must switch over together (two generations of task configs mixed could
assign a partition twice), so they are held back until the ``commit-<name>`` record that follows
them, and applied only if the commit finds a config for each of its tasks. Compaction can remove
task records a commit once relied on; a connector whose latest commit finds some missing is
*inconsistent* and has no usable tasks until the leader writes a fresh set.

:class:`ConfigLogState` is that fold, record by record, with no I/O (unit tests feed it records);
:class:`KafkaConfigBackingStore` puts it behind a :class:`~sluice.storage.kafka_log.KafkaBasedLog`
and writes records in Kafka Connect's formats (:mod:`sluice.storage.config_records`).

Which worker may write what (leader-only configs, pause/resume from any worker) is the herder's
business. Every write here returns once the records are acknowledged *and* read back, so a
snapshot taken after a write includes it. The listener hears of every change read after start-up,
including this worker's own writes, on the reader thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from typing import Final

from confluent_kafka.admin import AdminClient

from sluice.api import ConfigError, ConnectError
from sluice.kafka.client_logs import new_admin
from sluice.storage import config_records as records
from sluice.storage.config import (
    ClusterConfigState,
    ConfigBackingStore,
    ConfigUpdateListener,
    SessionKey,
)
from sluice.storage.internal_topics import InternalTopic, ensure_topic
from sluice.storage.kafka_log import KafkaBasedLog, LogClients, LogRecord
from sluice.storage.states import ConnectorTaskId, RestartRequest, TargetState

__all__ = ["ConfigLogState", "KafkaConfigBackingStore", "ListenerCall"]

log = logging.getLogger(__name__)

WRITE_TIMEOUT: Final = 30.0
"""Kafka Connect's budget for one config write, reads to the end included."""

ListenerCall = Callable[[ConfigUpdateListener], None]
"""A change to report, applied to the listener once the store's lock is released."""


class ConfigLogState:
    """The cluster's configuration as far as the config topic has been read.

    Not thread-safe: the store serializes :meth:`apply` and :meth:`snapshot` under its lock.
    """

    def __init__(self) -> None:
        self.offset = -1
        self.session_key: SessionKey | None = None
        self.connector_configs: dict[str, dict[str, str]] = {}
        self.target_states: dict[str, TargetState] = {}
        self.task_counts: dict[str, int] = {}
        self.task_configs: dict[ConnectorTaskId, dict[str, str]] = {}
        self.deferred: dict[str, dict[int, dict[str, str]]] = {}
        self.inconsistent: set[str] = set()
        self.task_count_records: dict[str, int] = {}
        self.task_config_generations: dict[str, int] = {}

    def apply(
        self, key: bytes | str | None, value: bytes | None, offset: int
    ) -> list[ListenerCall]:
        """Fold one record in; return the listener calls it causes (none for a malformed one)."""
        self.offset = offset + 1  # Java reports the next offset to read
        record = records.decode(key, value)
        if isinstance(record, records.ConnectorConfigRecord):
            return self._connector_config(record.name, record.config)
        if isinstance(record, records.TargetStateRecord):
            return self._target_state(record.name, record.state)
        if isinstance(record, records.TaskConfigRecord):
            # held back until the commit record says the whole set is there
            self.deferred.setdefault(record.task.connector, {})[record.task.task] = record.config
            return []
        if isinstance(record, records.TaskCommitRecord):
            return self._commit(record.name, record.tasks)
        if isinstance(record, records.TaskCountRecord):
            self.task_count_records[record.name] = record.task_count
            return []
        if isinstance(record, records.SessionKeyRecord):
            key_ = record.key
            self.session_key = key_
            return [lambda listener: listener.on_session_key_update(key_)]
        if isinstance(record, records.RestartRequestRecord):
            request = record.request
            return [lambda listener: listener.on_restart_request(request)]
        if isinstance(record, records.LoggerLevelRecord):
            namespace, level = record.namespace, record.level
            return [lambda listener: listener.on_logging_level_update(namespace, level)]
        return []

    def _connector_config(self, name: str, config: dict[str, str] | None) -> list[ListenerCall]:
        if config is None:
            self._forget(name)
            log.info("Successfully processed removal of connector '%s'", name)
            return [lambda listener: listener.on_connector_config_remove(name)]
        self.connector_configs[name] = config
        # connectors created before target states existed start out STARTED
        self.target_states.setdefault(name, TargetState.STARTED)
        return [lambda listener: listener.on_connector_config_update(name)]

    def _target_state(self, name: str, state: TargetState | None) -> list[ListenerCall]:
        if state is None:
            # Written with the connector's own tombstone, whose callback tells the herder; a
            # connector that somehow still has a config keeps a valid target state.
            self.target_states.pop(name, None)
            if name in self.connector_configs:
                self.target_states[name] = TargetState.STARTED
            return []
        previous = self.target_states.get(name)
        self.target_states[name] = state
        # A target state written before its connector (initial_state on creation) reports
        # nothing: the connector record that follows does.
        if state is previous or name not in self.connector_configs:
            return []
        return [lambda listener: listener.on_connector_target_state_change(name)]

    def _commit(self, name: str, count: int) -> list[ListenerCall]:
        if name not in self.connector_configs:
            # The connector was deleted and compaction has since removed its config record and
            # the tombstone: these task configs belong to nothing.
            self._forget(name)
            log.debug("Ignoring task configs of connector %s, which no longer exists", name)
            return []
        deferred = self.deferred.get(name)
        updated: list[ConnectorTaskId] = []
        if not all(i in (deferred or {}) for i in range(count)):
            # Compaction removed a task record this commit needs (or a write failed half-way):
            # nothing can be applied until the leader writes a complete set again.
            log.debug("Incomplete set of task configs for connector '%s'", name)
            self.inconsistent.add(name)
        else:
            if deferred is not None:
                for i, config in deferred.items():
                    self.task_configs[ConnectorTaskId(name, i)] = config
                updated = [ConnectorTaskId(name, i) for i in sorted(deferred)]
                generations = self.task_config_generations
                generations[name] = generations.get(name, 0) + 1
            self.inconsistent.discard(name)
        if deferred is not None:
            deferred.clear()  # a later commit needs a complete fresh set, not leftovers
        self.task_counts[name] = count
        return [lambda listener: listener.on_task_config_update(updated)]

    def _forget(self, name: str) -> None:
        self.connector_configs.pop(name, None)
        self.task_counts.pop(name, None)
        self.task_configs = {t: c for t, c in self.task_configs.items() if t.connector != name}
        self.deferred.pop(name, None)

    def snapshot(self) -> ClusterConfigState:
        task_configs: dict[str, list[dict[str, str]]] = {}
        for name, count in self.task_counts.items():
            configs = []
            for i in range(count):
                config = self.task_configs.get(ConnectorTaskId(name, i))
                if config is None:  # only for inconsistent connectors, which expose no tasks
                    break
                configs.append(dict(config))
            task_configs[name] = configs
        return ClusterConfigState(
            connector_configs={k: dict(v) for k, v in self.connector_configs.items()},
            task_configs=task_configs,
            target_states=dict(self.target_states),
            offset=self.offset,
            session_key=self.session_key,
            inconsistent=set(self.inconsistent),
            task_count_records=dict(self.task_count_records),
            task_config_generations=dict(self.task_config_generations),
        )


class KafkaConfigBackingStore(ConfigBackingStore):
    """Connector configurations in the config topic (Kafka's ``KafkaConfigBackingStore``).

    ``topic`` is normally ``InternalTopic.config_topic(...)`` built from the worker's
    ``config.storage.*`` settings; ``clients`` the worker's top-level client settings.
    """

    def __init__(
        self,
        topic: InternalTopic,
        clients: LogClients,
        *,
        client_id: str = "connect-configs",
        write_timeout: float = WRITE_TIMEOUT,
        start_timeout: float = 60.0,
        admin: AdminClient | None = None,
    ) -> None:
        self.topic = topic
        self._clients = clients
        self._client_id = client_id
        self._write_timeout = write_timeout
        self._start_timeout = start_timeout
        self._admin = admin
        self._state = ConfigLogState()
        self._lock = threading.Lock()
        self._started = False
        self._log = KafkaBasedLog(
            topic.name,
            self._on_record,
            clients.consumer_config(client_id),
            clients.producer_config(client_id, {"message.timeout.ms": 0}),  # retry until acked
        )

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> None:
        log.info("Starting KafkaConfigBackingStore on topic %s", self.topic.name)
        admin = self._admin or new_admin(self._clients.admin_config(self._client_id))
        ensure_topic(admin, self.topic, self._start_timeout)
        self._log.start(admin, self._start_timeout, on_caught_up=self._caught_up)
        if self._log.partition_count > 1:
            self._log.stop(1.0)
            raise ConfigError(
                f"Topic '{self.topic.name}' named by {self.topic.setting} has "
                f"{self._log.partition_count} partitions; the config topic must have exactly one "
                "so that connector configurations are read in the order they were written.",
                self.topic.setting,
            )
        log.info("Started KafkaConfigBackingStore")

    def _caught_up(self) -> None:
        """From here on the listener hears of changes (records read at start-up are history)."""
        self._started = True

    def stop(self) -> None:
        self._log.stop()

    def refresh(self, timeout: float) -> None:
        self._log.read_to_end(timeout)

    # -- reading --------------------------------------------------------------------------------
    def _on_record(self, record: LogRecord) -> None:
        with self._lock:
            calls = self._state.apply(record.key, record.value, record.offset)
        listener = self._listener
        if not self._started or listener is None:
            return
        for call in calls:
            try:
                call(listener)
            except Exception:
                log.exception(
                    "Config update listener failed on the record at offset %d", record.offset
                )

    def snapshot(self) -> ClusterConfigState:
        with self._lock:
            return self._state.snapshot()

    def contains(self, name: str) -> bool:
        with self._lock:
            return name in self._state.connector_configs

    # -- writing --------------------------------------------------------------------------------
    def _send(self, entries: list[tuple[str, bytes | None]], deadline: float) -> None:
        futures: list[Future[tuple[int, int]]] = [self._log.send(k, v) for k, v in entries]
        for future in futures:
            future.result(timeout=max(0.0, deadline - time.monotonic()))

    def _read_to_end(self, deadline: float) -> None:
        self._log.read_to_end(max(0.0, deadline - time.monotonic()))

    def _write(self, what: str, entries: list[tuple[str, bytes | None]]) -> None:
        deadline = time.monotonic() + self._write_timeout
        try:
            self._send(entries, deadline)
            self._read_to_end(deadline)
        except (ConnectError, TimeoutError) as e:
            log.error("Failed to write %s to Kafka: %s", what, e)
            raise ConnectError(f"Error writing {what} to Kafka: {e}") from e

    def put_connector_config(
        self, name: str, config: Mapping[str, str], target_state: TargetState | None
    ) -> None:
        entries: list[tuple[str, bytes | None]] = []
        if target_state is not None:
            # first, so the connector starts in it: the connector record then reports both
            entries.append(
                (records.target_state_key(name), records.encode_target_state(target_state))
            )
        entries.append((records.connector_key(name), records.encode_connector_config(config)))
        self._write("connector configuration", entries)

    def remove_connector_config(self, name: str) -> None:
        # Kafka Connect leaves the task and commit records; a reader ignores a commit whose
        # connector is gone, and the next config for this name gets a fresh task set.
        self._write(
            "connector removal",
            [(records.connector_key(name), None), (records.target_state_key(name), None)],
        )

    def put_task_configs(self, name: str, configs: list[dict[str, str]]) -> None:
        """Read to the end, write the task records, read to the end (every task record is in),
        write the commit, read to the end, within one write timeout."""
        deadline = time.monotonic() + self._write_timeout
        try:
            self._read_to_end(deadline)
            tasks: list[tuple[str, bytes | None]] = [
                (records.task_key(ConnectorTaskId(name, i)), records.encode_task_config(c))
                for i, c in enumerate(configs)
            ]
            self._send(tasks, deadline)
            if configs:
                self._read_to_end(deadline)
            self._send(
                [(records.commit_key(name), records.encode_task_commit(len(configs)))], deadline
            )
            self._read_to_end(deadline)
        except (ConnectError, TimeoutError) as e:
            log.error("Failed to write task configurations of %s to Kafka: %s", name, e)
            raise ConnectError(f"Error writing task configurations to Kafka: {e}") from e

    def put_target_state(self, name: str, state: TargetState) -> None:
        self._write(
            "target state", [(records.target_state_key(name), records.encode_target_state(state))]
        )

    def put_session_key(self, key: SessionKey) -> None:
        self._write("session key", [(records.SESSION_KEY_KEY, records.encode_session_key(key))])

    def put_restart_request(self, request: RestartRequest) -> None:
        self._write(
            f"restart request for {request.connector}",
            [(records.restart_key(request.connector), records.encode_restart_request(request))],
        )

    def put_logger_level(self, namespace: str, level: str) -> None:
        self._write(
            "logger level", [(records.logger_key(namespace), records.encode_logger_level(level))]
        )

    def put_task_count_record(self, name: str, task_count: int) -> None:
        """``tasks-fencing-<name>`` (KIP-618): how many task producers a reconfiguration of an
        exactly-once source connector must fence first."""
        self._write(
            "task count record",
            [(records.task_count_key(name), records.encode_task_count(task_count))],
        )
