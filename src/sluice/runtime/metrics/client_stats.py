"""Connection and byte counts of the Kafka clients, from librdkafka's statistics.

Kafka Connect's JMX exposes every client's ``connection-count`` and byte totals, and Strimzi's
dashboard plots them (``kafka_producer_connection_count``, ``kafka_consumer_incoming_byte_total``).
librdkafka reports the same facts as a JSON document every ``statistics.interval.ms``; the worker
asks for one every few seconds from the clients it creates and keeps only the figures needed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec

__all__ = ["STATS_INTERVAL_MS", "ClientStats", "ClientStatsRegistry"]

STATS_INTERVAL_MS = 5_000


class _Broker(msgspec.Struct):
    nodeid: int = -1
    state: str = ""


class _Stats(msgspec.Struct):
    name: str = ""
    client_id: str = ""
    type: str = ""
    tx_bytes: int = 0
    rx_bytes: int = 0
    brokers: dict[str, _Broker] = {}


_decode = msgspec.json.Decoder(_Stats).decode


@dataclass
class ClientStats:
    kind: str
    """``producer``, ``consumer`` or ``admin_client`` (the JMX domain's name)."""
    client_id: str
    connections: int = 0
    outgoing_bytes: int = 0
    incoming_bytes: int = 0


class ClientStatsRegistry:
    """The latest figures of each client the worker's tasks use, by librdkafka instance name."""

    def __init__(self) -> None:
        self._clients: dict[str, ClientStats] = {}
        self._lock = threading.Lock()

    def instrument(self, config: dict[str, Any], kind: str) -> Callable[[], None]:
        """Ask ``config``'s client for statistics; returns the call that forgets the client.

        A ``statistics.interval.ms`` the user set is kept (0 turns the figures off).
        """
        config.setdefault("statistics.interval.ms", STATS_INTERVAL_MS)
        client_id = str(config.get("client.id", ""))
        names: set[str] = set()

        def on_stats(raw: str) -> None:
            try:
                stats = _decode(raw)
            except msgspec.DecodeError:
                return
            up = sum(1 for b in stats.brokers.values() if b.nodeid >= 0 and b.state == "UP")
            with self._lock:
                names.add(stats.name)
                self._clients[stats.name] = ClientStats(
                    kind, stats.client_id or client_id, up, stats.tx_bytes, stats.rx_bytes
                )

        config["stats_cb"] = on_stats

        def forget() -> None:
            with self._lock:
                for name in names:
                    self._clients.pop(name, None)

        return forget

    def snapshot(self) -> list[ClientStats]:
        with self._lock:
            return list(self._clients.values())
