"""The offset store of a distributed cluster: source offsets in the offsets topic.

Keys and values are Kafka Connect's bytes (:mod:`sluice.storage.offset_codec`), so a Java cluster
and a sluice cluster resume each other's source connectors. Any worker may run any task after a
rebalance, so :meth:`KafkaOffsetBackingStore.get` reads the topic to its end before answering:
a task resumes from what the worker that ran it before committed. Writes go straight to the
topic and become visible to ``get`` when read back, as in Kafka Connect.

The store also keeps, per connector, the source partitions that have an offset (Kafka's
``connectorPartitions``), for the REST offsets endpoints. Keys that are not
``[<connector>, {partition}]`` are ignored, as ``OffsetUtils`` does; a tombstone removes the
partition.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from concurrent.futures import Future
from typing import Any

import msgspec
from confluent_kafka.admin import AdminClient

from sluice.api import ConnectError
from sluice.kafka.client_logs import new_admin
from sluice.storage.internal_topics import InternalTopic, ensure_topic
from sluice.storage.kafka_log import KafkaBasedLog, LogClients, LogRecord
from sluice.storage.offset_codec import decode_key
from sluice.storage.offsets import OffsetBackingStore

__all__ = ["KafkaOffsetBackingStore"]

log = logging.getLogger(__name__)


def _identity(partition: Mapping[str, Any]) -> bytes:
    """What makes two partition maps equal (Java compares maps by content, in any order)."""
    return msgspec.json.encode(partition, order="sorted")


class KafkaOffsetBackingStore(OffsetBackingStore):
    """Committed source offsets in the offsets topic (Kafka's ``KafkaOffsetBackingStore``).

    ``read_timeout`` bounds the read to the end before ``get``; ``write_timeout`` how long
    ``set`` waits for the brokers (the worker's ``offset.flush.timeout.ms`` is the natural value).
    """

    def __init__(
        self,
        topic: InternalTopic,
        clients: LogClients,
        *,
        client_id: str = "connect-offsets",
        read_timeout: float = 60.0,
        write_timeout: float = 30.0,
        start_timeout: float = 60.0,
        admin: AdminClient | None = None,
    ) -> None:
        self.topic = topic
        self._clients = clients
        self._client_id = client_id
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._start_timeout = start_timeout
        self._admin = admin
        self._data: dict[bytes, bytes] = {}
        self._partitions: dict[str, dict[bytes, dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self._log = KafkaBasedLog(
            topic.name,
            self._on_record,
            clients.consumer_config(client_id),
            clients.producer_config(client_id, {"message.timeout.ms": 0}),  # retry until acked
        )

    def start(self) -> None:
        log.info("Starting KafkaOffsetBackingStore on topic %s", self.topic.name)
        admin = self._admin or new_admin(self._clients.admin_config(self._client_id))
        ensure_topic(admin, self.topic, self._start_timeout)
        self._log.start(admin, self._start_timeout)
        log.info("Finished reading offsets topic and starting KafkaOffsetBackingStore")

    def stop(self) -> None:
        self._log.stop()

    def _on_record(self, record: LogRecord) -> None:
        key, value = record.key, record.value
        if key is None:
            log.warning("Ignoring offset record without a key at offset %d", record.offset)
            return
        decoded = decode_key(key)
        with self._lock:
            if value is None:
                self._data.pop(key, None)
            else:
                self._data[key] = value
            if decoded is None:
                log.warning("Ignoring offset partition key with an unexpected format: %r", key)
                return
            connector, partition = decoded
            known = self._partitions.setdefault(connector, {})
            if value is None:
                known.pop(_identity(partition), None)
            else:
                known[_identity(partition)] = partition

    def get(self, keys: Iterable[bytes]) -> dict[bytes, bytes]:
        try:
            self._log.read_to_end(self._read_timeout)
        except TimeoutError as e:
            raise ConnectError(f"Could not read the offsets topic to its end: {e}") from e
        with self._lock:
            return {k: self._data[k] for k in keys if k in self._data}

    def set(self, values: Mapping[bytes, bytes | None]) -> None:
        try:
            self.set_async(values).result(timeout=self._write_timeout)
        except TimeoutError as e:
            raise ConnectError(
                f"Offsets were not acknowledged within {self._write_timeout:.1f}s"
            ) from e

    def set_async(self, values: Mapping[bytes, bytes | None]) -> Future[None]:
        """Send the batch (``None`` values as tombstones); the future completes once every record
        is acknowledged, or fails with the first error."""
        done: Future[None] = Future()
        remaining = len(values)
        if remaining == 0:
            done.set_result(None)
            return done
        lock = threading.Lock()

        def delivered(sent: Future[tuple[int, int]]) -> None:
            nonlocal remaining
            error = sent.exception()
            with lock:
                if done.done():
                    return
                remaining -= 1
                if error is not None:
                    done.set_exception(error)
                elif remaining == 0:
                    done.set_result(None)

        for key, value in values.items():
            self._log.send(key, value).add_done_callback(delivered)
        return done

    def keys(self) -> list[bytes]:
        with self._lock:
            return list(self._data)

    def connector_partitions(self, connector: str) -> list[dict[str, Any]]:
        """Read to the end first, like :meth:`get`, so the list includes every worker's commits."""
        try:
            self._log.read_to_end(self._read_timeout)
        except TimeoutError as e:
            raise ConnectError(f"Could not read the offsets topic to its end: {e}") from e
        with self._lock:
            return [dict(p) for p in self._partitions.get(connector, {}).values()]
