"""Heartbeat records (``heartbeat.interval.ms``): offsets that move while nothing changes.

A change stream on a quiet collection still advances (its post-batch resume token follows the
oplog), but the task only stores a position when it sends a record. If the task then stops for
longer than the oplog keeps history, the stored token is gone and the stream cannot resume.
Heartbeats fix that as in the official connector: when a poll found no events and the interval has
passed, the task sends one record to ``heartbeat.topic.name`` whose key is the current resume token
(a JSON string), whose value is null, and whose offset is ``{"_id": <token>, "HEARTBEAT":
"true"}``; an unchanged token is not sent twice.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from sluice.api import Schema, SourceRecord
from sluice.connectors.mongodb.json_formatters import RELAXED_JSON
from sluice.connectors.mongodb.source_offsets import HEARTBEAT_KEY, ID_FIELD

__all__ = ["Heartbeats"]


class Heartbeats:
    def __init__(self, interval: float, topic: str, partition: Mapping[str, Any]) -> None:
        self.interval = interval
        self.topic = topic
        self.partition = dict(partition)
        self._last_sent = float("-inf")
        self._last_token = ""

    def heartbeat(self, token: Mapping[str, Any] | None) -> SourceRecord | None:
        """The heartbeat to send now for ``token``, or ``None``."""
        if self.interval <= 0 or token is None:
            return None
        now = time.monotonic()
        if now - self._last_sent <= self.interval:
            return None
        self._last_sent = now
        text = RELAXED_JSON.dumps(token)
        if text == self._last_token:
            return None
        self._last_token = text
        return SourceRecord(
            self.partition,
            {ID_FIELD: text, HEARTBEAT_KEY: "true"},
            self.topic,
            None,
            Schema.STRING_SCHEMA,
            text,
            Schema.OPTIONAL_BYTES_SCHEMA,
            None,
        )
