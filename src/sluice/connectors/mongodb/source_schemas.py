"""Schema'd output (``output.format.*=schema``): Avro schema text to Connect schemas, BSON
documents to Structs, and schema inference (``output.schema.infer.value``).

The official connector describes its schemas in Avro JSON (``output.schema.key`` and
``output.schema.value``, whose defaults are below) and turns each change event into a Struct of
that shape: fields are looked up by name (or dotted path), documents land in string fields as JSON
text written by ``output.json.formatter``, other values in string fields as the JSON of the value
alone, dates and BSON timestamps in numeric fields as epoch milliseconds. With inference, each
document gets a schema of its own: ``_id`` first, the other fields sorted by name, sub-documents
as optional structs named by their path (``fullDocument_address``), nulls and empty arrays as
optional strings that give way to any other type, and conflicting array element types as strings.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any, Final

import bson
from bson import Decimal128, Int64, MaxKey, MinKey, ObjectId, Regex, Timestamp
from bson.binary import Binary
from bson.code import Code
from bson.datetime_ms import DatetimeMS

from sluice.api import (
    ConnectError,
    DataError,
    Decimal,
    Schema,
    SchemaBuilder,
    Struct,
    Type,
)
from sluice.api import Timestamp as TimestampType
from sluice.connectors.mongodb.json_formatters import JsonFormatter

__all__ = [
    "DEFAULT_KEY_SCHEMA",
    "DEFAULT_VALUE_SCHEMA",
    "AvroSchemaError",
    "bson_type_name",
    "infer_document_schema",
    "parse_avro_schema",
    "to_connect",
]

DEFAULT_KEY_SCHEMA: Final = (
    '{"type": "record", "name": "keySchema", "fields": [{"name": "_id", "type": "string"}]}'
)
"""``output.schema.key``'s default: the resume token, as JSON text, under ``_id``."""

DEFAULT_VALUE_SCHEMA: Final = json.dumps(
    {
        "name": "ChangeStream",
        "type": "record",
        "fields": [
            {"name": "_id", "type": "string"},
            {"name": "operationType", "type": ["string", "null"]},
            {"name": "fullDocumentBeforeChange", "type": ["string", "null"]},
            {"name": "fullDocument", "type": ["string", "null"]},
            {
                "name": "ns",
                "type": [
                    {
                        "name": "ns",
                        "type": "record",
                        "fields": [
                            {"name": "db", "type": "string"},
                            {"name": "coll", "type": ["string", "null"]},
                        ],
                    },
                    "null",
                ],
            },
            {
                "name": "to",
                "type": [
                    {
                        "name": "to",
                        "type": "record",
                        "fields": [
                            {"name": "db", "type": "string"},
                            {"name": "coll", "type": ["string", "null"]},
                        ],
                    },
                    "null",
                ],
            },
            {"name": "documentKey", "type": ["string", "null"]},
            {
                "name": "updateDescription",
                "type": [
                    {
                        "name": "updateDescription",
                        "type": "record",
                        "fields": [
                            {"name": "updatedFields", "type": ["string", "null"]},
                            {
                                "name": "removedFields",
                                "type": [{"type": "array", "items": "string"}, "null"],
                            },
                            {
                                "name": "truncatedArrays",
                                "type": [
                                    {
                                        "type": "array",
                                        "items": {
                                            "type": "record",
                                            "name": "truncatedArray",
                                            "fields": [
                                                {"name": "field", "type": "string"},
                                                {"name": "newSize", "type": "int"},
                                            ],
                                        },
                                    },
                                    "null",
                                ],
                            },
                            {"name": "disambiguatedPaths", "type": ["string", "null"]},
                        ],
                    },
                    "null",
                ],
            },
            {"name": "clusterTime", "type": ["string", "null"]},
            {"name": "wallTime", "type": ["long", "null"]},
            {"name": "txnNumber", "type": ["long", "null"]},
            {
                "name": "lsid",
                "type": [
                    {
                        "name": "lsid",
                        "type": "record",
                        "fields": [
                            {"name": "id", "type": "string"},
                            {"name": "uid", "type": "string"},
                        ],
                    },
                    "null",
                ],
            },
        ],
    }
)
"""``output.schema.value``'s default: the change event, documents as JSON strings."""


class AvroSchemaError(ConnectError):
    """An ``output.schema.*`` value that is not an Avro schema the connector can use."""


# -- Avro JSON to Connect schemas ---------------------------------------------------------------
_PRIMITIVES: Final[dict[str, Type]] = {
    "string": Type.STRING,
    "bytes": Type.BYTES,
    "int": Type.INT32,
    "long": Type.INT64,
    "float": Type.FLOAT32,
    "double": Type.FLOAT64,
    "boolean": Type.BOOLEAN,
}


