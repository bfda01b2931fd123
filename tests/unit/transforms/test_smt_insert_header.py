import datetime as dt
import decimal
from collections.abc import Callable

import pytest

from sluice.api import (
    ConfigError,
    Date,
    Decimal,
    Headers,
    Schema,
    SchemaBuilder,
    SinkRecord,
    Timestamp,
)
from sluice.transforms.insert_header import InsertHeader

SinkFactory = Callable[..., SinkRecord]


def insert_header(literal: str) -> InsertHeader[SinkRecord]:
    t: InsertHeader[SinkRecord] = InsertHeader()
    t.configure({"header": "h", "value.literal": literal})
    return t


@pytest.mark.parametrize(
    ("literal", "schema", "value"),
    [
        ("42", Schema.INT8_SCHEMA, 42),
        ("300", Schema.INT16_SCHEMA, 300),
        ("5000000000", Schema.INT64_SCHEMA, 5_000_000_000),
        ("1.5", Schema.FLOAT32_SCHEMA, 1.5),
        ("true", Schema.BOOLEAN_SCHEMA, True),
        ("hello world", Schema.STRING_SCHEMA, "hello world"),
        ("[1,2]", SchemaBuilder.array(Schema.INT8_SCHEMA).build(), [1, 2]),
        ("2024-01-31", Date.SCHEMA, dt.date(2024, 1, 31)),
        (
            "2024-01-31T10:15:30.123Z",
            Timestamp.SCHEMA,
            dt.datetime(2024, 1, 31, 10, 15, 30, 123000, tzinfo=dt.UTC),
        ),
        ("1e400", Decimal.schema(-400), decimal.Decimal("1E+400")),
        ("null", None, None),
    ],
)
def test_literal_is_typed_like_kafka_values(
    sink: SinkFactory, literal: str, schema: Schema | None, value: object
) -> None:
    out = insert_header(literal).apply(sink(Schema.STRING_SCHEMA, "v"))
    assert out is not None
    header = out.headers.last_with_name("h")
    assert header is not None and header.schema == schema and header.value == value


def test_header_is_appended_without_touching_the_input(sink: SinkFactory) -> None:
    record = sink(None, "v", headers=Headers().add("h", "old", Schema.STRING_SCHEMA))
    out = insert_header("new").apply(record)
    assert out is not None
    assert [h.value for h in out.headers] == ["old", "new"]
    assert [h.value for h in record.headers] == ["old"]


def test_both_keys_are_required() -> None:
    with pytest.raises(ConfigError, match='Missing required configuration "value.literal"'):
        InsertHeader().configure({"header": "h"})
