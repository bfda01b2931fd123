"""A chain applied to a whole batch gives exactly what it gives record by record.

The batch path (``TransformationChain.apply_batch``, ``apply_steps``) looks each transform's
schema work up once per run of records and builds one record per run of key (or value)
transforms; these tests hold it to the per-record results, including the records it must hand
to ``apply`` (nulls, values of another schema) and the errors it must not swallow.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from sluice.api import DataError, Schema, SchemaBuilder, SinkRecord, SourceRecord, Struct
from sluice.api.logical import Timestamp
from sluice.plugins.registry import PluginRegistry
from sluice.runtime.transformation_chain import TransformationChain, build_chain

RF = "org.apache.kafka.connect.transforms.ReplaceField"
IF = "org.apache.kafka.connect.transforms.InsertField"
TC = "org.apache.kafka.connect.transforms.TimestampConverter"
PREDICATES = "org.apache.kafka.connect.transforms.predicates."

ORDER = (
    SchemaBuilder.struct()
    .name("Order")
    .field("id", Schema.INT64_SCHEMA)
    .field("user_id", Schema.INT32_SCHEMA)
    .field("note", Schema.OPTIONAL_STRING_SCHEMA)
    .field("created_at", Schema.OPTIONAL_INT64_SCHEMA)
    .build()
)
OTHER = SchemaBuilder.struct().name("Other").field("id", Schema.INT64_SCHEMA).build()


def _chain(**props: str) -> TransformationChain[Any]:
    return build_chain(props, PluginRegistry())


def _value_chain() -> TransformationChain[Any]:
    return _chain(
        transforms="replace,insert,ts",
        **{
            "transforms.replace.type": RF + "$Value",
            "transforms.replace.exclude": "note",
            "transforms.replace.renames": "user_id:customer_id",
            "transforms.insert.type": IF + "$Value",
            "transforms.insert.static.field": "pipeline",
            "transforms.insert.static.value": "batch",
            "transforms.insert.topic.field": "topic",
            "transforms.insert.offset.field": "offset",
            "transforms.ts.type": TC + "$Value",
            "transforms.ts.field": "created_at",
            "transforms.ts.target.type": "string",
            "transforms.ts.format": "yyyy-MM-dd HH:mm",
        },
    )


def _static_insert(field: str, value: str) -> TransformationChain[Any]:
    """InsertField$Value adding only a static field."""
    return _chain(
        transforms="insert",
        **{
            "transforms.insert.type": IF + "$Value",
            "transforms.insert.static.field": field,
            "transforms.insert.static.value": value,
        },
    )


def _sink(value_schema: Schema | None, value: Any, offset: int = 0) -> SinkRecord:
    return SinkRecord("orders", 0, None, f"k{offset}", value_schema, value, offset, 1000)


def _order(i: int, created: int | None = 1_700_000_000_000) -> Struct:
    return (
        Struct(ORDER).put("id", i).put("user_id", i * 2).put("note", "n").put("created_at", created)
    )


def _same(chain: TransformationChain[Any], records: list[Any]) -> list[Any]:
    one_by_one = [chain.apply(r) for r in records]
    batched = chain.apply_batch(records)
    assert batched == one_by_one
    assert [type(r) for r in batched] == [type(r) for r in one_by_one]
    return batched


def test_structs_nulls_and_a_second_schema_match_record_by_record() -> None:
    records = [
        _sink(ORDER, _order(1), 0),
        _sink(ORDER, None, 1),  # a tombstone keeps its null value
        _sink(ORDER, _order(2, created=None), 2),  # a null timestamp field: apply's path
        _sink(OTHER, Struct(OTHER).put("id", 3), 3),  # another schema mid-batch
        _sink(ORDER, _order(4), 4),
    ]
    out = _same(_value_chain(), records)
    first = out[0].value
    assert first.schema.field("customer_id") is not None
    assert first.get("created_at") == "2023-11-14 22:13"
    assert (first.get("topic"), first.get("offset"), first.get("pipeline")) == (
        "orders",
        0,
        "batch",
    )
    assert out[1].value is None


def test_schemaless_maps_match_record_by_record() -> None:
    records = [
        _sink(None, {"id": i, "user_id": i, "note": "x", "created_at": 1_700_000_000_000}, i)
        for i in range(3)
    ]
    out = _same(_value_chain(), records)
    # The order Kafka 4.1's SMTs on Java 17 give the same map (each builds a new HashMap).
    assert list(out[0].value) == ["pipeline", "offset", "created_at", "topic", "id", "customer_id"]


def test_a_static_field_alone_is_added_to_maps_as_one_by_one() -> None:
    chain = _static_insert("pipeline", "batch")
    records = [_sink(None, {"id": i, "pipeline": "old"}, i) for i in range(3)]
    records.append(_sink(None, "not a map", 3))  # declined by the step: apply's own error
    with pytest.raises(DataError):
        chain.apply_batch(records)
    out = _same(chain, records[:3])
    assert [r.value for r in out] == [{"id": i, "pipeline": "batch"} for i in range(3)]
    assert records[0].value == {"id": 0, "pipeline": "old"}  # the input map is not changed


def test_source_records_keep_their_offsets() -> None:
    chain = _static_insert("s", "v")
    records = [
        SourceRecord({"p": 1}, {"o": i}, "t", None, None, None, None, {"a": i}) for i in range(3)
    ]
    out = _same(chain, records)
    assert [r.source_offset for r in out] == [{"o": 0}, {"o": 1}, {"o": 2}]


def test_key_and_value_runs_and_dropped_records() -> None:
    chain = _chain(
        transforms="key,drop,value",
        predicates="odd",
        **{
            "transforms.key.type": "org.apache.kafka.connect.transforms.HoistField$Key",
            "transforms.key.field": "k",
            "transforms.drop.type": "org.apache.kafka.connect.transforms.Filter",
            "transforms.drop.predicate": "odd",
            "predicates.odd.type": PREDICATES + "TopicNameMatches",
            "predicates.odd.pattern": "odd.*",
            "transforms.value.type": RF + "$Value",
            "transforms.value.exclude": "b",
        },
    )
    records = [
        SinkRecord("odd" if i % 2 else "even", 0, None, i, None, {"a": i, "b": i}, i)
        for i in range(4)
    ]
    out = chain.apply_batch(records)
    assert out == [chain.apply(r) for r in records]
    assert [r is None for r in out] == [False, True, False, True]


def test_a_bad_value_raises_as_it_does_alone() -> None:
    chain = _value_chain()
    records = [_sink(None, {"id": 1}), _sink(None, "not a map")]
    with pytest.raises(DataError, match="Only Map objects supported"):
        chain.apply(records[1])
    with pytest.raises(DataError, match="Only Map objects supported"):
        chain.apply_batch(records)


def test_timestamps_of_a_logical_schema_convert_in_batches() -> None:
    schema = SchemaBuilder.struct().field("at", Timestamp.SCHEMA).build()
    chain = _chain(
        transforms="ts",
        **{
            "transforms.ts.type": TC + "$Value",
            "transforms.ts.field": "at",
            "transforms.ts.target.type": "unix",
        },
    )
    at = dt.datetime(2024, 1, 2, tzinfo=dt.UTC)
    out = _same(chain, [_sink(schema, Struct(schema).put("at", at), i) for i in range(2)])
    assert out[0].value.get("at") == 1_704_153_600_000


def test_chains_with_other_transforms_stay_record_by_record() -> None:
    routed = _chain(
        transforms="route",
        **{
            "transforms.route.type": "org.apache.kafka.connect.transforms.RegexRouter",
            "transforms.route.regex": "(.*)",
            "transforms.route.replacement": "x-$1",
        },
    )
    assert not routed.batchable
    assert _value_chain().batchable


def test_topic_and_static_insertions_into_structs() -> None:
    chain = _chain(
        transforms="insert",
        **{
            "transforms.insert.type": IF + "$Value",
            "transforms.insert.static.field": "pipeline",
            "transforms.insert.static.value": "batch",
            "transforms.insert.topic.field": "topic!",
        },
    )
    out = _same(chain, [_sink(ORDER, _order(i), i) for i in range(3)] + [_sink(ORDER, None, 3)])
    assert [out[0].value.get(f) for f in ("id", "topic", "pipeline")] == [0, "orders", "batch"]


@pytest.mark.parametrize("with_defaults", ["true", "false"])
def test_struct_steps_chained_on_values_apply_defaults_as_one_by_one(with_defaults: str) -> None:
    # Consecutive struct steps pass one values list along; each must still fill in the
    # defaults of its own input schema exactly where Struct.values would.
    defaulted = (
        SchemaBuilder.struct()
        .name("Defaulted")
        .field("id", Schema.INT64_SCHEMA)
        .field("user_id", SchemaBuilder.int32().optional().default_value(7).build())
        .field("note", SchemaBuilder.string().optional().default_value("none").build())
        .field("created_at", SchemaBuilder.int64().optional().default_value(0).build())
        .build()
    )
    chain = _chain(
        transforms="replace,insert,ts",
        **{
            "transforms.replace.type": RF + "$Value",
            "transforms.replace.renames": "user_id:customer_id",
            "transforms.replace.replace.null.with.default": with_defaults,
            "transforms.insert.type": IF + "$Value",
            "transforms.insert.static.field": "pipeline",
            "transforms.insert.static.value": "batch",
            "transforms.insert.replace.null.with.default": with_defaults,
            "transforms.ts.type": TC + "$Value",
            "transforms.ts.field": "created_at",
            "transforms.ts.target.type": "string",
            "transforms.ts.format": "yyyy",
            "transforms.ts.replace.null.with.default": with_defaults,
        },
    )
    records = [
        _sink(defaulted, Struct(defaulted).put("id", 1), 0),
        _sink(defaulted, Struct(defaulted).put("id", 2).put("note", "n").put("user_id", 3), 1),
        _sink(defaulted, Struct(defaulted).put("id", 3).put("created_at", 1_700_000_000_000), 2),
    ]
    out = _same(chain, records)
    first = out[0].value
    if with_defaults == "true":
        assert (first.get_without_default("customer_id"), first.get("created_at")) == (7, "1970")
        assert first.get_without_default("note") == "none"
    else:
        assert first.get_without_default("customer_id") is None
    assert out[2].value.get("created_at") == "2023"
