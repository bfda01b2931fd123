"""Strimzi ``KafkaConnector`` YAML read as connector configs (``sluice.runtime.strimzi``) and
through the connector file loader (``load_connector_configs``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sluice.runtime.config_files import (
    ConfigFileError,
    load_connector_config_file,
    load_connector_configs,
)
from sluice.runtime.strimzi import StrimziError, looks_like_yaml, parse_kafka_connectors

FILES = Path(__file__).parent / "strimzi_files"

HEAD = """\
apiVersion: kafka.strimzi.io/v1beta2
kind: KafkaConnector
metadata:
  name: c
spec:
  class: FileStreamSource
"""


def one(text: str) -> tuple[dict[str, str], str, list[str]]:
    parsed = parse_kafka_connectors(text, "c.yaml")
    assert len(parsed.connectors) == 1
    return parsed.connectors[0].config, parsed.connectors[0].state, list(parsed.notes)


def error(text: str) -> str:
    with pytest.raises(StrimziError) as caught:
        parse_kafka_connectors(text, "c.yaml")
    return str(caught.value)


def test_seed_001_file_parses_into_the_connector_it_declares() -> None:
    path = FILES / "seed001-mongodb-source-connector.yaml"
    loaded = load_connector_configs(path)

    assert [(c.name, c.initial_state, c.state) for c in loaded.connectors] == [
        ("mongodb-source-connector", "RUNNING", "RUNNING")
    ]
    assert loaded.connectors[0].config == {
        "connection.uri": "mongodb://user123:password333@mongo-cluster-rs0.mongodb.svc.cluster"
        ".local:27017/?authSource=admin&ssl=false",
        "database": "jee",
        "copy.existing": "true",
        "connector.class": "com.mongodb.kafka.connect.MongoSourceConnector",
        "tasks.max": "1",
        "name": "mongodb-source-connector",
    }
    assert loaded.notes == ()
    resource = parse_kafka_connectors(path.read_bytes(), str(path)).connectors[0]
    assert (resource.namespace, resource.cluster, resource.line) == ("kafka", "kafkaconnect", 7)
    assert resource.where == f"{path} document 1 (KafkaConnector mongodb-source-connector)"


def test_folded_pipeline_comments_and_quoted_numbers_as_strimzi_users_write_them() -> None:
    config, _, notes = one(
        HEAD
        + """\
  config:
    topic.prefix: jee
    topic.suffix: "5"          # quoted: stays the string 5
    publish.full.document.only: true
    #commented.out: x
    change.stream.full.document: updateLookup
    pipeline: >
      [{"$match": {"operationType": {"$in": ["insert","update"]}}},
      {"$project": {"_id": 1}}]
"""
    )
    assert config["topic.suffix"] == "5"
    assert config["publish.full.document.only"] == "true"
    assert config["pipeline"] == (
        '[{"$match": {"operationType": {"$in": ["insert","update"]}}}, {"$project": {"_id": 1}}]\n'
    )
    assert "commented.out" not in config and notes == []


@pytest.mark.parametrize(
    ("yaml_value", "kafka_value"),
    [
        ("true", "true"),
        ("False", "false"),
        ("yes", "true"),  # YAML 1.1, as Kubernetes reads it
        ("1", "1"),
        ("-42", "-42"),
        ("0x10", "16"),
        ("1_000", "1000"),
        ("1.50", "1.50"),  # floats keep their text
        ("1e3", "1e3"),
        ("10:30", "10:30"),  # not base-60 630
        ("2022-01-12", "2022-01-12"),  # not a date
        ("'007'", "007"),
        ('""', ""),
        ("${env:MONGO_URI}", "${env:MONGO_URI}"),
        ("${file:/etc/secrets.properties:password}", "${file:/etc/secrets.properties:password}"),
    ],
)
def test_yaml_scalars_become_kafka_strings(yaml_value: str, kafka_value: str) -> None:
    config, _, _ = one(HEAD + f"  config:\n    k: {yaml_value}\n")
    assert config["k"] == kafka_value


def test_kubernetes_secret_placeholders_pass_through_with_a_note() -> None:
    config, _, notes = one(HEAD + "  config:\n    password: ${secrets:kafka/mongo-creds:pw}\n")
    assert config["password"] == "${secrets:kafka/mongo-creds:pw}"
    assert notes == [
        "c.yaml line 8: document 1 (KafkaConnector c): spec.config.password uses a Kubernetes "
        "config provider placeholder; it is passed on unchanged and resolved only if the "
        "worker's config.providers defines that provider"
    ]


@pytest.mark.parametrize(
    ("spec", "state", "note"),
    [
        ("", "RUNNING", None),
        ("  state: paused\n", "PAUSED", None),
        ("  state: stopped\n", "STOPPED", None),
        ("  state: Running\n", "RUNNING", None),
        ("  pause: true\n", "PAUSED", "spec.pause is deprecated (Strimzi 0.38): use spec.state"),
        ("  pause: false\n", "RUNNING", "spec.pause is deprecated"),
        ("  state: running\n  pause: true\n", "RUNNING", "spec.state takes precedence"),
    ],
)
def test_state_and_deprecated_pause(spec: str, state: str, note: str | None) -> None:
    _, got, notes = one(HEAD + spec)
    assert got == state
    assert (note is None and notes == []) or (note is not None and note in notes[0])


def test_several_documents_other_kinds_skipped_with_a_note() -> None:
    text = f"""\
