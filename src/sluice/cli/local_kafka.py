"""A single-node Apache Kafka broker (KRaft) for development and tests, run from Maven jars.

sluice needs a real broker to be useful and to be tested, and this machine has no Docker. So
sluice runs Apache Kafka's own ``kafka.Kafka`` main class from the jars that the repository's
``pom.xml`` pulls into a cache folder. The broker runs detached from the process that started it
(``sluice kafka start`` returns at once); its pid file and log live in its data folder, so a
later ``sluice kafka stop`` or ``status`` from another shell finds it again.

Errors (all :class:`LocalKafkaError`):

- :class:`JavaNotFoundError`: no usable ``java`` (missing or older than 17).
- :class:`JarsNotFoundError`: the Kafka jars are absent and cannot be fetched (no pom, Maven fails);
  :class:`MavenNotFoundError` when ``mvn`` itself is missing.
- :class:`PortInUseError`: another process listens on the broker's port.
- :class:`BrokerStartError`: the broker exited or did not answer in time; carries the log tail.
- :class:`BrokerStopError`: the broker survived SIGTERM and SIGKILL.
"""

from __future__ import annotations

import argparse
import atexit
import base64
import contextlib
import hashlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil
from confluent_kafka import KafkaException

from sluice.kafka.client_logs import new_admin

__all__ = [
    "DEFAULT_HEAP",
    "DEFAULT_PORT",
    "BrokerStartError",
    "BrokerStatus",
    "BrokerStopError",
    "JarsNotFoundError",
    "JavaNotFoundError",
    "LocalKafka",
    "LocalKafkaError",
    "MavenNotFoundError",
    "PortInUseError",
    "PortOwner",
    "default_data_dir",
    "default_libs_dir",
    "find_java",
    "find_pom",
    "java_classpath",
    "kafka_version",
    "log4j2_config_file",
    "main",
    "new_cluster_id",
    "port_arg",
    "port_owner",
    "register",
    "server_properties",
]

DEFAULT_PORT = 9092
DEFAULT_HEAP = "512m"
MIN_JAVA_VERSION = 17
NODE_ID = 1
LOG_TAIL_LINES = 30
# The broker log is rotated when a start finds it larger than this, so it cannot grow forever.
_LOG_ROTATE_BYTES = 10 * 1024 * 1024
# Smallest initial heap: the JVM grows it on demand, so an idle dev broker stays small.
_INITIAL_HEAP_BYTES = 64 * 1024 * 1024
_POLL_INTERVAL = 0.2

_KAFKA_JAR = re.compile(r"^kafka_2\.13-(\d+(?:\.\d+)*)\.jar$")
_HEAP = re.compile(r"^(\d+)([kKmMgG]?)$")
_JAVA_VERSION = re.compile(r'version "(\d+)(?:\.(\d+))?')
_VOTERS = re.compile(r"^controller\.quorum\.voters=\d+@[^:]+:(\d+)\s*$", re.MULTILINE)
_LOG4J2_RESOURCE = "log4j2-kafka.properties"
# Written into a libs folder sluice fetched: the sha256 of the pom it was fetched from.
_POM_DIGEST_FILE = ".sluice-pom.sha256"


class LocalKafkaError(Exception):
    """Anything that stops sluice's local broker from being started, stopped or inspected."""


class JavaNotFoundError(LocalKafkaError):
    """No ``java`` on PATH, or one too old for Kafka 4."""


class JarsNotFoundError(LocalKafkaError):
    """The Kafka jars are not in the libs folder and could not be fetched."""


class MavenNotFoundError(JarsNotFoundError):
    """The jars must be fetched but ``mvn`` is not on PATH."""


class PortInUseError(LocalKafkaError):
    """Another process already listens on a port the broker needs."""

    def __init__(self, message: str, port: int) -> None:
        super().__init__(message)
        self.port = port


class BrokerStartError(LocalKafkaError):
    """The broker exited or did not answer before the deadline."""

    def __init__(self, message: str, log_tail: str) -> None:
        super().__init__(f"{message}\n--- last lines of the broker log ---\n{log_tail}")
        self.log_tail = log_tail


class BrokerStopError(LocalKafkaError):
    """The broker process would not exit."""


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


# --- locating things -------------------------------------------------------------------------


