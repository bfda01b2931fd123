"""Config backing stores: connector configs, task configs, target states and the cluster's shared
settings (session key, restart requests, cluster-wide logger levels).

Standalone mode keeps them in memory (connectors come from the command line or REST and are not
persisted, as in Kafka Connect); distributed mode keeps them in the config topic
(:mod:`sluice.storage.kafka_config`). A store tells its :class:`ConfigUpdateListener` about every
change it reads, including its own writes, so the distributed herder learns of a change the same
way whichever worker made it.
"""

from __future__ import annotations

import abc
import threading
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from sluice.storage.states import ConnectorTaskId, RestartRequest, TargetState

__all__ = [
    "ClusterConfigState",
    "ConfigBackingStore",
    "ConfigUpdateListener",
    "MemoryConfigBackingStore",
    "SessionKey",
]


@dataclass(frozen=True)
class SessionKey:
    """The key workers sign internal requests with (KIP-507); the leader rotates it."""

    key: bytes
    algorithm: str
    creation_timestamp: int
    """Milliseconds since the epoch."""


@dataclass
class ClusterConfigState:
    """A consistent snapshot of every connector's configuration.

    ``offset`` is the config topic offset the snapshot reflects, as Kafka Connect counts it: the
    offset of the next record to read (-1 before anything was read). Members exchange it in the
    group protocol, so sluice and Java workers must count it the same way.
    ``inconsistent`` names connectors whose task configs were seen without their commit record
    (or with too few task records); they have no usable tasks until reconfigured.
    """

    connector_configs: dict[str, dict[str, str]] = field(default_factory=dict)
    task_configs: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    target_states: dict[str, TargetState] = field(default_factory=dict)
    offset: int = -1
    session_key: SessionKey | None = None
    inconsistent: set[str] = field(default_factory=set)
    task_count_records: dict[str, int] = field(default_factory=dict)
    """``tasks-fencing-<name>`` records (KIP-618), kept so they survive a round trip."""
    task_config_generations: dict[str, int] = field(default_factory=dict)
    """How many task config commits were read per connector since start-up."""

    def contains(self, name: str) -> bool:
        return name in self.connector_configs

    def connectors(self) -> list[str]:
        return sorted(self.connector_configs)

    def target_state(self, name: str) -> TargetState | None:
        return self.target_states.get(name) if name in self.connector_configs else None

    def task_count(self, name: str) -> int:
        return len(self.task_configs.get(name, []))

    def tasks(self, name: str) -> list[ConnectorTaskId]:
        if name in self.inconsistent:
            return []
        return [ConnectorTaskId(name, i) for i in range(self.task_count(name))]

    def task_config(self, task: ConnectorTaskId) -> dict[str, str] | None:
        configs = self.task_configs.get(task.connector, [])
        return configs[task.task] if 0 <= task.task < len(configs) else None

    def copy(self) -> ClusterConfigState:
        return ClusterConfigState(
            {k: dict(v) for k, v in self.connector_configs.items()},
            {k: [dict(c) for c in v] for k, v in self.task_configs.items()},
            dict(self.target_states),
            self.offset,
            self.session_key,
            set(self.inconsistent),
            dict(self.task_count_records),
            dict(self.task_config_generations),
        )


class ConfigUpdateListener(Protocol):
    """What a config store reports as it reads changes (Kafka's ``UpdateListener``).

    Called on the store's reader thread: implementations record the change and return quickly.
    """

    def on_connector_config_remove(self, connector: str) -> None: ...

    def on_connector_config_update(self, connector: str) -> None: ...

    def on_task_config_update(self, tasks: Collection[ConnectorTaskId]) -> None: ...

    def on_connector_target_state_change(self, connector: str) -> None: ...

    def on_session_key_update(self, key: SessionKey) -> None: ...

    def on_restart_request(self, request: RestartRequest) -> None: ...

    def on_logging_level_update(self, namespace: str, level: str) -> None: ...


