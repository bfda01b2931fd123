"""Error tolerance, dead-letter queues, the errant record reporter and topic creation."""

from __future__ import annotations

import json
from pathlib import Path

from confluent_kafka.admin import AdminClient

from sluice.testing import EmbeddedWorker, wait_for
from tests.fixtures.kafka import consume_all, produce_values

SCHEMA = {
    "type": "struct",
    "optional": False,
    "name": "row",
    "fields": [{"type": "int32", "optional": False, "field": "id"}],
}
JSON_WORKER = {
    "key.converter": "org.apache.kafka.connect.storage.StringConverter",
    "value.converter": "org.apache.kafka.connect.json.JsonConverter",
}


def _good(i: int) -> bytes:
    return json.dumps({"schema": SCHEMA, "payload": {"id": i}}).encode()


def _mixed() -> list[bytes]:
    return [
        _good(0),
        b"{not json",  # malformed JSON
        _good(1),
        json.dumps({"schema": SCHEMA, "payload": {"id": None}}).encode(),  # breaks the schema
        json.dumps({"payload": {"id": 3}}).encode(),  # no envelope
        _good(2),
    ]


def _sink_lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_tolerance_all_sends_bad_records_to_dlq(
    kafka_bootstrap: str, kafka_topic, tmp_path: Path
) -> None:
    topic, dlq = kafka_topic(), kafka_topic("dlq")
    produce_values(kafka_bootstrap, topic, _mixed(), headers=[("origin", b"test")])
    out = tmp_path / "out.txt"
    with EmbeddedWorker(kafka_bootstrap, tmp_path / "w", JSON_WORKER) as w:
        w.create(
            "dlq-sink",
            {
                "connector.class": "FileStreamSink",
                "file": str(out),
                "topics": topic,
                "errors.tolerance": "all",
                "errors.log.enable": "true",
                "errors.deadletterqueue.topic.name": dlq,
                "errors.deadletterqueue.topic.replication.factor": "1",
                "errors.deadletterqueue.context.headers.enable": "true",
            },
        )
        w.wait_running("dlq-sink")
        wait_for(lambda: len(_sink_lines(out)) == 3, 30, message=lambda: str(_sink_lines(out)))
        bad = consume_all(kafka_bootstrap, dlq, 3)
        status = w.herder.connector_status("dlq-sink")
        assert status.tasks[0].state.value == "RUNNING"
        wait_for(lambda: w.herder.connector_offsets("dlq-sink"), 30)
        assert w.herder.connector_offsets("dlq-sink")[0]["offset"] == {"kafka_offset": 6}
    assert _sink_lines(out) == ["Struct{id=0}", "Struct{id=1}", "Struct{id=2}"]
    assert [m.value() for m in bad] == [_mixed()[1], _mixed()[3], _mixed()[4]]
    headers = dict(bad[0].headers())
    assert headers["origin"] == b"test"
    assert headers["__connect.errors.topic"] == topic.encode()
    assert headers["__connect.errors.partition"] == b"0"
    assert headers["__connect.errors.offset"] == b"1"
    assert headers["__connect.errors.connector.name"] == b"dlq-sink"
    assert headers["__connect.errors.task.id"] == b"0"
    assert headers["__connect.errors.stage"] == b"VALUE_CONVERTER"
    # Kafka Connect's valueConverter.getClass().getName()
    assert headers["__connect.errors.class.name"] == b"org.apache.kafka.connect.json.JsonConverter"
    assert headers["__connect.errors.exception.class.name"]
    assert headers["__connect.errors.exception.stacktrace"]


def test_tolerance_none_fails_the_task_without_skipping(
    kafka_bootstrap: str, kafka_topic, tmp_path: Path
) -> None:
    topic = kafka_topic()
    produce_values(kafka_bootstrap, topic, _mixed()[:2])
    out = tmp_path / "out.txt"
    with EmbeddedWorker(kafka_bootstrap, tmp_path / "w", JSON_WORKER) as w:
        w.create(
            "strict-sink", {"connector.class": "FileStreamSink", "file": str(out), "topics": topic}
        )
        status = wait_for(
            lambda: (
                (s := w.herder.connector_status("strict-sink")).tasks.get(0)
                and s.tasks[0].state.value == "FAILED"
                and s
            ),
            30,
        )
        assert "Tolerance exceeded in error handler" in (status.tasks[0].trace or "")
        assert w.herder.connector_offsets("strict-sink") == [], (
            "nothing is committed past a bad record"
        )
    assert _sink_lines(out) == []  # the batch failed in conversion: put was never called


