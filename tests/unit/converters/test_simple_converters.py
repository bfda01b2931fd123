"""StringConverter, ByteArrayConverter and the number and boolean converters."""

from __future__ import annotations

import datetime as dt
import decimal
import struct
from typing import Any

import pytest

from sluice.api import ConfigError, DataError, Schema, SchemaBuilder, Struct
from sluice.converters import (
    BooleanConverter,
    ByteArrayConverter,
    DoubleConverter,
    FloatConverter,
    IntegerConverter,
    LongConverter,
    ShortConverter,
    StringConverter,
)


def string_converter(
    configs: dict[str, str] | None = None, is_key: bool = False
) -> StringConverter:
    c = StringConverter()
    c.configure(configs or {}, is_key)
    return c


# -- StringConverter ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("schema", "value", "text"),
    [
        (Schema.STRING_SCHEMA, "héllo", "héllo"),
        (None, True, "true"),
        (None, 42, "42"),
        (Schema.FLOAT64_SCHEMA, 1e10, "1.0E10"),
        (Schema.FLOAT32_SCHEMA, 0.1, "0.1"),
        (None, decimal.Decimal("2.50"), "2.50"),
        (None, [1, "a", None], "[1, a, null]"),
        (None, {"a": 1, "b": False}, "{a=1, b=false}"),
        (None, dt.datetime(1970, 1, 1, tzinfo=dt.UTC), "Thu Jan 01 00:00:00 UTC 1970"),
    ],
)
def test_string_converter_writes_javas_to_string(
    schema: Schema | None, value: Any, text: str
) -> None:
    assert string_converter().from_connect_data("t", schema, value) == text.encode()


def test_string_converter_structs_bytes_and_nulls() -> None:
    schema = (
        SchemaBuilder.struct()
        .field("a", Schema.INT32_SCHEMA)
        .field("b", Schema.OPTIONAL_STRING_SCHEMA)
        .build()
    )
    c = string_converter()
    assert c.from_connect_data("t", schema, Struct(schema).put("a", 1)) == b"Struct{a=1}"
    assert c.from_connect_data("t", Schema.BYTES_SCHEMA, b"\x01raw") == b"\x01raw"
    assert c.from_connect_data("t", None, None) is None
    assert c.to_connect_data("t", None) == (Schema.OPTIONAL_STRING_SCHEMA, None)
    assert c.to_connect_data("t", "é".encode()) == (Schema.OPTIONAL_STRING_SCHEMA, "é")
    assert c.to_connect_data("t", b"\xff") == (Schema.OPTIONAL_STRING_SCHEMA, "\ufffd")


def test_string_converter_encodings() -> None:
    latin = string_converter({"converter.encoding": "ISO-8859-1"})
    assert latin.from_connect_data("t", None, "é€") == b"\xe9?"
    assert latin.to_connect_data("t", b"\xe9").value == "é"
    utf16 = string_converter({"converter.encoding": "UTF-16"})
    assert utf16.from_connect_data("t", None, "A") == b"\xfe\xff\x00A"  # Java's BOM, big-endian
    assert utf16.to_connect_data("t", b"\xff\xfeA\x00").value == "A"
    assert utf16.to_connect_data("t", b"\x00A").value == "A"
    with pytest.raises(ConfigError, match="Unsupported encoding NOPE"):
        string_converter({"converter.encoding": "NOPE"})


def test_string_converter_per_direction_overrides() -> None:
    c = string_converter(
        {"converter.encoding": "UTF-8", "key.serializer.encoding": "ISO-8859-1"}, is_key=True
    )
    assert c.from_connect_data("t", None, "é") == b"\xe9"
    assert c.to_connect_data("t", "é".encode()).value == "é"
    value_side = string_converter({"key.serializer.encoding": "ISO-8859-1"}, is_key=False)
    assert value_side.from_connect_data("t", None, "é") == "é".encode()


def test_string_converter_as_header_converter() -> None:
    c = StringConverter()
    c.configure({})
    assert c.from_connect_header("t", "h", None, 5) == b"5"
    assert c.to_connect_header("t", "h", b"5") == (Schema.OPTIONAL_STRING_SCHEMA, "5")
    assert list(c.config().keys) == ["converter.type", "converter.encoding"]


# -- ByteArrayConverter ---------------------------------------------------------------------------
def test_byte_array_converter_passes_bytes_through() -> None:
    c = ByteArrayConverter()
    c.configure({}, False)
    assert c.from_connect_data("t", Schema.BYTES_SCHEMA, b"\x00\x01") == b"\x00\x01"
    assert c.from_connect_data("t", None, bytearray(b"ab")) == b"ab"
    assert c.from_connect_data("t", None, memoryview(b"cd")) == b"cd"
    assert c.from_connect_data("t", None, None) is None
    assert c.to_connect_data("t", b"x") == (Schema.OPTIONAL_BYTES_SCHEMA, b"x")
    assert c.to_connect_header("t", "h", None) == (Schema.OPTIONAL_BYTES_SCHEMA, None)


