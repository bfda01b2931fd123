"""Value conversion, column models, table-map handling and DDL parsing of the binlog connectors.

No server: columns are built from ``information_schema``-shaped rows and from binlog-reader
column objects, and values in both readers' forms (PyMySQL's and the binlog's) must convert to
the same Debezium values.
"""

from __future__ import annotations

import datetime as dt
import decimal
from types import SimpleNamespace
from typing import Any

import pytest
from pymysqlreplication.constants import FIELD_TYPE

from sluice.api import ConfigError, SourceRecord, Struct
from sluice.connectors.debezium_mysql.binlog import (
    StartPosition,
    ddl_targets,
    merge_gtid,
)
from sluice.connectors.debezium_mysql.columns import (
    Column,
    UnsupportedTypeError,
    binlog_time,
    column_from_information_schema,
    convert,
    field_schema,
)
from sluice.connectors.debezium_mysql.config import Settings
from sluice.connectors.debezium_mysql.records import RecordFactory, SourcePosition
from sluice.connectors.debezium_mysql.tables import (
    TableId,
    TableModel,
    matches_table_map,
    model_from_table_map,
)

BASE = {
    "database.hostname": "db",
    "database.user": "u",
    "database.server.id": "5",
    "topic.prefix": "srv",
    "schema.history.internal.kafka.topic": "h",
    "schema.history.internal.kafka.bootstrap.servers": "k:9092",
}


def settings(**extra: str) -> Settings:
    return Settings.parse({**BASE, **extra})


def info(name: str, column_type: str, **extra: Any) -> dict[str, Any]:
    data_type = column_type.split("(")[0].split(" ")[0]
    row: dict[str, Any] = {
        "COLUMN_NAME": name,
        "ORDINAL_POSITION": 1,
        "DATA_TYPE": data_type,
        "COLUMN_TYPE": column_type,
        "IS_NULLABLE": "YES",
        "COLUMN_DEFAULT": None,
        "EXTRA": "",
        "CHARACTER_SET_NAME": None,
        "CHARACTER_MAXIMUM_LENGTH": None,
        "NUMERIC_PRECISION": None,
        "NUMERIC_SCALE": None,
        "DATETIME_PRECISION": None,
        "COLUMN_COMMENT": "",
    }
    row.update(extra)
    return row


def col(column_type: str, **extra: Any) -> Column:
    return column_from_information_schema(info("c", column_type, **extra))


@pytest.mark.parametrize(
    ("column_type", "extra", "snapshot_value", "binlog_value", "expected"),
    [
        ("int(10) unsigned", {}, 4294967295, 4294967295, 4294967295),
        ("bigint(20) unsigned", {}, 2**64 - 1, 2**64 - 1, -1),
        ("tinyint(1)", {}, 1, 1, 1),
        ("enum('a','b')", {}, "b", "b", "b"),
        ("set('x','y','z')", {}, "x,z", {"z", "x"}, "x,z"),
        ("set('x','y')", {}, "", "", ""),
        ("bit(10)", {"NUMERIC_PRECISION": 10}, b"\x02\xaa", "1010101010", b"\xaa\x02"),
        ("bit(1)", {"NUMERIC_PRECISION": 1}, b"\x01", "1", True),
        ("year(4)", {}, 2024, 2024, 2024),
        ("date", {}, dt.date(2024, 2, 3), dt.date(2024, 2, 3), 19756),
        (
            "datetime(3)",
            {"DATETIME_PRECISION": 3},
            dt.datetime(2024, 2, 3, 4, 5, 6, 789000),
            dt.datetime(2024, 2, 3, 4, 5, 6, 789000),
            1706933106789,
        ),
        (
            "datetime(6)",
            {"DATETIME_PRECISION": 6},
            dt.datetime(1969, 12, 31, 23, 59, 59, 999999),
            dt.datetime(1969, 12, 31, 23, 59, 59, 999999),
            -1,
        ),
        (
            "timestamp(6)",
            {"DATETIME_PRECISION": 6},
            dt.datetime(2024, 2, 3, 4, 5, 6, 120000),
            dt.datetime(2024, 2, 3, 4, 5, 6, 120000),
            "2024-02-03T04:05:06.120000Z",
        ),
        (
            "timestamp",
            {},
            dt.datetime(2024, 2, 3, 4, 5, 6),
            dt.datetime(2024, 2, 3, 4, 5, 6),
            "2024-02-03T04:05:06Z",
        ),
        (
            "time(2)",
            {"DATETIME_PRECISION": 2},
            -dt.timedelta(hours=12, minutes=34, seconds=56, microseconds=780000),
            binlog_time(dt.timedelta(days=-1, seconds=41103, microseconds=780000)),
            -45296780000,
        ),
        ("varbinary(4)", {"CHARACTER_MAXIMUM_LENGTH": 4}, b"\x00\xff", b"\x00\xff", b"\x00\xff"),
        ("binary(4)", {"CHARACTER_MAXIMUM_LENGTH": 4}, b"\x01", b"\x01", b"\x01\0\0\0"),
    ],
)
def test_both_readers_convert_alike(
    column_type: str, extra: dict[str, Any], snapshot_value: Any, binlog_value: Any, expected: Any
) -> None:
    s = settings()
    c = col(column_type, **extra)
    assert convert(c, snapshot_value, s) == expected
    assert convert(c, binlog_value, s) == expected


