"""Generated row readers of the JDBC connectors and MySQL multi-row statements, as functions."""

from __future__ import annotations

import datetime as dt
import decimal
import zoneinfo
from typing import Any

import pytest

from sluice.api import Schema, SchemaBuilder, SinkRecord, Struct, Timestamp
from sluice.connectors.jdbc.columns import ColumnInfo, ColumnKind
from sluice.connectors.jdbc.dialects import MySqlDialect, PostgresDialect
from sluice.connectors.jdbc.dialects.mysql import literal_renderers, parse_row, statement_chunks
from sluice.connectors.jdbc.sink_config import SinkSettings
from sluice.connectors.jdbc.sink_fields import compile_extractor, plan_record
from sluice.connectors.jdbc.sink_values import binder_for
from sluice.connectors.jdbc.source_schema import compile_rows_reader

UTC = dt.UTC


def test_rows_reader_picks_positions_and_converts_only_values() -> None:
    read = compile_rows_reader([0, 2, 3], [None, str.upper, lambda v: v * 2])
    rows = [(1, "skipped", "a", 5), (2, "skipped", None, None)]
    assert read(rows) == [[1, "A", 10], [2, None, None]]
    assert read([]) == []


VALUE = (
    SchemaBuilder.struct()
    .name("v")
    .field("id", Schema.INT64_SCHEMA)
    .field("name", Schema.OPTIONAL_STRING_SCHEMA)
    .field("at", Timestamp.builder().optional().build())
    .field("n", SchemaBuilder.int32().optional().default_value(7).build())
    .build()
)
KEY = SchemaBuilder.struct().field("k", Schema.INT64_SCHEMA).build()


def _settings(**extra: str) -> SinkSettings:
    return SinkSettings.parse({"connection.url": "jdbc:sqlite::memory:", **extra})


def _extractor(record: SinkRecord, settings: SinkSettings) -> Any:
    plan = plan_record(record, settings, "t")
    binders = [
        binder_for(None if f.inferred else f.schema, None, MySqlDialect(), UTC) for f in plan.fields
    ]
    return compile_extractor(plan, binders, record.key_schema, record.value_schema)


@pytest.mark.parametrize(
    "props",
    [
        {"pk.mode": "record_value", "pk.fields": "id"},
        {"pk.mode": "record_key"},
        {"pk.mode": "kafka"},
        {"pk.mode": "none", "replace.null.with.default": "false"},
    ],
)
def test_generated_extractor_matches_the_field_getters(props: dict[str, str]) -> None:
    settings = _settings(**props)
    at = dt.datetime(2024, 1, 2, 3, 4, 5, 6000, tzinfo=UTC)
    value = Struct(VALUE).put("id", 1).put("name", "x").put("at", at)
    key = Struct(KEY).put("k", 9)
    record = SinkRecord("t", 3, KEY, key, VALUE, value, 42)
    extract = _extractor(record, settings)
    row = extract(record)
    plan = plan_record(record, settings, "t")
    expected = []
    for spec in plan.fields:
        v = spec.getter(record)
        if v is None and spec.name == "n" and settings.replace_null_with_default:
            v = 7
        if isinstance(v, dt.datetime):
            v = v.replace(tzinfo=None)  # MySQL wants naive wall-clock (UTC) values
        expected.append(v)
    assert list(row) == expected
    # A struct of an equal but different schema object takes the getters: same row.
    other = Struct(VALUE).put("id", 1).put("name", "x").put("at", at)
    assert extract(SinkRecord("t", 3, KEY, key, VALUE, other, 42)) == row


def test_generated_extractor_reads_maps_through_getters() -> None:
    settings = _settings(**{"pk.mode": "record_value", "pk.fields": "id"})
    record = SinkRecord("t", 0, None, None, None, {"id": 1, "name": {"a": 1}}, 0)
    extract = _extractor(record, settings)
    assert extract(record) == (1, '{"a":1}')