def find_pom(start: Path | None = None) -> Path:
    """The ``pom.xml`` that lists the Kafka jars: ``$SLUICE_POM``, else the nearest one above us.

    Only a pom naming ``kafka_2.13`` counts, so a checkout nested inside some other Maven project
    does not pick that project's pom.
    """
    env = os.environ.get("SLUICE_POM")
    if env:
        pom = Path(env).expanduser()
        if not pom.is_file():
            raise JarsNotFoundError(f"SLUICE_POM points to {pom}, which is not a file")
        return pom
    here = (start or Path(__file__)).resolve()
    for folder in [here, *here.parents]:
        pom = folder / "pom.xml"
        if pom.is_file() and "<artifactId>kafka_2.13</artifactId>" in pom.read_text("utf-8"):
            return pom
    raise JarsNotFoundError(
        f"cannot find sluice's pom.xml above {here}: set SLUICE_POM to it, or SLUICE_KAFKA_LIBS "
        "to a folder that already holds the Kafka jars"
    )


def default_libs_dir() -> Path:
    """``$SLUICE_KAFKA_LIBS``, else ``.cache/kafka/libs`` beside the pom."""
    env = os.environ.get("SLUICE_KAFKA_LIBS")
    if env:
        return Path(env).expanduser()
    return find_pom().parent / ".cache" / "kafka" / "libs"


def default_data_dir(port: int) -> Path:
    """``$SLUICE_KAFKA_DATA``, else one folder per port: ``.cache/kafka/data-PORT`` beside the
    pom of the sluice checkout that runs (so two checkouts never share a broker by accident),
    else, for an installed sluice without a checkout, ``~/.local/share/sluice/kafka-PORT``."""
    env = os.environ.get("SLUICE_KAFKA_DATA")
    if env:
        return Path(env).expanduser()
    try:
        return find_pom().parent / ".cache" / "kafka" / f"data-{port}"
    except JarsNotFoundError:
        return Path.home() / ".local" / "share" / "sluice" / f"kafka-{port}"


def _kafka_jar(libs_dir: Path) -> tuple[Path, str] | None:
    if not libs_dir.is_dir():
        return None
    for jar in sorted(libs_dir.iterdir()):
        match = _KAFKA_JAR.match(jar.name)
        if match:
            return jar, match.group(1)
    return None


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _pom_changed_since_fetch(libs_dir: Path) -> bool:
    stamp = libs_dir / _POM_DIGEST_FILE
    if not stamp.is_file():
        return False
    try:
        pom = find_pom()
    except JarsNotFoundError:
        return False  # nothing to compare with: keep what is there
    return stamp.read_text(encoding="utf-8").strip() != _digest(pom)


def kafka_version(libs_dir: Path | None = None) -> str:
    """The Apache Kafka release in the libs folder, read from the broker jar's name."""
    libs = libs_dir if libs_dir is not None else default_libs_dir()
    found = _kafka_jar(libs)
    if found is None:
        raise JarsNotFoundError(f"no kafka_2.13-<version>.jar in {libs}")
    return found[1]


def java_classpath(libs_dir: Path | None = None) -> str:
    """The ``-cp`` value that puts every jar of the libs folder on a Java classpath."""
    libs = libs_dir if libs_dir is not None else default_libs_dir()
    return str(libs / "*")


def log4j2_config_file() -> Path:
    """The log4j2 configuration sluice gives Java tools: console output, WARN and up."""
    return Path(__file__).with_name(_LOG4J2_RESOURCE)