def parse_avro_schema(text: str) -> Schema:
    """The Connect schema for an Avro record schema, checked as the official connector checks it.

    Unions must be a type and ``null`` (an optional value); ``enum`` and ``fixed`` are refused
    (the connector would not check their values), and the top level must be a record.
    """
    try:
        node = json.loads(text)
    except ValueError as e:
        raise AvroSchemaError(f"Invalid Avro schema. {e}\n{text}") from e
    if not (isinstance(node, dict) and node.get("type") == "record"):
        raise AvroSchemaError("Only Record schemas are supported at the top-level.")
    return _avro(node, False, None, "", {}, ())


def _fail(message: str, path: str) -> AvroSchemaError:
    return AvroSchemaError(f"Field '{path}' is invalid. {message}" if path else message)


def _avro(
    node: Any,
    optional: bool,
    default: Any,
    path: str,
    names: dict[str, Any],
    enclosing: tuple[str, ...],
) -> Schema:
    if isinstance(node, list):
        kinds = [n for n in node if n != "null"]
        if len(node) != 2 or len(kinds) != 1:
            raise _fail(
                "Union Schemas are not supported, unless one value is null to represent an "
                "optional value.",
                path,
            )
        return _avro(kinds[0], True, None, path, names, enclosing)
    if isinstance(node, str):
        if node in _PRIMITIVES:
            return _primitive(_PRIMITIVES[node], optional, default)
        if node in names:
            if node in enclosing:
                raise _fail(f"Recursive record '{node}' is not supported.", path)
            return _avro(names[node], optional, default, path, names, enclosing)
        if node == "null":
            raise _fail("Unsupported Avro schema type: 'NULL'.", path)
        raise AvroSchemaError(f'Invalid Avro schema. Undefined name: "{node}"')
    if not isinstance(node, dict) or "type" not in node:
        raise AvroSchemaError(f"Invalid Avro schema. Not a schema: {node!r}")
    kind = node["type"]
    if isinstance(kind, list | dict):
        return _avro(kind, optional, default, path, names, enclosing)
    if kind == "record":
        name = str(node.get("name", ""))
        namespace = node.get("namespace")
        full = f"{namespace}.{name}" if namespace else name
        names[name] = node
        names[full] = node
        builder = SchemaBuilder.struct().name(full)
        for field in node.get("fields", []):
            fname = str(field["name"])
            child = f"{path}.{fname}" if path else fname
            builder.field(
                fname,
                _avro(field["type"], False, field.get("default"), child, names, (*enclosing, name)),
            )
        if optional:
            builder.optional()
        if default is not None and isinstance(default, Mapping):
            probe = builder.build()
            struct = Struct(probe)
            for f in probe.fields:
                if f.name in default:
                    struct.put(f.name, default[f.name])
            builder.default_value(struct)
        return builder.build()
    if kind == "array":
        items = _avro(node.get("items"), False, None, path, names, enclosing)
        array = SchemaBuilder.array(items)
        return (array.optional() if optional else array).build()
    if kind == "map":
        values = _avro(node.get("values"), False, None, path, names, enclosing)
        mapping = SchemaBuilder.map(Schema.STRING_SCHEMA, values)
        return (mapping.optional() if optional else mapping).build()
    if kind in ("enum", "fixed"):
        what = "the values" if kind == "enum" else "the length"
        hint = "string" if kind == "enum" else "bytes"
        raise _fail(
            f"Unsupported Avro schema type: '{kind.upper()}'. The connector will not validate "
            f"{what}. Use {hint} instead.",
            path,
        )
    if kind in _PRIMITIVES:
        return _primitive(_PRIMITIVES[kind], optional, default)
    raise _fail(f"Unsupported Avro schema type: '{str(kind).upper()}'.", path)


def _primitive(t: Type, optional: bool, default: Any) -> Schema:
    builder = SchemaBuilder.type_of(t)
    if optional:
        builder.optional()
    if default is not None:
        if t is Type.BYTES and isinstance(default, str):
            default = default.encode("latin-1")
        elif t in (Type.FLOAT32, Type.FLOAT64):
            default = float(default)
        builder.default_value(default)
    return builder.build()


