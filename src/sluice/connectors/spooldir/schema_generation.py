"""Schemas generated from a file's field names, as the Java connector generates them.

Every field becomes an optional string (``schema.generation.enabled`` infers names, not types). The
value struct holds all fields in file order and is named ``schema.generation.value.name``; the key
struct holds the ``schema.generation.key.fields`` found in the file, in the order configured, and is
named ``schema.generation.key.name``, so with no key fields the key is an empty struct.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sluice.api import DataError, Schema, SchemaBuilder, SchemaBuilderError

__all__ = ["csv_column_names", "generate_schemas"]

log = logging.getLogger(__name__)


def csv_column_names(count: int) -> list[str]:
    """Names for a CSV without a header row: ``column01``, ``column02``, ..."""
    return [f"column{i:02d}" for i in range(1, count + 1)]


def generate_schemas(
    field_names: Sequence[str], key_fields: Sequence[str], key_name: str, value_name: str
) -> tuple[Schema, Schema]:
    """(key schema, value schema); a :class:`DataError` when names repeat or are empty."""
    value = SchemaBuilder.struct().name(value_name)
    try:
        for name in field_names:
            value.field(name, Schema.OPTIONAL_STRING_SCHEMA)
    except SchemaBuilderError as e:
        raise DataError(
            f"Cannot generate a schema from the field names {list(field_names)}: {e}"
        ) from None
    key = SchemaBuilder.struct().name(key_name)
    present = set(field_names)
    for name in key_fields:
        if name in present:
            key.field(name, Schema.OPTIONAL_STRING_SCHEMA)
        else:
            log.warning("Key field '%s' is not in the data.", name)
    return key.build(), value.build()
