"""Generated row readers of the JDBC connectors and MySQL multi-row statements, as functions."""

from __future__ import annotations

import datetime as dt
import decimal
import zoneinfo
from typing import Any

import pytest

from sluice.api import DataError, Decimal, Schema, SchemaBuilder, SinkRecord, Struct, Timestamp
from sluice.connectors.jdbc.columns import ColumnInfo, ColumnKind
from sluice.connectors.jdbc.dialects import MySqlDialect, PostgresDialect
from sluice.connectors.jdbc.dialects.mysql import (
    literal_renderers,
    parse_row,
    row_renderer,
    statement_chunks,
)
from sluice.connectors.jdbc.dialects.postgres import copy_types
from sluice.connectors.jdbc.sink_config import SinkSettings
from sluice.connectors.jdbc.sink_fields import compile_extractor, plan_record
from sluice.connectors.jdbc.sink_values import binder_for
from sluice.connectors.jdbc.source_schema import (
    NumericMapping,
    build_row_mapper,
    compile_rows_reader,
)

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


@pytest.mark.parametrize(
    ("char", "escaped"),
    [
        ("'", "\\'"),
        ('"', '\\"'),
        ("\\", "\\\\"),
        ("\n", "\\n"),
        ("\r", "\\r"),
        ("\0", "\\0"),
        ("\x1a", "\\Z"),
    ],
)
def test_each_character_to_escape_is_found_alone(char: str, escaped: str) -> None:
    lit = literal_renderers(_fallback, no_backslash_escapes=False)
    text = "x" * 100 + char
    assert lit[str](text) == "'" + "x" * 100 + escaped + "'"
    render = row_renderer([(text,)], lit, "utf8")
    assert render is not None and render((text,)) == ("('" + "x" * 100 + escaped + "')").encode()


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


# -- in-line forms of converters and binders, fixed COPY dumpers, batch grouping ---------------


def _reader_for(converter: Any) -> Any:
    return compile_rows_reader([0], [converter])


@pytest.mark.parametrize("utc_column", [False, True])
@pytest.mark.parametrize("nullable", [False, True])
def test_rows_reader_inlines_utc_timestamps_as_the_converter_reads_them(
    utc_column: bool, nullable: bool
) -> None:
    col = ColumnInfo("at", ColumnKind.TIMESTAMP, nullable=nullable, utc=utc_column)
    mapper = build_row_mapper("t", [col], NumericMapping.NONE, UTC)
    (conv,) = mapper.converters
    assert conv is not None
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    inputs = [
        dt.datetime(2024, 1, 2, 3, 4, 5, 6),
        dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=paris),
        dt.datetime(2024, 1, 2, tzinfo=UTC),
        "2024-01-02 03:04:05.5",
        dt.date(2024, 1, 2),
        None,
    ]
    rows = [(v,) for v in inputs]
    got = [r[0] for r in mapper.values_many(rows)]
    expected = [None if v is None else conv(v) for v in inputs]
    assert got == expected
    assert [g.tzinfo for g in got if g is not None] == [e.tzinfo for e in expected if e]
    assert all(g.tzinfo is UTC for g in got if g is not None)
    if not nullable:  # MySQL's zero date in a NOT NULL column still fails, naming it
        with pytest.raises(DataError, match="NOT NULL"):
            mapper.values_many([("0000-00-00 00:00:00",)])


def test_rows_reader_inlines_decimal_quantizing_as_the_converter_does() -> None:
    col = ColumnInfo("amount", ColumnKind.DECIMAL, nullable=True, precision=12, scale=2)
    mapper = build_row_mapper("t", [col], NumericMapping.NONE, UTC)
    (conv,) = mapper.converters
    assert conv is not None
    inputs = [decimal.Decimal("1.5"), decimal.Decimal("2.345"), decimal.Decimal("-0"), 3, 1.25]
    got = [r[0] for r in mapper.values_many([(v,) for v in inputs])]
    expected = [conv(v) for v in inputs]
    assert got == expected
    assert [g.as_tuple() for g in got] == [e.as_tuple() for e in expected]
    assert [g.as_tuple().exponent for g in got] == [-2] * len(inputs)
    for bad in (decimal.Decimal("NaN"), decimal.Decimal("Infinity")):
        with pytest.raises(Exception) as by_converter:
            conv(bad)
        with pytest.raises(type(by_converter.value)):
            mapper.values_many([(bad,)])


