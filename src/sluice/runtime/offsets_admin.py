"""Reading and changing a connector's committed offsets for the REST API (KIP-875).

Source offsets live in the worker's offset store; sink offsets are the consumer group
``connect-<name>`` (or ``consumer.override.group.id``) and are read and changed through the admin
client. The herders decide *whether* a change is allowed (the connector must be STOPPED; in
distributed mode only the leader changes offsets); this module does the change and words the
answer as Kafka Connect does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from confluent_kafka import ConsumerGroupTopicPartitions
from confluent_kafka import TopicPartition as KafkaTopicPartition
from confluent_kafka.admin import AdminClient

from sluice.api import ConnectError, SinkConnector, SourceConnector, TopicPartition
from sluice.kafka.client_logs import new_admin
from sluice.runtime.herder import BadRequestError
from sluice.runtime.offset_storage import ConnectorOffsets
from sluice.runtime.worker import Worker

__all__ = ["NOT_STOPPED", "ConnectorOffsetsAdmin", "offsets_message"]

NOT_STOPPED = (
    "Connectors must be in the STOPPED state before their offsets can be modified. This can be "
    "done for the specified connector by issuing a 'PUT' request to the "
    "'/connectors/{name}/stop' endpoint"
)

_ADMIN_TIMEOUT = 30.0


def offsets_message(verb: str, handled: bool) -> str:
    """Kafka Connect's answer to an offsets PATCH (``altered``) or DELETE (``reset``)."""
    if handled:
        return f"The offsets for this connector have been {verb} successfully"
    return (
        f"The Connect framework-managed offsets for this connector have been {verb} "
        "successfully. However, if this connector manages offsets externally, they will need "
        f"to be manually {verb} in the system that the connector uses."
    )


def sink_group(config: Mapping[str, str], name: str) -> str:
    """The consumer group a sink connector's tasks commit to."""
    return config.get("consumer.override.group.id") or f"connect-{name}"


class ConnectorOffsetsAdmin:
    """Offsets of one worker's connectors: source offsets through its offset store, sink offsets
    through the admin client."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker

    def _admin(self) -> AdminClient:
        """A new admin client. The caller must hold it until its futures are done: librdkafka
        drops the requests of a client that is destroyed, and their futures never complete."""
        return new_admin(self.worker.admin_config())

    def read(self, name: str, config: Mapping[str, str]) -> list[dict[str, Any]]:
        """``[{"partition": {...}, "offset": {...}}]`` in Kafka Connect's source/sink shapes."""
        if self.worker.is_sink(config):
            return [
                {
                    "partition": {"kafka_topic": tp.topic, "kafka_partition": tp.partition},
                    "offset": {"kafka_offset": tp.offset},
                }
                for tp in self._sink_group_offsets(sink_group(config, name))
            ]
        return [
            {"partition": p, "offset": o}
            for p, o in ConnectorOffsets(name, self.worker.offset_store).entries()
        ]

    def _sink_group_offsets(self, group: str) -> list[KafkaTopicPartition]:
        admin = self._admin()
        futures = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)])
        try:
            result = futures[group].result(timeout=_ADMIN_TIMEOUT)
        except Exception as e:
            if "GROUP_ID_NOT_FOUND" in str(e):
                return []
            raise ConnectError(f"Failed to read offsets of consumer group {group}: {e}") from e
        return [tp for tp in result.topic_partitions if tp.offset >= 0]

    def alter(self, name: str, config: Mapping[str, str], offsets: list[dict[str, Any]]) -> str:
        """Apply an offsets PATCH to a stopped connector; returns Kafka Connect's message."""
        if not offsets:
            raise BadRequestError(
                "Partitions / offsets need to be provided for an alter offsets request"
            )
        connector = self.worker.connector_class(config)()
        if isinstance(connector, SinkConnector):
            handled = self._alter_sink(name, config, connector, offsets)
        else:
            pairs = []
            for entry in offsets:
                partition = entry.get("partition")
                if not isinstance(partition, dict):
                    raise BadRequestError("Source partitions may not be null")
                pairs.append((partition, entry.get("offset")))
            assert isinstance(connector, SourceConnector)
            try:
                handled = connector.alter_offsets(dict(config), pairs)
            except ConnectError as e:
                raise BadRequestError(str(e)) from e
            ConnectorOffsets(name, self.worker.offset_store).write(pairs)
        return offsets_message("altered", handled)

    def _alter_sink(
        self,
        name: str,
        config: Mapping[str, str],
        connector: SinkConnector,
        offsets: list[dict[str, Any]],
    ) -> bool:
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
            handled = bool(connector.alter_offsets(dict(config), parsed))
        except ConnectError as e:
            raise BadRequestError(str(e)) from e
        if any(o is None for o in parsed.values()):
            raise BadRequestError(
                "Removing the committed offset of single sink partitions (null offset) is not "
                "supported; DELETE /connectors/{name}/offsets resets all of them"
            )
        group = sink_group(config, name)
        to_set = [
            KafkaTopicPartition(t.topic, t.partition, o) for t, o in parsed.items() if o is not None
        ]
        if to_set:
            admin = self._admin()
            fut = admin.alter_consumer_group_offsets([ConsumerGroupTopicPartitions(group, to_set)])
            fut[group].result(timeout=_ADMIN_TIMEOUT)
        return handled

    def reset(self, name: str, config: Mapping[str, str]) -> str:
        """Apply an offsets DELETE to a stopped connector; returns Kafka Connect's message."""
        connector = self.worker.connector_class(config)()
        if isinstance(connector, SinkConnector):
            group = sink_group(config, name)
            current = self._sink_group_offsets(group)
            handled = bool(
                connector.alter_offsets(
                    dict(config), {TopicPartition(tp.topic, tp.partition): None for tp in current}
                )
            )
            admin = self._admin()
            for f in admin.delete_consumer_groups([group]).values():
                try:
                    f.result(timeout=_ADMIN_TIMEOUT)
                except Exception as e:
                    if "GROUP_ID_NOT_FOUND" not in str(e):
                        raise ConnectError(f"Failed to reset sink offsets: {e}") from e
        else:
            store = ConnectorOffsets(name, self.worker.offset_store)
            pairs: list[tuple[dict[str, Any], dict[str, Any] | None]] = [
                (p, None) for p, _ in store.entries()
            ]
            assert isinstance(connector, SourceConnector)
            handled = bool(connector.alter_offsets(dict(config), pairs))
            store.reset()
        return offsets_message("reset", handled)
