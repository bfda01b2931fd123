"""Offset keys and values written exactly as a Java worker writes them (HashMap key order,
Jackson escapes and doubles), and the Kafka offset store's partition index."""

from __future__ import annotations

from typing import Any

from sluice.storage.internal_topics import InternalTopic
from sluice.storage.kafka_log import LogClients, LogRecord
from sluice.storage.kafka_offsets import KafkaOffsetBackingStore
from sluice.storage.offset_codec import encode_key, encode_value, java_map_order


def test_partition_keys_follow_java_hashmap_order() -> None:
    # MirrorMaker 2's source partition, as a Java HashMap iterates it (String.hashCode buckets)
    assert encode_key("mm2", {"topic": "t", "partition": 0, "cluster": "A"}) == (
        b'["mm2",{"cluster":"A","partition":0,"topic":"t"}]'
    )
    # the order the dict was built in does not matter
    assert encode_key("mm2", {"cluster": "A", "topic": "t", "partition": 0}) == encode_key(
        "mm2", {"partition": 0, "cluster": "A", "topic": "t"}
    )
    assert list(java_map_order({"b": 1, "a": 2, "c": 3})) == ["a", "b", "c"]
    # "Aa" and "BB" share a hash code, so they share a bucket and keep insertion order
    assert list(java_map_order({"BB": 1, "Aa": 2})) == ["BB", "Aa"]
    assert list(java_map_order({"Aa": 1, "BB": 2})) == ["Aa", "BB"]


def test_values_are_written_as_jackson_does() -> None:
    assert encode_value({"position": 42}) == b'{"position":42}'
    assert encode_value({"x": 1.5e-05, "y": 100.0, "z": None, "b": True}) == (
        b'{"b":true,"x":1.5E-5,"y":100.0,"z":null}'
    )
    assert encode_key("f", {"filename": "/tmp/\x01\U0001f600"}) == (
        b'["f",{"filename":"/tmp/\\u0001\\uD83D\\uDE00"}]'
    )
    assert encode_value(None) is None


class _CaughtUpLog:
    """Stands in for the Kafka log: already at the end of the topic."""

    def read_to_end(self, timeout: float) -> None:
        pass


def _store() -> KafkaOffsetBackingStore:
    store = KafkaOffsetBackingStore(
        InternalTopic.offsets_topic("unused", replication_factor=1),
        LogClients({"bootstrap.servers": "unused:9092"}),
    )
    store._log = _CaughtUpLog()  # type: ignore[assignment]
    return store


def _read(store: KafkaOffsetBackingStore, key: bytes | None, value: bytes | None) -> None:
    store._on_record(LogRecord(key, value, 0, 0))


def test_connector_partitions_index() -> None:
    store = _store()
    partition: dict[str, Any] = {"file": "a", "n": 1}
    _read(store, b'["c",{"file":"a","n":1}]', b'{"pos":1}')
    _read(store, b'["c",{"n":1,"file":"a"}]', b'{"pos":2}')  # the same partition, other bytes
    _read(store, b'["c",{"file":"b"}]', b'{"pos":3}')
    _read(store, b'["other",{"file":"a"}]', b'{"pos":4}')
    for ignored in (b'{"not":"a list"}', b'["c"]', b'[1,{"a":1}]', b'["c",null]', b"junk"):
        _read(store, ignored, b'{"pos":5}')
    _read(store, None, b'{"pos":6}')
    found = store.connector_partitions("c")
    assert len(found) == 2 and partition in found and {"file": "b"} in found
    _read(store, b'["c",{"file":"b"}]', None)  # a tombstone removes the partition
    assert store.connector_partitions("c") == [partition]
    assert store.connector_partitions("nobody") == []
    assert store.get([b'["c",{"file":"b"}]', b'["c",{"file":"a","n":1}]']) == {
        b'["c",{"file":"a","n":1}]': b'{"pos":1}'
    }
