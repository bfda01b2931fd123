"""One local broker's lifecycle: write its configuration, format its storage, start, wait, stop.

A broker is identified by its data folder, which holds its ``server.properties``, its pid file,
its log and its KRaft log folder; so a later ``sluice kafka stop`` or ``status`` from another
shell finds the broker a ``start`` left running.
"""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

from sluice.devkafka import jars, processes
from sluice.devkafka.errors import BrokerStartError, LocalKafkaError, PortInUseError
from sluice.devkafka.java import find_java, java_command
from sluice.devkafka.locations import default_data_dir, default_libs_dir
from sluice.devkafka.ports import (
    accepts_connections,
    answers_metadata,
    free_port,
    free_port_pair_after,
    port_free,
    port_owner,
)
from sluice.devkafka.properties import (
    controller_port_of,
    heap_bytes,
    new_cluster_id,
    render_properties,
    server_properties,
)

__all__ = ["DEFAULT_HEAP", "DEFAULT_PORT", "BrokerStatus", "LocalKafka"]

DEFAULT_PORT = 9092
DEFAULT_HEAP = "512m"
# The broker log is rotated when a start finds it larger than this, so it cannot grow forever.
_LOG_ROTATE_BYTES = 10 * 1024 * 1024
# Smallest initial heap: the JVM grows it on demand, so an idle dev broker stays small.
_INITIAL_HEAP_BYTES = 64 * 1024 * 1024
_POLL_INTERVAL = 0.2


@dataclass(frozen=True)
class BrokerStatus:
    """What ``sluice kafka status`` reports.

    ``running`` means our broker process is alive; ``answers`` means a Kafka broker answered a
    metadata request on ``port`` (it can be true while ``running`` is false when a broker started
    from another data folder holds the port).
    """

    running: bool
    pid: int | None
    port: int
    bootstrap: str
    data_dir: Path
    answers: bool
    controller_port: int | None = None


