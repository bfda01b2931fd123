"""The spooldir connectors' configuration keys, as jcustenborder's connectors name them.

Configs written for ``kafka-connect-spooldir`` run unchanged: same keys, defaults and enum values.
``SpoolDirSettings`` and friends hold the parsed values with Python types (durations in float
seconds, paths as :class:`~pathlib.Path`, characters as ``str``) so the rest of the package never
sees a raw property.
"""

from __future__ import annotations

import codecs
import os
import re
import tempfile
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any, Final

from sluice.api import (
    ConfigDef,
    ConfigError,
    ConfigType,
    Importance,
    Range,
    Recommender,
    Schema,
    ValidList,
    ValidString,
    Width,
)
from sluice.connectors.spooldir.schema_json import schema_from_json

__all__ = [
    "CLEANUP_POLICIES",
    "NULL_FIELD_INDICATORS",
    "TIMESTAMP_MODES",
    "CsvSettings",
    "SchemaSettings",
    "SpoolDirSettings",
    "binary_config_def",
    "csv_config_def",
    "json_config_def",
    "line_config_def",
    "parse_timezone",
    "schemaless_json_config_def",
]

GROUP_GENERAL: Final = "General"
GROUP_FILESYSTEM: Final = "File System"
GROUP_TIMESTAMP: Final = "Timestamps"
GROUP_SCHEMA: Final = "Schema"
GROUP_SCHEMA_GENERATION: Final = "Schema Generation"
GROUP_CSV: Final = "CSV Parsing"

CLEANUP_POLICIES: Final = ("NONE", "DELETE", "MOVE", "MOVEBYDATE")
TIMESTAMP_MODES: Final = ("FIELD", "FILE_TIME", "PROCESS_TIME")
FILE_ATTRIBUTES: Final = (
    "NameAsc",
    "NameDesc",
    "LengthAsc",
    "LengthDesc",
    "LastModifiedAsc",
    "LastModifiedDesc",
)
NULL_FIELD_INDICATORS: Final = ("EMPTY_SEPARATORS", "EMPTY_QUOTES", "BOTH", "NEITHER")
DEFAULT_KEY_NAME: Final = "com.github.jcustenborder.kafka.connect.model.Key"
DEFAULT_VALUE_NAME: Final = "com.github.jcustenborder.kafka.connect.model.Value"
DEFAULT_DATE_FORMATS: Final = "yyyy-MM-dd'T'HH:mm:ss,yyyy-MM-dd' 'HH:mm:ss"


class _WritableDirectory:
    """The value must name an existing directory this process can create files in."""

    def __call__(self, name: str, value: Any) -> None:
        if value is None or value == "":
            return  # a missing required key is reported as missing, not as a bad directory
        check_writable_directory(name, str(value))

    def __str__(self) -> str:
        return "Absolute path to a directory that exists and is writable."


def check_writable_directory(key: str, path: str) -> None:
    """Raise a :class:`ConfigError` naming ``key`` unless ``path`` is a writable directory.

    Writability is proven by creating (and removing) a file, as permission bits lie on some
    filesystems (ACLs, read-only mounts).
    """
    if not os.path.isdir(path):
        raise ConfigError.invalid(key, path, f"Directory for '{key}' '{path}' does not exist")
    try:
        fd, probe = tempfile.mkstemp(prefix=".permission", suffix=".testing", dir=path)
    except OSError as e:
        raise ConfigError.invalid(
            key, path, f"Directory for '{key}' '{path}' is not writable: {e.strerror}"
        ) from e
    os.close(fd)
    os.unlink(probe)


class _ValidRegex:
    def __init__(self, must_match: str | None = None) -> None:
        self.must_match = re.compile(must_match) if must_match else None

    def __call__(self, name: str, value: Any) -> None:
        if value is None:
            return
        try:
            re.compile(str(value))
        except re.error as e:
            raise ConfigError.invalid(name, value, f"Invalid regular expression: {e}") from e
        if self.must_match is not None and not self.must_match.fullmatch(str(value)):
            raise ConfigError.invalid(
                name, value, f"Value must match the pattern {self.must_match.pattern}"
            )

    def __str__(self) -> str:
        return "a regular expression" if self.must_match is None else self.must_match.pattern


