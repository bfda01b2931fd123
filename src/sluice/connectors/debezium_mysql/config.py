"""The MySQL/MariaDB connectors' configuration: Debezium's key names, defaults and meanings.

Only the keys sluice acts on are defined; a Debezium configuration with other keys still starts
(unknown keys are ignored, as Kafka Connect ignores them), so existing connector files run
unchanged. ``database.server.id`` has no default: Debezium picks a random one, which makes two
runs of the same file collide or not by chance; here the user names it, as the docs advise.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Final

from sluice.api import (
    AbstractConfig,
    ConfigDef,
    ConfigError,
    ConfigType,
    Importance,
    NonEmptyString,
    Range,
    ValidString,
)
from sluice.connectors.debezium.common_config import (
    DECIMAL_MODE,
    HEARTBEAT_INTERVAL,
    HEARTBEAT_PREFIX,
    HOSTNAME,
    PASSWORD,
    PORT,
    TOMBSTONES,
    TOPIC_PREFIX,
    USER,
    define_events,
    define_server,
)
from sluice.connectors.debezium.incremental_snapshot import (
    CHUNK_SIZE,
    SIGNAL_DATA_COLLECTION,
    define_signals,
    parse_collection,
)

__all__ = [
    "BigIntUnsignedMode",
    "DecimalMode",
    "Settings",
    "SnapshotMode",
    "TimePrecisionMode",
    "config_def",
]

SERVER_ID: Final = "database.server.id"
DATABASE_INCLUDE: Final = "database.include.list"
DATABASE_EXCLUDE: Final = "database.exclude.list"
TABLE_INCLUDE: Final = "table.include.list"
TABLE_EXCLUDE: Final = "table.exclude.list"
COLUMN_INCLUDE: Final = "column.include.list"
COLUMN_EXCLUDE: Final = "column.exclude.list"
SNAPSHOT_MODE: Final = "snapshot.mode"
TIME_PRECISION: Final = "time.precision.mode"
BIGINT_UNSIGNED: Final = "bigint.unsigned.handling.mode"
SCHEMA_CHANGES: Final = "include.schema.changes"
HISTORY_TOPIC: Final = "schema.history.internal.kafka.topic"
HISTORY_BOOTSTRAP: Final = "schema.history.internal.kafka.bootstrap.servers"
HISTORY_ONLY_CAPTURED_TABLES: Final = "schema.history.internal.store.only.captured.tables.ddl"
HISTORY_ONLY_CAPTURED_DATABASES: Final = "schema.history.internal.store.only.captured.databases.ddl"
MAX_BATCH: Final = "max.batch.size"
MAX_QUEUE: Final = "max.queue.size"
POLL_INTERVAL: Final = "poll.interval.ms"
FETCH_SIZE: Final = "snapshot.fetch.size"
CONNECT_TIMEOUT: Final = "connect.timeout.ms"


class SnapshotMode(enum.Enum):
    """When existing rows are read: ``initial`` (no offset yet, or an unfinished snapshot),
    ``no_data`` (never; schemas only), ``when_needed`` (also when the stored binlog position is
    gone from the server), ``initial_only`` (snapshot, then no streaming)."""

    INITIAL = "initial"
    NO_DATA = "no_data"
    WHEN_NEEDED = "when_needed"
    INITIAL_ONLY = "initial_only"


class DecimalMode(enum.Enum):
    PRECISE = "precise"
    DOUBLE = "double"
    STRING = "string"


class TimePrecisionMode(enum.Enum):
    ADAPTIVE_TIME_MICROSECONDS = "adaptive_time_microseconds"
    CONNECT = "connect"


class BigIntUnsignedMode(enum.Enum):
    LONG = "long"
    PRECISE = "precise"


_SNAPSHOT_ALIASES: Final = {"schema_only": "no_data"}
"""Debezium's deprecated name that still works there."""

GROUP_CONNECTION: Final = "Connection"
GROUP_FILTERS: Final = "Filters"
GROUP_EVENTS: Final = "Events"
GROUP_HISTORY: Final = "Schema history"


