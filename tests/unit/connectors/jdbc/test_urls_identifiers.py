"""JDBC URL translation, table names and offset shapes."""

from __future__ import annotations

import datetime as dt

import pytest

from sluice.api import ConfigError
from sluice.connectors.jdbc.dialects import MySqlDialect, PostgresDialect, SqliteDialect
from sluice.connectors.jdbc.identifiers import TableId, split_identifier
from sluice.connectors.jdbc.offsets import (
    Offset,
    query_partition,
    table_partition_v0,
    table_partition_v1,
    to_millis_and_nanos,
)
from sluice.connectors.jdbc.urls import DatabaseKind, parse_connection_url


@pytest.mark.parametrize(
    ("url", "kind", "rendered"),
    [
        (
            "jdbc:mariadb://localhost:3308/mydb",
            DatabaseKind.MYSQL,
            "mysql+pymysql://localhost:3308/mydb",
        ),
        (
            "jdbc:mysql://db.example:3306/om?useSSL=false&serverTimezone=UTC",
            DatabaseKind.MYSQL,
            "mysql+pymysql://db.example:3306/om",
        ),
        ("jdbc:mysql://h1,h2:3307/x", DatabaseKind.MYSQL, "mysql+pymysql://h1:3306/x"),
        (
            "jdbc:postgresql://pg:5433/shop?currentSchema=sales",
            DatabaseKind.POSTGRESQL,
            "postgresql+psycopg://pg:5433/shop?options=-csearch_path%3Dsales",
        ),
        (
            "jdbc:postgresql:shop",
            DatabaseKind.POSTGRESQL,
            "postgresql+psycopg://localhost:5432/shop",
        ),
        ("jdbc:sqlite:/tmp/a.db", DatabaseKind.SQLITE, "sqlite:////tmp/a.db"),
        ("jdbc:sqlite::memory:", DatabaseKind.SQLITE, "sqlite://"),
        ("postgresql://u@h/d", DatabaseKind.POSTGRESQL, "postgresql+psycopg://u@h/d"),
        ("mysql://h/d", DatabaseKind.MYSQL, "mysql+pymysql://h/d"),
    ],
)
def test_urls_translate(url: str, kind: DatabaseKind, rendered: str) -> None:
    parsed = parse_connection_url(url)
    assert parsed.kind is kind
    assert parsed.url.render_as_string(hide_password=False) == rendered


def test_user_and_password_override_the_url_and_are_hidden() -> None:
    parsed = parse_connection_url("jdbc:mysql://h:1/d?user=a&password=url-secret", "root", "s3cret")
    assert parsed.url.username == "root" and parsed.url.password == "s3cret"
    assert "s3cret" not in parsed.safe()
    from_url = parse_connection_url("jdbc:postgresql://h/d?user=a&password=pw")
    assert from_url.url.username == "a" and from_url.url.password == "pw"


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("", "must be set"),
        ("jdbc:oracle:thin:@h:1521:x", "unsupported JDBC subprotocol 'oracle'"),
        ("jdbc:mysql:nohost", "expected jdbc:mysql://"),
        ("jdbc:mysql://h:port/d", "port 'port' is not a number"),
        ("mssql://h/d", "unsupported database 'mssql'"),
    ],
)
def test_bad_urls_name_the_key(url: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_connection_url(url)
    assert info.value.key == "connection.url"
    assert fragment in str(info.value)


def test_bad_url_message_hides_password() -> None:
    with pytest.raises(ConfigError) as info:
        parse_connection_url("jdbc:oracle://h/d?password=topsecret")
    assert "topsecret" not in str(info.value)


def test_split_identifier_handles_quotes() -> None:
    assert split_identifier("mydb.users") == ["mydb", "users"]
    assert split_identifier('"my.schema"."Users"') == ["my.schema", "Users"]
    assert split_identifier("`a``b`.t") == ["a`b", "t"]
    with pytest.raises(ConfigError):
        split_identifier("a..b")


def test_dialects_parse_names_their_way() -> None:
    assert MySqlDialect().parse_table("mydb.users") == TableId("mydb", None, "users")
    assert PostgresDialect().parse_table("public.users") == TableId(None, "public", "users")
    assert PostgresDialect().parse_table("db.public.users") == TableId("db", "public", "users")
    assert SqliteDialect().parse_table("users") == TableId(None, None, "users")
    assert MySqlDialect().table_sql(TableId("om", None, "c")) == "`om`.`c`"
    assert PostgresDialect().table_sql(TableId("db", "s", "t")) == '"s"."t"'
    assert PostgresDialect(quote_identifiers=False).table_sql(TableId(None, "s", "t")) == "s.t"


def test_partitions_have_confluent_shapes_and_key_order() -> None:
    table = TableId("mydb", None, "users")
    assert list(table_partition_v1(table).items()) == [("protocol", "1"), ("table", "mydb.users")]
    assert table_partition_v0(table) == {"table": "users"}
    assert query_partition() == {"query": "query"}


def test_offsets_round_trip_millis_and_nanos() -> None:
    ts = dt.datetime(2024, 3, 1, 10, 0, 0, 123456, tzinfo=dt.UTC)
    offset = Offset(ts, 42)
    stored = offset.to_map()
    assert stored == {
        "timestamp_nanos": 123456000,
        "incrementing": 42,
        "timestamp": to_millis_and_nanos(ts)[0],
    }
    assert stored["timestamp"] % 1000 == 123
    assert Offset.from_map(stored) == offset
    assert Offset.from_map({"incrementing": 7}).incrementing_or_default == 7
    assert Offset.from_map(None).incrementing_or_default == -1
    # Offsets from Confluent without nanos keep millisecond precision.
    assert Offset.from_map({"timestamp": 1500}).timestamp == dt.datetime(
        1970, 1, 1, 0, 0, 1, 500000, tzinfo=dt.UTC
    )
