"""A Connect cluster of worker processes, for either runtime, driven over REST as a user would.

``sluice distributed worker.properties`` and Java's ``ConnectDistributed worker.properties`` (the
same jars, heap and GC flags as :mod:`bench.java_connect`, a log4j2 config that adds INFO for the
distributed herder so rebalances can be read off the log) run as separate processes, each
sampled by :class:`bench.process.WorkerProcess`. Every cluster gets its own ``group.id`` and
internal topics. Every process started here is registered so that :func:`kill_all` (called on
Ctrl-C and at exit) can end it.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import sys
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.java_connect import java_command
from bench.kafka_ops import Broker
from bench.process import WorkerProcess
from bench.sides import free_port, write_properties
from sluice.devkafka import log4j2_config_file

__all__ = [
    "RUNTIMES",
    "ClusterError",
    "ClusterWorker",
    "ConnectCluster",
    "Placement",
    "kill_all",
    "placement",
]

STRING_CONVERTER = "org.apache.kafka.connect.storage.StringConverter"

_LIVE: set[WorkerProcess] = set()
_LIVE_LOCK = threading.Lock()


def kill_all() -> None:
    """SIGKILL every worker process group this module started that still runs."""
    with _LIVE_LOCK:
        procs = list(_LIVE)
        _LIVE.clear()
    for proc in procs:
        if proc.alive():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
        proc.stop(5)


atexit.register(kill_all)


class ClusterError(Exception):
    """A worker died, failed a request, or the cluster did not reach a state in time."""


# -- the two runtimes --------------------------------------------------------------------------

_JAVA_LOG4J2_EXTRA = """
# bench.cluster: the distributed herder and the coordinator at INFO, to read rebalances off the log
logger.distributed.name = org.apache.kafka.connect.runtime.distributed
logger.distributed.level = INFO
"""


def _java_log4j2(cache_dir: Path) -> Path:
    path = cache_dir / "java" / "log4j2-distributed.properties"
    text = log4j2_config_file().read_text("utf-8") + _JAVA_LOG4J2_EXTRA
    if not path.exists() or path.read_text("utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    return path


def sluice_command(worker_file: Path, cache_dir: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "sluice.cli.main",
        "distributed",
        "--log-level",
        "INFO",
        str(worker_file),
    ]


def java_distributed_command(worker_file: Path, cache_dir: Path) -> list[str]:
    argv = java_command("org.apache.kafka.connect.cli.ConnectDistributed", [str(worker_file)])
    config = f"-Dlog4j2.configurationFile={_java_log4j2(cache_dir)}"
    return [config if a.startswith("-Dlog4j2.configurationFile=") else a for a in argv]


RUNTIMES = {
    "sluice": ("sluice", sluice_command),
    "java": ("Kafka Connect", java_distributed_command),
}
"""side name -> (label, argv builder)."""


# -- statuses ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Placement:
    """Where every connector and task runs: entity (``name`` or ``name/task``) -> worker id."""

    where: tuple[tuple[str, str], ...]

    def workers(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for _, worker in self.where:
            counts[worker] = counts.get(worker, 0) + 1
        return counts

    def worker_of(self, entity: str) -> str | None:
        return dict(self.where).get(entity)


def placement(
    doc: Mapping[str, Any], expected: Mapping[str, int], live_ids: set[str]
) -> Placement | None:
    """The placement when every expected connector and its ``expected[name]`` tasks are RUNNING
    on a worker in ``live_ids``; ``None`` otherwise. A FAILED connector or task raises."""
    where: list[tuple[str, str]] = []
    for name, tasks in expected.items():
        entry = doc.get(name)
        status = entry.get("status") if isinstance(entry, Mapping) else None
        if not isinstance(status, Mapping):
            return None
        conn = status.get("connector", {})
        for item in [conn, *status.get("tasks", [])]:
            if item.get("state") == "FAILED":
                raise ClusterError(f"{name} failed: {str(item.get('trace', item))[:2000]}")
        if conn.get("state") != "RUNNING" or conn.get("worker_id") not in live_ids:
            return None
        task_list = status.get("tasks", [])
        if len(task_list) != tasks:
            return None
        where.append((name, str(conn["worker_id"])))
        for task in task_list:
            if task.get("state") != "RUNNING" or task.get("worker_id") not in live_ids:
                return None
            where.append((f"{name}/{task.get('id')}", str(task["worker_id"])))
    return Placement(tuple(sorted(where)))


# -- workers and the cluster -------------------------------------------------------------------


class ClusterWorker:
    """One worker process of a cluster."""

    def __init__(self, index: int, port: int, props_file: Path, log_file: Path) -> None:
        self.index = index
        self.port = port
        self.props_file = props_file
        self.log_file = log_file
        self.proc: WorkerProcess | None = None
        self.killed_at: float | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def owns(self, worker_id: str | None) -> bool:
        """Whether a status ``worker_id`` (``host:port``) names this worker."""
        return worker_id is not None and worker_id.rsplit(":", 1)[-1] == str(self.port)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.alive()

    def stats(self) -> WorkerProcess:
        assert self.proc is not None
        return self.proc


class ConnectCluster:
    """``size`` workers of ``side`` in a group of their own on ``broker``; files in ``run_dir``."""

    def __init__(
        self,
        side: str,
        broker: Broker,
        run_dir: Path,
        cache_dir: Path,
        size: int = 3,
        props: Mapping[str, str] | None = None,
    ) -> None:
        self.side = side
        self.label, self._command = RUNTIMES[side]
        self.broker = broker
        self.run_dir = run_dir
        self.cache_dir = cache_dir
        suffix = uuid.uuid4().hex[:8]
        self.group = f"bench-{side}-{suffix}"
        self.topics = {
            "config.storage.topic": f"bench-{side}-configs-{suffix}",
            "offset.storage.topic": f"bench-{side}-offsets-{suffix}",
            "status.storage.topic": f"bench-{side}-status-{suffix}",
        }
        self.base_props: dict[str, str] = {
            "bootstrap.servers": broker.bootstrap,
            "group.id": self.group,
            **self.topics,
            "config.storage.replication.factor": "1",
            "offset.storage.replication.factor": "1",
            "status.storage.replication.factor": "1",
            "key.converter": STRING_CONVERTER,
            "value.converter": STRING_CONVERTER,
        }
        self.base_props.update(props or {})
        self.workers: list[ClusterWorker] = []
        self._http = httpx.Client(timeout=30.0)
        for _ in range(size):
            self._new_worker()

    def _new_worker(self) -> ClusterWorker:
        index = len(self.workers)
        port = free_port()
        props = {**self.base_props, "listeners": f"http://127.0.0.1:{port}"}
        path = write_properties(self.run_dir / f"worker-{index}.properties", props)
        worker = ClusterWorker(index, port, path, self.run_dir / f"worker-{index}.log")
        self.workers.append(worker)
        return worker

    # -- processes ------------------------------------------------------------------------------
    def _launch(self, worker: ClusterWorker) -> None:
        proc = WorkerProcess(self._command(worker.props_file, self.cache_dir), worker.log_file)
        with _LIVE_LOCK:
            _LIVE.add(proc)
        worker.proc = proc.start()

    def start(self, timeout: float = 180.0) -> float:
        """Start every worker at once; the seconds until all answer ``GET /health`` with 200."""
        started = time.time()
        for worker in self.workers:
            self._launch(worker)
        deadline = time.monotonic() + timeout
        for worker in self.workers:
            self.wait_healthy(worker, deadline)
        return time.time() - started

    def add_worker(self) -> ClusterWorker:
        worker = self._new_worker()
        self._launch(worker)
        return worker

    def healthy(self, worker: ClusterWorker) -> bool:
        try:
            return self._http.get(worker.url + "/health", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    def wait_healthy(self, worker: ClusterWorker, deadline: float) -> None:
        while not self.healthy(worker):
            self.check_alive(worker)
            if time.monotonic() > deadline:
                raise ClusterError(
                    f"{self.label} worker {worker.index} not healthy in time; "
                    f"{worker.log_file}:\n{worker.stats().log_tail()}"
                )
            time.sleep(0.1)

    def check_alive(self, worker: ClusterWorker) -> None:
        if worker.killed_at is None and not worker.alive():
            raise ClusterError(
                f"{self.label} worker {worker.index} exited; {worker.log_file}:\n"
                f"{worker.stats().log_tail()}"
            )

    def kill9(self, worker: ClusterWorker) -> float:
        """SIGKILL the worker's process group; the ``time.time()`` right after the signal."""
        proc = worker.stats()
        os.killpg(proc.pid, signal.SIGKILL)
        worker.killed_at = time.time()
        while proc.alive():
            time.sleep(0.01)
        return worker.killed_at

    def terminate(self, worker: ClusterWorker) -> float:
        """SIGTERM (a graceful stop: the worker leaves the group); the time of the signal."""
        proc = worker.stats()
        os.kill(proc.pid, signal.SIGTERM)
        worker.killed_at = time.time()
        return worker.killed_at

    def live(self) -> list[ClusterWorker]:
        return [w for w in self.workers if w.alive() and w.killed_at is None]

    def group_state(self) -> str | None:
        """The group's state at its coordinator (``Stable``, ``PreparingRebalance``, ...)."""
        from sluice.kafka.group_description import describe_group

        try:
            described = describe_group({"bootstrap.servers": self.broker.bootstrap}, self.group)
        except Exception:
            return None
        return None if described is None else described.state

    def worker_named(self, worker_id: str | None) -> ClusterWorker | None:
        return next((w for w in self.workers if w.owns(worker_id)), None)

    def stop(self, timeout: float = 60.0) -> None:
        """SIGTERM every live worker at once, SIGKILL what is left after ``timeout``."""
        running = [w for w in self.workers if w.proc is not None]
        for worker in running:
            if worker.alive():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(worker.stats().pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for worker in running:
            proc = worker.stats()
            proc.stop(max(0.1, deadline - time.monotonic()))
            with _LIVE_LOCK:
                _LIVE.discard(proc)
        self._http.close()

    def delete_topics(self, extra: Sequence[str] = ()) -> None:
        self.broker.delete_topics([*self.topics.values(), *extra])

    # -- REST -----------------------------------------------------------------------------------
    def request(
        self, method: str, path: str, worker: ClusterWorker | None = None, **kwargs: Any
    ) -> httpx.Response:
        target = worker if worker is not None else self.live()[0]
        return self._http.request(method, target.url + path, **kwargs)

    def create_connector(
        self, config: Mapping[str, str], worker: ClusterWorker | None = None, timeout: float = 120
    ) -> int:
        """POST a connector, retrying while the cluster rebalances (409); the retries made."""
        body = {"name": config["name"], "config": dict(config)}
        deadline = time.monotonic() + timeout
        retries = 0
        while True:
            try:
                response = self.request("POST", "/connectors", worker, json=body, timeout=100)
            except httpx.HTTPError as e:
                response = None
                error = str(e)
            if response is not None and response.status_code in (200, 201):
                return retries
            if response is not None:
                error = f"{response.status_code} {response.text[:500]}"
                if response.status_code not in (409, 500, 503):
                    raise ClusterError(f"creating {config['name']} on {self.label}: {error}")
            if time.monotonic() > deadline:
                raise ClusterError(f"creating {config['name']} on {self.label}: {error}")
            retries += 1
            time.sleep(0.2)

    def statuses(self, worker: ClusterWorker | None = None) -> dict[str, Any] | None:
        """``GET /connectors?expand=status`` on ``worker`` (a live one by default)."""
        try:
            response = self.request("GET", "/connectors?expand=status", worker, timeout=10)
        except httpx.HTTPError:
            return None
        if response.status_code != 200:
            return None
        doc: dict[str, Any] = response.json()
        return doc

    def placement(
        self, expected: Mapping[str, int], worker: ClusterWorker | None = None
    ) -> Placement | None:
        """Every expected connector and task RUNNING on a live worker, or ``None``."""
        doc = self.statuses(worker)
        if doc is None:
            return None
        live = {
            str(item.get("worker_id"))
            for entry in doc.values()
            for item in [
                entry.get("status", {}).get("connector", {}),
                *entry.get("status", {}).get("tasks", []),
            ]
            if any(w.owns(item.get("worker_id")) for w in self.live())
        }
        return placement(doc, expected, live)
