"""Namespace mappers: database and collection per record."""

from __future__ import annotations

import pytest

from sluice.api import ConfigError, DataError
from sluice.connectors.mongodb.namespaces import Namespace, create_namespace_mapper
from tests.unit.connectors.mongodb.sink_support import doc, settings

FIELD_PATH = "com.mongodb.kafka.connect.sink.namespace.mapping.FieldPathNamespaceMapper"


def test_the_default_is_database_and_collection_or_topic() -> None:
    mapper = create_namespace_mapper(settings())
    d = doc("{}")
    assert mapper.namespace(d.record, d) == Namespace("shop", "orders")
    mapper = create_namespace_mapper(settings({"collection": "sales"}))
    assert mapper.namespace(d.record, d) == Namespace("shop", "sales")


def test_field_path_mapper_reads_fields_and_falls_back() -> None:
    mapper = create_namespace_mapper(
        settings(
            {
                "namespace.mapper": FIELD_PATH,
                "namespace.mapper.value.collection.field": "meta.kind",
                "namespace.mapper.key.database.field": "tenant",
            }
        )
    )
    d = doc('{"meta": {"kind": "invoices"}}', key='{"tenant": "acme"}')
    assert mapper.namespace(d.record, d) == Namespace("acme", "invoices")
    d = doc('{"meta": {"kind": 5}}', key='{"other": 1}')
    assert mapper.namespace(d.record, d) == Namespace("shop", "orders")


def test_field_path_mapper_errors() -> None:
    strict = create_namespace_mapper(
        settings(
            {
                "namespace.mapper": FIELD_PATH,
                "namespace.mapper.value.collection.field": "kind",
                "namespace.mapper.error.if.invalid": "true",
            }
        )
    )
    d = doc('{"other": 1}')
    with pytest.raises(DataError, match="Missing document path 'kind'"):
        strict.namespace(d.record, d)
    with pytest.raises(ConfigError, match="Missing configuration") as caught:
        create_namespace_mapper(settings({"namespace.mapper": FIELD_PATH}))
    assert caught.value.key == "namespace.mapper"
    with pytest.raises(ConfigError, match="Cannot set both") as caught:
        create_namespace_mapper(
            settings(
                {
                    "namespace.mapper": FIELD_PATH,
                    "namespace.mapper.key.collection.field": "a",
                    "namespace.mapper.value.collection.field": "b",
                }
            )
        )
    assert caught.value.key == "namespace.mapper.key.collection.field"


def test_bad_database_names_name_the_key() -> None:
    with pytest.raises(ConfigError, match="cannot contain") as caught:
        create_namespace_mapper(settings({"topic.override.orders.database": "my db"}))
    assert caught.value.key == "topic.override.orders.database"
