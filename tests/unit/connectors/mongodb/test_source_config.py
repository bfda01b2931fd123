"""The source's configuration: official keys and defaults, legacy keys, validation messages."""

from __future__ import annotations

import pytest
from bson import Timestamp

from sluice.api import ConfigError, ConfigType
from sluice.connectors.mongodb.shell_json import (
    ShellJsonError,
    parse_array_of_documents,
    parse_value,
)
from sluice.connectors.mongodb.source_config import (
    SourceSettings,
    StartupMode,
    parse_operation_time,
    soft_warnings,
    source_config_def,
    validate_source_config,
)
from sluice.connectors.mongodb.source_offsets import (
    default_partition_name,
    offset_of,
    resume_token_of,
)

URI = "mongodb://127.0.0.1:27017/"

# Every key MongoSourceConfig defines (mongo-kafka 1.x/2.x), with its default.
OFFICIAL_DEFAULTS = {
    "connection.uri": "mongodb://localhost:27017,localhost:27018,localhost:27019",
    "database": "",
    "collection": "",
    "server.api.version": "",
    "server.api.deprecation.errors": False,
    "server.api.strict": False,
    "connection.ssl.truststore": "",
    "connection.ssl.keystore": "",
    "pipeline": "[]",
    "batch.size": 0,
    "publish.full.document.only": False,
    "publish.full.document.only.tombstone.on.delete": False,
    "change.stream.document.key.as.key": True,
    "change.stream.full.document.before.change": "",
    "change.stream.full.document": "",
    "change.stream.show.expanded.events": False,
    "collation": "",
    "poll.max.batch.size": 1000,
    "poll.await.time.ms": 5000,
    "topic.mapper": "com.mongodb.kafka.connect.source.topic.mapping.DefaultTopicMapper",
    "topic.separator": ".",
    "topic.prefix": "",
    "topic.suffix": "",
    "topic.namespace.map": "",
    "output.format.key": "json",
    "output.format.value": "json",
    "output.schema.infer.value": False,
    "output.json.formatter": "com.mongodb.kafka.connect.source.json.formatter.DefaultJson",
    "startup.mode": "",
    "startup.mode.timestamp.start.at.operation.time": "",
    "startup.mode.copy.existing.queue.size": 16000,
    "startup.mode.copy.existing.pipeline": "",
    "startup.mode.copy.existing.namespace.regex": "",
    "startup.mode.copy.existing.allow.disk.use": True,
    "copy.existing": False,
    "copy.existing.queue.size": 16000,
    "copy.existing.pipeline": "",
    "copy.existing.namespace.regex": "",
    "copy.existing.allow.disk.use": True,
    "errors.tolerance": "none",
    "mongo.errors.tolerance": "none",
    "errors.log.enable": False,
    "mongo.errors.log.enable": False,
    "errors.deadletterqueue.topic.name": "",
    "mongo.errors.deadletterqueue.topic.name": "",
    "heartbeat.interval.ms": 0,
    "heartbeat.topic.name": "__mongodb_heartbeats",
    "offset.partition.name": "",
}


def settings(**props: str) -> SourceSettings:
    return SourceSettings.parse({"connection.uri": URI, **props})


def test_every_official_key_with_its_default() -> None:
    keys = source_config_def().keys
    for name, default in OFFICIAL_DEFAULTS.items():
        assert name in keys, name
        value = keys[name].default
        if keys[name].type is ConfigType.PASSWORD:
            value = value.value()
        assert value == default, name
    for name in ("output.schema.key", "output.schema.value", "copy.existing.max.threads"):
        assert name in keys


def test_seed_001_configuration() -> None:
    s = settings(database="jee", **{"copy.existing": "true"})
    assert s.startup_mode == StartupMode.COPY_EXISTING
    assert (s.database, s.collection) == ("jee", "")
    assert (s.key_format, s.value_format) == ("json", "json")
    assert s.json_formatter.class_name.endswith("DefaultJson")
    assert s.topic_mapper().topic_for_namespace("jee", "patients") == "jee.patients"


