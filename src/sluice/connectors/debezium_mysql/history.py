"""The schema history topic, written as Debezium's ``KafkaSchemaHistory`` writes it.

Each DDL statement the connector sees (during the snapshot: one ``CREATE TABLE`` per captured
table) becomes one JSON document on partition 0 of ``schema.history.internal.kafka.topic``:
``{"source": {"server": <prefix>}, "position": <offset>, "ts_ms", "databaseName", "ddl",
"tableChanges"}``. The topic is created, if missing, with one partition and unlimited retention,
as Debezium creates it: the history must never be compacted or expire. Writes are synchronous
(the producer is flushed before the event that follows the DDL is handed to the runtime), so
the history is never behind the events.

sluice does not read the history back to rebuild table models (see ``tables``), so the topic
is for Debezium-compatible tooling and for a Debezium connector taking over the offsets.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any, Final

from confluent_kafka import KafkaException, Producer
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from sluice.api import ConnectError, RetriableError

__all__ = ["SchemaHistory"]

log = logging.getLogger(__name__)

TIMEOUT: Final = 30.0


class SchemaHistory:
    """Appends DDL records to the history topic."""

    def __init__(self, bootstrap: str, topic: str, server: str) -> None:
        self.topic = topic
        self.server = server
        self._bootstrap = bootstrap
        self._producer: Producer | None = None

    def start(self) -> None:
        """Create the topic if needed and open the producer."""
        admin = AdminClient({"bootstrap.servers": self._bootstrap})
        try:
            meta = admin.list_topics(timeout=TIMEOUT)
            if self.topic not in meta.topics:
                spec = NewTopic(
                    self.topic,
                    num_partitions=1,
                    replication_factor=-1,
                    config={
                        "cleanup.policy": "delete",
                        "retention.ms": str(2**63 - 1),
                        "retention.bytes": "-1",
                    },
                )
                future = admin.create_topics([spec])[self.topic]
                try:
                    future.result(TIMEOUT)
                    log.info("Created the schema history topic %s", self.topic)
                except KafkaException as e:
                    if "TOPIC_ALREADY_EXISTS" not in str(e):
                        raise
            elif len(meta.topics[self.topic].partitions) != 1:
                raise ConnectError(
                    f"The schema history topic {self.topic} (schema.history.internal.kafka."
                    "topic) must have exactly one partition, as Debezium requires"
                )
        except KafkaException as e:
            raise RetriableError(
                f"Cannot reach the schema history brokers "
                f"(schema.history.internal.kafka.bootstrap.servers={self._bootstrap}): {e}"
            ) from e
        self._producer = Producer(
            {
                "bootstrap.servers": self._bootstrap,
                "acks": "all",
                "enable.idempotence": True,
                "linger.ms": 0,
            }
        )

    def record(
        self,
        position: Mapping[str, Any],
        ts_ms: int,
        database: str | None,
        ddl: str,
        table_changes: list[dict[str, Any]],
    ) -> None:
        """Append one DDL record and wait until Kafka acknowledged it."""
        doc: dict[str, Any] = {
            "source": {"server": self.server},
            "position": dict(position),
            "ts_ms": ts_ms,
        }
        if database is not None:
            doc["databaseName"] = database
        doc["ddl"] = ddl
        doc["tableChanges"] = table_changes
        if self._producer is None:
            raise ConnectError("schema history used before start()")
        errors: list[str] = []

        def on_delivery(err: Any, _msg: Any) -> None:
            if err is not None:
                errors.append(str(err))

        self._producer.produce(
            self.topic, json.dumps(doc).encode(), partition=0, on_delivery=on_delivery
        )
        if self._producer.flush(TIMEOUT) or errors:
            raise RetriableError(
                f"The schema history topic {self.topic} did not acknowledge a DDL record: "
                f"{errors or 'timed out'}"
            )

    def close(self) -> None:
        if self._producer is not None:
            self._producer.flush(5)
            self._producer = None
