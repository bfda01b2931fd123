"""Debezium-compatible MySQL and MariaDB change data capture sources, on the row-based binlog.

``io.debezium.connector.mysql.MySqlConnector`` and
``io.debezium.connector.mariadb.MariaDbConnector``
read existing rows as a consistent snapshot (op ``r``) and then follow the binlog, writing
Debezium's change events (``before``/``after``/``source``/``op``) to ``<topic.prefix>.<db>.<table>``
with the primary key as the record key, schema changes to ``<topic.prefix>`` and the DDL history to
``schema.history.internal.kafka.topic``. The binlog protocol is the ``mysql-replication`` library's
(the maintained python-mysql-replication); offsets have Debezium's shape.

``ALIASES`` maps the class names configs use to where the classes live here; reading it imports
no driver.
"""

from typing import Final

__all__ = ["ALIASES", "PLUGINS"]

_MYSQL: Final = "sluice.connectors.debezium_mysql.source_connector:MySqlConnector"
_MARIADB: Final = "sluice.connectors.debezium_mysql.source_connector:MariaDbConnector"

ALIASES: Final[dict[str, str]] = {
    "io.debezium.connector.mysql.MySqlConnector": _MYSQL,
    "io.debezium.connector.mariadb.MariaDbConnector": _MARIADB,
    "sluice.connectors.debezium_mysql.MySqlConnector": _MYSQL,
    "sluice.connectors.debezium_mysql.MariaDbConnector": _MARIADB,
}
"""Class names (Debezium's and sluice's own) to ``module:Class``; the registry derives the short
aliases (``MySqlConnector``, ``MariaDbConnector``) from them."""

PLUGINS: Final[dict[str, dict[str, str]]] = {"connector": ALIASES}
"""The family's plugins by kind, as the ``sluice.plugins`` entry point hands them to the
registry."""
