"""Sluice's ExtractNewRecordState against Debezium's own (3.6.1.Final), on the same records.

The SMT harness of ``test_transforms_java`` runs the Java side with Debezium's
``debezium-connect-plugins`` and its dependencies on the classpath beside Kafka's jars (the
folder ``test_debezium_postgres_java`` fetches with Maven, ``<repo>/.cache/debezium/postgres``).
The records are Debezium PostgreSQL change events (create, snapshot read, update, delete,
tombstone, truncate) and a heartbeat, under every ``delete.tombstone.handling.mode`` and the
``add.fields``/``add.headers``/``route.by.field`` options. Debezium 3.6 no longer reads
``drop.tombstones``/``delete.handling.mode``, so those are covered by the unit tests only.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from sluice.api import Schema, SchemaBuilder, Struct
from tests.compat.java_tools import run_case_harness
from tests.compat.test_transforms_java import (
    _JAVA_SOURCE,
    _canonical_record,
    _check_error,
    _kafka_libs,
    rec,
    run_python_chain,
)
from tests.fixtures.debezium_envelope import SOURCE, TRANSACTION, envelope_schema, key_schema

pytestmark = pytest.mark.compat

REPO = Path(__file__).resolve().parents[2]
UNWRAP = "io.debezium.transforms.ExtractNewRecordState"
TOPIC = "dbz.public.customers"

ROW = (
    SchemaBuilder.struct()
    .name(f"{TOPIC}.Value")
    .field("id", Schema.INT32_SCHEMA)
    .field("name", SchemaBuilder.string().optional().default_value("nobody").build())
    .field("qty", Schema.OPTIONAL_INT64_SCHEMA)
    .optional()
    .build()
)
KEY = key_schema(TOPIC)
ENVELOPE = envelope_schema(TOPIC, ROW)
HEARTBEAT = (
    SchemaBuilder.struct()
    .name("io.debezium.connector.common.Heartbeat")
    .field("ts_ms", Schema.INT64_SCHEMA)
    .build()
)


def _row(id_: int, name: str | None, qty: int | None = 1) -> Struct:
    return Struct(ROW).put("id", id_).put("name", name).put("qty", qty)


def _event(op: str, before: Struct | None, after: Struct | None, tx: bool = False) -> Struct:
    source = (
        Struct(SOURCE).put("version", "3.6.1.Final").put("ts_ms", 111).put("table", "customers")
    )
    value = (
        Struct(ENVELOPE)
        .put("before", before)
        .put("after", after)
        .put("source", source.put("lsn", 2222))
        .put("op", op)
        .put("ts_ms", 333)
    )
    if tx:
        block = Struct(TRANSACTION).put("id", "571").put("total_order", 42)
        value.put("transaction", block.put("data_collection_order", 7))
    return value


def _key(id_: int) -> tuple[Schema, Struct]:
    return KEY, Struct(KEY).put("id", id_)


RECORDS = [
    rec((ENVELOPE, _event("r", None, _row(1, "ann"))), _key(1), topic=TOPIC, sink=False),
    rec((ENVELOPE, _event("c", None, _row(2, None, None))), _key(2), topic=TOPIC, sink=False),
    rec(
        (ENVELOPE, _event("u", _row(1, "ann"), _row(1, "bob", 5), tx=True)),
        _key(1),
        topic=TOPIC,
        headers=[("trace", (Schema.STRING_SCHEMA, "t-1"))],
    ),
    rec((ENVELOPE, _event("d", _row(1, "bob", 5), None)), _key(1), topic=TOPIC),
    rec((None, None), _key(1), topic=TOPIC),
    rec((ENVELOPE, _event("t", None, None)), (None, None), topic=TOPIC, sink=False),
    rec((HEARTBEAT, Struct(HEARTBEAT).put("ts_ms", 5)), (None, None), topic="__debezium-hb"),
    rec((Schema.STRING_SCHEMA, "not an envelope"), (None, None), topic=TOPIC),
]

CONFIGS: dict[str, dict[str, str]] = {
    "default": {},
    "tombstone": {"delete.tombstone.handling.mode": "tombstone"},
    "drop": {"delete.tombstone.handling.mode": "drop"},
    "rewrite": {"delete.tombstone.handling.mode": "rewrite"},
    "rewrite_no_defaults": {
        "delete.tombstone.handling.mode": "rewrite",
        "replace.null.with.default": "false",
    },
    "rewrite_with_tombstone": {"delete.tombstone.handling.mode": "rewrite-with-tombstone"},
    "delete_to_tombstone": {"delete.tombstone.handling.mode": "delete-to-tombstone"},
    "bad_mode": {"delete.tombstone.handling.mode": "delete"},
    "add_fields": {"add.fields": "op,table,lsn,source.ts_ms,ts_ms,id,total_order,nothing"},
    "add_fields_renamed": {
        "add.fields": "op:OP,source.lsn:source_lsn,transaction.total_order:TOTAL",
        "add.fields.prefix": "",
    },
    "add_fields_rewrite": {
        "add.fields": "op,source.ts_ms",
        "add.fields.prefix": "meta_",
        "delete.tombstone.handling.mode": "rewrite-with-tombstone",
    },
    "add_headers": {"add.headers": "op,table,source.ts_ms,id,nothing", "add.headers.prefix": "h_"},
    "add_headers_tombstones": {
        "add.headers": "op,lsn",
        "delete.tombstone.handling.mode": "rewrite-with-tombstone",
    },
    "route_by_field": {"route.by.field": "name"},
    "route_by_int_field": {"route.by.field": "qty"},
}

CASES = {
    name: {
        "id": name,
        "kind": "chain",
        "chain": [{"type": UNWRAP, "config": config}],
        "records": RECORDS,
    }
    for name, config in CONFIGS.items()
}


def _debezium_libs() -> Path:
    libs = Path(os.environ.get("SLUICE_DEBEZIUM_LIBS", REPO / ".cache" / "debezium" / "postgres"))
    if not list(libs.glob("debezium-connect-plugins-*.jar")):
        pytest.fail(
            f"Debezium's jars not found in {libs}: run tests/compat/test_debezium_postgres_java.py "
            "once (it fetches them with Maven) or set SLUICE_DEBEZIUM_LIBS"
        )
    return libs


@pytest.fixture(scope="module")
def java_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    # Kafka's jars first: Debezium's folder carries its own Jackson, which must not win.
    classpath = f"{_kafka_libs()}/*{os.pathsep}{_debezium_libs()}/*"
    work = tmp_path_factory.mktemp("unwrap-harness")
    flags = ["-Duser.timezone=UTC", "-Dlog4j2.level=OFF"]
    return run_case_harness(work, _JAVA_SOURCE, classpath, list(CASES.values()), flags)


@pytest.mark.parametrize("case_id", list(CASES))
def test_unwrap_matches_debezium(case_id: str, java_results: dict[str, Any]) -> None:
    java = java_results[case_id]
    assert "error" not in java, java
    python = run_python_chain(CASES[case_id])
    if "config_error" in java or "config_error" in python:
        assert "config_error" in java and "config_error" in python, (java, python)
        assert java["config_error"]["class"] in {"ConfigException", "ConnectException"}, java
        return
    assert len(python["results"]) == len(java["results"])
    for i, (j, p) in enumerate(zip(java["results"], python["results"], strict=True)):
        assert p["status"] == j["status"], (i, j, p)
        if j["status"] == "error":
            _check_error(case_id, j["error"], p["error"])
        elif j["status"] == "ok":
            assert _canonical_record(p["record"]) == _canonical_record(j["record"]), f"record {i}"
