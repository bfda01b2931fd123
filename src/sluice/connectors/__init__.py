"""Connectors bundled with sluice; each subpackage uses only :mod:`sluice.api`.

``CONNECTOR_ALIASES`` gathers the class names each subpackage answers to (Confluent's,
jcustenborder's, Debezium's...), for the plugin registry. Reading it does not import any database
driver.
"""

from typing import Final

from sluice.connectors.debezium import ALIASES as _DEBEZIUM
from sluice.connectors.debezium_mysql import ALIASES as _DEBEZIUM_MYSQL
from sluice.connectors.jdbc import ALIASES as _JDBC
from sluice.connectors.mirror import ALIASES as _MIRROR
from sluice.connectors.mongodb import ALIASES as _MONGODB
from sluice.connectors.spooldir import ALIASES as _SPOOLDIR

__all__ = ["CONNECTOR_ALIASES"]

CONNECTOR_ALIASES: Final[dict[str, str]] = {
    **_DEBEZIUM,
    **_DEBEZIUM_MYSQL,
    **_JDBC,
    **_MIRROR,
    **_MONGODB,
    **_SPOOLDIR,
}
