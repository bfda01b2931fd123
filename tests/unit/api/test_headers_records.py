"""Headers and records: what transforms rely on when they copy a record."""

from __future__ import annotations

import pytest

from sluice.api import (
    ConnectRecord,
    Header,
    Headers,
    RecordMetadata,
    Schema,
    SinkRecord,
    SourceRecord,
    TimestampType,
    TopicPartition,
)

# --- Headers -----------------------------------------------------------------------------------


def _abc() -> Headers:
    return (
        Headers()
        .add("a", "1", Schema.STRING_SCHEMA)
        .add("b", "1")
        .add("a", "2", Schema.STRING_SCHEMA)
        .add("b", "2")
        .add("c", "1")
    )


def _pairs(headers: Headers) -> list[tuple[str, object]]:
    return [(h.key, h.value) for h in headers]


def test_headers_keep_order_and_repeated_keys() -> None:
    h = _abc()
    assert _pairs(h) == [("a", "1"), ("b", "1"), ("a", "2"), ("b", "2"), ("c", "1")]
    assert len(h) == 5
    assert h.last_with_name("a") == Header("a", "2", Schema.STRING_SCHEMA)
    assert h.last_with_name("zz") is None
    assert [x.value for x in h.all_with_name("b")] == ["1", "2"]
    assert h.all_with_name("zz") == []


def test_header_schema_defaults_to_none_and_rename_keeps_the_rest() -> None:
    header = Header("k", b"v")
    assert header.schema is None
    renamed = Header("k", 5, Schema.INT32_SCHEMA).rename("n")
    assert renamed == Header("n", 5, Schema.INT32_SCHEMA)


def test_add_header_and_chaining() -> None:
    h = Headers()
    assert h.add_header(Header("x", 1)) is h
    assert h.add("y", 2) is h
    assert _pairs(h) == [("x", 1), ("y", 2)]


def test_remove_drops_every_header_of_a_key() -> None:
    h = _abc()
    assert h.remove("a") is h
    assert _pairs(h) == [("b", "1"), ("b", "2"), ("c", "1")]


def test_retain_latest_of_one_key_matches_connect_headers() -> None:
    # ConnectHeaders.retainLatest("a") keeps the other keys' duplicates.
    h = _abc().retain_latest("a")
    assert _pairs(h) == [("b", "1"), ("a", "2"), ("b", "2"), ("c", "1")]


def test_retain_latest_of_every_key_matches_connect_headers() -> None:
    h = _abc().retain_latest()
    assert _pairs(h) == [("a", "2"), ("b", "2"), ("c", "1")]


def test_clear_and_truthiness() -> None:
    h = _abc()
    assert h
    assert h.clear() is h
    assert not h
    assert len(h) == 0


def test_duplicate_is_independent() -> None:
    original = _abc()
    copy = original.duplicate()
    assert copy == original
    copy.add("d", "1")
    copy.remove("a")
    assert len(original) == 5
    assert original.last_with_name("d") is None
    original.clear()
    assert len(copy) == 4


def test_headers_from_an_iterable_are_copied() -> None:
    items = [Header("a", 1)]
    h = Headers(items)
    h.add("b", 2)
    assert items == [Header("a", 1)]


def test_headers_equality() -> None:
    assert _abc() == _abc()
    assert hash(_abc()) == hash(_abc())
    assert _abc() != _abc().add("z", 0)
    assert Headers() != []
    assert repr(Headers().add("a", 1)) == "Headers([Header(key='a', value=1, schema=None)])"


# --- records -----------------------------------------------------------------------------------


def _source(headers: Headers | None = None) -> SourceRecord:
    return SourceRecord(
        {"filename": "/tmp/in"},
        {"position": 42},
        "topic-a",
        3,
        Schema.STRING_SCHEMA,
        "key",
        Schema.INT32_SCHEMA,
        7,
        1700000000000,
        headers,
    )


def _sink(headers: Headers | None = None) -> SinkRecord:
    return SinkRecord(
        "topic-a",
        3,
        Schema.STRING_SCHEMA,
        "key",
        Schema.INT32_SCHEMA,
        7,
        100,
        1700000000000,
        TimestampType.CREATE_TIME,
        headers,
    )


def test_headers_are_created_lazily() -> None:
    r = _source()
    assert r.has_headers is False
    assert r._headers is None  # nothing allocated until asked for
    h = r.headers
    assert isinstance(h, Headers)
    assert r.headers is h
    assert r.has_headers is False  # empty
    h.add("k", "v")
    assert r.has_headers is True


def test_headers_can_be_replaced() -> None:
    r = _sink()
    new = Headers().add("x", 1)
    r.headers = new
    assert r.headers is new


