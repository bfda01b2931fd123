"""MongoDB sink writes/s beside the raw pymongo write rate on the same server (issue 14).

A topic holds ``records`` JSON documents of about 200 bytes (StringConverter values, as the
MongoDB source connector writes them with its JSON output). Measured on one server:

* raw pymongo: ``insert_many`` of the same documents, and ``bulk_write`` of upserting
  ``ReplaceOne``s by ``_id``, in batches of the size the sink receives (``batch``);
* the sink, through an in-process standalone worker: ``InsertOneDefaultStrategy`` and the
  default replace-by-``_id`` upsert (``ProvidedInValueStrategy``); the clock runs from the
  connector's creation until the consumer group has committed the last offset, so worker
  start, group join, parsing, conversion, the bulk writes and the commit are all inside it
  (``*_steady_per_s`` leaves the start out: from the first commit to the last);
* the ratio of each sink figure to its raw counterpart.

``python -m bench.mongodb_sink`` starts the test server (nx-27017, as the tests do) and a broker
on a free port unless ``--uri``/``--bootstrap`` name running ones, and prints the JSON.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from pymongo import MongoClient, ReplaceOne

from bench.connector_common import (
    bench_mongodb,
    bench_session,
    print_results,
    rate,
    wait,
)
from sluice.testing import EmbeddedWorker

__all__ = ["main", "run_mongodb_sink_bench"]

SINK = "com.mongodb.kafka.connect.MongoSinkConnector"
STRATEGIES = "com.mongodb.kafka.connect.sink"


def _document(i: int) -> dict[str, Any]:
    return {
        "_id": i,
        "name": f"name-{i}",
        "email": f"user{i}@example.com",
        "amount": i / 100,
        "active": i % 2 == 0,
        "tags": ["a", "b"],
        "note": f"{i:08d}" * 12,
    }


def _produce(bootstrap: str, topic: str, records: int) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20, "acks": "all"})
    for i in range(records):
        while True:
            try:
                producer.produce(topic, json.dumps(_document(i)).encode())
                break
            except BufferError:
                producer.poll(0.1)
        if i % 10_000 == 0:
            producer.poll(0)
    if producer.flush(120):
        raise RuntimeError("records not acknowledged")


class _Probe:
    """One consumer reused for every check of a run's committed offset."""

    def __init__(self, bootstrap: str, group: str) -> None:
        self.consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group})

    def committed(self, topic: str) -> int:
        try:
            tp = self.consumer.committed([TopicPartition(topic, 0)], timeout=10)[0]
        except KafkaException:  # the coordinator is moving or loading: ask again
            return 0
        return max(int(tp.offset), 0)

    def close(self) -> None:
        self.consumer.close()


def _raw(uri: str, records: int, batch: int) -> dict[str, float]:
    """Seconds for insert_many and for upserting bulk writes of every document."""
    documents = [_document(i) for i in range(records)]
    with MongoClient(uri) as client:
        database = client[f"raw_{uuid.uuid4().hex[:6]}"]
        started = time.perf_counter()
        for start in range(0, records, batch):
            database.inserted.insert_many(documents[start : start + batch], ordered=True)
        insert_s = time.perf_counter() - started
        started = time.perf_counter()
        for start in range(0, records, batch):
            database.upserted.bulk_write(
                [
                    ReplaceOne({"_id": d["_id"]}, d, upsert=True)
                    for d in documents[start : start + batch]
                ]
            )
        upsert_s = time.perf_counter() - started
        client.drop_database(database.name)
    return {"insert": insert_s, "upsert": upsert_s}


