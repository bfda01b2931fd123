"""What the connector reads from PostgreSQL's catalog, and the checks that come before streaming.

The server must decode logically (``wal_level=logical``), the user must be allowed to replicate
and to read the tables, the publication must exist or be creatable, the slot must not be in use
by another client. Each problem becomes a :class:`ConnectError` that names the setting or table
to fix, so the task's FAILED status says what to do.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sluice.api import ConnectError
from sluice.connectors.debezium.common_config import USER
from sluice.connectors.debezium.postgres_config import (
    PUBLICATION_AUTOCREATE,
    PUBLICATION_NAME,
    SLOT_NAME,
    PostgresSettings,
)
from sluice.connectors.debezium.postgres_types import ColumnInfo

__all__ = [
    "SlotInfo",
    "TableInfo",
    "check_server",
    "ensure_publication",
    "list_tables",
    "quote_ident",
    "slot_info",
    "table_columns",
]

log = logging.getLogger(__name__)


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class TableInfo:
    oid: int
    schema: str
    table: str
    replica_identity: str

    @property
    def qualified(self) -> str:
        return f"{quote_ident(self.schema)}.{quote_ident(self.table)}"


@dataclass(frozen=True)
class SlotInfo:
    plugin: str | None
    database: str | None
    active: bool
    active_pid: int | None
    confirmed_flush_lsn: str | None
    restart_lsn: str | None


def _one(cur: Any, sql: str, params: Sequence[Any] = ()) -> Any:
    cur.execute(sql, params)
    return cur.fetchone()


def check_server(cur: Any, settings: PostgresSettings) -> None:
    """``wal_level`` and the user's replication privilege (:class:`ConnectError` otherwise)."""
    (wal_level,) = _one(cur, "SHOW wal_level")
    if wal_level != "logical":
        raise ConnectError(
            f"Postgres server wal_level property must be 'logical' but is: '{wal_level}'. "
            "Start the server with wal_level=logical (postgresql.conf or -c wal_level=logical) "
            "to capture changes with plugin.name=pgoutput."
        )
    row = _one(
        cur,
        "SELECT r.rolreplication, r.rolsuper FROM pg_roles r WHERE r.rolname = current_user",
    )
    if row is not None and not (row[0] or row[1]):
        raise ConnectError(
            f"The user '{settings.user}' ({USER}) has neither the REPLICATION attribute nor "
            "superuser: run ALTER ROLE " + quote_ident(settings.user) + " WITH REPLICATION."
        )


def list_tables(cur: Any, settings: PostgresSettings) -> list[TableInfo]:
    """Ordinary tables (partitions included) the include/exclude lists select, by schema and
    name. A partitioned table's rows are read from its partitions, whose names pgoutput streams
    the changes under (``publish_via_partition_root`` is off)."""
    cur.execute(
        "SELECT c.oid, n.nspname, c.relname, c.relreplident FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind = 'r' "
        "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
        "AND n.nspname NOT LIKE 'pg\\_%' ORDER BY n.nspname, c.relname"
    )
    return [
        TableInfo(int(oid), str(schema), str(table), str(ident))
        for oid, schema, table, ident in cur.fetchall()
        if settings.captures_table(str(schema), str(table))
    ]


def table_columns(cur: Any, table_oid: int) -> tuple[list[ColumnInfo], list[str]]:
    """The table's live columns in ``attnum`` order (domains resolved to their base type, enum
    labels read) and its primary key columns in key order."""
    cur.execute(
        "SELECT a.attname, "
        "CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE a.atttypid END, "
        "CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END, "
        "NOT a.attnotnull, format_type(a.atttypid, a.atttypmod), "
        "(SELECT array_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_enum e "
        " WHERE e.enumtypid = a.atttypid), "
        "t.typname, pg_get_expr(d.adbin, d.adrelid) "
        "FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
        "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
        "WHERE a.attrelid = %s AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
        (table_oid,),
    )
    columns = [
        ColumnInfo(
            str(name),
            int(oid),
            int(mod),
            bool(optional),
            str(type_name),
            None if labels is None else tuple(_labels(labels)),
            str(udt_name),
            None if default is None else str(default),
        )
        for name, oid, mod, optional, type_name, labels, udt_name, default in cur.fetchall()
    ]
    cur.execute(
        "SELECT a.attname FROM pg_index i "
        "CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) "
        "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
        "WHERE i.indrelid = %s AND i.indisprimary ORDER BY k.ord",
        (table_oid,),
    )
    return columns, [str(r[0]) for r in cur.fetchall()]


