"""Turning a sink record's key and value into BSON documents, as the official sink does.

Which conversion applies depends on what the converter produced, checked in this order:

* a :class:`~sluice.api.Struct` with a schema (JsonConverter with schemas, Avro...): field by
  field from the schema: INT8/16/32 as int32, INT64 as int64, FLOAT32/64 as double, BYTES as
  binary, Decimal as Decimal128, Date/Time/Timestamp as BSON dates, structs and maps as
  embedded documents, arrays as arrays; an optional field without a value takes its default;
* a dict (schemaless JSON): as MongoDB's Java driver encodes a ``Map``, integers as int64
  (the Java JsonConverter hands them over as ``Long``);
* a str: parsed as (Extended) JSON, so ``{"$oid": ...}``, ``{"$date": ...}``,
  ``{"$numberLong": ...}`` become the BSON types they stand for;
* bytes: a BSON document.

Anything else (a bare number, a list) is a :class:`~sluice.api.DataError`. Conversion is lazy:
:class:`SinkDocument` converts the key only when a strategy or post processor reads it, so a
plain string key does not break a sink that never uses the key, exactly as in the official
connector. Documents are plain dicts of values pymongo encodes (``bson.Int64`` keeps an int64
an int64 even when it is small).
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import json
import uuid
from collections.abc import Callable, Mapping
from typing import Any, Final

import bson
from bson import Binary, Decimal128, Int64
from bson.codec_options import CodecOptions, DatetimeConversion
from bson.errors import BSONError
from bson.json_util import JSONOptions
from bson.json_util import loads as json_loads

from sluice.api import DataError, Schema, SinkRecord, Struct, Type

__all__ = ["Document", "SinkDocument", "clone_value", "to_document"]

Document = dict[str, Any]
"""A BSON document as pymongo takes and gives it."""

_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_DECODE_OPTIONS: Final[CodecOptions[Document]] = CodecOptions(
    document_class=dict, tz_aware=True, datetime_conversion=DatetimeConversion.DATETIME_AUTO
)
_JSON_OPTIONS: Final = JSONOptions(
    tz_aware=True, datetime_conversion=DatetimeConversion.DATETIME_AUTO
)
_DATE: Final = "org.apache.kafka.connect.data.Date"
_TIME: Final = "org.apache.kafka.connect.data.Time"
_TIMESTAMP: Final = "org.apache.kafka.connect.data.Timestamp"
_DECIMAL: Final = "org.apache.kafka.connect.data.Decimal"

_UNSET: Final = object()


def _describe(value: object) -> str:
    text = repr(value)
    if len(text) > 200:
        text = text[:200] + "..."
    return f"{text} ({type(value).__name__})"


# -- schemaful values ------------------------------------------------------------------------
Converter = Callable[[Any], Any]


def _decimal128(value: Any) -> Decimal128:
    if not isinstance(value, decimal.Decimal):
        raise DataError(f"Decimal conversion not possible when data is of type {type(value)}")
    try:
        return Decimal128(value)
    except Exception as e:  # outside Decimal128's 34 digits / exponent range
        raise DataError(f"Decimal {value} does not fit a BSON Decimal128: {e}") from e


def _date(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    raise DataError(f"Date conversion not possible for {_describe(value)}")


def _time(value: Any) -> dt.datetime:
    if isinstance(value, dt.time):
        since_midnight = dt.timedelta(
            hours=value.hour,
            minutes=value.minute,
            seconds=value.second,
            microseconds=value.microsecond // 1000 * 1000,
        )
        offset = value.utcoffset()
        return _EPOCH + since_midnight - (offset or dt.timedelta())
    if isinstance(value, dt.datetime):
        return _date(value)
    raise DataError(f"Time conversion not possible for {_describe(value)}")


def _bytes(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    raise DataError(
        f"Bytes field conversion failed due to unexpected object type {type(value).__name__}"
    )


_LOGICAL: Final[dict[str, Converter]] = {
    _DATE: _date,
    _TIME: _time,
    _TIMESTAMP: _date,
    _DECIMAL: _decimal128,
}
_PRIMITIVE: Final[dict[Type, Converter]] = {
    Type.BOOLEAN: bool,
    Type.INT8: int,
    Type.INT16: int,
    Type.INT32: int,
    Type.INT64: Int64,
    Type.FLOAT32: float,
    Type.FLOAT64: float,
    Type.STRING: str,
    Type.BYTES: _bytes,
}


def _leaf(schema: Schema) -> Converter | None:
    """The converter of a primitive or logical schema, None for containers."""
    if schema.name is not None and schema.name in _LOGICAL:
        return _LOGICAL[schema.name]
    return _PRIMITIVE.get(schema.type)


def _guarded(convert: Converter, field: str) -> Converter:
    """``convert`` with failures reported as the official connector words them."""

    def run(value: Any) -> Any:
        try:
            return convert(value)
        except DataError:
            raise
        except Exception as e:
            raise DataError(f"error while processing field {field}: {e}") from e

    return run


def _map_value(schema: Schema, convert: Converter, field: str) -> Converter:
    """A map value converter: a null in a required leaf fails, an optional one takes the
    schema's default or stays null (the official rules; struct fields are simply null)."""
    leaf = _leaf(schema) is not None
    default = schema.default
    optional = schema.optional

    def run(value: Any) -> Any:
        if value is None:
            if not leaf:
                return None
            if not optional:
                raise DataError(
                    f"error while processing field {field}: schema not optional but data was null"
                )
            if default is None:
                return None
            value = default
        return convert(value)

    return run


