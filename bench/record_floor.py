"""Issue 16 item 5: CPU seconds per million records on the schemaless JSON + transforms path.

One topic of ``--records`` schemaless JSON records (B3's orders, about 500 bytes each) is drained
into a file by each contender, each in its own process:

* ``sluice``: ``sluice standalone`` with FileStreamSink, JsonConverter (``schemas.enable=false``)
  and a chain that drops a field, renames one and adds a static one (ReplaceField, InsertField);
* ``floor``: a plain confluent-kafka consumer loop with msgspec's JSON (as fast as orjson)
  doing the same dict edits and writing a line each, with the fetch settings sluice's sink
  uses: what the work costs without a framework;
* ``floor_java_text``: the same loop writing each map as Kafka Connect's FileStreamSink does
  (``Map.toString``, with sluice's printer, its keys in the order Kafka's HashMaps leave, found
  once per key tuple) instead of as JSON: the least any CPython process can spend to give the
  same output.

CPU (user + system, the process and its children) is read with psutil from the moment the output
file first has bytes until it holds every record, so start-up and the group join are left out.
``python -m bench.record_floor --records 1000000`` prints the figures and the ratios.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
from confluent_kafka import Producer

from bench.connector_common import bench_bootstrap, print_results, rate
from bench.kafka_ops import Broker
from bench.process import machine_busy
from bench.records import payload_json
from bench.sides import write_properties

__all__ = [
    "CHAIN",
    "Watched",
    "count_lines",
    "main",
    "produce_orders",
    "run_record_floor",
    "tree_cpu",
    "watch",
]

CHAIN: dict[str, str] = {
    "transforms": "drop,insert",
    "transforms.drop.type": "org.apache.kafka.connect.transforms.ReplaceField$Value",
    "transforms.drop.exclude": "internal_note",
    "transforms.drop.renames": "user_id:customer_id",
    "transforms.insert.type": "org.apache.kafka.connect.transforms.InsertField$Value",
    "transforms.insert.static.field": "pipeline",
    "transforms.insert.static.value": "sluice-bench",
}
"""The chain both contenders apply, in Kafka's class names (the floor does it by hand)."""

FLOOR_LOOP = r"""
import sys, msgspec
loads, dumps = msgspec.json.decode, msgspec.json.encode
java = sys.argv[5] == "java"
if java:
    from sluice.api.value_text import value_to_string
    from sluice.jdk.hashing import as_hash_map, hash_map_copy_capacity, table_size_for
    dumps = lambda v: value_to_string(v).encode()
    templates = {}

    def java_template(keys):
        # The order Kafka Connect's three HashMaps leave (JsonConverter's, ReplaceField's,
        # InsertField's), worked out once per key tuple: one reordering per record, not three.
        m = as_hash_map(dict.fromkeys(keys))
        m = as_hash_map({("customer_id" if k == "user_id" else k): None
                         for k in m if k != "internal_note"}, table_size_for(len(m)))
        size = len(m)
        m["pipeline"] = None
        return dict.fromkeys(as_hash_map(m, hash_map_copy_capacity(size)))
from confluent_kafka import Consumer
bootstrap, topic, out, total = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"floor-{sys.argv[5]}-{topic}",
    "auto.offset.reset": "earliest", "enable.auto.commit": False,
    "fetch.min.bytes": 1, "fetch.wait.max.ms": 500, "queued.min.messages": 100000})
consumer.subscribe([topic])
seen = 0
with open(out, "wb", buffering=1 << 16) as sink:
    while seen < total:
        for m in consumer.consume(500, 1.0):
            if m.error():
                continue
            v = loads(m.value())
            if java:  # in Kafka Connect's key order, for the very text sluice writes
                keys = tuple(v)
                template = templates.get(keys)
                if template is None:
                    template = templates[keys] = java_template(keys)
                out = template.copy()
                v["customer_id"] = v.pop("user_id")
                del v["internal_note"]
                out.update(v)
                out["pipeline"] = "sluice-bench"
                v = out
            else:
                v.pop("internal_note", None)
                v["customer_id"] = v.pop("user_id")
                v["pipeline"] = "sluice-bench"
            sink.write(dumps(v) + b"\n")
            seen += 1
        consumer.commit(asynchronous=True)
consumer.close()
"""


def produce_orders(bootstrap: str, topic: str, records: int) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 50, "batch.size": 1 << 20})
    for i in range(records):
        while True:
            try:
                producer.produce(topic, payload_json(i).encode(), key=str(i).encode())
                break
            except BufferError:
                producer.poll(0.1)
        if i % 10_000 == 0:
            producer.poll(0)
    producer.flush(60)


def tree_cpu(proc: psutil.Process) -> float:
    """User + system CPU seconds of ``proc`` and its living children."""
    total = 0.0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            t = p.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += t.user + t.system
    return total


def count_lines(path: Path, counted: tuple[int, int]) -> tuple[int, int]:
    """(bytes read, newlines) after reading what ``path`` gained since ``counted``."""
    offset, lines = counted
    try:
        with path.open("rb") as f:
            f.seek(offset)
            chunk = f.read()
    except FileNotFoundError:
        return counted
    return offset + len(chunk), lines + chunk.count(b"\n")


