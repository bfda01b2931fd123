"""The JDBC configs of seed documents 000 and 004, run verbatim on MariaDB.

Only host, port and credentials differ from the documents: the connector classes are Confluent's
names, the URLs ``jdbc:mariadb:``/``jdbc:mysql:`` JDBC URLs, and the values keep their JSON types
(numbers included), as users POST them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sluice.testing import EmbeddedWorker, wait_for
from tests.fixtures.databases import JSON_WORKER_PROPS, DatabaseFactory, TestDatabase
from tests.fixtures.kafka import consume_all, produce_values

SEED_000_SOURCE = """{
"name": "my-source-connect",
"config": {
"connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector",
"connection.url": "jdbc:mariadb://localhost:3308/mydb",
"connection.user": "root",
"connection.password": "test1357",
"mode": "incrementing",
"incrementing.column.name": "id",
"table.whitelist": "mydb.users",
"topic.prefix": "my_topic_",
"tasks.max": "1"
}
}"""

SEED_000_SINK = """{
"name": "my-sink-connect",
"config": {
"connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector",
"connection.url": "jdbc:mariadb://localhost:3308/mydb",
"connection.user": "root",
"connection.password": "test1357",
"auto.create": "true",
"auto.evolve": "true",
"delete.enabled": "false",
"tasks.max": "1",
"topics": "my_topic_users"
}
}"""

SEED_004_SOURCE = """{
    "name": "mysql_jdbc_om_source_00",
    "config": {
        "connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector",
        "tasks.max": "1",
        "connection.url": "jdbc:mysql://localhost:3306/om",
        "connection.user": "connect_dev",
        "connection.password": "connect_dev",
        "topic.prefix": "mysql_om_",
        "topic.creation.default.replication.factor": 1,
        "topic.creation.default.partitions": 1,
        "catalog.pattern": "om",
        "table.whitelist": "om.customers",
        "poll.interval.ms": 10000,
        "mode": "incrementing",
        "incrementing.column.name": "customer_id"
    }
}"""

SEED_004_SINK = """{
    "name": "mysql_jdbc_sink_customers",
    "config": {
        "connector.class":"io.confluent.connect.jdbc.JdbcSinkConnector",
        "tasks.max": "1",
        "topics": "mysql_jdbc_customers",
        "connection.url": "jdbc:mysql://localhost:3306/om_sink",
        "connection.user": "connect_dev",
        "connection.password": "connect_dev",

        "insert.mode": "upsert",
        "pk.mode": "record_key",
        "pk.fields": "customer_id",
        "delete.enabled": "true",

        "table.name.format": "om_sink.customers_sink",

        "key.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter"
    }
}"""

CUSTOMERS_DDL = """CREATE TABLE {name} (
customer_id int NOT NULL AUTO_INCREMENT PRIMARY KEY,
email_address varchar(255) NOT NULL,
full_name varchar(255) NOT NULL,
system_upd timestamp NOT NULL
) ENGINE=InnoDB"""

SEED_004_VALUE_SCHEMA = {
    "type": "struct",
    "fields": [
        {"type": "int32", "optional": False, "field": "customer_id"},
        {"type": "string", "optional": False, "field": "email_address"},
        {"type": "string", "optional": False, "field": "full_name"},
        {
            "type": "int64",
            "optional": False,
            "name": "org.apache.kafka.connect.data.Timestamp",
            "version": 1,
            "field": "system_upd",
        },
    ],
    "optional": False,
    "name": "customers",
}
"""The record schema seed 004 shows the console consumer printing."""


def _as_posted(document: str, db: TestDatabase) -> tuple[str, dict[str, str]]:
    """The seed's request with only host, port and credentials replaced, values as strings."""
    request = json.loads(document)
    config: dict[str, Any] = request["config"]
    url = config["connection.url"]
    scheme, rest = url.split("://", 1)
    database = rest.split("/", 1)[1]
    config["connection.url"] = f"{scheme}://localhost:{db.port}/{database}"
    config["connection.user"] = db.user
    config["connection.password"] = db.password
    return request["name"], {k: str(v) for k, v in config.items()}