@functools.lru_cache(maxsize=512)
def _compile(schema: Schema, field: str = "") -> Converter:
    """A converter for non-null values of ``schema`` (cached: a topic's records share schemas)."""
    leaf = _leaf(schema)
    if leaf is not None:
        return _guarded(leaf, field)
    if schema.type is Type.STRUCT:
        fields = [(f.name, _compile(f.schema, f.name)) for f in schema.fields]

        def struct(value: Any) -> Any:
            if not isinstance(value, Struct):
                raise DataError(
                    f"error while processing field {field}: expected a Struct, "
                    f"got {_describe(value)}"
                )
            values = value.values()  # defaults applied, as Struct.get does
            return {
                name: None if v is None else convert(v)
                for (name, convert), v in zip(fields, values, strict=True)
            }

        return struct
    if schema.type is Type.MAP:
        assert schema.value_schema is not None
        convert_value = _map_value(schema.value_schema, _compile(schema.value_schema, field), field)

        def mapping(value: Any) -> Any:
            out: Document = {}
            for k, v in value.items():
                if not isinstance(k, str):
                    raise DataError(
                        f"error while processing field {field}: map key {k!r} is not a string"
                    )
                out[k] = convert_value(v)
            return out

        return mapping
    if schema.type is Type.ARRAY:
        assert schema.value_schema is not None
        convert_element = _compile(schema.value_schema, field)

        def array(value: Any) -> Any:
            return [None if v is None else convert_element(v) for v in value]

        return array
    raise DataError(f"unexpected / unsupported schema type {schema.type.name}")


def _struct_document(schema: Schema, value: Any) -> Document:
    if schema.type not in (Type.STRUCT, Type.MAP):
        raise DataError(f"a {schema.type.name} schema does not describe a document")
    document = _compile(schema)(value)
    assert isinstance(document, dict)
    return document


