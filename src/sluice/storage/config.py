"""Config backing stores: connector configs, task configs and target states.

Standalone mode keeps them in memory (connectors come from the command line or REST and are not
persisted, as in Kafka Connect); distributed mode will keep them in the config topic.
"""

from __future__ import annotations

import abc
import threading
from dataclasses import dataclass, field

from sluice.runtime.status import TargetState

__all__ = ["ClusterConfigState", "ConfigBackingStore", "MemoryConfigBackingStore"]


@dataclass
class ClusterConfigState:
    """A consistent snapshot of every connector's configuration."""

    connector_configs: dict[str, dict[str, str]] = field(default_factory=dict)
    task_configs: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    target_states: dict[str, TargetState] = field(default_factory=dict)

    def contains(self, name: str) -> bool:
        return name in self.connector_configs


class ConfigBackingStore(abc.ABC):
    @abc.abstractmethod
    def snapshot(self) -> ClusterConfigState: ...

    @abc.abstractmethod
    def put_connector_config(
        self, name: str, config: dict[str, str], target_state: TargetState | None
    ) -> None: ...

    @abc.abstractmethod
    def remove_connector_config(self, name: str) -> None: ...

    @abc.abstractmethod
    def put_task_configs(self, name: str, configs: list[dict[str, str]]) -> None: ...

    @abc.abstractmethod
    def put_target_state(self, name: str, state: TargetState) -> None: ...


class MemoryConfigBackingStore(ConfigBackingStore):
    def __init__(self) -> None:
        self._state = ClusterConfigState()
        self._lock = threading.Lock()

    def snapshot(self) -> ClusterConfigState:
        with self._lock:
            return ClusterConfigState(
                {k: dict(v) for k, v in self._state.connector_configs.items()},
                {k: [dict(c) for c in v] for k, v in self._state.task_configs.items()},
                dict(self._state.target_states),
            )

    def put_connector_config(
        self, name: str, config: dict[str, str], target_state: TargetState | None
    ) -> None:
        with self._lock:
            self._state.connector_configs[name] = dict(config)
            if target_state is not None or name not in self._state.target_states:
                self._state.target_states[name] = target_state or TargetState.STARTED

    def remove_connector_config(self, name: str) -> None:
        with self._lock:
            self._state.connector_configs.pop(name, None)
            self._state.task_configs.pop(name, None)
            self._state.target_states.pop(name, None)

    def put_task_configs(self, name: str, configs: list[dict[str, str]]) -> None:
        with self._lock:
            self._state.task_configs[name] = [dict(c) for c in configs]

    def put_target_state(self, name: str, state: TargetState) -> None:
        with self._lock:
            self._state.target_states[name] = state
