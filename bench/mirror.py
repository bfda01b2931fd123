"""MirrorMaker 2 throughput: sluice vs Kafka's MirrorMaker vs a raw consume-and-produce loop.

Two local brokers (A and B) run for the whole bench. For every record size and run, a fresh
4-partition topic is filled on A; then one contender copies it to ``A.<topic>`` on B and the
harness polls that topic's end offsets until every record is there:

- ``sluice``: ``sluice mirror-maker mm2.properties`` (dedicated mode);
- ``java``: ``org.apache.kafka.connect.mirror.MirrorMaker mm2.properties``, the same file, from
  the same Maven jars as the brokers;
- ``raw``: one confluent-kafka consumer on A feeding one producer on B in a Python loop, with the
  same client settings (the bench profile), as a "what the client libraries can do" line.

Throughput counts from the first record seen on B to the last (start-up, group join and the
remote topic's creation are reported apart as ``startup_s``). MB are 10^6 bytes of record value.

Run with ``python -m bench.mirror [--records N] [--runs R] [--sizes 100,1024]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.cimpl import NewTopic

from bench.java_connect import java_command
from bench.kafka_ops import Broker, bench_broker
from bench.process import WorkerProcess
from bench.profiles import PROFILES, Profile
from bench.progress import Progress
from bench.sides import free_port, write_properties

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "bench" / "mirror"
RESULTS = ROOT / "bench" / "results" / "mirror.json"
DOCS_COPY = ROOT / "docs" / "bench" / "mirror.json"
PARTITIONS = 4
DEFAULT_RECORDS = {100: 1_000_000, 1024: 200_000}
SIDES = ("sluice", "java", "raw")


def create_topic(broker: Broker, topic: str) -> None:
    futures = broker.admin.create_topics([NewTopic(topic, PARTITIONS, 1)], operation_timeout=60)
    futures[topic].result(timeout=60)


def fill(bootstrap: str, topic: str, count: int, size: int, progress: Progress) -> None:
    """Write ``count`` records of ``size`` value bytes, fast (big batches, acks=1)."""
    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "linger.ms": 50,
            "batch.size": 1_000_000,
            "acks": 1,
            "queue.buffering.max.messages": 1_000_000,
            "queue.buffering.max.kbytes": 1_048_576,
        }
    )
    values = [os.urandom(size) for _ in range(64)]
    for i in range(count):
        while True:
            try:
                producer.produce(topic, values[i % 64], partition=i % PARTITIONS)
                break
            except BufferError:
                producer.poll(0.05)
        if i % 50_000 == 0:
            producer.poll(0)
            progress.update(f"filling {topic}", i, count)
    if producer.flush(120) != 0:
        raise RuntimeError(f"filling {topic}: records left unsent")


def end_offsets(probe: Consumer, topic: str) -> int:
    total = 0
    for p in range(PARTITIONS):
        try:
            _low, high = probe.get_watermark_offsets(TopicPartition(topic, p), 5, cached=False)
        except KafkaException:
            continue
        total += max(0, int(high))
    return total


def mm2_properties(a: str, b: str, topic: str, profile: Profile, tag: str) -> dict[str, str]:
    """One connect-mirror-maker.properties for both runtimes; fresh internal topics per run."""
    props = {
        "clusters": "A, B",
        "A.bootstrap.servers": a,
        "B.bootstrap.servers": b,
        "A->B.enabled": "true",
        "A->B.topics": topic,
        "A->B.tasks.max": "1",
        "B->A.enabled": "false",
        "replication.factor": "1",
        "sync.topic.acls.enabled": "false",
        "offset.storage.topic": f"mm2-bench-offsets-{tag}",
        "config.storage.topic": f"mm2-bench-configs-{tag}",
        "status.storage.topic": f"mm2-bench-status-{tag}",
        "A.consumer.max.poll.records": str(profile.max_poll_records),
    }
    for name in ("checkpoints", "heartbeats", "offset-syncs"):
        props[f"{name}.topic.replication.factor"] = "1"
    for name in ("offset", "config", "status"):
        props[f"{name}.storage.replication.factor"] = "1"
    props.update({f"B.producer.{k}": v for k, v in profile.producer.items()})
    props.update({f"A.consumer.{k}": v for k, v in profile.consumer.items()})
    return props


def raw_loop(argv: list[str]) -> None:
    """The raw contender's process: consume A's topic, produce every record to B's."""
    a, b, src, dst, profile_name, total = argv
    profile = PROFILES[profile_name]
    consumer = Consumer(
        {
            "bootstrap.servers": a,
            "group.id": f"bench-raw-{uuid.uuid4().hex[:8]}",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            **profile.consumer,
        }
    )
    producer = Producer({"bootstrap.servers": b, **profile.producer})
    consumer.assign([TopicPartition(src, p, 0) for p in range(PARTITIONS)])
    left = int(total)
    while left > 0:
        for msg in consumer.consume(profile.max_poll_records, 0.5):
            if msg.error() is not None:
                continue
            while True:
                try:
                    producer.produce(
                        dst,
                        msg.value(),
                        msg.key(),
                        msg.partition() or 0,
                        timestamp=msg.timestamp()[1],
                        headers=msg.headers(),
                    )
                    break
                except BufferError:
                    producer.poll(0.01)
            left -= 1
        producer.poll(0)
    producer.flush(120)
    consumer.close()