@pytest.mark.parametrize("zone", [UTC, zoneinfo.ZoneInfo("Europe/Paris")])
@pytest.mark.parametrize("utc_column", [False, True])
@pytest.mark.parametrize("dialect", [MySqlDialect(), PostgresDialect()])
def test_timestamp_binder_fast_path_agrees(zone: Any, utc_column: bool, dialect: Any) -> None:
    column = ColumnInfo("at", ColumnKind.TIMESTAMP, utc=utc_column)
    bind = binder_for(Timestamp.SCHEMA, column, dialect, zone)
    assert bind is not None
    value = dt.datetime(2024, 7, 1, 12, 30, 0, 123000, tzinfo=UTC)
    if utc_column:
        expected = value.replace(tzinfo=None) if dialect.naive_datetimes else value
    else:
        expected = value.astimezone(zone).replace(tzinfo=None)
    got = bind(value)
    assert got == expected and got.tzinfo == expected.tzinfo


def _fallback(value: Any) -> str:
    return f"<{type(value).__name__}>"


def test_mysql_literals() -> None:
    lit = literal_renderers(_fallback, no_backslash_escapes=False)

    def render(v: Any) -> str:
        return lit.get(type(v), _fallback)(v)

    assert render("plain é") == "'plain é'"
    assert render("a'b\\c\"\n\r\x00\x1a") == "'a\\'b\\\\c\\\"\\n\\r\\0\\Z'"
    assert render(5) == "5" and render(True) == "1" and render(None) == "NULL"
    assert render(1.5) == "1.5e0"
    assert render(decimal.Decimal("1E+3")) == "1000"
    assert render(dt.datetime(2024, 1, 2, 3, 4, 5, 6)) == "'2024-01-02 03:04:05.000006'"
    assert render(dt.datetime(2024, 1, 2, tzinfo=UTC)) == "<datetime>"
    assert render(dt.date(999, 1, 1)) == "'0999-01-01'"
    assert render(b"\x00'") == "X'0027'"
    assert render(dt.time(1, 2)) == "<time>"
    doubling = literal_renderers(_fallback, no_backslash_escapes=True)
    assert doubling[str]("a'b\\") == "'a''b\\'"


def test_statement_chunks_respect_the_limit() -> None:
    lit = literal_renderers(_fallback, no_backslash_escapes=False)
    rows = [(i, "é" * 3) for i in range(5)]
    chunks = list(statement_chunks(rows, lit, _fallback, "utf8", 30))
    assert [len(c) for c in chunks] == [2, 2, 1]
    assert chunks[0] == ["(0,'ééé')".encode(), "(1,'ééé')".encode()]
    assert all(sum(len(r) + 1 for r in c) <= 30 for c in chunks)
    # A row larger than the limit still goes, alone.
    assert list(statement_chunks([(1, "x" * 50)], lit, _fallback, "utf8", 10)) == [
        [b"(1,'" + b"x" * 50 + b"')"]
    ]


def _coded(value: bytes | None) -> bytes:
    """A length-coded string of the MySQL text protocol."""
    if value is None:
        return b"\xfb"
    n = len(value)
    if n < 251:
        return bytes([n]) + value
    if n < 1 << 16:
        return b"\xfc" + n.to_bytes(2, "little") + value
    if n < 1 << 24:
        return b"\xfd" + n.to_bytes(3, "little") + value
    return b"\xfe" + n.to_bytes(8, "little") + value


def test_mysql_row_parser_reads_every_length_form() -> None:
    values = [b"12", None, "é".encode() * 200, b"x" * 70000, b"2024-01-02 03:04:05.5", b"\x00\xff"]
    data = b"junk" + b"".join(_coded(v) for v in values)
    decoders = [
        ("ascii", int),
        ("utf8", None),
        ("utf8", None),
        (None, None),
        ("ascii", dt.datetime.fromisoformat),
        (None, None),
    ]
    assert parse_row(data, 4, decoders) == (
        12,
        None,
        "é" * 200,
        b"x" * 70000,
        dt.datetime(2024, 1, 2, 3, 4, 5, 500000),
        b"\x00\xff",
    )
    # A packet with fewer values than columns stops there, as PyMySQL does.
    assert parse_row(_coded(b"1"), 0, decoders) == (1,)
    assert parse_row(_coded(b"x" * (1 << 24)), 0, [(None, len)]) == (1 << 24,)