# -- BSON values to Connect values --------------------------------------------------------------
_BSON_TYPE_NAMES: Final[dict[type, str]] = {
    bool: "boolean",
    int: "int32",
    Int64: "int64",
    float: "double",
    str: "string",
    dict: "document",
    list: "array",
    ObjectId: "object_id",
    Decimal128: "decimal128",
    Timestamp: "timestamp",
    DatetimeMS: "date_time",
    dt.datetime: "date_time",
    bytes: "binary",
    Binary: "binary",
    Regex: "regular_expression",
    Code: "javascript",
    MinKey: "min_key",
    MaxKey: "max_key",
    type(None): "null",
}


def bson_type_name(value: Any) -> str:
    """The BSON type of a decoded value, named as the Java driver's ``BsonType`` (lower case)."""
    name = _BSON_TYPE_NAMES.get(type(value))
    if name is not None:
        return name
    if isinstance(value, Mapping):
        return "document"
    if isinstance(value, list | tuple):
        return "array"
    return type(value).__name__.lower()


def _unexpected(t: Type, value: Any) -> DataError:
    return DataError(f"Schema type of {t.value} but value was of type: {bson_type_name(value)}")


_EPOCH: Final = dt.datetime(1970, 1, 1)


def _millis(value: dt.datetime) -> int:
    naive = value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value
    delta = naive - _EPOCH
    return delta.days * 86_400_000 + delta.seconds * 1000 + delta.microseconds // 1000


_INT_RANGES: Final = {
    Type.INT8: (-(2**7), 2**7 - 1),
    Type.INT16: (-(2**15), 2**15 - 1),
    Type.INT32: (-(2**31), 2**31 - 1),
    Type.INT64: (-(2**63), 2**63 - 1),
}


def _number(schema: Schema, value: Any) -> Any:
    number: int | float
    if isinstance(value, bool) or not isinstance(value, int | float | Timestamp | dt.datetime):
        if type(value) is DatetimeMS:
            number = int(value)
        else:
            raise _unexpected(schema.type, value)
    elif isinstance(value, Timestamp):
        number = value.time * 1000  # seconds to milliseconds, as the connector normalises
    elif isinstance(value, dt.datetime):
        number = _millis(value)
    else:
        number = value
    t = schema.type
    if t in _INT_RANGES:
        low, high = _INT_RANGES[t]
        whole = int(number)
        if whole != number or not low <= whole <= high:
            raise DataError(f"Value {number} does not fit the {t.value} schema")
        result: Any = whole
    else:
        result = float(number)
    name = schema.name
    if name == TimestampType.LOGICAL_NAME:
        return _EPOCH.replace(tzinfo=dt.UTC) + dt.timedelta(milliseconds=int(result))
    if name == "org.apache.kafka.connect.data.Date":
        return (_EPOCH + dt.timedelta(milliseconds=int(result))).date()
    if name == "org.apache.kafka.connect.data.Time":
        return (_EPOCH + dt.timedelta(milliseconds=int(result))).time()
    return result


def _string(value: Any, formatter: JsonFormatter) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return formatter.dumps(value)
    return formatter.value_text(value)


def _bytes(schema: Schema, value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, bytes):
        return bytes(value)
    if isinstance(value, Decimal128) and schema.name == Decimal.LOGICAL_NAME:
        return value.to_decimal()
    if isinstance(value, Mapping):
        return bson.encode(value)
    raise _unexpected(Type.BYTES, value)


def lookup(document: Mapping[str, Any], path: str) -> tuple[bool, Any]:
    """``(found, value)`` for a field name, or a dotted path into sub-documents."""
    if path in document:
        return True, document[path]
    if "." in path and not path.endswith("."):
        head, rest = path.split(".", 1)
        sub = document.get(head)
        if isinstance(sub, Mapping):
            return lookup(sub, rest)
    return False, None


def to_connect(schema: Schema, value: Any, formatter: JsonFormatter) -> Any:
    """``value`` shaped for ``schema``; :class:`DataError` when it cannot be."""
    if value is None and schema.optional:
        return None
    t = schema.type
    if t is Type.STRING:
        return _string(value, formatter)
    if t is Type.STRUCT:
        if not isinstance(value, Mapping):
            raise _unexpected(t, value)
        values: list[Any] = []
        for field in schema.fields:
            found, item = lookup(value, field.name)
            if found:
                values.append(to_connect(field.schema, item, formatter))
            elif field.schema.optional or field.schema.default is not None:
                values.append(field.schema.default)
            else:
                raise DataError(f"Missing field '{field.name}' in: '{formatter.dumps(value)}'")
        return Struct.trusted(schema, values)
    if t in (Type.INT8, Type.INT16, Type.INT32, Type.INT64, Type.FLOAT32, Type.FLOAT64):
        return _number(schema, value)
    if t is Type.BOOLEAN:
        if not isinstance(value, bool):
            raise _unexpected(t, value)
        return value
    if t is Type.BYTES:
        return _bytes(schema, value)
    if t is Type.ARRAY:
        if not isinstance(value, list | tuple):
            raise _unexpected(t, value)
        assert schema.value_schema is not None
        return [to_connect(schema.value_schema, v, formatter) for v in value]
    if t is Type.MAP:
        if not isinstance(value, Mapping):
            raise _unexpected(t, value)
        assert schema.value_schema is not None
        if schema.key_schema is None or schema.key_schema.type is not Type.STRING:
            raise ConnectError(f"Unsupported Schema type: {t.name} . Unexpected key schema type.")
        return {k: to_connect(schema.value_schema, v, formatter) for k, v in value.items()}
    raise ConnectError(f"Unsupported Schema type: {t.name} ")