class _ValidCharset:
    def __call__(self, name: str, value: Any) -> None:
        try:
            codecs.lookup(str(value))
        except LookupError:
            raise ConfigError.invalid(
                name, value, f"Charset '{value}' is invalid for {name}"
            ) from None

    def __str__(self) -> str:
        return "a character set name such as UTF-8, ISO-8859-1 or windows-1252"


class _ValidChar:
    """A character given as its code point, as the Java connector takes it (44 is ',')."""

    def __call__(self, name: str, value: Any) -> None:
        Range.between(0, 0xFFFF)(name, value)

    def __str__(self) -> str:
        return "[0,...,65535]"


class _ValidTimezone:
    def __call__(self, name: str, value: Any) -> None:
        parse_timezone(name, str(value))

    def __str__(self) -> str:
        return "a time zone id such as UTC or America/New_York"


class _VisibleIf(Recommender):
    """Shown in UIs only when another key has one of some values (for example MOVE)."""

    def __init__(self, key: str, *values: Any) -> None:
        self.key = key
        self.values = values

    def visible(self, name: str, parsed: Mapping[str, Any]) -> bool:
        return parsed.get(self.key) in self.values


def parse_timezone(key: str, text: str) -> tzinfo:
    """A zone from an IANA id (``UTC``, ``Europe/Paris``) or a ``GMT+hh:mm`` offset."""
    m = re.fullmatch(r"(?:GMT|UTC)([+-])(\d{1,2})(?::?(\d{2}))?", text)
    if m:
        sign = -1 if m.group(1) == "-" else 1
        delta = timedelta(hours=int(m.group(2)), minutes=int(m.group(3) or 0))
        return timezone(sign * delta)
    if text in ("UTC", "GMT", "Z"):
        return UTC
    try:
        return zoneinfo.ZoneInfo(text)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError.invalid(key, text, f"Unknown time zone '{text}'") from None