def test_startup_mode_wins_over_copy_existing() -> None:
    assert settings(**{"copy.existing": "true"}).startup_mode == "copy_existing"
    both = {"copy.existing": "true", "startup.mode": "latest"}
    assert settings(**both).startup_mode == "latest"
    assert settings(**{"startup.mode": "COPY_EXISTING"}).startup_mode == "copy_existing"
    assert settings().startup_mode == "latest"
    warnings = soft_warnings(both)
    assert any("'copy.existing' is deprecated. Use 'startup.mode'" in w for w in warnings)
    assert any("'startup.mode' is incompatible with 'copy.existing'" in w for w in warnings)


def test_new_copy_keys_win_over_legacy_ones() -> None:
    s = settings(
        **{
            "startup.mode": "copy_existing",
            "copy.existing.namespace.regex": "old",
            "copy.existing.queue.size": "10",
            "startup.mode.copy.existing.queue.size": "20",
            "copy.existing.pipeline": '[{"$match": {"a": 1}}]',
        }
    )
    assert s.copy.namespace_regex == "old"
    assert s.copy.queue_size == 20
    assert s.copy.pipeline == [{"$match": {"a": 1}}]


def test_error_settings_and_their_mongo_overrides() -> None:
    s = settings(**{"errors.tolerance": "all", "errors.deadletterqueue.topic.name": "dlq"})
    assert (s.tolerate_errors, s.log_errors, s.dlq_topic) == (True, False, "dlq")
    s = settings(**{"errors.tolerance": "all", "mongo.errors.tolerance": "none"})
    assert (s.tolerate_errors, s.log_errors) == (False, True)
    s = settings(**{"errors.tolerance": "all", "mongo.errors.deadletterqueue.topic.name": "m"})
    assert s.dlq_topic == "m"


def test_publish_full_document_only_asks_for_update_lookup() -> None:
    assert settings(**{"publish.full.document.only": "true"}).full_document == "updateLookup"
    assert settings(**{"change.stream.full.document": "whenAvailable"}).full_document == (
        "whenAvailable"
    )
    assert settings().full_document is None
    assert not settings(
        **{"publish.full.document.only.tombstone.on.delete": "true"}
    ).tombstone_on_delete


def invalid(props: dict[str, str]) -> dict[str, list[str]]:
    values = validate_source_config({"connection.uri": URI, **props})
    return {v.name: v.errors for v in values if v.errors}


def test_a_pipeline_that_is_not_json_is_refused_naming_pipeline() -> None:
    errors = invalid({"pipeline": "[{$match: "})
    assert list(errors) == ["pipeline"]
    assert (
        "Invalid value [{$match: for configuration pipeline: Not a valid JSON array"
        in (errors["pipeline"][0])
    )
    assert invalid({"pipeline": '{"$match": {}}'})["pipeline"][0].endswith(
        "Not a valid JSON array (Not a JSON array)"
    )
    assert not invalid({"pipeline": "[{$match: {operationType: 'insert'}}]"})


@pytest.mark.parametrize(
    ("props", "key", "text"),
    [
        ({"collection": "c"}, "collection", "Missing database configuration `database`"),
        ({"connection.uri": "localhost:27017"}, "connection.uri", "must start with either"),
        ({"connection.uri": "mongodb://h:99999/"}, "connection.uri", "[hidden]"),
        ({"startup.mode": "earliest"}, "startup.mode", "Should be one of: [latest, timestamp"),
        ({"output.format.value": "avro"}, "output.format.value", "[json, bson, schema]"),
        ({"change.stream.full.document": "UPDATELOOKUP"}, "change.stream.full.document", ""),
        ({"topic.namespace.map": "[]"}, "topic.namespace.map", "Not a valid JSON document"),
        ({"topic.namespace.map": '{"a/b": "t"}'}, "topic.namespace.map", "'/' is not allowed"),
        ({"topic.mapper": "com.example.Mine"}, "topic.mapper", "DefaultTopicMapper only"),
        ({"output.json.formatter": "x.Y"}, "output.json.formatter", "Unknown JSON formatter"),
        ({"copy.existing.namespace.regex": "a("}, "copy.existing.namespace.regex", "Invalid"),
        ({"collation": "{strength: 'x'}"}, "collation", "'strength' has the wrong type"),
        ({"output.schema.key": '{"type": "string"}'}, "output.schema.key", "Record schemas"),
        ({"heartbeat.topic.name": ""}, "heartbeat.topic.name", ""),
        ({"poll.max.batch.size": "0"}, "poll.max.batch.size", ""),
    ],
)
def test_bad_values_name_their_setting(props: dict[str, str], key: str, text: str) -> None:
    errors = invalid(props)
    assert key in errors, errors
    assert text in errors[key][0]


