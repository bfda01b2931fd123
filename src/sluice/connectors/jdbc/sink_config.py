"""The JDBC sink's configuration: the Confluent connector's keys, defaults and checks."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from sluice.api import (
    AbstractConfig,
    CaseInsensitiveValidString,
    ConfigDef,
    ConfigError,
    ConfigType,
    ConfigValue,
    Importance,
    Range,
    Width,
)
from sluice.connectors.jdbc.source_config import _zone_validator
from sluice.connectors.jdbc.source_schema import zone_of

__all__ = [
    "DEFAULT_KAFKA_PK_NAMES",
    "InsertMode",
    "PkMode",
    "SinkSettings",
    "sink_config_def",
    "validate_sink_config",
]

DEFAULT_KAFKA_PK_NAMES: Final = ("__connect_topic", "__connect_partition", "__connect_offset")


class InsertMode(enum.Enum):
    INSERT = "insert"
    UPSERT = "upsert"
    UPDATE = "update"


class PkMode(enum.Enum):
    NONE = "none"
    KAFKA = "kafka"
    RECORD_KEY = "record_key"
    RECORD_VALUE = "record_value"


CONNECTION: Final = "Connection"
WRITES: Final = "Writes"
DATA_MAPPING: Final = "Data Mapping"
DDL: Final = "DDL Support"
RETRIES: Final = "Retries"


def sink_config_def() -> ConfigDef:
    d = ConfigDef()
    d.define(
        "connection.url",
        ConfigType.STRING,
        importance=Importance.HIGH,
        documentation="JDBC connection URL (jdbc:postgresql://, jdbc:mysql://, jdbc:mariadb://, "
        "jdbc:sqlite:) or a SQLAlchemy URL.",
        group=CONNECTION,
        order_in_group=1,
        width=Width.LONG,
        display_name="JDBC URL",
    )
    d.define(
        "connection.user",
        ConfigType.STRING,
        None,
        importance=Importance.HIGH,
        documentation="JDBC connection user.",
        group=CONNECTION,
        order_in_group=2,
        width=Width.MEDIUM,
        display_name="JDBC User",
    )
    d.define(
        "connection.password",
        ConfigType.PASSWORD,
        None,
        importance=Importance.HIGH,
        documentation="JDBC connection password.",
        group=CONNECTION,
        order_in_group=3,
        width=Width.MEDIUM,
        display_name="JDBC Password",
    )
    d.define(
        "connection.attempts",
        ConfigType.INT,
        3,
        Range.at_least(1),
        Importance.LOW,
        "Maximum number of attempts to retrieve a valid JDBC connection.",
        group=CONNECTION,
        order_in_group=4,
        width=Width.SHORT,
    )
    d.define(
        "connection.backoff.ms",
        ConfigType.LONG,
        10000,
        Range.at_least(0),
        Importance.LOW,
        "Backoff time in milliseconds between connection attempts.",
        group=CONNECTION,
        order_in_group=5,
        width=Width.SHORT,
    )
    d.define(
        "dialect.name",
        ConfigType.STRING,
        "",
        importance=Importance.LOW,
        documentation="Accepted for compatibility; the dialect follows connection.url.",
        group=CONNECTION,
        order_in_group=6,
        width=Width.LONG,
    )
    d.define(
        "insert.mode",
        ConfigType.STRING,
        "insert",
        CaseInsensitiveValidString("insert", "upsert", "update"),
        Importance.HIGH,
        "insert: plain INSERT; upsert: the database's insert-or-update by primary key; update: "
        "UPDATE by primary key.",
        group=WRITES,
        order_in_group=1,
        width=Width.MEDIUM,
    )
    d.define(
        "batch.size",
        ConfigType.INT,
        3000,
        Range.at_least(0),
        Importance.MEDIUM,
        "Records buffered before they are written in one transaction.",
        group=WRITES,
        order_in_group=2,
        width=Width.SHORT,
    )
    d.define(
        "delete.enabled",
        ConfigType.BOOLEAN,
        False,
        importance=Importance.MEDIUM,
        documentation="Tombstones (null values) delete the row with the record key; needs "
        "pk.mode=record_key.",
        group=WRITES,
        order_in_group=3,
        width=Width.SHORT,
    )
    d.define(
        "table.types",
        ConfigType.LIST,
        "TABLE",
        importance=Importance.LOW,
        documentation="Table types the sink may write to.",
        group=WRITES,
        order_in_group=4,
        width=Width.SHORT,
    )
    d.define(
        "replace.null.with.default",
        ConfigType.BOOLEAN,
        True,
        importance=Importance.LOW,
        documentation="Write a field's schema default when its value is null.",
        group=WRITES,
        order_in_group=5,
        width=Width.SHORT,
    )
    d.define(
        "table.name.format",
        ConfigType.STRING,
        "${topic}",
        importance=Importance.MEDIUM,
        documentation="Destination table name; ${topic} stands for the record's topic.",
        group=DATA_MAPPING,
        order_in_group=1,
        width=Width.LONG,
    )
    d.define(
        "pk.mode",
        ConfigType.STRING,
        "none",
        CaseInsensitiveValidString("none", "kafka", "record_key", "record_value"),
        Importance.HIGH,
        "Where the primary key comes from.",
        group=DATA_MAPPING,
        order_in_group=2,
        width=Width.MEDIUM,
    )
    d.define(
        "pk.fields",
        ConfigType.LIST,
        "",
        importance=Importance.MEDIUM,
        documentation="Primary key field names (meaning depends on pk.mode).",
        group=DATA_MAPPING,
        order_in_group=3,
        width=Width.LONG,
    )
    d.define(
        "fields.whitelist",
        ConfigType.LIST,
        "",
        importance=Importance.MEDIUM,
        documentation="Value fields to write (empty: all).",
        group=DATA_MAPPING,
        order_in_group=4,
        width=Width.LONG,
    )
    d.define(
        "db.timezone",
        ConfigType.STRING,
        "UTC",
        _zone_validator,
        Importance.MEDIUM,
        "Time zone in which timestamps are written to wall-clock columns.",
        group=DATA_MAPPING,
        order_in_group=5,
        width=Width.MEDIUM,
    )
    d.define(
        "auto.create",
        ConfigType.BOOLEAN,
        False,
        importance=Importance.MEDIUM,
        documentation="Create the destination table from the record schema when missing.",
        group=DDL,
        order_in_group=1,
        width=Width.SHORT,
    )
    d.define(
        "auto.evolve",
        ConfigType.BOOLEAN,
        False,
        importance=Importance.MEDIUM,
        documentation="Add (nullable) columns for fields the table lacks.",
        group=DDL,
        order_in_group=2,
        width=Width.SHORT,
    )
    d.define(
        "quote.sql.identifiers",
        ConfigType.STRING,
        "always",
        CaseInsensitiveValidString("always", "never"),
        Importance.MEDIUM,
        "When to quote table and column names in SQL.",
        group=DDL,
        order_in_group=3,
        width=Width.MEDIUM,
    )
    d.define(
        "max.retries",
        ConfigType.INT,
        10,
        Range.at_least(0),
        Importance.MEDIUM,
        "Retries of a failed write before the task fails.",
        group=RETRIES,
        order_in_group=1,
        width=Width.SHORT,
    )
    d.define(
        "retry.backoff.ms",
        ConfigType.INT,
        3000,
        Range.at_least(0),
        Importance.MEDIUM,
        "Time to wait between retries of a failed write.",
        group=RETRIES,
        order_in_group=2,
        width=Width.SHORT,
    )
    d.define(
        "trim.sensitive.log",
        ConfigType.BOOLEAN,
        False,
        importance=Importance.LOW,
        documentation="Accepted for compatibility.",
        group=RETRIES,
        order_in_group=3,
        width=Width.SHORT,
    )
    return d


@dataclass(frozen=True)
class SinkSettings:
    url: str
    user: str | None
    password: str | None
    connection_attempts: int
    connection_backoff: float
    insert_mode: InsertMode
    batch_size: int
    delete_enabled: bool
    table_name_format: str
    pk_mode: PkMode
    pk_fields: list[str]
    fields_whitelist: set[str]
    zone: dt.tzinfo
    auto_create: bool
    auto_evolve: bool
    quote_identifiers: bool
    max_retries: int
    retry_backoff: float
    replace_null_with_default: bool

    @classmethod
    def parse(cls, props: Mapping[str, str]) -> SinkSettings:
        cfg = AbstractConfig(sink_config_def(), props)
        password = cfg.get_password("connection.password")
        settings = cls(
            url=cfg.get_string("connection.url") or "",
            user=cfg.get_string("connection.user"),
            password=password.value() if password is not None else None,
            connection_attempts=cfg.get_int("connection.attempts"),
            connection_backoff=cfg.get_long("connection.backoff.ms") / 1000.0,
            insert_mode=InsertMode((cfg.get_string("insert.mode") or "insert").lower()),
            batch_size=max(1, cfg.get_int("batch.size")),
            delete_enabled=cfg.get_boolean("delete.enabled"),
            table_name_format=cfg.get_string("table.name.format") or "${topic}",
            pk_mode=PkMode((cfg.get_string("pk.mode") or "none").lower()),
            pk_fields=[f for f in cfg.get_list("pk.fields") if f],
            fields_whitelist={f for f in cfg.get_list("fields.whitelist") if f},
            zone=zone_of(cfg.get_string("db.timezone") or "UTC"),
            auto_create=cfg.get_boolean("auto.create"),
            auto_evolve=cfg.get_boolean("auto.evolve"),
            quote_identifiers=(cfg.get_string("quote.sql.identifiers") or "always").lower()
            != "never",
            max_retries=cfg.get_int("max.retries"),
            retry_backoff=cfg.get_int("retry.backoff.ms") / 1000.0,
            replace_null_with_default=cfg.get_boolean("replace.null.with.default"),
        )
        for key, message in sink_problems(settings):
            raise ConfigError(message, key)
        return settings


def sink_problems(s: SinkSettings) -> list[tuple[str, str]]:
    problems = []
    if s.delete_enabled and s.pk_mode is not PkMode.RECORD_KEY:
        problems.append(
            (
                "delete.enabled",
                "Deletes are only supported for pk.mode record_key (delete.enabled=true with "
                f"pk.mode={s.pk_mode.value})",
            )
        )
    if s.insert_mode in (InsertMode.UPSERT, InsertMode.UPDATE) and s.pk_mode is PkMode.NONE:
        problems.append(
            (
                "pk.mode",
                f"insert.mode={s.insert_mode.value} needs a primary key: set pk.mode to kafka, "
                "record_key or record_value",
            )
        )
    if s.pk_mode is PkMode.KAFKA and s.pk_fields and len(s.pk_fields) != 3:
        problems.append(
            (
                "pk.fields",
                "pk.mode=kafka takes either no pk.fields (defaults "
                f"{', '.join(DEFAULT_KAFKA_PK_NAMES)}) or exactly 3 names",
            )
        )
    return problems


def validate_sink_config(props: Mapping[str, str]) -> list[ConfigValue]:
    values = sink_config_def().validate(props)
    if any(v.errors for v in values):
        return values
    by_name = {v.name: v for v in values}
    try:
        SinkSettings.parse(props)
    except ConfigError as e:
        by_name.get(e.key or "connection.url", by_name["connection.url"]).add_error(str(e))
        return values
    from sluice.connectors.jdbc.urls import parse_connection_url

    try:
        parse_connection_url(props.get("connection.url", ""))
    except ConfigError as e:
        by_name["connection.url"].add_error(str(e))
    return values