def _common(definition: ConfigDef) -> ConfigDef:
    """Keys every spooldir connector has (Java's ``AbstractSourceConnectorConfig``)."""
    return (
        definition.define(
            "topic",
            ConfigType.STRING,
            importance=Importance.HIGH,
            documentation="The Kafka topic to write the data to.",
            group=GROUP_GENERAL,
        )
        .define(
            "batch.size",
            ConfigType.INT,
            1000,
            Range.at_least(1),
            Importance.LOW,
            "The number of records that should be returned with each batch.",
            GROUP_GENERAL,
        )
        .define(
            "empty.poll.wait.ms",
            ConfigType.LONG,
            500,
            Range.between(1, 2**63 - 1),
            Importance.LOW,
            "The amount of time to wait if a poll returns an empty list of records.",
            GROUP_GENERAL,
        )
        .define(
            "cleanup.policy",
            ConfigType.STRING,
            "MOVE",
            ValidString(*CLEANUP_POLICIES),
            Importance.MEDIUM,
            "Determines how the connector should cleanup the files that have been successfully "
            "processed. NONE leaves the files in place. DELETE removes the file from the "
            "filesystem. MOVE will move the file to a finished directory. MOVEBYDATE will move the "
            "file to a finished directory with subdirectories by date.",
            GROUP_FILESYSTEM,
        )
        .define(
            "input.path",
            ConfigType.STRING,
            validator=_WritableDirectory(),
            importance=Importance.HIGH,
            documentation="The directory to read files that will be processed. This directory "
            "must exist and be writable by the user running Kafka Connect.",
            group=GROUP_FILESYSTEM,
        )
        .define(
            "finished.path",
            ConfigType.STRING,
            "",
            importance=Importance.HIGH,
            documentation="The directory to place files that have been successfully processed. "
            "This directory must exist and be writable by the user running Kafka Connect.",
            group=GROUP_FILESYSTEM,
            recommender=_VisibleIf("cleanup.policy", "MOVE", "MOVEBYDATE"),
        )
        .define(
            "error.path",
            ConfigType.STRING,
            validator=_WritableDirectory(),
            importance=Importance.HIGH,
            documentation="The directory to place files in which have error(s). This directory "
            "must exist and be writable by the user running Kafka Connect.",
            group=GROUP_FILESYSTEM,
        )
        .define(
            "input.file.pattern",
            ConfigType.STRING,
            validator=_ValidRegex(),
            importance=Importance.HIGH,
            documentation="Regular expression to check input file names against. This "
            "expression must match the entire filename.",
            group=GROUP_FILESYSTEM,
        )
        .define(
            "halt.on.error",
            ConfigType.BOOLEAN,
            True,
            importance=Importance.HIGH,
            documentation="Should the task halt when it encounters an error or continue to the "
            "next file.",
            group=GROUP_FILESYSTEM,
        )
        .define(
            "file.minimum.age.ms",
            ConfigType.LONG,
            0,
            Range.at_least(0),
            Importance.LOW,
            "The amount of time in milliseconds after the file was last written to before the "
            "file can be processed.",
            GROUP_FILESYSTEM,
        )
        .define(
            "processing.file.extension",
            ConfigType.STRING,
            ".PROCESSING",
            _ValidRegex(r"^.*\..+$"),
            Importance.LOW,
            "A file being processed is renamed with this suffix appended, which claims it for "
            "one task and keeps it from being picked up twice.",
            GROUP_FILESYSTEM,
        )
        .define(
            "timestamp.mode",
            ConfigType.STRING,
            "PROCESS_TIME",
            ValidString(*TIMESTAMP_MODES),
            Importance.MEDIUM,
            "Determines how the connector will set the timestamp for the record. FIELD reads it "
            "from the value field named in timestamp.field (a required Timestamp). FILE_TIME "
            "uses the last modified time of the file. PROCESS_TIME uses the time the record is "
            "read.",
            GROUP_TIMESTAMP,
        )
        .define(
            "files.sort.attributes",
            ConfigType.LIST,
            "NameAsc",
            ValidList(*FILE_ATTRIBUTES),
            Importance.LOW,
            "The attributes each file will use to determine the sort order. Name is name of "
            "the file. Length is the length of the file. LastModified is the LastModified "
            "attribute of the file.",
            GROUP_FILESYSTEM,
        )
        .define(
            "task.index",
            ConfigType.INT,
            0,
            Range.at_least(0),
            Importance.LOW,
            "Internal setting to the connector used to instruct a task on which files to "
            "select. The connector will override this setting.",
            GROUP_GENERAL,
        )
        .define(
            "task.count",
            ConfigType.INT,
            1,
            Range.at_least(1),
            Importance.LOW,
            "Internal setting to the connector used to instruct a task on which files to "
            "select. The connector will override this setting.",
            GROUP_GENERAL,
        )
        .define(
            "task.partitioner",
            ConfigType.STRING,
            "ByName",
            ValidString("ByName"),
            Importance.MEDIUM,
            "The task partitioner implementation is used when the connector is configured to "
            "use more than one task. Each file is assigned to exactly one task.",
            GROUP_FILESYSTEM,
        )
        .define(
            "input.path.walk.recursively",
            ConfigType.BOOLEAN,
            False,
            importance=Importance.LOW,
            documentation="If enabled, sub-directories of input.path are walked for files "
            "matching input.file.pattern; their relative path is kept when the files are moved "
            "and is set as the header file.relative.path.",
            group=GROUP_FILESYSTEM,
        )
        .define(
            "cleanup.policy.maintain.relative.path",
            ConfigType.BOOLEAN,
            False,
            importance=Importance.LOW,
            documentation="If input.path.walk.recursively is enabled and this is true, the "
            "walked sub-directories are kept under input.path once their files are processed.",
            group=GROUP_FILESYSTEM,
        )
        .define(
            "file.buffer.size.bytes",
            ConfigType.INT,
            128 * 1024,
            Range.at_least(1),
            Importance.LOW,
            "The size of the read buffer used for each file.",
            GROUP_FILESYSTEM,
        )
    )


class _SchemaJson:
    def __call__(self, name: str, value: Any) -> None:
        if value:
            schema_from_json(str(value), name)

    def __str__(self) -> str:
        return "a Connect schema as JSON"


