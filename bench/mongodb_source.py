"""MongoDB source throughput beside the raw pymongo read rates on the same server (issue 14).

With a collection of ``docs`` documents of about 250 bytes:

* copy docs/s: the MongoSourceConnector with ``startup.mode=copy_existing`` copying the collection
  into a topic through a real worker (StringConverter, DefaultJson values), beside pymongo's own
  ``find()`` over the same collection (documents decoded, nothing else done with them);
* streamed changes/s: the connector draining ``changes`` insert events from the change stream
  (written while it was stopped, so the figure is its reading rate, not the server's write rate),
  beside pymongo reading the same number of events from a ``watch()`` cursor;
* the ratio of each connector figure to its raw figure.

Connector rates are measured between the Kafka timestamps of the first and last record (the
producer stamps each record when the task hands it over), so worker start-up is not counted; the
wall-clock totals, start-up included, are reported too.

``python -m bench.mongodb_source`` starts the test server (``nx-27017``, as the tests start it) and
a broker on a free port, and prints JSON. The server is a MongoDB wire-protocol server on SQLite:
its own rates are far below MongoDB's, which is why each figure stands beside the raw rate on the
same server rather than beside MongoDB's published numbers.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, TopicPartition
from pymongo import MongoClient

from bench.connector_common import (
    bench_mongodb,
    bench_session,
    print_results,
    rate,
    wait,
)
from sluice.testing import EmbeddedWorker

__all__ = ["main", "run_mongodb_source_bench"]

SOURCE = "com.mongodb.kafka.connect.MongoSourceConnector"
NOTE = "x" * 160


def _document(i: int) -> dict[str, Any]:
    return {"_id": i, "name": f"patient-{i}", "ward": i % 40, "age": 20 + i % 70, "note": NOTE}


def _fill(collection: Any, start: int, count: int) -> None:
    chunk = 5000
    for first in range(start, start + count, chunk):
        collection.insert_many(
            [_document(i) for i in range(first, min(first + chunk, start + count))]
        )


class _Topic:
    """End offsets and record timestamps of one single-partition topic."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.topic = topic
        self.consumer = Consumer(
            {"bootstrap.servers": bootstrap, "group.id": f"bench-{uuid.uuid4().hex[:6]}"}
        )

    def end(self) -> int:
        try:
            _low, high = self.consumer.get_watermark_offsets(
                TopicPartition(self.topic, 0), timeout=10, cached=False
            )
        except Exception:
            return 0
        return max(0, int(high))

    def timestamp(self, offset: int) -> float:
        """The record's timestamp in seconds."""
        self.consumer.assign([TopicPartition(self.topic, 0, offset)])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            message = self.consumer.poll(1.0)
            if message is not None and message.error() is None:
                return float(message.timestamp()[1]) / 1000.0
        raise TimeoutError(f"record {offset} of {self.topic} unreadable")

    def close(self) -> None:
        self.consumer.close()


def _raw_find(collection: Any) -> float:
    started = time.perf_counter()
    seen = sum(1 for _ in collection.find())
    elapsed = time.perf_counter() - started
    return rate(seen, elapsed)


def _raw_stream(collection: Any, start: int, count: int) -> float:
    with collection.watch(max_await_time_ms=200) as stream:
        _fill(collection, start, count)
        seen = 0
        started = time.perf_counter()
        while seen < count:
            if stream.try_next() is not None:
                seen += 1
        elapsed = time.perf_counter() - started
    return rate(count, elapsed)


def run_mongodb_source_bench(
    bootstrap: str,
    uri: str,
    docs: int = 100_000,
    changes: int = 50_000,
    work_dir: Path | None = None,
    timeout: float = 1800.0,
) -> dict[str, Any]:
    """Measure the copy and the streamed changes; returns the figures and ratios."""
    work = Path(work_dir or tempfile.mkdtemp(prefix="sluice-bench-mongodb-"))
    client: MongoClient[dict[str, Any]] = MongoClient(uri)
    database = f"bench{uuid.uuid4().hex[:6]}"
    collection = client[database]["patients"]
    topic = f"{database}.patients"
    results: dict[str, Any] = {"docs": docs, "changes": changes}
    try:
        fill_started = time.perf_counter()
        _fill(collection, 0, docs)
        results["fill_docs_per_s"] = rate(docs, time.perf_counter() - fill_started)
        results["find_docs_per_s"] = _raw_find(collection)

        config = {
            "connector.class": SOURCE,
            "connection.uri": uri,
            "database": database,
            "collection": "patients",
            "startup.mode": "copy_existing",
        }
        probe = _Topic(bootstrap, topic)
        props = {"offset.flush.interval.ms": "500"}
        try:
            with EmbeddedWorker(bootstrap, work / "copy", props) as worker:
                started = time.perf_counter()
                worker.create("bench-mongodb-source", config)
                wait(lambda: probe.end() >= docs, timeout, "copy")
                results["copy_wall_s"] = round(time.perf_counter() - started, 2)
                # one streamed change, so that the stored offset is a resume token
                collection.insert_one(_document(docs))
                wait(lambda: probe.end() >= docs + 1, timeout, "first change")
                time.sleep(1.0)  # an offset flush
            first, last = probe.timestamp(0), probe.timestamp(docs - 1)
            results["copy_docs_per_s"] = rate(docs - 1, last - first)

            _fill(collection, docs + 1, changes)  # written while the connector is stopped
            with EmbeddedWorker(bootstrap, work / "copy", props) as worker:
                started = time.perf_counter()
                worker.create("bench-mongodb-source", config)
                wait(lambda: probe.end() >= docs + 1 + changes, timeout, "streamed changes")
                results["stream_wall_s"] = round(time.perf_counter() - started, 2)
            first, last = probe.timestamp(docs + 1), probe.timestamp(docs + changes)
            results["stream_changes_per_s"] = rate(changes - 1, last - first)
        finally:
            probe.close()
        results["watch_changes_per_s"] = _raw_stream(client[database]["raw_stream"], 0, changes)
        results["copy_ratio"] = round(results["copy_docs_per_s"] / results["find_docs_per_s"], 3)
        results["stream_ratio"] = round(
            results["stream_changes_per_s"] / results["watch_changes_per_s"], 3
        )
    finally:
        client.drop_database(database)
        client.close()
    return results


def main(argv: Sequence[str] | None = None) -> int:
    """Start the test server and a broker, run the bench, print JSON."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.mongodb_source", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--changes", type=int, default=50_000)
    parser.add_argument("--bootstrap", help="use this broker instead of starting one")
    parser.add_argument("--uri", help="use this MongoDB instead of starting the test server")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args(argv)
    with (
        bench_session("sluice-bench-mongodb-", args.bootstrap) as (work, bootstrap),
        bench_mongodb(args.uri) as uri,
    ):
        results = run_mongodb_source_bench(bootstrap, uri, args.docs, args.changes, work)
    print_results(results, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