def _sink_run(
    bootstrap: str,
    uri: str,
    topic: str,
    records: int,
    batch: int,
    mode: str,
    work: Path,
    timeout: float,
) -> tuple[float, float]:
    """Seconds from the connector's creation to the last commit, and the documents/s after
    the first commit (worker start and group join left out)."""
    name = f"bench-mongo-{mode}-{uuid.uuid4().hex[:6]}"
    database = f"sink_{uuid.uuid4().hex[:6]}"
    config = {
        "connector.class": SINK,
        "connection.uri": uri,
        "topics": topic,
        "database": database,
        "collection": "docs",
        "document.id.strategy": f"{STRATEGIES}.processor.id.strategy.ProvidedInValueStrategy",
        "consumer.override.max.poll.records": str(batch),
    }
    if mode == "insert":
        config["writemodel.strategy"] = f"{STRATEGIES}.writemodel.strategy.InsertOneDefaultStrategy"
    props = {"offset.flush.interval.ms": "200"}
    with EmbeddedWorker(bootstrap, work / name, props) as worker:
        started = time.perf_counter()
        worker.create(name, config)
        probe = _Probe(bootstrap, f"connect-{name}")
        first: list[tuple[float, int]] = []

        def done() -> bool:
            committed = probe.committed(topic)
            if committed and not first:
                first.append((time.perf_counter(), committed))
            return committed >= records

        try:
            wait(done, timeout, mode, interval=0.1)
        finally:
            probe.close()
        elapsed = time.perf_counter() - started
    with MongoClient(uri) as client:
        count = client[database].docs.count_documents({})
        client.drop_database(database)
    if count != records:
        raise AssertionError(f"sink {mode} wrote {count} documents, expected {records}")
    seen_at, seen = first[0]
    steady = (records - seen) / (started + elapsed - seen_at) if seen < records else 0.0
    return elapsed, round(steady, 1)


def run_mongodb_sink_bench(
    bootstrap: str,
    uri: str,
    records: int = 100_000,
    batch: int = 2000,
    work_dir: Path | None = None,
    timeout: float = 1800.0,
) -> dict[str, Any]:
    """Measure on a running broker and server; returns the rates (documents/s) and ratios."""
    work = Path(work_dir or tempfile.mkdtemp(prefix="sluice-bench-mongodb-"))
    from tests.fixtures.kafka import create_topic

    topic = create_topic(bootstrap, f"bench-mongodb-{uuid.uuid4().hex[:6]}")
    _produce(bootstrap, topic, records)
    raw = _raw(uri, records, batch)
    insert_s, insert_steady = _sink_run(
        bootstrap, uri, topic, records, batch, "insert", work, timeout
    )
    upsert_s, upsert_steady = _sink_run(
        bootstrap, uri, topic, records, batch, "upsert", work, timeout
    )
    result: dict[str, Any] = {
        "records": records,
        "batch": batch,
        "document_bytes": len(json.dumps(_document(records // 2))),
        "raw_insert_many_per_s": rate(records, raw["insert"]),
        "raw_bulk_upsert_per_s": rate(records, raw["upsert"]),
        "sink_insert_per_s": rate(records, insert_s),
        "sink_upsert_per_s": rate(records, upsert_s),
        "sink_insert_steady_per_s": insert_steady,
        "sink_upsert_steady_per_s": upsert_steady,
    }
    result["sink_insert_ratio"] = round(
        result["sink_insert_per_s"] / result["raw_insert_many_per_s"], 3
    )
    result["sink_upsert_ratio"] = round(
        result["sink_upsert_per_s"] / result["raw_bulk_upsert_per_s"], 3
    )
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """Start what is missing, run the bench, print JSON (``--records`` to size it)."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.mongodb_sink", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=2000, help="records per put / raw batch")
    parser.add_argument("--bootstrap", help="use this broker instead of starting one")
    parser.add_argument("--uri", help="use this MongoDB server instead of starting nx-27017")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args(argv)
    with (
        bench_session("sluice-bench-mongodb-", args.bootstrap) as (work, bootstrap),
        bench_mongodb(args.uri) as uri,
    ):
        results = run_mongodb_sink_bench(bootstrap, uri, args.records, args.batch, work)
    results["server"] = "nx-27017" if args.uri is None else "given by --uri"
    print_results(results, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
