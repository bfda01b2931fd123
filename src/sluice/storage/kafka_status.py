"""The status store of a distributed cluster: connector, task and topic states in the status topic.

Every worker writes the states of what it runs and reads everyone's, so the REST API of any worker
answers for the whole cluster. Records are Kafka Connect's (:mod:`sluice.storage.status_records`).

Writes never wait: a task thread reporting RUNNING or FAILED must not stall on the brokers. A
write is sent and at once shown by this store's reads (so a worker sees its own report), and a
write that fails with a retriable error is sent again, unless a newer write of the same key, a
newer group generation or a deletion has made it moot (Kafka Connect's rules). Every key's
cache entry tracks its latest local write by a sequence number and, once acknowledged, by its
offset: records of that key read back from before that offset are older than the local write and
update what the topic says without hiding it; reading the write itself (or anything after it)
ends the local override. This is the ordering Kafka Connect keeps with its per-key sequence.

"Safe" writes (UNASSIGNED on shutdown, FAILED) are checked against the cache with
:func:`~sluice.storage.status.can_write_safely`: a worker that lost a connector or task in a
rebalance does not overwrite the state written by the worker that has it now. The reader also
drops an UNASSIGNED task state that arrives after a RUNNING one of the same or a newer
generation, which a worker that had not yet read the RUNNING one can write during quick
rebalances.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Generic, TypeVar

from confluent_kafka.admin import AdminClient

from sluice.api import ConnectError
from sluice.kafka.client_logs import new_admin
from sluice.storage import status_records as records
from sluice.storage.internal_topics import InternalTopic, ensure_topic
from sluice.storage.kafka_log import KafkaBasedLog, LogClients, LogRecord, LogSendError
from sluice.storage.states import ConnectorTaskId, State, StateInfo
from sluice.storage.status import StatusBackingStore, TopicStatus, can_write_safely

__all__ = ["KafkaStatusBackingStore"]

log = logging.getLogger(__name__)

_V = TypeVar("_V", StateInfo, TopicStatus)


class _Entry(Generic[_V]):
    """What is known of one key: the last record read, and the latest local write until it has
    been read back."""

    __slots__ = ("deleted", "local", "local_offset", "pending", "read", "read_offset", "seq")

    def __init__(self) -> None:
        self.read: _V | None = None
        self.read_offset = -1
        self.local: _V | None = None
        self.pending = False
        self.seq = 0
        self.local_offset: int | None = None
        self.deleted = False

    def value(self) -> _V | None:
        return self.local if self.pending else self.read

    def write(self, value: _V | None) -> int:
        self.seq += 1
        self.pending, self.local, self.local_offset = True, value, None
        return self.seq

    def acknowledged(self, seq: int, offset: int) -> None:
        if seq == self.seq and self.pending:
            if self.read_offset >= offset:
                self.pending = False  # already read back (or overtaken by a later record)
            else:
                self.local_offset = offset

    def abandoned(self, seq: int) -> None:
        if seq == self.seq:
            self.pending = False

    def record(self, value: _V | None, offset: int) -> None:
        self.read, self.read_offset = value, offset
        if self.pending and self.local_offset is not None and offset >= self.local_offset:
            self.pending = False


class KafkaStatusBackingStore(StatusBackingStore):
    """Connector, task and topic states in the status topic (Kafka's
    ``KafkaStatusBackingStore``)."""

    def __init__(
        self,
        topic: InternalTopic,
        clients: LogClients,
        *,
        client_id: str = "connect-statuses",
        start_timeout: float = 60.0,
        admin: AdminClient | None = None,
    ) -> None:
        self.topic = topic
        self._clients = clients
        self._client_id = client_id
        self._start_timeout = start_timeout
        self._admin = admin
        self._connectors: dict[str, _Entry[StateInfo]] = {}
        self._tasks: dict[str, dict[int, _Entry[StateInfo]]] = {}
        self._topics: dict[str, dict[str, _Entry[TopicStatus]]] = {}
        self._generation = 0
        self._lock = threading.Lock()
        self._log = KafkaBasedLog(
            topic.name,
            self._on_record,
            clients.consumer_config(client_id),
            # Kafka Connect's delivery timeout for status writes; a timed-out write is sent again
            clients.producer_config(client_id, {"message.timeout.ms": 120000}),
        )

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> None:
        admin = self._admin or new_admin(self._clients.admin_config(self._client_id))
        ensure_topic(admin, self.topic, self._start_timeout)
        self._log.start(admin, self._start_timeout)

    def stop(self) -> None:
        self._log.stop()

    def refresh(self, timeout: float) -> None:
        self._log.read_to_end(timeout)

    def flush(self, timeout: float = 30.0) -> None:
        if not self._log.flush(timeout):
            log.warning(
                "Status updates to %s not acknowledged within %.1fs", self.topic.name, timeout
            )

    # -- writing --------------------------------------------------------------------------------
    def _connector_entry(self, name: str) -> _Entry[StateInfo]:
        return self._connectors.setdefault(name, _Entry())

    def _task_entry(self, task: ConnectorTaskId) -> _Entry[StateInfo]:
        return self._tasks.setdefault(task.connector, {}).setdefault(task.task, _Entry())

    def _put_state(
        self, key: str, entry_of: Callable[[], _Entry[StateInfo]], status: StateInfo, safe: bool
    ) -> None:
        with self._lock:
            entry = entry_of()
            self._generation = status.generation
            if safe and not can_write_safely(entry.value(), status):
                log.debug("Not writing %s %s over %s", key, status, entry.value())
                return
            destroyed = status.state is State.DESTROYED
            seq = entry.write(None if destroyed else status)
        value = None if destroyed else records.encode_status(status)

        def may_retry() -> bool:
            # Kafka Connect's rules: not after a newer generation, nor for a safe write the
            # cache no longer allows.
            return status.generation == self._generation and (
                not safe or can_write_safely(entry.read, status)
            )

        self._transmit(key, value, entry, seq, may_retry)

    def _transmit(
        self,
        key: str,
        value: bytes | None,
        entry: _Entry[StateInfo] | _Entry[TopicStatus],
        seq: int,
        may_retry: Callable[[], bool],
    ) -> None:
        try:
            sent = self._log.send(key, value)
        except (ConnectError, BufferError) as e:
            log.error("Failed to write status update %s: %s", key, e)
            with self._lock:
                entry.abandoned(seq)
            return

        def delivered(result: Future[tuple[int, int]]) -> None:
            error = result.exception()
            with self._lock:
                if error is None:
                    entry.acknowledged(seq, result.result()[1])
                    return
                retry = (
                    isinstance(error, LogSendError)
                    and error.retriable
                    and seq == entry.seq
                    and not entry.deleted
                    and may_retry()
                )
                if not retry:
                    entry.abandoned(seq)
            if retry:
                log.warning("Retrying status update %s after: %s", key, error)
                self._transmit(key, value, entry, seq, may_retry)
            elif seq == entry.seq:
                log.error("Failed to write status update %s: %s", key, error)

        sent.add_done_callback(delivered)

    def put_connector(self, name: str, status: StateInfo) -> None:
        self._put_state(
            records.connector_status_key(name), lambda: self._connector_entry(name), status, False
        )

    def put_connector_safe(self, name: str, status: StateInfo) -> None:
        self._put_state(
            records.connector_status_key(name), lambda: self._connector_entry(name), status, True
        )

    def put_task(self, task: ConnectorTaskId, status: StateInfo) -> None:
        self._put_state(
            records.task_status_key(task), lambda: self._task_entry(task), status, False
        )

    def put_task_safe(self, task: ConnectorTaskId, status: StateInfo) -> None:
        self._put_state(records.task_status_key(task), lambda: self._task_entry(task), status, True)

    def _put_topic(self, name: str, topic: str, status: TopicStatus | None) -> None:
        with self._lock:
            entry = self._topics.setdefault(name, {}).setdefault(topic, _Entry())
            seq = entry.write(status)
        value = None if status is None else records.encode_topic_status(status)
        self._transmit(records.topic_status_key(topic, name), value, entry, seq, lambda: True)

    def put_topic(self, name: str, topic: str, task: int = 0) -> None:
        with self._lock:
            entry = self._topics.get(name, {}).get(topic)
            if entry is not None and entry.value() is not None:
                return
        self._put_topic(name, topic, TopicStatus(topic, name, task, int(time.time() * 1000)))

    def reset_topics(self, name: str) -> None:
        for topic in self.topics(name):
            self._put_topic(name, topic, None)

    def remove_task(self, task: ConnectorTaskId) -> None:
        self.put_task(task, StateInfo(State.DESTROYED, "", None, self._generation))

    def remove(self, name: str) -> None:
        """Tombstones for the connector's tasks, the connector and the topics it used."""
        for number in self.tasks(name):
            self.remove_task(ConnectorTaskId(name, number))
        self.put_connector(name, StateInfo(State.DESTROYED, "", None, self._generation))
        self.reset_topics(name)

    # -- reading --------------------------------------------------------------------------------
    def _on_record(self, record: LogRecord) -> None:
        if record.key is None:
            log.warning("Discarding status record without a key at offset %d", record.offset)
            return
        try:
            key = records.parse_key(record.key.decode("utf-8"))
        except UnicodeDecodeError:
            log.warning("Discarding status record with a key that is not UTF-8: %r", record.key)
            return
        if isinstance(key, records.ConnectorStatusKey):
            self._read_connector(key.connector, record)
        elif isinstance(key, records.TaskStatusKey):
            self._read_task(key.task, record)
        elif isinstance(key, records.TopicStatusKey):
            self._read_topic(key, record)

    def _read_connector(self, name: str, record: LogRecord) -> None:
        status = None if record.value is None else records.decode_status(record.value)
        if record.value is not None and status is None:
            return
        with self._lock:
            entry = self._connector_entry(name)
            entry.record(status, record.offset)
            if status is None:
                # A deleted connector takes its tasks' states with it (writes of this worker not
                # yet read back stay shown until they are).
                tasks = self._tasks.get(name, {})
                for number, task_entry in list(tasks.items()):
                    task_entry.read = None
                    if not task_entry.pending:
                        task_entry.deleted = True
                        del tasks[number]
                if not entry.pending:
                    entry.deleted = True
                    del self._connectors[name]

    def _read_task(self, task: ConnectorTaskId, record: LogRecord) -> None:
        status = None if record.value is None else records.decode_status(record.value)
        if record.value is not None and status is None:
            log.warning("Failed to parse task status of %s", task)
            return
        with self._lock:
            entry = self._task_entry(task)
            current = entry.read
            if (
                status is not None
                and status.state is State.UNASSIGNED
                and current is not None
                and current.state is State.RUNNING
                and current.generation >= status.generation
            ):
                log.debug("Ignoring stale status %s in favour of %s", status, current)
                entry.record(current, record.offset)
                return
            entry.record(status, record.offset)
            if status is None and not entry.pending:
                entry.deleted = True
                del self._tasks[task.connector][task.task]

    def _read_topic(self, key: records.TopicStatusKey, record: LogRecord) -> None:
        status = None if record.value is None else records.decode_topic_status(record.value)
        if record.value is not None and status is None:
            return
        with self._lock:
            entry = self._topics.setdefault(key.connector, {}).setdefault(key.topic, _Entry())
            entry.record(status, record.offset)
            if status is None and not entry.pending:
                del self._topics[key.connector][key.topic]

    def connector(self, name: str) -> StateInfo | None:
        with self._lock:
            entry = self._connectors.get(name)
            return None if entry is None else entry.value()

    def task(self, task: ConnectorTaskId) -> StateInfo | None:
        with self._lock:
            entry = self._tasks.get(task.connector, {}).get(task.task)
            return None if entry is None else entry.value()

    def tasks(self, name: str) -> dict[int, StateInfo]:
        with self._lock:
            found = {n: e.value() for n, e in self._tasks.get(name, {}).items()}
        return {n: v for n, v in sorted(found.items()) if v is not None}

    def connectors(self) -> set[str]:
        with self._lock:
            named = {n for n, e in self._connectors.items() if e.value() is not None}
            named |= {
                n for n, tasks in self._tasks.items() if any(e.value() for e in tasks.values())
            }
        return named

    def topics(self, name: str) -> list[str]:
        with self._lock:
            return sorted(t for t, e in self._topics.get(name, {}).items() if e.value() is not None)

    def topic_status(self, name: str, topic: str) -> TopicStatus | None:
        """When and by which task ``name`` first used ``topic`` (Kafka's ``getTopic``)."""
        with self._lock:
            entry = self._topics.get(name, {}).get(topic)
            return None if entry is None else entry.value()