@dataclass
class Watched:
    """A contender's run: samples from its first output bytes on, and its peak memory."""

    samples: list[tuple[float, int, float, float]]
    """(monotonic time, lines written, CPU of the process and its children, machine busy CPU)"""
    peak_rss: int
    """Bytes, summed over the process and its children (task processes count)."""


def watch(argv: Sequence[str], out: Path, records: int, timeout: float) -> Watched:
    """Run ``argv`` until ``out`` holds ``records`` lines, sampling it every 50 ms."""
    log = out.with_suffix(".log").open("wb")
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    ps = psutil.Process(proc.pid)
    counted = (0, 0)
    samples: list[tuple[float, int, float, float]] = []
    peak_rss = 0
    deadline = time.monotonic() + timeout
    try:
        while counted[1] < records:
            if proc.poll() is not None:
                raise RuntimeError(f"{argv[0]} exited with {proc.returncode}; see {log.name}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{counted[1]} of {records} lines in {timeout:.0f}s")
            counted = count_lines(out, counted)
            if counted[1] > 0:
                samples.append((time.monotonic(), counted[1], tree_cpu(ps), machine_busy()))
            rss = 0
            for p in [ps, *ps.children(recursive=True)]:
                try:
                    rss += p.memory_info().rss
                except psutil.NoSuchProcess:
                    continue
            peak_rss = max(peak_rss, rss)
            time.sleep(0.05)
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
    return Watched(samples, peak_rss)


def _measure(argv: Sequence[str], out: Path, records: int, timeout: float) -> dict[str, Any]:
    """records/s and CPU per million from the first output bytes to the last record."""
    watched = watch(argv, out, records, timeout)
    (t0, n0, cpu0, _), (t1, n1, cpu1, _) = watched.samples[0], watched.samples[-1]
    if n1 == n0:
        raise RuntimeError(
            f"all {n1} lines appeared between two 50 ms samples: too few records to measure"
            " (raise --records)"
        )
    return {
        "records_per_s": rate(n1 - n0, t1 - t0),
        "cpu_s_per_million": round((cpu1 - cpu0) / (n1 - n0) * 1e6, 2),
        "peak_rss_mb": round(watched.peak_rss / 2**20, 1),
    }


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def run_record_floor(bootstrap: str, records: int, work: Path) -> dict[str, Any]:
    topic = f"floor-{uuid.uuid4().hex[:8]}"
    broker = Broker(bootstrap)
    try:
        broker.create_topic(topic, partitions=1)
    finally:
        broker.close()
    print(f"producing {records} records to {topic}", file=sys.stderr)
    produce_orders(bootstrap, topic, records)
    timeout = max(120.0, records / 5000)
    worker = write_properties(
        work / "worker.properties",
        {
            "bootstrap.servers": bootstrap,
            "key.converter": "org.apache.kafka.connect.storage.StringConverter",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter.schemas.enable": "false",
            "offset.storage.file.filename": str(work / "connect.offsets"),
            "listeners": "http://127.0.0.1:0",
        },
    )
    sink_out = work / "sluice.out"
    connector = write_properties(
        work / "sink.properties",
        {
            "name": "floor-sink",
            "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
            "tasks.max": "1",
            "topics": topic,
            "file": str(sink_out),
            **CHAIN,
        },
    )
    results: dict[str, Any] = {"records": records, "load_before": os.getloadavg()[0]}
    print("sluice ...", file=sys.stderr)
    sluice_cmd = [sys.executable, "-m", "sluice.cli.main", "standalone", "--log-level", "WARNING"]
    results["sluice"] = _measure(
        [*sluice_cmd, str(worker), str(connector)], sink_out, records, timeout
    )
    for name, text in (("floor", "json"), ("floor_java_text", "java")):
        print(f"{name} ...", file=sys.stderr)
        floor_out = work / f"{name}.out"
        results[name] = _measure(
            [
                sys.executable,
                "-c",
                FLOOR_LOOP,
                bootstrap,
                topic,
                str(floor_out),
                str(records),
                text,
            ],
            floor_out,
            records,
            timeout,
        )
    # Same records, one partition, same printer: the files must match byte for byte.
    results["floor_java_text_output_matches_sluice"] = _digest(sink_out) == _digest(
        work / "floor_java_text.out"
    )
    results["cpu_ratio_sluice_to_floor"] = round(
        results["sluice"]["cpu_s_per_million"] / results["floor"]["cpu_s_per_million"], 2
    )
    results["cpu_ratio_sluice_to_floor_java_text"] = round(
        results["sluice"]["cpu_s_per_million"] / results["floor_java_text"]["cpu_s_per_million"],
        2,
    )
    results["load_after"] = os.getloadavg()[0]
    return results


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.record_floor", description=__doc__)
    p.add_argument("--records", type=int, default=1_000_000)
    p.add_argument("--bootstrap", help="use this broker instead of starting one")
    p.add_argument("--out", type=Path, help="also write the JSON here")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sluice-floor-") as tmp:
        work = Path(tmp)
        with bench_bootstrap(args.bootstrap, work) as bootstrap:
            print_results(run_record_floor(bootstrap, args.records, work), args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
