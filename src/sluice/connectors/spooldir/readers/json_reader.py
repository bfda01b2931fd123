"""JSON files as structs (typed by the value schema) or as schemaless JSON strings."""

from __future__ import annotations

import decimal
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from sluice.api import DataError, Schema, Struct
from sluice.connectors.spooldir.config import SchemaSettings
from sluice.connectors.spooldir.errors import BadDataError
from sluice.connectors.spooldir.readers.base import Item, RecordReader, ResumePoint
from sluice.connectors.spooldir.readers.json_values import JsonValues
from sluice.connectors.spooldir.readers.line_source import open_binary
from sluice.connectors.spooldir.schema_generation import generate_schemas
from sluice.connectors.spooldir.typed_values import ValueParser

__all__ = ["JsonFormat", "JsonRecordReader", "SchemalessJsonFormat", "SchemalessJsonReader"]

_JSON_CHARSET = "utf-8"


class _ValuesReader(RecordReader):
    """Shared by both JSON readers: counts values and resumes by skipping delivered ones."""

    def __init__(
        self,
        stream: IO[bytes],
        charset: str,
        resume: ResumePoint | None,
        parse_float: Callable[[str], Any] | None,
    ) -> None:
        super().__init__(stream)
        self.values = JsonValues(stream, charset, parse_float)
        self.iterator: Iterator[tuple[Any, int]] = iter(self.values)
        self.count = 0
        if resume is not None:
            for _ in range(resume.count):
                if next(self.iterator, None) is None:
                    break
                self.count += 1

    @property
    def line(self) -> int:
        return self.values.line

    def _fill(self, out: list[Item], limit: int) -> None:
        count = self.count
        try:
            for value, line in self.iterator:
                key_schema, key, value_schema, converted = self._convert(value, line)
                count += 1
                out.append(Item(key_schema, key, value_schema, converted, count, None, line))
                if len(out) >= limit:
                    break
        finally:
            self.count = count

    def _convert(self, value: Any, line: int) -> tuple[Schema | None, Any, Schema | None, Any]:
        raise NotImplementedError


class JsonFormat:
    """Typed JSON: each value must be an object; fields follow the value schema."""

    def __init__(self, schemas: SchemaSettings, parser: ValueParser) -> None:
        self.schemas = schemas
        self.parser = parser

    def open(
        self, path: Path, original_name: str, buffer_size: int, resume: ResumePoint | None
    ) -> JsonRecordReader:
        stream = open_binary(path, original_name, buffer_size)
        try:
            return JsonRecordReader(self, stream, resume)
        except BaseException:
            stream.close()
            raise

    def field_names(self, path: Path, original_name: str, buffer_size: int) -> list[str] | None:
        """The keys of the first object in a file, for schema generation."""
        with open_binary(path, original_name, buffer_size) as stream:
            for value, _ in JsonValues(stream, _JSON_CHARSET):
                if isinstance(value, dict):
                    return [str(k) for k in value]
        return None


class JsonRecordReader(_ValuesReader):
    def __init__(self, fmt: JsonFormat, stream: IO[bytes], resume: ResumePoint | None) -> None:
        self.fmt = fmt
        self._key_schema = fmt.schemas.key_schema
        self._value_schema = fmt.schemas.value_schema
        self._plans: tuple[Callable[[Any], Struct], Callable[[Any], Struct] | None] | None = None
        self._empty_key: Struct | None = None
        super().__init__(stream, _JSON_CHARSET, resume, decimal.Decimal)

    def _setup(self, first: Any, line: int) -> None:
        if self._key_schema is None or self._value_schema is None:
            if not isinstance(first, dict):
                raise BadDataError(line, "a JSON object is needed to generate a schema")
            s = self.fmt.schemas
            try:
                key, value = generate_schemas(list(first), s.key_fields, s.key_name, s.value_name)
            except DataError as e:
                raise BadDataError(line, str(e)) from None
            self._key_schema = self._key_schema or key
            self._value_schema = self._value_schema or value
        try:
            value_plan = self.fmt.parser.struct_from_json(self._value_schema)
            key_plan = (
                self.fmt.parser.struct_from_json(self._key_schema)
                if self._key_schema.fields
                else None
            )
        except ValueError as e:
            raise BadDataError(line, str(e)) from None
        self._plans = (value_plan, key_plan)
        if key_plan is None:
            self._empty_key = Struct(self._key_schema)  # one shared empty key, as for CSV

    def _convert(self, value: Any, line: int) -> tuple[Schema | None, Any, Schema | None, Any]:
        if self._plans is None:
            self._setup(value, line)
        assert self._plans is not None and self._key_schema is not None
        value_plan, key_plan = self._plans
        if not isinstance(value, dict):
            raise BadDataError(line, f"expected a JSON object, found {type(value).__name__}")
        try:
            struct = value_plan(value)
            key = key_plan(value) if key_plan is not None else self._empty_key
        except (ValueError, DataError) as e:
            raise BadDataError(line, str(e)) from None
        return self._key_schema, key, self._value_schema, struct


class SchemalessJsonFormat:
    """Each JSON value becomes a string record holding its compact JSON text."""

    def __init__(self, charset: str) -> None:
        self.charset = charset

    def open(
        self, path: Path, original_name: str, buffer_size: int, resume: ResumePoint | None
    ) -> SchemalessJsonReader:
        stream = open_binary(path, original_name, buffer_size)
        try:
            return SchemalessJsonReader(stream, self.charset, resume)
        except BaseException:
            stream.close()
            raise


class SchemalessJsonReader(_ValuesReader):
    def __init__(self, stream: IO[bytes], charset: str, resume: ResumePoint | None) -> None:
        super().__init__(stream, charset, resume, None)

    def _convert(self, value: Any, line: int) -> tuple[Schema | None, Any, Schema | None, Any]:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        return None, None, Schema.STRING_SCHEMA, text
