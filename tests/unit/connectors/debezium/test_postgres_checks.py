"""The server checks' messages, on a cursor that answers as a misconfigured server would."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from sluice.api import ConnectError
from sluice.connectors.debezium.postgres_catalog import SlotInfo, check_server, check_slot
from sluice.connectors.debezium.postgres_config import PostgresSettings


class _Answers:
    """A DB-API cursor stand-in that returns one prepared row per statement."""

    def __init__(self, *rows: Sequence[Any] | None) -> None:
        self.rows = list(rows)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.current = self.rows.pop(0)

    def fetchone(self) -> Sequence[Any] | None:
        return self.current


SETTINGS = PostgresSettings.parse(
    {
        "database.hostname": "db",
        "database.user": "cdc",
        "database.dbname": "shop",
        "topic.prefix": "p",
    }
)


def test_wal_level_must_be_logical() -> None:
    with pytest.raises(
        ConnectError, match="wal_level property must be 'logical' but is: 'replica'"
    ):
        check_server(_Answers(("replica",)), SETTINGS)


def test_user_needs_replication() -> None:
    with pytest.raises(ConnectError, match=r"'cdc' \(database.user\) has neither the REPLICATION"):
        check_server(_Answers(("logical",), (False, False)), SETTINGS)
    check_server(_Answers(("logical",), (True, False)), SETTINGS)


def test_slot_in_use_or_foreign() -> None:
    busy = SlotInfo("pgoutput", "shop", True, 4242, "0/1", "0/1")
    with pytest.raises(ConnectError, match=r"'debezium' \(slot.name\) is active for PID 4242"):
        check_slot(busy, SETTINGS)
    other = SlotInfo("wal2json", "shop", False, None, "0/1", "0/1")
    with pytest.raises(ConnectError, match="exists for plugin 'wal2json'"):
        check_slot(other, SETTINGS)
    check_slot(None, SETTINGS)


def test_config_rejects_what_sluice_does_not_do() -> None:
    base = {
        "database.hostname": "h",
        "database.user": "u",
        "database.dbname": "d",
        "topic.prefix": "p",
    }
    with pytest.raises(Exception, match="plugin.name"):
        PostgresSettings.parse({**base, "plugin.name": "decoderbufs"})
    with pytest.raises(Exception, match="table.exclude.list"):
        PostgresSettings.parse({**base, "table.include.list": "a.b", "table.exclude.list": "c.d"})
    s = PostgresSettings.parse(
        {**base, "table.include.list": "public\\.o.*", "snapshot.mode": "never"}
    )
    assert s.snapshot_mode == "no_data"
    assert s.captures_table("public", "orders") and not s.captures_table("public", "items")
    assert not s.captures_table("pg_catalog", "pg_class")