def test_read_timestamps_are_not_padded_to_their_precision() -> None:
    """A TIMESTAMP a snapshot reads is Debezium's ``java.sql.Timestamp`` (ISO_OFFSET_DATE_TIME,
    no trailing zeros), a streamed one its ``ZonedDateTime`` (exactly fsp digits): both seen
    beside Debezium's MariaDbConnector 3.5.0.Final."""
    c = col("timestamp(6)", DATETIME_PRECISION=6)
    value = dt.datetime(2024, 2, 3, 4, 5, 6, 500000)
    assert convert(c, value, settings(), read=True) == "2024-02-03T04:05:06.5Z"
    assert convert(c, value, settings()) == "2024-02-03T04:05:06.500000Z"
    assert convert(c, value.replace(microsecond=0), settings(), read=True) == "2024-02-03T04:05:06Z"


@pytest.mark.parametrize(
    ("decoded", "true"),
    [
        (-45296.22, -45296.78),
        (-0.999999, -0.000001),
        (-3600.75, -3600.25),
        (-1.999, -1.001),
        (-0.5, -0.5),
        (-3020399.0, -3020399.0),
        (1.5, 1.5),
    ],
)
def test_negative_binlog_times_are_corrected(decoded: float, true: float) -> None:
    """What mysql-replication 1.0.17 decoded for TIME(n) values the server holds (checked
    against MariaDB 10.11), and the values they are."""
    fixed = binlog_time(dt.timedelta(seconds=decoded))
    assert round(fixed.total_seconds(), 6) == true