# -- inference ----------------------------------------------------------------------------------
DEFAULT_FIELD_NAME: Final = "default"
_SENTINEL: Final = Schema(Type.STRING, optional=True)
"""Stands for "no type yet" (a null, an empty array); compared by identity, as the original."""
_INCOMPATIBLE: Final = Schema.OPTIONAL_STRING_SCHEMA


def infer_document_schema(document: Mapping[str, Any]) -> Schema:
    """The schema ``output.schema.infer.value`` gives one document (a required struct)."""
    return _struct_builder(DEFAULT_FIELD_NAME, document).build()


def _path(parent: str, name: str) -> str:
    return name if parent == DEFAULT_FIELD_NAME else f"{parent}_{name}"


def _struct_builder(path: str, document: Mapping[str, Any]) -> SchemaBuilder:
    builder = SchemaBuilder.struct().name(path)
    if "_id" in document:
        builder.field("_id", _infer("_id", document["_id"]))
    for key in sorted(k for k in document if k != "_id"):
        builder.field(key, _infer(_path(path, key), document[key]))
    return builder


def _infer(path: str, value: Any) -> Schema:
    t = type(value)
    if t is bool:
        return Schema.OPTIONAL_BOOLEAN_SCHEMA
    if t is int:
        return (
            Schema.OPTIONAL_INT32_SCHEMA
            if -(2**31) <= value < 2**31
            else Schema.OPTIONAL_INT64_SCHEMA
        )
    if t is Int64:
        return Schema.OPTIONAL_INT64_SCHEMA
    if t is float:
        return Schema.OPTIONAL_FLOAT64_SCHEMA
    if t is Decimal128:
        exponent = value.to_decimal().as_tuple().exponent
        if not isinstance(exponent, int):
            raise DataError(f"Cannot infer a Decimal schema for {value}")
        return Decimal.builder(-exponent).optional().build()
    if t is Timestamp or t is DatetimeMS or isinstance(value, dt.datetime):
        return TimestampType.builder().optional().build()
    if isinstance(value, Mapping):
        return _struct_builder(path, value).optional().build()
    if isinstance(value, list | tuple):
        combined = _SENTINEL
        for item in value:
            combined = _combine(combined, _infer(path, item))
            if combined is _INCOMPATIBLE:
                break
        return SchemaBuilder.array(combined).name(path).optional().build()
    if isinstance(value, bytes):
        return Schema.OPTIONAL_BYTES_SCHEMA
    if value is None:
        return _SENTINEL
    return Schema.OPTIONAL_STRING_SCHEMA


def _combine(first: Schema, second: Schema) -> Schema:
    if first is _SENTINEL:
        return second
    if second is _SENTINEL:
        return first
    if first == second:
        return first
    if first.type is not second.type:
        return _INCOMPATIBLE
    if first.type is Type.ARRAY:
        assert first.value_schema is not None and second.value_schema is not None
        element = _combine(first.value_schema, second.value_schema)
        builder = SchemaBuilder.array(element).optional()
        if first.name:
            builder.name(first.name)
        return builder.build()
    if first.type is Type.STRUCT:
        builder = SchemaBuilder.struct().optional()
        if first.name:
            builder.name(first.name)
        names = ["_id"] if first.field("_id") or second.field("_id") else []
        rest = {f.name for f in first.fields} | {f.name for f in second.fields}
        names += sorted(rest - {"_id"})
        for name in names:
            a, b = first.field(name), second.field(name)
            if a is None:
                assert b is not None
                builder.field(name, b.schema)
            elif b is None or a.schema == b.schema or b.schema is _SENTINEL:
                builder.field(name, a.schema)
            elif a.schema is _SENTINEL:
                builder.field(name, b.schema)
            else:
                builder.field(name, _combine(a.schema, b.schema))
        return builder.build()
    return _INCOMPATIBLE
