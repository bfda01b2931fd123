"""FileStreamSource and FileStreamSink through a real broker, in an embedded standalone worker."""

from __future__ import annotations

import json
from pathlib import Path

from sluice.storage.offsets import FileOffsetBackingStore
from sluice.testing import EmbeddedWorker, wait_for
from tests.fixtures.kafka import consume_all
from tests.fixtures.worker_process import high_watermark

LINE = "record {:08d} padding-padding-padding-padding\n"


def _write_lines(path: Path, start: int, count: int) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.writelines(LINE.format(i) for i in range(start, start + count))


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def test_file_to_topic_to_file_roundtrip(kafka_bootstrap: str, kafka_topic, tmp_path: Path) -> None:
    topic = kafka_topic()
    source, sink = tmp_path / "in.txt", tmp_path / "out.txt"
    _write_lines(source, 0, 20_000)
    with EmbeddedWorker(kafka_bootstrap, tmp_path / "w") as worker:
        worker.create(
            "src",
            {
                "connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector",
                "file": str(source),
                "topic": topic,
            },
        )
        worker.create(
            "sink",
            {
                "connector.class": "FileStreamSink",
                "file": str(sink),
                "topics": topic,
            },
        )
        worker.wait_running("src")
        worker.wait_running("sink")
        wait_for(
            lambda: len(_lines(sink)) >= 20_000,
            60,
            message=lambda: f"{len(_lines(sink))} lines in sink",
        )
        # Appended lines are followed, like tail -f.
        _write_lines(source, 20_000, 500)
        wait_for(lambda: len(_lines(sink)) >= 20_500, 30)
    assert sink.read_bytes() == source.read_bytes()
    messages = consume_all(kafka_bootstrap, topic, 20_500)
    assert messages[0].value() == b"record 00000000 padding-padding-padding-padding"
    assert messages[0].key() is None
    store = FileOffsetBackingStore(tmp_path / "w" / "connect.offsets")
    store.start()
    key = json.dumps(["src", {"filename": str(source)}], separators=(",", ":")).encode()
    assert json.loads(store.get([key])[key]) == {"position": source.stat().st_size}


def test_restart_resumes_without_duplicates(
    kafka_bootstrap: str, kafka_topic, tmp_path: Path
) -> None:
    topic = kafka_topic()
    source = tmp_path / "in.txt"
    _write_lines(source, 0, 1000)
    config = {"connector.class": "FileStreamSource", "file": str(source), "topic": topic}
    with EmbeddedWorker(kafka_bootstrap, tmp_path / "w", connectors=[("src", config)]) as w:
        w.wait_running("src")
        consume_all(kafka_bootstrap, topic, 1000)
    # A graceful stop committed the offsets: the restarted task sends only the new lines.
    _write_lines(source, 1000, 10)
    with EmbeddedWorker(kafka_bootstrap, tmp_path / "w", connectors=[("src", config)]) as w:
        w.wait_running("src")
        messages = consume_all(kafka_bootstrap, topic, 1010)
    values = [m.value().decode() for m in messages]
    assert values == [LINE.format(i).rstrip("\n") for i in range(1010)]


def test_multibyte_lines_and_crlf(kafka_bootstrap: str, kafka_topic, tmp_path: Path) -> None:
    topic = kafka_topic()
    source = tmp_path / "in.txt"
    source.write_bytes("héllo wörld\r\nçà et là\rlast ✓\n".encode())
    with EmbeddedWorker(kafka_bootstrap, tmp_path / "w") as w:
        w.create(
            "src", {"connector.class": "FileStreamSource", "file": str(source), "topic": topic}
        )
        w.wait_running("src")
        values = [m.value().decode() for m in consume_all(kafka_bootstrap, topic, 3)]
    assert values == ["héllo wörld", "çà et là", "last ✓"]