def test_schemas_follow_the_modes() -> None:
    price = col("decimal(10,2)", NUMERIC_PRECISION=10, NUMERIC_SCALE=2)
    precise = field_schema(price, settings(), "d.t")
    assert precise.name == "org.apache.kafka.connect.data.Decimal"
    assert precise.parameters == {"scale": "2", "connect.decimal.precision": "10"}
    assert convert(price, decimal.Decimal("12.3"), settings()) == decimal.Decimal("12.30")
    s = settings(**{"decimal.handling.mode": "string"})
    assert field_schema(price, s, "d.t").type.name == "STRING"
    assert convert(price, decimal.Decimal("12.30"), s) == "12.30"
    s = settings(**{"decimal.handling.mode": "double"})
    assert convert(price, decimal.Decimal("12.30"), s) == 12.3
    big = col("bigint(20) unsigned")
    s = settings(**{"bigint.unsigned.handling.mode": "precise"})
    assert field_schema(big, s, "d.t").parameters == {
        "scale": "0",
        "connect.decimal.precision": "20",
    }
    assert convert(big, 2**64 - 1, s) == decimal.Decimal(2**64 - 1)
    stamp = col("datetime(6)", DATETIME_PRECISION=6)
    s = settings(**{"time.precision.mode": "connect"})
    assert field_schema(stamp, s, "d.t").name == "org.apache.kafka.connect.data.Timestamp"
    assert convert(stamp, dt.datetime(2024, 1, 1), s) == dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def test_column_details_from_the_catalogue() -> None:
    c = column_from_information_schema(
        info(
            "name",
            "varchar(20)",
            CHARACTER_MAXIMUM_LENGTH=20,
            COLUMN_DEFAULT="'it''s'",
            IS_NULLABLE="NO",
            CHARACTER_SET_NAME="utf8mb4",
        ),
    )
    assert (c.type_name, c.length, c.optional, c.default) == ("VARCHAR", 20, False, "it's")
    schema = field_schema(c, settings(), "d.t")
    assert schema.default == "it's" and not schema.optional
    mysql_json = column_from_information_schema(info("doc", "json"))
    assert mysql_json.type_name == "JSON" and mysql_json.jdbc_type == 1111
    assert field_schema(mysql_json, settings(), "d.t").name == "io.debezium.data.Json"
    mariadb_json = column_from_information_schema(info("doc", "longtext"))
    assert mariadb_json.type_name == "LONGTEXT" and mariadb_json.length is None
    assert field_schema(mariadb_json, settings(), "d.t").name is None
    assert convert(mysql_json, {b"a": [1, b"x"]}, settings()) == '{"a": [1, "x"]}'
    e = col("enum('a','it''s')")
    assert e.enum_values == ("a", "it's") and e.jdbc_type == 1
    assert col("int(10) unsigned").type_name == "INT UNSIGNED"
    assert (
        column_from_information_schema(info("n", "int(11)", COLUMN_DEFAULT="NULL")).default is None
    )


def test_unknown_type_names_table_and_column() -> None:
    geometry = col("point")
    with pytest.raises(UnsupportedTypeError, match=r"d\.t\.c has type POINT.*column\.exclude"):
        field_schema(geometry, settings(), "d.t")


def _binlog_col(t: int, name: str, **attrs: Any) -> SimpleNamespace:
    base: dict[str, Any] = {"unsigned": False, "is_primary": False, "character_set_name": None}
    return SimpleNamespace(type=t, name=name, **{**base, **attrs})


def test_table_map_model_is_used_when_the_catalogue_moved_on() -> None:
    columns = [
        _binlog_col(FIELD_TYPE.LONG, "id", is_primary=True),
        _binlog_col(FIELD_TYPE.VARCHAR, "a", character_set_name="utf8", max_length=40),
        _binlog_col(FIELD_TYPE.BLOB, "b", character_set_name="binary", length_size=2),
        _binlog_col(FIELD_TYPE.NEWDECIMAL, "p", precision=8, decimals=3),
        _binlog_col(FIELD_TYPE.ENUM, "e", enum_values=["", "x", "y"], character_set_name="utf8"),
        _binlog_col(FIELD_TYPE.DATETIME2, "at", fsp=6),
    ]
    tid = TableId("d", "t")
    catalogue = TableModel(tid, [col("int(11)")], ["c"])
    assert not matches_table_map(catalogue, [c.name for c in columns])
    model = model_from_table_map(tid, columns, bytes([0b111110]))
    assert matches_table_map(model, ["id", "a", "b", "p", "e", "at"])
    assert model.primary_key == ["id"]
    assert [c.type_name for c in model.columns] == [
        "INT",
        "VARCHAR",
        "BLOB",
        "DECIMAL",
        "ENUM",
        "DATETIME",
    ]
    assert [c.optional for c in model.columns] == [False, True, True, True, True, True]
    key, value = model.schemas(settings())
    assert key is not None and key.name == "srv.d.t.Key"
    assert value.name == "srv.d.t.Value"
    assert value.field("e").schema.parameters == {"allowed": "x,y"}
    assert value.field("at").schema.name == "io.debezium.time.MicroTimestamp"


