"""Change data capture: applying MongoDB change-stream events instead of writing documents.

With ``change.data.capture.handler=com.mongodb.kafka.connect.sink.cdc.mongodb
.ChangeStreamHandler`` each record value is a change event as the MongoDB source connector (or
a change stream) produces it, and becomes the write that repeats the change on the sink's
collection:

* ``insert`` and ``replace``: replace the document ``documentKey`` finds by ``fullDocument``,
  inserting it when missing (so a re-delivered insert is harmless);
* ``update``: with ``fullDocument`` (the source asked for ``updateLookup``), a replace by it;
  without, ``$set`` of ``updateDescription.updatedFields`` and ``$unset`` of its
  ``removedFields`` (an ``updateDescription`` with fields the handler does not know, such as
  future ones, is refused rather than half applied);
* ``delete``: delete the document ``documentKey`` finds;
* anything else (``drop``, ``rename``, ``invalidate``...): logged and skipped.

Id strategies, post processors and write model strategies do not apply then, and a record
without a value (a tombstone) is an error, as in the official handler. The Debezium and Qlik
handlers of the official connector are not implemented; naming them is a configuration error.
"""

from __future__ import annotations

import abc
import logging
from typing import Any, Final

from bson import json_util

from sluice.api import DataError
from sluice.connectors.mongodb.class_names import resolve_class
from sluice.connectors.mongodb.post_processors import remove_null_values
from sluice.connectors.mongodb.sink_documents import Document, SinkDocument
from sluice.connectors.mongodb.sink_topic_config import TopicSettings
from sluice.connectors.mongodb.write_models import WriteModel

__all__ = [
    "CDC_HANDLERS",
    "CdcHandler",
    "ChangeStreamHandler",
    "create_cdc_handler",
    "remove_null_fields",
]

log = logging.getLogger(__name__)

OPERATION_TYPE: Final = "operationType"
DOCUMENT_KEY: Final = "documentKey"
FULL_DOCUMENT: Final = "fullDocument"
UPDATE_DESCRIPTION: Final = "updateDescription"
UPDATED_FIELDS: Final = "updatedFields"
REMOVED_FIELDS: Final = "removedFields"
TRUNCATED_ARRAYS: Final = "truncatedArrays"
DISAMBIGUATED_PATHS: Final = "disambiguatedPaths"
_KNOWN_UPDATE_FIELDS: Final = frozenset(
    {UPDATED_FIELDS, REMOVED_FIELDS, TRUNCATED_ARRAYS, DISAMBIGUATED_PATHS}
)


def _json(document: Any) -> str:
    text = json_util.dumps(document)
    return text if len(text) <= 500 else text[:500] + "..."


class CdcHandler(abc.ABC):
    @abc.abstractmethod
    def handle(self, doc: SinkDocument) -> WriteModel | None:
        """The write repeating the change, or None for a change that writes nothing."""


def _document_field(event: Document, name: str) -> Document:
    if name not in event:
        raise DataError(f"Missing {name} field: {_json(event)}")
    value = event[name]
    if not isinstance(value, dict):
        raise DataError(
            f"Unexpected {name} field type, expecting a document but found `{value!r}`: "
            f"{_json(event)}"
        )
    return value