# -- schemaless values -----------------------------------------------------------------------
def _plain(value: Any) -> Any:
    """A schemaless value as the Java driver encodes the matching Java object."""
    if value is None or isinstance(value, bool | str | float):
        return value
    if isinstance(value, int):
        return value if isinstance(value, Int64) else Int64(value)
    if isinstance(value, dict):
        return _map_document(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if isinstance(value, Struct):
        return _struct_document(value.schema, value)
    if isinstance(value, decimal.Decimal):
        return _decimal128(value)
    if isinstance(value, dt.datetime | dt.date):
        return _date(value)
    if isinstance(value, dt.time):
        return _time(value)
    if isinstance(value, uuid.UUID):
        return Binary.from_uuid(value)
    if isinstance(value, _BSON_TYPES):
        return value
    raise DataError(f"Cannot encode {_describe(value)} as a BSON value")


_BSON_TYPES: Final = (
    bson.ObjectId,
    Decimal128,
    Binary,
    bson.Timestamp,
    bson.Regex,
    bson.Code,
    bson.MinKey,
    bson.MaxKey,
    bson.DatetimeMS,
)


def _map_document(value: Mapping[Any, Any]) -> Document:
    return {str(k): _plain(v) for k, v in value.items()}


def _json_document(text: str) -> Document:
    try:
        parsed = json_loads(text, json_options=_JSON_OPTIONS)
    except (json.JSONDecodeError, TypeError, ValueError, BSONError) as e:
        raise DataError(f"not valid JSON: {e}") from e
    if not isinstance(parsed, dict):
        raise DataError(f"JSON {type(parsed).__name__} is not a document")
    return parsed


def _bson_document(raw: bytes | bytearray | memoryview) -> Document:
    try:
        return bson.decode(bytes(raw), codec_options=_DECODE_OPTIONS)
    except (BSONError, ValueError, IndexError) as e:
        raise DataError(f"not a valid BSON document: {e}") from e


def to_document(schema: Schema | None, value: Any) -> Document:
    """``value`` (a record key or value that is not None) as a BSON document."""
    if isinstance(value, Struct):
        return _struct_document(schema or value.schema, value)
    if isinstance(value, dict):  # even with a MAP schema: the official sink ignores it here
        return _map_document(value)
    if isinstance(value, str):
        return _json_document(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return _bson_document(value)
    raise DataError(f"No converter present due to unexpected object type: {type(value).__name__}")


# -- the pair --------------------------------------------------------------------------------
def clone_value(value: Any) -> Any:
    """A deep copy of a document's containers (BSON scalars are immutable and shared)."""
    if isinstance(value, dict):
        return {k: clone_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clone_value(v) for v in value]
    return value


class SinkDocument:
    """A record's key and value documents, each converted the first time it is read.

    ``key_doc``/``value_doc`` are ``None`` for a null key/value; a conversion failure raises
    :class:`DataError` saying which part of the record could not be converted. Post processors
    change the documents in place, as in the official connector.
    """

    __slots__ = ("_key", "_value", "record")

    def __init__(self, record: SinkRecord) -> None:
        self.record = record
        self._key: Any = _UNSET if record.key is not None else None
        self._value: Any = _UNSET if record.value is not None else None

    @classmethod
    def of(cls, key: Document | None, value: Document | None, record: SinkRecord) -> SinkDocument:
        """A pair of already converted documents (tests, CDC, clones)."""
        doc = cls.__new__(cls)
        doc.record = record
        doc._key = key
        doc._value = value
        return doc

    @property
    def key_doc(self) -> Document | None:
        if self._key is _UNSET:
            self._key = self._convert("key", self.record.key_schema, self.record.key)
        result: Document | None = self._key
        return result

    @property
    def value_doc(self) -> Document | None:
        if self._value is _UNSET:
            self._value = self._convert("value", self.record.value_schema, self.record.value)
        result: Document | None = self._value
        return result

    @staticmethod
    def _convert(what: str, schema: Schema | None, data: Any) -> Document:
        try:
            return to_document(schema, data)
        except DataError as e:
            raise DataError(
                f"Could not convert {what} {_describe(data)} into a BSON document: {e}"
            ) from e

    def has_key(self) -> bool:
        return self._key is not None

    def has_value(self) -> bool:
        return self._value is not None

    def clone(self) -> SinkDocument:
        """An independent copy: converted documents are copied, unconverted ones stay lazy."""
        doc = SinkDocument.__new__(SinkDocument)
        doc.record = self.record
        doc._key = self._key if self._key is _UNSET else clone_value(self._key)
        doc._value = self._value if self._value is _UNSET else clone_value(self._value)
        return doc
