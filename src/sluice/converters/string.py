"""``StringConverter``: values as text in a configurable character set.

Writing ignores the schema and renders the value as Java's ``toString()`` would (so ``True`` is
``true`` and ``1.0e10`` is ``1.0E10``); reading always yields an ``OPTIONAL_STRING``. Character
set names are Java's (``UTF-8``, ``ISO-8859-1``, ``UTF-16``, ...); unmappable characters become
``?`` on the way out and malformed bytes U+FFFD on the way in, as with Java's ``String``.
"""

from __future__ import annotations

import codecs
from collections.abc import Mapping, Sequence
from typing import Any, Final

from sluice.api.config import ConfigDef, ConfigType, Importance, Width
from sluice.api.converter import Converter, HeaderConverter, SchemaAndValue
from sluice.api.errors import ConfigError
from sluice.api.headers import Headers
from sluice.api.schema import Schema
from sluice.api.value_text import value_to_string
from sluice.converters._common import (
    CONVERTER_TYPE_CONFIG,
    converter_config_def,
    with_converter_type,
)

__all__ = ["StringConverter", "string_converter_config_def"]

ENCODING_CONFIG: Final = "converter.encoding"


def string_converter_config_def() -> ConfigDef:
    """``converter.type`` and ``converter.encoding`` (default ``UTF-8``), as Kafka defines them."""
    return converter_config_def().define(
        ENCODING_CONFIG,
        ConfigType.STRING,
        "UTF-8",
        None,
        Importance.HIGH,
        "The name of the Java character set to use for encoding strings as byte arrays.",
        width=Width.MEDIUM,
        display_name="Encoding",
    )


class _Charset:
    """A Java charset name mapped onto Python codecs, keeping Java's UTF-16 byte order rules."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.utf16 = name.upper().replace("_", "-") in ("UTF-16", "UTF16")
        try:
            self.codec = codecs.lookup(name).name
        except LookupError:
            raise ConfigError(f"Unsupported encoding {name}", ENCODING_CONFIG, name) from None

    def encode(self, text: str) -> bytes:
        if self.utf16:  # Java writes a big-endian byte order mark
            return b"\xfe\xff" + text.encode("utf-16-be", "replace")
        return text.encode(self.codec, "replace")

    def decode(self, data: bytes) -> str:
        if self.utf16:  # big-endian unless a byte order mark says otherwise
            if data[:2] == b"\xff\xfe":
                return data[2:].decode("utf-16-le", "replace")
            if data[:2] == b"\xfe\xff":
                data = data[2:]
            return data.decode("utf-16-be", "replace")
        return data.decode(self.codec, "replace")


_UTF8: Final = _Charset("UTF-8")


class StringConverter(Converter, HeaderConverter):
    """Kafka's ``org.apache.kafka.connect.storage.StringConverter``.

    ``key.serializer.encoding``/``value.serializer.encoding`` (and the ``deserializer`` forms)
    override ``converter.encoding`` for one direction, as Kafka's string serializers allow. Byte
    values are written as they are (Java would print an object address).
    """

    def __init__(self) -> None:
        self._out = _UTF8
        self._in = _UTF8

    def config(self) -> ConfigDef:
        return string_converter_config_def()

    def configure(self, configs: Mapping[str, Any], is_key: bool | None = None) -> None:
        props = with_converter_type(configs, is_key)
        values = string_converter_config_def().parse(props)
        encoding = str(values[ENCODING_CONFIG])
        side = "key" if values[CONVERTER_TYPE_CONFIG] == "key" else "value"
        out_name = props.get(f"{side}.serializer.encoding") or encoding
        in_name = props.get(f"{side}.deserializer.encoding") or encoding
        self._out = _Charset(str(out_name))
        self._in = _Charset(str(in_name))

    def from_connect_data(
        self, topic: str, schema: Schema | None, value: Any, headers: Headers | None = None
    ) -> bytes | None:
        if value is None:
            return None
        if isinstance(value, (bytes, bytearray, memoryview)):
            return bytes(value)
        return self._out.encode(value_to_string(value, schema))

    def from_connect_batch(
        self,
        topic: str,
        schemas: Sequence[Schema | None],
        values: Sequence[Any],
        headers: Sequence[Headers | None] | None = None,
    ) -> list[bytes | None]:
        if self._out.codec != "utf-8" or self._out.utf16:
            return super().from_connect_batch(topic, schemas, values)
        # The common case (UTF-8 text) without a method call per value.
        return [
            v.encode("utf-8", "replace") if type(v) is str else self.from_connect_data(topic, s, v)
            for s, v in zip(schemas, values, strict=True)
        ]

    def to_connect_batch(
        self,
        topic: str,
        values: Sequence[bytes | None],
        headers: Sequence[Headers | None] | None = None,
    ) -> list[SchemaAndValue]:
        schema = Schema.OPTIONAL_STRING_SCHEMA
        if self._in.codec != "utf-8" or self._in.utf16:
            return super().to_connect_batch(topic, values)
        # tuple.__new__ skips the NamedTuple constructor's Python frame; nulls share one pair.
        make = tuple.__new__
        null = SchemaAndValue(schema, None)
        return [
            null if v is None else make(SchemaAndValue, (schema, v.decode("utf-8", "replace")))
            for v in values
        ]

    def to_connect_data(
        self, topic: str, value: bytes | None, headers: Headers | None = None
    ) -> SchemaAndValue:
        if value is None:
            return SchemaAndValue(Schema.OPTIONAL_STRING_SCHEMA, None)
        return SchemaAndValue(Schema.OPTIONAL_STRING_SCHEMA, self._in.decode(value))

    def from_connect_header(
        self, topic: str, header_key: str, schema: Schema | None, value: Any
    ) -> bytes | None:
        return self.from_connect_data(topic, schema, value)

    def to_connect_header(self, topic: str, header_key: str, value: bytes | None) -> SchemaAndValue:
        return self.to_connect_data(topic, value)
