"""Connect schemas as JSON text, for the ``key.schema`` and ``value.schema`` settings.

Two spellings are read. The one jcustenborder's connectors document and write (connect-utils'
Jackson module: ``{"name": ..., "type": "STRUCT", "isOptional": false, "fieldSchemas": {...}}``)
and the one Kafka's JsonConverter puts in its envelopes (``{"type": "struct", "fields": [...]}``),
so a schema copied from a topic works too. Generated schemas are written in the first spelling,
which is what the Java connector hands its tasks.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
from typing import Any

from sluice.api import ConfigError, DataError, Date, Decimal, Schema, SchemaBuilder, Time, Type
from sluice.api import Timestamp as TimestampType

__all__ = ["schema_from_json", "schema_to_json"]

_TYPES = {t.name: t for t in Type}


def schema_from_json(text: str, key: str) -> Schema:
    """Parse ``text``; a :class:`ConfigError` names ``key`` and what is wrong."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as e:
        raise ConfigError.invalid(key, _short(text), f"Could not read schema: {e}") from None
    if not isinstance(raw, dict):
        raise ConfigError.invalid(key, _short(text), "Could not read schema: not a JSON object")
    try:
        return _parse(raw, "")
    except (DataError, ValueError, TypeError, KeyError) as e:
        raise ConfigError.invalid(key, _short(text), f"Could not read schema: {e}") from None


def _short(text: str) -> str:
    return text if len(text) <= 200 else text[:200] + "..."


def _parse(raw: Any, where: str) -> Schema:
    if not isinstance(raw, dict):
        raise ValueError(f"schema{where} is not a JSON object")
    type_name = raw.get("type")
    if not isinstance(type_name, str):
        raise ValueError(f"schema{where} has no type")
    if "fieldSchemas" in raw or "isOptional" in raw or type_name.isupper():
        return _parse_connect_utils(raw, where)
    return _parse_kafka(raw, where)


def _type(name: str, where: str) -> Type:
    t = _TYPES.get(name.upper())
    if t is None:
        raise ValueError(f"schema{where} has unknown type {name!r}")
    return t


def _parse_connect_utils(raw: dict[str, Any], where: str) -> Schema:
    t = _type(raw["type"], where)
    if t is Type.MAP:
        b = SchemaBuilder.map(
            _parse(raw.get("keySchema"), where + ".keySchema"),
            _parse(raw.get("valueSchema"), where + ".valueSchema"),
        )
    elif t is Type.ARRAY:
        b = SchemaBuilder.array(_parse(raw.get("valueSchema"), where + ".valueSchema"))
    else:
        b = SchemaBuilder.type_of(t)
    if t is Type.STRUCT:
        fields = raw.get("fieldSchemas") or {}
        if not isinstance(fields, dict):
            raise ValueError(f"schema{where}.fieldSchemas is not a JSON object")
        for name, sub in fields.items():
            b.field(name, _parse(sub, f"{where}.{name}"))
    return _finish(b, raw, "isOptional", "defaultValue", where)


def _parse_kafka(raw: dict[str, Any], where: str) -> Schema:
    t = _type(raw["type"], where)
    if t is Type.MAP:
        b = SchemaBuilder.map(
            _parse(raw.get("keys"), where + ".keys"), _parse(raw.get("values"), where + ".values")
        )
    elif t is Type.ARRAY:
        b = SchemaBuilder.array(_parse(raw.get("items"), where + ".items"))
    else:
        b = SchemaBuilder.type_of(t)
    if t is Type.STRUCT:
        for sub in raw.get("fields") or []:
            if not isinstance(sub, dict) or not isinstance(sub.get("field"), str):
                raise ValueError(f"schema{where} has a field without a name")
            b.field(sub["field"], _parse(sub, f"{where}.{sub['field']}"))
    return _finish(b, raw, "optional", "default", where)


def _finish(
    b: SchemaBuilder, raw: dict[str, Any], optional_key: str, default_key: str, where: str
) -> Schema:
    if raw.get("name"):
        b.name(str(raw["name"]))
    if raw.get("doc"):
        b.doc(str(raw["doc"]))
    if raw.get("version") is not None:
        b.version(int(raw["version"]))
    params = raw.get("parameters")
    if params:
        if not isinstance(params, dict):
            raise ValueError(f"schema{where}.parameters is not a JSON object")
        b.parameters({str(k): str(v) for k, v in params.items()})
    if raw.get(optional_key):
        b.optional()
    default = raw.get(default_key)
    if default is not None:
        b.default_value(_default(b.build(), default, where))
    return b.build()


def _default(schema: Schema, value: Any, where: str) -> Any:
    """A JSON default as the Python value the schema takes (logical types included)."""
    name = schema.name
    if name == TimestampType.LOGICAL_NAME and isinstance(value, int):
        return TimestampType.to_logical(schema, value)
    if name == Date.LOGICAL_NAME and isinstance(value, int):
        # Jackson writes java.util.Date as epoch milliseconds.
        return Date.to_logical(schema, value // 86_400_000)
    if name == Time.LOGICAL_NAME and isinstance(value, int):
        return Time.to_logical(schema, value)
    if name == Decimal.LOGICAL_NAME and isinstance(value, (int, float, str)):
        scale = Decimal.scale_of(schema)
        return decimal.Decimal(str(value)).quantize(decimal.Decimal(1).scaleb(-scale))
    t = schema.type
    if t in (Type.FLOAT32, Type.FLOAT64) and isinstance(value, int):
        return float(value)
    if t is Type.BYTES and isinstance(value, str):
        return base64.b64decode(value)
    if t in (Type.STRUCT, Type.MAP, Type.ARRAY):
        raise ValueError(f"schema{where}: defaults of type {t.name} are not supported")
    return value


def schema_to_json(schema: Schema) -> str:
    """``schema`` in connect-utils' spelling (nulls left out), as the Java connector writes it."""
    return json.dumps(_storage(schema), separators=(",", ":"))


def _storage(schema: Schema) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if schema.name:
        out["name"] = schema.name
    if schema.doc:
        out["doc"] = schema.doc
    out["type"] = schema.type.name
    if schema.default is not None:
        out["defaultValue"] = _json_default(schema, schema.default)
    if schema.version is not None:
        out["version"] = schema.version
    if schema.parameters:
        out["parameters"] = dict(schema.parameters)
    out["isOptional"] = schema.optional
    if schema.type is Type.MAP:
        assert schema.key_schema is not None and schema.value_schema is not None
        out["keySchema"] = _storage(schema.key_schema)
        out["valueSchema"] = _storage(schema.value_schema)
    elif schema.type is Type.ARRAY:
        assert schema.value_schema is not None
        out["valueSchema"] = _storage(schema.value_schema)
    elif schema.type is Type.STRUCT:
        out["fieldSchemas"] = {f.name: _storage(f.schema) for f in schema.fields}
    return out


def _json_default(schema: Schema, value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return TimestampType.from_logical(schema, value)
    if isinstance(value, dt.date):
        return Date.from_logical(schema, value) * 86_400_000
    if isinstance(value, dt.time):
        return Time.from_logical(schema, value)
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value
