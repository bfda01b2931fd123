"""Connectors bundled with sluice; each subpackage uses only :mod:`sluice.api`.

Each subpackage is a plugin family of its own: its ``PLUGINS`` table names its classes (Confluent's,
jcustenborder's, Debezium's... class names) and the ``sluice.plugins`` entry points in
``pyproject.toml`` hand those tables to the plugin registry, as a third-party package would.
"""