class ConfigBackingStore(abc.ABC):
    """Where connector configurations live. Writes return once the change is stored and, for a
    Kafka-backed store, read back: a snapshot taken after a write includes it."""

    _listener: ConfigUpdateListener | None = None

    def set_update_listener(self, listener: ConfigUpdateListener | None) -> None:
        self._listener = listener

    def start(self) -> None:
        """Read what is stored (to the end of the config topic)."""

    def stop(self) -> None:
        """Release clients and threads."""

    def refresh(self, timeout: float) -> None:
        """Read to the end of what is stored; :class:`TimeoutError` if that takes longer."""

    def claim_write_privileges(self) -> None:
        """Become the only writer of leader-only records (a transactional producer with EOS)."""

    @abc.abstractmethod
    def snapshot(self) -> ClusterConfigState: ...

    def contains(self, name: str) -> bool:
        return self.snapshot().contains(name)

    @abc.abstractmethod
    def put_connector_config(
        self, name: str, config: Mapping[str, str], target_state: TargetState | None
    ) -> None:
        """Store a connector's config; ``target_state`` (if given) is written first, as Kafka
        Connect does for ``initial_state``."""

    @abc.abstractmethod
    def remove_connector_config(self, name: str) -> None:
        """Forget the connector, its target state and its task configs."""

    @abc.abstractmethod
    def put_task_configs(self, name: str, configs: list[dict[str, str]]) -> None:
        """Replace the connector's task configs at once (task records, then the commit)."""

    @abc.abstractmethod
    def put_target_state(self, name: str, state: TargetState) -> None: ...

    def put_session_key(self, key: SessionKey) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not store session keys")

    def put_restart_request(self, request: RestartRequest) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not store restart requests")

    def put_logger_level(self, namespace: str, level: str) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not store logger levels")


class MemoryConfigBackingStore(ConfigBackingStore):
    """Configs in memory: standalone mode and unit tests. Changes reach the listener at once."""

    def __init__(self) -> None:
        self._state = ClusterConfigState()
        self._lock = threading.Lock()

    def snapshot(self) -> ClusterConfigState:
        with self._lock:
            return self._state.copy()

    def contains(self, name: str) -> bool:
        with self._lock:
            return name in self._state.connector_configs

    def _bump(self) -> None:
        self._state.offset = max(self._state.offset, 0) + 1

    def put_connector_config(
        self, name: str, config: Mapping[str, str], target_state: TargetState | None
    ) -> None:
        with self._lock:
            self._state.connector_configs[name] = dict(config)
            if target_state is not None or name not in self._state.target_states:
                self._state.target_states[name] = target_state or TargetState.STARTED
            self._bump()
        if self._listener is not None:
            self._listener.on_connector_config_update(name)

    def remove_connector_config(self, name: str) -> None:
        with self._lock:
            self._state.connector_configs.pop(name, None)
            self._state.task_configs.pop(name, None)
            self._state.target_states.pop(name, None)
            self._bump()
        if self._listener is not None:
            self._listener.on_connector_config_remove(name)

    def put_task_configs(self, name: str, configs: list[dict[str, str]]) -> None:
        with self._lock:
            self._state.task_configs[name] = [dict(c) for c in configs]
            generations = self._state.task_config_generations
            generations[name] = generations.get(name, 0) + 1
            self._bump()
        if self._listener is not None:
            self._listener.on_task_config_update(
                [ConnectorTaskId(name, i) for i in range(len(configs))]
            )

    def put_target_state(self, name: str, state: TargetState) -> None:
        with self._lock:
            self._state.target_states[name] = state
            self._bump()
        if self._listener is not None:
            self._listener.on_connector_target_state_change(name)

    def put_session_key(self, key: SessionKey) -> None:
        with self._lock:
            self._state.session_key = key
            self._bump()
        if self._listener is not None:
            self._listener.on_session_key_update(key)

    def put_restart_request(self, request: RestartRequest) -> None:
        with self._lock:
            self._bump()
        if self._listener is not None:
            self._listener.on_restart_request(request)

    def put_logger_level(self, namespace: str, level: str) -> None:
        with self._lock:
            self._bump()
        if self._listener is not None:
            self._listener.on_logging_level_update(namespace, level)
