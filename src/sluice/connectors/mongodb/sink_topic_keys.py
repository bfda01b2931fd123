"""The keys a MongoDB sink topic may override, defined as the official connector defines them.

Names, types, defaults, groups and validators follow ``MongoSinkTopicConfig``; the
documentation is sluice's. :mod:`~sluice.connectors.mongodb.sink_topic_config` parses them into
:class:`~sluice.connectors.mongodb.sink_topic_config.TopicSettings`; the connector's own
definition (:mod:`~sluice.connectors.mongodb.sink_config`) adds them after its connection keys.
"""

from __future__ import annotations

import enum
import re
from typing import Any, Final

from sluice.api import ConfigDef, ConfigError, ConfigType, Importance, Range, Width
from sluice.connectors.mongodb.config_json import parse_json_array

__all__ = [
    "DEFAULT_DELETE_WRITE_MODEL",
    "DEFAULT_ID_STRATEGY",
    "DEFAULT_NAMESPACE_MAPPER",
    "DEFAULT_POST_PROCESSOR",
    "DEFAULT_TIME_FORMAT",
    "DEFAULT_WRITE_MODEL",
    "ErrorTolerance",
    "FieldProjectionType",
    "UuidFormat",
    "add_topic_keys",
]

_STRATEGY_PACKAGE: Final = "com.mongodb.kafka.connect.sink"
DEFAULT_ID_STRATEGY: Final = f"{_STRATEGY_PACKAGE}.processor.id.strategy.BsonOidStrategy"
DEFAULT_WRITE_MODEL: Final = f"{_STRATEGY_PACKAGE}.writemodel.strategy.DefaultWriteModelStrategy"
DEFAULT_DELETE_WRITE_MODEL: Final = (
    f"{_STRATEGY_PACKAGE}.writemodel.strategy.DeleteOneDefaultStrategy"
)
DEFAULT_POST_PROCESSOR: Final = f"{_STRATEGY_PACKAGE}.processor.DocumentIdAdder"
DEFAULT_NAMESPACE_MAPPER: Final = f"{_STRATEGY_PACKAGE}.namespace.mapping.DefaultNamespaceMapper"

DEFAULT_TIME_FORMAT: Final = (
    "yyyy-MM-dd[['T'][ ]][HH:mm:ss[[.][SSSSSS][SSS]][ ]VV[ ]'['VV']'][HH:mm:ss[[.][SSSSSS][SSS]]"
    "[ ]X][HH:mm:ss[[.][SSSSSS][SSS]]]"
)
"""The official default pattern: ISO-8601 date-times, with or without zone."""

_JAVA_CLASS_NAME: Final = re.compile(r"([A-Za-z_$][A-Za-z0-9_$]*\.)*[A-Za-z_$][A-Za-z0-9_$]*")


class FieldProjectionType(enum.Enum):
    """``*.projection.type``: the deprecated names are synonyms of the current ones."""

    NONE = "none"
    BLACKLIST = "blacklist"
    WHITELIST = "whitelist"
    ALLOWLIST = "allowlist"
    BLOCKLIST = "blocklist"

    @property
    def allows(self) -> bool:
        return self in (FieldProjectionType.ALLOWLIST, FieldProjectionType.WHITELIST)

    @property
    def blocks(self) -> bool:
        return self in (FieldProjectionType.BLOCKLIST, FieldProjectionType.BLACKLIST)


class ErrorTolerance(enum.Enum):
    """``none`` fails the task; ``data`` skips records the sink cannot turn into writes (and
    write errors the server reports per record) but fails on anything else; ``all`` skips both."""

    NONE = "none"
    DATA = "data"
    ALL = "all"


class UuidFormat(enum.Enum):
    STRING = "string"
    BINARY = "binary"