@pytest.mark.parametrize("zone", [UTC, zoneinfo.ZoneInfo("Europe/Paris")])
@pytest.mark.parametrize("utc_column", [False, True])
@pytest.mark.parametrize("dialect", [MySqlDialect(), PostgresDialect()])
def test_extractor_inlines_binders_with_the_binders_results(
    zone: Any, utc_column: bool, dialect: Any
) -> None:
    schema = (
        SchemaBuilder.struct()
        .field("at", Timestamp.builder().optional().build())
        .field("amount", Decimal.builder(2).optional().build())
        .field(
            "day",
            Timestamp.builder()
            .optional()
            .default_value(dt.datetime(2020, 1, 1, tzinfo=UTC))
            .build(),
        )
        .build()
    )
    columns = [
        ColumnInfo("at", ColumnKind.TIMESTAMP, utc=utc_column),
        ColumnInfo("amount", ColumnKind.DECIMAL, precision=12, scale=2),
        ColumnInfo("day", ColumnKind.TIMESTAMP, utc=utc_column),
    ]
    settings = _settings(**{"pk.mode": "none"})
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    samples = [
        (dt.datetime(2024, 7, 1, 12, 30, 0, 123000, tzinfo=UTC), decimal.Decimal("1.20"), None),
        (dt.datetime(2024, 7, 1, 12, 30, tzinfo=paris), None, dt.datetime(2024, 1, 1, tzinfo=UTC)),
        (None, decimal.Decimal("-3.00"), dt.datetime(2024, 1, 1, tzinfo=paris)),
    ]
    for at, amount, day in samples:
        value = Struct(schema).put("at", at).put("amount", amount).put("day", day)
        record = SinkRecord("t", 0, None, None, schema, value, 0)
        plan = plan_record(record, settings, "t")
        binders = [
            binder_for(f.schema, c, dialect, zone)
            for f, c in zip(plan.fields, columns, strict=True)
        ]
        extract = compile_extractor(plan, binders, None, schema)
        expected = []
        for spec, bind in zip(plan.fields, binders, strict=True):
            v = spec.getter(record)
            if v is None:
                v = spec.default
            expected.append(None if v is None or bind is None else bind(v))
        got = extract(record)
        assert list(got) == expected
        assert [getattr(g, "tzinfo", None) for g in got] == [
            getattr(e, "tzinfo", None) for e in expected
        ]


def test_copy_types_fix_dumpers_only_for_uniform_columns() -> None:
    at = dt.datetime(2024, 1, 2)
    rows = [
        (1, "a", decimal.Decimal("1.0"), at, None, True, 1.5, dt.date(2024, 1, 1), b"x"),
        (None, "b", None, at, None, False, None, None, None),
    ]
    assert copy_types(rows) == [
        "int8",
        "text",
        "numeric",
        "timestamp",
        "text",
        "bool",
        "float8",
        "date",
        "bytea",
    ]
    assert copy_types([(at.replace(tzinfo=UTC),)]) == ["timestamptz"]
    assert copy_types([]) is None
    assert copy_types([(1,), (True,)]) is None  # bool beside int: psycopg writes t, not 1
    assert copy_types([(at,), (at.replace(tzinfo=UTC),)]) is None
    assert copy_types([(dt.time(1),)]) is None
    assert copy_types([(1, "a"), (2, 3)]) is None


def test_copy_types_write_what_psycopg_writes_by_itself() -> None:
    from psycopg import _copy_base, postgres
    from psycopg.adapt import Transformer
    from psycopg.pq import Format

    rows = [
        (1, "a\tb\\c\n", decimal.Decimal("-1.50"), dt.datetime(2024, 1, 2, 3, 4, 5, 6), None),
        (2**70, "é", decimal.Decimal("NaN"), dt.datetime(1, 1, 1), None),
        (3, "", decimal.Decimal("1E+5"), dt.datetime(2024, 1, 2), None),
    ]
    names = copy_types(rows)
    assert names is not None
    fixed, free = Transformer(), Transformer()
    fixed.set_dumper_types([postgres.types.get_oid(n) for n in names], Format.TEXT)
    for row in rows:
        a, b = bytearray(), bytearray()
        _copy_base.format_row_text(row, fixed, a)
        _copy_base.format_row_text(row, free, b)
        assert a == b


