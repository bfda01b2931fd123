"""Which columns a record fills, and which of them form the primary key (``pk.mode``).

As the Confluent sink: ``kafka`` keys rows by ``__connect_topic``/``__connect_partition``/
``__connect_offset``; ``record_key`` takes a primitive key as the one ``pk.fields`` column or a
struct key's fields; ``record_value`` takes ``pk.fields`` (or every field) from the value; the
other value fields (narrowed by ``fields.whitelist``) fill the remaining columns. Records without
schemas (JSON with ``schemas.enable=false``) are planned from their map's keys, with column types
inferred from the values when the table must be created.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sluice.api import DataError, Schema, SinkRecord, Struct, Type
from sluice.connectors.jdbc.sink_config import DEFAULT_KAFKA_PK_NAMES, PkMode, SinkSettings
from sluice.connectors.jdbc.sink_values import (
    INLINE_DROP_UTC,
    INLINE_KEEP_UTC,
    INLINE_TYPE,
    inline_form,
)

__all__ = ["FieldSpec", "RecordPlan", "compile_extractor", "infer_schema", "plan_record"]

Getter = Callable[[SinkRecord], Any]


PART_OTHER, PART_KEY, PART_VALUE = 0, 1, 2


@dataclass(frozen=True)
class FieldSpec:
    """One column a record fills: its name, the Connect schema (for DDL), how to read it.

    ``part``/``index`` locate a struct field (key or value) so rows can be read by position;
    ``getter`` reads any record, whatever its shape.
    """

    name: str
    schema: Schema
    is_key: bool
    getter: Getter = field(compare=False, repr=False)
    part: int = PART_OTHER
    index: int = -1
    default: Any = field(default=None, compare=False)
    inferred: bool = False
    """The schema was guessed from a schemaless value: bind by the column's type instead."""