def _schemas(definition: ConfigDef) -> ConfigDef:
    """Keys of the connectors that build typed structs (Java's ``AbstractSpoolDir...Config``)."""
    generated = _VisibleIf("schema.generation.enabled", True)
    given = _VisibleIf("schema.generation.enabled", False)
    return (
        definition.define(
            "key.schema",
            ConfigType.STRING,
            "",
            _SchemaJson(),
            Importance.HIGH,
            "The schema for the key written to Kafka.",
            GROUP_SCHEMA,
            width=Width.LONG,
            recommender=given,
        )
        .define(
            "value.schema",
            ConfigType.STRING,
            "",
            _SchemaJson(),
            Importance.HIGH,
            "The schema for the value written to Kafka.",
            GROUP_SCHEMA,
            width=Width.LONG,
            recommender=given,
        )
        .define(
            "schema.generation.enabled",
            ConfigType.BOOLEAN,
            False,
            importance=Importance.MEDIUM,
            documentation="Flag to determine if schemas should be dynamically generated. If set "
            "to true, key.schema and value.schema can be omitted.",
            group=GROUP_SCHEMA_GENERATION,
        )
        .define(
            "schema.generation.key.fields",
            ConfigType.LIST,
            "",
            importance=Importance.MEDIUM,
            documentation="The field(s) to use to build a key schema. This is only used during "
            "schema generation.",
            group=GROUP_SCHEMA_GENERATION,
            recommender=generated,
        )
        .define(
            "schema.generation.key.name",
            ConfigType.STRING,
            DEFAULT_KEY_NAME,
            importance=Importance.MEDIUM,
            documentation="The name of the generated key schema.",
            group=GROUP_SCHEMA_GENERATION,
            recommender=generated,
        )
        .define(
            "schema.generation.value.name",
            ConfigType.STRING,
            DEFAULT_VALUE_NAME,
            importance=Importance.MEDIUM,
            documentation="The name of the generated value schema.",
            group=GROUP_SCHEMA_GENERATION,
            recommender=generated,
        )
        .define(
            "parser.timestamp.timezone",
            ConfigType.STRING,
            "UTC",
            _ValidTimezone(),
            Importance.LOW,
            "The timezone that all of the dates will be parsed with.",
            GROUP_TIMESTAMP,
        )
        .define(
            "parser.timestamp.date.formats",
            ConfigType.LIST,
            DEFAULT_DATE_FORMATS,
            importance=Importance.LOW,
            documentation="The date formats (java.text.SimpleDateFormat patterns) that are "
            "expected in the file, tried in order; the most accurate should come first.",
            group=GROUP_TIMESTAMP,
        )
        .define(
            "timestamp.field",
            ConfigType.STRING,
            "",
            importance=Importance.MEDIUM,
            documentation="The field in the value schema that will contain the parsed timestamp "
            "for the record. This field cannot be marked as optional and must be a Timestamp.",
            group=GROUP_TIMESTAMP,
            recommender=_VisibleIf("timestamp.mode", "FIELD"),
        )
    )


def _charset(definition: ConfigDef, key: str, group: str | None) -> ConfigDef:
    return definition.define(
        key,
        ConfigType.STRING,
        "UTF-8",
        _ValidCharset(),
        Importance.LOW,
        "Character set to read the file with.",
        group,
        width=Width.LONG,
    )


