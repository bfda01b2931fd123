"""Connectors bundled with sluice; each subpackage uses only :mod:`sluice.api`."""
