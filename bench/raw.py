"""B0: the raw limit, measured with Kafka's own perf tools from the same jars.

``ProducerPerformance`` and ``ConsumerPerformance`` run with the profile's client settings, the
same the workers get. Their own summary lines give the figures (the consumer's ``fetch`` rate,
which leaves out the group join, as the sink timings do).
"""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from bench.java_connect import java_command
from bench.kafka_ops import Broker
from bench.process import WorkerProcess
from bench.profiles import Profile
from bench.progress import Progress
from bench.sides import write_properties

__all__ = ["RawResult", "RawToolError", "run_consumer_perf", "run_producer_perf"]

_PRODUCER_SUMMARY = re.compile(r"(\d+) records sent, ([\d.]+) records/sec \(([\d.]+) MB/sec\)")


class RawToolError(Exception):
    """A perf tool failed or printed no summary."""


@dataclass
class RawResult:
    records: int
    records_per_s: float
    mb_per_s: float
    peak_rss_mb: float
    cpu_s: float


def _run(
    argv: list[str], log: Path, label: str, progress: Progress, timeout: float
) -> tuple[str, WorkerProcess]:
    proc = WorkerProcess(argv, log).start()
    deadline = time.monotonic() + timeout
    try:
        while proc.alive():
            if time.monotonic() > deadline:
                raise RawToolError(f"{label} did not finish within {timeout:.0f}s")
            progress.update(f"{label} running", int(time.time() - proc.started_at))
            time.sleep(0.5)
    finally:
        proc.stop()
    return log.read_text("utf-8", "replace"), proc


def run_producer_perf(
    broker: Broker,
    profile: Profile,
    size: int,
    count: int,
    run_dir: Path,
    progress: Progress,
    timeout: float,
) -> RawResult:
    topic = broker.create_topic(f"bench-b0-produce-{size}B-{uuid.uuid4().hex[:8]}")
    props = [f"{k}={v}" for k, v in profile.producer.items()]
    argv = java_command(
        "org.apache.kafka.tools.ProducerPerformance",
        [
            "--topic",
            topic,
            "--num-records",
            str(count),
            "--record-size",
            str(size),
            "--throughput",
            "-1",
            "--producer-props",
            f"bootstrap.servers={broker.bootstrap}",
            *props,
        ],
    )
    try:
        output, proc = _run(argv, run_dir / "producer-perf.log", "producer perf", progress, timeout)
    finally:
        broker.delete_topics([topic])
    matches = _PRODUCER_SUMMARY.findall(output)
    if not matches:
        raise RawToolError(f"ProducerPerformance printed no summary:\n{output[-2000:]}")
    sent, rate, mbps = matches[-1]
    if int(sent) != count:
        raise RawToolError(f"ProducerPerformance sent {sent} of {count} records")
    return RawResult(
        count, float(rate), float(mbps), proc.peak_rss() / 2**20, proc.cpu_at(time.time())
    )


def run_consumer_perf(
    broker: Broker,
    profile: Profile,
    topic: str,
    count: int,
    run_dir: Path,
    progress: Progress,
    timeout: float,
) -> RawResult:
    config = dict(profile.consumer)
    config["max.poll.records"] = str(profile.max_poll_records)
    config_file = write_properties(run_dir / "consumer-perf.properties", config)
    argv = java_command(
        "org.apache.kafka.tools.ConsumerPerformance",
        [
            "--bootstrap-server",
            broker.bootstrap,
            "--topic",
            topic,
            "--messages",
            str(count),
            "--group",
            f"bench-b0-{uuid.uuid4().hex[:8]}",
            "--consumer.config",
            str(config_file),
            "--timeout",
            "60000",
            "--hide-header",
        ],
    )
    output, proc = _run(argv, run_dir / "consumer-perf.log", "consumer perf", progress, timeout)
    for line in reversed(output.splitlines()):
        fields = [f.strip() for f in line.split(",")]
        if len(fields) == 10:
            try:
                consumed = int(fields[4])
                fetch_mbps = float(fields[8])
                fetch_rate = float(fields[9])
            except ValueError:
                continue
            if consumed < count:
                raise RawToolError(f"ConsumerPerformance read {consumed} of {count} records")
            return RawResult(
                consumed,
                fetch_rate,
                fetch_mbps,
                proc.peak_rss() / 2**20,
                proc.cpu_at(time.time()),
            )
    raise RawToolError(f"ConsumerPerformance printed no summary:\n{output[-2000:]}")
