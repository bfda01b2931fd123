"""Mode conditions, dialect statements and type mapping, as pure functions."""

from __future__ import annotations

import datetime as dt
import decimal
import zoneinfo

import pytest

from sluice.api import DataError, Decimal, Schema, SchemaBuilder, Timestamp, Type
from sluice.connectors.jdbc.columns import ColumnInfo, ColumnKind
from sluice.connectors.jdbc.criteria import Criteria, base_select
from sluice.connectors.jdbc.dialects import MySqlDialect, PostgresDialect, SqliteDialect
from sluice.connectors.jdbc.identifiers import TableId
from sluice.connectors.jdbc.source_schema import NumericMapping, build_row_mapper

PG = PostgresDialect()
MY = MySqlDialect()
UTC = dt.UTC


def test_incrementing_condition() -> None:
    c = Criteria(PG, "id", ())
    assert c.where() == ' WHERE "id" > %s ORDER BY "id" ASC'
    assert c.params(dt.datetime.now(UTC), dt.datetime.now(UTC), 41, UTC) == [41]


def test_timestamp_incrementing_condition_matches_confluent() -> None:
    c = Criteria(MY, "id", ("updated",))
    assert c.where() == (
        " WHERE `updated` < %s AND ((`updated` = %s AND `id` > %s) OR `updated` > %s)"
        " ORDER BY `updated`, `id` ASC"
    )
    begin = dt.datetime(2024, 1, 1, 12, tzinfo=UTC)
    end = dt.datetime(2024, 1, 2, 12, tzinfo=UTC)
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    params = c.params(begin, end, 5, paris)
    # Wall-clock columns are compared in db.timezone, as naive values.
    assert params == [
        dt.datetime(2024, 1, 2, 13),
        dt.datetime(2024, 1, 1, 13),
        5,
        dt.datetime(2024, 1, 1, 13),
    ]


def test_timestamp_columns_coalesce_and_lag_window_condition() -> None:
    c = Criteria(PG, None, ("modified", "created"), timestamp_utc=True, lag_window=True)
    assert c.where() == (
        ' WHERE COALESCE("modified", "created") > %s AND COALESCE("modified", "created") < %s'
        ' ORDER BY COALESCE("modified", "created") ASC'
    )
    begin = dt.datetime(2024, 1, 1, tzinfo=UTC)
    assert c.params(begin, begin, -1, zoneinfo.ZoneInfo("Asia/Tokyo"))[0] == begin


def test_custom_query_is_wrapped_when_a_condition_follows() -> None:
    query = "SELECT id, name FROM t WHERE kind = 'x';"
    assert base_select(PG, None, query, wrap=False) == "SELECT id, name FROM t WHERE kind = 'x'"
    assert base_select(PG, None, query, wrap=True) == (
        "SELECT * FROM (SELECT id, name FROM t WHERE kind = 'x') sluice_q"
    )
    assert Criteria(PG, "t.id", ()).where() == ' WHERE "id" > %s ORDER BY "id" ASC'
    assert base_select(PG, TableId(None, "s", "t"), None, True) == 'SELECT * FROM "s"."t"'


def test_sqlite_normalizes_text_timestamps() -> None:
    c = Criteria(SqliteDialect(), None, ("ts",))
    assert "strftime('%Y-%m-%d %H:%M:%f', \"ts\") > ?" in c.where()
    value = dt.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    assert c.params(value, value, 0, UTC) == ["2024-05-06 07:08:09.123"] * 2


def test_upserts_per_dialect() -> None:
    t = TableId(None, None, "t")
    assert PG.upsert_sql(t, ["id"], ["a", "b"]) == (
        'INSERT INTO "t" ("id", "a", "b") VALUES (%s, %s, %s) ON CONFLICT ("id") '
        'DO UPDATE SET "a" = EXCLUDED."a", "b" = EXCLUDED."b"'
    )
    assert PG.upsert_sql(t, ["id"], []).endswith("DO NOTHING")
    assert MY.upsert_sql(t, ["id"], ["a"]) == (
        "INSERT INTO `t` (`id`, `a`) VALUES (%s, %s) ON DUPLICATE KEY UPDATE `a` = VALUES(`a`)"
    )
    assert SqliteDialect().upsert_sql(t, ["k1", "k2"], ["v"]) == (
        'INSERT INTO "t" ("k1", "k2", "v") VALUES (?, ?, ?) ON CONFLICT ("k1", "k2") '
        'DO UPDATE SET "v" = excluded."v"'
    )
    assert MY.delete_sql(t, ["a", "b"], 2) == (
        "DELETE FROM `t` WHERE (`a`, `b`) IN ((%s, %s), (%s, %s))"
    )
    assert PG.update_sql(t, ["id"], ["a"]) == 'UPDATE "t" SET "a" = %s WHERE "id" = %s'