def csv_config_def() -> ConfigDef:
    """``SpoolDirCsvSourceConnector``'s keys."""
    d = _schemas(_common(ConfigDef()))

    def char(key: str, default: int, doc: str) -> None:
        d.define(key, ConfigType.INT, default, _ValidChar(), Importance.LOW, doc, GROUP_CSV)

    def flag(key: str, default: bool, doc: str, importance: Importance = Importance.LOW) -> None:
        d.define(key, ConfigType.BOOLEAN, default, None, importance, doc, GROUP_CSV)

    d.define(
        "csv.skip.lines",
        ConfigType.INT,
        0,
        Range.at_least(0),
        Importance.LOW,
        "Number of lines to skip in the beginning of the file.",
        GROUP_CSV,
    )
    char(
        "csv.separator.char",
        44,
        "The character that separates each field, as an integer (44 is ','; a TSV uses 9, a tab).",
    )
    char(
        "csv.quote.char",
        34,
        "The character that is used to quote a field, as an integer (34 is '\"').",
    )
    char(
        "csv.escape.char",
        92,
        "The character used to escape a quote or itself, as an "
        "integer (92 is '\\'; 0 turns escaping off).",
    )
    flag("csv.strict.quotes", False, "If true, characters outside the quotes are ignored.")
    flag(
        "csv.ignore.leading.whitespace",
        True,
        "If true, white space in front of a quote in a field is ignored.",
    )
    flag("csv.ignore.quotations", False, "If true, quotations are ignored.")
    flag(
        "csv.keep.carriage.return",
        False,
        "Flag to determine if the carriage return at the end of the line should be maintained.",
    )
    flag("csv.verify.reader", True, "Flag to determine if the reader should be verified.")
    d.define(
        "csv.null.field.indicator",
        ConfigType.STRING,
        "NEITHER",
        ValidString(*NULL_FIELD_INDICATORS),
        Importance.LOW,
        "Which empty fields are read as null: EMPTY_SEPARATORS (two separators with nothing "
        'between), EMPTY_QUOTES (""), BOTH or NEITHER.',
        GROUP_CSV,
    )
    flag(
        "csv.first.row.as.header",
        False,
        "Flag to indicate if the first row of data contains the header of the file. If false "
        "the columns are taken in the order of the fields of value.schema.",
        Importance.MEDIUM,
    )
    _charset(d, "csv.file.charset", GROUP_CSV)
    flag(
        "csv.case.sensitive.field.names",
        False,
        "Flag to determine if the field names in the "
        "header row should be treated as case sensitive.",
    )
    flag(
        "csv.rfc.4180.parser.enabled",
        False,
        "Flag to determine if the RFC 4180 parser should "
        "be used instead of the default parser (no escape character).",
    )
    return d


def json_config_def() -> ConfigDef:
    """``SpoolDirJsonSourceConnector``'s keys."""
    return _schemas(_common(ConfigDef()))


def line_config_def() -> ConfigDef:
    """``SpoolDirLineDelimitedSourceConnector``'s keys."""
    return _charset(_common(ConfigDef()), "file.charset", None)


def schemaless_json_config_def() -> ConfigDef:
    """``SpoolDirSchemaLessJsonSourceConnector``'s keys."""
    return _charset(_common(ConfigDef()), "file.charset", None)


def binary_config_def() -> ConfigDef:
    """``SpoolDirBinaryFileSourceConnector``'s keys."""
    return _common(ConfigDef())


@dataclass(frozen=True)
class SpoolDirSettings:
    """The keys every spooldir connector shares, parsed."""

    topic: str
    batch_size: int
    empty_poll_wait: float
    cleanup_policy: str
    input_path: Path
    finished_path: Path | None
    error_path: Path
    input_file_pattern: re.Pattern[str]
    halt_on_error: bool
    minimum_age: float
    processing_extension: str
    timestamp_mode: str
    sort_attributes: tuple[str, ...]
    task_index: int
    task_count: int
    walk_recursively: bool
    keep_relative_dirs: bool
    buffer_size: int

    @classmethod
    def from_values(cls, v: Mapping[str, Any]) -> SpoolDirSettings:
        policy = v["cleanup.policy"]
        finished: Path | None = None
        if policy in ("MOVE", "MOVEBYDATE"):
            if not v["finished.path"]:
                raise ConfigError.invalid(
                    "finished.path",
                    v["finished.path"],
                    f"finished.path must be set when cleanup.policy is {policy}",
                )
            finished = Path(v["finished.path"]).absolute()
        if v["task.index"] >= v["task.count"]:
            raise ConfigError.invalid(
                "task.index", v["task.index"], f"must be less than task.count ({v['task.count']})"
            )
        return cls(
            topic=v["topic"],
            batch_size=v["batch.size"],
            empty_poll_wait=v["empty.poll.wait.ms"] / 1000.0,
            cleanup_policy=policy,
            input_path=Path(v["input.path"]).absolute(),
            finished_path=finished,
            error_path=Path(v["error.path"]).absolute(),
            input_file_pattern=re.compile(v["input.file.pattern"]),
            halt_on_error=v["halt.on.error"],
            minimum_age=v["file.minimum.age.ms"] / 1000.0,
            processing_extension=v["processing.file.extension"],
            timestamp_mode=v["timestamp.mode"],
            sort_attributes=tuple(v["files.sort.attributes"]),
            task_index=v["task.index"],
            task_count=v["task.count"],
            walk_recursively=v["input.path.walk.recursively"],
            keep_relative_dirs=v["cleanup.policy.maintain.relative.path"],
            buffer_size=v["file.buffer.size.bytes"],
        )


