"""Kafka Connect's schema model: types, schemas, fields, the builder and value validation.

Schemas describe the shape of keys and values as they travel between connectors, converters and
transforms. They mirror ``org.apache.kafka.connect.data`` so that a schema built here serializes to
exactly the JSON Kafka Connect writes. Schemas are immutable once built (``SchemaBuilder.build``)
and compare by value, which lets converters and transforms cache on them.
"""

from __future__ import annotations

import builtins
import datetime as _dt
import decimal as _decimal
import enum
from collections.abc import Mapping, Sequence
from typing import Any, Final

from sluice.api.errors import DataError, SchemaBuilderError

__all__ = ["Field", "Schema", "SchemaBuilder", "Type", "validate_value"]


class Type(enum.Enum):
    """The twelve physical types; ``value`` is Kafka's lower-case type name."""

    INT8 = "int8"
    INT16 = "int16"
    INT32 = "int32"
    INT64 = "int64"
    FLOAT32 = "float32"
    FLOAT64 = "float64"
    BOOLEAN = "boolean"
    STRING = "string"
    BYTES = "bytes"
    ARRAY = "array"
    MAP = "map"
    STRUCT = "struct"

    @property
    def is_primitive(self) -> bool:
        """Whether values of this type carry no nested schema."""
        return self not in (Type.ARRAY, Type.MAP, Type.STRUCT)

    # Members are singletons: identity hashing is correct, and it is a C slot instead of
    # Enum's Python-level hash of the name, which showed up in per-record profiles.
    __hash__ = object.__hash__


_INT_RANGES: Final[dict[Type, tuple[int, int]]] = {
    Type.INT8: (-(2**7), 2**7 - 1),
    Type.INT16: (-(2**15), 2**15 - 1),
    Type.INT32: (-(2**31), 2**31 - 1),
    Type.INT64: (-(2**63), 2**63 - 1),
}

DECIMAL_NAME: Final = "org.apache.kafka.connect.data.Decimal"
DATE_NAME: Final = "org.apache.kafka.connect.data.Date"
TIME_NAME: Final = "org.apache.kafka.connect.data.Time"
TIMESTAMP_NAME: Final = "org.apache.kafka.connect.data.Timestamp"


_PLAIN_TYPES: dict[Type, type] = {
    Type.STRING: str,
    Type.BOOLEAN: bool,
    Type.FLOAT64: float,
    Type.FLOAT32: float,
    Type.BYTES: bytes,
}
"""Types whose values need no check beyond their Python class (ints need range checks)."""

_INT_BOUNDS: dict[Type, tuple[int, int]] = {
    Type.INT8: (-(2**7), 2**7 - 1),
    Type.INT16: (-(2**15), 2**15 - 1),
    Type.INT32: (-(2**31), 2**31 - 1),
    Type.INT64: (-(2**63), 2**63 - 1),
}


class Field:
    """A named, positioned member of a struct schema."""

    __slots__ = ("index", "name", "plain", "schema")

    def __init__(self, name: str, index: int, schema: Schema) -> None:
        self.name = name
        self.index = index
        self.schema = schema
        plain = _INT_BOUNDS.get(schema.type) or _PLAIN_TYPES.get(schema.type)
        self.plain: type | tuple[int, int] | None = plain if schema.name is None else None
        """What ``Struct.put`` accepts without a full check: values of exactly this class, or
        ints within these bounds; None for logical types (always checked)."""

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Field)
            and self.name == other.name
            and self.index == other.index
            and self.schema == other.schema
        )

    def __hash__(self) -> int:
        return hash((self.name, self.index))

    def __repr__(self) -> str:
        return f"Field{{name={self.name}, index={self.index}, schema={self.schema!r}}}"