class LocalKafka:
    """One local broker, identified by its data folder (which holds its pid file and log)."""

    def __init__(
        self,
        port: int = DEFAULT_PORT,
        data_dir: Path | None = None,
        libs_dir: Path | None = None,
        heap: str = DEFAULT_HEAP,
        extra_properties: Mapping[str, str] | None = None,
        format_args: Sequence[str] = (),
    ) -> None:
        """``extra_properties`` go over :func:`server_properties` (more listeners, TLS, SASL);
        ``format_args`` are added to ``kafka-storage format`` (``--add-scram ...``)."""
        if not 0 < port < 65535:
            raise LocalKafkaError(f"port {port} is not a TCP port between 1 and 65534")
        heap_bytes(heap)  # reject a bad size now rather than in the JVM's log
        self.port = port
        self.heap = heap
        self.data_dir = (data_dir if data_dir is not None else default_data_dir(port)).resolve()
        self._libs_dir = libs_dir
        self.extra_properties = dict(extra_properties or {})
        self.format_args = list(format_args)

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def libs_dir(self) -> Path:
        # Resolved on first use, so `status` and `stop` work without a pom in sight.
        if self._libs_dir is None:
            self._libs_dir = default_libs_dir()
        return self._libs_dir

    @property
    def log_file(self) -> Path:
        return self.data_dir / "broker.log"

    @property
    def pid_file(self) -> Path:
        return self.data_dir / "broker.pid"

    @property
    def properties_file(self) -> Path:
        return self.data_dir / "server.properties"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "kraft-logs"

    # -- public operations

    def ensure_jars(self) -> Path:
        """Fetch the Kafka jars with Maven unless the libs folder is complete and current
        (see :mod:`sluice.devkafka.jars`)."""
        return jars.ensure_jars(self.libs_dir)

    def start(self, timeout: float = 60.0) -> str:
        """Start the broker unless it already runs; return its bootstrap address once it answers."""
        deadline = time.monotonic() + timeout
        pid = self.running_pid()
        if pid is not None:
            self._wait_until_answers(pid, None, deadline, log_offset=0)
            return self.bootstrap
        self._remove_pid_file()
        self._check_port_free(self.port, "broker")
        java = find_java()
        self.ensure_jars()
        controller_port = self._choose_controller_port()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.properties_file.write_text(
            render_properties(
                {
                    **server_properties(self.port, controller_port, self.log_dir),
                    **self.extra_properties,
                }
            ),
            encoding="utf-8",
        )
        self._rotate_log()
        log_offset = self.log_file.stat().st_size if self.log_file.exists() else 0
        if not (self.log_dir / "meta.properties").exists():
            self._format(java)
        process = self._launch(java)
        processes.adopt(process)
        self.pid_file.write_text(f"{process.pid}\n", encoding="utf-8")
        try:
            self._wait_until_answers(process.pid, process, deadline, log_offset)
        except BrokerStartError:
            processes.terminate(process.pid, grace=5.0)
            self._remove_pid_file()
            raise
        return self.bootstrap

    def stop(self, timeout: float = 30.0) -> bool:
        """Stop the broker (SIGTERM, SIGKILL after ``timeout``); False when it was not running."""
        pid = self.running_pid()
        if pid is None:
            self._remove_pid_file()
            return False
        processes.terminate(pid, grace=timeout)
        self._remove_pid_file()
        return True

    def status(self) -> BrokerStatus:
        pid = self.running_pid()
        answers = accepts_connections(self.port) and answers_metadata(self.bootstrap, 3.0)
        return BrokerStatus(
            running=pid is not None,
            pid=pid,
            port=self.port,
            bootstrap=self.bootstrap,
            data_dir=self.data_dir,
            answers=answers,
            controller_port=self._recorded_controller_port(),
        )

    def running_pid(self) -> int | None:
        """The pid in the pid file if that process is alive and is this data folder's broker."""
        try:
            pid = int(self.pid_file.read_text(encoding="utf-8").strip())
        except (OSError, ValueError):
            return None
        processes.reap(pid)
        try:
            process = psutil.Process(pid)
            if process.status() == psutil.STATUS_ZOMBIE:
                return None
            cmdline = process.cmdline()
        except psutil.NoSuchProcess:
            return None
        except psutil.AccessDenied:
            return pid  # alive but not ours to inspect; assume the pid file is right
        # A recycled pid belongs to some other program: the file is stale.
        if "kafka.Kafka" in cmdline and str(self.properties_file) in cmdline:
            return pid
        return None

    # -- helpers

    def _remove_pid_file(self) -> None:
        self.pid_file.unlink(missing_ok=True)

    def _check_port_free(self, port: int, role: str) -> None:
        if port_free(port):
            return
        owner = port_owner(port)
        who = f" by {owner}" if owner else ""
        stop = "stop that process"
        if owner is not None and owner.data_dir is not None:
            stop = f"stop it (sluice kafka stop --port {port} --data-dir {owner.data_dir})"
        free = free_port_pair_after(port)
        other = str(free) if free is not None else "N"
        raise PortInUseError(
            f"port {port} on 127.0.0.1 (the {role} port) is already in use{who}; {stop}, "
            f"or choose another port: sluice kafka start --port {other} "
            f"(make quickstart KAFKA_PORT={other})",
            port,
        )

    def _recorded_controller_port(self) -> int | None:
        try:
            return controller_port_of(self.properties_file.read_text(encoding="utf-8"))
        except OSError:
            return None

    def _choose_controller_port(self) -> int:
        """The last run's controller port, else port+1, else any free port (it is recorded)."""
        candidates = [self._recorded_controller_port(), self.port + 1]
        for candidate in candidates:
            if candidate and candidate != self.port and candidate < 65536 and port_free(candidate):
                return candidate
        return free_port()

    def _rotate_log(self) -> None:
        if self.log_file.exists() and self.log_file.stat().st_size > _LOG_ROTATE_BYTES:
            self.log_file.replace(self.log_file.with_name("broker.log.1"))

    def _format(self, java: str) -> None:
        """Write meta.properties and the bootstrap metadata: once per data folder."""
        command = java_command(
            java,
            self.libs_dir,
            "kafka.tools.StorageTool",
            "format",
            "--cluster-id",
            new_cluster_id(),
            "--config",
            str(self.properties_file),
            *self.format_args,
        )
        with self.log_file.open("ab") as log:
            log.write(f"=== sluice: formatting {self.log_dir} ===\n".encode())
            log.flush()
            start = log.tell()
            done = subprocess.run(
                command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, check=False
            )
        if done.returncode != 0:
            raise BrokerStartError(
                f"formatting the Kafka log folder {self.log_dir} failed (exit {done.returncode})",
                processes.log_tail(self.log_file, start=start),
            )

    def _launch(self, java: str) -> subprocess.Popen[bytes]:
        initial = min(heap_bytes(self.heap), _INITIAL_HEAP_BYTES) // 1024
        command = java_command(java, self.libs_dir, "kafka.Kafka", str(self.properties_file))
        # Kafka's own launch script uses these G1 settings; the heap is ours to cap.
        command[1:1] = [
            f"-Xmx{self.heap}",
            f"-Xms{initial}k",
            "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20",
            "-XX:InitiatingHeapOccupancyPercent=35",
            "-XX:+ExplicitGCInvokesConcurrent",
            "-Djava.awt.headless=true",
        ]
        with self.log_file.open("ab") as log:
            stamp = time.strftime("%Y-%m-%d %H:%M:%S")
            log.write(f"=== sluice: starting Kafka on {self.bootstrap} at {stamp} ===\n".encode())
            log.flush()
            try:
                return subprocess.Popen(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=self.data_dir,
                    start_new_session=True,  # survives the shell and Ctrl-C that started it
                )
            except OSError as exc:
                raise LocalKafkaError(f"cannot run {java}: {exc}") from exc

    def _wait_until_answers(
        self,
        pid: int,
        process: subprocess.Popen[bytes] | None,
        deadline: float,
        log_offset: int,
    ) -> None:
        while True:
            if process is not None:
                code = process.poll()
                if code is not None:
                    raise BrokerStartError(
                        f"Kafka exited with code {code} while starting on {self.bootstrap}",
                        processes.log_tail(self.log_file, start=log_offset),
                    )
            elif self.running_pid() != pid:
                raise BrokerStartError(
                    f"Kafka (pid {pid}) exited while starting on {self.bootstrap}",
                    processes.log_tail(self.log_file, start=log_offset),
                )
            remaining = deadline - time.monotonic()
            if accepts_connections(self.port) and answers_metadata(
                self.bootstrap, max(0.5, min(2.0, remaining))
            ):
                return
            if time.monotonic() >= deadline:
                raise BrokerStartError(
                    f"Kafka (pid {pid}) did not answer on {self.bootstrap} in time; "
                    f"its log is {self.log_file}",
                    processes.log_tail(self.log_file, start=log_offset),
                )
            self._pause(process)

    @staticmethod
    def _pause(process: subprocess.Popen[bytes] | None) -> None:
        """Wait a poll interval, returning early if our child exits meanwhile."""
        if process is None:
            time.sleep(_POLL_INTERVAL)
            return
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=_POLL_INTERVAL)
