"""CSV files as structs: the header (or the schema's field order) maps columns to fields."""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from sluice.api import DataError, Field, Schema, Struct, Type
from sluice.connectors.spooldir.config import CsvSettings, SchemaSettings
from sluice.connectors.spooldir.errors import BadDataError
from sluice.connectors.spooldir.readers.base import Item, RecordReader, ResumePoint
from sluice.connectors.spooldir.readers.csv_parser import CsvRows, Row
from sluice.connectors.spooldir.readers.line_source import LineSource, open_binary
from sluice.connectors.spooldir.schema_generation import csv_column_names, generate_schemas
from sluice.connectors.spooldir.typed_values import Convert, ValueParser

__all__ = ["CsvFormat", "CsvRecordReader"]


class CsvFormat:
    """Everything a CSV task knows before it opens a file."""

    def __init__(self, csv: CsvSettings, schemas: SchemaSettings, parser: ValueParser) -> None:
        self.csv = csv
        self.schemas = schemas
        self.parser = parser
        # Impossible character combinations (a quote equal to the separator...) fail at start.
        CsvRows(LineSource(io.BytesIO(b""), csv.charset), csv)

    def open(
        self, path: Path, original_name: str, buffer_size: int, resume: ResumePoint | None
    ) -> CsvRecordReader:
        stream = open_binary(path, original_name, buffer_size)
        try:
            return CsvRecordReader(self, stream, resume)
        except BaseException:
            stream.close()
            raise

    def field_names(self, path: Path, original_name: str, buffer_size: int) -> list[str] | None:
        """The header (or generated column names) of a file, for schema generation."""
        with open_binary(path, original_name, buffer_size) as stream:
            lines = LineSource(stream, self.csv.charset)
            rows = _start_rows(lines, self.csv)
            first = next(rows, None)
            if first is None:
                return None
            if self.csv.first_row_as_header:
                return [name or "" for name in first[0]]
            return csv_column_names(len(first[0]))


def _start_rows(lines: LineSource, csv: CsvSettings) -> Iterator[tuple[Row, int]]:
    source = iter(lines)
    for _ in range(csv.skip_lines):
        if next(source, None) is None:
            break
    return iter(CsvRows(lines, csv))


class _RowMapper:
    """Turns a row into (key, value) structs; built once per file from its column names."""

    def __init__(
        self,
        names: Sequence[str],
        key_schema: Schema,
        value_schema: Schema,
        parser: ValueParser,
        case_sensitive: bool,
        header_line: int,
    ) -> None:
        self.width = len(names)
        self.key_schema = key_schema
        self.value_schema = value_schema
        self.value_plan = self._plan(names, value_schema, parser, case_sensitive, header_line)
        self.key_plan = self._plan(names, key_schema, parser, case_sensitive, header_line)
        self.shared_key = Struct(key_schema) if not key_schema.fields else None

    @staticmethod
    def _plan(
        names: Sequence[str],
        schema: Schema,
        parser: ValueParser,
        case_sensitive: bool,
        header_line: int,
    ) -> list[tuple[int, Field, Convert | None, bool]]:
        fold = (lambda s: s) if case_sensitive else str.lower
        by_name = {fold(f.name): f for f in schema.fields}
        plan: list[tuple[int, Field, Convert | None, bool]] = []
        seen: set[str] = set()
        for index, name in enumerate(names):
            f = by_name.get(fold(name))
            if f is None or f.name in seen:
                continue
            seen.add(f.name)
            plain = f.schema.type is Type.STRING and f.schema.name is None
            try:
                convert = None if plain else parser.from_text(f.schema)
            except ValueError as e:
                raise BadDataError(header_line, f"field '{f.name}': {e}") from None
            required = not f.schema.optional and f.schema.default is None
            plan.append((index, f, convert, required))
        missing = [
            f.name
            for f in schema.fields
            if f.name not in seen and not f.schema.optional and f.schema.default is None
        ]
        if missing:
            raise BadDataError(
                header_line,
                f"the columns {list(names)} lack the required field(s) {missing} of the schema "
                f"{schema.name or ''}".rstrip(),
            )
        return plan

    def map(self, row: Row, line: int) -> tuple[Struct, Struct]:
        if len(row) < self.width:
            raise BadDataError(
                line, f"the row has {len(row)} field(s) but the header has {self.width}"
            )
        value = self._fill(Struct(self.value_schema), self.value_plan, row, line)
        key = self.shared_key
        if key is None:
            key = self._fill(Struct(self.key_schema), self.key_plan, row, line)
        return key, value

    @staticmethod
    def _fill(
        out: Struct, plan: list[tuple[int, Field, Convert | None, bool]], row: Row, line: int
    ) -> Struct:
        put = out.put
        for index, field, convert, required in plan:
            raw: Any = row[index]
            if raw is None:
                if required:
                    raise BadDataError(
                        line, f"field '{field.name}' is null but its schema is not optional"
                    )
                continue
            if convert is not None:
                try:
                    raw = convert(raw)
                except ValueError as e:
                    raise BadDataError(line, f"field '{field.name}': {e}") from None
            try:
                put(field, raw)
            except DataError as e:
                raise BadDataError(line, f"field '{field.name}': {e}") from None
        return out


