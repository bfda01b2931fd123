"""Spool-directory source connectors: files dropped into a folder become records.

Stand-ins for jcustenborder's ``kafka-connect-spooldir`` (CSV, JSON, schemaless JSON,
line-delimited and binary files), taking the same configuration. Each file is claimed by one task
(renamed with ``processing.file.extension``), streamed in constant memory with its progress in the
source offsets, and moved to ``finished.path`` only once all of its records are committed; files
with bad data go to ``error.path`` with a report naming the line and the problem.
"""

from typing import Final

from sluice.connectors.spooldir.binary_file import (
    SpoolDirBinaryFileSourceConnector,
    SpoolDirBinaryFileSourceTask,
)
from sluice.connectors.spooldir.csv_source import SpoolDirCsvSourceConnector, SpoolDirCsvSourceTask
from sluice.connectors.spooldir.json_source import (
    SpoolDirJsonSourceConnector,
    SpoolDirJsonSourceTask,
    SpoolDirSchemaLessJsonSourceConnector,
    SpoolDirSchemaLessJsonSourceTask,
)
from sluice.connectors.spooldir.line_delimited import (
    SpoolDirLineDelimitedSourceConnector,
    SpoolDirLineDelimitedSourceTask,
)

__all__ = [
    "ALIASES",
    "PLUGINS",
    "SpoolDirBinaryFileSourceConnector",
    "SpoolDirBinaryFileSourceTask",
    "SpoolDirCsvSourceConnector",
    "SpoolDirCsvSourceTask",
    "SpoolDirJsonSourceConnector",
    "SpoolDirJsonSourceTask",
    "SpoolDirLineDelimitedSourceConnector",
    "SpoolDirLineDelimitedSourceTask",
    "SpoolDirSchemaLessJsonSourceConnector",
    "SpoolDirSchemaLessJsonSourceTask",
]

_JAVA: Final = "com.github.jcustenborder.kafka.connect.spooldir."

ALIASES: Final[dict[str, str]] = {
    _JAVA + "SpoolDirCsvSourceConnector": (
        "sluice.connectors.spooldir.csv_source:SpoolDirCsvSourceConnector"
    ),
    _JAVA + "SpoolDirJsonSourceConnector": (
        "sluice.connectors.spooldir.json_source:SpoolDirJsonSourceConnector"
    ),
    _JAVA + "SpoolDirSchemaLessJsonSourceConnector": (
        "sluice.connectors.spooldir.json_source:SpoolDirSchemaLessJsonSourceConnector"
    ),
    _JAVA + "SpoolDirLineDelimitedSourceConnector": (
        "sluice.connectors.spooldir.line_delimited:SpoolDirLineDelimitedSourceConnector"
    ),
    _JAVA + "SpoolDirBinaryFileSourceConnector": (
        "sluice.connectors.spooldir.binary_file:SpoolDirBinaryFileSourceConnector"
    ),
}
"""jcustenborder's class names -> ``module:Class``, for the bundled connector table."""

PLUGINS: Final[dict[str, dict[str, str]]] = {"connector": ALIASES}
"""The family's plugins by kind, as the ``sluice.plugins`` entry point hands them to the
registry."""
