"""SimpleHeaderConverter: header values as UTF-8 text through ``Values``."""

from __future__ import annotations

import datetime as dt

from sluice.api import Date, Schema, SchemaBuilder
from sluice.converters import SimpleHeaderConverter


def converter() -> SimpleHeaderConverter:
    c = SimpleHeaderConverter()
    c.configure({})
    return c


def test_writes_values_as_text() -> None:
    c = converter()
    assert c.from_connect_header("t", "h", Schema.STRING_SCHEMA, "héllo") == "héllo".encode()
    assert c.from_connect_header("t", "h", Schema.INT32_SCHEMA, 42) == b"42"
    assert c.from_connect_header("t", "h", None, ["a", 1]) == b'["a",1]'
    assert c.from_connect_header("t", "h", Date.SCHEMA, dt.date(2024, 5, 6)) == b"2024-05-06"
    assert c.from_connect_header("t", "h", None, None) is None


def test_reads_text_back_with_inferred_schemas() -> None:
    c = converter()
    assert c.to_connect_header("t", "h", b"42") == (Schema.INT8_SCHEMA, 42)
    assert c.to_connect_header("t", "h", b"true") == (Schema.BOOLEAN_SCHEMA, True)
    assert c.to_connect_header("t", "h", b"hello world") == (Schema.STRING_SCHEMA, "hello world")
    assert c.to_connect_header("t", "h", b'{"a":1}') == (
        SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.INT8_SCHEMA).build(),
        {"a": 1},
    )
    assert c.to_connect_header("t", "h", None) == (None, None)
    assert c.to_connect_header("t", "h", b"") == (Schema.STRING_SCHEMA, "")
    # Malformed UTF-8 is replaced, as Java's String constructor does.
    assert c.to_connect_header("t", "h", b"a\xffb") == (Schema.STRING_SCHEMA, "a\ufffdb")


def test_round_trip_of_a_header_value() -> None:
    c = converter()
    value = {"k": [1.5, 2.5], "n": [0.25]}
    data = c.from_connect_header("t", "h", None, value)
    assert data is not None
    assert c.to_connect_header("t", "h", data).value == value
    assert c.config().names() == []
