import datetime as dt
import decimal

import pytest

from sluice.api import DataError, Date, Decimal, Schema, SchemaBuilder, Struct, Time, Timestamp
from sluice.api.values import (
    convert_to_byte,
    convert_to_float,
    convert_to_integer,
    convert_to_string,
    parse_string,
)


@pytest.mark.parametrize(
    ("text", "schema", "value"),
    [
        ("", Schema.STRING_SCHEMA, ""),
        ("127", Schema.INT8_SCHEMA, 127),
        ("-32769", Schema.INT32_SCHEMA, -32769),
        ("1.5", Schema.FLOAT32_SCHEMA, 1.5),
        ("true", Schema.BOOLEAN_SCHEMA, True),
        ("True", Schema.STRING_SCHEMA, "True"),
        ("[1, 300]", SchemaBuilder.array(Schema.INT16_SCHEMA).build(), [1, 300]),
        ('{"a": 1}', SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.INT8_SCHEMA).build(), {"a": 1}),
        ("[1,2", Schema.STRING_SCHEMA, "[1,2"),
        ("2024-01-31", Date.SCHEMA, dt.date(2024, 1, 31)),
        ("10:15:30.123Z", Time.SCHEMA, Time.to_logical(Time.SCHEMA, 36_930_123)),
        (
            "2024-01-31T10:15:30.123Z",
            Timestamp.SCHEMA,
            dt.datetime(2024, 1, 31, 10, 15, 30, 123000, tzinfo=dt.UTC),
        ),
        ("12345678901234567890", Decimal.schema(0), decimal.Decimal("12345678901234567890")),
    ],
)
def test_parse_string(text: str, schema: Schema, value: object) -> None:
    parsed = parse_string(text)
    assert parsed.schema == schema and parsed.value == value


def test_null_literal() -> None:
    assert parse_string("null") == (None, None)
    assert parse_string(None) == (None, None)


def test_number_conversions() -> None:
    assert convert_to_byte(None, "300.9") == 44
    assert convert_to_integer(None, "1e3") == 1000
    assert convert_to_float(None, "0.1") == pytest.approx(0.1, rel=1e-7)
    with pytest.raises(
        DataError, match=r"Unable to convert x \(class java.lang.String\) to a number"
    ):
        convert_to_integer(None, "x")


def test_convert_to_string() -> None:
    schema = (
        SchemaBuilder.struct()
        .field("a", Schema.STRING_SCHEMA)
        .field("b", Schema.FLOAT32_SCHEMA)
        .build()
    )
    struct = Struct(schema).put("a", 'q"\\').put("b", 0.10000000149011612)
    assert convert_to_string(schema, struct) == '{"a":"q\\"\\\\","b":0.1}'
    assert convert_to_string(None, [1, "x", None, b"\x00"]) == '[1,"x",null,"AA=="]'
    assert convert_to_string(None, dt.date(2024, 1, 31)) == "2024-01-31"
    assert convert_to_string(None, True) == "true"