class Schema:
    """An immutable schema; build one with :class:`SchemaBuilder` or use the constants below.

    ``default`` is the value used when a field's value is absent; ``parameters`` carries logical
    type arguments such as a Decimal's ``scale``. ``fields_by_name`` maps a struct's field names to
    its fields (empty for other types; :meth:`field` is the checked lookup). Do not modify it.
    """

    __slots__ = (
        "_field_defaults",
        "_hash",
        "default",
        "doc",
        "fields",
        "fields_by_name",
        "key_schema",
        "name",
        "optional",
        "parameters",
        "type",
        "value_schema",
        "version",
    )

    # Filled in after the class body.
    INT8_SCHEMA: Schema
    INT16_SCHEMA: Schema
    INT32_SCHEMA: Schema
    INT64_SCHEMA: Schema
    FLOAT32_SCHEMA: Schema
    FLOAT64_SCHEMA: Schema
    BOOLEAN_SCHEMA: Schema
    STRING_SCHEMA: Schema
    BYTES_SCHEMA: Schema
    OPTIONAL_INT8_SCHEMA: Schema
    OPTIONAL_INT16_SCHEMA: Schema
    OPTIONAL_INT32_SCHEMA: Schema
    OPTIONAL_INT64_SCHEMA: Schema
    OPTIONAL_FLOAT32_SCHEMA: Schema
    OPTIONAL_FLOAT64_SCHEMA: Schema
    OPTIONAL_BOOLEAN_SCHEMA: Schema
    OPTIONAL_STRING_SCHEMA: Schema
    OPTIONAL_BYTES_SCHEMA: Schema

    def __init__(
        self,
        type: Type,
        optional: bool = False,
        default: Any = None,
        name: str | None = None,
        version: int | None = None,
        doc: str | None = None,
        parameters: Mapping[str, str] | None = None,
        fields: Sequence[Field] | None = None,
        key_schema: Schema | None = None,
        value_schema: Schema | None = None,
    ) -> None:
        self.type = type
        self.optional = optional
        self.name = name
        self.version = version
        self.doc = doc
        self.parameters: dict[str, str] | None = dict(parameters) if parameters else None
        self.fields: tuple[Field, ...] = tuple(fields) if fields is not None else ()
        self.fields_by_name: dict[str, Field] = {f.name: f for f in self.fields}
        # Each field's default, or None when no field has one (Struct.values' common case).
        defaults: tuple[Any, ...] = tuple(f.schema.default for f in self.fields)
        self._field_defaults = defaults if any(d is not None for d in defaults) else None
        self.key_schema = key_schema
        self.value_schema = value_schema
        self._hash: int | None = None
        # Validated while this schema still has no default, so that a struct default (whose own
        # schema is this one without the default) matches, as Kafka's builder allows.
        self.default: Any = None
        if default is not None:
            validate_value(self, default)
        self.default = default

    def field(self, name: str) -> Field | None:
        """The struct field called ``name``; raises for non-struct schemas as Kafka does."""
        if self.type is not Type.STRUCT:
            raise DataError("Cannot look up fields on non-struct type")
        return self.fields_by_name.get(name)

    def _key(self) -> tuple[Any, ...]:
        params = tuple(sorted(self.parameters.items())) if self.parameters else None
        return (
            self.type,
            self.optional,
            self.name,
            self.version,
            self.doc,
            params,
            self.fields,
            self.key_schema,
            self.value_schema,
            _hashable(self.default),
        )

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, Schema):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash((self.type, self.optional, self.name, self.version, len(self.fields)))
        return self._hash

    def __repr__(self) -> str:
        if self.name:
            return f"Schema{{{self.name}:{self.type.name}}}"
        return f"Schema{{{self.type.name}}}"


def _hashable(value: Any) -> Any:
    if isinstance(value, dict):
        return frozenset((_hashable(k), _hashable(v)) for k, v in value.items())
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    return value


def _primitive(t: Type, optional: bool) -> Schema:
    return Schema(t, optional=optional)


Schema.INT8_SCHEMA = _primitive(Type.INT8, False)
Schema.INT16_SCHEMA = _primitive(Type.INT16, False)
Schema.INT32_SCHEMA = _primitive(Type.INT32, False)
Schema.INT64_SCHEMA = _primitive(Type.INT64, False)
Schema.FLOAT32_SCHEMA = _primitive(Type.FLOAT32, False)
Schema.FLOAT64_SCHEMA = _primitive(Type.FLOAT64, False)
Schema.BOOLEAN_SCHEMA = _primitive(Type.BOOLEAN, False)
Schema.STRING_SCHEMA = _primitive(Type.STRING, False)
Schema.BYTES_SCHEMA = _primitive(Type.BYTES, False)
Schema.OPTIONAL_INT8_SCHEMA = _primitive(Type.INT8, True)
Schema.OPTIONAL_INT16_SCHEMA = _primitive(Type.INT16, True)
Schema.OPTIONAL_INT32_SCHEMA = _primitive(Type.INT32, True)
Schema.OPTIONAL_INT64_SCHEMA = _primitive(Type.INT64, True)
Schema.OPTIONAL_FLOAT32_SCHEMA = _primitive(Type.FLOAT32, True)
Schema.OPTIONAL_FLOAT64_SCHEMA = _primitive(Type.FLOAT64, True)
Schema.OPTIONAL_BOOLEAN_SCHEMA = _primitive(Type.BOOLEAN, True)
Schema.OPTIONAL_STRING_SCHEMA = _primitive(Type.STRING, True)
Schema.OPTIONAL_BYTES_SCHEMA = _primitive(Type.BYTES, True)


