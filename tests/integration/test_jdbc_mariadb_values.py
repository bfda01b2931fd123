"""MariaDB values both ways through the JDBC tasks (no broker): the sink's multi-row statements
render every type the way PyMySQL would, and the source's row reader reads them back."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from sluice.api import (
    Date,
    Decimal,
    Schema,
    SchemaBuilder,
    SinkRecord,
    Struct,
    Timestamp,
    TopicPartition,
)
from sluice.connectors.jdbc import JdbcSinkTask, JdbcSourceTask
from sluice.testing import SinkTaskHarness, SourceTaskHarness
from tests.fixtures.databases import DatabaseFactory

VALUE = (
    SchemaBuilder.struct()
    .name("thing")
    .field("id", Schema.INT64_SCHEMA)
    .field("label", Schema.OPTIONAL_STRING_SCHEMA)
    .field("payload", Schema.OPTIONAL_BYTES_SCHEMA)
    .field("price", Decimal.builder(2).optional().build())
    .field("at", Timestamp.builder().optional().build())
    .field("day", Date.builder().optional().build())
    .field("flag", Schema.OPTIONAL_BOOLEAN_SCHEMA)
    .field("ratio", Schema.OPTIONAL_FLOAT64_SCHEMA)
    .build()
)
TRICKY = "quote ' dq \" backslash \\ nl \n cr \r nul \x00 ctrl-z \x1a é 😀"


def _value(i: int, label: str | None) -> Struct:
    s = Struct(VALUE).put("id", i).put("label", label)
    if label is not None:
        s.put("payload", bytes([0, 39, 92, 255]) + label.encode())
        s.put("price", decimal.Decimal(f"{i}.25"))
        s.put("at", dt.datetime(2024, 1, 2, 3, 4, 5, 123000, tzinfo=dt.UTC))
        s.put("day", dt.date(2024, 2, 29)).put("flag", i % 2 == 0).put("ratio", i / 3)
    return s


def _sink(db: Any, mode: str, records: list[SinkRecord]) -> None:
    config = {
        **db.connection_config(),
        "topics": "things",
        "auto.create": "true",
        "table.name.format": "things",
        "insert.mode": mode,
        "pk.mode": "record_value",
        "pk.fields": "id",
    }
    tp = TopicPartition("things", 0)
    harness = SinkTaskHarness(JdbcSinkTask(), config).start([tp])
    harness.put(records)
    assert harness.commit() == {tp: records[-1].kafka_offset + 1}
    harness.stop()


def test_mariadb_sink_and_source_keep_every_value(mariadb_database: DatabaseFactory) -> None:
    db = mariadb_database()
    first = [_value(i, f"{TRICKY} {i}") for i in range(1, 400)] + [_value(400, None)]
    records = [SinkRecord("things", 0, None, None, VALUE, v, n) for n, v in enumerate(first)]
    _sink(db, "insert", records)
    # Upsert over the same keys, changed values, with repeats in one batch (the last one wins).
    later = [_value(i, f"again {i} '") for i in (5, 6, 5)]
    _sink(
        db,
        "upsert",
        [SinkRecord("things", 0, None, None, VALUE, v, 1000 + n) for n, v in enumerate(later)],
    )
    rows = db.query(
        "SELECT id, label, payload, price, at, day, flag, ratio FROM things ORDER BY id"
    )
    assert len(rows) == 400
    assert rows[0] == (
        1,
        f"{TRICKY} 1",
        bytes([0, 39, 92, 255]) + f"{TRICKY} 1".encode(),
        decimal.Decimal("1.25"),
        dt.datetime(2024, 1, 2, 3, 4, 5, 123000),
        dt.date(2024, 2, 29),
        0,
        1 / 3,
    )
    assert rows[4][1] == "again 5 '" and rows[5][1] == "again 6 '"
    assert rows[-1] == (400, None, None, None, None, None, None, None)

    source = SourceTaskHarness(
        JdbcSourceTask(),
        {
            **db.connection_config(),
            "mode": "incrementing",
            "incrementing.column.name": "id",
            "tables": "things",
            "tables.fetched": "true",
            "topic.prefix": "t_",
            "batch.max.rows": "150",
        },
    ).start()
    read = source.poll_until(400, max_polls=50)
    source.stop()
    assert [r.value.get("id") for r in read] == list(range(1, 401))
    assert read[0].source_offset == {"incrementing": 1}
    got = read[0].value
    assert got.get("label") == f"{TRICKY} 1"
    assert got.get("payload") == bytes([0, 39, 92, 255]) + f"{TRICKY} 1".encode()
    assert got.get("price") == decimal.Decimal("1.25")
    assert got.get("at") == dt.datetime(2024, 1, 2, 3, 4, 5, 123000, tzinfo=dt.UTC)
    assert got.get("day") == dt.date(2024, 2, 29)
    assert read[-1].value.get("label") is None and read[-1].source_offset == {"incrementing": 400}