def test_source_new_record_keeps_source_partition_and_offset() -> None:
    r = _source(Headers().add("h", 1))
    copy = r.new_record("topic-b", None, None, None, Schema.STRING_SCHEMA, "v", 5)
    assert isinstance(copy, SourceRecord)
    assert copy.source_partition == {"filename": "/tmp/in"}
    assert copy.source_offset == {"position": 42}
    assert (copy.topic, copy.kafka_partition, copy.key_schema, copy.key) == (
        "topic-b",
        None,
        None,
        None,
    )
    assert (copy.value_schema, copy.value, copy.timestamp) == (Schema.STRING_SCHEMA, "v", 5)
    assert r.topic == "topic-a"  # the original is untouched


def test_new_record_duplicates_headers() -> None:
    for record in (_source(Headers().add("h", 1)), _sink(Headers().add("h", 1))):
        copy = record.new_record("t", 0, None, None, None, None, None)
        assert copy.headers == record.headers
        assert copy.headers is not record.headers
        copy.headers.add("added", 2)
        assert record.headers.last_with_name("added") is None


def test_new_record_without_headers_stays_lazy() -> None:
    for record in (_source(), _sink()):
        copy = record.new_record("t", 0, None, None, None, None, None)
        assert copy._headers is None


def test_new_record_with_explicit_headers_uses_them() -> None:
    given = Headers().add("mine", 1)
    for record in (_source(Headers().add("h", 1)), _sink(Headers().add("h", 1))):
        copy = record.new_record("t", 0, None, None, None, None, None, given)
        assert copy.headers is given


def test_sink_new_record_keeps_offset_type_and_originals() -> None:
    r = _sink()
    copy = r.new_record("renamed", 9, None, "k2", None, "v2", 55)
    assert isinstance(copy, SinkRecord)
    assert (copy.topic, copy.kafka_partition, copy.key, copy.value, copy.timestamp) == (
        "renamed",
        9,
        "k2",
        "v2",
        55,
    )
    assert copy.kafka_offset == 100
    assert copy.timestamp_type is TimestampType.CREATE_TIME
    assert (copy.original_topic, copy.original_kafka_partition, copy.original_kafka_offset) == (
        "topic-a",
        3,
        100,
    )
    again = copy.new_record("third", 1, None, None, None, None, None)
    assert (again.original_topic, again.original_kafka_partition) == ("topic-a", 3)


def test_sink_new_record_without_partition_falls_back_to_the_original() -> None:
    copy = _sink().new_record("t", None, None, None, None, None, None)
    assert copy.kafka_partition == 3


def test_sink_originals_default_to_the_coordinates() -> None:
    r = _sink()
    assert (r.original_topic, r.original_kafka_partition, r.original_kafka_offset) == (
        "topic-a",
        3,
        100,
    )
    explicit = SinkRecord(
        "t",
        1,
        None,
        None,
        None,
        None,
        5,
        original_topic="o",
        original_kafka_partition=0,
        original_kafka_offset=4,
    )
    assert (explicit.original_topic, explicit.original_kafka_partition) == ("o", 0)
    assert explicit.original_kafka_offset == 4
    assert explicit.timestamp_type is TimestampType.NO_TIMESTAMP_TYPE


def test_record_equality() -> None:
    assert _source() == _source()
    assert _sink() == _sink()
    assert _source() != _sink()
    # Empty headers and no headers are the same thing.
    assert _source(Headers()) == _source()
    assert _source(Headers().add("a", 1)) != _source()
    other_offset = _source()
    other_offset.source_offset = {"position": 43}
    assert other_offset != _source()
    other_kafka_offset = _sink()
    other_kafka_offset.kafka_offset = 101
    assert other_kafka_offset != _sink()
    other_value = _sink()
    other_value.value = 8
    assert other_value != _sink()
    # As in Kafka, where a record came from before transforms is not part of its identity.
    moved = _sink().new_record(
        "topic-a", 3, Schema.STRING_SCHEMA, "key", Schema.INT32_SCHEMA, 7, 1700000000000
    )
    moved.original_topic = "elsewhere"
    assert moved == _sink()


def test_records_are_mutable_and_so_unhashable() -> None:
    with pytest.raises(TypeError):
        hash(_source())
    with pytest.raises(TypeError):
        hash(_sink())


def test_record_reprs_name_the_coordinates() -> None:
    assert repr(_source()) == (
        "SourceRecord{sourcePartition={'filename': '/tmp/in'}, sourceOffset={'position': 42}, "
        "topic='topic-a', kafkaPartition=3, key='key', value=7, timestamp=1700000000000}"
    )
    assert repr(_sink()) == (
        "SinkRecord{kafkaOffset=100, timestampType=CreateTime, topic='topic-a', "
        "kafkaPartition=3, key='key', value=7, timestamp=1700000000000}"
    )


def test_base_record_new_record_is_abstract() -> None:
    r = ConnectRecord("t")
    with pytest.raises(NotImplementedError):
        r.new_record("t", None, None, None, None, None, None)


def test_small_value_types() -> None:
    tp = TopicPartition("t", 0)
    assert {tp: 1}[TopicPartition("t", 0)] == 1
    assert RecordMetadata("t", 0, 5, None).offset == 5
    assert [t.value for t in TimestampType] == ["NoTimestampType", "CreateTime", "LogAppendTime"]
