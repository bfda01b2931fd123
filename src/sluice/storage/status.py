"""Status backing stores: the last known state of every connector and task, and the topics each
connector used (KIP-558).

Every state carries the group generation of the worker that wrote it (0 in standalone mode).
"Safe" writes (UNASSIGNED on shutdown, FAILED) are dropped when the last known state belongs to
another worker at a newer generation: a worker that lost its work in a rebalance must not
overwrite the state reported by the worker that took the work over. The distributed store keeps
these records in the status topic (:mod:`sluice.storage.kafka_status`).
"""

from __future__ import annotations

import abc
import threading
import time

from sluice.storage.states import ConnectorTaskId, StateInfo

__all__ = ["MemoryStatusBackingStore", "StatusBackingStore", "TopicStatus", "can_write_safely"]


class TopicStatus:
    """One topic a connector's task used, and when it was first seen (KIP-558)."""

    __slots__ = ("connector", "discover_timestamp", "task", "topic")

    def __init__(self, topic: str, connector: str, task: int, discover_timestamp: int) -> None:
        self.topic = topic
        self.connector = connector
        self.task = task
        self.discover_timestamp = discover_timestamp

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TopicStatus) and (
            self.topic,
            self.connector,
            self.task,
            self.discover_timestamp,
        ) == (other.topic, other.connector, other.task, other.discover_timestamp)

    def __hash__(self) -> int:
        return hash((self.topic, self.connector, self.task))

    def __repr__(self) -> str:
        return (
            f"TopicStatus({self.topic!r}, {self.connector!r}, {self.task}, "
            f"{self.discover_timestamp})"
        )


def can_write_safely(current: StateInfo | None, new: StateInfo) -> bool:
    """Whether a safe write of ``new`` may replace ``current`` (Kafka's ``canWriteSafely``)."""
    return (
        current is None
        or current.worker_id == new.worker_id
        or current.generation <= new.generation
    )


class StatusBackingStore(abc.ABC):
    def start(self) -> None:
        """Read what is stored (to the end of the status topic)."""

    def stop(self) -> None:
        """Release clients and threads."""

    def flush(self) -> None:
        """Return once every write made so far is stored (before a rebalance)."""

    def refresh(self, timeout: float) -> None:
        """Read what other workers stored so far (:class:`TimeoutError` if that takes longer), so
        that safe writes are checked against the newest states."""

    @abc.abstractmethod
    def put_connector(self, name: str, status: StateInfo) -> None: ...

    def put_connector_safe(self, name: str, status: StateInfo) -> None:
        """Write unless another worker reported a newer generation for this connector."""
        if can_write_safely(self.connector(name), status):
            self.put_connector(name, status)

    @abc.abstractmethod
    def put_task(self, task: ConnectorTaskId, status: StateInfo) -> None: ...

    def put_task_safe(self, task: ConnectorTaskId, status: StateInfo) -> None:
        """Write unless another worker reported a newer generation for this task."""
        if can_write_safely(self.task(task), status):
            self.put_task(task, status)

    @abc.abstractmethod
    def connector(self, name: str) -> StateInfo | None: ...

    @abc.abstractmethod
    def task(self, task: ConnectorTaskId) -> StateInfo | None: ...

    @abc.abstractmethod
    def tasks(self, name: str) -> dict[int, StateInfo]:
        """The known task states of a connector, by task number, sorted."""

    @abc.abstractmethod
    def connectors(self) -> set[str]:
        """Every connector with a known state."""

    @abc.abstractmethod
    def remove(self, name: str) -> None:
        """The connector was deleted: forget it, its tasks and its topics."""

    @abc.abstractmethod
    def remove_task(self, task: ConnectorTaskId) -> None: ...

    @abc.abstractmethod
    def put_topic(self, name: str, topic: str, task: int = 0) -> None:
        """Record that task ``task`` of ``name`` used ``topic``; a no-op if already recorded."""

    @abc.abstractmethod
    def topics(self, name: str) -> list[str]: ...

    @abc.abstractmethod
    def reset_topics(self, name: str) -> None: ...


class MemoryStatusBackingStore(StatusBackingStore):
    def __init__(self) -> None:
        self._connectors: dict[str, StateInfo] = {}
        self._tasks: dict[str, dict[int, StateInfo]] = {}
        self._topics: dict[str, dict[str, TopicStatus]] = {}
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

    def connectors(self) -> set[str]:
        with self._lock:
            return set(self._connectors) | {k for k, v in self._tasks.items() if v}

    def remove(self, name: str) -> None:
        with self._lock:
            self._connectors.pop(name, None)
            self._tasks.pop(name, None)
            self._topics.pop(name, None)

    def remove_task(self, task: ConnectorTaskId) -> None:
        with self._lock:
            self._tasks.get(task.connector, {}).pop(task.task, None)

    def put_topic(self, name: str, topic: str, task: int = 0) -> None:
        with self._lock:
            known = self._topics.setdefault(name, {})
            if topic not in known:
                known[topic] = TopicStatus(topic, name, task, int(time.time() * 1000))

    def topics(self, name: str) -> list[str]:
        with self._lock:
            return sorted(self._topics.get(name, {}))

    def reset_topics(self, name: str) -> None:
        with self._lock:
            self._topics.pop(name, None)
