import datetime as dt
import decimal
from collections.abc import Callable

import pytest

from sluice.api import (
    ConfigError,
    DataError,
    Date,
    Decimal,
    Schema,
    SchemaBuilder,
    SinkRecord,
    SourceRecord,
    Struct,
    Time,
    Timestamp,
)
from sluice.api.schema import Type
from sluice.transforms.cast import Cast, CastKey, CastValue, cast_value

SCHEMA = (
    SchemaBuilder.struct()
    .name("com.acme.Order")
    .version(2)
    .field("id", Schema.INT64_SCHEMA)
    .field("price", Schema.OPTIONAL_FLOAT64_SCHEMA)
    .field("qty", SchemaBuilder.int32().optional().default_value(1).build())
    .field("note", Schema.OPTIONAL_STRING_SCHEMA)
    .field("when", Timestamp.builder().optional().build())
    .build()
)

SinkFactory = Callable[..., SinkRecord]


def order(**values: object) -> Struct:
    s = Struct(SCHEMA).put("id", 300).put("price", 9.99).put("note", "42")
    for k, v in values.items():
        s.put(k, v)
    return s


def cast(spec: str, key: bool = False, **extra: str) -> Cast[SourceRecord]:
    t: Cast[SourceRecord] = CastKey() if key else CastValue()
    t.configure({"spec": spec, **{k.replace("_", "."): v for k, v in extra.items()}})
    return t


def test_casts_struct_fields_and_keeps_the_rest(sink: SinkFactory) -> None:
    out = cast("id:int8,price:int32,note:int16").apply(sink(SCHEMA, order()))
    assert out is not None
    assert out.value_schema is not None
    assert out.value_schema.name == "com.acme.Order" and out.value_schema.version == 2
    assert out.value_schema.field("id").schema == Schema.INT8_SCHEMA  # type: ignore[union-attr]
    assert out.value_schema.field("price").schema == Schema.OPTIONAL_INT32_SCHEMA  # type: ignore[union-attr]
    assert out.value.get("id") == 44  # (byte) 300
    assert out.value.get("price") == 9
    assert out.value.get("note") == 42
    assert out.value.get("qty") == 1  # default read through


def test_whole_value_cast_keeps_key_and_metadata(sink: SinkFactory) -> None:
    record = sink(Schema.INT64_SCHEMA, 2**40 + 7, Schema.STRING_SCHEMA, "k")
    out = cast("int32").apply(record)
    assert out is not None
    assert out.value == 7 and out.value_schema == Schema.INT32_SCHEMA
    assert out.key == "k" and out.kafka_offset == 42 and out.timestamp == record.timestamp


def test_key_variant_works_on_the_key(sink: SinkFactory) -> None:
    out = cast("string", key=True).apply(sink(None, "v", Schema.FLOAT64_SCHEMA, 1e21))
    assert out is not None
    assert out.key == "1.0E21" and out.key_schema == Schema.STRING_SCHEMA
    assert out.value == "v"


def test_tombstones_pass_through(sink: SinkFactory) -> None:
    record = sink(Schema.OPTIONAL_INT64_SCHEMA, None)
    assert cast("int8").apply(record) is record


def test_schemaless_casts_and_adds_missing_fields_as_null(sink: SinkFactory) -> None:
    out = cast("a:string,b:boolean,c:int8").apply(sink(None, {"a": 1.5, "b": "TRUE", "x": 1}))
    assert out is not None
    assert out.value == {"a": "1.5", "b": True, "c": None, "x": 1}
    assert out.value_schema is None


def test_logical_types_cast_through_their_encoding() -> None:
    ts = Timestamp.builder().build()
    when = dt.datetime(2024, 1, 31, 10, 0, tzinfo=dt.UTC)
    assert cast_value(ts, when, Type.INT64) == 1_706_695_200_000
    assert cast_value(Date.SCHEMA, dt.date(1970, 1, 11), Type.INT32) == 10
    assert cast_value(Time.SCHEMA, dt.time(0, 0, 1), Type.INT16) == 1000
    assert cast_value(ts, when, Type.STRING) == "2024-01-31T10:00:00.000Z"
    assert cast_value(Date.SCHEMA, dt.date(2024, 1, 31), Type.STRING) == "2024-01-31"
    # Instants within the first day print as times of day, as Kafka's Values.dateFormatFor.
    assert cast_value(Date.SCHEMA, dt.date(1970, 1, 1), Type.STRING) == "00:00:00.000Z"