def test_create_table_types_per_dialect() -> None:
    fields = [
        ("id", Schema.INT64_SCHEMA, True),
        ("name", Schema.STRING_SCHEMA, True),
        ("price", Decimal.builder(2).optional().build(), False),
        ("at", Timestamp.builder().optional().build(), False),
        ("flag", SchemaBuilder.bool().optional().default_value(True).build(), False),
    ]
    t = TableId(None, None, "t")
    my = MY.create_table_sql(t, fields, ["id", "name"])
    assert "`name` VARCHAR(256) NOT NULL" in my and "`price` DECIMAL(65,2) NULL" in my
    assert "`at` DATETIME(3) NULL" in my and "`flag` TINYINT DEFAULT 1 NULL" in my
    assert my.endswith("PRIMARY KEY(`id`, `name`))")
    pg = PG.create_table_sql(t, fields, ["id"])
    assert '"id" BIGINT NOT NULL' in pg and '"name" TEXT NOT NULL' in pg
    assert '"at" TIMESTAMP NULL' in pg and '"flag" BOOLEAN DEFAULT TRUE NULL' in pg
    assert PG.add_columns_sql(t, [("extra", Schema.INT32_SCHEMA)]) == [
        'ALTER TABLE "t" ADD "extra" INT NULL'
    ]
    with pytest.raises(Exception, match="schema type"):
        PG.ddl_type(SchemaBuilder.array(Schema.INT32_SCHEMA).build(), False)


def _col(name: str, kind: ColumnKind, **kw: object) -> ColumnInfo:
    return ColumnInfo(name=name, kind=kind, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("mapping", "precision", "scale", "expected"),
    [
        (NumericMapping.NONE, 10, 2, "decimal"),
        (NumericMapping.NONE, 5, 0, "decimal"),
        (NumericMapping.PRECISION_ONLY, 2, 0, Type.INT8),
        (NumericMapping.PRECISION_ONLY, 4, 0, Type.INT16),
        (NumericMapping.PRECISION_ONLY, 9, 0, Type.INT32),
        (NumericMapping.PRECISION_ONLY, 18, 0, Type.INT64),
        (NumericMapping.PRECISION_ONLY, 19, 0, "decimal"),
        (NumericMapping.PRECISION_ONLY, 10, 2, "decimal"),
        (NumericMapping.BEST_FIT, 10, 2, Type.FLOAT64),
        (NumericMapping.BEST_FIT, 30, 2, "decimal"),
        (NumericMapping.BEST_FIT_EAGER_DOUBLE, 30, 2, Type.FLOAT64),
    ],
)
def test_numeric_mapping(
    mapping: NumericMapping, precision: int, scale: int, expected: object
) -> None:
    mapper = build_row_mapper(
        "t", [_col("n", ColumnKind.DECIMAL, precision=precision, scale=scale)], mapping, UTC
    )
    schema = mapper.schema.fields[0].schema
    if expected == "decimal":
        assert schema.name == "org.apache.kafka.connect.data.Decimal"
        assert schema.parameters == {
            "scale": str(scale),
            "connect.decimal.precision": str(precision),
        }
    else:
        assert schema.type is expected and schema.name is None


def test_row_mapper_converts_values_and_names_the_schema() -> None:
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    columns = [
        _col("id", ColumnKind.INT64, nullable=False),
        _col("price", ColumnKind.DECIMAL, precision=8, scale=2),
        _col("wall", ColumnKind.TIMESTAMP),
        _col("instant", ColumnKind.TIMESTAMP, utc=True),
        _col("clock", ColumnKind.TIME),
        _col("big", ColumnKind.UINT64),
        _col("doc", ColumnKind.JSON),
        _col("zero", ColumnKind.DATE),
    ]
    mapper = build_row_mapper("orders", columns, NumericMapping.NONE, paris)
    assert mapper.schema.name == "orders"
    assert [f.schema.optional for f in mapper.schema.fields][:2] == [False, True]
    row = (
        1,
        decimal.Decimal("3.5"),
        dt.datetime(2024, 7, 1, 12, 0),
        dt.datetime(2024, 7, 1, 12, 0),
        dt.timedelta(hours=25, minutes=1),
        2**64 - 1,
        '{"a": 1}',  # drivers hand JSON out as the text the database holds
        "0000-00-00",
    )
    struct = mapper.to_struct(row)
    assert struct.get("price") == decimal.Decimal("3.50")
    assert struct.get("wall") == dt.datetime(2024, 7, 1, 10, 0, tzinfo=UTC)  # Paris is UTC+2
    assert struct.get("instant") == dt.datetime(2024, 7, 1, 12, 0, tzinfo=UTC)
    assert struct.get("clock") == dt.time(1, 1)
    assert struct.get("big") == decimal.Decimal(2**64 - 1)
    assert struct.get("doc") == '{"a": 1}'
    assert struct.get("zero") is None
    second = mapper.to_struct(row)  # the fast path yields the same struct
    assert second == struct


def test_required_zero_date_is_a_data_error() -> None:
    mapper = build_row_mapper(
        "t", [_col("d", ColumnKind.DATE, nullable=False)], NumericMapping.NONE, UTC
    )
    with pytest.raises(DataError, match="NOT NULL"):
        mapper.to_struct(("0000-00-00",))
