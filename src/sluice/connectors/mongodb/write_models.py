"""Write model strategies: how a record's documents become one MongoDB write.

``writemodel.strategy`` names the official class (``com.mongodb.kafka.connect.sink.writemodel
.strategy.<Name>``) used for records with a value:

* ``ReplaceOneDefaultStrategy`` (what the default ``DefaultWriteModelStrategy`` uses; time series
  collections get ``InsertOneDefaultStrategy``): replace the document with the value's ``_id``,
  inserting it when missing;
* ``ReplaceOneBusinessKeyStrategy``: the same, found by the fields of the ``_id`` document a
  Partial id strategy built (flattened to dotted paths), the server choosing the ``_id``;
* ``UpdateOneDefaultStrategy``: ``$set`` the value's fields on the document with its ``_id``;
* ``UpdateOneTimestampsStrategy`` / ``UpdateOneBusinessKeyTimestampStrategy``: ``$set`` the
  value plus ``_modifiedTS``, and ``_insertedTS`` on insert only, by ``_id`` or business key;
* ``InsertOneDefaultStrategy``: insert (a second delivery of a record is a duplicate key error
  unless the id differs);
* ``DeleteOneDefaultStrategy``: delete by the key document; ``DeleteOneBusinessKeyStrategy``:
  delete by the value's business key.

Records with a null value (tombstones) are deletes only with ``delete.on.null.values=true``,
through ``delete.writemodel.strategy`` (by default a delete by the id a key-based id strategy
gives). Writes are :class:`WriteModel` values, turned into pymongo operations at the last
moment so they can be inspected and tested without a server.
"""

from __future__ import annotations

import abc
import datetime as dt
from dataclasses import dataclass
from typing import Any, Final, Literal

from pymongo import DeleteOne, InsertOne, ReplaceOne, UpdateOne

from sluice.api import DataError
from sluice.connectors.mongodb.class_names import resolve_class
from sluice.connectors.mongodb.id_strategies import (
    FullKeyStrategy,
    IdStrategy,
    PartialKeyStrategy,
    PartialValueStrategy,
    ProvidedInKeyStrategy,
)
from sluice.connectors.mongodb.sink_documents import Document, SinkDocument
from sluice.connectors.mongodb.sink_topic_config import DEFAULT_DELETE_WRITE_MODEL, TopicSettings

__all__ = [
    "WRITE_MODEL_STRATEGIES",
    "DeleteOneBusinessKeyStrategy",
    "DeleteOneDefaultStrategy",
    "DeleteOneTombstoneBusinessKeyStrategy",
    "InsertOneDefaultStrategy",
    "Operation",
    "ReplaceOneBusinessKeyStrategy",
    "ReplaceOneDefaultStrategy",
    "UpdateOneBusinessKeyTimestampStrategy",
    "UpdateOneDefaultStrategy",
    "UpdateOneTimestampsStrategy",
    "WriteModel",
    "WriteModelStrategy",
    "create_delete_strategy",
    "create_write_model",
    "create_write_model_strategy",
    "flatten_keys",
]

ID_FIELD: Final = "_id"
MODIFIED_TS: Final = "_modifiedTS"
INSERTED_TS: Final = "_insertedTS"

Operation = InsertOne[Document] | ReplaceOne[Document] | UpdateOne | DeleteOne


@dataclass(frozen=True, slots=True)
class WriteModel:
    """One write: ``document`` is the inserted document, the replacement or the update."""

    kind: Literal["insert", "replace", "update", "delete"]
    filter: Document | None = None
    document: Document | None = None
    upsert: bool = False

    def to_operation(self) -> Operation:
        """The pymongo bulk-write operation."""
        if self.kind == "insert":
            assert self.document is not None
            return InsertOne(self.document)
        assert self.filter is not None
        if self.kind == "replace":
            assert self.document is not None
            return ReplaceOne(self.filter, self.document, upsert=self.upsert)
        if self.kind == "update":
            assert self.document is not None
            return UpdateOne(self.filter, self.document, upsert=self.upsert)
        return DeleteOne(self.filter)


