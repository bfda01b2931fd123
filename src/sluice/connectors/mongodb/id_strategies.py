"""Id strategies: where a document's ``_id`` comes from (``document.id.strategy``).

Each strategy is the official class of the same name (``com.mongodb.kafka.connect.sink.processor
.id.strategy.<Name>``):

* ``BsonOidStrategy`` (the default): a new ObjectId for every record, so every record is a new
  document;
* ``ProvidedInKeyStrategy`` / ``ProvidedInValueStrategy``: the ``_id`` field of the key or value
  document, which must be there and not null; the ``Uuid...`` variants also turn a UUID string
  (with or without dashes) into a binary UUID;
* ``FullKeyStrategy``: the whole key document (an empty document when there is no key);
* ``PartialKeyStrategy`` / ``PartialValueStrategy``: the key or value document projected with
  ``document.id.strategy.partial.<key|value>.projection.type/list`` (falling back to
  ``<key|value>.projection.type/list``);
* ``UuidStrategy``: a random UUID, as a string or BSON binary (``document.id.strategy.uuid
  .format``);
* ``KafkaMetaDataStrategy``: ``<topic>#<partition>#<offset>``, the same id whenever the record
  is delivered again.

A record a strategy cannot give an id raises :class:`~sluice.api.DataError`; the task then
fails or reports the record as ``errors.tolerance`` says.
"""

from __future__ import annotations

import abc
import uuid
from typing import Any, ClassVar, Final

from bson import Binary, ObjectId
from bson.binary import UuidRepresentation

from sluice.api import ConfigError, DataError, SinkRecord
from sluice.connectors.mongodb.class_names import resolve_class
from sluice.connectors.mongodb.post_processors import (
    AllowListProjector,
    BlockListProjector,
    FieldProjector,
)
from sluice.connectors.mongodb.sink_documents import SinkDocument
from sluice.connectors.mongodb.sink_topic_config import (
    FieldProjectionType,
    TopicSettings,
    UuidFormat,
)

__all__ = [
    "ID_STRATEGIES",
    "BsonOidStrategy",
    "FullKeyStrategy",
    "IdStrategy",
    "KafkaMetaDataStrategy",
    "PartialKeyStrategy",
    "PartialValueStrategy",
    "ProvidedInKeyStrategy",
    "ProvidedInValueStrategy",
    "UuidProvidedInKeyStrategy",
    "UuidProvidedInValueStrategy",
    "UuidStrategy",
    "create_id_strategy",
]

ID_FIELD: Final = "_id"


class IdStrategy(abc.ABC):
    """Gives the ``_id`` of the document built from a record."""

    reuses_value_id: ClassVar[bool] = False
    """The id is the value document's own ``_id`` (keeping it is no loss worth a warning)."""

    @abc.abstractmethod
    def generate_id(self, doc: SinkDocument, record: SinkRecord | None) -> Any:
        """The id; ``record`` is None when a delete strategy asks (only the documents count)."""


class BsonOidStrategy(IdStrategy):
    def generate_id(self, doc: SinkDocument, record: SinkRecord | None) -> Any:
        return ObjectId()


class FullKeyStrategy(IdStrategy):
    def generate_id(self, doc: SinkDocument, record: SinkRecord | None) -> Any:
        key = doc.key_doc
        return key if key is not None else {}


class KafkaMetaDataStrategy(IdStrategy):
    def generate_id(self, doc: SinkDocument, record: SinkRecord | None) -> Any:
        if record is None:
            raise DataError("KafkaMetaDataStrategy needs the record's topic, partition and offset")
        return f"{record.topic}#{record.kafka_partition}#{record.kafka_offset}"


class _PartialStrategy(IdStrategy):
    """The key or value document after a projection (applied to a copy, so that projections
    later in the chain still see every field)."""

    on_key: bool

    def __init__(self, projector: FieldProjector) -> None:
        self.projector = projector

    def generate_id(self, doc: SinkDocument, record: SinkRecord | None) -> Any:
        clone = doc.clone()
        target = clone.key_doc if self.on_key else clone.value_doc
        if target is None:
            return {}
        self.projector.project(target)
        return target


class PartialKeyStrategy(_PartialStrategy):
    on_key = True


class PartialValueStrategy(_PartialStrategy):
    on_key = False