def test_source_topic_creation_groups(kafka_bootstrap: str, tmp_path: Path) -> None:
    source = tmp_path / "in.txt"
    source.write_text("a\nb\n")
    import uuid

    compacted = f"compact-{uuid.uuid4().hex[:6]}"
    plain = f"plain-{uuid.uuid4().hex[:6]}"
    with EmbeddedWorker(kafka_bootstrap, tmp_path / "w") as w:
        for name, topic in (("c", compacted), ("p", plain)):
            w.create(
                name,
                {
                    "connector.class": "FileStreamSource",
                    "file": str(source),
                    "topic": topic,
                    "topic.creation.groups": "compacted",
                    "topic.creation.default.replication.factor": "1",
                    "topic.creation.default.partitions": "3",
                    "topic.creation.compacted.include": "compact-.*",
                    "topic.creation.compacted.partitions": "2",
                    "topic.creation.compacted.retention.ms": "123456789",
                },
            )
        consume_all(kafka_bootstrap, compacted, 2)
        consume_all(kafka_bootstrap, plain, 2)
    admin = AdminClient({"bootstrap.servers": kafka_bootstrap})
    meta = admin.list_topics(timeout=10).topics
    assert len(meta[compacted].partitions) == 2
    assert len(meta[plain].partitions) == 3
    from confluent_kafka.admin import ConfigResource

    res = ConfigResource(ConfigResource.Type.TOPIC, compacted)
    configs = admin.describe_configs([res])[res].result(timeout=10)
    assert configs["retention.ms"].value == "123456789"


def test_errant_record_reporter_routes_reported_records_to_dlq(
    kafka_bootstrap: str, kafka_topic, tmp_path: Path
) -> None:
    topic, dlq = kafka_topic(), kafka_topic("dlq")
    produce_values(kafka_bootstrap, topic, [str(i) for i in range(10)])
    out = tmp_path / "even.txt"
    plugins = Path(__file__).parent / "plugins"
    worker = {"plugin.path": str(plugins)}
    with EmbeddedWorker(kafka_bootstrap, tmp_path / "w", worker) as w:
        w.create(
            "odd-reporter",
            {
                "connector.class": "ReportOddSinkConnector",
                "file": str(out),
                "topics": topic,
                "errors.tolerance": "all",
                "errors.deadletterqueue.topic.name": dlq,
                "errors.deadletterqueue.topic.replication.factor": "1",
                "errors.deadletterqueue.context.headers.enable": "true",
            },
        )
        w.wait_running("odd-reporter")
        bad = consume_all(kafka_bootstrap, dlq, 5)
        wait_for(lambda: len(_sink_lines(out)) == 5, 30)
    assert [m.value() for m in bad] == [b"1", b"3", b"5", b"7", b"9"]
    assert dict(bad[0].headers())["__connect.errors.stage"] == b"TASK_PUT"
    # Kafka Connect's WorkerErrantRecordReporter reports SinkTask.class, not the task's class
    assert (
        dict(bad[0].headers())["__connect.errors.class.name"]
        == b"org.apache.kafka.connect.sink.SinkTask"
    )
    assert dict(bad[0].headers())["__connect.errors.exception.message"] == b"odd value 1"
    assert _sink_lines(out) == ["0", "2", "4", "6", "8"]


def test_source_records_failing_transformation_go_to_dlq(
    kafka_bootstrap: str, kafka_topic, tmp_path: Path
) -> None:
    topic, dlq = kafka_topic(), kafka_topic("dlq")
    source = tmp_path / "in.txt"
    source.write_text("plain\nalso plain\n")
    with EmbeddedWorker(kafka_bootstrap, tmp_path / "w") as w:
        w.create(
            "src-dlq",
            {
                "connector.class": "FileStreamSource",
                "file": str(source),
                "topic": topic,
                # ExtractField on a string value fails: every record is routed to the DLQ.
                "transforms": "x",
                "transforms.x.type": "org.apache.kafka.connect.transforms.ExtractField$Value",
                "transforms.x.field": "id",
                "errors.tolerance": "all",
                "errors.deadletterqueue.topic.name": dlq,
                "errors.deadletterqueue.topic.replication.factor": "1",
                "errors.deadletterqueue.context.headers.enable": "true",
            },
        )
        w.wait_running("src-dlq")
        bad = consume_all(kafka_bootstrap, dlq, 2)
        wait_for(lambda: w.herder.connector_offsets("src-dlq"), 30)
        assert w.herder.connector_offsets("src-dlq")[0]["offset"] == {"position": 17}
    first = json.loads(bad[0].value())
    assert first["topic"] == topic and first["value"] == "plain"
    assert first["source_offset"] == {"position": 6}
    headers = dict(bad[0].headers())
    assert headers["__connect.errors.stage"] == b"TRANSFORMATION"
    assert (
        headers["__connect.errors.class.name"]
        == b"org.apache.kafka.connect.transforms.ExtractField$Value"
    )
    assert headers["__connect.errors.connector.name"] == b"src-dlq"
