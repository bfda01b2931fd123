"""``Values``: text rendering and parsing with type inference, and the ``convert_to_*`` family.

Expected results were produced by Kafka 4.1.1's ``Values`` on Java 17 (with ``TZ=UTC``),
quirks included."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

import pytest

from sluice.api import (
    DataError,
    Date,
    Decimal,
    Schema,
    SchemaBuilder,
    Struct,
    Time,
    Timestamp,
    Type,
)
from sluice.api.values import (
    convert_to_boolean,
    convert_to_byte,
    convert_to_date,
    convert_to_decimal,
    convert_to_double,
    convert_to_float,
    convert_to_integer,
    convert_to_list,
    convert_to_long,
    convert_to_map,
    convert_to_short,
    convert_to_string,
    convert_to_struct,
    convert_to_time,
    convert_to_timestamp,
    infer_schema,
    parse_string,
)


def describe(schema: Schema | None) -> str:
    if schema is None:
        return "null"
    text = schema.type.name
    if schema.name:
        text += "/" + schema.name.rsplit(".", 1)[-1]
    if schema.type is Type.ARRAY:
        text += f"<{describe(schema.value_schema)}>"
    if schema.type is Type.MAP:
        text += f"<{describe(schema.key_schema)},{describe(schema.value_schema)}>"
    if schema.parameters:
        text += "{" + ", ".join(f"{k}={v}" for k, v in schema.parameters.items()) + "}"
    return text


PARSED = [
    ("true", "BOOLEAN", "true"),
    (" true ", "BOOLEAN", "true"),
    ("true}", "STRING", "true}"),
    ("1", "INT8", "1"),
    ("128", "INT16", "128"),
    ("-129", "INT16", "-129"),
    ("32768", "INT32", "32768"),
    ("2147483648", "INT64", "2147483648"),
    ("9223372036854775808", "BYTES/Decimal{scale=0}", "9223372036854775808"),
    ("1.0", "INT8", "1"),
    ("1.5", "FLOAT32", "1.5"),
    ("0.1", "FLOAT32", "0.1"),
    ("-0.0", "INT8", "0"),
    ("1e5", "INT32", "100000"),
    ("1e-5", "FLOAT32", "1.0E-5"),
    ("1e39", "FLOAT64", "1.0E39"),
    ("1e400", "BYTES/Decimal{scale=-400}", "1E+400"),
    ("12345678901234567890.5", "FLOAT32", "1.2345679E19"),
    ("+7", "INT8", "7"),
    (".5", "STRING", ".5"),
    ("5.", "INT8", "5"),
    ("abc def", "STRING", "abc def"),
    (" padded ", "STRING", " padded "),
    ('"quoted"', "STRING", '"quoted"'),
    ("[1, 2, 3]", "ARRAY<INT8>", "[1,2,3]"),
    ("[1,2.5]", "ARRAY<FLOAT32>", "[1.0,2.5]"),
    ('[1,"a"]', "ARRAY<null>", '[1,"a"]'),
    ("[]", "ARRAY<null>", "[]"),
    ("[1,null,2]", "STRING", "[1,null,2]"),
    ('[ "a" , "b" ]', "ARRAY<STRING>", '["a","b"]'),
    ('["a,b","c"]', "ARRAY<STRING>", '["a,b","c"]'),
    ("[1,]", "ARRAY<INT8>", "[1]"),
    ("[,1]", "STRING", "[,1]"),
    ("[[1,2],[3]]", "ARRAY<ARRAY<INT8>>", "[[1,2],[3]]"),
    ('{"a":1,"b":2}', "MAP<STRING,INT8>", '{"a":1,"b":2}'),
    ("{}", "MAP<null,null>", "{}"),
    ('{"a":null}', "MAP<STRING,null>", '{"a":null}'),
    ('{1:"a",2:"b"}', "MAP<INT8,STRING>", '{1:"a",2:"b"}'),
    ('{"a":1,"b":"x"}', "MAP<STRING,null>", '{"a":1,"b":"x"}'),
    ('{"a":{"b":1}}', "MAP<STRING,MAP<STRING,INT8>>", '{"a":{"b":1}}'),
    ('{[1,2]:"x"}', "MAP<ARRAY<INT8>,STRING>", '{[1,2]:"x"}'),
    ('{"a"}', "STRING", '{"a"}'),
    ("{null:1}", "STRING", "{null:1}"),
    ("2024-01-02", "INT32/Date", "2024-01-02"),
    ("2024-13-45", "INT32/Date", "2025-02-14"),
    ("2024-01-1x", "INT32/Date", "2024-01-01"),
    ("12:34:56.789Z", "INT32/Time", "12:34:56.789Z"),
    ("12:34:56.7Z", "INT8", "12"),
    ("2024-01-02T03:04:05.678Z", "INT64/Timestamp", "2024-01-02T03:04:05.678Z"),
    ("1970-01-01T00:00:00.000Z", "INT64/Timestamp", "00:00:00.000Z"),
    ("2024-01-02T24:00:00.000Z", "INT64/Timestamp", "2024-01-03"),
    ('["2024-01-02","2024-01-03"]', "ARRAY<INT32/Date>", "[2024-01-02,2024-01-03]"),
    ("a\\:b", "STRING", "a\\:b"),
    ('["a\\"b"]', "ARRAY<STRING>", '["a\\\\\\"b"]'),
    ('[" "]', "ARRAY<STRING>", '[""]'),
    ("1,2", "INT8", "1"),
    ("[1 2]", "STRING", "[1 2]"),
    ("-", "STRING", "-"),
    ("0x10", "STRING", "0x10"),
    ("١٢٣", "INT8", "123"),
]


@pytest.mark.parametrize(("text", "schema", "rendered"), PARSED)
def test_parse_string_infers_what_kafka_infers(text: str, schema: str, rendered: str) -> None:
    parsed = parse_string(text)
    assert describe(parsed.schema) == schema
    assert convert_to_string(parsed.schema, parsed.value) == rendered


def test_parse_string_null_and_empty() -> None:
    assert parse_string(None) == (None, None)
    assert parse_string("null") == (None, None)
    assert parse_string("") == (Schema.STRING_SCHEMA, "")


def test_parsed_values_have_python_types() -> None:
    assert parse_string("2024-01-02").value == dt.date(2024, 1, 2)
    assert parse_string("12:34:56.789Z").value == dt.time(12, 34, 56, 789000, tzinfo=dt.UTC)
    assert parse_string("2024-01-02T03:04:05.678Z").value == dt.datetime(
        2024, 1, 2, 3, 4, 5, 678000, tzinfo=dt.UTC
    )
    assert parse_string("0.1").value == 0.10000000149011612
    assert parse_string("1e400").value == decimal.Decimal("1E+400")
    # Arrays can key maps, as in Java: such keys are hashable lists.
    assert list(parse_string("{[1,2]:3}").value.items()) == [([1, 2], 3)]


STRUCT = (
    SchemaBuilder.struct()
    .field("name", Schema.STRING_SCHEMA)
    .field("n", SchemaBuilder.int32().optional().default_value(5))
    .field("f", Schema.OPTIONAL_FLOAT32_SCHEMA)
    .build()
)


@pytest.mark.parametrize(
    ("schema", "value", "text"),
    [
        (None, 'plain "text"', 'plain "text"'),
        (None, ['a"b', "c\\d"], '["a\\"b","c\\\\d"]'),
        (None, b"\x00\xff", "AP8="),
        (None, [b"\x00"], '["AA=="]'),
        (None, {"k": [1, None, True]}, '{"k":[1,null,true]}'),
        (None, 1e10, "1.0E10"),
        (Schema.FLOAT32_SCHEMA, 0.1, "0.1"),
        (None, decimal.Decimal("-0.50"), "-0.50"),
        (None, Struct(STRUCT).put("name", "x").put("f", 0.1), '{"name":"x","n":5,"f":0.1}'),
        (Date.SCHEMA, dt.date(2024, 2, 29), "2024-02-29"),
        (Date.SCHEMA, dt.date(1970, 1, 1), "00:00:00.000Z"),  # Kafka's quirk: before day 2
        (Time.SCHEMA, dt.time(1, 2, 3, 4000), "01:02:03.004Z"),
        (Timestamp.SCHEMA, dt.datetime(2024, 1, 2, 0, 0, tzinfo=dt.UTC), "2024-01-02"),
        (
            Timestamp.SCHEMA,
            dt.datetime(2024, 1, 2, 3, 4, 5, 6000, tzinfo=dt.UTC),
            "2024-01-02T03:04:05.006Z",
        ),
        (Timestamp.SCHEMA, dt.datetime(1969, 12, 31, 23, 0, tzinfo=dt.UTC), "23:00:00.000Z"),
    ],
)
def test_convert_to_string(schema: Schema | None, value: Any, text: str) -> None:
    assert convert_to_string(schema, value) == text


def test_convert_to_string_rejects_unknown_types() -> None:
    with pytest.raises(DataError, match="Failed to serialize unexpected value type"):
        convert_to_string(None, object())
    assert convert_to_string(None, None) is None


def test_numeric_conversions_follow_java_casts() -> None:
    assert convert_to_byte(None, 300) == 44
    assert convert_to_short(None, "70000") == 4464
    assert convert_to_integer(None, 2**40 + 7) == 7
    assert convert_to_long(None, -2.9) == -2
    assert convert_to_long(None, "1e3") == 1000
    assert convert_to_long(Date.SCHEMA, dt.date(1970, 1, 3)) == 2
    assert convert_to_float(None, 0.1) == 0.10000000149011612
    assert convert_to_double(None, "2.5") == 2.5
    assert convert_to_double(None, decimal.Decimal("0.1")) == 0.1
    assert convert_to_boolean(None, "false") is False
    assert convert_to_boolean(None, 2) is True
    assert convert_to_boolean(None, 0.0) is False
    for fn in (convert_to_byte, convert_to_long, convert_to_double):
        assert fn(None, None) is None
    with pytest.raises(DataError, match="to a number"):
        convert_to_long(None, "abc")
    with pytest.raises(DataError, match="to a number"):
        convert_to_integer(None, True)


def test_temporal_conversions() -> None:
    moment = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    assert convert_to_date(Timestamp.SCHEMA, moment) == dt.date(2024, 1, 2)
    assert convert_to_time(Timestamp.SCHEMA, moment) == dt.time(3, 4, 5, tzinfo=dt.UTC)
    assert convert_to_timestamp(Date.SCHEMA, dt.date(1970, 1, 2)) == dt.datetime(
        1970, 1, 2, tzinfo=dt.UTC
    )
    assert convert_to_timestamp(None, "2024-01-02T03:04:05.000Z") == moment
    assert convert_to_date(None, 1) == dt.date(1970, 1, 2)
    assert convert_to_time(None, 1000) == dt.time(0, 0, 1, tzinfo=dt.UTC)
    with pytest.raises(DataError, match="null value"):
        convert_to_date(None, None)


def test_decimal_and_container_conversions() -> None:
    assert convert_to_decimal(None, 1.1, 1) == decimal.Decimal("1.1")
    assert convert_to_decimal(None, "2.50", 2) == decimal.Decimal("2.50")
    assert convert_to_decimal(None, b"\x00\xde", 2) == decimal.Decimal("2.22")
    assert convert_to_list(None, "[1,2]") == [1, 2]
    assert convert_to_map(None, '{"a":true}') == {"a": True}
    struct = Struct(SchemaBuilder.struct().build())
    assert convert_to_struct(None, struct) is struct
    with pytest.raises(DataError, match="Unable to convert"):
        convert_to_list(None, "nope")
    with pytest.raises(DataError, match="Unable to convert"):
        convert_to_struct(None, {"a": 1})
    with pytest.raises(DataError, match="Unable to convert"):
        convert_to_decimal(None, "1.2.3", 1)
    assert Decimal.scale_of(Decimal.schema(1)) == 1


def test_infer_schema() -> None:
    assert infer_schema("x") == Schema.STRING_SCHEMA
    assert infer_schema(True) == Schema.BOOLEAN_SCHEMA
    assert infer_schema(1) == Schema.INT64_SCHEMA
    assert infer_schema(1.0) == Schema.FLOAT64_SCHEMA
    assert infer_schema(b"") == Schema.BYTES_SCHEMA
    assert infer_schema([1, None]) == SchemaBuilder.array(Schema.OPTIONAL_INT64_SCHEMA).build()
    assert infer_schema([1, "a"]) is None
    assert infer_schema([]) is None
    assert (
        infer_schema({"a": 1.5})
        == SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.FLOAT64_SCHEMA).build()
    )
    assert infer_schema(decimal.Decimal(1)) is None


# --- the shared, public port ---------------------------------------------------------------------
def test_values_namespace_is_the_module_functions() -> None:
    from sluice.api import Values

    assert Values.convert_to_string(Schema.FLOAT32_SCHEMA, 0.1) == convert_to_string(
        Schema.FLOAT32_SCHEMA, 0.1
    )
    assert Values.parse_string("[1,2]").value == [1, 2]


def test_dates_before_the_gregorian_cutover_are_read_in_the_julian_calendar() -> None:
    # java.util.GregorianCalendar is Julian before 1582-10-15, five days behind the proleptic
    # Gregorian calendar Python uses in the year 1000, so Kafka's 1000-01-01 is Python's 01-06.
    assert parse_string("1000-01-01").value == dt.date(1000, 1, 6)
    assert parse_string("2000-01-01").value == dt.date(2000, 1, 1)


def test_instants_before_the_end_of_the_first_day_of_1970_print_as_times() -> None:
    # Kafka's dateFormatFor looks at the instant alone, so earlier dates print as a time of day.
    assert convert_to_string(Date.SCHEMA, dt.date(1000, 1, 1)) == "00:00:00.000Z"
    assert convert_to_string(Date.SCHEMA, dt.date(2024, 1, 31)) == "2024-01-31"
