"""Client settings profiles: the same producer and consumer settings for every contender.

The ``default`` profile spells out Kafka Connect's own producer defaults (acks=all, no
idempotence, one request in flight, 16 KiB batches, 5 ms linger) and gives them to sluice, Kafka
Connect and the raw perf tools alike, so a difference in throughput is the runtime's and not a
client setting's. The ``tuned`` profile gives all of them the same larger batches and five
requests in flight (idempotent, so still ordered). Settings are written with Java client names;
sluice maps them to librdkafka's (``batch.size`` and ``linger.ms`` mean the same bytes and
milliseconds there).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

__all__ = ["PROFILES", "Profile"]


@dataclass(frozen=True)
class Profile:
    name: str
    producer: dict[str, str] = field(default_factory=dict)
    consumer: dict[str, str] = field(default_factory=dict)
    max_poll_records: int = 500
    offset_flush_interval_ms: int = 500

    def describe(self) -> list[str]:
        """Lines for the report: what every contender was given."""
        p = self.producer
        c = self.consumer
        return [
            f"profile {self.name}: identical for sluice, Kafka Connect and the perf tools",
            f"  producer: acks={p['acks']} linger.ms={p['linger.ms']} "
            f"batch.size={p['batch.size']} "
            f"max.in.flight.requests.per.connection="
            f"{p['max.in.flight.requests.per.connection']} "
            f"enable.idempotence={p['enable.idempotence']} "
            f"compression.type={p['compression.type']}",
            f"  consumer: max.poll.records={self.max_poll_records} "
            f"fetch.min.bytes={c['fetch.min.bytes']} fetch.max.bytes={c['fetch.max.bytes']} "
            f"max.partition.fetch.bytes={c['max.partition.fetch.bytes']}",
            f"  worker: offset.flush.interval.ms={self.offset_flush_interval_ms} "
            "(source and sink commits; timing ends when the last offset is committed)",
        ]


_CONSUMER_DEFAULTS: Final = {
    "fetch.min.bytes": "1",
    "fetch.max.bytes": "52428800",
    "max.partition.fetch.bytes": "1048576",
}

PROFILES: Final[dict[str, Profile]] = {
    "default": Profile(
        "default",
        producer={
            "acks": "all",
            "linger.ms": "5",
            "batch.size": "16384",
            "max.in.flight.requests.per.connection": "1",
            "enable.idempotence": "false",
            "compression.type": "none",
        },
        consumer=dict(_CONSUMER_DEFAULTS),
        max_poll_records=500,
    ),
    "tuned": Profile(
        "tuned",
        producer={
            "acks": "all",
            "linger.ms": "20",
            "batch.size": "524288",
            "max.in.flight.requests.per.connection": "5",
            "enable.idempotence": "true",
            "compression.type": "none",
        },
        consumer={
            "fetch.min.bytes": "65536",
            "fetch.max.bytes": "52428800",
            "max.partition.fetch.bytes": "4194304",
        },
        max_poll_records=2000,
    ),
}