class _Enum:
    """Case-insensitive choice among an enum's values (the official connector's validator)."""

    def __init__(self, values: list[str], allow_empty: bool = False) -> None:
        self.values = values
        self.allow_empty = allow_empty

    def __call__(self, name: str, value: Any) -> None:
        text = "" if value is None else str(value)
        if self.allow_empty and not text:
            return
        if text.lower() not in self.values:
            raise ConfigError.invalid(
                name,
                value,
                f"Invalid enumerator value. Should be one of: [{', '.join(self.values)}]",
            )

    def __str__(self) -> str:
        return "[" + ", ".join(self.values) + "]"


class _ClassName:
    """A (Java) fully qualified class name, optionally empty; one name or a list of them."""

    def __init__(self, allow_empty: bool = False) -> None:
        self.allow_empty = allow_empty

    def __call__(self, name: str, value: Any) -> None:
        names = value if isinstance(value, list) else [value]
        for one in names:
            text = "" if one is None else str(one)
            if self.allow_empty and not text:
                continue
            if not _JAVA_CLASS_NAME.fullmatch(text):
                raise ConfigError.invalid(name, value, "Does not match expected class pattern.")

    def __str__(self) -> str:
        return "A class name" + (" or empty" if self.allow_empty else "")


class _JsonArray:
    """An inline JSON array (the renamer settings); checked as the renamers will read it."""

    def __call__(self, name: str, value: Any) -> None:
        parse_json_array(name, "" if value is None else str(value))

    def __str__(self) -> str:
        return "A valid JSON array"


class _NonEmpty:
    def __call__(self, name: str, value: Any) -> None:
        if value is None or not str(value):
            raise ConfigError.invalid(name, value, "String must be non-empty")

    def __str__(self) -> str:
        return "non-empty string"


_PROJECTION = _Enum([t.value for t in FieldProjectionType])
_TOLERANCE = _Enum([t.value for t in ErrorTolerance])

NAMESPACE: Final = "Namespace"
NAMESPACE_MAPPING: Final = "Namespace mapping"
WRITES: Final = "Writes"
POST_PROCESSING: Final = "Post Processing"
FIELD_VALUE_TRANSFORMATION: Final = "Field Value Transformation"
ID_STRATEGIES: Final = "Id Strategies"
ERRORS: Final = "Errors"
CHANGE_DATA_CAPTURE: Final = "Change Data Capture"
TIME_SERIES: Final = "Time series"


