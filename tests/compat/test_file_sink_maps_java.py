"""Schemaless JSON through SMTs into FileStreamSink, on Kafka Connect 4.1.1 (``ConnectStandalone``
from the Maven jars) and on sluice, from the same topic: the two files must be equal byte for byte.

Kafka Connect reads each JSON object into a ``HashMap`` and the SMTs copy maps into new ones, so
FileStreamSink prints their keys in hash-table order, which depends on how each map was built.
The records vary the number of keys across the tables' resizes, nest maps and lists, and use
keys outside ASCII, so that the order is tested and not the JSON order by luck.
"""

from __future__ import annotations

import json
import random
import uuid
from pathlib import Path

import pytest

from sluice.testing import EmbeddedWorker, wait_for
from tests.fixtures.java_connect import connector_running, java_standalone, log_tail
from tests.fixtures.kafka import create_topic, produce_values

pytestmark = pytest.mark.compat

RECORDS = 120
CHAIN = {
    "transforms": "drop,insert,mask,ts",
    "transforms.drop.type": "org.apache.kafka.connect.transforms.ReplaceField$Value",
    "transforms.drop.exclude": "internal",
    "transforms.drop.renames": "user_id:customer_id",
    "transforms.insert.type": "org.apache.kafka.connect.transforms.InsertField$Value",
    "transforms.insert.static.field": "pipeline",
    "transforms.insert.static.value": "compat",
    "transforms.insert.offset.field": "offset",
    "transforms.mask.type": "org.apache.kafka.connect.transforms.MaskField$Value",
    "transforms.mask.fields": "email",
    "transforms.ts.type": "org.apache.kafka.connect.transforms.TimestampConverter$Value",
    "transforms.ts.field": "created",
    "transforms.ts.target.type": "unix",
}
JSON_VALUES = {
    "key.converter": "org.apache.kafka.connect.storage.StringConverter",
    "value.converter": "org.apache.kafka.connect.json.JsonConverter",
    "value.converter.schemas.enable": "false",
}


def _records(count: int) -> list[str]:
    rng = random.Random(7)
    names = ["country", "amount", "city", "note", "név", "日付", "status", "b", "tags", "extra"]
    out = []
    for i in range(count):
        value: dict[str, object] = {"id": i, "user_id": 1000 + i, "email": f"u{i}@example.com"}
        value["created"] = 1_700_000_000_000 + i
        for name in rng.sample(names, rng.randint(0, len(names))):
            value[name] = rng.choice([i, f"{name}-{i}", 0.5 + i, None, True])
        if i % 3 == 0:
            value["internal"] = "secret"
        if i % 4 == 0:
            value["nested"] = {"z": 1, "a": [1, {"y": 2, "x": 3}], "m": {"k1": "v", "k0": None}}
        out.append(json.dumps(value, ensure_ascii=False))
    return out


def _lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


def test_file_sink_prints_maps_as_kafka_connect_does(kafka_bootstrap: str, tmp_path: Path) -> None:
    topic = create_topic(kafka_bootstrap, f"maps-{uuid.uuid4().hex[:8]}")
    produce_values(kafka_bootstrap, topic, _records(RECORDS))
    connector = {
        "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
        "tasks.max": "1",
        "topics": topic,
        **CHAIN,
    }
    java_out, sluice_out = tmp_path / "java.txt", tmp_path / "sluice.txt"
    props = {
        "bootstrap.servers": kafka_bootstrap,
        "offset.storage.file.filename": str(tmp_path / "java.offsets"),
        **JSON_VALUES,
    }
    with java_standalone(tmp_path, props) as api:
        r = api.post(
            "/connectors",
            json={"name": "maps-java", "config": {**connector, "file": str(java_out)}},
        )
        assert r.status_code == 201, r.text
        wait_for(lambda: connector_running(api, "maps-java"), 60, 0.5)
        wait_for(
            lambda: _lines(java_out) >= RECORDS,
            60,
            0.5,
            message=lambda: log_tail(tmp_path / "java.log"),
        )
    with EmbeddedWorker(kafka_bootstrap, tmp_path / "sluice", JSON_VALUES) as worker:
        # Another name, so another consumer group: Kafka Connect's has committed the topic.
        worker.create("maps-sluice", {**connector, "file": str(sluice_out)})
        wait_for(lambda: _lines(sluice_out) >= RECORDS, 60, 0.2)
    java_lines = java_out.read_bytes().splitlines()
    sluice_lines = sluice_out.read_bytes().splitlines()
    assert len(java_lines) == RECORDS
    for i, (ours, theirs) in enumerate(zip(sluice_lines, java_lines, strict=True)):
        assert ours == theirs, f"record {i}"
    # Not equal by luck: every record's JSON starts with "id", most printed maps do not.
    assert sum(not line.startswith(b"{id=") for line in java_lines) > RECORDS // 2
