"""``MongoSourceConnector``: MongoDB change streams (and existing documents) into Kafka.

One task, whatever ``tasks.max`` says, as the official connector: a change stream is one ordered
sequence with one resume token, which cannot be split between tasks without losing the order
consumers rely on. Validation checks each key, then the rules between keys, then (once the keys
are right) that the server answers, reporting an unreachable server on ``connection.uri`` as the
official connector does.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from pymongo import MongoClient
from pymongo.uri_parser import parse_uri

import sluice
from sluice.api import (
    ConfigDef,
    ConfigValue,
    ConnectError,
    SourceConnector,
    Task,
)
from sluice.connectors.mongodb.client import redact
from sluice.connectors.mongodb.source_config import (
    CONNECTION_URI,
    SourceSettings,
    source_config_def,
    validate_source_config,
)
from sluice.connectors.mongodb.source_offsets import COPY_KEY, HEARTBEAT_KEY, ID_FIELD, NS_KEY
from sluice.connectors.mongodb.source_task import MongoSourceTask

__all__ = ["MongoSourceConnector"]

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_MS = 10_000
"""The driver's default connect timeout (``connectTimeoutMS``)."""


class MongoSourceConnector(SourceConnector):
    """MongoDB's ``com.mongodb.kafka.connect.MongoSourceConnector``, configs unchanged."""

    def version(self) -> str:
        return sluice.__version__

    def __init__(self) -> None:
        self._props: dict[str, str] = {}

    def config(self) -> ConfigDef:
        return source_config_def()

    def validate(self, connector_configs: Mapping[str, str]) -> list[ConfigValue]:
        values = validate_source_config(connector_configs)
        if any(v.errors for v in values):
            return values
        uri = next(v for v in values if v.name == CONNECTION_URI)
        settings = SourceSettings.parse(connector_configs)
        problem = _unreachable(settings.uri)
        if problem:
            uri.add_error(problem)
        return values

    def task_class(self) -> type[Task]:
        return MongoSourceTask

    def start(self, props: Mapping[str, str]) -> None:
        # Deprecated-key warnings come from validate, which runs before every create or update.
        SourceSettings.parse(props)  # fail the connector, not only its task, on a bad config
        self._props = dict(props)

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [dict(self._props)]

    def stop(self) -> None:
        return None

    def alter_offsets(
        self,
        connector_config: Mapping[str, str],
        offsets: list[tuple[dict[str, Any], dict[str, Any] | None]],
    ) -> bool:
        """Accept offsets in the shapes the task writes: ``{"ns": ...}`` partitions and
        ``{"_id": "<resume token JSON>"}`` offsets (``copy``/``HEARTBEAT`` flags allowed)."""
        from bson import json_util

        for partition, offset in offsets:
            if set(partition) != {NS_KEY} or not isinstance(partition[NS_KEY], str):
                raise ConnectError(
                    f'Invalid source partition {partition}: expected {{"ns": "<name>"}}'
                )
            if offset is None:
                continue
            unknown = set(offset) - {ID_FIELD, COPY_KEY, HEARTBEAT_KEY}
            if unknown or not isinstance(offset.get(ID_FIELD), str):
                raise ConnectError(
                    f'Invalid MongoDB source offset {offset}: expected {{"_id": "<resume token '
                    'as JSON>"}, optionally with "copy": "true"'
                )
            try:
                token = json_util.loads(offset[ID_FIELD])
            except ValueError as e:
                raise ConnectError(f"Invalid resume token {offset[ID_FIELD]!r}: {e}") from e
            if not isinstance(token, dict):
                raise ConnectError(f"Invalid resume token {offset[ID_FIELD]!r}: not a document")
        return False


def _unreachable(uri: str) -> str | None:
    """Why the server cannot be reached, or ``None`` when it answered a ping."""
    # As the official validation: wait the URI's connect timeout plus half a second.
    options = parse_uri("mongodb://" + uri.split("://", 1)[-1])["options"]
    timeout = int(options.get("connectTimeoutMS", CONNECT_TIMEOUT_MS / 1000) * 1000) + 500
    client: MongoClient[dict[str, Any]] = MongoClient(
        uri, serverSelectionTimeoutMS=timeout, connect=False, appname="sluice"
    )
    try:
        client.admin.command("ping")
    except Exception as e:  # PyMongoError, or a DNS failure resolving mongodb+srv://
        reason = str(e).split(", Timeout:")[0]  # the driver appends its topology description
        log.info("Validation could not reach MongoDB: %s", e)
        return f"Unable to connect to the server. {CONNECTION_URI}={redact(uri)}: {reason}"
    finally:
        client.close()
    return None