def test_decimals_narrow_like_java_numbers() -> None:
    dec = Decimal.schema(2)
    assert cast_value(dec, decimal.Decimal("-300.99"), Type.INT8) == -44
    assert cast_value(dec, decimal.Decimal("1.10"), Type.FLOAT64) == 1.1
    assert cast_value(dec, decimal.Decimal("1.10"), Type.STRING) == "1.10"


@pytest.mark.parametrize(
    ("schema", "value", "target", "expected"),
    [
        (Schema.FLOAT64_SCHEMA, 1e20, Type.INT32, 2**31 - 1),
        (Schema.FLOAT64_SCHEMA, -1e20, Type.INT64, -(2**63)),
        (Schema.FLOAT64_SCHEMA, 3e9, Type.INT8, -1),  # int saturates, then (byte) wraps
        (Schema.FLOAT64_SCHEMA, float("nan"), Type.INT16, 0),
        (Schema.FLOAT64_SCHEMA, 0.5, Type.BOOLEAN, False),
        (Schema.INT64_SCHEMA, 2**53 + 1, Type.FLOAT32, 9007199254740992.0),
        (Schema.BOOLEAN_SCHEMA, True, Type.FLOAT32, 1.0),
        (Schema.STRING_SCHEMA, "+12", Type.INT8, 12),
        (Schema.STRING_SCHEMA, "yes", Type.BOOLEAN, False),
        (Schema.STRING_SCHEMA, " 1.5 ", Type.FLOAT64, 1.5),
        (Schema.FLOAT32_SCHEMA, 0.10000000149011612, Type.STRING, "0.1"),
        (Schema.BYTES_SCHEMA, b"\x00\xff", Type.STRING, "AP8="),
        (Schema.BOOLEAN_SCHEMA, False, Type.STRING, "false"),
    ],
)
def test_java_conversion_rules(
    schema: Schema, value: object, target: Type, expected: object
) -> None:
    assert cast_value(schema, value, target) == expected


@pytest.mark.parametrize("text", ["128", " 1", "1.0", "0x10", ""])
def test_unparseable_or_out_of_range_strings_fail(text: str) -> None:
    with pytest.raises(DataError, match=r"was out of range for requested data type"):
        cast_value(Schema.STRING_SCHEMA, text, Type.INT8)


def test_bytes_only_cast_to_string() -> None:
    with pytest.raises(DataError, match=r"Unexpected type in Cast transformation: class \[B"):
        cast_value(Schema.BYTES_SCHEMA, b"x", Type.INT32)


def test_struct_field_cannot_be_cast(sink: SinkFactory) -> None:
    nested = SchemaBuilder.struct().field("inner", SCHEMA).build()
    with pytest.raises(DataError, match="does not support casting from STRUCT"):
        cast("inner:string").apply(sink(nested, Struct(nested).put("inner", order())))


def test_field_casts_need_a_struct_schema(sink: SinkFactory) -> None:
    with pytest.raises(DataError, match="Cannot list fields on non-struct type"):
        cast("a:int8").apply(sink(Schema.STRING_SCHEMA, "x"))


def test_defaults_are_cast_and_nulls_kept_on_request(sink: SinkFactory) -> None:
    out = cast("qty:string", replace_null_with_default="false").apply(sink(SCHEMA, order()))
    assert out is not None and out.value_schema is not None
    qty = out.value_schema.field("qty")
    assert qty is not None and qty.schema.default == "1" and qty.schema.optional
    assert out.value.get_without_default("qty") is None


def test_updated_schemas_are_cached(sink: SinkFactory) -> None:
    t = cast("id:int8")
    first = t.apply(sink(SCHEMA, order()))
    second = t.apply(sink(SCHEMA, order(id=5)))
    assert first is not None and second is not None
    assert first.value_schema is second.value_schema


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "Must specify at least one field to cast."),
        ("a:array", "does not support casting to ARRAY; supported types are [INT8, INT16, INT32"),
        ("a:foo", "No enum constant org.apache.kafka.connect.data.Schema.Type.FOO"),
        ("int8,a:int16", "may only specify a single cast in their spec"),
        ("a:int8:x", "Invalid value [a:int8:x] for configuration renames"),
        ("bytes", "does not support casting to BYTES"),
    ],
)
def test_spec_validation(spec: str, message: str) -> None:
    with pytest.raises(ConfigError) as e:
        cast(spec)
    assert message in str(e.value)


def test_nested_classes_name_the_variants() -> None:
    assert Cast.Key is CastKey and Cast.Value is CastValue
    assert CastKey.is_key and not CastValue.is_key