def config_def() -> ConfigDef:
    """The keys both connectors take (MySQL and MariaDB differ only in names)."""
    d = ConfigDef()
    define_server(
        d,
        port=3306,
        user_doc="Name of the database user; it needs SELECT, RELOAD (MySQL snapshots), "
        "REPLICATION SLAVE and REPLICATION CLIENT (BINLOG MONITOR on MariaDB).",
        topic_prefix_doc="Logical name of the server: the prefix of every topic "
        "(<prefix>.<database>.<table>), the schema change topic itself, and the source "
        'partition of the offsets ({"server": <prefix>}).',
        group=GROUP_CONNECTION,
    )
    d.define(
        SERVER_ID,
        ConfigType.LONG,
        validator=Range.between(1, 4294967295),
        importance=Importance.HIGH,
        documentation="The replica server id this connector reads the binlog as; unique among "
        "the server's replicas and other binlog readers.",
        group=GROUP_CONNECTION,
    )
    d.define(
        CONNECT_TIMEOUT,
        ConfigType.INT,
        30000,
        Range.at_least(1000),
        Importance.LOW,
        "Milliseconds to wait for a connection to the server.",
        group=GROUP_CONNECTION,
    )
    for key, doc in (
        (
            DATABASE_INCLUDE,
            "Regular expressions (comma-separated) matching the databases to "
            "capture; others are ignored. Not with database.exclude.list.",
        ),
        (DATABASE_EXCLUDE, "Regular expressions matching databases not to capture."),
        (
            TABLE_INCLUDE,
            "Regular expressions matching the <database>.<table> names to capture. "
            "Not with table.exclude.list.",
        ),
        (TABLE_EXCLUDE, "Regular expressions matching <database>.<table> names not to capture."),
        (
            COLUMN_INCLUDE,
            "Regular expressions matching <database>.<table>.<column> names to "
            "include in change events. Not with column.exclude.list.",
        ),
        (
            COLUMN_EXCLUDE,
            "Regular expressions matching <database>.<table>.<column> names to "
            "leave out of change events.",
        ),
    ):
        d.define(key, ConfigType.LIST, "", None, Importance.MEDIUM, doc, group=GROUP_FILTERS)
    d.define(
        SNAPSHOT_MODE,
        ConfigType.STRING,
        SnapshotMode.INITIAL.value,
        ValidString(*(m.value for m in SnapshotMode), *_SNAPSHOT_ALIASES),
        Importance.MEDIUM,
        "When existing rows are read: initial (when there is no offset yet), no_data (never: "
        "schemas only), when_needed (also when the stored binlog position is no longer on the "
        "server), initial_only (snapshot, then stop without streaming).",
        group=GROUP_EVENTS,
    )
    define_events(
        d,
        group=GROUP_EVENTS,
        decimal_doc="DECIMAL/NUMERIC as precise (org.apache.kafka.connect.data.Decimal), double "
        "or string.",
    )
    d.define(
        TIME_PRECISION,
        ConfigType.STRING,
        TimePrecisionMode.ADAPTIVE_TIME_MICROSECONDS.value,
        ValidString(*(m.value for m in TimePrecisionMode)),
        Importance.MEDIUM,
        "adaptive_time_microseconds: io.debezium.time types by column precision, TIME always "
        "MicroTime; connect: Kafka Connect's Date, Time and Timestamp (milliseconds).",
        group=GROUP_EVENTS,
    )
    d.define(
        BIGINT_UNSIGNED,
        ConfigType.STRING,
        BigIntUnsignedMode.LONG.value,
        ValidString(*(m.value for m in BigIntUnsignedMode)),
        Importance.MEDIUM,
        "BIGINT UNSIGNED as long (int64; values above 2^63-1 wrap, as in Debezium) or precise "
        "(Decimal with scale 0).",
        group=GROUP_EVENTS,
    )
    d.define(
        SCHEMA_CHANGES,
        ConfigType.BOOLEAN,
        True,
        importance=Importance.MEDIUM,
        documentation="Whether schema changes (DDL) are written to the topic named by "
        "topic.prefix, keyed by database name.",
        group=GROUP_EVENTS,
    )
    d.define(
        MAX_BATCH,
        ConfigType.INT,
        2048,
        Range.at_least(1),
        Importance.LOW,
        "Most records one poll returns.",
        group=GROUP_EVENTS,
    )
    d.define(
        MAX_QUEUE,
        ConfigType.INT,
        8192,
        Range.at_least(1),
        Importance.LOW,
        "Most records read from the binlog ahead of Kafka; the reader waits beyond it.",
        group=GROUP_EVENTS,
    )
    d.define(
        POLL_INTERVAL,
        ConfigType.LONG,
        500,
        Range.at_least(1),
        Importance.LOW,
        "Longest a poll waits for new records, in milliseconds.",
        group=GROUP_EVENTS,
    )
    d.define(
        FETCH_SIZE,
        ConfigType.INT,
        2000,
        Range.at_least(1),
        Importance.LOW,
        "Rows a snapshot reads per fetch.",
        group=GROUP_EVENTS,
    )
    d.define(
        HISTORY_TOPIC,
        ConfigType.STRING,
        validator=NonEmptyString(),
        importance=Importance.HIGH,
        documentation="Topic (one partition, kept forever) holding the DDL history, as "
        "Debezium's KafkaSchemaHistory writes it.",
        group=GROUP_HISTORY,
    )
    d.define(
        HISTORY_BOOTSTRAP,
        ConfigType.STRING,
        validator=NonEmptyString(),
        importance=Importance.HIGH,
        documentation="Kafka brokers holding the schema history topic.",
        group=GROUP_HISTORY,
    )
    d.define(
        HISTORY_ONLY_CAPTURED_TABLES,
        ConfigType.BOOLEAN,
        False,
        importance=Importance.LOW,
        documentation="Whether only the DDL of captured tables is recorded (history and schema "
        "change topic); by default, as in Debezium, the snapshot records every table of the "
        "server and streaming every DDL statement.",
        group=GROUP_HISTORY,
    )
    d.define(
        HISTORY_ONLY_CAPTURED_DATABASES,
        ConfigType.BOOLEAN,
        False,
        importance=Importance.LOW,
        documentation="Whether only the DDL of captured databases is recorded.",
        group=GROUP_HISTORY,
    )
    define_signals(d, group=GROUP_EVENTS, collection_format="<database>.<table>")
    return d


