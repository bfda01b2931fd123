"""The spooldir configuration keys: Java's names and defaults, and clear errors."""

from __future__ import annotations

import datetime as dt

import pytest

from sluice.api import ConfigError
from sluice.connectors.spooldir import ALIASES, SpoolDirCsvSourceConnector
from sluice.connectors.spooldir.config import (
    CsvSettings,
    SchemaSettings,
    SpoolDirSettings,
    csv_config_def,
    line_config_def,
    parse_timezone,
)
from tests.unit.connectors.spooldir.spooling import Spool

SEED_KEYS = [
    "input.path",
    "input.file.pattern",
    "error.path",
    "finished.path",
    "empty.poll.wait.ms",
    "halt.on.error",
    "topic",
    "csv.first.row.as.header",
    "schema.generation.enabled",
]


def test_seed_config_parses_with_java_defaults(spool: Spool) -> None:
    values = csv_config_def().parse(
        spool.config(
            empty_poll_wait_ms=30000, csv_first_row_as_header="true", schema_generation_enabled=1
        )
        | {"schema.generation.enabled": "true"}
    )
    s = SpoolDirSettings.from_values(values)
    assert s.batch_size == 1000
    assert s.empty_poll_wait == 30.0
    assert s.cleanup_policy == "MOVE"
    assert s.processing_extension == ".PROCESSING"
    assert s.timestamp_mode == "PROCESS_TIME"
    assert s.sort_attributes == ("NameAsc",)
    assert s.minimum_age == 0.0
    assert s.input_file_pattern.fullmatch("csv-spooldir-source.csv")
    schemas = SchemaSettings.from_values(values, s.timestamp_mode)
    assert schemas.key_name == "com.github.jcustenborder.kafka.connect.model.Key"
    assert schemas.value_name == "com.github.jcustenborder.kafka.connect.model.Value"
    assert schemas.date_formats == ("yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd' 'HH:mm:ss")
    csv = CsvSettings.from_values(values)
    assert (csv.separator, csv.quote, csv.escape) == (",", '"', "\\")
    assert csv.null_field_indicator == "NEITHER" and csv.first_row_as_header
    assert csv.charset == "utf-8"


def test_every_seed_key_is_defined() -> None:
    names = csv_config_def().names()
    assert all(k in names for k in SEED_KEYS)
    for key in (
        "cleanup.policy",
        "processing.file.extension",
        "file.minimum.age.ms",
        "input.path.walk.recursively",
        "batch.size",
        "key.schema",
        "value.schema",
        "schema.generation.key.fields",
        "timestamp.mode",
        "timestamp.field",
        "parser.timestamp.date.formats",
        "csv.separator.char",
        "csv.quote.char",
        "csv.escape.char",
        "csv.skip.lines",
        "csv.null.field.indicator",
        "csv.case.sensitive.field.names",
        "csv.file.charset",
    ):
        assert key in names, key
    assert "file.charset" in line_config_def().names()


def test_missing_input_directory_names_the_key(spool: Spool) -> None:
    config = spool.config(input_path=spool.root / "missing")
    with pytest.raises(ConfigError) as e:
        csv_config_def().parse(config)
    assert e.value.key == "input.path" and "does not exist" in str(e.value)


def test_validate_reports_every_problem(spool: Spool) -> None:
    results = {
        v.name: v
        for v in SpoolDirCsvSourceConnector().validate(
            spool.config(cleanup_policy="SHRED", error_path=spool.root / "nope")
            | {"input.file.pattern": "(unclosed"}
        )
    }
    assert results["cleanup.policy"].errors
    assert results["error.path"].errors
    assert "Invalid regular expression" in results["input.file.pattern"].errors[0]
    assert not results["finished.path"].visible, "only shown for MOVE and MOVEBYDATE"


def test_move_needs_finished_path(spool: Spool) -> None:
    values = csv_config_def().parse(spool.config(finished_path=""))
    with pytest.raises(ConfigError, match="finished.path must be set"):
        SpoolDirSettings.from_values(values)
    values = csv_config_def().parse(spool.config(finished_path="", cleanup_policy="DELETE"))
    assert SpoolDirSettings.from_values(values).finished_path is None


def test_schemas_required_without_generation(spool: Spool) -> None:
    values = csv_config_def().parse(spool.config())
    with pytest.raises(ConfigError, match="'key.schema' must be set"):
        SchemaSettings.from_values(values, "PROCESS_TIME")


def test_bad_schema_json_names_the_key(spool: Spool) -> None:
    with pytest.raises(ConfigError) as e:
        csv_config_def().parse(spool.config(value_schema='{"type": "STRUCT", '))
    assert e.value.key == "value.schema"


def test_field_timestamp_mode_needs_field(spool: Spool) -> None:
    values = csv_config_def().parse(
        spool.config(schema_generation_enabled="true", timestamp_mode="FIELD")
    )
    with pytest.raises(ConfigError, match="timestamp.field"):
        SchemaSettings.from_values(values, "FIELD")


def test_separator_zero_means_rfc4180(spool: Spool) -> None:
    values = csv_config_def().parse(spool.config(csv_separator_char="0"))
    csv = CsvSettings.from_values(values)
    assert csv.rfc4180 and csv.separator == "," and csv.escape == "\0"


def test_bad_charset_is_rejected(spool: Spool) -> None:
    with pytest.raises(ConfigError, match="Charset 'klingon' is invalid"):
        csv_config_def().parse(spool.config(csv_file_charset="klingon"))


def test_timezones() -> None:
    assert parse_timezone("k", "UTC") == dt.UTC
    assert parse_timezone("k", "GMT+05:30").utcoffset(None) == dt.timedelta(hours=5, minutes=30)
    paris = parse_timezone("k", "Europe/Paris")
    assert dt.datetime(2024, 7, 1, tzinfo=paris).utcoffset() == dt.timedelta(hours=2)
    with pytest.raises(ConfigError, match="Unknown time zone"):
        parse_timezone("parser.timestamp.timezone", "Mars/Olympus")


def test_aliases_name_loadable_connectors() -> None:
    import importlib

    assert set(ALIASES) == {
        "com.github.jcustenborder.kafka.connect.spooldir." + n
        for n in (
            "SpoolDirCsvSourceConnector",
            "SpoolDirJsonSourceConnector",
            "SpoolDirSchemaLessJsonSourceConnector",
            "SpoolDirLineDelimitedSourceConnector",
            "SpoolDirBinaryFileSourceConnector",
        )
    }
    for java, target in ALIASES.items():
        module, _, name = target.partition(":")
        cls = getattr(importlib.import_module(module), name)
        assert cls.__name__ == java.rsplit(".", 1)[1]
