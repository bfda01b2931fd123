"""Typed parsing of CSV text and JSON values by schema."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest

from sluice.api import Date, Decimal, Schema, SchemaBuilder, Time, Timestamp
from sluice.connectors.spooldir.typed_values import ValueParser

P = ValueParser(dt.UTC, ["yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd"])


@pytest.mark.parametrize(
    ("schema", "text", "expected"),
    [
        (Schema.INT8_SCHEMA, "-128", -128),
        (Schema.INT32_SCHEMA, "+42", 42),
        (Schema.INT64_SCHEMA, "9223372036854775807", 2**63 - 1),
        (Schema.FLOAT64_SCHEMA, "1.5e3", 1500.0),
        (Schema.FLOAT32_SCHEMA, " 2.5f ", 2.5),
        (Schema.BOOLEAN_SCHEMA, "TRUE", True),
        (Schema.STRING_SCHEMA, " as is ", " as is "),
        (Schema.BYTES_SCHEMA, "aGk=", b"hi"),
        (Decimal.schema(2), "14095.22", decimal.Decimal("14095.22")),
        (Decimal.schema(2), "3", decimal.Decimal("3.00")),
        (
            Timestamp.SCHEMA,
            "2015-12-04T22:18:07Z",
            dt.datetime(2015, 12, 4, 22, 18, 7, tzinfo=dt.UTC),
        ),
        (Date.SCHEMA, "2015-12-04", dt.date(2015, 12, 4)),
        (Time.SCHEMA, "2015-12-04T22:18:07", dt.time(22, 18, 7, tzinfo=dt.UTC)),
    ],
)
def test_text(schema: Schema, text: str, expected: object) -> None:
    assert P.from_text(schema)(text) == expected


@pytest.mark.parametrize(
    ("schema", "text", "message"),
    [
        (Schema.INT8_SCHEMA, "128", "out of range"),
        (Schema.INT32_SCHEMA, "1.0", "Could not parse '1.0' to 'Integer'"),
        (Schema.INT32_SCHEMA, "", "Could not parse '' to 'Integer'"),
        (Schema.BOOLEAN_SCHEMA, "yes", "to 'Boolean'"),
        (Decimal.schema(2), "1.234", "more than 2 decimal places"),
        (Decimal.schema(2), "NaN", "BigDecimal"),
        (Timestamp.SCHEMA, "yesterday", "with any of the formats"),
    ],
)
def test_text_errors(schema: Schema, text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        P.from_text(schema)(text)


def test_json_struct_with_nested_types() -> None:
    inner = SchemaBuilder.struct().field("x", Schema.OPTIONAL_INT32_SCHEMA).optional().build()
    schema = (
        SchemaBuilder.struct()
        .field("id", Schema.INT64_SCHEMA)
        .field("name", Schema.OPTIONAL_STRING_SCHEMA)
        .field("price", Decimal.builder(2).optional().build())
        .field("at", Timestamp.builder().optional().build())
        .field("tags", SchemaBuilder.array(Schema.STRING_SCHEMA).optional().build())
        .field(
            "scores",
            SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.FLOAT64_SCHEMA).optional().build(),
        )
        .field("inner", inner)
        .build()
    )
    convert = P.struct_from_json(schema)
    s = convert(
        {
            "id": 7,
            "name": 12,
            "price": decimal.Decimal("9.90"),
            "at": 1000,
            "tags": ["a"],
            "scores": {"m": decimal.Decimal("1.5")},
            "inner": {"x": "3"},
            "ignored": True,
        }
    )
    assert s.to_dict() == {
        "id": 7,
        "name": "12",
        "price": decimal.Decimal("9.90"),
        "at": dt.datetime(1970, 1, 1, 0, 0, 1, tzinfo=dt.UTC),
        "tags": ["a"],
        "scores": {"m": 1.5},
        "inner": {"x": 3},
    }


def test_json_required_missing_is_an_error() -> None:
    schema = SchemaBuilder.struct().field("id", Schema.INT64_SCHEMA).build()
    with pytest.raises(ValueError, match="field 'id': null is not allowed"):
        P.struct_from_json(schema)({})