def add_topic_keys(d: ConfigDef) -> ConfigDef:
    """Define every key a topic may override on ``d`` (the connector's definition reuses them)."""
    order = iter(range(1, 100))
    d.define(
        "database",
        ConfigType.STRING,
        validator=_NonEmpty(),
        importance=Importance.HIGH,
        documentation="The database the sink writes to; MongoDB creates it with the first write.",
        group=NAMESPACE,
        order_in_group=next(order),
        width=Width.MEDIUM,
        display_name="The MongoDB database name.",
    )
    d.define(
        "collection",
        ConfigType.STRING,
        "",
        importance=Importance.HIGH,
        documentation="The collection records are written to; empty: the record's topic name.",
        group=NAMESPACE,
        order_in_group=next(order),
        width=Width.MEDIUM,
        display_name="The default MongoDB collection name",
    )
    order = iter(range(1, 100))
    d.define(
        "namespace.mapper",
        ConfigType.STRING,
        DEFAULT_NAMESPACE_MAPPER,
        _ClassName(),
        Importance.HIGH,
        "How the destination database and collection are chosen: DefaultNamespaceMapper uses "
        "database and collection; FieldPathNamespaceMapper reads them from a key or value "
        "field (the namespace.mapper.* keys).",
        group=NAMESPACE_MAPPING,
        order_in_group=next(order),
        width=Width.LONG,
        display_name="The namespace mapper class",
    )
    for where in ("key", "value"):
        for what in ("database", "collection"):
            d.define(
                f"namespace.mapper.{where}.{what}.field",
                ConfigType.STRING,
                "",
                importance=Importance.MEDIUM,
                documentation=f"For FieldPathNamespaceMapper: the {where} field (a dotted path) "
                f"whose string value names the {what}.",
                group=NAMESPACE_MAPPING,
                order_in_group=next(order),
                width=Width.MEDIUM,
                display_name=f"The {where} field to use as the destination {what} name.",
            )
    d.define(
        "namespace.mapper.error.if.invalid",
        ConfigType.BOOLEAN,
        False,
        importance=Importance.MEDIUM,
        documentation="For FieldPathNamespaceMapper: a missing or non-string field is an error "
        "instead of falling back to database/collection.",
        group=NAMESPACE_MAPPING,
        order_in_group=next(order),
        width=Width.MEDIUM,
        display_name="Throw an error if the mapped field is missing or invalid.",
    )
    order = iter(range(1, 100))
    d.define(
        "delete.on.null.values",
        ConfigType.BOOLEAN,
        False,
        importance=Importance.MEDIUM,
        documentation="Tombstones (null values) delete the document the key identifies (needs "
        "a key-based document.id.strategy: FullKey, PartialKey or ProvidedInKey).",
        group=WRITES,
        order_in_group=next(order),
        width=Width.MEDIUM,
        display_name="Delete on null values",
    )
    d.define(
        "writemodel.strategy",
        ConfigType.STRING,
        DEFAULT_WRITE_MODEL,
        _ClassName(),
        Importance.LOW,
        "How a record's document becomes a write: ReplaceOneDefaultStrategy (upsert by _id, the "
        "default), ReplaceOneBusinessKeyStrategy, UpdateOneTimestampsStrategy, "
        "UpdateOneBusinessKeyTimestampStrategy, UpdateOneDefaultStrategy, "
        "InsertOneDefaultStrategy, DeleteOneDefaultStrategy, DeleteOneBusinessKeyStrategy.",
        group=WRITES,
        order_in_group=next(order),
        width=Width.MEDIUM,
        display_name="The writeModel strategy",
    )
    d.define(
        "delete.writemodel.strategy",
        ConfigType.STRING,
        DEFAULT_DELETE_WRITE_MODEL,
        _ClassName(),
        Importance.LOW,
        "How a tombstone becomes a delete when delete.on.null.values is true.",
        group=WRITES,
        order_in_group=next(order),
        width=Width.MEDIUM,
        display_name="The delete writeModel strategy",
    )
    d.define(
        "max.batch.size",
        ConfigType.INT,
        0,
        Range.at_least(0),
        Importance.MEDIUM,
        "Most records written in one bulk write (0: all of a put's consecutive records for one "
        "namespace).",
        group=WRITES,
        order_in_group=next(order),
        width=Width.MEDIUM,
        display_name="The maximum batch size",
    )
    d.define(
        "bulk.write.ordered",
        ConfigType.BOOLEAN,
        True,
        importance=Importance.MEDIUM,
        documentation="Ordered bulk writes stop at the first failed write; unordered ones try "
        "every write of the batch.",
        group=WRITES,
        order_in_group=next(order),
        width=Width.MEDIUM,
        display_name="Use ordered bulk writes",
    )
    d.define(
        "rate.limiting.timeout",
        ConfigType.INT,
        0,
        Range.at_least(0),
        Importance.LOW,
        "Milliseconds to pause after every rate.limiting.every.n bulk writes.",
        group=WRITES,
        order_in_group=next(order),
        width=Width.MEDIUM,
        display_name="The rate limiting timeout",
    )
    d.define(
        "rate.limiting.every.n",
        ConfigType.INT,
        0,
        Range.at_least(0),
        Importance.LOW,
        "Bulk writes between pauses of rate.limiting.timeout (0: no rate limiting).",
        group=WRITES,
        order_in_group=next(order),
        width=Width.MEDIUM,
        display_name="The rate limiting batch number",
    )
    d.define(
        "max.num.retries",
        ConfigType.INT,
        1,
        Range.at_least(0),
        Importance.MEDIUM,
        "How often a bulk write that failed because the server could not be reached (lost "
        "connection, no primary, timeout) is tried again before the failure is handled as "
        "errors.tolerance says. Offsets stay behind the written data meanwhile. (The current "
        "official connector ignores this key and leaves retries to the driver.)",
        group=WRITES,
        order_in_group=next(order),
        width=Width.MEDIUM,
        display_name="Max number of retries",
    )
    d.define(
        "retries.defer.timeout",
        ConfigType.INT,
        5000,
        Range.at_least(0),
        Importance.MEDIUM,
        "Milliseconds to wait before retrying a failed bulk write (see max.num.retries).",
        group=WRITES,
        order_in_group=next(order),
        width=Width.MEDIUM,
        display_name="Retry defer timeout",
    )
    order = iter(range(1, 100))
    d.define(
        "post.processor.chain",
        ConfigType.LIST,
        DEFAULT_POST_PROCESSOR,
        _ClassName(),
        Importance.LOW,
        "Post processors applied, in order, to each record's documents before the write "
        "model is built: DocumentIdAdder (always present, first unless listed), "
        "BlockListKeyProjector, BlockListValueProjector, AllowListKeyProjector, "
        "AllowListValueProjector, RenameByMapping, RenameByRegExp, KafkaMetaAdder, "
        "NullFieldValueRemover.",
        group=POST_PROCESSING,
        order_in_group=next(order),
        width=Width.MEDIUM,
        display_name="The post processor chain",
    )
    for where in ("key", "value"):
        d.define(
            f"{where}.projection.type",
            ConfigType.STRING,
            "none",
            _PROJECTION,
            Importance.LOW,
            f"The {where} projection used by PartialKey/PartialValue id strategies without "
            "their own projection: AllowList or BlockList.",
            group=POST_PROCESSING,
            order_in_group=next(order),
            width=Width.MEDIUM,
            display_name=f"The {where} projection type",
        )
        d.define(
            f"{where}.projection.list",
            ConfigType.STRING,
            "",
            importance=Importance.LOW,
            documentation=f"Comma separated {where} field names (dotted paths, * and ** "
            f"wildcards) for the {where} projectors.",
            group=POST_PROCESSING,
            order_in_group=next(order),
            width=Width.MEDIUM,
            display_name=f"The {where} projection list",
            dependents=[f"{where}.projection.type"],
        )
    d.define(
        "field.renamer.mapping",
        ConfigType.STRING,
        "[]",
        _JsonArray(),
        Importance.LOW,
        'RenameByMapping\'s renames, as a JSON array: [{"oldName": "value.a", "newName": "b"}] '
        "(oldName is a path starting with key. or value.).",
        group=POST_PROCESSING,
        order_in_group=next(order),
        width=Width.MEDIUM,
        display_name="The field renamer mapping",
    )
    d.define(
        "field.renamer.regexp",
        ConfigType.STRING,
        "[]",
        _JsonArray(),
        Importance.LOW,
        'RenameByRegExp\'s rules, as a JSON array: [{"regexp": "^value\\\\..*", "pattern": '
        '"_", "replace": "-"}] (regexp matches the whole field path).',
        group=POST_PROCESSING,
        order_in_group=next(order),
        width=Width.MEDIUM,
        display_name="The field renamer regex",
    )
    order = iter(range(1, 100))
    d.define(
        "field.value.transformer",
        ConfigType.STRING,
        "",
        _ClassName(allow_empty=True),
        Importance.MEDIUM,
        "A Java FieldValueTransformer class; sluice cannot load Java classes and refuses a "
        "non-empty value.",
        group=FIELD_VALUE_TRANSFORMATION,
        order_in_group=next(order),
        width=Width.MEDIUM,
        display_name="Field value transformer class",
    )
    d.define(
        "field.value.transformer.fields",
        ConfigType.STRING,
        "",
        importance=Importance.MEDIUM,
        documentation="Fields field.value.transformer applies to.",
        group=FIELD_VALUE_TRANSFORMATION,
        order_in_group=next(order),
        width=Width.MEDIUM,
        display_name="Fields to transform",
    )
    order = iter(range(1, 100))
    d.define(
        "document.id.strategy",
        ConfigType.STRING,
        DEFAULT_ID_STRATEGY,
        _ClassName(allow_empty=True),
        Importance.HIGH,
        "Where a document's _id comes from: BsonOidStrategy (a new ObjectId), "
        "ProvidedInKeyStrategy/ProvidedInValueStrategy (the key's or value's _id), "
        "UuidProvidedInKeyStrategy/UuidProvidedInValueStrategy, FullKeyStrategy (the whole key), "
        "PartialKeyStrategy/PartialValueStrategy (projected fields), UuidStrategy (a random "
        "UUID), KafkaMetaDataStrategy (topic#partition#offset).",
        group=ID_STRATEGIES,
        order_in_group=next(order),
        width=Width.MEDIUM,
        display_name="The document id strategy",
    )
    d.define(
        "document.id.strategy.overwrite.existing",
        ConfigType.BOOLEAN,
        False,
        importance=Importance.HIGH,
        documentation="Replace an _id the value document already has with the strategy's.",
        group=ID_STRATEGIES,
        order_in_group=next(order),
        width=Width.MEDIUM,
        display_name="The document id strategy overwrite existing setting",
    )
    d.define(
        "document.id.strategy.uuid.format",
        ConfigType.STRING,
        "string",
        _Enum([f.value for f in UuidFormat]),
        Importance.HIGH,
        "UuidStrategy's _id type: string or binary (BSON binary subtype 4).",
        group=ID_STRATEGIES,
        order_in_group=next(order),
        width=Width.MEDIUM,
        display_name="The document id strategy uuid format",
    )
    for where in ("key", "value"):
        d.define(
            f"document.id.strategy.partial.{where}.projection.type",
            ConfigType.STRING,
            "",
            _Enum([t.value for t in FieldProjectionType], allow_empty=True),
            Importance.LOW,
            f"Partial{where.title()}Strategy's projection (AllowList or BlockList); empty: "
            f"{where}.projection.type.",
            group=ID_STRATEGIES,
            order_in_group=next(order),
            width=Width.MEDIUM,
            display_name=f"The document id strategy {where} projection",
        )
        d.define(
            f"document.id.strategy.partial.{where}.projection.list",
            ConfigType.STRING,
            "",
            importance=Importance.LOW,
            documentation=f"Partial{where.title()}Strategy's field names; empty: "
            f"{where}.projection.list.",
            group=ID_STRATEGIES,
            order_in_group=next(order),
            width=Width.MEDIUM,
            display_name=f"The document id strategy {where} projection list",
            dependents=[f"document.id.strategy.partial.{where}.projection.type"],
        )
    order = iter(range(1, 100))
    for prefix, doc in (
        ("", "What happens to a record that cannot be written"),
        ("mongo.", "Overrides errors.tolerance for this connector's own error handling"),
    ):
        d.define(
            f"{prefix}errors.tolerance",
            ConfigType.STRING,
            "none",
            _TOLERANCE,
            Importance.MEDIUM,
            f"{doc}: none fails the task; data skips records that cannot be turned into "
            "writes or that the server rejects; all also skips records whose write failed "
            "for any other reason. Skipped records go to the errant record reporter "
            "(dead-letter queue).",
            group=ERRORS,
            order_in_group=next(order),
            width=Width.SHORT,
            display_name="Error Tolerance",
        )
        d.define(
            f"{prefix}errors.log.enable",
            ConfigType.BOOLEAN,
            False,
            importance=Importance.MEDIUM,
            documentation="Log every tolerated error with its record"
            + (" (overrides errors.log.enable)." if prefix else "."),
            group=ERRORS,
            order_in_group=next(order),
            width=Width.SHORT,
            display_name="Log Errors",
        )
    order = iter(range(1, 100))
    d.define(
        "change.data.capture.handler",
        ConfigType.STRING,
        "",
        _ClassName(allow_empty=True),
        Importance.LOW,
        "Apply change events instead of writing records as documents: "
        "com.mongodb.kafka.connect.sink.cdc.mongodb.ChangeStreamHandler takes MongoDB "
        "change-stream events (as the MongoDB source writes them). Id strategies, post "
        "processors and write model strategies are then not used.",
        group=CHANGE_DATA_CAPTURE,
        order_in_group=next(order),
        width=Width.MEDIUM,
        display_name="The CDC handler",
    )
    d.define(
        "change.data.capture.handler.remove.null.values",
        ConfigType.BOOLEAN,
        False,
        importance=Importance.LOW,
        documentation="With a CDC handler: drop null fields from replacement documents and "
        "from $set (a write left empty is skipped).",
        group=CHANGE_DATA_CAPTURE,
        order_in_group=next(order),
        width=Width.SHORT,
        display_name="Remove null fields in CDC writes",
    )
    order = iter(range(1, 100))
    d.define(
        "timeseries.timefield",
        ConfigType.STRING,
        "",
        importance=Importance.LOW,
        documentation="Write into a time series collection with this time field (created "
        "when missing); records are then inserted.",
        group=TIME_SERIES,
        order_in_group=next(order),
        width=Width.MEDIUM,
        display_name="The field used for time",
    )
    d.define(
        "timeseries.metafield",
        ConfigType.STRING,
        "",
        importance=Importance.LOW,
        documentation="The time series collection's meta field.",
        group=TIME_SERIES,
        order_in_group=next(order),
        width=Width.MEDIUM,
        display_name="The field describing the series",
    )
    d.define(
        "timeseries.expire.after.seconds",
        ConfigType.LONG,
        0,
        Range.at_least(0),
        Importance.LOW,
        "Seconds after which the time series collection's documents expire (0: never).",
        group=TIME_SERIES,
        order_in_group=next(order),
        width=Width.MEDIUM,
        display_name="The data expiry time in seconds",
    )
    d.define(
        "timeseries.granularity",
        ConfigType.STRING,
        "",
        _Enum(["seconds", "minutes", "hours"], allow_empty=True),
        Importance.LOW,
        "The expected interval between measurements: seconds, minutes or hours.",
        group=TIME_SERIES,
        order_in_group=next(order),
        width=Width.MEDIUM,
        display_name="The data expiry time",
    )
    d.define(
        "timeseries.timefield.auto.convert",
        ConfigType.BOOLEAN,
        False,
        importance=Importance.LOW,
        documentation="Convert the time field to a BSON date: numbers as epoch milliseconds, "
        "strings as ISO-8601 date-times.",
        group=TIME_SERIES,
        order_in_group=next(order),
        width=Width.MEDIUM,
        display_name="Convert the field to a BSON datetime type.",
    )
    d.define(
        "timeseries.timefield.auto.convert.date.format",
        ConfigType.STRING,
        DEFAULT_TIME_FORMAT,
        importance=Importance.LOW,
        documentation="The Java DateTimeFormatter pattern for string times; sluice reads "
        "ISO-8601 date-times and refuses another pattern.",
        group=TIME_SERIES,
        order_in_group=next(order),
        width=Width.MEDIUM,
        display_name="The DateTimeFormatter pattern for the date.",
    )
    d.define(
        "timeseries.timefield.auto.convert.locale.language.tag",
        ConfigType.STRING,
        "",
        importance=Importance.LOW,
        documentation="The locale of timeseries.timefield.auto.convert.date.format.",
        group=TIME_SERIES,
        order_in_group=next(order),
        width=Width.MEDIUM,
        display_name="The DateTimeFormatter locale language tag to use.",
    )
    return d