def test_operation_time_formats() -> None:
    assert parse_operation_time("30") == Timestamp(30, 0)
    assert parse_operation_time("1970-01-01T00:00:30Z") == Timestamp(30, 0)
    assert parse_operation_time("1970-01-01T00:00:30.5Z") == Timestamp(30, 0)
    assert parse_operation_time('{"$timestamp": {"t": 30, "i": 7}}') == Timestamp(30, 7)
    with pytest.raises(ValueError, match="integer number of seconds"):
        parse_operation_time("yesterday")
    s = settings(
        **{"startup.mode": "timestamp", "startup.mode.timestamp.start.at.operation.time": "30"}
    )
    assert s.start_at_operation_time == Timestamp(30, 0)


def test_parse_rejects_what_validation_rejects() -> None:
    with pytest.raises(ConfigError) as e:
        settings(pipeline="[1]")
    assert e.value.key == "pipeline"


def test_default_partition_names() -> None:
    assert default_partition_name("mongodb://u:p@b:2,a:1/admin?tls=true", "jee", "") == (
        "mongodb://a:1,b:2/jee"
    )
    assert default_partition_name("mongodb://localhost", "jee", "patients") == (
        "mongodb://localhost/jee.patients"
    )
    assert default_partition_name("mongodb+srv://c.example.net/", "", "") == (
        "mongodb+srv://c.example.net/"
    )


def test_offsets_round_trip() -> None:
    token = {"_data": "8263A1"}
    assert offset_of(token, False) == {"_id": '{"_data": "8263A1"}'}
    assert offset_of({"_id": 1, "copyingData": True}, True) == {
        "_id": '{"_id": 1, "copyingData": true}',
        "copy": "true",
    }
    assert resume_token_of(offset_of(token, False)) == token
    assert resume_token_of({"_id": '{"_data": "x"}', "copy": "true"}) is None
    assert resume_token_of(None) is None


def test_lenient_json_forms() -> None:
    stages = parse_array_of_documents(
        "[{$match: {'fullDocument.n': {$gt: NumberLong(5)}, d: ISODate('2020-01-01')}}]"
    )
    assert stages[0]["$match"]["fullDocument.n"]["$gt"] == 5
    assert parse_value('{"a": "\\d+"}') == {"a": "\\d+"}  # retried with backslashes doubled
    assert parse_value('{"$oid": "5f0000000000000000000001"}').__class__.__name__ == "ObjectId"
    with pytest.raises(ShellJsonError):
        parse_array_of_documents("[{}] trailing")


def test_connector_runs_one_task_and_checks_offsets() -> None:
    from sluice.api import ConnectError
    from sluice.connectors.mongodb.source_connector import MongoSourceConnector

    connector = MongoSourceConnector()
    connector.start({"connection.uri": URI, "database": "jee", "tasks.max": "4"})
    assert connector.task_configs(4) == [
        {"connection.uri": URI, "database": "jee", "tasks.max": "4"}
    ]
    good = ({"ns": "mongodb://h/jee"}, {"_id": '{"_data": "82"}', "copy": "true"})
    assert connector.alter_offsets({}, [good, ({"ns": "x"}, None)]) is False
    for bad in (
        ({"table": "x"}, {"_id": "{}"}),
        ({"ns": "x"}, {"position": 3}),
        ({"ns": "x"}, {"_id": "not json"}),
    ):
        with pytest.raises(ConnectError):
            connector.alter_offsets({}, [bad])