def test_change_records_and_tombstones() -> None:
    s = settings(**{"column.exclude.list": r"d\.t\.secret"})
    tid = TableId("d", "t")
    model = TableModel(
        tid,
        [
            column_from_information_schema(info("id", "int(11)", IS_NULLABLE="NO")),
            column_from_information_schema(info("secret", "varchar(5)")),
        ],
        ["id"],
    )
    factory = RecordFactory(s, "mysql")
    pos = SourcePosition("bin.000001", 120, row=0, server_id=1, gtid=None, ts_ms=1000)
    records = factory.change("d", model, {"id": 7, "secret": "x"}, None, pos, {"file": "f"})
    change, tombstone = records
    assert isinstance(change, SourceRecord) and change.topic == "srv.d.t"
    assert change.source_partition == {"server": "srv"}
    assert isinstance(change.key, Struct) and change.key.get("id") == 7
    value = change.value
    assert isinstance(value, Struct)
    assert value.get("op") == "d" and value.get("after") is None
    assert [f.name for f in value.get("before").schema.fields] == ["id"]  # column excluded
    source = value.get("source")
    assert source.schema.name == "io.debezium.connector.mysql.Source"
    assert (source.get("connector"), source.get("file"), source.get("pos")) == (
        "mysql",
        "bin.000001",
        120,
    )
    assert source.get("ts_ms") == 1000 and source.get("snapshot") == "false"
    assert tombstone.value is None and tombstone.key == change.key
    no_tombstones = RecordFactory(settings(**{"tombstones.on.delete": "false"}), "mysql")
    assert len(no_tombstones.change("d", model, {"id": 7}, None, pos, {})) == 1


@pytest.mark.parametrize(
    ("query", "kind", "tables"),
    [
        ("CREATE TABLE IF NOT EXISTS `a`.`b c` (x int)", "CREATE", [("a", "b c")]),
        ("create table t (x int)", "CREATE", [("db", "t")]),
        ("ALTER TABLE t ADD COLUMN y INT", "ALTER", [("db", "t")]),
        ("ALTER ONLINE TABLE other.t DROP y", "ALTER", [("other", "t")]),
        (
            "DROP TABLE IF EXISTS `t1`, db2.t2 /* generated by server */",
            "DROP",
            [("db", "t1"), ("db2", "t2")],
        ),
        (
            "RENAME TABLE a TO b, c TO d",
            "ALTER",
            [("db", "a"), ("db", "b"), ("db", "c"), ("db", "d")],
        ),
        ("CREATE INDEX i ON t (x)", "ALTER", [("db", "t")]),
        ("CREATE DATABASE x", "DATABASE", []),
    ],
)
def test_ddl_targets(query: str, kind: str, tables: list[tuple[str, str]]) -> None:
    target = ddl_targets(query, "db")
    assert target is not None and target.kind == kind
    assert [(t.db, t.table) for t in target.tables] == tables


def test_ddl_targets_ignores_other_statements() -> None:
    for q in (
        "GRANT SELECT ON *.* TO x",
        "FLUSH PRIVILEGES",
        "SAVEPOINT a",
        "INSERT INTO t VALUES (1)",
    ):
        assert ddl_targets(q, "db") is None


def test_gtid_positions_and_offsets() -> None:
    assert merge_gtid(None, "0-1-5") == "0-1-5"
    assert merge_gtid("0-1-5,1-2-3", "0-1-6") == "0-1-6,1-2-3"
    assert merge_gtid("1-2-3", "0-1-6") == "0-1-6,1-2-3"
    start = StartPosition.from_offset(
        {"file": "b.1", "pos": 4, "event": 2, "row": 3, "gtids": "0-1-1"}
    )
    assert (start.file, start.pos, start.event, start.row, start.gtids) == ("b.1", 4, 2, 3, "0-1-1")
    with pytest.raises(Exception, match="file"):
        StartPosition.from_offset({"pos": 4})


def test_settings_checks() -> None:
    with pytest.raises(ConfigError, match="table.exclude.list"):
        settings(**{"table.include.list": "a.b", "table.exclude.list": "c.d"})
    with pytest.raises(ConfigError, match="Invalid regular expression"):
        settings(**{"table.include.list": "a.("})
    assert settings(**{"snapshot.mode": "schema_only"}).snapshot_mode.value == "no_data"
    f = settings(**{"table.include.list": r"inv\.orders,inv\.items"}).filters
    assert f.table("inv", "orders") and f.table("INV", "Items") and not f.table("inv", "other")
    assert not f.table("mysql", "user")