@dataclass(frozen=True)
class RecordPlan:
    keys: tuple[FieldSpec, ...]
    others: tuple[FieldSpec, ...]

    @property
    def fields(self) -> tuple[FieldSpec, ...]:
        return self.keys + self.others

    @property
    def signature(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return tuple(f.name for f in self.keys), tuple(f.name for f in self.others)


def infer_schema(value: Any, optional: bool = True) -> Schema:
    """A schema for a schemaless value: JSON numbers, strings, booleans; nested data as text."""
    if isinstance(value, bool):
        return Schema.OPTIONAL_BOOLEAN_SCHEMA if optional else Schema.BOOLEAN_SCHEMA
    if isinstance(value, int):
        return Schema.OPTIONAL_INT64_SCHEMA if optional else Schema.INT64_SCHEMA
    if isinstance(value, float):
        return Schema.OPTIONAL_FLOAT64_SCHEMA if optional else Schema.FLOAT64_SCHEMA
    if isinstance(value, bytes | bytearray):
        return Schema.OPTIONAL_BYTES_SCHEMA if optional else Schema.BYTES_SCHEMA
    return Schema.OPTIONAL_STRING_SCHEMA if optional else Schema.STRING_SCHEMA


def _struct_getter(part: str, name: str, with_default: bool) -> Getter:
    def get(record: SinkRecord) -> Any:
        holder = record.key if part == "key" else record.value
        if holder is None:
            return None
        if isinstance(holder, Struct):
            return holder.get(name) if with_default else holder.get_without_default(name)
        if isinstance(holder, Mapping):
            return holder.get(name)
        raise DataError(f"Record {part} is a {type(holder).__name__}, not a struct or map")

    return get


def _whole_key(record: SinkRecord) -> Any:
    return record.key


def _topic(record: SinkRecord) -> Any:
    return record.topic


def _partition(record: SinkRecord) -> Any:
    return record.kafka_partition


def _offset(record: SinkRecord) -> Any:
    return record.kafka_offset


def _describe(record: SinkRecord) -> str:
    return (
        f"(topic='{record.topic}',partition={record.kafka_partition},"
        f"offset={record.kafka_offset},timestamp={record.timestamp})"
    )


def _value_fields(record: SinkRecord, settings: SinkSettings) -> list[tuple[str, Schema]] | None:
    """The value's fields with schemas (inferred for maps); None for a tombstone."""
    value, schema = record.value, record.value_schema
    if value is None:
        return None
    if schema is not None:
        if schema.type is not Type.STRUCT:
            raise DataError(
                f"Value schema must be of type Struct, but is {schema.type.name} for record "
                f"{_describe(record)}"
            )
        return [(f.name, f.schema) for f in schema.fields]
    if isinstance(value, Mapping):
        return [(str(k), infer_schema(v)) for k, v in value.items()]
    raise DataError(
        f"Record {_describe(record)} has a {type(value).__name__} value without a schema: "
        "the sink needs a struct (or a JSON object)"
    )


def plan_record(record: SinkRecord, settings: SinkSettings, table: str) -> RecordPlan:
    """The columns ``record`` fills under ``settings``; raises :class:`DataError` if it cannot."""
    with_default = settings.replace_null_with_default
    keys: list[FieldSpec] = []
    mode = settings.pk_mode
    values = _value_fields(record, settings)
    positions = {name: i for i, (name, _) in enumerate(values or [])}
    struct_value = record.value_schema is not None
    if mode is PkMode.KAFKA:
        names = settings.pk_fields or list(DEFAULT_KAFKA_PK_NAMES)
        keys = [
            FieldSpec(names[0], Schema.STRING_SCHEMA, True, _topic),
            FieldSpec(names[1], Schema.INT32_SCHEMA, True, _partition),
            FieldSpec(names[2], Schema.INT64_SCHEMA, True, _offset),
        ]
    elif mode is PkMode.RECORD_KEY:
        keys = _record_key_fields(record, settings, table)
    elif mode is PkMode.RECORD_VALUE:
        if values is None:
            raise DataError(
                f"PK mode for table '{table}' is record_value, but record {_describe(record)} "
                "has no value"
            )
        by_name = dict(values)
        names = settings.pk_fields or [n for n, _ in values]
        for name in names:
            if name not in by_name:
                raise DataError(
                    f"PK mode for table '{table}' is record_value with configured PK fields "
                    f"{settings.pk_fields}, but record value schema does not contain field: "
                    f"{name}"
                )
            keys.append(
                _value_spec(
                    name,
                    _required(by_name[name]),
                    True,
                    record,
                    positions,
                    struct_value,
                    with_default,
                )
            )
    key_names = {k.name for k in keys}
    others: list[FieldSpec] = []
    for name, schema in values or []:
        if name in key_names:
            continue
        if settings.fields_whitelist and name not in settings.fields_whitelist:
            continue
        others.append(
            _value_spec(name, schema, False, record, positions, struct_value, with_default)
        )
    if not keys and not others:
        raise DataError(f"No fields found using key and value schemas for table: {table}")
    return RecordPlan(tuple(keys), tuple(others))


def _value_spec(
    name: str,
    schema: Schema,
    is_key: bool,
    record: SinkRecord,
    positions: dict[str, int],
    struct_value: bool,
    with_default: bool,
) -> FieldSpec:
    vschema = record.value_schema
    field_schema = vschema.field(name) if struct_value and vschema is not None else None
    default = field_schema.schema.default if field_schema is not None and with_default else None
    return FieldSpec(
        name,
        schema,
        is_key,
        _struct_getter("value", name, with_default),
        PART_VALUE if struct_value else PART_OTHER,
        positions.get(name, -1),
        default,
        not struct_value,
    )


def _required(schema: Schema) -> Schema:
    """Primary key columns are NOT NULL whatever the field's schema says."""
    if not schema.optional:
        return schema
    return Schema(
        schema.type,
        optional=False,
        name=schema.name,
        version=schema.version,
        parameters=schema.parameters,
        fields=schema.fields,
        key_schema=schema.key_schema,
        value_schema=schema.value_schema,
    )


def _record_key_fields(record: SinkRecord, settings: SinkSettings, table: str) -> list[FieldSpec]:
    key, schema = record.key, record.key_schema
    if key is None:
        raise DataError(
            f"PK mode for table '{table}' is record_key, but record {_describe(record)} has a "
            "null key"
        )
    if schema is None:
        if isinstance(key, Mapping):
            fields: Sequence[tuple[str, Schema]] = [
                (str(k), infer_schema(v, optional=False)) for k, v in key.items()
            ]
        else:
            fields = [("", infer_schema(key, optional=False))]
            schema = fields[0][1]
    else:
        fields = [(f.name, f.schema) for f in schema.fields] if schema.type is Type.STRUCT else []
    if schema is not None and schema.type.is_primitive:
        if len(settings.pk_fields) != 1:
            raise DataError(
                "Need exactly one PK column defined since the key schema for records is a "
                f"primitive type, defined columns are: {settings.pk_fields}"
            )
        return [
            FieldSpec(
                settings.pk_fields[0],
                _required(schema),
                True,
                _whole_key,
                inferred=record.key_schema is None,
            )
        ]
    if schema is not None and schema.type is not Type.STRUCT:
        raise DataError(
            f"Key schema must be primitive type or Struct, but is of type: {schema.type.name}"
        )
    by_name = dict(fields)
    names = settings.pk_fields or [n for n, _ in fields]
    out = []
    for name in names:
        if name not in by_name:
            raise DataError(
                f"PK mode for table '{table}' is record_key with configured PK fields "
                f"{settings.pk_fields}, but record key schema does not contain field: {name}"
            )
        index = [n for n, _ in fields].index(name)
        out.append(
            FieldSpec(
                name,
                _required(by_name[name]),
                True,
                _struct_getter("key", name, True),
                PART_KEY if record.key_schema is not None else PART_OTHER,
                index,
                None,
                record.key_schema is None,
            )
        )
    return out


def compile_extractor(
    plan: RecordPlan,
    binders: Sequence[Callable[[Any], Any] | None],
    key_schema: Schema | None,
    value_schema: Schema | None,
) -> Callable[[SinkRecord], tuple[Any, ...]]:
    """A function turning a record of this shape into its parameter row (keys, then others).

    Structs whose schema is the very one the plan was made for are read by position through a
    function generated for the plan: one tuple display with each field's default and binder
    spelled out, so a record costs no loop over fields and no per-field branching. Anything else
    (maps, structs of another schema object) goes through each field's getter.
    """
    steps = [
        (spec.part, spec.index, spec.default, spec.getter, binder)
        for spec, binder in zip(plan.fields, binders, strict=True)
    ]
    struct_type = Struct

    def generic(record: SinkRecord) -> tuple[Any, ...]:
        value = record.value
        vvals = (
            value.stored_values
            if type(value) is struct_type and value.schema is value_schema
            else None
        )
        key = record.key
        kvals = key.stored_values if type(key) is struct_type and key.schema is key_schema else None
        out = []
        for part, index, default, getter, bind in steps:
            if part == PART_VALUE and vvals is not None:
                v = vvals[index]
                if v is None:
                    v = default
            elif part == PART_KEY and kvals is not None:
                v = kvals[index]
            else:
                v = getter(record)
            if v is not None and bind is not None:
                v = bind(v)
            out.append(v)
        return tuple(out)

    return _compiled_extractor(steps, key_schema, value_schema, generic)


_Step = tuple[int, int, Any, Getter, Callable[[Any], Any] | None]


def _bound_expression(n: int, bind: Callable[[Any], Any], scope: dict[str, Any]) -> str:
    """Source for binder ``b{n}`` applied to a non-NULL ``x``: the binder's commonest input
    handled in line (see :func:`~sluice.connectors.jdbc.sink_values.inline_form`), the rest
    through the binder itself."""
    form = inline_form(bind)
    if form is None:
        return f"b{n}(x)"
    kind, exact = form
    if kind == INLINE_DROP_UTC:
        return f"(x.replace(tzinfo=None) if type(x) is datetime and x.tzinfo is UTC else b{n}(x))"
    if kind == INLINE_KEEP_UTC:
        return f"(x if type(x) is datetime and x.tzinfo is UTC else b{n}(x))"
    if kind == INLINE_TYPE and exact is not None:
        scope[f"t{n}"] = exact
        return f"(x if type(x) is t{n} else b{n}(x))"
    return f"b{n}(x)"


def _compiled_extractor(
    steps: Sequence[_Step],
    key_schema: Schema | None,
    value_schema: Schema | None,
    generic: Callable[[SinkRecord], tuple[Any, ...]],
) -> Callable[[SinkRecord], tuple[Any, ...]]:
    """``generic``'s twin generated for ``steps``: same values, one expression per column.

    The generated source names only positions and the objects in its scope (binders, defaults,
    getters), never field names; records whose key or value is not a struct of the planned
    schema object take ``generic``.
    """
    scope: dict[str, Any] = {
        "Struct": Struct,
        "vschema": value_schema,
        "kschema": key_schema,
        "generic": generic,
        "datetime": dt.datetime,
        "UTC": dt.UTC,
    }
    items: list[str] = []
    uses_value = uses_key = False
    for n, (part, index, default, getter, bind) in enumerate(steps):
        bound = ""
        if bind is not None:
            scope[f"b{n}"] = bind
            bound = _bound_expression(n, bind, scope)
        if part == PART_VALUE:
            uses_value = True
            raw = f"v[{int(index)}]"
            if default is not None:
                scope[f"d{n}"] = default
                if bind is None:
                    items.append(f"(d{n} if (x := {raw}) is None else x)")
                else:
                    items.append(f"(b{n}(d{n}) if (x := {raw}) is None else {bound})")
                continue
        elif part == PART_KEY:
            uses_key = True
            raw = f"k[{int(index)}]"
        else:
            scope[f"g{n}"] = getter
            raw = f"g{n}(record)"
        items.append(raw if bind is None else f"(None if (x := {raw}) is None else {bound})")
    lines = ["def extract(record):"]
    if uses_value:
        lines += [
            "    value = record.value",
            "    if type(value) is not Struct or value.schema is not vschema:",
            "        return generic(record)",
            "    v = value.stored_values",
        ]
    if uses_key:
        lines += [
            "    key = record.key",
            "    if type(key) is not Struct or key.schema is not kschema:",
            "        return generic(record)",
            "    k = key.stored_values",
        ]
    lines.append("    return (" + "".join(item + ", " for item in items) + ")")
    exec(compile("\n".join(lines) + "\n", "<sluice.jdbc.extractor>", "exec"), scope)
    extract: Callable[[SinkRecord], tuple[Any, ...]] = scope["extract"]
    return extract
