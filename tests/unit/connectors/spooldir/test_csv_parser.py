"""Splitting CSV into fields: Python's fast parser, with opencsv's rules where they differ."""

from __future__ import annotations

import io
from dataclasses import replace

import pytest

from sluice.connectors.spooldir.config import CsvSettings
from sluice.connectors.spooldir.errors import BadDataError
from sluice.connectors.spooldir.readers.csv_parser import CsvRows, OpenCsvParser
from sluice.connectors.spooldir.readers.line_source import LineSource

DEFAULT = CsvSettings(
    skip_lines=0,
    separator=",",
    quote='"',
    escape="\\",
    strict_quotes=False,
    ignore_leading_whitespace=True,
    ignore_quotations=False,
    keep_carriage_return=False,
    null_field_indicator="NEITHER",
    first_row_as_header=False,
    charset="utf-8",
    case_sensitive_field_names=False,
    rfc4180=False,
)


def rows(text: str, **changes: object) -> list[tuple[list[str | None], int]]:
    settings = replace(DEFAULT, **changes)  # type: ignore[arg-type]
    return list(CsvRows(LineSource(io.BytesIO(text.encode()), "utf-8"), settings))


def test_quotes_escapes_and_lines() -> None:
    text = 'a,"b,c","say ""hi""","x\\"y"\r\n\n1,"multi\nline",3,4\n'
    assert rows(text) == [
        (["a", "b,c", 'say "hi"', 'x"y'], 1),
        (["1", "multi\nline", "3", "4"], 3),
    ]


@pytest.mark.parametrize(
    ("indicator", "expected"),
    [
        ("NEITHER", ["1", "", "", "x"]),
        ("BOTH", ["1", None, None, "x"]),
        ("EMPTY_SEPARATORS", ["1", None, "", "x"]),
        ("EMPTY_QUOTES", ["1", "", None, "x"]),
    ],
)
def test_null_field_indicator(indicator: str, expected: list[str | None]) -> None:
    assert rows('1,,"",x\n', null_field_indicator=indicator) == [(expected, 1)]


def test_empty_quotes_across_lines() -> None:
    text = '1,"a\nb",""\n'
    assert rows(text, null_field_indicator="EMPTY_QUOTES") == [(["1", "a\nb", None], 1)]


def test_strict_quotes_keeps_only_quoted_text() -> None:
    assert rows('"a"x,y"b"\n', strict_quotes=True) == [(["a", "b"], 1)]


def test_ignore_quotations() -> None:
    assert rows('a,"b,c"\n', ignore_quotations=True) == [(["a", "b", "c"], 1)]


def test_tabs_and_no_escape() -> None:
    assert rows('a\t"b\\"\tc\n', separator="\t", escape="\0") == [(["a", "b\\", "c"], 1)]


def test_unterminated_quote_is_bad_data_at_its_line() -> None:
    with pytest.raises(BadDataError) as e:
        rows('ok,1\n"never closed,2\n', strict_quotes=True)
    assert e.value.line == 2 and "Un-terminated" in e.value.reason
    with pytest.raises(BadDataError) as e:
        rows('ok,1\n"never closed,2\n')
    assert e.value.line == 2


def test_invalid_bytes_are_bad_data_at_their_line() -> None:
    data = b"a,b\n" + b"\xff\xfe,c\n"
    with pytest.raises(BadDataError) as e:
        list(CsvRows(LineSource(io.BytesIO(data), "utf-8"), DEFAULT))
    assert e.value.line == 2 and "not valid utf-8" in e.value.reason


def test_latin1_and_utf16() -> None:
    data = "é,ü\n".encode("latin-1")
    assert list(CsvRows(LineSource(io.BytesIO(data), "latin-1"), DEFAULT)) == [(["é", "ü"], 1)]
    data = "é,ü\nx,y\n".encode("utf-16")
    source = LineSource(io.BytesIO(data), "utf-16")
    assert not source.positional
    assert list(CsvRows(source, DEFAULT)) == [(["é", "ü"], 1), (["x", "y"], 2)]


def test_utf8_bom_is_dropped() -> None:
    assert rows("\ufeffid,name\n") == [(["id", "name"], 1)]


def test_opencsv_parser_directly() -> None:
    p = OpenCsvParser(replace(DEFAULT, null_field_indicator="BOTH"))
    assert p.record('a,"",b\n', iter([])) == ["a", None, "b"]
    assert p.record('"x\n', iter(['y",z\n'])) == ["x\ny", "z"]