def _patterns(key: str, values: list[str]) -> tuple[re.Pattern[str], ...]:
    out: list[re.Pattern[str]] = []
    for v in values:
        v = v.strip()
        if not v:
            continue
        try:
            out.append(re.compile(v, re.IGNORECASE))
        except re.error as e:
            raise ConfigError.invalid(key, v, f"Invalid regular expression: {e}") from None
    return tuple(out)


@dataclass(frozen=True)
class Filters:
    """Which databases, tables and columns are captured: Debezium's include/exclude lists, each
    a regular expression matched against the whole (case-insensitive) qualified name."""

    database_include: tuple[re.Pattern[str], ...] = ()
    database_exclude: tuple[re.Pattern[str], ...] = ()
    table_include: tuple[re.Pattern[str], ...] = ()
    table_exclude: tuple[re.Pattern[str], ...] = ()
    column_include: tuple[re.Pattern[str], ...] = ()
    column_exclude: tuple[re.Pattern[str], ...] = ()

    SYSTEM_DATABASES: ClassVar[frozenset[str]] = frozenset(
        {"mysql", "sys", "performance_schema", "information_schema"}
    )

    def database(self, db: str) -> bool:
        if db.lower() in self.SYSTEM_DATABASES:
            return False
        if self.database_include:
            return any(p.fullmatch(db) for p in self.database_include)
        return not any(p.fullmatch(db) for p in self.database_exclude)

    def table(self, db: str, table: str) -> bool:
        if not self.database(db):
            return False
        name = f"{db}.{table}"
        if self.table_include:
            return any(p.fullmatch(name) for p in self.table_include)
        return not any(p.fullmatch(name) for p in self.table_exclude)

    def column(self, db: str, table: str, column: str) -> bool:
        name = f"{db}.{table}.{column}"
        if self.column_include:
            return any(p.fullmatch(name) for p in self.column_include)
        return not any(p.fullmatch(name) for p in self.column_exclude)