def _preparer(op: str, table: str = "t", keys: tuple[str, ...] = ("id",)) -> Any:
    from sluice.connectors.jdbc.identifiers import TableId
    from sluice.connectors.jdbc.sink_writer import _Preparer

    table_key = "\x1f".join(["", "", table])
    group = "\x00".join([table_key, op, *keys, "\x01", "v"])
    return _Preparer(op, TableId(None, None, table), keys, ("v",), tuple, table_key, group)


def test_groups_reduce_keyed_batches_to_the_last_write_per_key() -> None:
    from sluice.connectors.jdbc.sink_config import InsertMode
    from sluice.connectors.jdbc.sink_writer import _groups

    up = _preparer("upsert")
    rec = SinkRecord("t", 0, None, None, None, None, 0)
    items = [(rec, (1, "a"), up), (rec, (2, "b"), up), (rec, (1, "c"), up)]
    assert [[p[1] for p in g] for g in _groups(items, InsertMode.UPSERT)] == [[(2, "b"), (1, "c")]]
    # Two shapes (an upsert and a delete): deletes first, one group each, last write per key.
    delete = _preparer("delete")
    mixed = [(rec, (1, "a"), up), (rec, (1, None), delete), (rec, (3, "d"), up)]
    assert [[p[1] for p in g] for g in _groups(mixed, InsertMode.UPSERT)] == [
        [(1, None)],
        [(3, "d")],
    ]
    # Two tables keep their keys apart.
    other = _preparer("upsert", table="u")
    two = [(rec, (1, "a"), up), (rec, (1, "b"), other), (rec, (1, "c"), up)]
    assert [[p[1] for p in g] for g in _groups(two, InsertMode.UPSERT)] == [[(1, "b")], [(1, "c")]]


def test_groups_keep_plain_inserts_whole_and_in_order() -> None:
    from sluice.connectors.jdbc.sink_config import InsertMode
    from sluice.connectors.jdbc.sink_writer import _groups

    ins, delete = _preparer("insert"), _preparer("delete")
    rec = SinkRecord("t", 0, None, None, None, None, 0)
    same = [(rec, (n, "x"), ins) for n in (1, 1, 2)]
    assert _groups(same, InsertMode.INSERT) == [same]
    runs = [(rec, (1, "x"), ins), (rec, (1, None), delete), (rec, (2, "y"), ins)]
    assert [[p[1] for p in g] for g in _groups(runs, InsertMode.INSERT)] == [
        [(1, "x")],
        [(1, None)],
        [(2, "y")],
    ]
    only_deletes = [(rec, (n, None), delete) for n in (1, 2)]
    assert _groups(only_deletes, InsertMode.INSERT) == [only_deletes]


@pytest.mark.parametrize("no_backslash", [False, True])
def test_mysql_row_renderer_renders_as_the_literals_do(no_backslash: bool) -> None:
    lit = literal_renderers(_fallback, no_backslash_escapes=no_backslash)
    rows = [
        (
            1,
            "a'b\\c\"\n\r\x00\x1a é",
            decimal.Decimal("1E+3"),
            dt.datetime(2024, 1, 2, 3, 4, 5, 6),
            None,
            True,
            1.5,
            dt.date(999, 1, 1),
            b"\x00'",
            None,
        ),
        (None, "plain", None, None, None, False, None, None, None, 7),
    ]
    render = row_renderer(rows, lit, "utf8")
    assert render is not None
    for row in rows:
        generic = "(" + ",".join([lit.get(type(v), _fallback)(v) for v in row]) + ")"
        assert render(row) == generic.encode("utf8")
    chunks = list(statement_chunks(rows, lit, _fallback, "utf8", 1000, render))
    assert chunks == list(statement_chunks(rows, lit, _fallback, "utf8", 1000))
    assert row_renderer([(1,), (True,)], lit, "utf8") is None
    assert row_renderer([(dt.datetime(2024, 1, 1, tzinfo=UTC),)], lit, "utf8") is None
    assert row_renderer([(dt.time(1),)], lit, "utf8") is None
    assert row_renderer([], lit, "utf8") is None