def test_byte_array_converter_rejects_other_schemas_and_types() -> None:
    c = ByteArrayConverter()
    with pytest.raises(DataError, match="Invalid schema type for ByteArrayConverter: STRING"):
        c.from_connect_data("t", Schema.STRING_SCHEMA, b"x")
    with pytest.raises(DataError, match="ByteArrayConverter is not compatible with objects of"):
        c.from_connect_data("t", None, "text")


# -- number converters ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("cls", "value", "data", "schema"),
    [
        (LongConverter, -2, b"\xff" * 7 + b"\xfe", Schema.OPTIONAL_INT64_SCHEMA),
        (IntegerConverter, 2**31 - 1, b"\x7f\xff\xff\xff", Schema.OPTIONAL_INT32_SCHEMA),
        (ShortConverter, 258, b"\x01\x02", Schema.OPTIONAL_INT16_SCHEMA),
        (FloatConverter, 1.5, struct.pack(">f", 1.5), Schema.OPTIONAL_FLOAT32_SCHEMA),
        (DoubleConverter, 0.1, struct.pack(">d", 0.1), Schema.OPTIONAL_FLOAT64_SCHEMA),
    ],
)
def test_number_converters_use_big_endian_fixed_width(
    cls: type[LongConverter], value: Any, data: bytes, schema: Schema
) -> None:
    c = cls()
    c.configure({}, True)
    assert c.from_connect_data("t", None, value) == data
    assert c.to_connect_data("t", data) == (schema, value)
    assert c.from_connect_header("t", "h", None, value) == data
    assert c.from_connect_data("t", None, None) is None
    assert c.to_connect_data("t", None) == (schema, None)


def test_number_converter_errors_name_the_type() -> None:
    with pytest.raises(DataError, match=r"Failed to serialize to long \(was <class 'str'>\)"):
        LongConverter().from_connect_data("t", None, "1")
    with pytest.raises(DataError, match="Failed to serialize to integer: 2147483648 is out of"):
        IntegerConverter().from_connect_data("t", None, 2**31)
    with pytest.raises(DataError, match=r"Failed to serialize to double \(was <class 'int'>\)"):
        DoubleConverter().from_connect_data("t", None, 1)
    with pytest.raises(DataError, match="Size of data received by LongDeserializer is not 8"):
        LongConverter().to_connect_data("t", b"\x00")
    with pytest.raises(DataError, match="Failed to deserialize float: Size of data received by"):
        FloatConverter().to_connect_data("t", b"\x00")
    with pytest.raises(ConfigError, match="converter.type"):
        LongConverter().configure({"converter.type": "nope"})


def test_float_converter_rounds_to_32_bits() -> None:
    c = FloatConverter()
    assert c.from_connect_data("t", None, 0.1) == struct.pack(">f", 0.1)
    assert c.from_connect_data("t", None, 1e39) == struct.pack(">f", float("inf"))
    assert c.to_connect_data("t", struct.pack(">f", 0.1)).value == 0.10000000149011612


def test_boolean_converter() -> None:
    c = BooleanConverter()
    c.configure({}, False)
    assert c.from_connect_data("t", Schema.BOOLEAN_SCHEMA, True) == b"\x01"
    assert c.from_connect_data("t", None, False) == b"\x00"
    assert c.from_connect_data("t", None, None) is None
    assert c.to_connect_data("t", b"\x01") == (Schema.OPTIONAL_BOOLEAN_SCHEMA, True)
    assert c.to_connect_data("t", b"\x00") == (Schema.OPTIONAL_BOOLEAN_SCHEMA, False)
    assert c.to_connect_data("t", None) == (Schema.OPTIONAL_BOOLEAN_SCHEMA, None)
    with pytest.raises(DataError, match="Invalid schema type for BooleanConverter: INT8"):
        c.from_connect_data("t", Schema.INT8_SCHEMA, True)
    with pytest.raises(DataError, match="BooleanConverter is not compatible with objects of type"):
        c.from_connect_data("t", None, 1)
    with pytest.raises(DataError, match="Unexpected byte received by BooleanDeserializer: -1"):
        c.to_connect_data("t", b"\xff")
    with pytest.raises(DataError, match="Size of data received by BooleanDeserializer is not 1"):
        c.to_connect_data("t", b"")