@dataclass(frozen=True)
class Settings:
    """The parsed configuration one task runs with."""

    hostname: str
    port: int
    user: str
    password: str | None
    server_id: int
    topic_prefix: str
    filters: Filters
    snapshot_mode: SnapshotMode
    decimal_mode: DecimalMode
    time_precision: TimePrecisionMode
    bigint_unsigned: BigIntUnsignedMode
    tombstones: bool
    schema_changes: bool
    history_topic: str
    history_bootstrap: str
    history_only_captured_tables: bool
    history_only_captured_databases: bool
    heartbeat_interval: float
    heartbeat_topic: str
    max_batch: int
    max_queue: int
    poll_interval: float
    fetch_size: int
    connect_timeout: float
    signal_data_collection: tuple[str, str] | None = None
    """(database, table) of the signal table, or ``None``."""
    incremental_chunk_size: int = 1024

    def records_ddl_of(self, db: str, table: str | None) -> bool:
        """Whether DDL on ``db`` (and ``table``) goes to the history and schema change topics:
        Debezium records all of it unless ``store.only.captured.*.ddl`` narrows it down."""
        if not db or db.lower() in Filters.SYSTEM_DATABASES:
            return not db
        if self.history_only_captured_databases and not self.filters.database(db):
            return False
        if self.history_only_captured_tables:
            return self.filters.database(db) if table is None else self.filters.table(db, table)
        return True

    @classmethod
    def parse(cls, props: Mapping[str, Any]) -> Settings:
        props = dict(props)
        mode = props.get(SNAPSHOT_MODE)
        if isinstance(mode, str) and mode.strip().lower() in _SNAPSHOT_ALIASES:
            props[SNAPSHOT_MODE] = _SNAPSHOT_ALIASES[mode.strip().lower()]
        c = AbstractConfig(config_def(), props)
        for include, exclude in (
            (DATABASE_INCLUDE, DATABASE_EXCLUDE),
            (TABLE_INCLUDE, TABLE_EXCLUDE),
            (COLUMN_INCLUDE, COLUMN_EXCLUDE),
        ):
            if any(s.strip() for s in c.get_list(include)) and any(
                s.strip() for s in c.get_list(exclude)
            ):
                raise ConfigError.invalid(
                    exclude,
                    ",".join(c.get_list(exclude)),
                    f"{include} and {exclude} cannot both be set",
                )
        password = c.get_password(PASSWORD)
        signals = c.get_string(SIGNAL_DATA_COLLECTION)
        try:
            signal_table = parse_collection(signals, "<database>.<table>")
        except ValueError as e:
            raise ConfigError.invalid(SIGNAL_DATA_COLLECTION, signals, str(e)) from None
        prefix = c.get_string(TOPIC_PREFIX) or ""
        return cls(
            hostname=c.get_string(HOSTNAME) or "",
            port=c.get_int(PORT),
            user=c.get_string(USER) or "",
            password=password.value() if password is not None else None,
            server_id=c.get_long(SERVER_ID),
            topic_prefix=prefix,
            filters=Filters(
                _patterns(DATABASE_INCLUDE, c.get_list(DATABASE_INCLUDE)),
                _patterns(DATABASE_EXCLUDE, c.get_list(DATABASE_EXCLUDE)),
                _patterns(TABLE_INCLUDE, c.get_list(TABLE_INCLUDE)),
                _patterns(TABLE_EXCLUDE, c.get_list(TABLE_EXCLUDE)),
                _patterns(COLUMN_INCLUDE, c.get_list(COLUMN_INCLUDE)),
                _patterns(COLUMN_EXCLUDE, c.get_list(COLUMN_EXCLUDE)),
            ),
            snapshot_mode=SnapshotMode(c.get_string(SNAPSHOT_MODE)),
            decimal_mode=DecimalMode(str(c.get_string(DECIMAL_MODE)).lower()),
            time_precision=TimePrecisionMode(c.get_string(TIME_PRECISION)),
            bigint_unsigned=BigIntUnsignedMode(c.get_string(BIGINT_UNSIGNED)),
            tombstones=c.get_boolean(TOMBSTONES),
            schema_changes=c.get_boolean(SCHEMA_CHANGES),
            history_topic=c.get_string(HISTORY_TOPIC) or "",
            history_bootstrap=c.get_string(HISTORY_BOOTSTRAP) or "",
            history_only_captured_tables=c.get_boolean(HISTORY_ONLY_CAPTURED_TABLES),
            history_only_captured_databases=c.get_boolean(HISTORY_ONLY_CAPTURED_DATABASES),
            heartbeat_interval=c.get_int(HEARTBEAT_INTERVAL) / 1000.0,
            heartbeat_topic=f"{c.get_string(HEARTBEAT_PREFIX)}.{prefix}",
            max_batch=c.get_int(MAX_BATCH),
            max_queue=c.get_int(MAX_QUEUE),
            poll_interval=c.get_long(POLL_INTERVAL) / 1000.0,
            fetch_size=c.get_int(FETCH_SIZE),
            connect_timeout=c.get_int(CONNECT_TIMEOUT) / 1000.0,
            signal_data_collection=signal_table,
            incremental_chunk_size=c.get_int(CHUNK_SIZE),
        )