def test_failed_task_is_reported_and_restart_recovers(
    kafka_bootstrap: str, kafka_topic, tmp_path: Path
) -> None:
    topic = kafka_topic()
    flag = tmp_path / "fail"
    flag.touch()
    plugins = Path(__file__).parent / "plugins"
    with EmbeddedWorker(kafka_bootstrap, tmp_path / "w", {"plugin.path": str(plugins)}) as w:
        w.create(
            "flaky",
            {"connector.class": "FailOnceSourceConnector", "topic": topic, "fail.flag": str(flag)},
        )
        w.create(
            "healthy",
            {
                "connector.class": "FileStreamSource",
                "file": str(tmp_path / "in.txt"),
                "topic": topic + "-b",
            },
        )
        status = wait_for(
            lambda: (
                (s := w.herder.connector_status("flaky")).tasks.get(0)
                and s.tasks[0].state.value == "FAILED"
                and s
            ),
            30,
        )
        assert "failing because" in (status.tasks[0].trace or "")
        assert status.connector.state.value == "RUNNING"
        w.wait_running("healthy")  # the worker keeps serving other connectors
        flag.unlink()
        from sluice.runtime.herder import RestartRequest

        planned = w.herder.restart_connector_and_tasks(
            RestartRequest("flaky", include_tasks=True, only_failed=True)
        )
        assert planned.tasks[0].state.value == "RESTARTING"
        w.wait_running("flaky")
        consume_all(kafka_bootstrap, topic, 10)


def test_source_offsets_commit_while_the_task_blocks_in_poll(
    kafka_bootstrap: str, kafka_topic, tmp_path: Path
) -> None:
    """Kafka commits source offsets on a timer, not between polls: a connector that waits in
    ``poll`` for new data must not hold back the commit of what it already sent."""
    topic = kafka_topic()
    plugins = Path(__file__).parent / "plugins"
    worker_props = {"plugin.path": str(plugins), "offset.flush.interval.ms": "200"}
    config = {"connector.class": "SendThenBlockSourceConnector", "topic": topic, "count": "500"}
    offsets_file = tmp_path / "w" / "connect.offsets"
    key = json.dumps(["blocker", {"stream": "s"}], separators=(",", ":")).encode()

    def committed() -> object:
        if not offsets_file.exists():
            return None
        store = FileOffsetBackingStore(offsets_file)
        store.start()
        raw = store.get([key]).get(key)
        return json.loads(raw) if raw else None

    with EmbeddedWorker(kafka_bootstrap, tmp_path / "w", worker_props) as w:
        w.create("blocker", config)
        w.wait_running("blocker")
        consume_all(kafka_bootstrap, topic, 500)
        # The task is still inside poll (it returns only when stopped) and the offset is there.
        wait_for(lambda: committed() == {"n": 500}, 30, message=lambda: f"committed {committed()}")
        assert w.herder.connector_status("blocker").tasks[0].state.value == "RUNNING"


def test_offsets_advance_past_records_a_transform_drops(
    kafka_bootstrap: str, kafka_topic, tmp_path: Path
) -> None:
    """Lines a Filter drops are still consumed: their file positions are committed."""
    topic = kafka_topic()
    source = tmp_path / "in.txt"
    _write_lines(source, 0, 3000)
    # HasHeaderKey is false for every line; negated, the Filter applies to (drops) them all.
    config = {
        "connector.class": "FileStreamSource",
        "file": str(source),
        "topic": topic,
        "transforms": "dropAll",
        "transforms.dropAll.type": "org.apache.kafka.connect.transforms.Filter",
        "transforms.dropAll.predicate": "noHeader",
        "transforms.dropAll.negate": "true",
        "predicates": "noHeader",
        "predicates.noHeader.type": "org.apache.kafka.connect.transforms.predicates.HasHeaderKey",
        "predicates.noHeader.name": "absent-header",
    }
    offsets_file = tmp_path / "w" / "connect.offsets"
    key = json.dumps(["dropper", {"filename": str(source)}], separators=(",", ":")).encode()

    def committed() -> object:
        if not offsets_file.exists():
            return None
        store = FileOffsetBackingStore(offsets_file)
        store.start()
        raw = store.get([key]).get(key)
        return json.loads(raw) if raw else None

    with EmbeddedWorker(kafka_bootstrap, tmp_path / "w", {"offset.flush.interval.ms": "200"}) as w:
        w.create("dropper", config)
        w.wait_running("dropper")
        size = source.stat().st_size
        wait_for(lambda: committed() == {"position": size}, 30, message=lambda: str(committed()))
    assert high_watermark(kafka_bootstrap, topic) == 0
