"""The Kafka client factories a worker hands its tasks, as Kafka's ``Worker`` hands its tasks a
producer and a consumer: the real ones in a worker, in-memory doubles in the runtime's unit tests.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sluice.kafka.client_logs import ErrorHook, new_consumer, new_producer

__all__ = ["REAL_CLIENTS", "KafkaClients"]


@dataclass(frozen=True)
class KafkaClients:
    """How a task gets its clients and reads the time.

    ``producer`` and ``consumer`` take librdkafka settings and an error hook (see
    :mod:`sluice.kafka.client_logs`); ``clock`` is monotonic seconds, which schedules offset
    commits and times batches.
    """

    producer: Callable[[Mapping[str, Any], ErrorHook | None], Any] = new_producer
    consumer: Callable[[Mapping[str, Any], ErrorHook | None], Any] = new_consumer
    clock: Callable[[], float] = time.monotonic


REAL_CLIENTS = KafkaClients()
