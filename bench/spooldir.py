"""bench_spooldir: CSV rows/s through the spooldir CSV connector with schema generation (issue 7).

The seed 004 configuration (header row, generated schema, JsonConverter with schemas) reads one
CSV of the seed's ten columns into a fresh topic on an in-process standalone worker. The clock
runs from the connector's creation (schema generation included) until the topic holds every row;
the time until the file is in ``finished/`` (every offset committed) is reported beside it.

``python -m bench.spooldir --bootstrap HOST:PORT --size 1GB`` runs it from the command line.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from sluice.runtime.collector import tune_collector
from sluice.testing import EmbeddedWorker, wait_for

__all__ = ["run_spooldir_bench", "write_csv"]

HEADER = (
    "id,first_name,last_name,email,gender,ip_address,last_login,account_balance,country,"
    "favorite_color\n"
)
_CHUNK_ROWS = 20_000


def _row(i: int) -> str:
    return (
        f"{i},First{i % 997},Last{i % 991},user{i}@example.com,{'Male' if i % 2 else 'Female'},"
        f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255},2015-12-{1 + i % 28:02d}T22:18:07Z,"
        f"{i % 100000}.{i % 100:02d},PK,#{i & 0xFFFFFF:06x}\n"
    )


def write_csv(path: Path, size_bytes: int) -> int:
    """Write a seed-shaped CSV of about ``size_bytes`` bytes; the number of data rows."""
    rows = 0
    written = len(HEADER)
    with open(path, "w", encoding="ascii", newline="\n") as out:
        out.write(HEADER)
        while written < size_bytes:
            chunk = "".join(_row(i) for i in range(rows, rows + _CHUNK_ROWS))
            if written + len(chunk) > size_bytes:
                lines = chunk.splitlines(keepends=True)
                chunk = ""
                for line in lines:
                    if written + len(chunk) >= size_bytes:
                        break
                    chunk += line
            out.write(chunk)
            written += len(chunk)
            rows += chunk.count("\n")
            if not chunk:
                break
    return rows


def _end_offset(bootstrap: str, topic: str) -> int:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-spooldir"})
    try:
        return int(consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)[1])
    finally:
        consumer.close()


def run_spooldir_bench(
    bootstrap: str, size_bytes: int, work_dir: Path | None = None
) -> dict[str, Any]:
    """Run the workload once on ``bootstrap``; rows, bytes, seconds and rates as a dict."""
    base = Path(tempfile.mkdtemp(prefix="bench-spooldir-", dir=work_dir))
    try:
        spool = base / "spool"
        for d in (spool, spool / "finished", spool / "error"):
            d.mkdir(parents=True)
        staging = base / "data.csv"
        rows = write_csv(staging, size_bytes)
        size = staging.stat().st_size
        staging.rename(spool / "data.csv")
        topic = f"bench-spooldir-{uuid.uuid4().hex[:8]}"
        admin = AdminClient({"bootstrap.servers": bootstrap})
        admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)
        config = {
            "tasks.max": "1",
            "connector.class": "sluice.connectors.spooldir.csv_source:SpoolDirCsvSourceConnector",
            "input.path": str(spool),
            "input.file.pattern": "^.*\\.csv$",
            "error.path": str(spool / "error"),
            "finished.path": str(spool / "finished"),
            "empty.poll.wait.ms": "30000",
            "halt.on.error": "false",
            "topic": topic,
            "csv.first.row.as.header": "true",
            "schema.generation.enabled": "true",
        }
        worker_props = {
            "key.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        }
        deadline = max(120.0, rows / 2000)
        with EmbeddedWorker(bootstrap, base / "worker", worker_props) as worker:
            started = time.monotonic()
            worker.create("bench-spooldir", config)
            wait_for(
                lambda: _end_offset(bootstrap, topic) >= rows,
                deadline,
                interval=0.2,
                message=lambda: f"{_end_offset(bootstrap, topic)} of {rows} rows in the topic",
            )
            in_topic = time.monotonic() - started
            wait_for(lambda: (spool / "finished" / "data.csv").exists(), 120, interval=0.1)
            finished = time.monotonic() - started
        admin.delete_topics([topic])
        return {
            "workload": "bench_spooldir",
            "rows": rows,
            "bytes": size,
            "seconds": round(in_topic, 3),
            "seconds_until_finished": round(finished, 3),
            "rows_per_s": round(rows / in_topic),
            "mb_per_s": round(size / in_topic / 1e6, 2),
        }
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _size(text: str) -> int:
    units = {"KB": 10**3, "MB": 10**6, "GB": 10**9}
    for suffix, factor in units.items():
        if text.upper().endswith(suffix):
            return int(float(text[: -len(suffix)]) * factor)
    return int(text)


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.spooldir", description=__doc__)
    p.add_argument("--bootstrap", required=True)
    p.add_argument("--size", default="1GB", help="CSV size, e.g. 100MB or 1GB")
    args = p.parse_args()
    tune_collector()  # as the sluice command tunes its worker process
    print(run_spooldir_bench(args.bootstrap, _size(args.size)))


if __name__ == "__main__":
    main()
