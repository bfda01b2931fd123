"""Status backing stores: the last known state of every connector and task."""

from __future__ import annotations

import abc
import threading

from sluice.runtime.status import ConnectorTaskId, StateInfo

__all__ = ["MemoryStatusBackingStore", "StatusBackingStore"]


class StatusBackingStore(abc.ABC):
    @abc.abstractmethod
    def put_connector(self, name: str, status: StateInfo) -> None: ...

    @abc.abstractmethod
    def put_task(self, task: ConnectorTaskId, status: StateInfo) -> None: ...

    @abc.abstractmethod
    def connector(self, name: str) -> StateInfo | None: ...

    @abc.abstractmethod
    def task(self, task: ConnectorTaskId) -> StateInfo | None: ...

    @abc.abstractmethod
    def tasks(self, name: str) -> dict[int, StateInfo]: ...

    @abc.abstractmethod
    def remove(self, name: str) -> None: ...

    @abc.abstractmethod
    def put_topic(self, name: str, topic: str) -> None:
        """Record that ``name`` used ``topic`` (KIP-558 active topics)."""

    @abc.abstractmethod
    def topics(self, name: str) -> list[str]: ...

    @abc.abstractmethod
    def reset_topics(self, name: str) -> None: ...


class MemoryStatusBackingStore(StatusBackingStore):
    def __init__(self) -> None:
        self._connectors: dict[str, StateInfo] = {}
        self._tasks: dict[str, dict[int, StateInfo]] = {}
        self._topics: dict[str, dict[str, None]] = {}
        self._lock = threading.Lock()

    def put_connector(self, name: str, status: StateInfo) -> None:
        with self._lock:
            self._connectors[name] = status

    def put_task(self, task: ConnectorTaskId, status: StateInfo) -> None:
        with self._lock:
            self._tasks.setdefault(task.connector, {})[task.task] = status

    def connector(self, name: str) -> StateInfo | None:
        with self._lock:
            return self._connectors.get(name)

    def task(self, task: ConnectorTaskId) -> StateInfo | None:
        with self._lock:
            return self._tasks.get(task.connector, {}).get(task.task)

    def tasks(self, name: str) -> dict[int, StateInfo]:
        with self._lock:
            return dict(sorted(self._tasks.get(name, {}).items()))

    def remove(self, name: str) -> None:
        with self._lock:
            self._connectors.pop(name, None)
            self._tasks.pop(name, None)
            self._topics.pop(name, None)

    def remove_task(self, task: ConnectorTaskId) -> None:
        with self._lock:
            self._tasks.get(task.connector, {}).pop(task.task, None)

    def put_topic(self, name: str, topic: str) -> None:
        with self._lock:
            self._topics.setdefault(name, {})[topic] = None

    def topics(self, name: str) -> list[str]:
        with self._lock:
            return sorted(self._topics.get(name, {}))

    def reset_topics(self, name: str) -> None:
        with self._lock:
            self._topics.pop(name, None)