---
apiVersion: kafka.strimzi.io/v1beta2
kind: KafkaConnect
metadata:
  name: my-connect
spec:
  replicas: 1
---
apiVersion: v1
kind: Secret
metadata:
  name: creds
stringData:
  password: x
---
{HEAD.replace("name: c", "name: a")}---
{HEAD.replace("name: c", "name: b").replace("v1beta2", "v1")}  tasksMax: 3
---
"""
    parsed = parse_kafka_connectors(text, "all.yaml")
    assert [(c.name, c.document, c.config.get("tasks.max")) for c in parsed.connectors] == [
        ("a", 3, None),
        ("b", 4, "3"),
    ]
    assert parsed.notes == (
        "all.yaml line 2: document 1 (KafkaConnect my-connect): skipped: only KafkaConnector "
        "resources are read",
        "all.yaml line 9: document 2 (Secret creds): skipped: only KafkaConnector resources "
        "are read",
    )


def test_kubectl_list_output_is_read_item_by_item() -> None:
    text = """\
apiVersion: v1
kind: List
items:
- apiVersion: kafka.strimzi.io/v1beta2
  kind: KafkaConnector
  metadata: {name: a}
  spec: {class: FileStreamSource}
  status: {connectorStatus: {}}
- apiVersion: kafka.strimzi.io/v1beta2
  kind: KafkaConnector
  metadata: {name: b}
  spec: {class: FileStreamSink, state: stopped}
"""
    parsed = parse_kafka_connectors(text, "l.yaml")
    assert [(c.name, c.state) for c in parsed.connectors] == [("a", "RUNNING"), ("b", "STOPPED")]
    assert parsed.connectors[1].where == "l.yaml document 1 item 2 (KafkaConnector b)"


def test_what_strimzi_ignores_is_ignored_with_notes() -> None:
    _, _, notes = one(
        HEAD.replace("  name: c\n", "  name: c\n  annotations:\n    strimzi.io/restart: 'true'\n")
        + """\
  autoRestart:
    enabled: true
    maxRestarts: 10
  listOffsets:
    toConfigMap: {name: offsets}
  replicas: 2
  config:
    name: other
    connector.class: Other
    tasks.max: 4