def launch(
    side: str, a: Broker, b: Broker, topic: str, count: int, profile: Profile, run: Path
) -> WorkerProcess:
    if side == "raw":
        create_topic(b, f"A.{topic}")
        argv = [sys.executable, "-m", "bench.mirror", "--raw-loop", a.bootstrap, b.bootstrap]
        argv += [topic, f"A.{topic}", profile.name, str(count)]
        return WorkerProcess(argv, run / "worker.log", env={**os.environ, "PYTHONPATH": str(ROOT)})
    props = mm2_properties(a.bootstrap, b.bootstrap, topic, profile, run.name)
    config = write_properties(run / "mm2.properties", props)
    if side == "sluice":
        argv = [sys.executable, "-m", "sluice.cli.main", "mirror-maker", "--log-level", "WARNING"]
        argv.append(str(config))
    else:
        argv = java_command("org.apache.kafka.connect.mirror.MirrorMaker", [str(config)])
    return WorkerProcess(argv, run / "worker.log")


def measure(
    side: str,
    a: Broker,
    b: Broker,
    size: int,
    count: int,
    profile: Profile,
    progress: Progress,
    timeout: float,
) -> dict[str, Any]:
    tag = f"{side}-{size}-{uuid.uuid4().hex[:6]}"
    topic = f"mirror-{tag}"
    create_topic(a, topic)
    fill(a.bootstrap, topic, count, size, progress)
    run = CACHE / "runs" / f"{tag}-{count}"
    shutil.rmtree(run, ignore_errors=True)
    run.mkdir(parents=True)
    probe = Consumer({"bootstrap.servers": b.bootstrap, "group.id": "bench-probe", "log_level": 3})
    proc = launch(side, a, b, topic, count, profile, run).start()
    start = time.monotonic()
    first = 0.0
    try:
        while True:
            done = end_offsets(probe, f"A.{topic}")
            now = time.monotonic()
            if done and not first:
                first = now
            if done >= count:
                break
            if now - start > timeout:
                raise TimeoutError(f"{side}: {done:,}/{count:,} after {timeout:.0f}s")
            if not proc.alive() and end_offsets(probe, f"A.{topic}") < count:
                proc.check_alive()
            progress.update(f"{side} {size} B mirrored", done, count)
            time.sleep(0.05)
    finally:
        probe.close()
        proc.stop()
        a.delete_topics([topic])
        b.delete_topics([f"A.{topic}"])
    seconds = max(now - first, 1e-3)
    result = {
        "records": count,
        "startup_s": round(first - start, 2),
        "seconds": round(seconds, 3),
        "records_per_s": round(count / seconds, 1),
        "mb_per_s": round(count * size / seconds / 1e6, 2),
        "peak_rss_mb": round(proc.peak_rss() / 1e6, 1),
    }
    progress.done(
        f"{side:>6} {size:>5} B: {result['records_per_s']:>12,.0f} rec/s "
        f"{result['mb_per_s']:>8.2f} MB/s (start-up {result['startup_s']} s)"
    )
    return result


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        key: round(statistics.median(r[key] for r in runs), 2)
        for key in ("records_per_s", "mb_per_s", "startup_s", "peak_rss_mb")
    }


def render(results: dict[str, Any]) -> str:
    lines = [
        f"{'size':>6} {'records':>9} {'side':>7} {'rec/s':>11} {'MB/s':>8} "
        f"{'start s':>8} {'RSS MB':>7}"
    ]
    for size, entry in results["sizes"].items():
        for side in SIDES:
            m = entry[side]
            lines.append(
                f"{size:>6} {entry['records']:>9,} {side:>7} {m['records_per_s']:>11,.0f} "
                f"{m['mb_per_s']:>8.2f} {m['startup_s']:>8.1f} {m['peak_rss_mb']:>7.0f}"
            )
        lines.append(
            f"{'':>6} sluice/java {entry['sluice_vs_java']:.2f}  "
            f"sluice/raw {entry['sluice_vs_raw']:.2f}"
        )
    lines.append("medians of the runs; rates from the first to the last record on B")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args_in = sys.argv[1:] if argv is None else argv
    if args_in[:1] == ["--raw-loop"]:
        raw_loop(args_in[1:])
        return 0
    parser = argparse.ArgumentParser(prog="python -m bench.mirror", description=__doc__)
    parser.add_argument(
        "--records", type=int, help="records per size (default 1M of 100 B, 200k of 1 KB)"
    )
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--sizes", default="100,1024")
    parser.add_argument("--sides", default=",".join(SIDES))
    parser.add_argument("--profile", default="default", choices=sorted(PROFILES))
    parser.add_argument("--timeout", type=float, default=900.0)
    args = parser.parse_args(args_in)
    profile = PROFILES[args.profile]
    sides = [s for s in args.sides.split(",") if s]
    progress = Progress()
    results: dict[str, Any] = {
        "profile": profile.name,
        "partitions": PARTITIONS,
        "tasks_max": 1,
        "runs": args.runs,
        "sizes": {},
    }
    with (
        bench_broker(None, free_port(), CACHE / "a", progress) as a,
        bench_broker(None, free_port(), CACHE / "b", progress) as b,
    ):
        for size in [int(s) for s in args.sizes.split(",")]:
            count = args.records or DEFAULT_RECORDS.get(size, 200_000)
            entry: dict[str, Any] = {"records": count}
            for side in sides:
                runs = [
                    measure(side, a, b, size, count, profile, progress, args.timeout)
                    for _ in range(args.runs)
                ]
                entry[side] = {**summarize(runs), "runs": runs}
            for other in ("java", "raw"):
                if "sluice" in entry and other in entry:
                    ratio = entry["sluice"]["records_per_s"] / entry[other]["records_per_s"]
                    entry[f"sluice_vs_{other}"] = round(ratio, 3)
            results["sizes"][str(size)] = entry
    if set(sides) == set(SIDES):
        print(render(results))
    text = json.dumps(results, indent=2) + "\n"
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)
    DOCS_COPY.write_text(text)
    progress.done(f"wrote {RESULTS} and {DOCS_COPY}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
