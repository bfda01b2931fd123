"""Issue 17: a PostgreSQL table replicated into MariaDB through Kafka, as Debezium users do it.

One worker runs Debezium's PostgresConnector (JsonConverter with schemas) and the JDBC sink with
Debezium's ExtractNewRecordState SMT (``insert.mode=upsert``, ``delete.enabled=true``): after
the snapshot, inserts, updates (one to NULL) and deletes (one of a row inserted again) on the
source, the target table must hold exactly the source's rows. That covers the unwrapped create,
read and update rows, deletes turned into null values that the sink deletes by key, and the
Debezium tombstones that the SMT drops.
"""

from __future__ import annotations

import decimal
from pathlib import Path

from sluice.testing import wait_for
from sluice.testing.worker import EmbeddedWorker
from tests.fixtures.databases import DatabaseFactory
from tests.fixtures.debezium import postgres_config
from tests.fixtures.kafka import create_topic

JSON = "org.apache.kafka.connect.json.JsonConverter"
COLUMNS = "id, name, qty, price"


def test_postgres_table_replicated_to_mariadb_ends_equal(
    kafka_bootstrap: str,
    postgres_database: DatabaseFactory,
    mariadb_database: DatabaseFactory,
    tmp_path: Path,
) -> None:
    source, target = postgres_database(), mariadb_database()
    prefix = f"rep{tmp_path.name[-6:]}".replace("_", "")
    source.execute(
        "CREATE TABLE customers (id INT PRIMARY KEY, name TEXT, qty INT, price NUMERIC(8, 2))"
    )
    source.execute(
        "INSERT INTO customers SELECT g, 'name ' || g, g * 10, g + 0.25 "
        "FROM generate_series(1, 20) g"
    )
    topic = f"{prefix}.public.customers"
    # Created up front so the sink's subscription finds it at once (no metadata refresh wait).
    create_topic(kafka_bootstrap, topic)
    cdc = postgres_config(
        source,
        prefix,
        **{
            "slot.drop.on.stop": "true",
            "table.include.list": "public.customers",
            "poll.interval.ms": "100",
        },
    )
    sink = {
        "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector",
        **target.connection_config(),
        "topics": topic,
        "table.name.format": "customers_replica",
        "insert.mode": "upsert",
        "pk.mode": "record_key",
        "delete.enabled": "true",
        "auto.create": "true",
        "transforms": "unwrap",
        "transforms.unwrap.type": "io.debezium.transforms.ExtractNewRecordState",
    }

    def rows_of(db_rows: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
        return sorted(db_rows, key=lambda r: int(r[0]))  # type: ignore[call-overload]

    def source_rows() -> list[tuple[object, ...]]:
        return rows_of(source.query(f"SELECT {COLUMNS} FROM customers"))

    def target_rows() -> list[tuple[object, ...]] | None:
        try:
            return rows_of(target.query(f"SELECT {COLUMNS} FROM customers_replica"))
        except Exception as e:  # the sink creates the table with its first batch
            if "doesn't exist" in str(e):
                return None
            raise

    def equal() -> bool:
        return target_rows() == source_rows()

    props = {"key.converter": JSON, "value.converter": JSON}
    with EmbeddedWorker(kafka_bootstrap, tmp_path, props, [("cdc", cdc), ("sink", sink)]) as w:
        w.wait_running("cdc")
        w.wait_running("sink")
        wait_for(equal, 60, message=lambda: f"snapshot not replicated: {target_rows()}")
        source.execute("INSERT INTO customers VALUES (21, 'new', 1, 1.50), (22, 'gone', 2, 2)")
        source.execute("UPDATE customers SET qty = qty + 1, name = 'changed' WHERE id <= 5")
        source.execute("UPDATE customers SET price = NULL, name = NULL WHERE id = 6")
        source.execute("DELETE FROM customers WHERE id IN (7, 8, 22)")
        source.execute("DELETE FROM customers WHERE id = 9")
        source.execute("INSERT INTO customers VALUES (9, 'back', 9, 9.99)")
        wait_for(
            equal,
            60,
            message=lambda: f"target {target_rows()} != source {source_rows()}",
        )
    # 20 + 2 inserted - 4 deleted + 1 inserted again: the changes all reached the target.
    final = source_rows()
    assert len(final) == 19 and [r[0] for r in final if r[0] in (7, 8, 22)] == []
    assert (6, None, 60, None) in final and (9, "back", 9, decimal.Decimal("9.99")) in final