def find_java() -> str:
    """The ``java`` on PATH, checked to be 17 or newer (Kafka 4 needs it)."""
    java = shutil.which("java")
    if java is None:
        raise JavaNotFoundError(
            "java was not found on PATH: sluice's local Kafka needs a Java 17+ runtime "
            "(e.g. apt-get install openjdk-17-jre-headless)"
        )
    try:
        probe = subprocess.run(
            [java, "-version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise JavaNotFoundError(f"cannot run {java} -version: {exc}") from exc
    match = _JAVA_VERSION.search(probe.stderr + probe.stdout)
    if match:
        major = int(match.group(1))
        if major == 1 and match.group(2):  # "1.8.0_392" style
            major = int(match.group(2))
        if major < MIN_JAVA_VERSION:
            raise JavaNotFoundError(
                f"{java} is Java {major}: sluice's local Kafka needs a Java 17+ runtime "
                "(e.g. apt-get install openjdk-17-jre-headless)"
            )
    return java


def _find_maven() -> str:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise MavenNotFoundError(
            "mvn was not found on PATH: sluice fetches the Kafka jars with Maven the first time "
            "(e.g. apt-get install maven), or set SLUICE_KAFKA_LIBS to a folder holding them"
        )
    return mvn


# --- configuration ---------------------------------------------------------------------------


def server_properties(port: int, controller_port: int, log_dir: Path) -> dict[str, str]:
    """The broker's ``server.properties``: one node that is broker and KRaft controller at once.

    Internal topics get replication factor 1 (there is one broker) and consumer groups start
    without the usual 3 s wait, which keeps tests quick.
    """
    return {
        "process.roles": "broker,controller",
        "node.id": str(NODE_ID),
        "controller.quorum.voters": f"{NODE_ID}@127.0.0.1:{controller_port}",
        "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port}",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "log.dirs": str(log_dir),
        "num.partitions": "1",
        "auto.create.topics.enable": "true",
        "offsets.topic.replication.factor": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
    }


def _render_properties(props: Mapping[str, str]) -> str:
    # Values here are paths and host:port lists; backslashes (Windows paths) need escaping.
    lines = ["# Written by sluice (sluice.cli.local_kafka) at every start; edits are lost."]
    lines += [f"{key}={value.replace(chr(92), chr(92) * 2)}" for key, value in props.items()]
    return "\n".join(lines) + "\n"


def _heap_bytes(heap: str) -> int:
    match = _HEAP.match(heap)
    if match is None:
        raise LocalKafkaError(f"heap {heap!r} is not a JVM memory size such as 512m or 1g")
    scale = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[match.group(2).lower()]
    return int(match.group(1)) * scale


def new_cluster_id() -> str:
    """A random cluster id in Kafka's form: 16 bytes, URL-safe base64 without padding."""
    while True:
        cluster_id = base64.urlsafe_b64encode(secrets.token_bytes(16)).decode().rstrip("=")
        if not cluster_id.startswith("-"):  # Kafka avoids ids that look like a CLI flag
            return cluster_id


# --- ports and processes ---------------------------------------------------------------------


def _accepts_connections(port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout):
            return True
    except OSError:
        return False


def _can_bind(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Java's server sockets use SO_REUSEADDR too, so TIME_WAIT leftovers must not count.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _port_free(port: int) -> bool:
    return _can_bind(port) and not _accepts_connections(port, timeout=0.2)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class PortOwner:
    """The process listening on a port; ``data_dir`` is set when it is a sluice broker."""

    pid: int
    name: str
    data_dir: Path | None = None

    def __str__(self) -> str:
        if self.data_dir is None:
            return f"pid {self.pid} ({self.name})"
        return f"pid {self.pid}, a sluice Kafka broker with data in {self.data_dir}"


def port_owner(port: int) -> PortOwner | None:
    """Who listens on the port, when the OS lets us see it. A broker that ``sluice kafka start``
    launched is recognised by its command line (``kafka.Kafka <data>/server.properties``)."""
    try:
        for conn in psutil.net_connections(kind="tcp"):
            if conn.laddr and conn.laddr.port == port and conn.status == psutil.CONN_LISTEN:
                if conn.pid is None:
                    return None
                process = psutil.Process(conn.pid)
                cmdline = process.cmdline()
                data_dir = None
                if "kafka.Kafka" in cmdline and cmdline[-1].endswith("server.properties"):
                    data_dir = Path(cmdline[-1]).parent
                return PortOwner(conn.pid, process.name(), data_dir)
    except (psutil.Error, OSError):
        return None
    return None


def _free_port_pair_after(port: int, tries: int = 100) -> int | None:
    """The first port above ``port`` that is free with its successor (broker and controller)."""
    for candidate in range(port + 2, min(port + 2 + tries, 65534)):
        if _port_free(candidate) and _port_free(candidate + 1):
            return candidate
    return None


# Brokers this process started and has not yet seen exit. Holding the Popen objects keeps
# Python from warning that a child is "still running" when they are collected: outliving us
# is the point of a detached broker.
_children: dict[int, subprocess.Popen[bytes]] = {}


@atexit.register
def _leave_brokers_running() -> None:
    """Tell the Popen objects that a broker outliving this process is intended.

    Module teardown collects ``_children``; a Popen collected while its process runs prints
    "ResourceWarning: subprocess N is still running". The broker is detached on purpose (its pid
    file lets the next ``sluice kafka`` find it), so it is marked as handed over instead.
    """
    for pid, child in list(_children.items()):
        if child.poll() is None:
            child.returncode = 0
        del _children[pid]


def _reap(pid: int) -> None:
    """Collect the exit status if the broker is our own child, so it does not linger as a zombie."""
    child = _children.get(pid)
    if child is not None:
        if child.poll() is not None:
            del _children[pid]
        return
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def _tail(path: Path, lines: int = LOG_TAIL_LINES, start: int = 0) -> str:
    try:
        with path.open("rb") as log:
            log.seek(start)
            last = deque(log, maxlen=lines)
    except OSError:
        return f"(no log at {path})"
    text = b"".join(last).decode("utf-8", "replace").rstrip()
    return text or f"(the log at {path} is empty)"


def _answers_metadata(bootstrap: str, timeout: float) -> bool:
    """True when a Kafka broker at ``bootstrap`` returns cluster metadata naming a broker."""
    admin = new_admin({"bootstrap.servers": bootstrap, "log_level": 0})
    try:
        return bool(admin.list_topics(timeout=timeout).brokers)
    except KafkaException:
        return False


# --- the broker ------------------------------------------------------------------------------


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
        _heap_bytes(heap)  # reject a bad size now rather than in the JVM's log
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
        """Fetch the Kafka jars with Maven unless the libs folder is complete and current.

        A folder sluice fetched records the pom's digest; when the pom has changed since (a new
        Kafka release, another jar), the folder is fetched again, because stale jars of a
        different version would otherwise sit beside the new ones on the classpath. A folder
        filled by hand (no digest) is trusted as long as it holds the broker jar.
        """
        libs = self.libs_dir
        if _kafka_jar(libs) is not None and not _pom_changed_since_fetch(libs):
            return libs
        mvn = _find_maven()
        pom = find_pom()
        # Fetch beside the folder and swap it in whole, so a failed or partial download never
        # leaves a broken classpath behind, and running JVMs keep their open jars.
        staging = libs.with_name(f"{libs.name}.fetching")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        command = [
            mvn,
            "-B",
            "-q",
            "dependency:copy-dependencies",
            f"-DoutputDirectory={staging}",
            "-DincludeScope=runtime",
            "-f",
            str(pom),
        ]
        try:
            done = subprocess.run(command, capture_output=True, text=True, check=False)
        except OSError as exc:
            raise JarsNotFoundError(f"cannot run {mvn}: {exc}") from exc
        if done.returncode != 0:
            output = "\n".join((done.stdout + done.stderr).splitlines()[-LOG_TAIL_LINES:])
            raise JarsNotFoundError(
                f"mvn could not fetch the Kafka jars listed in {pom} "
                f"(exit {done.returncode}):\n{output}"
            )
        if _kafka_jar(staging) is None:
            raise JarsNotFoundError(f"mvn ran but left no kafka_2.13-<version>.jar in {staging}")
        (staging / _POM_DIGEST_FILE).write_text(_digest(pom), encoding="utf-8")
        old = libs.with_name(f"{libs.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        if libs.exists():
            libs.rename(old)
        staging.rename(libs)
        shutil.rmtree(old, ignore_errors=True)
        return libs

    def start(self, timeout: float = 60.0) -> str:
        """Start the broker unless it already runs; return its bootstrap address once it answers."""
        deadline = time.monotonic() + timeout
        pid = self._live_pid()
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
            _render_properties(
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
        _children[process.pid] = process
        self.pid_file.write_text(f"{process.pid}\n", encoding="utf-8")
        try:
            self._wait_until_answers(process.pid, process, deadline, log_offset)
        except BrokerStartError:
            self._terminate(process.pid, grace=5.0)
            self._remove_pid_file()
            raise
        return self.bootstrap

    def stop(self, timeout: float = 30.0) -> bool:
        """Stop the broker (SIGTERM, SIGKILL after ``timeout``); False when it was not running."""
        pid = self._live_pid()
        if pid is None:
            self._remove_pid_file()
            return False
        self._terminate(pid, grace=timeout)
        self._remove_pid_file()
        return True

    def status(self) -> BrokerStatus:
        pid = self._live_pid()
        answers = _accepts_connections(self.port) and _answers_metadata(self.bootstrap, 3.0)
        return BrokerStatus(
            running=pid is not None,
            pid=pid,
            port=self.port,
            bootstrap=self.bootstrap,
            data_dir=self.data_dir,
            answers=answers,
            controller_port=self._recorded_controller_port(),
        )

    # -- helpers

    def _live_pid(self) -> int | None:
        """The pid in the pid file if that process is alive and is this data folder's broker."""
        try:
            pid = int(self.pid_file.read_text(encoding="utf-8").strip())
        except (OSError, ValueError):
            return None
        _reap(pid)
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

    def _remove_pid_file(self) -> None:
        self.pid_file.unlink(missing_ok=True)

    def _check_port_free(self, port: int, role: str) -> None:
        if _port_free(port):
            return
        owner = port_owner(port)
        who = f" by {owner}" if owner else ""
        stop = "stop that process"
        if owner is not None and owner.data_dir is not None:
            stop = f"stop it (sluice kafka stop --port {port} --data-dir {owner.data_dir})"
        free = _free_port_pair_after(port)
        other = str(free) if free is not None else "N"
        raise PortInUseError(
            f"port {port} on 127.0.0.1 (the {role} port) is already in use{who}; {stop}, "
            f"or choose another port: sluice kafka start --port {other} "
            f"(make quickstart KAFKA_PORT={other})",
            port,
        )

    def _recorded_controller_port(self) -> int | None:
        try:
            match = _VOTERS.search(self.properties_file.read_text(encoding="utf-8"))
        except OSError:
            return None
        return int(match.group(1)) if match else None

    def _choose_controller_port(self) -> int:
        """The last run's controller port, else port+1, else any free port (it is recorded)."""
        candidates = [self._recorded_controller_port(), self.port + 1]
        for candidate in candidates:
            if candidate and candidate != self.port and candidate < 65536 and _port_free(candidate):
                return candidate
        return _free_port()

    def _rotate_log(self) -> None:
        if self.log_file.exists() and self.log_file.stat().st_size > _LOG_ROTATE_BYTES:
            self.log_file.replace(self.log_file.with_name("broker.log.1"))

    def _java_command(self, java: str, main_class: str, *args: str) -> list[str]:
        return [
            java,
            f"-Dlog4j2.configurationFile={log4j2_config_file()}",
            "-cp",
            java_classpath(self.libs_dir),
            main_class,
            *args,
        ]

    def _format(self, java: str) -> None:
        """Write meta.properties and the bootstrap metadata: once per data folder."""
        command = self._java_command(
            java,
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
                _tail(self.log_file, start=start),
            )

    def _launch(self, java: str) -> subprocess.Popen[bytes]:
        initial = min(_heap_bytes(self.heap), _INITIAL_HEAP_BYTES) // 1024
        command = self._java_command(java, "kafka.Kafka", str(self.properties_file))
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
                        _tail(self.log_file, start=log_offset),
                    )
            elif self._live_pid() != pid:
                raise BrokerStartError(
                    f"Kafka (pid {pid}) exited while starting on {self.bootstrap}",
                    _tail(self.log_file, start=log_offset),
                )
            remaining = deadline - time.monotonic()
            if _accepts_connections(self.port) and _answers_metadata(
                self.bootstrap, max(0.5, min(2.0, remaining))
            ):
                return
            if time.monotonic() >= deadline:
                raise BrokerStartError(
                    f"Kafka (pid {pid}) did not answer on {self.bootstrap} in time; "
                    f"its log is {self.log_file}",
                    _tail(self.log_file, start=log_offset),
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

    def _terminate(self, pid: int, grace: float) -> None:
        """SIGTERM lets Kafka shut down cleanly; SIGKILL if it takes longer than ``grace``."""
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 10.0)):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                _reap(pid)
                return
            if self._wait_exit(pid, wait):
                return
        raise BrokerStopError(f"Kafka (pid {pid}) did not exit after SIGTERM and SIGKILL")

    @staticmethod
    def _wait_exit(pid: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            _reap(pid)
            try:
                if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                    return True
            except psutil.NoSuchProcess:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.1)


# --- command line ----------------------------------------------------------------------------


def port_arg(text: str) -> int:
    """argparse ``type`` for a TCP port, shared by the commands that take ``--port``."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 < port < 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a TCP port between 1 and 65534")
    return port


def _version_or_kafka(broker: LocalKafka) -> str:
    try:
        return f"Kafka {kafka_version(broker.libs_dir)}"
    except LocalKafkaError:
        return "Kafka"


class _NotAnswering(str):
    """The message of a ``status`` that found no broker answering: exit status 1."""


def _cmd_start(broker: LocalKafka, args: argparse.Namespace) -> str:
    already = broker._live_pid() is not None
    broker.start(timeout=args.timeout)
    status = broker.status()
    state = "already running" if already else "running"
    return (
        f"{_version_or_kafka(broker)} {state} at {status.bootstrap} "
        f"(pid {status.pid}, data {status.data_dir})"
    )


def _cmd_stop(broker: LocalKafka, args: argparse.Namespace) -> str:
    pid = broker.status().pid
    if not broker.stop(timeout=args.timeout):
        return (
            f"Kafka is not running on port {broker.port} (data {broker.data_dir}); nothing to stop"
        )
    return f"Kafka stopped (pid {pid}, port {broker.port}, data {broker.data_dir})"


def _cmd_status(broker: LocalKafka, args: argparse.Namespace) -> str:
    """Exit status 0 when a broker answers on the port (this data folder's or another), else 1."""
    status = broker.status()
    if status.running and status.answers:
        return (
            f"{_version_or_kafka(broker)} running at {status.bootstrap} "
            f"(pid {status.pid}, data {status.data_dir})"
        )
    if status.running:
        return _NotAnswering(
            f"Kafka (pid {status.pid}, data {status.data_dir}) is running but does not answer "
            f"at {status.bootstrap} yet; see {broker.log_file}"
        )
    if status.answers:
        owner = port_owner(status.port)
        who = f" ({owner})" if owner is not None else ""
        return (
            f"Kafka is not running from {status.data_dir}, but a Kafka broker answers at "
            f"{status.bootstrap}{who}"
        )
    return _NotAnswering(f"Kafka is not running (port {status.port}, data {status.data_dir})")


_Action = Callable[[LocalKafka, argparse.Namespace], str]


def _cmd_fetch(broker: LocalKafka, args: argparse.Namespace) -> str:
    libs = broker.ensure_jars()
    return f"Kafka {kafka_version(libs)} jars in {libs}"


def _runner(name: str, action: _Action) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        try:
            broker = LocalKafka(
                port=getattr(args, "port", DEFAULT_PORT),
                data_dir=getattr(args, "data_dir", None),
                heap=getattr(args, "heap", DEFAULT_HEAP),
            )
            message = action(broker, args)
        except LocalKafkaError as exc:
            print(f"sluice kafka {name}: {exc}", file=sys.stderr)
            return 1
        print(message)
        return 1 if isinstance(message, _NotAnswering) else 0

    return run


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``kafka start|stop|status|fetch``; parsed arguments carry ``func(args) -> exit code``.

    Each command takes only the options that mean something to it: the broker's port and data
    folder (which broker), the heap (start), a timeout (start, stop); ``fetch`` needs none.
    """
    where = argparse.ArgumentParser(add_help=False)
    where.add_argument(
        "--port", type=port_arg, default=DEFAULT_PORT, help="broker port (default %(default)s)"
    )
    where.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="broker data folder (default $SLUICE_KAFKA_DATA, else .cache/kafka/data-PORT in "
        "the sluice checkout, else ~/.local/share/sluice/kafka-PORT)",
    )
    heap = argparse.ArgumentParser(add_help=False)
    heap.add_argument(
        "--heap", default=DEFAULT_HEAP, help="broker JVM maximum heap (default %(default)s)"
    )
    kafka = subparsers.add_parser(
        "kafka",
        help="run a local single-node Apache Kafka broker",
        description="Run a local single-node Apache Kafka broker (KRaft) for development.",
    )
    actions = kafka.add_subparsers(dest="kafka_command", required=True, metavar="COMMAND")
    commands: list[tuple[str, str, _Action, list[argparse.ArgumentParser], float]] = [
        ("start", "start the broker and wait until it answers", _cmd_start, [where, heap], 60.0),
        ("stop", "stop the broker", _cmd_stop, [where], 30.0),
        (
            "status",
            "say whether the broker runs and answers (exit status 1 when no broker answers)",
            _cmd_status,
            [where],
            0.0,
        ),
        (
            "fetch",
            "fetch Kafka's jars through Maven (again if pom.xml changed)",
            _cmd_fetch,
            [],
            0.0,
        ),
    ]
    for name, help_text, action, parents, timeout in commands:
        parser = actions.add_parser(name, parents=parents, help=help_text, description=help_text)
        if timeout:
            parser.add_argument(
                "--timeout",
                type=float,
                default=timeout,
                help="seconds to wait (default %(default)s)",
            )
        parser.set_defaults(func=_runner(name, action))


def main(argv: list[str] | None = None) -> int:
    """``python -m sluice.cli.local_kafka start|stop|status [options]``."""
    parser = argparse.ArgumentParser(prog="sluice")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["kafka", *(sys.argv[1:] if argv is None else argv)])
    func: Callable[[argparse.Namespace], int] = args.func
    return func(args)


if __name__ == "__main__":
    sys.exit(main())
