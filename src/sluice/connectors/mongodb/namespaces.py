"""Namespace mappers: which database and collection a record is written to (``namespace.mapper``).

``DefaultNamespaceMapper`` (the default) writes every record of a topic to ``database`` and
``collection`` (the topic's name when empty). ``FieldPathNamespaceMapper`` reads the database
and/or collection name from a string field of the key or value document (a dotted path), with
``database``/``collection`` as the fallback when the field is missing or not a string, unless
``namespace.mapper.error.if.invalid`` makes that an error.

Names are checked as MongoDB checks them, so a bad ``database`` fails the task at start with the
key named rather than at the first write; a database that does not exist yet is fine: MongoDB
creates it (and the collection) with the first write, as the official connector relies on.
"""

from __future__ import annotations

import abc
from typing import Any, Final, NamedTuple

from bson import json_util

from sluice.api import DataError, SinkRecord
from sluice.connectors.mongodb.class_names import resolve_class
from sluice.connectors.mongodb.sink_documents import Document, SinkDocument
from sluice.connectors.mongodb.sink_topic_config import TopicSettings

__all__ = [
    "NAMESPACE_MAPPERS",
    "DefaultNamespaceMapper",
    "FieldPathNamespaceMapper",
    "Namespace",
    "NamespaceMapper",
    "check_collection_name",
    "check_database_name",
    "create_namespace_mapper",
    "field_lookup",
]

_BAD_DATABASE_CHARACTERS: Final = frozenset('/\\. "$\x00')


class Namespace(NamedTuple):
    database: str
    collection: str

    def __str__(self) -> str:
        return f"{self.database}.{self.collection}"


def check_database_name(name: str) -> str | None:
    """Why MongoDB would refuse ``name`` as a database name, or None."""
    if not name:
        return "a database name cannot be empty"
    bad = sorted(set(name) & _BAD_DATABASE_CHARACTERS)
    if bad:
        return f"a database name cannot contain {' '.join(repr(c) for c in bad)}"
    if len(name.encode()) >= 64:
        return "a database name must be shorter than 64 bytes"
    return None


def check_collection_name(name: str) -> str | None:
    """Why MongoDB would refuse ``name`` as a collection name, or None."""
    if not name:
        return "a collection name cannot be empty"
    if "$" in name or "\x00" in name:
        return "a collection name cannot contain '$' or a null character"
    if name.startswith(".") or name.endswith("."):
        return "a collection name cannot start or end with '.'"
    if name.startswith("system."):
        return "a collection name cannot start with 'system.'"
    return None


class NamespaceMapper(abc.ABC):
    @abc.abstractmethod
    def namespace(self, record: SinkRecord, doc: SinkDocument) -> Namespace: ...


def _checked(settings: TopicSettings) -> Namespace:
    problem = check_database_name(settings.database)
    if problem:
        raise settings.error("database", settings.database, problem)
    problem = check_collection_name(settings.collection)
    if problem:
        if settings.collection == settings.topic:
            problem += " (collection is empty, so the topic's name is used)"
        raise settings.error("collection", settings.collection, problem)
    return Namespace(settings.database, settings.collection)


class DefaultNamespaceMapper(NamespaceMapper):
    def __init__(self, settings: TopicSettings) -> None:
        self._namespace = _checked(settings)

    def namespace(self, record: SinkRecord, doc: SinkDocument) -> Namespace:
        return self._namespace


def field_lookup(path: str, document: Document) -> tuple[bool, Any]:
    """``(found, value)`` for a field name or dotted path (a name containing dots wins)."""
    if path in document:
        return True, document[path]
    if "." in path and not path.endswith("."):
        head, rest = path.split(".", 1)
        inner = document.get(head)
        if isinstance(inner, dict):
            return field_lookup(rest, inner)
    return False, None


class FieldPathNamespaceMapper(NamespaceMapper):
    def __init__(self, settings: TopicSettings) -> None:
        self.default = _checked(settings)
        self.error_if_invalid = settings.namespace_error_if_invalid
        s = settings
        if not any(
            (
                s.key_database_field,
                s.value_database_field,
                s.key_collection_field,
                s.value_collection_field,
            )
        ):
            raise s.error(
                "namespace.mapper",
                s.namespace_mapper,
                "Missing configuration for the FieldBasedNamespaceMapper. Please configure the "
                "database and / or collection field path.",
            )
        for what, on_key, on_value in (
            ("database", s.key_database_field, s.value_database_field),
            ("collection", s.key_collection_field, s.value_collection_field),
        ):
            if on_key and on_value:
                raise s.error(
                    f"namespace.mapper.key.{what}.field",
                    on_key,
                    f"Cannot set both: 'namespace.mapper.key.{what}.field' and "
                    f"'namespace.mapper.value.{what}.field'",
                )
        self.database = (
            (True, s.key_database_field)
            if s.key_database_field
            else (
                False,
                s.value_database_field,
            )
        )
        self.collection = (
            (True, s.key_collection_field)
            if s.key_collection_field
            else (
                False,
                s.value_collection_field,
            )
        )

    def namespace(self, record: SinkRecord, doc: SinkDocument) -> Namespace:
        database = self._lookup(doc, *self.database, self.default.database)
        collection = self._lookup(doc, *self.collection, self.default.collection)
        for problem in (check_database_name(database), check_collection_name(collection)):
            if problem:
                raise DataError(f"Invalid namespace {database}.{collection}: {problem}")
        return Namespace(database, collection)

    def _lookup(self, doc: SinkDocument, on_key: bool, path: str, default: str) -> str:
        if not path:
            return default
        present = doc.has_key() if on_key else doc.has_value()
        if not present:
            if self.error_if_invalid:
                raise DataError(f"Invalid {'key' if on_key else 'value'} document: it is null")
            return default
        document = doc.key_doc if on_key else doc.value_doc
        assert document is not None
        found, value = field_lookup(path, document)
        if not found:
            if self.error_if_invalid:
                raise DataError(
                    f"Missing document path '{path}': {json_util.dumps(document)[:500]}"
                )
            return default
        if not isinstance(value, str):
            if self.error_if_invalid:
                raise DataError(
                    f"Invalid type {type(value).__name__} for field path '{path}', expected a "
                    f"String: {json_util.dumps(document)[:500]}"
                )
            return default
        return value


_PACKAGE: Final = "com.mongodb.kafka.connect.sink.namespace.mapping"
NAMESPACE_MAPPERS: Final[dict[str, Any]] = {
    f"{_PACKAGE}.DefaultNamespaceMapper": DefaultNamespaceMapper,
    f"{_PACKAGE}.FieldPathNamespaceMapper": FieldPathNamespaceMapper,
}


def create_namespace_mapper(settings: TopicSettings) -> NamespaceMapper:
    cls = resolve_class(
        settings.key("namespace.mapper"), settings.namespace_mapper, NAMESPACE_MAPPERS, "mapper"
    )
    mapper: NamespaceMapper = cls(settings)
    return mapper
