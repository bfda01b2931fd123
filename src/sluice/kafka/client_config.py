"""Kafka client settings, from Kafka Connect's layered properties to librdkafka's.

Kafka Connect builds each task's clients from framework defaults, then the worker's ``producer.*``
/ ``consumer.*`` / ``admin.*`` properties, then the connector's ``producer.override.*`` etc. Most
Java client property names are librdkafka's too; the few Java-only ones (serializers, buffer
memory, blocking timeouts) have no meaning here and are dropped with a debug log, so worker files
written for Kafka Connect work unchanged. Security settings (``security.protocol``, ``sasl.*``,
``ssl.*``: JAAS lines, JKS/PKCS12 stores) are translated by :mod:`sluice.kafka.security`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Final

from sluice.kafka.security import librdkafka_security

__all__ = ["JAVA_ONLY_KEYS", "prefixed", "to_librdkafka"]

log = logging.getLogger(__name__)

JAVA_ONLY_KEYS: Final = frozenset(
    {
        "key.serializer",
        "value.serializer",
        "key.deserializer",
        "value.deserializer",
        "buffer.memory",
        "max.block.ms",
        "interceptor.classes",
        "metric.reporters",
        "metrics.num.samples",
        "metrics.sample.window.ms",
        "metrics.recording.level",
        "partitioner.class",
        "partitioner.ignore.keys",
        "partitioner.adaptive.partitioning.enable",
        "partitioner.availability.timeout.ms",
        "max.poll.records",
        "default.api.timeout.ms",
        "exclude.internal.topics",
        "client.dns.lookup",
        "auto.include.jmx.reporter",
        "allow.auto.create.topics",
        "metadata.max.idle.ms",
        "group.protocol",
    }
)
"""Java client settings with no librdkafka equivalent we honour; dropped, not an error."""

_RENAMES: Final = {
    "send.buffer.bytes": "socket.send.buffer.bytes",
    "receive.buffer.bytes": "socket.receive.buffer.bytes",
}


def prefixed(props: Mapping[str, str], prefix: str) -> dict[str, str]:
    """The entries under ``prefix`` with the prefix stripped."""
    n = len(prefix)
    return {k[n:]: v for k, v in props.items() if k.startswith(prefix)}


def to_librdkafka(props: Mapping[str, Any]) -> dict[str, Any]:
    """Drop Java-only keys, rename the few that differ and translate the security settings
    (raising :class:`~sluice.kafka.security.SecurityConfigError` naming a setting that cannot be
    honoured); librdkafka parses the strings. Idempotent."""
    out: dict[str, Any] = {}
    for k, v in props.items():
        if k in _RENAMES:
            out[_RENAMES[k]] = v
            continue
        if k in JAVA_ONLY_KEYS:
            log.debug("Ignoring Java-only client setting %s", k)
            continue
        out[k] = v
    return librdkafka_security(out)