@dataclass(frozen=True)
class SchemaSettings:
    """Schemas given or to be generated, and how typed values are parsed."""

    key_schema: Schema | None
    value_schema: Schema | None
    generation_enabled: bool
    key_fields: tuple[str, ...]
    key_name: str
    value_name: str
    timezone: tzinfo
    date_formats: tuple[str, ...]
    timestamp_field: str | None

    @classmethod
    def from_values(cls, v: Mapping[str, Any], timestamp_mode: str) -> SchemaSettings:
        key_schema = schema_from_json(v["key.schema"], "key.schema") if v["key.schema"] else None
        value_schema = (
            schema_from_json(v["value.schema"], "value.schema") if v["value.schema"] else None
        )
        enabled = bool(v["schema.generation.enabled"])
        if not enabled:
            for key, schema in (("key.schema", key_schema), ("value.schema", value_schema)):
                if schema is None:
                    raise ConfigError.invalid(
                        key, "", f"'{key}' must be set if 'schema.generation.enabled' = false."
                    )
        else:
            for key in ("schema.generation.key.name", "schema.generation.value.name"):
                if not v[key]:
                    raise ConfigError.invalid(
                        key, v[key], f"'{key}' must be set if 'schema.generation.enabled' = true."
                    )
        timestamp_field: str | None = None
        if timestamp_mode == "FIELD":
            timestamp_field = v["timestamp.field"] or None
            if timestamp_field is None:
                raise ConfigError.invalid(
                    "timestamp.field",
                    v["timestamp.field"],
                    "When `timestamp.mode` is set to `FIELD`, `timestamp.field` must be set to a "
                    "timestamp field. Cannot be null or empty.",
                )
        return cls(
            key_schema=key_schema,
            value_schema=value_schema,
            generation_enabled=enabled,
            key_fields=tuple(f for f in v["schema.generation.key.fields"] if f),
            key_name=v["schema.generation.key.name"],
            value_name=v["schema.generation.value.name"],
            timezone=parse_timezone("parser.timestamp.timezone", v["parser.timestamp.timezone"]),
            date_formats=tuple(v["parser.timestamp.date.formats"]),
            timestamp_field=timestamp_field,
        )


@dataclass(frozen=True)
class CsvSettings:
    """How CSV text is split into fields (opencsv's options as the Java connector exposes them)."""

    skip_lines: int
    separator: str
    quote: str
    escape: str
    strict_quotes: bool
    ignore_leading_whitespace: bool
    ignore_quotations: bool
    keep_carriage_return: bool
    null_field_indicator: str
    first_row_as_header: bool
    charset: str
    case_sensitive_field_names: bool
    rfc4180: bool

    @classmethod
    def from_values(cls, v: Mapping[str, Any]) -> CsvSettings:
        separator = chr(v["csv.separator.char"])
        rfc4180 = bool(v["csv.rfc.4180.parser.enabled"]) or separator == "\0"
        if separator == "\0":
            separator = ","
        quote, escape = chr(v["csv.quote.char"]), chr(v["csv.escape.char"])
        for key, char in (("csv.quote.char", quote), ("csv.escape.char", escape)):
            if char == separator:
                raise ConfigError.invalid(
                    key, v[key], "must differ from csv.separator.char (the same character)"
                )
        if quote == escape and quote != "\0" and not rfc4180:
            raise ConfigError.invalid(
                "csv.escape.char", v["csv.escape.char"], "must differ from csv.quote.char"
            )
        return cls(
            skip_lines=v["csv.skip.lines"],
            separator=separator,
            quote=quote,
            escape="\0" if rfc4180 else escape,
            strict_quotes=v["csv.strict.quotes"],
            ignore_leading_whitespace=v["csv.ignore.leading.whitespace"],
            ignore_quotations=v["csv.ignore.quotations"],
            keep_carriage_return=v["csv.keep.carriage.return"],
            null_field_indicator=v["csv.null.field.indicator"],
            first_row_as_header=v["csv.first.row.as.header"],
            charset=codecs.lookup(v["csv.file.charset"]).name,
            case_sensitive_field_names=v["csv.case.sensitive.field.names"],
            rfc4180=rfc4180,
        )
