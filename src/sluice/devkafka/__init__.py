"""A single-node Apache Kafka broker (KRaft) for development and tests, run from Maven jars.

sluice needs a real broker to be useful and to be tested, and this machine has no Docker. So
sluice runs Apache Kafka's own ``kafka.Kafka`` main class from the jars that the repository's
``pom.xml`` pulls into a cache folder. The broker runs detached from the process that started it
(``sluice kafka start``, :mod:`sluice.cli.local_kafka`, returns at once); its pid file and log
live in its data folder, so a later ``stop`` or ``status`` from another shell finds it again.

The modules, by job: :mod:`~sluice.devkafka.locations` (pom, jars and data folders),
:mod:`~sluice.devkafka.jars` (fetching the jars through Maven), :mod:`~sluice.devkafka.java`
(the Java runtime and its command line), :mod:`~sluice.devkafka.properties` (the broker's
configuration), :mod:`~sluice.devkafka.ports`, :mod:`~sluice.devkafka.processes` and
:mod:`~sluice.devkafka.broker` (the :class:`LocalKafka` lifecycle: format, start, wait, stop).

Errors (all :class:`LocalKafkaError`):

- :class:`JavaNotFoundError`: no usable ``java`` (missing or older than 17).
- :class:`JarsNotFoundError`: the Kafka jars are absent and cannot be fetched (no pom, Maven fails);
  :class:`MavenNotFoundError` when ``mvn`` itself is missing.
- :class:`PortInUseError`: another process listens on the broker's port.
- :class:`BrokerStartError`: the broker exited or did not answer in time; carries the log tail.
- :class:`BrokerStopError`: the broker survived SIGTERM and SIGKILL.
"""

from __future__ import annotations

from sluice.devkafka.broker import DEFAULT_HEAP, DEFAULT_PORT, BrokerStatus, LocalKafka
from sluice.devkafka.errors import (
    BrokerStartError,
    BrokerStopError,
    JarsNotFoundError,
    JavaNotFoundError,
    LocalKafkaError,
    MavenNotFoundError,
    PortInUseError,
)
from sluice.devkafka.jars import java_classpath, kafka_version
from sluice.devkafka.java import find_java, log4j2_config_file
from sluice.devkafka.locations import default_data_dir, default_libs_dir, find_pom
from sluice.devkafka.ports import PortOwner, port_owner
from sluice.devkafka.properties import new_cluster_id, server_properties

__all__ = [
    "DEFAULT_HEAP",
    "DEFAULT_PORT",
    "BrokerStartError",
    "BrokerStatus",
    "BrokerStopError",
    "JarsNotFoundError",
    "JavaNotFoundError",
    "LocalKafka",
    "LocalKafkaError",
    "MavenNotFoundError",
    "PortInUseError",
    "PortOwner",
    "default_data_dir",
    "default_libs_dir",
    "find_java",
    "find_pom",
    "java_classpath",
    "kafka_version",
    "log4j2_config_file",
    "new_cluster_id",
    "port_owner",
    "server_properties",
]
