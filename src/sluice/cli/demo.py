"""``sluice demo``: file -> FileStreamSource -> topic -> FileStreamSink -> file, checked.

It generates an input file, runs a standalone worker with both connectors against the local
broker, shows progress while lines flow, and ends by checking that the output equals the input.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

__all__ = ["register", "run_demo"]


def _generate(path: Path, lines: int) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for i in range(lines):
            f.write(
                f"line {i:09d} sluice demo record: the quick brown fox jumps over the lazy dog\n"
            )


def _count_lines(path: Path) -> int:
    if not path.exists():
        return 0
    with open(path, "rb") as f:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _bar(done: int, total: int, width: int = 40) -> str:
    filled = int(width * done / total) if total else width
    return "[" + "#" * filled + "." * (width - filled) + f"] {done:,}/{total:,}"


def run_demo(bootstrap: str, lines: int, work_dir: Path | None, timeout: float) -> int:
    from sluice.cli.standalone import StartupError, start_standalone
    from sluice.runtime import log_context

    log_context.install(logging.WARNING)
    # A fresh broker makes the client retry for a moment ("Coordinator load in progress"):
    # routine, and it would cut through the progress bar. Real failures are ERRORs.
    logging.getLogger("librdkafka").setLevel(logging.ERROR)
    base = work_dir or Path(tempfile.mkdtemp(prefix="sluice-demo-"))
    base.mkdir(parents=True, exist_ok=True)
    source, sink = base / "input.txt", base / "output.txt"
    for p in (sink, base / "connect.offsets"):
        p.unlink(missing_ok=True)
    topic = f"sluice-demo-{uuid.uuid4().hex[:8]}"
    print(f"1/4 generating {lines:,} lines in {source}")
    _generate(source, lines)
    print(f"2/4 starting a standalone worker against {bootstrap} (topic {topic})")
    worker = {
        "bootstrap.servers": bootstrap,
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "value.converter": "org.apache.kafka.connect.storage.StringConverter",
        "offset.storage.file.filename": str(base / "connect.offsets"),
        "offset.flush.interval.ms": "2000",
        "listeners": "http://127.0.0.1:0",
    }
    connectors: list[tuple[str, str, dict[str, str], str | None]] = [
        (
            "<demo>",
            "demo-file-source",
            {
                "connector.class": "FileStreamSource",
                "file": str(source),
                "topic": topic,
            },
            None,
        ),
        (
            "<demo>",
            "demo-file-sink",
            {
                "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
                "file": str(sink),
                "topics": topic,
            },
            None,
        ),
    ]
    try:
        running = start_standalone(worker, connectors, "<demo worker>")
    except StartupError as e:
        print(f"sluice demo: {e}", file=sys.stderr)
        port = bootstrap.rsplit(":", 1)[-1]
        command = "sluice kafka start" + ("" if port == "9092" else f" --port {port}")
        print(f"Is the broker running? Start it with: {command}", file=sys.stderr)
        return 1
    url = (running.rest_url or "").rstrip("/")
    print(f"    REST API at {url} (try: curl '{url}/connectors?expand=status')")
    print(f"    console at {url}/ui, metrics at {url}/metrics")
    print("3/4 copying through Kafka")
    start = time.monotonic()
    done = 0
    try:
        while time.monotonic() - start < timeout:
            done = _count_lines(sink)
            print("\r    " + _bar(done, lines), end="", flush=True)
            if done >= lines:
                break
            for name in ("demo-file-source", "demo-file-sink"):
                status = running.herder.connector_status(name)
                failed = [s for s in status.tasks.values() if s.state.value == "FAILED"]
                if failed:
                    print(f"\nsluice demo: {name} failed:\n{failed[0].trace}", file=sys.stderr)
                    return 1
            time.sleep(0.25)
        print()
    finally:
        running.stop()
    elapsed = time.monotonic() - start
    print(
        f"4/4 checking: {done:,} lines out of {lines:,} in {elapsed:.1f}s "
        f"({done / elapsed:,.0f} lines/s)"
    )
    if done < lines or _digest(source) != _digest(sink):
        print("sluice demo: FAILED: the output file differs from the input", file=sys.stderr)
        return 1
    print(f"OK: {sink} equals {source} (sha256 {_digest(sink)[:16]}...)")
    if work_dir is None:
        shutil.rmtree(base, ignore_errors=True)
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from sluice.cli.local_kafka import port_arg
    from sluice.devkafka import DEFAULT_PORT

    about = "run the quickstart file pipeline through the local Kafka"
    demo = sub.add_parser(
        "demo",
        help=about,
        description=f"{about[0].upper()}{about[1:]}: file -> FileStreamSource -> topic -> "
        "FileStreamSink -> file, then check that the output equals the input.",
    )
    broker = demo.add_mutually_exclusive_group()
    broker.add_argument(
        "--port",
        type=port_arg,
        default=None,
        help=f"port of the local broker on 127.0.0.1, as given to 'sluice kafka start --port' "
        f"(default {DEFAULT_PORT})",
    )
    broker.add_argument(
        "--bootstrap",
        default=None,
        help="bootstrap.servers of any other Kafka cluster (default 127.0.0.1:PORT)",
    )
    demo.add_argument(
        "--lines",
        type=int,
        default=200_000,
        help="lines to generate and copy (default %(default)s)",
    )
    demo.add_argument(
        "--work-dir",
        type=Path,
        default=None,
        help="folder for the input, output and offsets files, kept afterwards (default: a "
        "temporary folder, removed when the demo succeeds)",
    )
    demo.add_argument(
        "--timeout",
        type=float,
        default=300.0,
        help="seconds to wait for every line to arrive (default %(default)s)",
    )
    demo.set_defaults(
        func=lambda a: run_demo(
            a.bootstrap or f"127.0.0.1:{a.port or DEFAULT_PORT}", a.lines, a.work_dir, a.timeout
        )
    )
