"""The broker's configuration: ``server.properties``, its heap size, its KRaft cluster id."""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import Mapping
from pathlib import Path

from sluice.devkafka.errors import LocalKafkaError

__all__ = [
    "NODE_ID",
    "controller_port_of",
    "heap_bytes",
    "new_cluster_id",
    "render_properties",
    "server_properties",
]

NODE_ID = 1
_HEAP = re.compile(r"^(\d+)([kKmMgG]?)$")
_VOTERS = re.compile(r"^controller\.quorum\.voters=\d+@[^:]+:(\d+)\s*$", re.MULTILINE)


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


def render_properties(props: Mapping[str, str]) -> str:
    """The text of a ``.properties`` file holding ``props``, under a do-not-edit comment."""
    # Values here are paths and host:port lists; backslashes (Windows paths) need escaping.
    lines = ["# Written by sluice (sluice.devkafka) at every start; edits are lost."]
    lines += [f"{key}={value.replace(chr(92), chr(92) * 2)}" for key, value in props.items()]
    return "\n".join(lines) + "\n"


def controller_port_of(properties_text: str) -> int | None:
    """The controller port named by ``controller.quorum.voters`` in a rendered properties file."""
    match = _VOTERS.search(properties_text)
    return int(match.group(1)) if match else None


def heap_bytes(heap: str) -> int:
    """A JVM memory size (``512m``, ``1g``) in bytes; a :class:`LocalKafkaError` when it is not
    one."""
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
