"""Ports on 127.0.0.1: whether one is free, who listens on it, whether a Kafka broker answers."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path

import psutil
from confluent_kafka import KafkaException

from sluice.kafka.client_logs import new_admin

__all__ = [
    "PortOwner",
    "accepts_connections",
    "answers_metadata",
    "free_port",
    "free_port_pair_after",
    "port_free",
    "port_owner",
]


def accepts_connections(port: int, timeout: float = 0.5) -> bool:
    """True when something accepts a TCP connection on the port."""
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


def port_free(port: int) -> bool:
    """True when a server could bind the port and nothing answers on it."""
    return _can_bind(port) and not accepts_connections(port, timeout=0.2)


def free_port() -> int:
    """A port the OS reports free now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def free_port_pair_after(port: int, tries: int = 100) -> int | None:
    """The first port above ``port`` that is free with its successor (broker and controller)."""
    for candidate in range(port + 2, min(port + 2 + tries, 65534)):
        if port_free(candidate) and port_free(candidate + 1):
            return candidate
    return None


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


def answers_metadata(bootstrap: str, timeout: float) -> bool:
    """True when a Kafka broker at ``bootstrap`` returns cluster metadata naming a broker."""
    admin = new_admin({"bootstrap.servers": bootstrap, "log_level": 0})
    try:
        return bool(admin.list_topics(timeout=timeout).brokers)
    except KafkaException:
        return False