def _labels(raw: Any) -> list[str]:
    if isinstance(raw, list):
        return [str(x) for x in raw]
    from sluice.connectors.debezium.postgres_types import parse_array

    return [str(x) for x in parse_array(str(raw))]


def table_oid(cur: Any, schema: str, table: str) -> int | None:
    row = _one(
        cur,
        "SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relname = %s",
        (schema, table),
    )
    return None if row is None else int(row[0])


def slot_info(cur: Any, settings: PostgresSettings) -> SlotInfo | None:
    row = _one(
        cur,
        "SELECT plugin, database, active, active_pid, confirmed_flush_lsn::text, "
        "restart_lsn::text FROM pg_replication_slots WHERE slot_name = %s",
        (settings.slot_name,),
    )
    if row is None:
        return None
    return SlotInfo(row[0], row[1], bool(row[2]), row[3], row[4], row[5])


def check_slot(slot: SlotInfo | None, settings: PostgresSettings) -> None:
    """A slot that exists must be a pgoutput slot of this database and not in use."""
    if slot is None:
        return
    if slot.plugin != "pgoutput" or slot.database != settings.dbname:
        raise ConnectError(
            f"The replication slot '{settings.slot_name}' ({SLOT_NAME}) exists for plugin "
            f"'{slot.plugin}' on database '{slot.database}', not pgoutput on "
            f"'{settings.dbname}': choose another {SLOT_NAME}."
        )
    if slot.active:
        raise ConnectError(
            f"Failed to start replication stream: the replication slot '{settings.slot_name}' "
            f"({SLOT_NAME}) is active for PID {slot.active_pid}: another client (another "
            f"connector?) is reading it. Stop that client or choose another {SLOT_NAME}."
        )


def ensure_publication(cur: Any, settings: PostgresSettings, tables: list[TableInfo]) -> None:
    """Create or check the publication as ``publication.autocreate.mode`` says (Debezium's
    ``PostgresReplicationConnection.initPublication``)."""
    name = settings.publication_name
    row = _one(cur, "SELECT puballtables FROM pg_publication WHERE pubname = %s", (name,))
    mode = settings.publication_autocreate
    if mode == "disabled":
        if row is None:
            raise ConnectError(
                f"Publication '{name}' ({PUBLICATION_NAME}) does not exist and "
                f"{PUBLICATION_AUTOCREATE}=disabled: create it (CREATE PUBLICATION "
                f"{quote_ident(name)} FOR TABLE ...) or change {PUBLICATION_AUTOCREATE}."
            )
        return
    try:
        if mode == "all_tables":
            if row is None:
                log.info("Creating new publication '%s' for all tables", name)
                cur.execute(f"CREATE PUBLICATION {quote_ident(name)} FOR ALL TABLES")
            return
        # filtered
        if not tables:
            raise ConnectError(
                f"{PUBLICATION_AUTOCREATE}=filtered, but the include/exclude lists select no "
                f"table: nothing to publish in '{name}' ({PUBLICATION_NAME})."
            )
        listed = ", ".join(t.qualified for t in tables)
        if row is None:
            log.info("Creating new publication '%s' for tables %s", name, listed)
            cur.execute(f"CREATE PUBLICATION {quote_ident(name)} FOR TABLE {listed}")
        elif not row[0]:
            log.info("Updating publication '%s' to tables %s", name, listed)
            cur.execute(f"ALTER PUBLICATION {quote_ident(name)} SET TABLE {listed}")
    except ConnectError:
        raise
    except Exception as e:
        raise ConnectError(
            f"Unable to create or update the publication '{name}' ({PUBLICATION_NAME}, "
            f"{PUBLICATION_AUTOCREATE}={mode}): {str(e).strip()}. Create it as a user that may "
            f"(FOR ALL TABLES needs superuser; FOR TABLE needs table ownership) or set "
            f"{PUBLICATION_AUTOCREATE}=disabled with an existing publication."
        ) from e
