"""At-least-once delivery survives ``kill -9``: nothing is lost, duplicates stay uncommitted.

Each test runs ``sluice standalone`` as a real process, kills it with SIGKILL in the middle of a
large copy, reads what had been committed at the moment of death, restarts it, and checks that
every record arrived and that only records after the committed point were delivered twice.
"""

from __future__ import annotations

import collections
from pathlib import Path

from sluice.testing import wait_for
from tests.fixtures.kafka import consume_all, produce_values
from tests.fixtures.worker_process import (
    group_committed,
    high_watermark,
    kill9,
    start_worker,
    stop_worker,
    stored_offset,
    worker_log,
    write_props,
)

LINE = "line {:09d} ....................\n"  # fixed width: position / width = lines committed
WIDTH = len(LINE.format(0).encode())


def _worker_props(tmp: Path, bootstrap: str) -> Path:
    return write_props(
        tmp / "worker.properties",
        {
            "bootstrap.servers": bootstrap,
            "key.converter": "org.apache.kafka.connect.storage.StringConverter",
            "value.converter": "org.apache.kafka.connect.storage.StringConverter",
            "offset.storage.file.filename": str(tmp / "connect.offsets"),
            "offset.flush.interval.ms": "300",
            "listeners": "http://127.0.0.1:0",
        },
    )


def _committed_position(tmp: Path, connector: str, file: Path) -> int:
    offset = stored_offset(tmp, connector, {"filename": str(file)})
    return int(offset["position"]) if offset else 0


def test_source_kill9_mid_file(kafka_bootstrap: str, kafka_topic, tmp_path: Path) -> None:
    topic = kafka_topic()
    total = 600_000
    source = tmp_path / "big.txt"
    with open(source, "w", encoding="utf-8") as f:
        f.writelines(LINE.format(i) for i in range(total))
    worker = _worker_props(tmp_path, kafka_bootstrap)
    conn = write_props(
        tmp_path / "source.properties",
        {
            "name": "big-source",
            "connector.class": "FileStreamSource",
            "file": str(source),
            "topic": topic,
        },
    )
    proc = start_worker(tmp_path, worker, conn)
    try:
        wait_for(
            lambda: high_watermark(kafka_bootstrap, topic) > total // 4,
            120,
            message=lambda: worker_log(tmp_path),
        )
        wait_for(lambda: _committed_position(tmp_path, "big-source", source) > 0, 30)
    finally:
        kill9(proc)
    committed_lines = _committed_position(tmp_path, "big-source", source) // WIDTH
    sent_before_kill = high_watermark(kafka_bootstrap, topic)
    assert 0 < committed_lines < total, "the kill must land mid-file"
    assert committed_lines <= sent_before_kill

    proc = start_worker(tmp_path, worker, conn)
    try:
        wait_for(
            lambda: _committed_position(tmp_path, "big-source", source) == total * WIDTH,
            180,
            message=lambda: worker_log(tmp_path),
        )
    finally:
        stop_worker(proc)
    delivered = high_watermark(kafka_bootstrap, topic)
    counts = collections.Counter(
        int(m.value()[5:14]) for m in consume_all(kafka_bootstrap, topic, delivered, timeout=120)
    )
    assert set(counts) == set(range(total)), "every line arrives at least once"
    duplicated = sorted(i for i, n in counts.items() if n > 1)
    assert all(i >= committed_lines for i in duplicated), "committed lines are never re-sent"
    assert len(duplicated) <= sent_before_kill - committed_lines
    assert all(n <= 2 for n in counts.values())


def _file_lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines() if path.exists() else []


def test_sink_kill9_mid_topic(kafka_bootstrap: str, kafka_topic, tmp_path: Path) -> None:
    topic = kafka_topic()
    total = 300_000
    produce_values(kafka_bootstrap, topic, [f"value-{i:09d}" for i in range(total)], timeout=120)
    out = tmp_path / "out.txt"
    worker = _worker_props(tmp_path, kafka_bootstrap)
    conn = write_props(
        tmp_path / "sink.properties",
        {
            "name": "big-sink",
            "connector.class": "FileStreamSink",
            "file": str(out),
            "topics": topic,
            # Ten records a poll: slow enough (about 100k records a second) that the kill
            # lands mid-topic; a full batch of 2000 drains the topic between two commits.
            "consumer.override.max.poll.records": "10",
            # The killed member holds its partitions until the coordinator's session timeout
            # (45 s by default) expires; the restarted worker waits for that rebalance.
            "consumer.override.session.timeout.ms": "6000",
        },
    )
    proc = start_worker(tmp_path, worker, conn)
    try:
        wait_for(
            lambda: group_committed(kafka_bootstrap, "connect-big-sink", topic) > total // 5,
            120,
            message=lambda: worker_log(tmp_path),
        )
    finally:
        kill9(proc)
    committed = group_committed(kafka_bootstrap, "connect-big-sink", topic)
    assert 0 < committed < total, "the kill must land mid-topic"
    proc = start_worker(tmp_path, worker, conn)
    try:
        wait_for(
            lambda: group_committed(kafka_bootstrap, "connect-big-sink", topic) == total,
            180,
            message=lambda: worker_log(tmp_path),
        )
    finally:
        stop_worker(proc)
    counts = collections.Counter(int(line[6:]) for line in _file_lines(out))
    assert set(counts) == set(range(total)), "every record reaches the file"
    assert all(counts[i] == 1 for i in range(committed)), "committed records are not re-written"
