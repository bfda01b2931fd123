"""Number and boolean converters: the fixed-width big-endian formats of Kafka's serializers.

``LongConverter`` writes 8 bytes, ``IntegerConverter`` 4, ``ShortConverter`` 2, ``FloatConverter``
and ``DoubleConverter`` IEEE 754 in 4 and 8 bytes, ``BooleanConverter`` a single 0 or 1 byte, so
keys written by Kafka's ``LongSerializer`` and friends read back here and the other way round.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from typing import Any, ClassVar

from sluice.api.config import ConfigDef
from sluice.api.converter import Converter, HeaderConverter, SchemaAndValue
from sluice.api.errors import DataError
from sluice.api.headers import Headers
from sluice.api.schema import Schema, Type
from sluice.converters._common import converter_config_def, with_converter_type

__all__ = [
    "BooleanConverter",
    "DoubleConverter",
    "FloatConverter",
    "IntegerConverter",
    "LongConverter",
    "NumberConverter",
    "ShortConverter",
]


class _PairConverter(Converter, HeaderConverter):
    """Shared plumbing: header methods forward to the record methods, configs are checked."""

    def config(self) -> ConfigDef:
        return converter_config_def()

    def configure(self, configs: Mapping[str, Any], is_key: bool | None = None) -> None:
        """No settings of their own: only ``converter.type`` is checked, as Kafka does."""
        converter_config_def().parse(with_converter_type(configs, is_key))

    def from_connect_header(
        self, topic: str, header_key: str, schema: Schema | None, value: Any
    ) -> bytes | None:
        return self.from_connect_data(topic, schema, value)

    def to_connect_header(self, topic: str, header_key: str, value: bytes | None) -> SchemaAndValue:
        return self.to_connect_data(topic, value)


class NumberConverter(_PairConverter):
    """A fixed-width number; subclasses set the Java type name, format and schema.

    As in Kafka the schema handed to ``from_connect_data`` is not looked at; the value must be of
    the converter's kind (an ``int`` in range for the integer converters, a ``float`` for the
    floating-point ones).
    """

    type_name: ClassVar[str]
    fmt: ClassVar[struct.Struct]
    schema: ClassVar[Schema]
    deserializer: ClassVar[str]
    is_float: ClassVar[bool] = False

    def from_connect_data(
        self, topic: str, schema: Schema | None, value: Any, headers: Headers | None = None
    ) -> bytes | None:
        if value is None:
            return None
        ok = (
            isinstance(value, float)
            if self.is_float
            else (isinstance(value, int) and not isinstance(value, bool))
        )
        if not ok:
            raise DataError(f"Failed to serialize to {self.type_name} (was {type(value)!r})")
        try:
            return self.fmt.pack(value)
        except (struct.error, OverflowError) as e:
            if self.is_float:  # beyond float range: Java's (float) cast gives infinity
                return self.fmt.pack(float("inf") if value > 0 else float("-inf"))
            raise DataError(
                f"Failed to serialize to {self.type_name}: {value} is out of range"
            ) from e

    def to_connect_data(
        self, topic: str, value: bytes | None, headers: Headers | None = None
    ) -> SchemaAndValue:
        if value is None:
            return SchemaAndValue(self.schema, None)
        if len(value) != self.fmt.size:
            raise DataError(
                f"Failed to deserialize {self.type_name}: Size of data received by "
                f"{self.deserializer} is not {self.fmt.size}"
            )
        return SchemaAndValue(self.schema, self.fmt.unpack(value)[0])


class LongConverter(NumberConverter):
    """Kafka's ``org.apache.kafka.connect.converters.LongConverter`` (8-byte signed)."""

    type_name = "long"
    fmt = struct.Struct(">q")
    schema = Schema.OPTIONAL_INT64_SCHEMA
    deserializer = "LongDeserializer"


class IntegerConverter(NumberConverter):
    """Kafka's ``org.apache.kafka.connect.converters.IntegerConverter`` (4-byte signed)."""

    type_name = "integer"
    fmt = struct.Struct(">i")
    schema = Schema.OPTIONAL_INT32_SCHEMA
    deserializer = "IntegerDeserializer"


class ShortConverter(NumberConverter):
    """Kafka's ``org.apache.kafka.connect.converters.ShortConverter`` (2-byte signed)."""

    type_name = "short"
    fmt = struct.Struct(">h")
    schema = Schema.OPTIONAL_INT16_SCHEMA
    deserializer = "ShortDeserializer"


class FloatConverter(NumberConverter):
    """Kafka's ``org.apache.kafka.connect.converters.FloatConverter`` (IEEE 754 single)."""

    type_name = "float"
    fmt = struct.Struct(">f")
    schema = Schema.OPTIONAL_FLOAT32_SCHEMA
    deserializer = "Deserializer"
    is_float = True


class DoubleConverter(NumberConverter):
    """Kafka's ``org.apache.kafka.connect.converters.DoubleConverter`` (IEEE 754 double)."""

    type_name = "double"
    fmt = struct.Struct(">d")
    schema = Schema.OPTIONAL_FLOAT64_SCHEMA
    deserializer = "Deserializer"
    is_float = True


class BooleanConverter(_PairConverter):
    """Kafka's ``org.apache.kafka.connect.converters.BooleanConverter``: one byte, 1 or 0."""

    def from_connect_data(
        self, topic: str, schema: Schema | None, value: Any, headers: Headers | None = None
    ) -> bytes | None:
        if schema is not None and schema.type is not Type.BOOLEAN:
            raise DataError(f"Invalid schema type for BooleanConverter: {schema.type.name}")
        if value is None:
            return None
        if not isinstance(value, bool):
            raise DataError(
                f"BooleanConverter is not compatible with objects of type {type(value)!r}"
            )
        return b"\x01" if value else b"\x00"

    def to_connect_data(
        self, topic: str, value: bytes | None, headers: Headers | None = None
    ) -> SchemaAndValue:
        if value is None:
            return SchemaAndValue(Schema.OPTIONAL_BOOLEAN_SCHEMA, None)
        if len(value) != 1:
            raise DataError(
                "Failed to deserialize boolean: Size of data received by BooleanDeserializer is "
                "not 1"
            )
        if value[0] == 1:
            return SchemaAndValue(Schema.OPTIONAL_BOOLEAN_SCHEMA, True)
        if value[0] == 0:
            return SchemaAndValue(Schema.OPTIONAL_BOOLEAN_SCHEMA, False)
        signed = value[0] - 256 if value[0] > 127 else value[0]
        raise DataError(
            f"Failed to deserialize boolean: Unexpected byte received by BooleanDeserializer: "
            f"{signed}"
        )