def test_seed_000_mariadb_source_and_auto_create_sink(
    kafka_bootstrap: str, mariadb_database: DatabaseFactory, tmp_path: Path
) -> None:
    db = mariadb_database("mydb")
    db.execute(
        "CREATE TABLE users (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, "
        "name VARCHAR(100) NOT NULL, email VARCHAR(200), "
        "joined DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3))"
    )
    db.executemany(
        "INSERT INTO users (name, email) VALUES (%s, %s)",
        [(f"user{i}", None if i % 5 == 0 else f"u{i}@example.com") for i in range(200)],
    )
    source_name, source = _as_posted(SEED_000_SOURCE, db)
    sink_name, sink = _as_posted(SEED_000_SINK, db)
    with EmbeddedWorker(kafka_bootstrap, tmp_path, JSON_WORKER_PROPS) as worker:
        worker.create(source_name, source)
        worker.create(sink_name, sink)
        worker.wait_running(source_name)
        worker.wait_running(sink_name)
        messages = consume_all(kafka_bootstrap, "my_topic_users", 200, 60)

        def copied() -> int:
            found = db.query(
                "SELECT count(*) FROM information_schema.TABLES "
                "WHERE TABLE_SCHEMA = 'mydb' AND TABLE_NAME = 'my_topic_users'"
            )[0][0]
            return int(db.query("SELECT count(*) FROM my_topic_users")[0][0]) if found else 0

        wait_for(lambda: copied() == 200, 60, message=lambda: f"{copied()} rows copied")
        db.execute("INSERT INTO users (name, email) VALUES ('late', 'late@example.com')")
        wait_for(lambda: copied() == 201, 30, message=lambda: f"{copied()} rows copied")
    first = json.loads(messages[0].value())
    assert first["schema"]["name"] == "users"
    assert [f["field"] for f in first["schema"]["fields"]] == ["id", "name", "email", "joined"]
    assert first["payload"]["id"] == 1 and first["payload"]["name"] == "user0"
    assert messages[0].key() is None  # the JDBC source writes no key
    source_rows = db.query("SELECT id, name, email, joined FROM users ORDER BY id")
    sink_rows = db.query("SELECT id, name, email, joined FROM my_topic_users ORDER BY id")
    assert sink_rows == source_rows


def test_seed_004_mysql_source_and_upsert_delete_sink(
    kafka_bootstrap: str, mariadb_database: DatabaseFactory, tmp_path: Path
) -> None:
    om = mariadb_database("om")
    sink_db = mariadb_database("om_sink")
    om.execute(CUSTOMERS_DDL.format(name="customers"))
    sink_db.execute(CUSTOMERS_DDL.format(name="customers_sink"))
    om.executemany(
        "INSERT INTO customers VALUES (%s, %s, %s, now())",
        [(i, f"testaddress_{i:02d}@testdomain", f"testuser_{i:02d}") for i in (1, 2)],
    )
    source_name, source = _as_posted(SEED_004_SOURCE, om)
    sink_name, sink = _as_posted(SEED_004_SINK, sink_db)
    assert source["topic.creation.default.partitions"] == "1"
    with EmbeddedWorker(kafka_bootstrap, tmp_path, JSON_WORKER_PROPS) as worker:
        worker.create(source_name, source)
        worker.wait_running(source_name)
        consume_all(kafka_bootstrap, "mysql_om_customers", 2, 60)
        # As in the seed: a row inserted later arrives within the 10 s poll interval.
        om.execute(
            "INSERT INTO customers VALUES (3, 'testaddress_01@testdomain', 'testuser_03', now())"
        )
        messages = consume_all(kafka_bootstrap, "mysql_om_customers", 3, 40)
        envelopes = [json.loads(m.value()) for m in messages]
        assert all(e["schema"] == SEED_004_VALUE_SCHEMA for e in envelopes)
        assert [e["payload"]["customer_id"] for e in envelopes] == [1, 2, 3]
        assert envelopes[2]["payload"]["full_name"] == "testuser_03"

        # The sink side: keyed records (struct key with customer_id), an update and a delete.
        key_schema = {
            "type": "struct",
            "fields": [{"type": "int32", "optional": False, "field": "customer_id"}],
            "optional": False,
        }
        keys, values = [], []
        for e in envelopes:
            keys.append(
                json.dumps(
                    {"schema": key_schema, "payload": {"customer_id": e["payload"]["customer_id"]}}
                )
            )
            values.append(json.dumps(e))
        updated = json.loads(json.dumps(envelopes[1]))
        updated["payload"]["full_name"] = "renamed"
        keys.append(keys[1])
        values.append(json.dumps(updated))
        keys.append(keys[0])
        values.append(None)  # tombstone: delete customer 1
        produce_values(kafka_bootstrap, "mysql_jdbc_customers", values, keys)
        worker.create(sink_name, sink)
        worker.wait_running(sink_name)

        def rows() -> list[tuple[object, ...]]:
            return sink_db.query(
                "SELECT customer_id, email_address, full_name FROM customers_sink "
                "ORDER BY customer_id"
            )

        wait_for(
            lambda: (
                rows()
                == [
                    (2, "testaddress_02@testdomain", "renamed"),
                    (3, "testaddress_01@testdomain", "testuser_03"),
                ]
            ),
            60,
            message=lambda: f"customers_sink holds {rows()}",
        )
    source_times = om.query("SELECT customer_id, system_upd FROM customers WHERE customer_id > 1")
    sink_times = sink_db.query("SELECT customer_id, system_upd FROM customers_sink")
    assert sorted(sink_times) == sorted(source_times)
