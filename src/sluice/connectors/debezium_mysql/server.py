"""Connections to the server, and the checks that make a misconfigured server a clear error.

A server without a row-based binlog, or a user without the replication privileges, would
otherwise fail deep inside the binlog protocol with a bare error number; these checks run when
the task starts and name the server setting or the privilege (and ``database.user``) to fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pymysql  # type: ignore[import-untyped]

from sluice.api import ConnectError, RetriableError
from sluice.connectors.debezium.common_config import HOSTNAME, PORT, USER
from sluice.connectors.debezium_mysql.config import Settings

__all__ = ["ServerInfo", "binlog_files", "check_server", "connect", "master_status"]


def connect(s: Settings, **kwargs: Any) -> pymysql.Connection:
    """A PyMySQL connection (autocommit, utf8mb4, UTC session time zone)."""
    try:
        conn = pymysql.connect(
            host=s.hostname,
            port=s.port,
            user=s.user,
            password=s.password or "",
            connect_timeout=max(1, int(s.connect_timeout)),
            autocommit=True,
            charset="utf8mb4",
            init_command="SET SESSION time_zone = '+00:00'",
            **kwargs,
        )
    except pymysql.err.OperationalError as e:
        code = e.args[0] if e.args else None
        if code in (1045, 1044):
            raise ConnectError(
                f"Access denied for {USER}={s.user} on {s.hostname}:{s.port}: {e.args[-1]}"
            ) from e
        raise RetriableError(
            f"Cannot connect to {HOSTNAME}={s.hostname} {PORT}={s.port}: {e.args[-1]}"
        ) from e
    return conn


@dataclass(frozen=True)
class ServerInfo:
    version: str
    mariadb: bool
    server_id: int


def _variables(conn: pymysql.Connection, names: list[str]) -> dict[str, str]:
    with conn.cursor() as cur:
        cur.execute(
            "SHOW GLOBAL VARIABLES WHERE Variable_name IN (" + ",".join(["%s"] * len(names)) + ")",
            tuple(names),
        )
        return {str(k).lower(): str(v) for k, v in cur.fetchall()}


_REPLICATION_SLAVE = re.compile(r"\b(ALL PRIVILEGES|REPLICATION (SLAVE|REPLICA))\b", re.I)
_REPLICATION_CLIENT = re.compile(
    r"\b(ALL PRIVILEGES|REPLICATION CLIENT|BINLOG MONITOR|SUPER)\b", re.I
)


def check_server(conn: pymysql.Connection, s: Settings) -> ServerInfo:
    """The server's version and kind, after checking it can be captured; otherwise a
    :class:`ConnectError` naming the setting or privilege that is missing."""
    v = _variables(
        conn,
        [
            "version",
            "log_bin",
            "binlog_format",
            "binlog_row_image",
            "binlog_row_metadata",
            "server_id",
        ],
    )
    where = f"the server {s.hostname}:{s.port}"
    if v.get("log_bin", "OFF").upper() not in ("ON", "1"):
        raise ConnectError(
            f"The binlog is off on {where} (log_bin=OFF): the connector reads changes from the "
            "binlog; start the server with --log-bin --binlog-format=ROW "
            "--binlog-row-image=FULL --server-id=<n>"
        )
    if v.get("binlog_format", "").upper() != "ROW":
        raise ConnectError(
            f"The binlog format of {where} is binlog_format={v.get('binlog_format')}; the "
            "connector needs binlog_format=ROW (SET GLOBAL binlog_format = 'ROW', or "
            "--binlog-format=ROW)"
        )
    if v.get("binlog_row_image", "FULL").upper() != "FULL":
        raise ConnectError(
            f"{where} logs binlog_row_image={v.get('binlog_row_image')}; the connector needs "
            "binlog_row_image=FULL (the whole row before and after each change)"
        )
    if "binlog_row_metadata" in v and v["binlog_row_metadata"].upper() != "FULL":
        raise ConnectError(
            f"{where} logs binlog_row_metadata={v['binlog_row_metadata']}; the connector needs "
            "binlog_row_metadata=FULL (column names and keys in the binlog's table maps)"
        )
    with conn.cursor() as cur:
        cur.execute("SHOW GRANTS FOR CURRENT_USER()")
        grants = " ".join(str(r[0]) for r in cur.fetchall())
    global_grants = " ".join(g for g in grants.split("GRANT ") if " ON *.* " in g)
    missing = [
        name
        for name, pattern in (
            ("REPLICATION SLAVE", _REPLICATION_SLAVE),
            ("REPLICATION CLIENT (BINLOG MONITOR on MariaDB)", _REPLICATION_CLIENT),
        )
        if not pattern.search(global_grants)
    ]
    if missing:
        raise ConnectError(
            f"The user {USER}={s.user} lacks the privileges {' and '.join(missing)} ON *.* "
            f"on {where}; grant them to read the binlog"
        )
    version = v.get("version", "")
    return ServerInfo(version, "mariadb" in version.lower(), int(v.get("server_id", "0") or 0))


def master_status(conn: pymysql.Connection) -> tuple[str, int]:
    """The current binlog file and position (``SHOW MASTER STATUS``)."""
    with conn.cursor() as cur:
        cur.execute("SHOW MASTER STATUS")
        row = cur.fetchone()
    if not row:
        raise ConnectError("SHOW MASTER STATUS returned nothing: the binlog is off")
    return str(row[0]), int(row[1])


def binlog_files(conn: pymysql.Connection) -> list[str]:
    with conn.cursor() as cur:
        cur.execute("SHOW BINARY LOGS")
        return [str(r[0]) for r in cur.fetchall()]


def gtid_position(conn: pymysql.Connection, mariadb: bool) -> str | None:
    """The server's executed GTID set (MariaDB's ``gtid_binlog_pos``), or ``None``."""
    with conn.cursor() as cur:
        cur.execute(
            "SELECT @@GLOBAL.gtid_binlog_pos" if mariadb else "SELECT @@GLOBAL.gtid_executed"
        )
        row = cur.fetchone()
    text = str(row[0]).replace("\n", "") if row and row[0] else ""
    return text or None
