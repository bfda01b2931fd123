"""Worker configuration: the keys of ``connect-standalone.properties`` with Kafka's defaults."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sluice.api import AbstractConfig, ConfigDef, ConfigType, Importance, Range, ValidString

__all__ = ["WorkerConfig", "standalone_config_def", "worker_config_def"]


def worker_config_def() -> ConfigDef:
    """Keys common to standalone and distributed workers."""
    d = ConfigDef()
    d.define(
        "bootstrap.servers",
        ConfigType.LIST,
        "localhost:9092",
        importance=Importance.HIGH,
        documentation="A list of host/port pairs used to establish the initial connection to "
        "the Kafka cluster.",
    )
    d.define(
        "key.converter",
        ConfigType.CLASS,
        importance=Importance.HIGH,
        documentation="Converter class for record keys.",
    )
    d.define(
        "value.converter",
        ConfigType.CLASS,
        importance=Importance.HIGH,
        documentation="Converter class for record values.",
    )
    d.define(
        "header.converter",
        ConfigType.CLASS,
        "org.apache.kafka.connect.storage.SimpleHeaderConverter",
        importance=Importance.LOW,
        documentation="HeaderConverter class for record headers.",
    )
    d.define(
        "task.shutdown.graceful.timeout.ms",
        ConfigType.LONG,
        5000,
        Range.at_least(0),
        Importance.LOW,
        "Total time to wait for tasks to shut down gracefully.",
    )
    d.define(
        "offset.flush.interval.ms",
        ConfigType.LONG,
        60000,
        Range.at_least(0),
        Importance.LOW,
        "Interval at which to try committing offsets for tasks.",
    )
    d.define(
        "offset.flush.timeout.ms",
        ConfigType.LONG,
        5000,
        Range.at_least(0),
        Importance.LOW,
        "Maximum time to wait for records to flush and offsets to be committed before "
        "cancelling the process and restoring the offset data to be committed in a future "
        "attempt.",
    )
    d.define(
        "plugin.path",
        ConfigType.LIST,
        None,
        importance=Importance.LOW,
        documentation="Folders holding plugin modules or packages (Python files).",
    )
    d.define(
        "listeners",
        ConfigType.LIST,
        "http://:8083",
        importance=Importance.LOW,
        documentation="List of comma-separated URIs the REST API will listen on.",
    )
    d.define("rest.advertised.host.name", ConfigType.STRING, None, importance=Importance.LOW)
    d.define("rest.advertised.port", ConfigType.INT, None, importance=Importance.LOW)
    d.define("rest.advertised.listener", ConfigType.STRING, None, importance=Importance.LOW)
    d.define(
        "sluice.jaas.config.file",
        ConfigType.STRING,
        None,
        importance=Importance.LOW,
        documentation="sluice only: the JAAS file a Java worker gets from "
        "-Djava.security.auth.login.config (also read from $KAFKA_OPTS): its KafkaConnect "
        "section configures the REST API's basic authentication, its KafkaClient section the "
        "clients' SASL login where sasl.jaas.config is not set.",
    )
    d.define("admin.listeners", ConfigType.LIST, None, importance=Importance.LOW)
    d.define("config.providers", ConfigType.LIST, "", importance=Importance.LOW)
    d.define(
        "connector.client.config.override.policy",
        ConfigType.STRING,
        "All",
        ValidString("All", "None", "Principal"),
        Importance.MEDIUM,
        "Which client configuration overrides connectors may set.",
    )
    d.define("topic.tracking.enable", ConfigType.BOOLEAN, True, importance=Importance.LOW)
    d.define("topic.tracking.allow.reset", ConfigType.BOOLEAN, True, importance=Importance.LOW)
    d.define("topic.creation.enable", ConfigType.BOOLEAN, True, importance=Importance.LOW)
    d.define(
        "log.format",
        ConfigType.STRING,
        "text",
        ValidString("text", "json"),
        Importance.LOW,
        "sluice only (a Java worker ignores it): 'json' writes the worker's log as one JSON object "
        "per line; $SLUICE_LOG_FORMAT overrides it.",
    )
    d.define(
        "metrics.sample.window.ms",
        ConfigType.LONG,
        30000,
        Range.at_least(1),
        Importance.LOW,
        "The window of time a metrics sample is computed over (rates, averages, maxima).",
    )
    d.define(
        "metrics.num.samples",
        ConfigType.INT,
        2,
        Range.at_least(1),
        Importance.LOW,
        "The number of samples maintained to compute metrics.",
    )
    d.define(
        "sluice.task.metrics.enable",
        ConfigType.BOOLEAN,
        True,
        importance=Importance.LOW,
        documentation="Whether tasks count records, batches and commits for /metrics (sluice "
        "only; off just to measure what counting costs).",
    )
    d.define(
        "sluice.task.isolation",
        ConfigType.STRING,
        "auto",
        ValidString("auto", "thread", "process"),
        Importance.MEDIUM,
        "Where tasks run (sluice only; a Java worker ignores it): 'thread' runs every task as a "
        "thread of the worker, as Kafka Connect does; 'process' runs each task in a child process "
        "the worker supervises, so that a connector's tasks use every core; 'auto' runs a "
        "connector's tasks in processes when the worker may use more than one core and the "
        "connector has more than one task, and as threads otherwise. A task process keeps the "
        "guarantees of a thread (offsets, status, pause and restart, logs, metrics); one that "
        "crashes, even inside a C extension, fails only its own task.",
    )
    return d


def standalone_config_def() -> ConfigDef:
    d = worker_config_def()
    d.define(
        "offset.storage.file.filename",
        ConfigType.STRING,
        importance=Importance.HIGH,
        documentation="File to store source connector offsets in.",
    )
    return d


class WorkerConfig(AbstractConfig):
    """Parsed worker properties; the raw originals stay available for converter sub-configs."""

    def __init__(self, props: Mapping[str, Any], definition: ConfigDef | None = None) -> None:
        super().__init__(definition or standalone_config_def(), props)

    @property
    def offset_flush_interval(self) -> float:
        return self.get_long("offset.flush.interval.ms") / 1000.0

    @property
    def offset_flush_timeout(self) -> float:
        return self.get_long("offset.flush.timeout.ms") / 1000.0

    @property
    def graceful_shutdown_timeout(self) -> float:
        return self.get_long("task.shutdown.graceful.timeout.ms") / 1000.0

    def client_props(self, prefix: str) -> dict[str, str]:
        """``producer.*`` / ``consumer.*`` / ``admin.*`` settings with the prefix stripped."""
        return {
            k[len(prefix) :]: str(v) for k, v in self.originals().items() if k.startswith(prefix)
        }