def _now() -> dt.datetime:
    """The current time as BSON stores it (milliseconds, UTC)."""
    now = dt.datetime.now(dt.UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def flatten_keys(document: Document) -> Document:
    """``{"a": {"b": 1}, "c": 2}`` as ``{"a.b": 1, "c": 2}``: a business key as a filter on
    fields rather than on whole embedded documents (whose field order would have to match)."""
    out: Document = {}

    def walk(prefix: str, inner: Document) -> None:
        for name, value in inner.items():
            if isinstance(value, dict):
                walk(f"{prefix}{name}.", value)
            else:
                out[f"{prefix}{name}"] = value

    walk("", document)
    return out


class WriteModelStrategy(abc.ABC):
    @abc.abstractmethod
    def create(self, doc: SinkDocument) -> WriteModel: ...


def _value(doc: SinkDocument) -> Document:
    value = doc.value_doc
    if value is None:
        raise DataError(
            "Could not build the WriteModel,the value document was missing unexpectedly"
        )
    return value


def _id_of(value: Document) -> Any:
    if ID_FIELD not in value:
        raise DataError("Could not build the WriteModel,the `_id` field was missing unexpectedly")
    return value[ID_FIELD]


def _business_key(value: Document, flatten: bool, for_delete: bool = False) -> Document:
    key = value.get(ID_FIELD)
    if not isinstance(key, dict):
        hint = (
            ""
            if for_delete
            else " If you are including an existing `_id` value in the business key then "
            "ensure `document.id.strategy.overwrite.existing=true`."
        )
        raise DataError(
            "Could not build the WriteModel, the value document does not contain an _id field "
            f"of type BsonDocument which holds the business key fields.{hint}"
        )
    del value[ID_FIELD]
    return flatten_keys(key) if flatten else key


class ReplaceOneDefaultStrategy(WriteModelStrategy):
    def create(self, doc: SinkDocument) -> WriteModel:
        value = _value(doc)
        return WriteModel("replace", {ID_FIELD: _id_of(value)}, value, upsert=True)


class ReplaceOneBusinessKeyStrategy(WriteModelStrategy):
    def __init__(self, partial_id: bool = False) -> None:
        self.partial_id = partial_id

    def create(self, doc: SinkDocument) -> WriteModel:
        value = _value(doc)
        key = _business_key(value, self.partial_id)
        return WriteModel("replace", key, value, upsert=True)


class UpdateOneDefaultStrategy(WriteModelStrategy):
    def create(self, doc: SinkDocument) -> WriteModel:
        value = _value(doc)
        id_value = _id_of(value)
        del value[ID_FIELD]
        return WriteModel("update", {ID_FIELD: id_value}, {"$set": value}, upsert=True)


class UpdateOneTimestampsStrategy(WriteModelStrategy):
    def create(self, doc: SinkDocument) -> WriteModel:
        value = _value(doc)
        id_value = _id_of(value)
        now = _now()
        value[MODIFIED_TS] = now
        update = {"$set": value, "$setOnInsert": {INSERTED_TS: now}}
        return WriteModel("update", {ID_FIELD: id_value}, update, upsert=True)


class UpdateOneBusinessKeyTimestampStrategy(WriteModelStrategy):
    def __init__(self, partial_id: bool = False) -> None:
        self.partial_id = partial_id

    def create(self, doc: SinkDocument) -> WriteModel:
        value = _value(doc)
        key = _business_key(value, self.partial_id)
        now = _now()
        value[MODIFIED_TS] = now
        update = {"$set": value, "$setOnInsert": {INSERTED_TS: now}}
        return WriteModel("update", key, update, upsert=True)


class InsertOneDefaultStrategy(WriteModelStrategy):
    def create(self, doc: SinkDocument) -> WriteModel:
        return WriteModel("insert", document=_value(doc))


class DeleteOneDefaultStrategy(WriteModelStrategy):
    """Delete by the key: with an id strategy, the document whose ``_id`` it gives; without
    (as a ``writemodel.strategy``), the key document as the filter when it has an ``_id``,
    else ``{_id: <key document>}``."""

    def __init__(self, id_strategy: IdStrategy | None = None) -> None:
        self.id_strategy = id_strategy

    def create(self, doc: SinkDocument) -> WriteModel:
        key = doc.key_doc
        if key is None:
            raise DataError(
                "Could not build the WriteModel,the key document was missing unexpectedly"
            )
        if self.id_strategy is None:
            return WriteModel("delete", key if ID_FIELD in key else {ID_FIELD: key})
        return WriteModel("delete", {ID_FIELD: self.id_strategy.generate_id(doc, None)})


class DeleteOneBusinessKeyStrategy(WriteModelStrategy):
    def __init__(self, partial_id: bool = False) -> None:
        self.partial_id = partial_id

    def create(self, doc: SinkDocument) -> WriteModel:
        value = _value(doc)
        return WriteModel("delete", _business_key(value, self.partial_id, for_delete=True))


class DeleteOneTombstoneBusinessKeyStrategy(WriteModelStrategy):
    """A tombstone deletes by the business key PartialKeyStrategy projects from its key."""

    def __init__(self, id_strategy: IdStrategy) -> None:
        self.id_strategy = id_strategy

    def create(self, doc: SinkDocument) -> WriteModel:
        if doc.key_doc is None:
            raise DataError(
                "Could not build the WriteModel,the key document was missing unexpectedly"
            )
        if not isinstance(self.id_strategy, PartialKeyStrategy):
            raise DataError(
                "DeleteOneTombstoneBusinessKeyStrategy expects PartialKeyStrategy to be defined"
            )
        key = self.id_strategy.generate_id(doc, None)
        return WriteModel("delete", flatten_keys(key))


def _partial(strategy: IdStrategy) -> bool:
    return isinstance(strategy, PartialKeyStrategy | PartialValueStrategy)


_PACKAGE: Final = "com.mongodb.kafka.connect.sink.writemodel.strategy"

WRITE_MODEL_STRATEGIES: Final[dict[str, Any]] = {
    f"{_PACKAGE}.DefaultWriteModelStrategy": lambda s, i: (
        InsertOneDefaultStrategy() if s.is_timeseries else ReplaceOneDefaultStrategy()
    ),
    f"{_PACKAGE}.ReplaceOneDefaultStrategy": lambda s, i: ReplaceOneDefaultStrategy(),
    f"{_PACKAGE}.ReplaceOneBusinessKeyStrategy": lambda s, i: ReplaceOneBusinessKeyStrategy(
        _partial(i)
    ),
    f"{_PACKAGE}.UpdateOneDefaultStrategy": lambda s, i: UpdateOneDefaultStrategy(),
    f"{_PACKAGE}.UpdateOneTimestampsStrategy": lambda s, i: UpdateOneTimestampsStrategy(),
    f"{_PACKAGE}.UpdateOneBusinessKeyTimestampStrategy": (
        lambda s, i: UpdateOneBusinessKeyTimestampStrategy(_partial(i))
    ),
    f"{_PACKAGE}.InsertOneDefaultStrategy": lambda s, i: InsertOneDefaultStrategy(),
    f"{_PACKAGE}.DeleteOneDefaultStrategy": lambda s, i: DeleteOneDefaultStrategy(),
    f"{_PACKAGE}.DeleteOneBusinessKeyStrategy": lambda s, i: DeleteOneBusinessKeyStrategy(
        _partial(i)
    ),
    f"{_PACKAGE}.DeleteOneTombstoneBusinessKeyStrategy": (
        lambda s, i: DeleteOneTombstoneBusinessKeyStrategy(i)
    ),
}
"""Factories (taking the topic's settings and id strategy) by official class name."""


def create_write_model_strategy(settings: TopicSettings, ids: IdStrategy) -> WriteModelStrategy:
    """The strategy ``writemodel.strategy`` names."""
    factory = resolve_class(
        settings.key("writemodel.strategy"),
        settings.writemodel_strategy,
        WRITE_MODEL_STRATEGIES,
        "write model strategy",
    )
    strategy: WriteModelStrategy = factory(settings, ids)
    return strategy


def create_delete_strategy(settings: TopicSettings, ids: IdStrategy) -> WriteModelStrategy | None:
    """What tombstones become: None unless ``delete.on.null.values``; by default a delete by the
    id a key-based id strategy gives (other id strategies cannot find a document from a key)."""
    if not settings.delete_on_null_values:
        return None
    if settings.delete_writemodel_strategy == DEFAULT_DELETE_WRITE_MODEL:
        if not isinstance(ids, FullKeyStrategy | PartialKeyStrategy | ProvidedInKeyStrategy):
            raise settings.error(
                "delete.on.null.values",
                "true",
                "DeleteOneDefaultStrategy can only be applied when the configured IdStrategy is "
                "an instance of: FullKeyStrategy or PartialKeyStrategy or ProvidedInKeyStrategy "
                f"(document.id.strategy is {settings.document_id_strategy})",
            )
        return DeleteOneDefaultStrategy(ids)
    factory = resolve_class(
        settings.key("delete.writemodel.strategy"),
        settings.delete_writemodel_strategy,
        WRITE_MODEL_STRATEGIES,
        "write model strategy",
    )
    strategy: WriteModelStrategy = factory(settings, ids)
    return strategy


def create_write_model(
    doc: SinkDocument, strategy: WriteModelStrategy, deletes: WriteModelStrategy | None
) -> WriteModel:
    """The write for one record: its value through ``strategy``, a tombstone through
    ``deletes``; a :class:`DataError` when neither applies."""
    if doc.has_value():
        try:
            return strategy.create(doc)
        except DataError:
            raise
        except Exception as e:
            raise DataError(f"Could not build the WriteModel: {e}") from e
    if doc.has_key():
        if deletes is None:
            raise DataError(
                "Could not create write model: the record's value is null (a tombstone) and "
                "delete.on.null.values is false"
            )
        try:
            return deletes.create(doc)
        except Exception as e:
            raise DataError(f"Could not create write model: {e}") from e
    raise DataError("Invalid Sink Record neither key doc nor value doc were present")
