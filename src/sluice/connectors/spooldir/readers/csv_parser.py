"""Splitting CSV text into fields: Python's C parser, with opencsv's rules where they differ.

The Java connector parses with opencsv. For the common settings Python's ``csv`` module gives the
same fields much faster, so it does the work; opencsv's semantics are reproduced by a small
character-level parser where Python cannot express them: telling an empty *quoted* field from an
empty *unquoted* one (``csv.null.field.indicator`` EMPTY_SEPARATORS / EMPTY_QUOTES), and the
``csv.strict.quotes`` and ``csv.ignore.quotations`` modes. Blank lines are skipped.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterable, Iterator

from sluice.api import ConfigError
from sluice.connectors.spooldir.config import CsvSettings
from sluice.connectors.spooldir.errors import BadDataError
from sluice.connectors.spooldir.readers.line_source import LineSource, strip_line_end

__all__ = ["CsvRows", "OpenCsvParser"]

Row = list[str | None]


class OpenCsvParser:
    """opencsv's ``CSVParser`` rules, one record at a time over lines (multi-line quotes)."""

    def __init__(self, s: CsvSettings) -> None:
        self.sep = s.separator
        self.quote = s.quote if s.quote != "\0" else None
        self.escape = s.escape if s.escape != "\0" else None
        self.strict = s.strict_quotes
        self.ignore_lw = s.ignore_leading_whitespace
        self.ignore_q = s.ignore_quotations
        self.keep_cr = s.keep_carriage_return
        self.nulls = s.null_field_indicator

    def _field(self, chars: list[str], quoted: bool) -> str | None:
        text = "".join(chars)
        if text:
            return text
        n = self.nulls
        if n == "BOTH" or (n == "EMPTY_SEPARATORS" and not quoted):
            return None
        if n == "EMPTY_QUOTES" and quoted:
            return None
        return text

    def record(self, first: str, more: Iterator[str]) -> Row:
        """Parse the record starting with line ``first``, pulling continuation lines from ``more``.

        Raises :class:`ValueError` when the input ends inside a quoted field.
        """
        sep, quote, esc = self.sep, self.quote, self.escape
        strict, ignore_lw, ignore_q = self.strict, self.ignore_lw, self.ignore_q
        fields: Row = []
        sb: list[str] = []
        in_quotes = in_field = from_quoted = False
        text = first
        while True:
            body = strip_line_end(text)
            if self.keep_cr and text.endswith("\r\n"):
                body += "\r"
            i, n = 0, len(body)
            while i < n:
                c = body[i]
                quoting = (in_quotes and not ignore_q) or in_field
                if c == esc:
                    if quoting and i + 1 < n and body[i + 1] in (quote, esc):
                        sb.append(body[i + 1])
                        i += 2
                        continue
                    i += 1  # opencsv drops an escape that escapes nothing
                    continue
                if c == quote:
                    if quoting and i + 1 < n and body[i + 1] == quote:
                        sb.append(c)
                        i += 2
                        continue
                    in_quotes = not in_quotes
                    if not sb:
                        from_quoted = True
                    if (
                        not strict
                        and i > 2
                        and body[i - 1] != sep
                        and n > i + 1
                        and body[i + 1] != sep
                    ):
                        if ignore_lw and sb and "".join(sb).isspace():
                            sb.clear()
                        else:
                            sb.append(c)
                    in_field = not in_field
                    i += 1
                    continue
                if c == sep and not (in_quotes and not ignore_q):
                    fields.append(self._field(sb, from_quoted))
                    sb = []
                    in_field = from_quoted = False
                    i += 1
                    continue
                if not strict or (in_quotes and not ignore_q):
                    sb.append(c)
                    in_field = True
                i += 1
            if in_quotes and not ignore_q:
                sb.append("\n")
                nxt = next(more, None)
                if nxt is None:
                    raise ValueError("Un-terminated quoted field at end of CSV file")
                text = nxt
                continue
            fields.append(self._field(sb, from_quoted))
            return fields


class CsvRows:
    """The rows of a CSV file and the line each starts on, nulls decided as configured."""

    def __init__(self, lines: LineSource, s: CsvSettings) -> None:
        self.lines = lines
        self.settings = s
        self.parser = OpenCsvParser(s)
        self.native = not (s.strict_quotes or s.ignore_quotations)
        self._ended = False
        if self.native:
            try:
                self._dialect_check()
            except (TypeError, csv.Error) as e:
                raise ConfigError(f"Invalid CSV characters: {e}") from None

    def _dialect(self) -> type[csv.Dialect]:
        s = self.settings
        attributes: dict[str, object] = {
            "delimiter": s.separator,
            "quotechar": s.quote if s.quote != "\0" else None,
            "quoting": csv.QUOTE_MINIMAL if s.quote != "\0" else csv.QUOTE_NONE,
            "escapechar": s.escape if s.escape != "\0" else None,
            "doublequote": True,
            "skipinitialspace": False,
            "strict": False,
            "lineterminator": "\n",
        }
        return type("SpoolDirDialect", (csv.Dialect,), attributes)

    def _dialect_check(self) -> None:
        csv.reader([], dialect=self._dialect())

    def __iter__(self) -> Iterator[tuple[Row, int]]:
        if not self.native:
            return self._opencsv_rows()
        if self.settings.null_field_indicator in ("EMPTY_SEPARATORS", "EMPTY_QUOTES"):
            return self._native_rows_checking_quotes()
        return self._native_rows(self.settings.null_field_indicator == "BOTH")

    def _end_marker(self) -> Iterator[str]:
        """Chained after the lines: Python's lenient parser only reads past the last line when
        a quoted field is still open, which opencsv reports as an error."""
        self._ended = True
        yield from ()

    def _check_end(self, start: int) -> None:
        if self._ended:
            raise BadDataError(start, "Un-terminated quoted field at end of CSV file")

    def _native_rows(self, empty_is_null: bool) -> Iterator[tuple[Row, int]]:
        lines = self.lines
        reader = csv.reader(itertools.chain(lines, self._end_marker()), dialect=self._dialect())
        while True:
            start = lines.line + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as e:
                raise BadDataError(start, f"malformed CSV: {e}") from None
            self._check_end(start)
            if not row:
                continue
            if empty_is_null and "" in row:
                yield [None if v == "" else v for v in row], start
            else:
                yield row, start  # type: ignore[misc]

    def _native_rows_checking_quotes(self) -> Iterator[tuple[Row, int]]:
        """Python's parser, re-parsing rows with empty fields to learn which were quoted."""
        lines = self.lines
        captured: list[str] = []

        def feed(source: Iterable[str]) -> Iterator[str]:
            for text in source:
                captured.append(text)
                yield text

        reader = csv.reader(
            itertools.chain(feed(lines), self._end_marker()), dialect=self._dialect()
        )
        while True:
            start = lines.line + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as e:
                raise BadDataError(start, f"malformed CSV: {e}") from None
            self._check_end(start)
            raw, captured[:] = list(captured), []
            if not row:
                continue
            if "" in row:
                yield self.parser.record(raw[0], iter(raw[1:])), start
            else:
                yield row, start  # type: ignore[misc]

    def _opencsv_rows(self) -> Iterator[tuple[Row, int]]:
        lines = self.lines
        source = iter(lines)
        while True:
            start = lines.line + 1
            first = next(source, None)
            if first is None:
                return
            if not strip_line_end(first):
                continue
            try:
                yield self.parser.record(first, source), start
            except ValueError as e:
                raise BadDataError(start, str(e)) from None