class SchemaBuilder:
    """Fluent construction of schemas, as Kafka's ``SchemaBuilder``.

    Each attribute may be set once; setting it twice is a :class:`SchemaBuilderError`, which
    catches copy-paste mistakes in connector code early.
    """

    def __init__(self, type: Type) -> None:
        self.type = type
        self._optional: bool | None = None
        self._default: Any = None
        self._name: str | None = None
        self._version: int | None = None
        self._doc: str | None = None
        self._parameters: dict[str, str] = {}
        self._fields: dict[str, Field] = {}
        self._key_schema: Schema | None = None
        self._value_schema: Schema | None = None

    # -- factories -------------------------------------------------------------------------
    @classmethod
    def int8(cls) -> SchemaBuilder:
        return cls(Type.INT8)

    @classmethod
    def int16(cls) -> SchemaBuilder:
        return cls(Type.INT16)

    @classmethod
    def int32(cls) -> SchemaBuilder:
        return cls(Type.INT32)

    @classmethod
    def int64(cls) -> SchemaBuilder:
        return cls(Type.INT64)

    @classmethod
    def float32(cls) -> SchemaBuilder:
        return cls(Type.FLOAT32)

    @classmethod
    def float64(cls) -> SchemaBuilder:
        return cls(Type.FLOAT64)

    @classmethod
    def bool(cls) -> SchemaBuilder:
        return cls(Type.BOOLEAN)

    @classmethod
    def string(cls) -> SchemaBuilder:
        return cls(Type.STRING)

    @classmethod
    def bytes(cls) -> SchemaBuilder:
        return cls(Type.BYTES)

    @classmethod
    def struct(cls) -> SchemaBuilder:
        return cls(Type.STRUCT)

    @classmethod
    def array(cls, value_schema: Schema | SchemaBuilder) -> SchemaBuilder:
        b = cls(Type.ARRAY)
        b._value_schema = _as_schema(value_schema)
        return b

    @classmethod
    def map(
        cls, key_schema: Schema | SchemaBuilder, value_schema: Schema | SchemaBuilder
    ) -> SchemaBuilder:
        b = cls(Type.MAP)
        b._key_schema = _as_schema(key_schema)
        b._value_schema = _as_schema(value_schema)
        return b

    @classmethod
    def type_of(cls, type: Type) -> SchemaBuilder:
        return cls(type)

    @classmethod
    def from_schema(cls, schema: Schema) -> SchemaBuilder:
        """A builder pre-filled with ``schema``'s attributes, for transforms that tweak one."""
        b = cls(schema.type)
        b._optional = schema.optional
        b._name = schema.name
        b._version = schema.version
        b._doc = schema.doc
        b._parameters = dict(schema.parameters or {})
        b._fields = {f.name: f for f in schema.fields}
        b._key_schema = schema.key_schema
        b._value_schema = schema.value_schema
        b._default = schema.default
        return b

    # -- attributes ------------------------------------------------------------------------
    def _check_unset(self, attr: str, current: object, value: object) -> None:
        if current is not None and current != value:
            raise SchemaBuilderError(f"Invalid SchemaBuilder call: {attr} has already been set.")

    def optional(self) -> SchemaBuilder:
        self._check_unset("optional", self._optional, True)
        self._optional = True
        return self

    def required(self) -> SchemaBuilder:
        self._check_unset("optional", self._optional, False)
        self._optional = False
        return self

    def name(self, name: str) -> SchemaBuilder:
        self._check_unset("name", self._name, name)
        self._name = name
        return self

    def version(self, version: int) -> SchemaBuilder:
        self._check_unset("version", self._version, version)
        self._version = version
        return self

    def doc(self, doc: str) -> SchemaBuilder:
        self._check_unset("doc", self._doc, doc)
        self._doc = doc
        return self

    def parameter(self, key: str, value: str) -> SchemaBuilder:
        self._parameters[key] = value
        return self

    def parameters(self, params: Mapping[str, str]) -> SchemaBuilder:
        self._parameters.update(params)
        return self

    def default_value(self, value: Any) -> SchemaBuilder:
        """Set the default, checked at once against what the builder describes so far."""
        self._check_unset("default", self._default, value)
        try:
            validate_value(self.build(), value)
        except DataError as e:
            raise SchemaBuilderError(f"Invalid default value: {e}") from e
        self._default = value
        return self

    def field(self, name: str, schema: Schema | SchemaBuilder) -> SchemaBuilder:
        if self.type is not Type.STRUCT:
            raise SchemaBuilderError("Cannot create fields on type " + self.type.name)
        if not name:
            raise SchemaBuilderError("fieldName cannot be null.")
        if name in self._fields:
            raise SchemaBuilderError(
                "Cannot create field because of field name duplication " + name
            )
        self._fields[name] = Field(name, len(self._fields), _as_schema(schema))
        return self

    @property
    def fields(self) -> tuple[Field, ...]:
        return tuple(self._fields.values())

    @property
    def is_optional(self) -> builtins.bool:
        return bool(self._optional)

    def build(self) -> Schema:
        return Schema(
            self.type,
            optional=bool(self._optional),
            default=self._default,
            name=self._name,
            version=self._version,
            doc=self._doc,
            parameters=self._parameters or None,
            fields=tuple(self._fields.values()) if self.type is Type.STRUCT else None,
            key_schema=self._key_schema,
            value_schema=self._value_schema,
        )

    schema = build


