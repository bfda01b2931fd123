"""The keys Debezium's relational connectors share (its ``CommonConnectorConfig`` and
``RelationalDatabaseConnectorConfig``), defined once for the PostgreSQL and MySQL/MariaDB
connectors so that the same key means the same thing, with the same default, in both."""

from __future__ import annotations

from typing import Final

from sluice.api import (
    CaseInsensitiveValidString,
    ConfigDef,
    ConfigType,
    Importance,
    NonEmptyString,
    Range,
)

__all__ = [
    "DECIMAL_MODE",
    "HEARTBEAT_INTERVAL",
    "HEARTBEAT_PREFIX",
    "HOSTNAME",
    "PASSWORD",
    "PORT",
    "TOMBSTONES",
    "TOPIC_PREFIX",
    "USER",
    "define_events",
    "define_server",
]

HOSTNAME: Final = "database.hostname"
PORT: Final = "database.port"
USER: Final = "database.user"
PASSWORD: Final = "database.password"
TOPIC_PREFIX: Final = "topic.prefix"
DECIMAL_MODE: Final = "decimal.handling.mode"
TOMBSTONES: Final = "tombstones.on.delete"
HEARTBEAT_INTERVAL: Final = "heartbeat.interval.ms"
HEARTBEAT_PREFIX: Final = "topic.heartbeat.prefix"
"""Debezium 2.0 and later (``heartbeat.topics.prefix`` before)."""


def define_server(
    d: ConfigDef, *, port: int, user_doc: str, topic_prefix_doc: str, group: str
) -> None:
    """Where the server is, who connects, and the logical name topics and offsets carry."""
    d.define(
        HOSTNAME,
        ConfigType.STRING,
        validator=NonEmptyString(),
        importance=Importance.HIGH,
        documentation="Resolvable hostname or IP address of the database server.",
        group=group,
        display_name="Hostname",
    )
    d.define(
        PORT,
        ConfigType.INT,
        port,
        Range.between(1, 65535),
        Importance.HIGH,
        "Port of the database server.",
        group,
        display_name="Port",
    )
    d.define(
        USER,
        ConfigType.STRING,
        validator=NonEmptyString(),
        importance=Importance.HIGH,
        documentation=user_doc,
        group=group,
        display_name="User",
    )
    d.define(
        PASSWORD,
        ConfigType.PASSWORD,
        None,
        importance=Importance.HIGH,
        documentation="Password of the database user to be used when connecting to the database.",
        group=group,
        display_name="Password",
    )
    d.define(
        TOPIC_PREFIX,
        ConfigType.STRING,
        validator=NonEmptyString(),
        importance=Importance.HIGH,
        documentation=topic_prefix_doc,
        group=group,
        display_name="Topic prefix",
    )


def define_events(d: ConfigDef, *, group: str, decimal_doc: str) -> None:
    """How decimals are represented, whether deletes get tombstones, and heartbeats."""
    d.define(
        DECIMAL_MODE,
        ConfigType.STRING,
        "precise",
        CaseInsensitiveValidString("precise", "double", "string"),
        Importance.MEDIUM,
        decimal_doc,
        group,
    )
    d.define(
        TOMBSTONES,
        ConfigType.BOOLEAN,
        True,
        importance=Importance.MEDIUM,
        documentation="Whether a delete event is followed by a tombstone (same key, null value) "
        "so that log compaction can remove the key.",
        group=group,
    )
    d.define(
        HEARTBEAT_INTERVAL,
        ConfigType.INT,
        0,
        Range.at_least(0),
        Importance.MEDIUM,
        "Milliseconds between heartbeat records (0: none). Heartbeats carry the current "
        "position, so the stored offset (and a PostgreSQL slot) advances while captured tables "
        "do not change.",
        group,
    )
    d.define(
        HEARTBEAT_PREFIX,
        ConfigType.STRING,
        "__debezium-heartbeat",
        NonEmptyString(),
        Importance.LOW,
        "Heartbeats go to <topic.heartbeat.prefix>.<topic.prefix>.",
        group,
    )
