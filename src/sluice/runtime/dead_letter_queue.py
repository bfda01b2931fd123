"""The dead-letter queue: where records that failed conversion, transformation or writing go.

On the sink side the DLQ record is the original consumer record (key, value, headers, timestamp
bytes untouched) as in Kafka Connect; with ``errors.deadletterqueue.context.headers.enable`` it
carries Kafka Connect's ``__connect.errors.*`` headers naming the topic, partition, offset,
connector, task, stage, executing class and the exception. Beyond Kafka Connect, source
connectors may set the same keys: a source record that fails conversion or transformation is
written as schemaless JSON (``{"topic", "partition", "key", "value", "source_partition",
"source_offset"}``) with the same headers instead of only failing or being skipped.

A record Kafka does not take is logged and counted (``deadletterqueue-produce-failures``), as in
Kafka Connect, and the future its report returned fails.
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
from typing import Any, Final

import msgspec
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.cimpl import NewTopic

from sluice.kafka.client_logs import new_admin
from sluice.kafka.clients import REAL_CLIENTS, KafkaClients
from sluice.runtime.errors import ErrorReporter, ProcessingContext
from sluice.runtime.java_traces import exception_class_name, format_trace

__all__ = ["ERROR_HEADER_PREFIX", "DeadLetterQueueReporter", "ensure_dlq_topic"]

log = logging.getLogger(__name__)

ERROR_HEADER_PREFIX: Final = "__connect.errors."
H_TOPIC: Final = ERROR_HEADER_PREFIX + "topic"
H_PARTITION: Final = ERROR_HEADER_PREFIX + "partition"
H_OFFSET: Final = ERROR_HEADER_PREFIX + "offset"
H_CONNECTOR: Final = ERROR_HEADER_PREFIX + "connector.name"
H_TASK: Final = ERROR_HEADER_PREFIX + "task.id"
H_STAGE: Final = ERROR_HEADER_PREFIX + "stage"
H_CLASS: Final = ERROR_HEADER_PREFIX + "class.name"
H_EXC_CLASS: Final = ERROR_HEADER_PREFIX + "exception.class.name"
H_EXC_MESSAGE: Final = ERROR_HEADER_PREFIX + "exception.message"
H_EXC_TRACE: Final = ERROR_HEADER_PREFIX + "exception.stacktrace"


def ensure_dlq_topic(admin_config: dict[str, Any], topic: str, replication_factor: int) -> None:
    """Create the DLQ topic (one partition) unless it exists, as Kafka Connect does."""
    admin = new_admin(admin_config)
    if topic in admin.list_topics(timeout=30).topics:
        return
    futures = admin.create_topics([NewTopic(topic, 1, replication_factor)])
    try:
        futures[topic].result(timeout=30)
    except KafkaException as e:
        if (
            e.args
            and isinstance(e.args[0], KafkaError)
            and (e.args[0].code() == KafkaError.TOPIC_ALREADY_EXISTS)
        ):
            return
        raise


class _Fallback(msgspec.Struct):
    topic: str
    partition: int | None
    key: Any
    value: Any
    source_partition: Any
    source_offset: Any


class DeadLetterQueueReporter(ErrorReporter):
    """Produces failed records to ``errors.deadletterqueue.topic.name``.

    The producer comes from ``clients`` (:class:`~sluice.kafka.clients.KafkaClients`), as the
    task's own clients do: the real one in a worker, an in-memory double in unit tests.
    """

    def __init__(
        self,
        producer_config: dict[str, Any],
        topic: str,
        context_headers: bool,
        clients: KafkaClients = REAL_CLIENTS,
    ) -> None:
        self.topic = topic
        self.context_headers = context_headers
        self.producer = clients.producer(producer_config, None)
        self.produce_requests = 0
        """Records sent to the topic (``deadletterqueue-produce-requests``)."""
        self.produce_failures = 0
        """Of those, the ones Kafka did not take (``deadletterqueue-produce-failures``)."""
        self._encoder = msgspec.json.Encoder(enc_hook=str)
        # Serve delivery reports in the background so a task may wait on a report's future.
        self._closing = threading.Event()
        self._poller = threading.Thread(target=self._poll, name=f"dlq-{topic}", daemon=True)
        self._poller.start()

    def _poll(self) -> None:
        while not self._closing.is_set():
            self.producer.poll(0.1)

    def report(self, context: ProcessingContext) -> concurrent.futures.Future[None]:
        future: concurrent.futures.Future[None] = concurrent.futures.Future()
        headers: list[tuple[str, bytes | None]] = []
        consumed = context.consumed
        if consumed is not None:
            key, value, timestamp = consumed.key, consumed.value, consumed.timestamp
            headers.extend(consumed.headers)
            origin: tuple[str, int | None, int | None] = (
                consumed.topic,
                consumed.partition,
                consumed.offset,
            )
        else:
            record = context.record
            key = None
            value = self._encoder.encode(
                _Fallback(
                    getattr(record, "topic", ""),
                    getattr(record, "kafka_partition", None),
                    getattr(record, "key", None),
                    getattr(record, "value", None),
                    getattr(record, "source_partition", None),
                    getattr(record, "source_offset", None),
                )
            )
            timestamp = getattr(record, "timestamp", None)
            origin = (getattr(record, "topic", ""), getattr(record, "kafka_partition", None), None)
        if self.context_headers:
            headers.extend(self._context_headers(context, origin))

        def delivered(err: KafkaError | None, _msg: Any) -> None:
            if err is None:
                future.set_result(None)
            else:
                self.produce_failures += 1
                failure = KafkaException(err)
                log.error(
                    "Could not produce message to dead letter queue. topic=%s",
                    self.topic,
                    exc_info=failure,
                )
                future.set_exception(failure)

        kwargs: dict[str, Any] = {"headers": headers, "on_delivery": delivered}
        if timestamp is not None:
            kwargs["timestamp"] = timestamp
        self.produce_requests += 1
        while True:
            try:
                self.producer.produce(self.topic, value, key, **kwargs)
                break
            except BufferError:
                self._closing.wait(0.05)
        return future

    def _context_headers(
        self, context: ProcessingContext, origin: tuple[str, int | None, int | None]
    ) -> list[tuple[str, bytes | None]]:
        topic, partition, offset = origin
        error = context.error
        out: list[tuple[str, bytes | None]] = [(H_TOPIC, topic.encode())]
        if partition is not None:
            out.append((H_PARTITION, str(partition).encode()))
        if offset is not None:
            out.append((H_OFFSET, str(offset).encode()))
        out += [
            (H_CONNECTOR, context.connector.encode()),
            (H_TASK, str(context.task).encode()),
            (H_STAGE, context.stage.value.encode()),
            (H_CLASS, context.executing_class.encode()),
            (H_EXC_CLASS, exception_class_name(error).encode()),
        ]
        # Kafka writes the header even for an exception without a message, with a null value.
        message = str(error)
        out.append((H_EXC_MESSAGE, message.encode() if message else None))
        out.append((H_EXC_TRACE, format_trace(error).encode()))
        return out

    def flush(self, timeout: float | None = None) -> None:
        self.producer.flush(30.0 if timeout is None else timeout)

    def close(self) -> None:
        self._closing.set()
        self._poller.join(5)
        remaining = self.producer.flush(30.0)
        if remaining:
            log.error("%d dead-letter records were not acknowledged before closing", remaining)
