"""Inputs, made once and outside every timed part: line files, order files, pre-filled topics.

Files are cached under the cache folder by size and count (written to a ``.part`` file and
renamed, so an interrupted run never leaves a short input behind). Pre-filled topics are kept on
the bench broker and reused when their end offset shows they are complete.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

from confluent_kafka import KafkaError, Message, Producer

from bench import records
from bench.kafka_ops import Broker
from bench.progress import Progress

__all__ = ["Inputs"]

_LINES_PER_CHUNK = 50_000
_FILLER = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_" * 40


def line_text(i: int, size: int) -> str:
    """Line ``i`` of a file of ``size``-byte lines (newline not counted), plain ASCII."""
    head = f"{i:012d} "
    start = i % 64
    return head + _FILLER[start : start + size - len(head)]


class Inputs:
    """Where the inputs live, generating each the first time it is asked for."""

    def __init__(self, cache_dir: Path, broker: Broker, progress: Progress) -> None:
        self.dir = cache_dir / "inputs"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.broker = broker
        self.progress = progress

    # -- files ------------------------------------------------------------------------------------
    def _file(self, name: str, count: int, line: Callable[[int], str]) -> Path:
        path = self.dir / name
        if path.exists():
            return path
        part = path.with_suffix(path.suffix + ".part")
        started = time.monotonic()
        with open(part, "w", encoding="utf-8", newline="\n") as out:
            for first in range(0, count, _LINES_PER_CHUNK):
                last = min(count, first + _LINES_PER_CHUNK)
                out.write("\n".join(line(i) for i in range(first, last)))
                out.write("\n")
                self.progress.update(f"generating {name}", last, count)
        part.replace(path)
        self.progress.done(f"generated {name} in {time.monotonic() - started:.1f}s")
        return path

    def lines_file(self, size: int, count: int) -> Path:
        """``count`` lines of ``size`` bytes each (plus the newline)."""
        return self._file(f"lines-{size}B-{count}.txt", count, lambda i: line_text(i, size))

    def orders_file(self, count: int) -> Path:
        """``count`` B3 orders as TSV lines."""
        return self._file(f"orders-{count}.tsv", count, records.tsv_line)

    def orders_files(self, count: int, parts: int) -> list[Path]:
        """``count`` B3 orders split into ``parts`` TSV files of (nearly) equal length."""
        if parts == 1:
            return [self.orders_file(count)]
        bounds = [count * k // parts for k in range(parts + 1)]
        return [
            self._file(
                f"orders-{count}-part{k + 1}of{parts}.tsv",
                bounds[k + 1] - bounds[k],
                lambda i, first=bounds[k]: records.tsv_line(first + i),
            )
            for k in range(parts)
        ]

    # -- topics -----------------------------------------------------------------------------------
    def _topic(
        self,
        name: str,
        count: int,
        values: Callable[[], Iterator[bytes]],
        partitions: int = 1,
    ) -> str:
        if self.broker.topic_exists(name):
            if self.broker.end_offset(name) == count:
                return name
            self.broker.delete_topics([name])
            self._await_deleted(name)
        self.broker.create_topic(name, partitions=partitions)
        started = time.monotonic()
        self._produce(name, count, values(), partitions)
        self.progress.done(
            f"pre-filled topic {name} ({count:,} records) in {time.monotonic() - started:.1f}s"
        )
        return name

    def _await_deleted(self, name: str) -> None:
        deadline = time.monotonic() + 60
        while self.broker.topic_exists(name) and time.monotonic() < deadline:
            time.sleep(0.2)

    def _produce(self, topic: str, count: int, values: Iterator[bytes], partitions: int) -> None:
        """Fill ``topic``, spreading the values round-robin over its partitions."""
        producer = Producer(
            {
                "bootstrap.servers": self.broker.bootstrap,
                "acks": "all",
                "linger.ms": 50,
                "batch.size": 1_000_000,
                "queue.buffering.max.messages": 500_000,
                "log_level": 4,  # warnings: not the notices about the bench's deleted topics
            }
        )
        failures: list[KafkaError] = []

        def on_delivery(err: KafkaError | None, _msg: Message) -> None:
            if err is not None:
                failures.append(err)

        for sent, value in enumerate(values, 1):
            while True:
                try:
                    producer.produce(
                        topic, value, partition=sent % partitions, on_delivery=on_delivery
                    )
                    break
                except BufferError:
                    producer.poll(0.05)
            if sent % 100_000 == 0:
                producer.poll(0)
                self.progress.update(f"pre-filling {topic}", sent, count)
        left = producer.flush(300)
        if left or failures:
            raise RuntimeError(f"pre-filling {topic}: {left} unacknowledged, errors {failures[:3]}")

    def lines_topic(self, size: int, count: int) -> str:
        """A topic holding the lines of :meth:`lines_file`, one record each."""
        path = self.lines_file(size, count)

        def values() -> Iterator[bytes]:
            with open(path, "rb") as f:
                for line in f:
                    yield line[:-1]

        return self._topic(f"bench-in-lines-{size}B-{count}", count, values)

    def orders_topic(self, count: int, partitions: int = 1) -> str:
        """A topic holding ``count`` orders as JsonConverter envelopes (schemas enabled)."""

        def values() -> Iterator[bytes]:
            return (records.envelope(i) for i in range(count))

        name = f"bench-in-orders-{count}" + (f"-p{partitions}" if partitions > 1 else "")
        return self._topic(name, count, values, partitions)
