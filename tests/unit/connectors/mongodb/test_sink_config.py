"""The MongoDB sink's configuration: defaults, topic overrides, validation messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from sluice.api import ConfigError
from sluice.connectors.mongodb.sink_config import SinkSettings, validate_sink_config
from sluice.connectors.mongodb.sink_connector import MongoSinkConnector
from sluice.connectors.mongodb.sink_topic_config import ErrorTolerance, TopicSettings
from tests.unit.connectors.mongodb.sink_support import BASE, IDS


def _errors(props: dict[str, str]) -> dict[str, list[str]]:
    return {v.name: v.errors for v in validate_sink_config(props) if v.errors}


def test_defaults_are_the_official_ones() -> None:
    s = TopicSettings.parse("orders", BASE)
    assert s.collection == "orders"  # the topic name when collection is empty
    assert s.document_id_strategy.endswith("id.strategy.BsonOidStrategy")
    assert s.writemodel_strategy.endswith("DefaultWriteModelStrategy")
    assert s.max_batch_size == 0 and s.bulk_write_ordered and not s.delete_on_null_values
    assert s.tolerance is ErrorTolerance.NONE and s.log_errors
    assert s.post_processor_chain == ("com.mongodb.kafka.connect.sink.processor.DocumentIdAdder",)
    assert s.max_num_retries == 1 and s.retries_defer_timeout == 5.0
    definition = MongoSinkConnector().config()
    assert definition.keys["connection.uri"].default.value() == "mongodb://localhost:27017"
    assert not definition.keys["database"].has_default


def test_topic_overrides_win_for_their_topic_only() -> None:
    props = {
        **BASE,
        "topics": "orders,jee.patients",
        "collection": "all",
        "topic.override.jee.patients.collection": "patients",
        "topic.override.jee.patients.document.id.strategy": f"{IDS}.ProvidedInValueStrategy",
        "topic.override.jee.patients.mongo.errors.tolerance": "all",
    }
    settings = SinkSettings.parse(props)
    orders, patients = settings.topic("orders"), settings.topic("jee.patients")
    assert orders.collection == "all" and orders.tolerance is ErrorTolerance.NONE
    assert patients.collection == "patients"
    assert patients.document_id_strategy.endswith("ProvidedInValueStrategy")
    assert patients.tolerance is ErrorTolerance.ALL and not patients.log_errors
    assert patients.key("collection") == "topic.override.jee.patients.collection"
    assert orders.key("collection") == "collection"
    with pytest.raises(ConfigError, match="Unknown topic: other"):
        settings.topic("other")


def test_mongo_errors_keys_override_the_framework_ones() -> None:
    s = TopicSettings.parse(
        "orders", {**BASE, "errors.tolerance": "all", "mongo.errors.tolerance": "data"}
    )
    assert s.tolerance is ErrorTolerance.DATA
    s = TopicSettings.parse(
        "orders", {**BASE, "errors.tolerance": "all", "mongo.errors.log.enable": "true"}
    )
    assert s.tolerance is ErrorTolerance.ALL and s.log_errors


def test_regex_topics_are_checked_when_records_arrive() -> None:
    settings = SinkSettings.parse({**BASE, "topics": "", "topics.regex": "shop\\..*"})
    assert settings.topic("shop.a").collection == "shop.a"
    with pytest.raises(ConfigError, match="does not match"):
        settings.topic("other")


@pytest.mark.parametrize(
    ("extra", "key", "message"),
    [
        ({"topics": ""}, "topics", "Must configure one of topics or topics.regex"),
        ({"topics.regex": "x.*"}, "topics", "mutually exclusive"),
        ({"connection.uri": "http://nope"}, "connection.uri", "Invalid value"),
        ({"database": ""}, "database", "non-empty"),
        ({"max.batch.size": "-1"}, "max.batch.size", "at least 0"),
        ({"key.projection.type": "sideways"}, "key.projection.type", "Invalid enumerator"),
        ({"writemodel.strategy": "not a class"}, "writemodel.strategy", "class pattern"),
        ({"field.renamer.mapping": "{x"}, "field.renamer.mapping", "Not a valid JSON array"),
        ({"database": "bad.name"}, "database", "cannot contain '.'"),
        (
            {"topic.override.orders.document.id.strategy": "com.example.Mine"},
            "topic.override.orders.document.id.strategy",
            "Class not found",
        ),
        (
            {"topic.override.orders.delete.on.null.values": "true"},
            "topic.override.orders.delete.on.null.values",
            "FullKeyStrategy or PartialKeyStrategy",
        ),
        ({"connection.ssl.truststore": "/no/such.pem"}, "connection.ssl.truststore", "cannot read"),
        ({"csfle.enabled": "true"}, "csfle.enabled", "not supported"),
        ({"topic.override.%s.%s": "x"}, "topic.override.%s.%s", "shouldn't be set directly"),
    ],
)
def test_validation_names_the_key(extra: dict[str, str], key: str, message: str) -> None:
    errors = _errors({**BASE, **extra})
    assert key in errors, errors
    assert any(message in e for e in errors[key]), errors[key]
    with pytest.raises(ConfigError):
        SinkSettings.parse({**BASE, **extra})


def test_a_valid_config_has_no_errors_and_hides_the_override_template() -> None:
    values = validate_sink_config(BASE)
    assert not [v for v in values if v.errors]
    assert not next(v for v in values if v.name == "topic.override.%s.%s").visible


def test_missing_database_is_reported() -> None:
    props = {k: v for k, v in BASE.items() if k != "database"}
    assert "no default value" in _errors(props)["database"][0]


def test_validate_reports_an_unreachable_server_on_connection_uri() -> None:
    props = {**BASE, "connection.uri": "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300"}
    values = MongoSinkConnector().validate(props)
    errors = next(v for v in values if v.name == "connection.uri").errors
    assert errors and errors[0].startswith("Unable to connect to the server")


def test_tls_keys_take_pem_files(tmp_path: Path) -> None:
    pem, jks = tmp_path / "ca.pem", tmp_path / "store.jks"
    pem.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    jks.write_bytes(b"\xfe\xed\xfe\xed binary")
    settings = SinkSettings.parse(
        {
            **BASE,
            "connection.ssl.truststore": str(pem),
            "connection.ssl.keystore": str(pem),
            "connection.ssl.keystorePassword": "secret",
        }
    )
    assert settings.tls == {
        "tlsCAFile": str(pem),
        "tlsCertificateKeyFile": str(pem),
        "tlsCertificateKeyFilePassword": "secret",
    }
    errors = _errors({**BASE, "connection.ssl.truststore": str(jks)})
    assert "sluice cannot read Java key stores" in errors["connection.ssl.truststore"][0]