class ProvidedStrategy(IdStrategy):
    """The ``_id`` field the key or value document already holds."""

    on_key: bool

    def generate_id(self, doc: SinkDocument, record: SinkRecord | None) -> Any:
        source = doc.key_doc if self.on_key else doc.value_doc
        if source is None or ID_FIELD not in source:
            where = "key" if self.on_key else "value"
            raise DataError(
                "Provided id strategy is used but the document structure either contained no "
                f"_id field or it was null (the record's {where} has no _id field)"
            )
        value = source[ID_FIELD]
        if value is None:
            raise DataError(
                "Provided id strategy used but the document structure contained an _id of "
                "type BsonNull"
            )
        return value


class ProvidedInKeyStrategy(ProvidedStrategy):
    on_key = True


class ProvidedInValueStrategy(ProvidedStrategy):
    on_key = False
    reuses_value_id = True


def _uuid_from(value: Any) -> Any:
    if isinstance(value, Binary) and value.subtype in (3, 4):
        return value
    if isinstance(value, str):
        text = value
        try:
            if len(text) == 36 and text.count("-") == 4:
                return Binary.from_uuid(uuid.UUID(text), UuidRepresentation.STANDARD)
            if len(text) == 32:
                return Binary.from_uuid(uuid.UUID(hex=text), UuidRepresentation.STANDARD)
        except ValueError:
            pass
    raise DataError(f"UUID cannot be constructed from provided value: `{value!r}`")


class UuidProvidedInKeyStrategy(ProvidedStrategy):
    on_key = True

    def generate_id(self, doc: SinkDocument, record: SinkRecord | None) -> Any:
        return _uuid_from(super().generate_id(doc, record))


class UuidProvidedInValueStrategy(ProvidedStrategy):
    on_key = False

    def generate_id(self, doc: SinkDocument, record: SinkRecord | None) -> Any:
        return _uuid_from(super().generate_id(doc, record))


class UuidStrategy(IdStrategy):
    def __init__(self, output: UuidFormat = UuidFormat.STRING) -> None:
        self.output = output

    def generate_id(self, doc: SinkDocument, record: SinkRecord | None) -> Any:
        value = uuid.uuid4()
        if self.output is UuidFormat.STRING:
            return str(value)
        return Binary.from_uuid(value, UuidRepresentation.STANDARD)


def _partial(on_key: bool, s: TopicSettings) -> IdStrategy:
    kind = s.partial_key_projection_type if on_key else s.partial_value_projection_type
    fields = s.partial_key_projection_list if on_key else s.partial_value_projection_list
    projector: FieldProjector
    if kind.blocks:
        projector = BlockListProjector(fields, on_key)
    elif kind.allows:
        projector = AllowListProjector(fields, on_key)
    else:
        where = "key" if on_key else "value"
        raise ConfigError.invalid(
            s.key("document.id.strategy"),
            s.document_id_strategy,
            f"Invalid {where}.projection.type value "
            f"({FieldProjectionType.NONE.value}). It should be set to either BLOCKLIST or "
            f"ALLOWLIST (or set document.id.strategy.partial.{where}.projection.type)",
        )
    return PartialKeyStrategy(projector) if on_key else PartialValueStrategy(projector)


_PACKAGE: Final = "com.mongodb.kafka.connect.sink.processor.id.strategy"

ID_STRATEGIES: Final[dict[str, Any]] = {
    f"{_PACKAGE}.BsonOidStrategy": lambda s: BsonOidStrategy(),
    f"{_PACKAGE}.FullKeyStrategy": lambda s: FullKeyStrategy(),
    f"{_PACKAGE}.KafkaMetaDataStrategy": lambda s: KafkaMetaDataStrategy(),
    f"{_PACKAGE}.PartialKeyStrategy": lambda s: _partial(True, s),
    f"{_PACKAGE}.PartialValueStrategy": lambda s: _partial(False, s),
    f"{_PACKAGE}.ProvidedInKeyStrategy": lambda s: ProvidedInKeyStrategy(),
    f"{_PACKAGE}.ProvidedInValueStrategy": lambda s: ProvidedInValueStrategy(),
    f"{_PACKAGE}.UuidProvidedInKeyStrategy": lambda s: UuidProvidedInKeyStrategy(),
    f"{_PACKAGE}.UuidProvidedInValueStrategy": lambda s: UuidProvidedInValueStrategy(),
    f"{_PACKAGE}.UuidStrategy": lambda s: UuidStrategy(s.uuid_format),
}
"""Factories (taking the topic's settings) by official class name."""


def create_id_strategy(settings: TopicSettings) -> IdStrategy:
    """The strategy ``document.id.strategy`` names, configured from ``settings``."""
    factory = resolve_class(
        settings.key("document.id.strategy"),
        settings.document_id_strategy,
        ID_STRATEGIES,
        "document id strategy",
    )
    strategy: IdStrategy = factory(settings)
    return strategy
