"""Change events to source records: topic, key, value and the connector's own error handling.

For each event, as the official connector builds its records:

* topic: the topic mapper's (an event without a database is logged and skipped);
* key: with ``output.format.key=schema`` the whole event (shaped by ``output.schema.key``, whose
  default keeps only ``_id``, the resume token); otherwise ``documentKey`` when
  ``change.stream.document.key.as.key`` (the default) and the event has one, else
  ``{"_id": <resume token>}``;
* value: the event, or with ``publish.full.document.only`` its ``fullDocument``; an event without
  a document (a delete) is skipped, or becomes a tombstone with
  ``publish.full.document.only.tombstone.on.delete``.

An event the output formats cannot express (a schema's required field missing, say) fails the
task under ``errors.tolerance=none``; under ``all`` it is skipped, or sent to the connector's dead
letter queue topic as relaxed Extended JSON strings (key and value), with the same offset so the
stream still moves past it. Failures are logged unless tolerated without ``errors.log.enable``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sluice.api import DataError, Schema, SourceRecord
from sluice.connectors.mongodb.json_formatters import RELAXED_JSON
from sluice.connectors.mongodb.output_formats import producer_for
from sluice.connectors.mongodb.source_config import SourceSettings
from sluice.connectors.mongodb.source_offsets import ID_FIELD

__all__ = ["RecordBuilder"]

log = logging.getLogger(__name__)


class RecordBuilder:
    """Builds the records of one task (it owns a topic mapper, which caches per namespace)."""

    def __init__(self, settings: SourceSettings, partition: Mapping[str, Any]) -> None:
        s = settings
        self.settings = s
        self.partition = dict(partition)
        self.mapper = s.topic_mapper()
        self.key_out = producer_for(s.key_format, s.json_formatter, s.key_schema, False)
        self.value_out = producer_for(
            s.value_format, s.json_formatter, s.value_schema, s.infer_value_schema
        )

    def record(self, event: Mapping[str, Any], offset: dict[str, str]) -> SourceRecord | None:
        """The record for ``event`` (with ``offset``), or ``None`` when it publishes nothing."""
        s = self.settings
        topic = self.mapper.topic(event)
        if not topic:
            log.warning(
                "No topic set. Could not publish the message: %s", RELAXED_JSON.dumps(event)
            )
            return None
        full = event.get("fullDocument")
        tombstone = s.tombstone_on_delete and "fullDocument" not in event
        value_doc: Mapping[str, Any] | None = event
        if s.publish_full_document_only:
            value_doc = full if isinstance(full, Mapping) else None
            if value_doc is None and not tombstone:
                return None
        key_doc: Mapping[str, Any]
        if s.key_format == "schema":
            key_doc = event
        elif s.document_key_as_key and isinstance(event.get("documentKey"), Mapping):
            key_doc = event["documentKey"]
        else:
            key_doc = {ID_FIELD: event[ID_FIELD]}
        try:
            key_schema, key = self.key_out(key_doc)
            value_schema: Schema | None = None
            value: Any = None
            if not tombstone:
                assert value_doc is not None
                value_schema, value = self.value_out(value_doc)
        except Exception as e:
            return self._failed(e, offset, key_doc, value_doc)
        return SourceRecord(
            self.partition, offset, topic, None, key_schema, key, value_schema, value
        )

    def _failed(
        self,
        error: Exception,
        offset: dict[str, str],
        key_doc: Mapping[str, Any],
        value_doc: Mapping[str, Any] | None,
    ) -> SourceRecord | None:
        s = self.settings
        key_text = RELAXED_JSON.dumps(key_doc)
        value_text = RELAXED_JSON.dumps(value_doc if value_doc is not None else {})
        message = (
            f"{error} : Exception creating Source record for: Key={key_text} Value={value_text}"
        )
        if s.log_errors:
            log.error(message, exc_info=error)
        if not s.tolerate_errors:
            raise DataError(message) from error
        if not s.dlq_topic:
            return None
        return SourceRecord(
            self.partition,
            offset,
            s.dlq_topic,
            None,
            Schema.STRING_SCHEMA,
            key_text,
            Schema.STRING_SCHEMA,
            value_text,
        )