"""
    )
    assert [n.split(": ", 2)[2] for n in notes] == [
        "spec.config.name 'other' is ignored: metadata.name 'c' names the connector",
        "spec.config.connector.class is ignored, as Strimzi ignores it: set spec.class instead",
        "spec.config.tasks.max is ignored, as Strimzi ignores it: set spec.tasksMax instead",
        "spec.autoRestart is not supported and ignored: it is the Strimzi operator that restarts "
        "failed connectors and tasks; use `sluice connectors restart NAME --include-tasks "
        "--only-failed`",
        "spec.listOffsets is ignored (the Strimzi operator does it): use `sluice connectors "
        "offsets NAME`",
        "spec.replicas is not a KafkaConnector field; ignored",
        "metadata.annotations.strimzi.io/restart is ignored (the Strimzi operator acts on it): "
        "use `sluice connectors restart NAME`",
    ]
    config, _, notes = one(HEAD + "  autoRestart: {enabled: false}\n")
    assert notes == [] and config["connector.class"] == "FileStreamSource"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "kind: KafkaConnector\nmetadata: [x\n",
            "c.yaml line 3 column 1: invalid YAML: expected ',' or ']', but got '<stream end>'",
        ),
        (
            HEAD + "  config:\n    a: 1\n    a: 2\n",
            "c.yaml line 9: document 1: duplicate key 'a' (first on line 8)",
        ),
        (
            HEAD.replace("  class: FileStreamSource\n", "")
            + "  config:\n    connector.class: FileStreamSource\n",
            "c.yaml line 5: document 1 (KafkaConnector c): spec.class is missing: it names the "
            "connector class (Strimzi ignores connector.class in spec.config: move it to "
            "spec.class)",
        ),
        (
            HEAD + "  config: [a, b]\n",
            "c.yaml line 7: document 1 (KafkaConnector c): spec.config must be a map of keys to "
            "values, not a list",
        ),
        (
            HEAD + "  config:\n    ok: x\n    pipeline:\n      match: insert\n",
            "c.yaml line 9: document 1 (KafkaConnector c): spec.config.pipeline is a map; "
            "connector configuration values must be strings, numbers or booleans (write a list "
            "or JSON as one string, e.g. in quotes or after '>')",
        ),
        (
            HEAD + "  config:\n    topic:\n",
            "c.yaml line 8: document 1 (KafkaConnector c): spec.config.topic has no value "
            "(null); write '' for an empty string",
        ),
        (
            HEAD + "  state: sleeping\n",
            "c.yaml line 7: document 1 (KafkaConnector c): spec.state is the string 'sleeping', "
            "not one of running, paused, stopped",
        ),
        (
            HEAD + "  pause: 'yes'\n",
            "c.yaml line 7: document 1 (KafkaConnector c): spec.pause must be true or false, not "
            "the string 'yes'",
        ),
        (
            HEAD + "  tasksMax: 0\n",
            "c.yaml line 7: document 1 (KafkaConnector c): spec.tasksMax must be a whole number "
            "of at least 1, not the number 0",
        ),
        (
            HEAD.replace("kafka.strimzi.io/v1beta2", "kafka.strimzi.io/v2"),
            "c.yaml line 1: document 1 (KafkaConnector): apiVersion is the string "
            "'kafka.strimzi.io/v2', not a Strimzi API version (kafka.strimzi.io/v1 or "
            "kafka.strimzi.io/v1beta2)",
        ),
        (
            HEAD.replace("  name: c\n", "  namespace: kafka\n"),
            "c.yaml line 3: document 1 (KafkaConnector): metadata.name is missing: it names the "
            "connector",
        ),
        (
            "name: c\nconnector.class: FileStreamSource\n",
            "c.yaml line 1: document 1: kind is missing: sluice reads Strimzi KafkaConnector "
            "resources from YAML (kind: KafkaConnector)",
        ),
        (
            HEAD + "---\n" + HEAD,
            "c.yaml line 11: document 2 (KafkaConnector c): metadata.name 'c' is also the name "
            "of document 1 (KafkaConnector c)",
        ),
    ],
)
def test_bad_input_is_one_line_naming_file_line_document_and_field(text: str, message: str) -> None:
    assert error(text) == message


def test_an_error_in_any_document_returns_nothing(tmp_path: Path) -> None:
    path = tmp_path / "two.yaml"
    path.write_text(HEAD + "---\n" + HEAD.replace("name: c", "name: d") + "  state: nope\n")
    with pytest.raises(StrimziError) as caught:
        load_connector_configs(path)
    assert (caught.value.document, caught.value.field, caught.value.line) == (2, "spec.state", 14)
    assert isinstance(caught.value, ConfigFileError)


def test_loader_yaml_detection_and_other_formats_unchanged(tmp_path: Path) -> None:
    props = tmp_path / "src.properties"
    props.write_text("name=p\nconnector.class=FileStreamSource\n")
    loaded = load_connector_configs(props)
    assert [(c.name, c.where, c.state) for c in loaded.connectors] == [("p", str(props), None)]
    no_suffix = tmp_path / "connector"
    no_suffix.write_text("# a KafkaConnector\n" + HEAD)
    assert load_connector_config_file(no_suffix)[0] == "c"
    assert looks_like_yaml("x.yml", b"")
    assert not looks_like_yaml("x.properties", b"kind: KafkaConnector")
    assert not looks_like_yaml("x", b"name=kind: x")


def test_a_yaml_file_without_a_kafka_connector_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "connect.yaml"
    path.write_text("apiVersion: kafka.strimzi.io/v1beta2\nkind: KafkaConnect\n")
    with pytest.raises(ConfigFileError, match="no KafkaConnector resource"):
        load_connector_configs(path)
    two = tmp_path / "two.yaml"
    two.write_text(HEAD + "---\n" + HEAD.replace("name: c", "name: d"))
    with pytest.raises(ConfigFileError, match="holds 2 KafkaConnector resources"):
        load_connector_config_file(two)
