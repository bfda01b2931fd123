"""Record keys and values from BSON documents: ``output.format.key``/``.value``.

* ``json``: a string schema and the document as JSON text (``output.json.formatter``); with the
  worker's StringConverter the bytes in Kafka are that text;
* ``bson``: a bytes schema and the document's BSON bytes;
* ``schema``: a Struct shaped by ``output.schema.key``/``.value`` (Avro JSON), or, for values with
  ``output.schema.infer.value=true``, by a schema inferred from each document.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import bson
from bson.raw_bson import RawBSONDocument

from sluice.api import Schema
from sluice.connectors.mongodb.json_formatters import JsonFormatter
from sluice.connectors.mongodb.source_schemas import (
    infer_document_schema,
    parse_avro_schema,
    to_connect,
)

__all__ = ["Producer", "producer_for"]

Producer = Callable[[Mapping[str, Any]], tuple[Schema | None, Any]]
"""A document in, ``(schema, value)`` out; raises when the document does not fit."""


def producer_for(
    output_format: str, formatter: JsonFormatter, avro_schema: str, infer: bool
) -> Producer:
    """The producer for one side (key or value) of the record."""
    if output_format == "json":
        string = Schema.STRING_SCHEMA
        dumps = formatter.dumps

        def as_json(doc: Mapping[str, Any]) -> tuple[Schema | None, Any]:
            return string, dumps(doc)

        return as_json
    if output_format == "bson":
        raw = Schema.BYTES_SCHEMA

        def as_bson(doc: Mapping[str, Any]) -> tuple[Schema | None, Any]:
            if isinstance(doc, RawBSONDocument):
                return raw, bytes(doc.raw)
            return raw, bson.encode(doc)

        return as_bson
    if infer:

        def inferred(doc: Mapping[str, Any]) -> tuple[Schema | None, Any]:
            schema = infer_document_schema(doc)
            return schema, to_connect(schema, doc, formatter)

        return inferred
    schema = parse_avro_schema(avro_schema)

    def shaped(doc: Mapping[str, Any]) -> tuple[Schema | None, Any]:
        return schema, to_connect(schema, doc, formatter)

    return shaped