def _update_document(event: Document) -> Document:
    description = _document_field(event, UPDATE_DESCRIPTION)
    unknown = set(description) - _KNOWN_UPDATE_FIELDS
    if unknown:
        raise DataError(
            f"Warning unexpected field(s) in {UPDATE_DESCRIPTION} {sorted(unknown)}. "
            f"{_json(description)}. Cannot process due to risk of data loss."
        )
    updated = description.get(UPDATED_FIELDS)
    if not isinstance(updated, dict):
        raise DataError(
            f"Missing or invalid {UPDATE_DESCRIPTION}.{UPDATED_FIELDS} field: {_json(description)}"
        )
    removed = description.get(REMOVED_FIELDS)
    if not isinstance(removed, list):
        raise DataError(
            f"Missing or invalid {UPDATE_DESCRIPTION}.{REMOVED_FIELDS} field: {_json(description)}"
        )
    for name in (TRUNCATED_ARRAYS,):
        if name in description and not isinstance(description[name], list):
            raise DataError(
                f"Unexpected {name} field type, expected an array: {_json(description)}"
            )
    if DISAMBIGUATED_PATHS in description and not isinstance(
        description[DISAMBIGUATED_PATHS], dict
    ):
        raise DataError(
            f"Unexpected {DISAMBIGUATED_PATHS} field type, expected a document: "
            f"{_json(description)}"
        )
    unset: Document = {}
    for field in removed:
        if not isinstance(field, str):
            raise DataError(
                f"Unexpected value type in {REMOVED_FIELDS}, expected a string but found "
                f"`{field!r}`: {_json(description)}"
            )
        unset[field] = ""
    update: Document = {"$set": updated}
    if unset:
        update["$unset"] = unset
    return update


class ChangeStreamHandler(CdcHandler):
    """Applies MongoDB change-stream events (see the module documentation)."""

    def handle(self, doc: SinkDocument) -> WriteModel | None:
        event = doc.value_doc if doc.has_value() else None
        if event is None:
            event = {}
        if OPERATION_TYPE not in event:
            raise DataError(f"Error: `{OPERATION_TYPE}` field is doc is missing. {_json(event)}")
        operation = event[OPERATION_TYPE]
        if not isinstance(operation, str):
            raise DataError("Error: Unexpected CDC operation type, should be a string")
        kind = operation.lower()
        if kind in ("insert", "replace"):
            return WriteModel(
                "replace",
                _document_field(event, DOCUMENT_KEY),
                _document_field(event, FULL_DOCUMENT),
                upsert=True,
            )
        if kind == "update":
            key = _document_field(event, DOCUMENT_KEY)
            if FULL_DOCUMENT in event:
                return WriteModel("replace", key, _document_field(event, FULL_DOCUMENT))
            return WriteModel("update", key, _update_document(event))
        if kind == "delete":
            return WriteModel("delete", _document_field(event, DOCUMENT_KEY))
        log.warning("Unsupported change stream operation: %s", operation)
        return None


def remove_null_fields(model: WriteModel) -> WriteModel | None:
    """``change.data.capture.handler.remove.null.values``: null fields leave replacement
    documents (recursively) and ``$set``; a write with nothing left is dropped."""
    if model.kind == "replace" and model.document is not None:
        remove_null_values(model.document)
        return model if model.document else None
    if model.kind == "update" and model.document is not None:
        update = model.document
        changes = update.get("$set")
        if isinstance(changes, dict):
            remove_null_values(changes)
            if not changes:
                del update["$set"]
        return model if update else None
    return model


_PREFIX: Final = "com.mongodb.kafka.connect.sink.cdc"
CDC_HANDLERS: Final[dict[str, Any]] = {
    f"{_PREFIX}.mongodb.ChangeStreamHandler": ChangeStreamHandler,
}


def create_cdc_handler(settings: TopicSettings) -> CdcHandler | None:
    """The handler ``change.data.capture.handler`` names, None when it is empty."""
    if not settings.cdc_handler:
        return None
    key = settings.key("change.data.capture.handler")
    if settings.cdc_handler.startswith(f"{_PREFIX}.debezium.") or settings.cdc_handler.startswith(
        f"{_PREFIX}.qlik."
    ):
        raise settings.error(
            "change.data.capture.handler",
            settings.cdc_handler,
            "sluice implements only com.mongodb.kafka.connect.sink.cdc.mongodb"
            ".ChangeStreamHandler (MongoDB change-stream events), not the Debezium or Qlik "
            "handlers",
        )
    handler: CdcHandler = resolve_class(key, settings.cdc_handler, CDC_HANDLERS, "CDC handler")()
    return handler
