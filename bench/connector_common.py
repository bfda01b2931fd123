"""What the connector benches (``bench.jdbc``, ``bench.mongodb_sink``, ``bench.mongodb_source``)
share: waiting, rates, the broker and MongoDB server they start, and printing their JSON."""

from __future__ import annotations

import contextlib
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bench.kafka_ops import bench_broker
from bench.progress import Progress
from bench.sides import free_port
from sluice.runtime.collector import tune_collector

__all__ = [
    "bench_bootstrap",
    "bench_mongodb",
    "bench_session",
    "bench_work_dir",
    "print_results",
    "rate",
    "tests_importable",
    "wait",
]


def wait(condition: Callable[[], bool], timeout: float, what: str, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not done within {timeout:.0f}s")
        time.sleep(interval)


def rate(count: int, seconds: float) -> float:
    return round(count / seconds, 1) if seconds > 0 else float("inf")


def tests_importable() -> None:
    """Put the project root on ``sys.path`` so the benches can start the tests' servers."""
    root = str(Path(__file__).resolve().parent.parent)
    if root not in sys.path:
        sys.path.insert(0, root)


@contextlib.contextmanager
def bench_bootstrap(bootstrap: str | None, work: Path) -> Iterator[str]:
    """The broker at ``bootstrap``, or one started on a free port (data under ``work``) and
    stopped when the block ends."""
    with bench_broker(bootstrap, free_port(), work, Progress()) as broker:
        yield broker.bootstrap


@contextlib.contextmanager
def bench_mongodb(uri: str | None) -> Iterator[str]:
    """The MongoDB server at ``uri``, or the tests' nx-27017 started here and stopped when the
    block ends."""
    if uri is not None:
        yield uri
        return
    tests_importable()
    from tests.fixtures.mongodb import start_mongodb, stop_mongodb

    server = start_mongodb()
    try:
        yield server.uri
    finally:
        stop_mongodb(server)


@contextlib.contextmanager
def bench_session(prefix: str, bootstrap: str | None) -> Iterator[tuple[Path, str]]:
    """What a connector bench's ``main`` runs in: the collector tuned as the sluice command
    tunes its worker process (the bench drives an embedded worker), a work directory removed
    afterwards, and ``bootstrap``'s broker or one started in that directory."""
    tune_collector()
    with bench_work_dir(prefix) as work, bench_bootstrap(bootstrap, work) as servers:
        yield work, servers


@contextlib.contextmanager
def bench_work_dir(prefix: str) -> Iterator[Path]:
    """A temporary directory for one bench run (its broker's data, connector files), removed
    afterwards, also when the run fails or is interrupted: a run can leave gigabytes."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)


def print_results(results: dict[str, Any], out: Path | None) -> None:
    """Print the results as JSON, and also write them to ``out`` when given."""
    text = json.dumps(results, indent=2)
    print(text)
    if out:
        out.write_text(text + "\n")
