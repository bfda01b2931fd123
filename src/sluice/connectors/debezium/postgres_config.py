"""The PostgreSQL connector's configuration: Debezium's keys, defaults and accepted values.

Only what sluice implements is defined, so a config written for Debezium's
``io.debezium.connector.postgresql.PostgresConnector`` keeps its meaning; a value Debezium
accepts but sluice does not (``plugin.name=decoderbufs``, ``snapshot.mode=always``...) is a
:class:`ConfigError` naming the key, never silently treated as something else.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from sluice.api import (
    AbstractConfig,
    CaseInsensitiveValidString,
    ConfigDef,
    ConfigError,
    ConfigType,
    Importance,
    NonEmptyString,
    Range,
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
from sluice.connectors.debezium.postgres_types import TypeSettings

__all__ = ["PostgresSettings", "postgres_config_def"]

DBNAME: Final = "database.dbname"
PLUGIN_NAME: Final = "plugin.name"
SLOT_NAME: Final = "slot.name"
SLOT_DROP_ON_STOP: Final = "slot.drop.on.stop"
PUBLICATION_NAME: Final = "publication.name"
PUBLICATION_AUTOCREATE: Final = "publication.autocreate.mode"
SCHEMA_INCLUDE: Final = "schema.include.list"
SCHEMA_EXCLUDE: Final = "schema.exclude.list"
TABLE_INCLUDE: Final = "table.include.list"
TABLE_EXCLUDE: Final = "table.exclude.list"
COLUMN_INCLUDE: Final = "column.include.list"
COLUMN_EXCLUDE: Final = "column.exclude.list"
SNAPSHOT_MODE: Final = "snapshot.mode"
TIME_PRECISION: Final = "time.precision.mode"
INCLUDE_UNKNOWN: Final = "include.unknown.datatypes"
MAX_BATCH_SIZE: Final = "max.batch.size"
POLL_INTERVAL: Final = "poll.interval.ms"
STATUS_INTERVAL: Final = "status.update.interval.ms"
SLOT_MAX_RETRIES: Final = "slot.max.retries"
SLOT_RETRY_DELAY: Final = "slot.retry.delay.ms"
SNAPSHOT_FETCH_SIZE: Final = "snapshot.fetch.size"
SSL_MODE: Final = "database.sslmode"

SNAPSHOT_MODES: Final = ("initial", "no_data", "when_needed", "initial_only")
_SNAPSHOT_ALIASES: Final = {"never": "no_data", "schema_only": "no_data"}
"""Names Debezium 1.x/2.x used and 3.x still reads."""

_CONNECTION = "Connection"
_FILTERS = "Filters"
_REPLICATION = "Replication"
_EVENTS = "Events"


def postgres_config_def() -> ConfigDef:
    d = ConfigDef()
    define_server(
        d,
        port=5432,
        user_doc="Name of the database user to be used when connecting to the database (needs "
        "the REPLICATION attribute, or to own the slot and publication).",
        topic_prefix_doc="Topic prefix that identifies and provides a namespace for the "
        "particular database server/cluster; the topic of each table is "
        "<topic.prefix>.<schema>.<table>, and it names the source partition of the offsets.",
        group=_CONNECTION,
    )
    d.define(
        DBNAME,
        ConfigType.STRING,
        validator=NonEmptyString(),
        importance=Importance.HIGH,
        documentation="The name of the database from which the connector should capture changes.",
        group=_CONNECTION,
        display_name="Database",
    )
    d.define(
        SSL_MODE,
        ConfigType.STRING,
        "prefer",
        CaseInsensitiveValidString(
            "disable", "allow", "prefer", "require", "verify-ca", "verify-full"
        ),
        Importance.MEDIUM,
        "Whether to use an encrypted connection to the server (libpq's sslmode).",
        _CONNECTION,
        display_name="SSL mode",
    )
    d.define(
        PLUGIN_NAME,
        ConfigType.STRING,
        "pgoutput",
        CaseInsensitiveValidString("pgoutput"),
        Importance.MEDIUM,
        "The name of the logical decoding plugin installed on the server "
        "(sluice reads PostgreSQL's built-in pgoutput only).",
        _REPLICATION,
        display_name="Plugin",
    )
    d.define(
        SLOT_NAME,
        ConfigType.STRING,
        "debezium",
        NonEmptyString(),
        Importance.MEDIUM,
        "The name of the PostgreSQL logical decoding slot created for streaming changes "
        "from a plugin and database instance; reused when it exists.",
        _REPLICATION,
        display_name="Slot",
    )
    d.define(
        SLOT_DROP_ON_STOP,
        ConfigType.BOOLEAN,
        False,
        importance=Importance.MEDIUM,
        documentation="Whether to drop the logical replication slot when the connector "
        "finishes orderly. Only for testing: a dropped slot loses the changes made while "
        "the connector is stopped.",
        group=_REPLICATION,
        display_name="Drop slot on stop",
    )
    d.define(
        PUBLICATION_NAME,
        ConfigType.STRING,
        "dbz_publication",
        NonEmptyString(),
        Importance.MEDIUM,
        "The name of the Postgres publication that the connector uses "
        "(pgoutput only streams the tables of a publication).",
        _REPLICATION,
        display_name="Publication",
    )
    d.define(
        PUBLICATION_AUTOCREATE,
        ConfigType.STRING,
        "all_tables",
        CaseInsensitiveValidString("all_tables", "disabled", "filtered"),
        Importance.LOW,
        "all_tables: create the publication FOR ALL TABLES when it does not exist; "
        "disabled: the publication must exist; filtered: create it (or set its tables) for "
        "the tables the include/exclude lists select.",
        _REPLICATION,
        display_name="Publication auto-create mode",
    )
    d.define(
        SLOT_MAX_RETRIES,
        ConfigType.INT,
        6,
        Range.at_least(0),
        Importance.LOW,
        "How many times to retry when the slot is in use by another connection (a previous "
        "task's server process is still letting go of it) before failing.",
        _REPLICATION,
    )
    d.define(
        SLOT_RETRY_DELAY,
        ConfigType.LONG,
        10000,
        Range.at_least(0),
        Importance.LOW,
        "Time in ms between attempts to take a slot that is in use.",
        _REPLICATION,
    )
    for name, doc in (
        (SCHEMA_INCLUDE, "The schemas for which events should be captured (regular expressions)."),
        (SCHEMA_EXCLUDE, "The schemas for which events must not be captured."),
        (
            TABLE_INCLUDE,
            "The tables for which changes are to be captured, as regular expressions "
            "matched against <schema>.<table>.",
        ),
        (TABLE_EXCLUDE, "The tables for which changes are not to be captured."),
        (
            COLUMN_INCLUDE,
            "Regular expressions matched against <schema>.<table>.<column>: the "
            "columns to include in change events.",
        ),
        (
            COLUMN_EXCLUDE,
            "Regular expressions matched against <schema>.<table>.<column>: the "
            "columns to exclude from change events.",
        ),
    ):
        d.define(
            name,
            ConfigType.LIST,
            "",
            importance=Importance.MEDIUM,
            documentation=doc,
            group=_FILTERS,
        )
    d.define(
        SNAPSHOT_MODE,
        ConfigType.STRING,
        "initial",
        CaseInsensitiveValidString(*SNAPSHOT_MODES, *_SNAPSHOT_ALIASES),
        Importance.LOW,
        "initial: snapshot the tables when there is no offset, then stream; no_data: only "
        "stream; when_needed: snapshot when there is no offset or the slot is gone; "
        "initial_only: snapshot and stop streaming.",
        _EVENTS,
        display_name="Snapshot mode",
    )
    d.define(
        SNAPSHOT_FETCH_SIZE,
        ConfigType.INT,
        10240,
        Range.at_least(1),
        Importance.MEDIUM,
        "The maximum number of rows read at once from each table while taking a snapshot.",
        _EVENTS,
    )
    define_events(
        d,
        group=_EVENTS,
        decimal_doc="How DECIMAL and NUMERIC columns are represented: precise (Connect "
        "Decimal, or io.debezium.data.VariableScaleDecimal without a declared scale), double or "
        "string.",
    )
    d.define(
        TIME_PRECISION,
        ConfigType.STRING,
        "adaptive",
        CaseInsensitiveValidString("adaptive", "adaptive_time_microseconds", "connect"),
        Importance.MEDIUM,
        "Time, date and timestamps: adaptive (io.debezium.time types by "
        "the column's precision), adaptive_time_microseconds (TIME as MicroTime) or connect "
        "(Kafka Connect's Date/Time/Timestamp, millisecond precision).",
        _EVENTS,
    )
    d.define(
        INCLUDE_UNKNOWN,
        ConfigType.BOOLEAN,
        False,
        importance=Importance.LOW,
        documentation="Whether columns of a type the connector does not map are included "
        "(as bytes of their text) instead of left out with a warning.",
        group=_EVENTS,
    )
    d.define(
        MAX_BATCH_SIZE,
        ConfigType.INT,
        2048,
        Range.at_least(1),
        Importance.MEDIUM,
        "Maximum number of records returned by one poll.",
        _EVENTS,
    )
    d.define(
        POLL_INTERVAL,
        ConfigType.LONG,
        500,
        Range.at_least(0),
        Importance.LOW,
        "Longest a poll waits for new changes, in ms.",
        _EVENTS,
    )
    d.define(
        STATUS_INTERVAL,
        ConfigType.INT,
        10000,
        Range.at_least(0),
        Importance.LOW,
        "How often, in ms, the replication stream reports its position to the server.",
        _REPLICATION,
    )
    define_signals(d, group=_EVENTS, collection_format="<schema>.<table>")
    return d


def _patterns(config: AbstractConfig, key: str) -> tuple[re.Pattern[str], ...]:
    out = []
    for raw in config.get(key) or []:
        text = str(raw).strip()
        if not text:
            continue
        try:
            out.append(re.compile(text, re.IGNORECASE))
        except re.error as e:
            raise ConfigError.invalid(key, text, f"not a regular expression: {e}") from None
    return tuple(out)


def _matches(patterns: tuple[re.Pattern[str], ...], text: str) -> bool:
    return any(p.fullmatch(text) for p in patterns)


@dataclass(frozen=True)
class PostgresSettings:
    """The parsed configuration the connector and task work from."""

    hostname: str
    port: int
    user: str
    password: str | None
    dbname: str
    sslmode: str
    topic_prefix: str
    slot_name: str
    slot_drop_on_stop: bool
    publication_name: str
    publication_autocreate: str
    schema_include: tuple[re.Pattern[str], ...]
    schema_exclude: tuple[re.Pattern[str], ...]
    table_include: tuple[re.Pattern[str], ...]
    table_exclude: tuple[re.Pattern[str], ...]
    column_include: tuple[re.Pattern[str], ...]
    column_exclude: tuple[re.Pattern[str], ...]
    snapshot_mode: str
    snapshot_fetch_size: int
    types: TypeSettings
    tombstones_on_delete: bool
    heartbeat_interval: float
    heartbeat_topic: str
    max_batch_size: int
    poll_interval: float
    status_interval: float
    slot_max_retries: int = 6
    slot_retry_delay: float = 10.0
    signal_data_collection: str | None = None
    """``<schema>.<table>`` of the signal table, or ``None``."""
    incremental_chunk_size: int = 1024

    @classmethod
    def parse(cls, props: Mapping[str, str]) -> PostgresSettings:
        c = AbstractConfig(postgres_config_def(), props)
        password = c.get(PASSWORD)
        signals = c.get(SIGNAL_DATA_COLLECTION)
        try:
            signal_table = parse_collection(signals, "<schema>.<table>")
        except ValueError as e:
            raise ConfigError.invalid(SIGNAL_DATA_COLLECTION, signals, str(e)) from None
        snapshot_mode = str(c.get(SNAPSHOT_MODE)).lower()
        snapshot_mode = _SNAPSHOT_ALIASES.get(snapshot_mode, snapshot_mode)
        s = cls(
            hostname=str(c.get(HOSTNAME)),
            port=int(c.get(PORT)),
            user=str(c.get(USER)),
            password=None if password is None else password.value(),
            dbname=str(c.get(DBNAME)),
            sslmode=str(c.get(SSL_MODE)).lower(),
            topic_prefix=str(c.get(TOPIC_PREFIX)),
            slot_name=str(c.get(SLOT_NAME)),
            slot_drop_on_stop=bool(c.get(SLOT_DROP_ON_STOP)),
            publication_name=str(c.get(PUBLICATION_NAME)),
            publication_autocreate=str(c.get(PUBLICATION_AUTOCREATE)).lower(),
            schema_include=_patterns(c, SCHEMA_INCLUDE),
            schema_exclude=_patterns(c, SCHEMA_EXCLUDE),
            table_include=_patterns(c, TABLE_INCLUDE),
            table_exclude=_patterns(c, TABLE_EXCLUDE),
            column_include=_patterns(c, COLUMN_INCLUDE),
            column_exclude=_patterns(c, COLUMN_EXCLUDE),
            snapshot_mode=snapshot_mode,
            snapshot_fetch_size=int(c.get(SNAPSHOT_FETCH_SIZE)),
            types=TypeSettings(
                decimal_mode=str(c.get(DECIMAL_MODE)).lower(),
                time_precision_mode=str(c.get(TIME_PRECISION)).lower(),
                include_unknown=bool(c.get(INCLUDE_UNKNOWN)),
            ),
            tombstones_on_delete=bool(c.get(TOMBSTONES)),
            heartbeat_interval=int(c.get(HEARTBEAT_INTERVAL)) / 1000.0,
            heartbeat_topic=f"{c.get(HEARTBEAT_PREFIX)}.{c.get(TOPIC_PREFIX)}",
            max_batch_size=int(c.get(MAX_BATCH_SIZE)),
            poll_interval=int(c.get(POLL_INTERVAL)) / 1000.0,
            status_interval=int(c.get(STATUS_INTERVAL)) / 1000.0,
            slot_max_retries=int(c.get(SLOT_MAX_RETRIES)),
            slot_retry_delay=int(c.get(SLOT_RETRY_DELAY)) / 1000.0,
            signal_data_collection=None if signal_table is None else ".".join(signal_table),
            incremental_chunk_size=int(c.get(CHUNK_SIZE)),
        )
        if s.table_include and s.table_exclude:
            raise ConfigError.invalid(
                TABLE_EXCLUDE,
                ",".join(p.pattern for p in s.table_exclude),
                f"{TABLE_INCLUDE} and {TABLE_EXCLUDE} cannot both be set",
            )
        if s.schema_include and s.schema_exclude:
            raise ConfigError.invalid(
                SCHEMA_EXCLUDE,
                ",".join(p.pattern for p in s.schema_exclude),
                f"{SCHEMA_INCLUDE} and {SCHEMA_EXCLUDE} cannot both be set",
            )
        if s.column_include and s.column_exclude:
            raise ConfigError.invalid(
                COLUMN_EXCLUDE,
                ",".join(p.pattern for p in s.column_exclude),
                f"{COLUMN_INCLUDE} and {COLUMN_EXCLUDE} cannot both be set",
            )
        return s

    def captures_table(self, schema: str, table: str) -> bool:
        """Whether the include/exclude lists select ``schema.table`` (system schemas never)."""
        if schema in ("pg_catalog", "information_schema") or schema.startswith("pg_"):
            return False
        if self.schema_include and not _matches(self.schema_include, schema):
            return False
        if _matches(self.schema_exclude, schema):
            return False
        qualified = f"{schema}.{table}"
        if self.table_include and not _matches(self.table_include, qualified):
            return False
        return not _matches(self.table_exclude, qualified)

    def captures_column(self, schema: str, table: str, column: str) -> bool:
        qualified = f"{schema}.{table}.{column}"
        if self.column_include and not _matches(self.column_include, qualified):
            return False
        return not _matches(self.column_exclude, qualified)

    def dsn(self) -> dict[str, object]:
        """libpq connection keywords."""
        out: dict[str, object] = {
            "host": self.hostname,
            "port": self.port,
            "user": self.user,
            "dbname": self.dbname,
            "sslmode": self.sslmode,
            "application_name": "sluice-debezium-postgres",
            "connect_timeout": 30,
            # The text formats the converters read, whatever the server's defaults say.
            "options": "-c DateStyle=ISO,YMD -c bytea_output=hex -c IntervalStyle=postgres",
        }
        if self.password is not None:
            out["password"] = self.password
        return out
