"""The MongoDB source's configuration: the official connector's keys, defaults and checks.

Every key of ``com.mongodb.kafka.connect.MongoSourceConnector`` is accepted with its default, so
its configurations (Strimzi ``KafkaConnector`` files included) run unchanged. Deprecated keys keep
working as they do there: ``copy.existing=true`` means ``startup.mode=copy_existing`` unless
``startup.mode`` is set, and each ``copy.existing.*`` key is read only when its
``startup.mode.copy.existing.*`` twin is absent; the connector warns about both, as the original
does. ``mongo.errors.*`` override the framework's ``errors.*`` for the connector's own error
handling in the same way.

Differences, each for a reason: ``startup.mode.copy.existing.max.threads`` defaults to 4 instead
of the machine's processor count (the documented default must not depend on the machine that
generated it, and Python threads gain little beyond that); ``topic.mapper`` and
``output.json.formatter`` accept the official classes only, since Java classes cannot be loaded;
``connection.ssl.*`` take PEM files rather than Java key stores.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from bson import Timestamp

from sluice.api import (
    AbstractConfig,
    ConfigDef,
    ConfigError,
    ConfigType,
    ConfigValue,
    Importance,
    NonEmptyString,
    Range,
    Validator,
    Width,
)
from sluice.connectors.mongodb.json_formatters import JsonFormatter, formatter_for
from sluice.connectors.mongodb.shell_json import (
    ShellJsonError,
    parse_array_of_documents,
    parse_document,
    parse_value,
)
from sluice.connectors.mongodb.source_schemas import (
    DEFAULT_KEY_SCHEMA,
    DEFAULT_VALUE_SCHEMA,
    AvroSchemaError,
    parse_avro_schema,
)
from sluice.connectors.mongodb.topic_mapper import TopicMapper

__all__ = [
    "COLLECTION",
    "CONNECTION_URI",
    "DATABASE",
    "PIPELINE",
    "CopySettings",
    "SourceSettings",
    "StartupMode",
    "parse_operation_time",
    "soft_warnings",
    "source_config_def",
    "validate_source_config",
]

log = logging.getLogger(__name__)

CONNECTION_URI: Final = "connection.uri"
DATABASE: Final = "database"
COLLECTION: Final = "collection"
PIPELINE: Final = "pipeline"
STARTUP_MODE: Final = "startup.mode"
START_AT_OPERATION_TIME: Final = "startup.mode.timestamp.start.at.operation.time"
COPY_EXISTING: Final = "copy.existing"
TOPIC_MAPPER: Final = "topic.mapper"
DEFAULT_TOPIC_MAPPER: Final = "com.mongodb.kafka.connect.source.topic.mapping.DefaultTopicMapper"
DEFAULT_JSON_FORMATTER: Final = "com.mongodb.kafka.connect.source.json.formatter.DefaultJson"
OUTPUT_FORMATS: Final = ("json", "bson", "schema")
FULL_DOCUMENT_VALUES: Final = ("default", "updateLookup", "whenAvailable", "required")
FULL_DOCUMENT_BEFORE_CHANGE_VALUES: Final = ("default", "off", "whenAvailable", "required")
COPY_THREADS_DEFAULT: Final = 4
_CLASS_NAME: Final = re.compile(r"([A-Za-z_$][A-Za-z0-9_$]*\.)*[A-Za-z_$][A-Za-z0-9_$]*")
OPERATION_TIME_FORMAT: Final = (
    "Must be either an integer number of seconds since the Epoch in the decimal format "
    "(example: 30), or an instant in the ISO-8601 format with one second precision (example: "
    "'1970-01-01T00:00:30Z'), or a BSON Timestamp in the canonical extended JSON (v2) format "
    '(example: \'{"$timestamp": {"t": 30, "i": 0}}\').'
)


class StartupMode:
    LATEST: Final = "latest"
    TIMESTAMP: Final = "timestamp"
    COPY_EXISTING: Final = "copy_existing"
    ALL: Final = (LATEST, TIMESTAMP, COPY_EXISTING)


# -- validators -----------------------------------------------------------------------------------
class _Check:
    """A validator from a parse function; ``shown`` is what the docs list as valid values."""

    def __init__(self, shown: str, parse: Callable[[str], object], empty_ok: bool = False) -> None:
        self.shown = shown
        self.parse = parse
        self.empty_ok = empty_ok

    def __call__(self, name: str, value: Any) -> None:
        text = value.value() if hasattr(value, "value") and callable(value.value) else value
        if text is None or (self.empty_ok and text == ""):
            return
        try:
            self.parse(str(text))
        except ConfigError as e:
            raise ConfigError.invalid(name, _shown(name, text), _reason(e)) from None
        except (ShellJsonError, AvroSchemaError, ValueError, re.error) as e:
            raise ConfigError.invalid(name, _shown(name, text), str(e)) from None

    def __str__(self) -> str:
        return ("An empty string OR " if self.empty_ok else "") + self.shown


def _shown(name: str, text: object) -> object:
    return "[hidden]" if name == CONNECTION_URI else text


def _reason(e: ConfigError) -> str:
    text = str(e)
    marker = f"for configuration {e.key}: " if e.key else ""
    return text.split(marker, 1)[1] if marker and marker in text else text


class _Choice:
    """One of ``values`` (case-insensitive unless ``case_sensitive``), or empty if allowed."""

    def __init__(self, values: tuple[str, ...], case_sensitive: bool, empty_ok: bool) -> None:
        self.values = values
        self.case_sensitive = case_sensitive
        self.empty_ok = empty_ok

    def __call__(self, name: str, value: Any) -> None:
        if value is None or (self.empty_ok and value == ""):
            return
        text = str(value) if self.case_sensitive else str(value).lower()
        if text not in self.values:
            raise ConfigError.invalid(
                name,
                value,
                "Invalid enumerator value. Should be one of: [" + ", ".join(self.values) + "]",
            )

    def __str__(self) -> str:
        listed = "[" + ", ".join(self.values) + "]"
        return f"An empty string OR {listed}" if self.empty_ok else listed


def check_connection_string(uri: str) -> None:
    """Parse a MongoDB URI without any network use (``mongodb+srv://`` is not resolved)."""
    from pymongo.errors import ConfigurationError, InvalidURI
    from pymongo.uri_parser import parse_uri

    if not uri.startswith(("mongodb://", "mongodb+srv://")):
        raise ValueError(
            "The connection string is invalid. Connection strings must start with either "
            "'mongodb://' or 'mongodb+srv://'"
        )
    plain = "mongodb://" + uri.split("://", 1)[1] if uri.startswith("mongodb+srv://") else uri
    try:
        parse_uri(plain, validate=True, warn=False)
    except (InvalidURI, ConfigurationError) as e:
        raise ValueError(str(e)) from None


def _regex(text: str) -> None:
    try:
        re.compile(text)
    except re.error as e:
        raise ValueError(f"Invalid regex: {e}") from None


def _server_api_version(text: str) -> None:
    if text != "1":
        raise ValueError(f"No ServerApiVersion found for value {text}")


def _class_name(text: str) -> None:
    if not _CLASS_NAME.fullmatch(text):
        raise ValueError("Does not match expected class pattern.")


def parse_operation_time(text: str) -> Timestamp:
    """``startup.mode.timestamp.start.at.operation.time`` as a BSON timestamp.

    Seconds since the epoch, an ISO-8601 instant (fractions of a second are dropped with a
    warning) or ``{"$timestamp": {"t": ..., "i": ...}}``.
    """
    stripped = text.strip()
    if re.fullmatch(r"[+-]?\d+", stripped):
        seconds = int(stripped)
        if not -(2**31) <= seconds < 2**31:
            raise ValueError(OPERATION_TIME_FORMAT)
        return Timestamp(seconds & 0xFFFFFFFF, 0)
    if re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?Z", stripped):
        moment = dt.datetime.fromisoformat(stripped[:-1] + "+00:00")
        if moment.microsecond:
            log.warning("Trimmed the value %s of `%s` to seconds.", text, START_AT_OPERATION_TIME)
        return Timestamp(int(moment.timestamp()), 0)
    try:
        value = parse_value(stripped)
    except ShellJsonError:
        value = None
    if isinstance(value, Timestamp):
        return value
    raise ValueError(OPERATION_TIME_FORMAT)


def _pipeline(text: str) -> None:
    try:
        parse_array_of_documents(text)
    except ShellJsonError as e:
        raise ValueError(f"Not a valid JSON array ({e})") from None


def _document(text: str) -> None:
    try:
        parse_document(text)
    except ShellJsonError as e:
        raise ValueError(f"Not a valid JSON document ({e})") from None


def _collation(text: str) -> None:
    collation_options(text)


def _avro(text: str) -> None:
    parse_avro_schema(text)


# -- the definition ----------------------------------------------------------------------------
def source_config_def() -> ConfigDef:
    d = ConfigDef()

    def group(name: str) -> Callable[..., None]:
        order = iter(range(1, 100))

        def add(
            key: str,
            type: ConfigType,
            default: Any,
            validator: Validator | None,
            importance: Importance,
            doc: str,
            display: str,
            width: Width = Width.MEDIUM,
        ) -> None:
            d.define(
                key,
                type,
                default,
                validator,
                importance,
                doc,
                group=name,
                order_in_group=next(order),
                width=width,
                display_name=display,
            )

        return add

    add = group("Connection")
    add(
        CONNECTION_URI,
        ConfigType.PASSWORD,
        "mongodb://localhost:27017,localhost:27018,localhost:27019",
        _Check("A valid connection string", check_connection_string),
        Importance.HIGH,
        "The connection URI as supported by the official drivers, for example "
        "`mongodb://user:pass@localhost/`. Its hosts also name the default offset partition.",
        "MongoDB Connection URI",
    )
    add(
        DATABASE,
        ConfigType.STRING,
        "",
        None,
        Importance.MEDIUM,
        "The database to watch. If not set then all databases will be watched.",
        "The database to watch.",
    )
    add(
        COLLECTION,
        ConfigType.STRING,
        "",
        None,
        Importance.MEDIUM,
        "The collection in the database to watch. If not set then all collections will be "
        "watched. Requires `database`.",
        "The collection to watch.",
    )

    add = group("Server Api")
    add(
        "server.api.version",
        ConfigType.STRING,
        "",
        _Check("A valid server version", _server_api_version, empty_ok=True),
        Importance.MEDIUM,
        "The server API version to use (`1`). Disabled by default.",
        "The server API version.",
    )
    add(
        "server.api.deprecation.errors",
        ConfigType.BOOLEAN,
        False,
        None,
        Importance.MEDIUM,
        "Sets whether the connector requires use of deprecated server APIs to be reported as "
        "errors.",
        "Deprecation errors",
    )
    add(
        "server.api.strict",
        ConfigType.BOOLEAN,
        False,
        None,
        Importance.MEDIUM,
        "Sets whether the application requires strict server API version enforcement.",
        "Strict",
    )

    add = group("SSL")
    for key, kind, doc, display in (
        (
            "connection.ssl.truststore",
            ConfigType.STRING,
            "A trust store (CA certificates) for TLS connections: a PEM file in sluice; the "
            "`tlsCAFile` option of the URI does the same.",
            "SSL TrustStore",
        ),
        (
            "connection.ssl.truststorePassword",
            ConfigType.PASSWORD,
            "The trust store's password (unused for PEM files).",
            "SSL TrustStore Password",
        ),
        (
            "connection.ssl.keystore",
            ConfigType.STRING,
            "A key store (client certificate and key) for TLS connections: a PEM file in sluice, "
            "as the URI's `tlsCertificateKeyFile`.",
            "SSL KeyStore",
        ),
        (
            "connection.ssl.keystorePassword",
            ConfigType.PASSWORD,
            "The password of the key store's private key.",
            "SSL KeyStore Password",
        ),
    ):
        add(key, kind, "", None, Importance.MEDIUM, doc, display, Width.LONG)

    add = group("Change stream")
    add(
        PIPELINE,
        ConfigType.STRING,
        "[]",
        _Check("A valid JSON array", _pipeline),
        Importance.MEDIUM,
        "An inline JSON array with objects describing the pipeline operations to run on the "
        "change stream (and on the documents copied by `startup.mode=copy_existing`). Example: "
        '`[{"$match": {"operationType": "insert"}}, {"$addFields": {"Kafka": "Rules!"}}]`.',
        "The pipeline to apply to the change stream",
    )
    add(
        "batch.size",
        ConfigType.INT,
        0,
        Range.at_least(0),
        Importance.MEDIUM,
        "The cursor batch size (0: the server's default).",
        "The cursor batch size",
    )
    add(
        "publish.full.document.only",
        ConfigType.BOOLEAN,
        False,
        None,
        Importance.HIGH,
        "Only publish the changed document (`fullDocument`) rather than the whole change event; "
        "sets `change.stream.full.document=updateLookup` so updates carry the document. Events "
        "without a document (deletes) are skipped.",
        "Publish only the `fullDocument` field",
    )
    add(
        "publish.full.document.only.tombstone.on.delete",
        ConfigType.BOOLEAN,
        False,
        None,
        Importance.MEDIUM,
        "Send a null value (a tombstone) for events without a document, deletes above all. "
        "Requires publish.full.document.only=true.",
        "Send a null value on a delete event. Requires publish.full.document.only=true.",
    )
    add(
        "change.stream.document.key.as.key",
        ConfigType.BOOLEAN,
        True,
        None,
        Importance.MEDIUM,
        'Use the event\'s `documentKey` (`{"_id": ...}`) as the record key; events without '
        'one, and `false`, key records by the resume token (`{"_id": <token>}`).',
        "Use the `documentKey` for the source record key",
    )
    add(
        "change.stream.full.document.before.change",
        ConfigType.STRING,
        "",
        _Choice(FULL_DOCUMENT_BEFORE_CHANGE_VALUES, True, True),
        Importance.HIGH,
        "The pre-image setting of the change stream (`fullDocumentBeforeChange`; MongoDB 6.0 "
        "and later). Copied documents never carry a pre-image.",
        "The `fullDocumentBeforeChange` configuration.",
    )
    add(
        "change.stream.full.document",
        ConfigType.STRING,
        "",
        _Choice(FULL_DOCUMENT_VALUES, True, True),
        Importance.HIGH,
        "What update events carry (`fullDocument`): `updateLookup` adds the whole document as "
        "it is some time after the change.",
        "The `fullDocument` configuration.",
    )
    add(
        "change.stream.show.expanded.events",
        ConfigType.BOOLEAN,
        False,
        None,
        Importance.MEDIUM,
        "Whether the change stream reports DDL events such as createIndexes (MongoDB 6.0 and "
        "later), and `updateDescription.disambiguatedPaths` (6.1).",
        "The `showExpandedEvents` configuration.",
    )
    add(
        "collation",
        ConfigType.STRING,
        "",
        _Check("A valid JSON document representing a collation", _collation, empty_ok=True),
        Importance.HIGH,
        "The collation of the change stream, as a JSON document "
        '(`{"locale": "fr", "strength": 1}`).',
        "The collation options",
    )
    add(
        "poll.max.batch.size",
        ConfigType.INT,
        1000,
        Range.at_least(1),
        Importance.LOW,
        "Maximum number of change stream documents to include in a single batch when polling "
        "for new data; bounds what the task buffers.",
        "The maximum batch size",
    )
    add(
        "poll.await.time.ms",
        ConfigType.LONG,
        5000,
        Range.at_least(1),
        Importance.LOW,
        "The maximum amount of time in milliseconds the server waits for new data changes to "
        "report to the change stream cursor before returning an empty batch. sluice waits at "
        "most one second at a time, so that pausing and stopping take effect promptly.",
        "Poll await time (ms)",
    )

    add = group("Topic mapping")
    add(
        TOPIC_MAPPER,
        ConfigType.STRING,
        DEFAULT_TOPIC_MAPPER,
        _Check("A string matching `" + _CLASS_NAME.pattern + "`", _class_name),
        Importance.HIGH,
        "The class that determines the topic of each event; sluice provides the default one "
        "(`ns` of the event, with `topic.prefix`, `topic.suffix` and `topic.namespace.map`).",
        "The topic mapper class",
        Width.LONG,
    )
    add(
        "topic.separator",
        ConfigType.STRING,
        ".",
        None,
        Importance.LOW,
        "Separator joining prefix, database, collection and suffix in topic names.",
        "The topic separator",
    )
    add(
        "topic.prefix",
        ConfigType.STRING,
        "",
        None,
        Importance.LOW,
        "Prefix prepended (with the separator) to topic names.",
        "The topic prefix",
    )
    add(
        "topic.suffix",
        ConfigType.STRING,
        "",
        None,
        Importance.LOW,
        "Suffix appended (with the separator) to topic names.",
        "The topic suffix",
    )
    add(
        "topic.namespace.map",
        ConfigType.STRING,
        "",
        _Check("A valid JSON document", _document, empty_ok=True),
        Importance.HIGH,
        "A JSON object mapping namespaces to topic names, matched in this order: "
        '`"db.coll": "topic"`, `"db": "name"` (gives `name<sep><coll>`), regexes '
        '(`"/db\\\\..*": "t{sep_coll}"`, with the variables db, sep, coll, sep_coll, coll_sep, '
        'sep_coll_sep) in the order written, then the wildcard `"*"`. Prefix and suffix still '
        "apply.",
        "The namespace to topic map",
    )

    add = group("Schema")
    add(
        "output.format.key",
        ConfigType.STRING,
        "json",
        _Choice(OUTPUT_FORMATS, False, False),
        Importance.HIGH,
        "The key's format: `json` (a JSON string), `bson` (BSON bytes) or `schema` (a Struct "
        "shaped by `output.schema.key`).",
        "The key output format",
    )
    add(
        "output.format.value",
        ConfigType.STRING,
        "json",
        _Choice(OUTPUT_FORMATS, False, False),
        Importance.HIGH,
        "The value's format: `json` (a JSON string), `bson` (BSON bytes) or `schema` (a Struct "
        "shaped by `output.schema.value`, or inferred).",
        "The value output format",
    )
    add(
        "output.schema.infer.value",
        ConfigType.BOOLEAN,
        False,
        None,
        Importance.MEDIUM,
        "Infer the value's schema from each document on its own (documents may get different "
        "schemas). Only with output.format.value=schema.",
        "Enable Infer Schemas for the value",
    )
    add(
        "output.schema.key",
        ConfigType.STRING,
        DEFAULT_KEY_SCHEMA,
        _Check("A valid Avro schema definition", _avro),
        Importance.HIGH,
        "The Avro schema of the key with output.format.key=schema.",
        "The Avro schema definition for the key.",
    )
    add(
        "output.schema.value",
        ConfigType.STRING,
        DEFAULT_VALUE_SCHEMA,
        _Check("A valid Avro schema definition", _avro),
        Importance.HIGH,
        "The Avro schema of the value with output.format.value=schema.",
        "The Avro schema definition for the value.",
    )
    add(
        "output.json.formatter",
        ConfigType.STRING,
        DEFAULT_JSON_FORMATTER,
        _Check("A string matching `" + _CLASS_NAME.pattern + "`", _class_name),
        Importance.MEDIUM,
        "How JSON strings are written: `...formatter.DefaultJson` (legacy strict JSON), "
        "`...formatter.ExtendedJson` (canonical Extended JSON) or `...formatter.SimplifiedJson` "
        "(ObjectIds, dates, decimals and binary as plain strings).",
        "The json formatter class",
    )

    add = group("Startup")
    add(
        STARTUP_MODE,
        ConfigType.STRING,
        "",
        _Choice(StartupMode.ALL, False, True),
        Importance.MEDIUM,
        "How the task starts when it has no offset: `latest` (the default; new changes only), "
        "`timestamp` (from `startup.mode.timestamp.start.at.operation.time`) or `copy_existing` "
        "(copy every document of the watched collections as insert events, then follow the "
        "changes from where the stream was when the copy began). Replaces `copy.existing`.",
        "The start up behavior when there is no source offset available.",
    )
    add(
        START_AT_OPERATION_TIME,
        ConfigType.STRING,
        "",
        _Check("A BSON timestamp", parse_operation_time, empty_ok=True),
        Importance.MEDIUM,
        "With startup.mode=timestamp: where the change stream starts. " + OPERATION_TIME_FORMAT,
        "The `startAtOperationTime` configuration.",
    )
    copy_docs = (
        ("max.threads", ConfigType.INT, COPY_THREADS_DEFAULT, Range.at_least(1),
         "How many collections are copied at the same time.",
         "Copy existing max number of threads"),
        ("queue.size", ConfigType.INT, 16000, Range.at_least(1),
         "The max size of the queue of copied documents waiting to be sent.",
         "Copy existing queue size"),
        ("pipeline", ConfigType.STRING, "", _Check("A valid JSON array", _pipeline, True),
         "Pipeline stages run on each collection's documents before they become insert events, "
         'to filter with indexes (`[{"$match": {"closed": false}}]`).',
         "Copy existing initial pipeline"),
        ("namespace.regex", ConfigType.STRING, "", _Check("A valid regex", _regex, True),
         "Copy only the namespaces (`database.collection`) in which this regular expression "
         "finds a match, for example `demo\\.a.*`.",
         "Copy existing namespace regex"),
        ("allow.disk.use", ConfigType.BOOLEAN, True, None,
         "Let the copying aggregation write temporary files on the server.",
         "Copy existing allow disk use with the copying aggregation"),
    )  # fmt: skip
    for suffix, kind, default, validator, doc, display in copy_docs:
        add(
            f"startup.mode.copy.existing.{suffix}",
            kind,
            default,
            validator,
            Importance.MEDIUM,
            doc,
            display,
        )
    add(
        COPY_EXISTING,
        ConfigType.BOOLEAN,
        False,
        None,
        Importance.MEDIUM,
        "Deprecated, use 'startup.mode = copy_existing' instead (startup.mode wins when both are "
        "set). Copy the existing documents before following the changes.",
        "Copy existing data",
    )
    for suffix, kind, default, validator, doc, display in copy_docs:
        add(
            f"copy.existing.{suffix}",
            kind,
            default,
            validator,
            Importance.MEDIUM,
            f"Deprecated, use 'startup.mode.copy.existing.{suffix}' instead (which wins when "
            "both are set). " + doc,
            display,
        )

    add = group("Errors")
    for key, override in (
        ("errors.tolerance", False),
        ("mongo.errors.tolerance", True),
    ):
        add(
            key,
            ConfigType.STRING,
            "none",
            _Choice(("none", "all"), False, False),
            Importance.MEDIUM,
            (
                "Overrides errors.tolerance for the connector's own error handling. "
                if override
                else ""
            )
            + "'none' fails the task on the first event that cannot be converted; 'all' skips "
            "it (or sends it to the dead letter queue), and restarts a change stream whose "
            "resume token is gone.",
            "Error Tolerance",
            Width.SHORT,
        )
    for key, override in (("errors.log.enable", False), ("mongo.errors.log.enable", True)):
        add(
            key,
            ConfigType.BOOLEAN,
            False,
            None,
            Importance.MEDIUM,
            ("Overrides errors.log.enable for the connector. " if override else "")
            + "Log each tolerated error with the event it concerns.",
            "Log Errors",
            Width.SHORT,
        )
    for key, override in (
        ("errors.deadletterqueue.topic.name", False),
        ("mongo.errors.deadletterqueue.topic.name", True),
    ):
        add(
            key,
            ConfigType.STRING,
            "",
            None,
            Importance.MEDIUM,
            ("Overrides errors.deadletterqueue.topic.name for the connector. " if override else "")
            + "With errors.tolerance=all, events the connector cannot convert are sent to this "
            "topic as extended JSON strings (key and value) instead of being dropped.",
            "Output errors to the dead letter queue",
            Width.SHORT,
        )
    add(
        "heartbeat.interval.ms",
        ConfigType.LONG,
        0,
        Range.at_least(0),
        Importance.MEDIUM,
        "How often to send a heartbeat record carrying the change stream's latest resume token "
        "when no events arrive, so a quiet namespace's offset keeps moving. 0 disables.",
        "Heartbeat interval",
    )
    add(
        "heartbeat.topic.name",
        ConfigType.STRING,
        "__mongodb_heartbeats",
        NonEmptyString(),
        Importance.MEDIUM,
        "The topic heartbeats go to.",
        "The heartbeat topic name",
    )

    add = group("Partition")
    add(
        "offset.partition.name",
        ConfigType.STRING,
        "",
        None,
        Importance.MEDIUM,
        'A custom offset partition name (`{"ns": <name>}`). Blank: '
        "`mongodb://<hosts>/<database>[.<collection>]` from the connection details. A new "
        "name starts the connector afresh.",
        "Offset partition name",
        Width.SHORT,
    )
    d.define_internal("provider", ConfigType.STRING, "")
    return d


# -- parsed settings ------------------------------------------------------------------------------
def collation_options(text: str) -> dict[str, Any] | None:
    """The collation document for pymongo, checked field by field as the Java driver's builder."""
    if not text.strip():
        return None
    try:
        doc = parse_document(text)
    except ShellJsonError as e:
        raise ValueError(f"Not a valid JSON document ({e})") from None
    types: dict[str, type | tuple[type, ...]] = {
        "locale": str,
        "caseLevel": bool,
        "caseFirst": str,
        "strength": int,
        "numericOrdering": bool,
        "alternate": str,
        "maxVariable": str,
        "normalization": bool,
        "backwards": bool,
    }
    out: dict[str, Any] = {}
    for key, wanted in types.items():
        if key in doc:
            value = doc[key]
            if not isinstance(value, wanted) or (wanted is int and isinstance(value, bool)):
                raise ValueError(f"'{key}' has the wrong type: {value!r}")
            out[key] = value
    return out


@dataclass(frozen=True)
class CopySettings:
    """The ``startup.mode.copy.existing.*`` settings (or their deprecated twins)."""

    max_threads: int
    queue_size: int
    pipeline: list[dict[str, Any]]
    namespace_regex: str
    allow_disk_use: bool


@dataclass(frozen=True)
class SourceSettings:
    """The parsed source configuration, typed; durations in float seconds."""

    uri: str
    database: str
    collection: str
    server_api_version: str
    server_api_strict: bool
    server_api_deprecation_errors: bool
    truststore: str
    keystore: str
    keystore_password: str
    pipeline: list[dict[str, Any]]
    batch_size: int
    publish_full_document_only: bool
    tombstone_on_delete: bool
    document_key_as_key: bool
    full_document: str | None
    full_document_before_change: str | None
    show_expanded_events: bool
    collation: dict[str, Any] | None
    poll_max_batch_size: int
    poll_await_time: float
    topic_separator: str
    topic_prefix: str
    topic_suffix: str
    topic_namespace_map: str
    key_format: str
    value_format: str
    infer_value_schema: bool
    key_schema: str
    value_schema: str
    json_formatter: JsonFormatter
    startup_mode: str
    start_at_operation_time: Timestamp | None
    copy: CopySettings
    tolerate_errors: bool
    log_errors: bool
    dlq_topic: str
    heartbeat_interval: float
    heartbeat_topic: str
    offset_partition_name: str

    @classmethod
    def parse(cls, props: Mapping[str, str]) -> SourceSettings:
        """Parse and check ``props``; :class:`ConfigError` naming the key at fault."""
        cfg = AbstractConfig(source_config_def(), props)
        originals = cfg.originals()

        def pick(new: str, old: str) -> str:
            return new if new in originals else old

        def text(key: str) -> str:
            return cfg.get_string(key) or ""

        def password(key: str) -> str:
            value = cfg.get_password(key)
            return value.value() if value is not None else ""

        database, collection = text(DATABASE), text(COLLECTION)
        if collection and not database:
            raise ConfigError.invalid(
                COLLECTION, collection, f"Missing database configuration `{DATABASE}`"
            )
        mapper = text(TOPIC_MAPPER)
        if mapper != DEFAULT_TOPIC_MAPPER:
            raise ConfigError.invalid(
                TOPIC_MAPPER,
                mapper,
                f"sluice provides {DEFAULT_TOPIC_MAPPER} only (Java classes cannot be loaded)",
            )
        TopicMapper(  # raises ConfigError naming topic.namespace.map when it is wrong
            text("topic.prefix"),
            text("topic.suffix"),
            text("topic.separator"),
            text("topic.namespace.map"),
        )
        formatter = formatter_for(text("output.json.formatter"))
        mode = text(STARTUP_MODE).lower()
        if not mode:
            mode = (
                StartupMode.COPY_EXISTING if cfg.get_boolean(COPY_EXISTING) else StartupMode.LATEST
            )
        start_at = None
        if mode == StartupMode.TIMESTAMP and text(START_AT_OPERATION_TIME):
            start_at = parse_operation_time(text(START_AT_OPERATION_TIME))
        new, old = "startup.mode.copy.existing", "copy.existing"
        copy_pipeline_text = text(pick(f"{new}.pipeline", f"{old}.pipeline"))
        copy = CopySettings(
            max_threads=cfg.get_int(pick(f"{new}.max.threads", f"{old}.max.threads")),
            queue_size=cfg.get_int(pick(f"{new}.queue.size", f"{old}.queue.size")),
            pipeline=parse_array_of_documents(copy_pipeline_text) if copy_pipeline_text else [],
            namespace_regex=text(pick(f"{new}.namespace.regex", f"{old}.namespace.regex")),
            allow_disk_use=cfg.get_boolean(pick(f"{new}.allow.disk.use", f"{old}.allow.disk.use")),
        )
        publish_only = cfg.get_boolean("publish.full.document.only")
        tolerance = text(pick("mongo.errors.tolerance", "errors.tolerance")).lower()
        tolerate = tolerance == "all"
        log_enable = cfg.get_boolean(pick("mongo.errors.log.enable", "errors.log.enable"))
        pipeline_text = text(PIPELINE)
        return cls(
            uri=password(CONNECTION_URI),
            database=database,
            collection=collection,
            server_api_version=text("server.api.version"),
            server_api_strict=cfg.get_boolean("server.api.strict"),
            server_api_deprecation_errors=cfg.get_boolean("server.api.deprecation.errors"),
            truststore=text("connection.ssl.truststore").strip(),
            keystore=text("connection.ssl.keystore").strip(),
            keystore_password=password("connection.ssl.keystorePassword").strip(),
            pipeline=parse_array_of_documents(pipeline_text) if pipeline_text else [],
            batch_size=cfg.get_int("batch.size"),
            publish_full_document_only=publish_only,
            tombstone_on_delete=publish_only
            and cfg.get_boolean("publish.full.document.only.tombstone.on.delete"),
            document_key_as_key=cfg.get_boolean("change.stream.document.key.as.key"),
            full_document="updateLookup"
            if publish_only
            else (text("change.stream.full.document") or None),
            full_document_before_change=text("change.stream.full.document.before.change") or None,
            show_expanded_events=cfg.get_boolean("change.stream.show.expanded.events"),
            collation=collation_options(text("collation")),
            poll_max_batch_size=cfg.get_int("poll.max.batch.size"),
            poll_await_time=cfg.get_long("poll.await.time.ms") / 1000.0,
            topic_separator=text("topic.separator"),
            topic_prefix=text("topic.prefix"),
            topic_suffix=text("topic.suffix"),
            topic_namespace_map=text("topic.namespace.map"),
            key_format=text("output.format.key").lower(),
            value_format=text("output.format.value").lower(),
            infer_value_schema=cfg.get_boolean("output.schema.infer.value"),
            key_schema=text("output.schema.key"),
            value_schema=text("output.schema.value"),
            json_formatter=formatter,
            startup_mode=mode,
            start_at_operation_time=start_at,
            copy=copy,
            tolerate_errors=tolerate,
            log_errors=not tolerate or log_enable,
            dlq_topic=text(pick("mongo.errors.deadletterqueue.topic.name", DLQ_TOPIC)),
            heartbeat_interval=cfg.get_long("heartbeat.interval.ms") / 1000.0,
            heartbeat_topic=text("heartbeat.topic.name"),
            offset_partition_name=text("offset.partition.name"),
        )

    def topic_mapper(self) -> TopicMapper:
        """A new topic mapper (each task owns one: it caches per namespace)."""
        return TopicMapper(
            self.topic_prefix, self.topic_suffix, self.topic_separator, self.topic_namespace_map
        )


DLQ_TOPIC: Final = "errors.deadletterqueue.topic.name"

_DEPRECATED: Final = {
    COPY_EXISTING: (
        STARTUP_MODE,
        " 'copy.existing = false' / 'copy.existing = true' should be replaced with "
        "'startup.mode = latest' / 'startup.mode = copy_existing'. All `copy.existing.*` "
        "properties should be replaced with the corresponding `startup.mode.copy.existing.*` "
        "properties.",
    ),
    **{
        f"copy.existing.{s}": (f"startup.mode.copy.existing.{s}", "")
        for s in ("max.threads", "queue.size", "pipeline", "namespace.regex", "allow.disk.use")
    },
}
_INCOMPATIBLE: Final = (
    (STARTUP_MODE, "", COPY_EXISTING, "false"),
    *(
        (f"startup.mode.copy.existing.{s}", d, f"copy.existing.{s}", d)
        for s, d in (
            ("max.threads", str(COPY_THREADS_DEFAULT)),
            ("queue.size", "16000"),
            ("pipeline", ""),
            ("namespace.regex", ""),
            ("allow.disk.use", "true"),
        )
    ),
)


def soft_warnings(props: Mapping[str, str]) -> list[str]:
    """The official connector's warnings about deprecated keys and keys that cancel others."""
    out: list[str] = []
    for key in props:
        if key in _DEPRECATED:
            replacement, extra = _DEPRECATED[key]
            out.append(
                f"The configuration property '{key}' is deprecated. Use '{replacement}' instead."
                + extra
            )
    for first, first_default, second, second_default in _INCOMPATIBLE:
        if (
            first in props
            and props[first] != first_default
            and second in props
            and props[second] != second_default
        ):
            out.append(
                f"Configuration property '{first}' is incompatible with '{second}'. "
                "The latter is ignored."
            )
    return out


def validate_source_config(props: Mapping[str, str]) -> list[ConfigValue]:
    """Per-key validation, then the cross-key rules reported on the keys they concern."""
    for warning in soft_warnings(props):
        log.warning(warning)
    values = source_config_def().validate(props)
    if any(v.errors for v in values):
        return values  # as the original: cross-key checks only once every key parses
    by_name = {v.name: v for v in values}
    try:
        SourceSettings.parse(props)
    except ConfigError as e:
        target = by_name.get(e.key or CONNECTION_URI) or by_name[CONNECTION_URI]
        target.add_error(str(e))
    return values
