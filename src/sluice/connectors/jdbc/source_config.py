"""The JDBC source's configuration: the Confluent connector's keys, defaults and checks.

Every key the Confluent ``JdbcSourceConnector`` documents is accepted, so its configs run
unchanged; the few that tune Java internals (``max.buffer.size``, ``poll.linger.ms``) are accepted
and have nothing to tune here. ``timestamp.lag.window.ms`` is sluice's own (see
:mod:`sluice.connectors.jdbc.querier`).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from sluice.api import (
    AbstractConfig,
    CaseInsensitiveValidString,
    ConfigDef,
    ConfigError,
    ConfigType,
    ConfigValue,
    Importance,
    Range,
    ValidString,
    Width,
)
from sluice.connectors.jdbc.source_schema import NumericMapping, zone_of

__all__ = [
    "MODE_BULK",
    "MODE_INCREMENTING",
    "MODE_TIMESTAMP",
    "MODE_TIMESTAMP_INCREMENTING",
    "TABLES_CONFIG",
    "TABLES_FETCHED",
    "SourceSettings",
    "source_config_def",
    "validate_source_config",
]

MODE_BULK: Final = "bulk"
MODE_TIMESTAMP: Final = "timestamp"
MODE_INCREMENTING: Final = "incrementing"
MODE_TIMESTAMP_INCREMENTING: Final = "timestamp+incrementing"
MODES: Final = (MODE_BULK, MODE_TIMESTAMP, MODE_INCREMENTING, MODE_TIMESTAMP_INCREMENTING)

TABLES_CONFIG: Final = "tables"
"""Task-only key: the tables a task copies (quoted, comma separated), set by the connector."""
TABLES_FETCHED: Final = "tables.fetched"

TIMESTAMP_INITIAL_CURRENT: Final = -1

DATABASE: Final = "Database"
MODE: Final = "Mode"
CONNECTOR: Final = "Connector"


def source_config_def() -> ConfigDef:
    d = ConfigDef()
    order = iter(range(1, 100))
    d.define(
        "connection.url",
        ConfigType.STRING,
        importance=Importance.HIGH,
        documentation="JDBC connection URL (jdbc:postgresql://, jdbc:mysql://, jdbc:mariadb://, "
        "jdbc:sqlite:) or a SQLAlchemy URL.",
        order_in_group=next(order),
        width=Width.LONG,
        display_name="JDBC URL",
        group=DATABASE,
    )
    d.define(
        "connection.user",
        ConfigType.STRING,
        None,
        importance=Importance.HIGH,
        documentation="JDBC connection user.",
        order_in_group=next(order),
        width=Width.LONG,
        display_name="JDBC User",
        group=DATABASE,
    )
    d.define(
        "connection.password",
        ConfigType.PASSWORD,
        None,
        importance=Importance.HIGH,
        documentation="JDBC connection password.",
        order_in_group=next(order),
        width=Width.SHORT,
        display_name="JDBC Password",
        group=DATABASE,
    )
    d.define(
        "connection.attempts",
        ConfigType.INT,
        3,
        Range.at_least(1),
        Importance.LOW,
        "Maximum number of attempts to retrieve a valid JDBC connection.",
        order_in_group=next(order),
        width=Width.SHORT,
        display_name="JDBC connection attempts",
        group=DATABASE,
    )
    d.define(
        "connection.backoff.ms",
        ConfigType.LONG,
        10000,
        Range.at_least(0),
        Importance.LOW,
        "Backoff time in milliseconds between connection attempts.",
        order_in_group=next(order),
        width=Width.SHORT,
        display_name="JDBC connection backoff in milliseconds",
        group=DATABASE,
    )
    for name, doc in (
        ("table.whitelist", "List of tables to include in copying (exact names)."),
        ("table.blacklist", "List of tables to exclude from copying (exact names)."),
        ("table.include.list", "Regular expressions of fully qualified tables to include."),
        ("table.exclude.list", "Regular expressions of fully qualified tables to exclude."),
    ):
        d.define(
            name,
            ConfigType.LIST,
            "",
            importance=Importance.MEDIUM,
            documentation=doc,
            order_in_group=next(order),
            width=Width.LONG,
            group=DATABASE,
        )
    d.define(
        "catalog.pattern",
        ConfigType.STRING,
        None,
        importance=Importance.MEDIUM,
        documentation="Catalog pattern (SQL LIKE) to fetch table metadata from the database; "
        "for MySQL/MariaDB the catalog is the database.",
        order_in_group=next(order),
        width=Width.SHORT,
        group=DATABASE,
    )
    d.define(
        "schema.pattern",
        ConfigType.STRING,
        None,
        importance=Importance.HIGH,
        documentation="Schema pattern (SQL LIKE) to fetch table metadata from the database.",
        order_in_group=next(order),
        width=Width.SHORT,
        group=DATABASE,
    )
    d.define(
        "numeric.precision.mapping",
        ConfigType.BOOLEAN,
        False,
        importance=Importance.LOW,
        documentation="Deprecated: use numeric.mapping=precision_only.",
        order_in_group=next(order),
        width=Width.SHORT,
        group=DATABASE,
    )
    d.define(
        "numeric.mapping",
        ConfigType.STRING,
        None,
        _optional_choice(*(m.value for m in NumericMapping)),
        Importance.LOW,
        "How NUMERIC/DECIMAL columns map to Connect types: none (Decimal), precision_only, "
        "best_fit, best_fit_eager_double.",
        order_in_group=next(order),
        width=Width.SHORT,
        group=DATABASE,
    )
    d.define(
        "dialect.name",
        ConfigType.STRING,
        "",
        importance=Importance.LOW,
        documentation="Accepted for compatibility; the dialect follows connection.url.",
        order_in_group=next(order),
        width=Width.LONG,
        group=DATABASE,
    )
    d.define(
        "transaction.isolation.mode",
        ConfigType.STRING,
        "DEFAULT",
        CaseInsensitiveValidString(
            "DEFAULT",
            "READ_UNCOMMITTED",
            "READ_COMMITTED",
            "REPEATABLE_READ",
            "SERIALIZABLE",
            "SQL_SERVER_SNAPSHOT",
        ),
        Importance.LOW,
        "Isolation level of the source's reads.",
        order_in_group=next(order),
        width=Width.MEDIUM,
        group=DATABASE,
    )
    d.define(
        "mode",
        ConfigType.STRING,
        "",
        ValidString("", *MODES),
        Importance.HIGH,
        "The mode for updating a table each time it is polled: bulk, timestamp, incrementing "
        "or timestamp+incrementing.",
        order_in_group=1,
        width=Width.MEDIUM,
        display_name="Table Loading Mode",
        group=MODE,
    )
    d.define(
        "incrementing.column.name",
        ConfigType.STRING,
        "",
        importance=Importance.MEDIUM,
        documentation="The strictly incrementing column used to detect new rows; empty picks "
        "the table's auto-increment column.",
        order_in_group=2,
        width=Width.MEDIUM,
        group=MODE,
    )
    d.define(
        "timestamp.column.name",
        ConfigType.LIST,
        "",
        importance=Importance.MEDIUM,
        documentation="Timestamp columns detecting new or modified rows (COALESCE of the list).",
        order_in_group=3,
        width=Width.MEDIUM,
        group=MODE,
    )
    d.define(
        "timestamp.initial",
        ConfigType.LONG,
        None,
        importance=Importance.LOW,
        documentation="Epoch milliseconds to start timestamp modes from; -1 means now.",
        order_in_group=4,
        width=Width.MEDIUM,
        group=MODE,
    )
    d.define(
        "validate.non.null",
        ConfigType.BOOLEAN,
        True,
        importance=Importance.LOW,
        documentation="Check that the incrementing/timestamp columns are NOT NULL at start.",
        order_in_group=5,
        width=Width.SHORT,
        group=MODE,
    )
    d.define(
        "query",
        ConfigType.STRING,
        "",
        importance=Importance.MEDIUM,
        documentation="A custom query instead of whole tables; incremental modes add their "
        "condition around it.",
        order_in_group=6,
        width=Width.SHORT,
        group=MODE,
    )
    d.define(
        "query.suffix",
        ConfigType.STRING,
        "",
        importance=Importance.LOW,
        documentation="Suffix appended to the generated query.",
        order_in_group=7,
        width=Width.MEDIUM,
        group=MODE,
    )
    d.define(
        "query.masked",
        ConfigType.BOOLEAN,
        False,
        importance=Importance.LOW,
        documentation="Hide the query in logs.",
        order_in_group=8,
        width=Width.SHORT,
        group=MODE,
    )
    d.define(
        "query.retry.attempts",
        ConfigType.INT,
        -1,
        importance=Importance.LOW,
        documentation="Retries of a failing query before the task fails; -1 retries forever.",
        order_in_group=9,
        width=Width.SHORT,
        group=MODE,
    )
    d.define(
        "timestamp.granularity",
        ConfigType.STRING,
        "connect_logical",
        ValidString("connect_logical"),
        Importance.LOW,
        "How timestamps are represented; sluice supports connect_logical.",
        order_in_group=10,
        width=Width.SHORT,
        group=MODE,
    )
    d.define(
        "timestamp.lag.window.ms",
        ConfigType.LONG,
        30000,
        Range.at_least(0),
        Importance.MEDIUM,
        "sluice: timestamp modes re-read this window behind the newest timestamp seen and skip "
        "rows already sent, so rows whose transaction committed late are not lost.",
        order_in_group=11,
        width=Width.SHORT,
        group=MODE,
    )
    d.define(
        "table.types",
        ConfigType.LIST,
        "TABLE",
        importance=Importance.LOW,
        documentation="Table types to copy: TABLE, VIEW.",
        order_in_group=1,
        width=Width.SHORT,
        group=CONNECTOR,
    )
    d.define(
        "poll.interval.ms",
        ConfigType.INT,
        5000,
        Range.at_least(1),
        Importance.HIGH,
        "Frequency in ms to poll for new data in each table.",
        order_in_group=2,
        width=Width.SHORT,
        group=CONNECTOR,
    )
    d.define(
        "batch.max.rows",
        ConfigType.INT,
        1000,
        Range.at_least(1),
        Importance.LOW,
        "Maximum number of rows in one batch returned by a poll.",
        order_in_group=3,
        width=Width.SHORT,
        group=CONNECTOR,
    )
    d.define(
        "max.buffer.size",
        ConfigType.INT,
        0,
        Range.at_least(0),
        Importance.LOW,
        "Accepted for compatibility.",
        order_in_group=4,
        width=Width.SHORT,
        group=CONNECTOR,
    )
    d.define(
        "poll.linger.ms",
        ConfigType.LONG,
        5000,
        Range.at_least(0),
        Importance.LOW,
        "Accepted for compatibility.",
        order_in_group=5,
        width=Width.SHORT,
        group=CONNECTOR,
    )
    d.define(
        "table.poll.interval.ms",
        ConfigType.LONG,
        60000,
        Range.at_least(1),
        Importance.LOW,
        "Frequency in ms to look for new or removed tables.",
        order_in_group=6,
        width=Width.SHORT,
        group=CONNECTOR,
    )
    d.define(
        "table.monitoring.startup.polling.limit.ms",
        ConfigType.LONG,
        10000,
        Range.at_least(0),
        Importance.LOW,
        "Accepted for compatibility.",
        order_in_group=7,
        width=Width.SHORT,
        group=CONNECTOR,
    )
    d.define(
        "topic.prefix",
        ConfigType.STRING,
        "",
        importance=Importance.HIGH,
        documentation="Prefix of the topic names: the table name is appended (the whole topic "
        "name in query mode).",
        order_in_group=8,
        width=Width.MEDIUM,
        group=CONNECTOR,
    )
    d.define(
        "timestamp.delay.interval.ms",
        ConfigType.LONG,
        0,
        Range.at_least(0),
        Importance.HIGH,
        "How long to wait after a row with a timestamp appears before reading it.",
        order_in_group=9,
        width=Width.MEDIUM,
        group=CONNECTOR,
    )
    d.define(
        "db.timezone",
        ConfigType.STRING,
        "UTC",
        _zone_validator,
        Importance.MEDIUM,
        "Time zone of wall-clock (timezone-less) timestamp columns.",
        order_in_group=10,
        width=Width.MEDIUM,
        group=CONNECTOR,
    )
    d.define(
        "quote.sql.identifiers",
        ConfigType.STRING,
        "always",
        CaseInsensitiveValidString("always", "never"),
        Importance.MEDIUM,
        "When to quote table and column names in SQL.",
        order_in_group=11,
        width=Width.MEDIUM,
        group=CONNECTOR,
    )
    d.define(
        "date.calendar.system",
        ConfigType.STRING,
        "LEGACY",
        CaseInsensitiveValidString("LEGACY", "PROLEPTIC_GREGORIAN"),
        Importance.LOW,
        "Accepted for compatibility: Python dates are proleptic Gregorian.",
        order_in_group=12,
        width=Width.SHORT,
        group=CONNECTOR,
    )
    d.define_internal(TABLES_CONFIG, ConfigType.STRING, "")
    d.define_internal(TABLES_FETCHED, ConfigType.BOOLEAN, False)
    return d


class _OptionalChoice:
    def __init__(self, *valid: str) -> None:
        self.valid = valid

    def __call__(self, name: str, value: Any) -> None:
        if value is not None and value.lower() not in self.valid:
            raise ConfigError.invalid(name, value, f"must be one of: {', '.join(self.valid)}")

    def __str__(self) -> str:
        return "[" + ", ".join(self.valid) + "]"


def _optional_choice(*valid: str) -> _OptionalChoice:
    return _OptionalChoice(*valid)


def _zone_validator(name: str, value: Any) -> None:
    if value is None:
        return
    try:
        zone_of(str(value))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError.invalid(name, value, "Invalid time zone identifier") from None


@dataclass(frozen=True)
class SourceSettings:
    """The parsed source configuration, typed; durations in float seconds."""

    url: str
    user: str | None
    password: str | None
    connection_attempts: int
    connection_backoff: float
    whitelist: list[str]
    blacklist: list[str]
    include_list: list[str]
    exclude_list: list[str]
    catalog_pattern: str | None
    schema_pattern: str | None
    table_types: list[str]
    table_poll_interval: float
    mode: str
    incrementing_column: str
    timestamp_columns: list[str]
    timestamp_initial: int | None
    validate_non_null: bool
    query: str
    query_suffix: str
    query_masked: bool
    query_retry_attempts: int
    lag_window: float
    poll_interval: float
    batch_max_rows: int
    topic_prefix: str
    timestamp_delay: float
    zone: dt.tzinfo
    quote_identifiers: bool
    numeric_mapping: NumericMapping
    tables: list[str]
    tables_fetched: bool

    @classmethod
    def parse(cls, props: Mapping[str, str]) -> SourceSettings:
        cfg = AbstractConfig(source_config_def(), props)
        password = cfg.get_password("connection.password")
        mapping_text = cfg.get_string("numeric.mapping")
        if mapping_text:
            mapping = NumericMapping(mapping_text.lower())
        elif cfg.get_boolean("numeric.precision.mapping"):
            mapping = NumericMapping.PRECISION_ONLY
        else:
            mapping = NumericMapping.NONE
        tables_text = cfg.get_string(TABLES_CONFIG) or ""
        return cls(
            url=cfg.get_string("connection.url") or "",
            user=cfg.get_string("connection.user"),
            password=password.value() if password is not None else None,
            connection_attempts=cfg.get_int("connection.attempts"),
            connection_backoff=cfg.get_long("connection.backoff.ms") / 1000.0,
            whitelist=cfg.get_list("table.whitelist"),
            blacklist=cfg.get_list("table.blacklist"),
            include_list=cfg.get_list("table.include.list"),
            exclude_list=cfg.get_list("table.exclude.list"),
            catalog_pattern=cfg.get_string("catalog.pattern") or None,
            schema_pattern=cfg.get_string("schema.pattern") or None,
            table_types=[t.upper() for t in cfg.get_list("table.types")],
            table_poll_interval=cfg.get_long("table.poll.interval.ms") / 1000.0,
            mode=cfg.get_string("mode") or "",
            incrementing_column=cfg.get_string("incrementing.column.name") or "",
            timestamp_columns=[c for c in cfg.get_list("timestamp.column.name") if c],
            timestamp_initial=cfg.get("timestamp.initial"),
            validate_non_null=cfg.get_boolean("validate.non.null"),
            query=cfg.get_string("query") or "",
            query_suffix=(cfg.get_string("query.suffix") or "").strip(),
            query_masked=cfg.get_boolean("query.masked"),
            query_retry_attempts=cfg.get_int("query.retry.attempts"),
            lag_window=cfg.get_long("timestamp.lag.window.ms") / 1000.0,
            poll_interval=cfg.get_int("poll.interval.ms") / 1000.0,
            batch_max_rows=cfg.get_int("batch.max.rows"),
            topic_prefix=cfg.get_string("topic.prefix") or "",
            timestamp_delay=cfg.get_long("timestamp.delay.interval.ms") / 1000.0,
            zone=zone_of(cfg.get_string("db.timezone") or "UTC"),
            quote_identifiers=(cfg.get_string("quote.sql.identifiers") or "always").lower()
            != "never",
            numeric_mapping=mapping,
            tables=_split_tables(tables_text),
            tables_fetched=cfg.get_boolean(TABLES_FETCHED),
        )

    @property
    def uses_timestamp(self) -> bool:
        return self.mode in (MODE_TIMESTAMP, MODE_TIMESTAMP_INCREMENTING)

    @property
    def uses_incrementing(self) -> bool:
        return self.mode in (MODE_INCREMENTING, MODE_TIMESTAMP_INCREMENTING)

    def check(self) -> None:
        """Cross-key rules; raises :class:`ConfigError` naming the key at fault."""
        for key, message in mode_problems(self):
            raise ConfigError(message, key)


def mode_problems(s: SourceSettings) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    if s.mode not in MODES:
        problems.append(
            ("mode", "Invalid value for configuration mode: must be one of " + ", ".join(MODES))
        )
    if s.uses_timestamp and not s.timestamp_columns:
        problems.append(
            (
                "timestamp.column.name",
                f"Invalid value for configuration timestamp.column.name: mode {s.mode} needs "
                "at least one timestamp column",
            )
        )
    if s.query and (s.whitelist or s.blacklist or s.include_list or s.exclude_list):
        problems.append(("query", "query may not be combined with whole-table copying settings."))
    if s.whitelist and s.blacklist:
        problems.append(
            ("table.blacklist", "table.whitelist and table.blacklist cannot both be set.")
        )
    if (s.whitelist or s.blacklist) and (s.include_list or s.exclude_list):
        problems.append(
            (
                "table.include.list",
                "table.include.list/table.exclude.list cannot be combined with "
                "table.whitelist/table.blacklist.",
            )
        )
    return problems


def validate_source_config(props: Mapping[str, str]) -> list[ConfigValue]:
    """Per-key validation plus the cross-key rules, reported on the keys they concern."""
    values = source_config_def().validate(props)
    if any(v.errors for v in values):
        return values
    try:
        settings = SourceSettings.parse(props)
    except ConfigError as e:
        by_name = {v.name: v for v in values}
        target = by_name.get(e.key or "connection.url")
        if target is not None:
            target.add_error(str(e))
        return values
    by_name = {v.name: v for v in values}
    for key, message in mode_problems(settings):
        by_name[key].add_error(message)
    from sluice.connectors.jdbc.urls import parse_connection_url

    try:
        parse_connection_url(settings.url)
    except ConfigError as e:
        by_name["connection.url"].add_error(str(e))
    return values


def _split_tables(text: str) -> list[str]:
    """The ``tables`` task key: comma-separated names that may be quoted (with commas inside)."""
    out: list[str] = []
    current: list[str] = []
    quote: str | None = None
    for ch in text:
        if quote is not None:
            current.append(ch)
            if ch == quote:
                quote = None
            continue
        if ch in '"`':
            quote = ch
            current.append(ch)
        elif ch == ",":
            out.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    if current:
        out.append("".join(current).strip())
    return [t for t in out if t]