class CsvRecordReader(RecordReader):
    """Streams a CSV file in constant memory; resumes by byte position when it can."""

    def __init__(self, fmt: CsvFormat, stream: IO[bytes], resume: ResumePoint | None) -> None:
        super().__init__(stream)
        self.fmt = fmt
        csv = fmt.csv
        self.lines = LineSource(stream, csv.charset)
        self.rows = _start_rows(self.lines, csv)
        self.names: list[str] | None = None
        self.header_line = self.lines.line + 1
        if csv.first_row_as_header:
            first = next(self.rows, None)
            self.names = [name or "" for name in first[0]] if first is not None else []
        elif fmt.schemas.value_schema is not None:
            self.names = [f.name for f in fmt.schemas.value_schema.fields]
        self.count = 0
        self.mapper: _RowMapper | None = None
        if resume is not None and resume.count > 0:
            self._resume(resume)

    def _resume(self, resume: ResumePoint) -> None:
        lines = self.lines
        if (
            resume.position is not None
            and lines.position is not None
            and resume.position >= lines.position
        ):
            self.stream.seek(resume.position)
            self.lines = LineSource(
                self.stream, self.fmt.csv.charset, resume.position, resume.line or 0
            )
            self.rows = iter(CsvRows(self.lines, self.fmt.csv))
            self.count = resume.count
            return
        for _ in range(resume.count):
            if next(self.rows, None) is None:
                break
            self.count += 1

    @property
    def line(self) -> int:
        return self.lines.line

    def _make_mapper(self, first_row: Row) -> _RowMapper:
        schemas = self.fmt.schemas
        names = self.names if self.names is not None else csv_column_names(len(first_row))
        key_schema, value_schema = schemas.key_schema, schemas.value_schema
        if key_schema is None or value_schema is None:
            try:
                gen_key, gen_value = generate_schemas(
                    names, schemas.key_fields, schemas.key_name, schemas.value_name
                )
            except DataError as e:
                raise BadDataError(self.header_line, str(e)) from None
            key_schema = key_schema or gen_key
            value_schema = value_schema or gen_value
        return _RowMapper(
            names,
            key_schema,
            value_schema,
            self.fmt.parser,
            self.fmt.csv.case_sensitive_field_names,
            self.header_line,
        )

    def _fill(self, out: list[Item], limit: int) -> None:
        rows = self.rows
        lines = self.lines
        mapper = self.mapper
        count = self.count
        try:
            for row, start in rows:
                if mapper is None:
                    mapper = self.mapper = self._make_mapper(row)
                key, value = mapper.map(row, start)
                count += 1
                out.append(
                    Item(
                        mapper.key_schema,
                        key,
                        mapper.value_schema,
                        value,
                        count,
                        lines.position,
                        lines.line,
                    )
                )
                if len(out) >= limit:
                    break
        finally:
            self.count = count
