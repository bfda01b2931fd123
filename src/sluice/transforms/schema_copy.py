"""Schema helpers shared by the transforms: copying a schema's identity, typing schemaless data."""

from __future__ import annotations

from typing import Any

from sluice.api.schema import Schema, SchemaBuilder, Type
from sluice.api.struct import Struct

__all__ = ["copy_schema_basics", "schemaless_type"]


def copy_schema_basics(source: Schema, builder: SchemaBuilder | None = None) -> SchemaBuilder:
    """A builder carrying ``source``'s name, version, doc and parameters (not optionality,
    default or fields), as Kafka's ``SchemaUtil.copySchemaBasics``.

    Without ``builder`` a builder of the same type is made (arrays keep their element schema).
    """
    if builder is None:
        if source.type is Type.ARRAY:
            assert source.value_schema is not None
            builder = SchemaBuilder.array(source.value_schema)
        else:
            builder = SchemaBuilder(source.type)
    if source.name is not None:
        builder.name(source.name)
    if source.version is not None:
        builder.version(source.version)
    if source.doc is not None:
        builder.doc(source.doc)
    if source.parameters:
        builder.parameters(source.parameters)
    return builder


def schemaless_type(value: Any) -> Type | None:
    """The Connect type of a schemaless value (``ConnectSchema.schemaType``), or ``None``.

    Python ints count as INT64 and floats as FLOAT64, which is what schemaless JSON yields.
    Decimals and dates have no schemaless type, as in Kafka.
    """
    if isinstance(value, bool):
        return Type.BOOLEAN
    if isinstance(value, int):
        return Type.INT64
    if isinstance(value, float):
        return Type.FLOAT64
    if isinstance(value, str):
        return Type.STRING
    if isinstance(value, (bytes, bytearray, memoryview)):
        return Type.BYTES
    if isinstance(value, list):
        return Type.ARRAY
    if isinstance(value, dict):
        return Type.MAP
    if isinstance(value, Struct):
        return Type.STRUCT
    return None
