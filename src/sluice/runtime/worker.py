"""The worker: builds connectors and tasks from configurations and runs them on threads (or in
child processes, see :mod:`sluice.runtime.task_process`).

The herder decides *what* runs; the worker knows *how*: it resolves plugins, layers converter and
client settings (framework defaults < worker ``producer.*``/``consumer.*`` < connector
``*.override.*``), creates the task's clients and threads, and stops tasks within the graceful
shutdown budget, cancelling those that overrun.

``sluice.task.isolation`` decides whether a task is a thread of the worker or a child process of
it (:func:`~sluice.runtime.task_process.runs_in_process`); a task process builds its task with
this module's own ``_build_task`` and is stored here as a :class:`~sluice.runtime.task_process.
TaskProcess`, which everything that reads ``Worker.tasks`` treats as any other task.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sluice.api import (
    ConfigError,
    Connector,
    Converter,
    HeaderConverter,
    SinkConnector,
    SinkTask,
    SourceConnector,
    SourceTask,
)
from sluice.kafka.client_config import prefixed, to_librdkafka
from sluice.kafka.security import connection_settings
from sluice.plugins.registry import PluginError, PluginRegistry
from sluice.runtime.client_overrides import (
    CONSUMER_OVERRIDES,
    POLICY_CONFIG,
    PRINCIPAL_OVERRIDES,
    PRODUCER_OVERRIDES,
    disallowed,
    policy_name,
)
from sluice.runtime.connector_config import (
    ConnectorConfig,
    ErrorHandlingConfig,
    SinkConnectorConfig,
    SourceConnectorConfig,
    check_sink_topics,
    parse_connector_config,
)
from sluice.runtime.dead_letter_queue import DeadLetterQueueReporter, ensure_dlq_topic
from sluice.runtime.errant_record_reporter import WorkerErrantRecordReporter
from sluice.runtime.errors import ErrorHandler, ErrorReporter
from sluice.runtime.metrics.client_stats import ClientStatsRegistry
from sluice.runtime.metrics.exposition import new_registry
from sluice.runtime.metrics.summary import ThroughputHistory
from sluice.runtime.metrics.task_metrics import (
    SinkTaskMetrics,
    SourceTaskMetrics,
    TaskMetrics,
    TaskMetricsT,
    switched_off,
)
from sluice.runtime.metrics.worker_metrics import RebalanceMetrics, WorkerMetrics
from sluice.runtime.offset_storage import StoreOffsetReader
from sluice.runtime.status import ConnectorTaskId, TargetState
from sluice.runtime.task_process import TaskProcess, TaskProcessBuildError, runs_in_process
from sluice.runtime.task_process.protocol import HostRequest
from sluice.runtime.task_process.supervisor import crash_file, gc_tuning, logger_levels
from sluice.runtime.topic_creation import TopicCreation
from sluice.runtime.transformation_chain import build_chain
from sluice.runtime.worker_config import WorkerConfig
from sluice.runtime.worker_connector import ConnectorStatusListener, WorkerConnector
from sluice.runtime.worker_sink_task import WorkerSinkTask
from sluice.runtime.worker_source_task import WorkerSourceTask
from sluice.runtime.worker_task import RecordPipeline, TaskStatusListener, WorkerTask
from sluice.storage.offsets import OffsetBackingStore

__all__ = ["TaskStart", "Worker"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TaskStart:
    """One task for :meth:`Worker.start_tasks` to build and start."""

    id: ConnectorTaskId
    connector_config: dict[str, str]
    task_config: dict[str, str]
    listener: TaskStatusListener
    target_state: TargetState
    on_topic: Callable[[str], None] | None = None


class Worker:
    """Runs connector instances and task threads for one worker process."""

    def __init__(
        self,
        worker_id: str,
        config: WorkerConfig,
        registry: PluginRegistry,
        offset_store: OffsetBackingStore,
        config_resolver: Callable[[Mapping[str, str]], dict[str, str]] | None = None,
    ) -> None:
        self.worker_id = worker_id
        self.config = config
        self.registry = registry
        self.offset_store = offset_store
        self.resolve = config_resolver or (lambda c: dict(c))
        self.connectors: dict[str, WorkerConnector] = {}
        self.tasks: dict[ConnectorTaskId, WorkerTask] = {}
        self._lock = threading.RLock()
        self.metrics = WorkerMetrics()
        self.metrics_window = config.get_long("metrics.sample.window.ms") / 1000.0
        self.metrics_samples = config.get_int("metrics.num.samples")
        self.rebalance_metrics: RebalanceMetrics | None = None
        """Set by the distributed herder; a standalone worker has no rebalances."""
        self.client_stats = ClientStatsRegistry()
        self._forget_clients: dict[ConnectorTaskId, list[Callable[[], None]]] = {}
        self.metrics_registry = new_registry(self)
        self.history = ThroughputHistory(self)
        self.isolation = config.get_string("sluice.task.isolation") or "auto"
        self._generated_tasks: dict[str, int] = {}
        """How many task configs each connector generated here (for ``auto`` isolation)."""

    @property
    def client_id(self) -> str:
        """The worker's own client id (Kafka's ``client.id``, else ``connect-<worker id>``)."""
        return str(self.config.originals().get("client.id") or f"connect-{self.worker_id}")

    def connector_snapshot(self) -> dict[str, WorkerConnector]:
        """The connectors this worker runs now (a copy, safe to read from another thread)."""
        with self._lock:
            return dict(self.connectors)

    def task_snapshot(self) -> list[WorkerTask]:
        with self._lock:
            return [self.tasks[i] for i in sorted(self.tasks)]

    def start(self) -> None:
        self.offset_store.start()
        self.history.start()
        log.info("Worker started")

    def stop(self) -> None:
        log.info("Worker stopping")
        with self._lock:
            self.stop_and_await_tasks(list(self.tasks))
            for name in list(self.connectors):
                self.stop_connector(name)
        self.offset_store.stop()
        self.history.stop()
        log.info("Worker stopped")

    # -- plugins ------------------------------------------------------------------------------
    def connector_class(self, config: Mapping[str, str]) -> type[Connector]:
        name = config.get("connector.class")
        if not name:
            raise ConfigError(
                'Missing required configuration "connector.class" which has no default value.',
                "connector.class",
            )
        try:
            cls = self.registry.load(name, "connector")
        except PluginError as e:
            raise ConfigError(str(e), "connector.class", name) from e
        return cls

    def is_sink(self, config: Mapping[str, str]) -> bool:
        return issubclass(self.connector_class(config), SinkConnector)

    def parse_connector_config(
        self, config: Mapping[str, str]
    ) -> SinkConnectorConfig | SourceConnectorConfig:
        """The typed framework keys of a connector config (raises :class:`ConfigError`)."""
        return parse_connector_config(config, self.is_sink(config))

    # -- connectors ---------------------------------------------------------------------------
    def start_connector(
        self,
        name: str,
        config: dict[str, str],
        listener: ConnectorStatusListener,
        target_state: TargetState,
        request_reconfiguration: Callable[[str], None],
    ) -> bool:
        with self._lock:
            if name in self.connectors:
                raise ConfigError(f"Connector {name} already running on this worker")
            try:
                cls = self.connector_class(config)
                connector = cls()
            except Exception as e:
                placeholder = WorkerConnector(
                    name,
                    _Unloadable(),
                    config,
                    listener,
                    StoreOffsetReader(name, self.offset_store),
                    request_reconfiguration,
                )
                placeholder.fail(e)
                self.connectors[name] = placeholder
                self.metrics.connector_startups.record(False)
                return False
            wc = WorkerConnector(
                name,
                connector,
                self.resolve(config),
                listener,
                StoreOffsetReader(name, self.offset_store),
                request_reconfiguration,
            )
            self.connectors[name] = wc
            log.info("Creating connector %s of type %s", name, config.get("connector.class"))
            started = wc.initialize() and wc.transition_to(target_state)
            self.metrics.connector_startups.record(started)
            return started

    def set_target_state(self, name: str, state: TargetState) -> None:
        with self._lock:
            wc = self.connectors.get(name)
            if wc is not None:
                wc.transition_to(state)
            for id, task in self.tasks.items():
                if id.connector == name and state is not TargetState.STOPPED:
                    task.transition_to(state)

    def stop_connector(self, name: str) -> None:
        with self._lock:
            wc = self.connectors.pop(name, None)
        if wc is not None:
            log.info("Stopping connector %s", name)
            wc.shutdown()

    def connector_task_configs(self, name: str, config: Mapping[str, str]) -> list[dict[str, str]]:
        """Ask the connector for task configs; adds ``task.class`` and the sink topics."""
        with self._lock:
            wc = self.connectors.get(name)
            if wc is None or not wc.started:
                return []
            parsed = self.parse_connector_config(config)
            max_tasks = parsed.tasks_max
            task_class = wc.connector.task_class()
            raw = wc.connector.task_configs(max_tasks)
            if len(raw) > max_tasks and parsed.tasks_max_enforce:
                raise ConfigError(
                    f"The connector {name} has generated {len(raw)} tasks, which is greater than "
                    f"{max_tasks}, the maximum number of tasks it is configured to create. "
                    "This behaviour should be considered a bug and is disallowed."
                )
            out: list[dict[str, str]] = []
            resolved = wc.config
            for tc in raw:
                # Kafka's reverse transform: values the connector copied from its resolved
                # config get their ${provider:...} placeholder back, so secrets are not stored
                # or shown in task configs (tasks resolve them again when they start).
                task_config = {
                    k: config[k]
                    if k in config and "${" in config[k] and resolved.get(k) == v
                    else v
                    for k, v in tc.items()
                }
                task_config["task.class"] = self.registry.display_name(task_class)
                if isinstance(wc.connector, SinkConnector):
                    for key in ("topics", "topics.regex"):
                        if config.get(key):
                            task_config[key] = config[key]
                out.append(task_config)
            self._generated_tasks[name] = len(out)
            return out

    # -- tasks --------------------------------------------------------------------------------
    def start_task(
        self,
        id: ConnectorTaskId,
        connector_config: dict[str, str],
        task_config: dict[str, str],
        listener: TaskStatusListener,
        target_state: TargetState,
        on_topic: Callable[[str], None] | None = None,
    ) -> bool:
        """Build and start one task; a failure to build is reported as FAILED, not raised."""
        start = TaskStart(id, connector_config, task_config, listener, target_state, on_topic)
        return self.start_tasks([start])[0]

    def start_tasks(self, starts: Sequence[TaskStart]) -> list[bool]:
        """Build every task first, then let them all run; whether each one started, in order.

        Built one after another and started as each was built, the sink tasks of one connector
        join their consumer group tens of milliseconds apart (a task process builds its task
        before it may run): the first forms the group alone and takes every partition, and
        when the next one joins, that member learns of the new rebalance only at its next
        heartbeat (``heartbeat.interval.ms``, 3 s by default), a stall at every start.
        Started together, they join within a few milliseconds and the group forms once. Task
        processes also build in parallel. A failure to build is reported as FAILED for that
        task alone.
        """
        with self._lock:
            for s in starts:
                if s.id in self.tasks:
                    raise ConfigError(f"Task {s.id} already running on this worker")
            built: list[WorkerTask | None] = []
            for s in starts:
                try:
                    if self.runs_in_process(s.id, s.connector_config):
                        task: WorkerTask = self._spawn_task_process(s)
                    else:
                        task = self._build_task(
                            s.id,
                            s.connector_config,
                            s.task_config,
                            s.listener,
                            s.target_state,
                            s.on_topic,
                        )
                except Exception as e:
                    self._task_start_failed(s, e)
                    built.append(None)
                else:
                    built.append(task)
            for i, (s, spawned) in enumerate(zip(starts, built, strict=True)):
                if isinstance(spawned, TaskProcess):
                    try:
                        spawned.await_built()
                    except Exception as e:
                        self._task_start_failed(s, e)
                        built[i] = None
            ready = [(s, t) for s, t in zip(starts, built, strict=True) if t is not None]
            for s, ready_task in ready:
                self.tasks[s.id] = ready_task
            for _, ready_task in ready:
                ready_task.start_thread()
                self.metrics.task_startups.record(True)
            return [t is not None for t in built]

    def _task_start_failed(self, start: TaskStart, error: Exception) -> None:
        """Report a task that could not be built as FAILED, with the trace of why."""
        from sluice.runtime.java_traces import format_trace

        if isinstance(error, TaskProcessBuildError):
            log.error("Failed to start task %s in its process: %s", start.id, error)
            trace = error.trace
        else:
            log.error("Failed to start task %s", start.id, exc_info=error)
            trace = format_trace(error)
        self.metrics.task_startups.record(False)
        self._forget_task_clients(start.id)
        start.listener.on_task_failure(start.id, trace)

    def runs_in_process(self, id: ConnectorTaskId, connector_config: Mapping[str, str]) -> bool:
        """Whether task ``id`` runs in a child process (``sluice.task.isolation``)."""
        return runs_in_process(
            self.isolation, connector_config, self._generated_tasks.get(id.connector)
        )

    def _spawn_task_process(self, start: TaskStart) -> TaskProcess:
        """Start a child process that builds the task with :meth:`_build_task`; the caller
        awaits the build (:meth:`TaskProcess.await_built` raises with the process's trace if
        it could not)."""
        id, connector_config, task_config = start.id, start.connector_config, start.task_config
        listener, target_state, on_topic = start.listener, start.target_state, start.on_topic
        conn_config = self.resolve(connector_config)
        resolved_task_config = self.resolve(task_config)
        task_cls = self._task_class(conn_config, task_config)
        if issubclass(task_cls, SourceTask):
            metrics: TaskMetrics = SourceTaskMetrics(
                id.connector, id.task, self.metrics_window, self.metrics_samples
            )
        elif issubclass(task_cls, SinkTask):
            metrics = SinkTaskMetrics(
                id.connector, id.task, self.metrics_window, self.metrics_samples
            )
        else:
            raise ConfigError(f"{task_cls} is neither a SourceTask nor a SinkTask", "task.class")
        if not self.config.get_boolean("topic.tracking.enable"):
            on_topic = None
        request = HostRequest(
            id,
            self.worker_id,
            self.config,
            self.registry,
            conn_config,
            resolved_task_config,
            target_state.value,
            on_topic is not None,
            logger_levels(),
            crash_file(),
            gc_tuning=gc_tuning(),
        )
        handle = TaskProcess(
            request,
            listener,
            metrics,
            self.offset_store,
            on_topic,
            lambda kind: self._client_stats_feed(id, kind),
            task_cls,
        )
        handle.spawn()
        return handle

    def _client_stats_feed(self, id: ConnectorTaskId, kind: str) -> Callable[[str], None]:
        """Where a task process's ``kind`` client statistics go (``stats_cb``, worker side)."""
        config: dict[str, Any] = {}
        self._watch_client(id, config, kind)
        feed: Callable[[str], None] = config["stats_cb"]
        return feed

    def _watch_client(self, id: ConnectorTaskId, config: dict[str, Any], kind: str) -> None:
        """Have the task's client report connections and bytes for ``/metrics``."""
        forget = self.client_stats.instrument(config, kind)
        self._forget_clients.setdefault(id, []).append(forget)

    def _forget_task_clients(self, id: ConnectorTaskId) -> None:
        for forget in self._forget_clients.pop(id, []):
            forget()

    def _task_class(self, conn_config: Mapping[str, str], task_config: Mapping[str, str]) -> type:
        """The task's class: the task config's ``task.class``, else the connector's."""
        name = task_config.get("task.class")
        return (
            self.connector_class(conn_config)().task_class()
            if not name
            else self.registry.load(name)
        )

    def _build_task(
        self,
        id: ConnectorTaskId,
        connector_config: dict[str, str],
        task_config: dict[str, str],
        listener: TaskStatusListener,
        target_state: TargetState,
        on_topic: Callable[[str], None] | None,
    ) -> WorkerTask:
        conn_config = self.resolve(connector_config)
        resolved_task_config = self.resolve(task_config)
        parsed = self.parse_connector_config(conn_config)
        task_cls = self._task_class(conn_config, task_config)
        worker_cfg = self.config
        dlq = self._dead_letter_queue(id, conn_config, parsed.errors)
        errors = ErrorHandler.from_config(id.connector, id.task, parsed.errors, dlq)
        key_converter, key_class = self._converter("key", conn_config, parsed)
        value_converter, value_class = self._converter("value", conn_config, parsed)
        header_converter, header_class = self._header_converter(conn_config, parsed)
        pipeline = RecordPipeline(
            key_converter,
            value_converter,
            header_converter,
            build_chain(conn_config, self.registry),
            errors,
            key_class,
            value_class,
            header_class,
        )
        flush = (worker_cfg.offset_flush_interval, worker_cfg.offset_flush_timeout)
        if not worker_cfg.get_boolean("topic.tracking.enable"):
            on_topic = None
        window = (self.metrics_window, self.metrics_samples)
        if issubclass(task_cls, SourceTask):
            creation = TopicCreation.from_config(
                conn_config, worker_cfg.get_boolean("topic.creation.enable"), self.admin_config()
            )
            producer_config = self.producer_config(id, conn_config)
            self._watch_client(id, producer_config, "producer")
            source = WorkerSourceTask(
                id,
                task_cls(),
                resolved_task_config,
                listener,
                target_state,
                pipeline,
                producer_config,
                self.offset_store,
                *flush,
                on_topic,
                creation.ensure if creation is not None else None,
                metrics=self._task_metrics(SourceTaskMetrics(id.connector, id.task, *window)),
            )
            return source
        if issubclass(task_cls, SinkTask):
            if not isinstance(parsed, SinkConnectorConfig):
                raise ConfigError(
                    f"{task_cls} is a SinkTask but the connector is not a sink", "task.class"
                )
            check_sink_topics(conn_config)
            topics = list(parsed.topics)
            regex = parsed.topics_regex
            consumer_props = self.consumer_config(id, conn_config)
            max_poll = int(consumer_props.pop("max.poll.records", 500))
            reporter = (
                WorkerErrantRecordReporter(errors) if dlq or parsed.errors.log_enable else None
            )
            consumer_config = to_librdkafka(consumer_props)
            self._watch_client(id, consumer_config, "consumer")
            sink = WorkerSinkTask(
                id,
                task_cls(),
                resolved_task_config,
                listener,
                target_state,
                pipeline,
                consumer_config,
                topics,
                regex,
                *flush,
                max_poll,
                reporter,
                on_topic,
                metrics=self._task_metrics(SinkTaskMetrics(id.connector, id.task, *window)),
            )
            return sink
        raise ConfigError(f"{task_cls} is neither a SourceTask nor a SinkTask", "task.class")

    def _task_metrics(self, metrics: TaskMetricsT) -> TaskMetricsT:
        if self.config.get_boolean("sluice.task.metrics.enable"):
            return metrics
        return switched_off(metrics)

    def _dead_letter_queue(
        self, id: ConnectorTaskId, conn_config: Mapping[str, str], errors: ErrorHandlingConfig
    ) -> list[ErrorReporter]:
        if not errors.dlq_topic:
            return []
        ensure_dlq_topic(self.admin_config(), errors.dlq_topic, errors.dlq_replication_factor)
        producer = self.producer_config(id, conn_config)
        producer["client.id"] = f"connector-dlq-producer-{id.connector}-{id.task}"
        return [DeadLetterQueueReporter(producer, errors.dlq_topic, errors.dlq_context_headers)]

    def stop_and_await_tasks(self, ids: list[ConnectorTaskId]) -> None:
        """Stop tasks, waiting at most ``task.shutdown.graceful.timeout.ms`` for all of them."""
        with self._lock:
            tasks = [(i, self.tasks.pop(i)) for i in ids if i in self.tasks]
            for i, _ in tasks:
                self._forget_task_clients(i)
        for id, task in tasks:
            log.info("Stopping task %s", id)
            task.stop()
        deadline = time.monotonic() + self.config.graceful_shutdown_timeout
        for id, task in tasks:
            if not task.await_stop(max(0.0, deadline - time.monotonic())):
                log.error("Graceful stop of task %s failed: cancelling it", id)
                task.cancel()

    def task_ids(self, connector: str) -> list[ConnectorTaskId]:
        with self._lock:
            return sorted(i for i in self.tasks if i.connector == connector)

    # -- converters and clients ---------------------------------------------------------------
    def _converter_plugin(
        self, kind: str, conn_config: Mapping[str, str], parsed: ConnectorConfig
    ) -> tuple[Any, dict[str, str], str]:
        """An instance of the ``<kind>.converter`` class, its settings (prefix stripped) and its
        class name as Kafka Connect reports it (the configured name, as Kafka prints
        ``getClass().getName()`` of the class it loaded).

        The connector's own setting wins, with its own sub-settings; otherwise the worker's.
        """
        key = f"{kind}.converter"
        own = parsed.converter(kind)
        if own is not None:
            class_name = own
            sub = prefixed(conn_config, key + ".")
        else:
            class_name = self.config.get_string(key) or ""
            sub = prefixed({k: str(v) for k, v in self.config.originals().items()}, key + ".")
        try:
            cls = self.registry.load(
                class_name, "header_converter" if kind == "header" else "converter"
            )
        except PluginError as e:
            raise ConfigError.invalid(key, class_name, str(e)) from e
        sub.setdefault("converter.type", kind)
        return cls(), sub, self.registry.reported_name(cls, class_name)

    def _converter(
        self, kind: str, conn_config: Mapping[str, str], parsed: ConnectorConfig
    ) -> tuple[Converter, str]:
        """The configured ``<kind>.converter`` and its class name for error reports."""
        conv, sub, name = self._converter_plugin(kind, conn_config, parsed)
        conv.configure(sub, kind == "key")
        return conv, name

    def _header_converter(
        self, conn_config: Mapping[str, str], parsed: ConnectorConfig
    ) -> tuple[HeaderConverter, str]:
        """The configured ``header.converter`` and its class name for error reports."""
        conv, sub, name = self._converter_plugin("header", conn_config, parsed)
        conv.configure(sub)
        return conv, name

    def _overrides(self, conn_config: Mapping[str, str], prefix: str) -> dict[str, str]:
        """The connector's ``prefix`` client settings, if the worker's override policy
        (:mod:`~sluice.runtime.client_overrides`) allows every one of them."""
        settings = prefixed(conn_config, prefix)
        policy = policy_name(self.config.get_string(POLICY_CONFIG) or "")
        bad = disallowed(policy, settings)
        if bad and policy == "None":
            raise ConfigError(
                f"The {POLICY_CONFIG} None does not allow {prefix}* "
                f"settings: {', '.join(sorted(settings))}",
                prefix + next(iter(settings)),
            )
        if bad:
            raise ConfigError(
                f"The {POLICY_CONFIG} {policy} allows only "
                f"{', '.join(sorted(PRINCIPAL_OVERRIDES))}; not {', '.join(bad)}",
                prefix + bad[0],
            )
        return settings

    def _bootstrap(self) -> str:
        return ",".join(self.config.get_list("bootstrap.servers"))

    def producer_config(
        self, id: ConnectorTaskId, conn_config: Mapping[str, str]
    ) -> dict[str, Any]:
        props: dict[str, Any] = {
            "bootstrap.servers": self._bootstrap(),
            # Kafka Connect's own producer settings (Worker.baseProducerConfigs): one request
            # in flight keeps each partition in order, and a retried request may only
            # duplicate (at-least-once). librdkafka's idempotent producer sends one request at
            # a time too, and wakes its broker thread for every queued record: 5-10 us of CPU
            # a record more, measured with 16 KiB batches (bench/profiles.py).
            "acks": "all",
            "enable.idempotence": "false",
            "max.in.flight.requests.per.connection": "1",
            "message.timeout.ms": "0",
            "partitioner": "murmur2_random",
            "linger.ms": "5",
            "client.id": f"connector-producer-{id.connector}-{id.task}",
        }
        props.update(self.config.client_props("producer."))
        props.update(self._overrides(conn_config, PRODUCER_OVERRIDES))
        return to_librdkafka(props)

    def consumer_config(
        self, id: ConnectorTaskId, conn_config: Mapping[str, str]
    ) -> dict[str, Any]:
        props: dict[str, Any] = {
            "bootstrap.servers": self._bootstrap(),
            "group.id": f"connect-{id.connector}",
            "enable.auto.commit": "false",
            "auto.offset.reset": "earliest",
            "client.id": f"connector-consumer-{id.connector}-{id.task}",
            # librdkafka stops fetching for this long whenever its queue is full; its default
            # (1 s) caps a fast sink at about 100k records/s. Java's consumer has no such pause.
            "fetch.queue.backoff.ms": "20",
        }
        props.update(self.config.client_props("consumer."))
        props.update(self._overrides(conn_config, CONSUMER_OVERRIDES))
        return props

    def admin_config(self) -> dict[str, Any]:
        props: dict[str, Any] = {"bootstrap.servers": self._bootstrap()}
        # As Kafka Connect: the worker's top-level security settings, then admin.*.
        props.update(connection_settings(self.config.originals()))
        props.update(self.config.client_props("admin."))
        return to_librdkafka(props)


class _Unloadable(SourceConnector):
    """Stands in for a connector class that failed to load, so its status can say FAILED."""

    def start(self, props: Mapping[str, str]) -> None:
        raise ConfigError("connector class could not be loaded")

    def task_class(self) -> type[SourceTask]:
        raise ConfigError("connector class could not be loaded")

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return []

    def stop(self) -> None:
        return None

    def config(self) -> Any:
        from sluice.api import ConfigDef

        return ConfigDef()