def _as_schema(s: Schema | SchemaBuilder) -> Schema:
    return s.build() if isinstance(s, SchemaBuilder) else s


def _type_name(value: object) -> str:
    return type(value).__name__


def validate_value(schema: Schema | None, value: Any, field: str | None = None) -> None:
    """Raise :class:`DataError` unless ``value`` fits ``schema``.

    The Python classes accepted per type are: ints (not bools) within the type's range, floats,
    bools, str, bytes/bytearray, lists, dicts and :class:`~sluice.api.Struct`; the logical types
    take ``decimal.Decimal``, ``datetime.date``, ``datetime.time`` and ``datetime.datetime``.
    """
    where = f' for field: "{field}"' if field is not None else ""
    if value is None:
        if schema is not None and not schema.optional:
            if field is not None:
                raise DataError(
                    f'Invalid value: null used for required field: "{field}", '
                    f"schema type: {schema.type.name}"
                )
            raise DataError(
                f"Invalid value: null used for required value, schema type: {schema.type.name}"
            )
        return
    if schema is None:
        raise DataError("Invalid value: a schema is required when the value is not null" + where)
    t = schema.type
    name = schema.name
    if name is not None:
        expected: type | tuple[type, ...] | None = None
        if name == DECIMAL_NAME:
            expected = _decimal.Decimal
        elif name == TIMESTAMP_NAME:
            expected = _dt.datetime
        elif name == DATE_NAME:
            if isinstance(value, _dt.date) and not isinstance(value, _dt.datetime):
                return
            raise DataError(
                f"Invalid value of type {_type_name(value)} for logical type Date{where}"
            )
        elif name == TIME_NAME:
            expected = _dt.time
        if expected is not None:
            if not isinstance(value, expected):
                raise DataError(
                    f"Invalid value of type {_type_name(value)} for logical type {name}{where}"
                )
            return
    ok: bool
    if t in _INT_RANGES:
        ok = isinstance(value, int) and not isinstance(value, bool)
        if ok:
            lo, hi = _INT_RANGES[t]
            if not lo <= value <= hi:
                raise DataError(
                    f"Invalid value {value}: out of range for schema type {t.name}{where}"
                )
    elif t is Type.FLOAT32 or t is Type.FLOAT64:
        ok = isinstance(value, float)
    elif t is Type.BOOLEAN:
        ok = isinstance(value, bool)
    elif t is Type.STRING:
        ok = isinstance(value, str)
    elif t is Type.BYTES:
        ok = isinstance(value, (bytes, bytearray, memoryview))
    elif t is Type.ARRAY:
        ok = isinstance(value, list)
        if ok and schema.value_schema is not None:
            for item in value:
                validate_value(schema.value_schema, item, field)
    elif t is Type.MAP:
        ok = isinstance(value, dict)
        if ok:
            for k, v in value.items():
                validate_value(schema.key_schema, k, field)
                validate_value(schema.value_schema, v, field)
    else:  # STRUCT
        from sluice.api.struct import Struct

        ok = isinstance(value, Struct)
        if ok and value.schema != schema:
            raise DataError("Struct schemas do not match.")
        if ok:
            value.validate()
    if not ok:
        raise DataError(
            f"Invalid value of type {_type_name(value)} for schema type {t.name}{where}"
        )
