"""``MirrorSourceConnector``: the topics of one cluster copied to another, partition for partition.

Kafka's ``org.apache.kafka.connect.mirror.MirrorSourceConnector``. At start and then every
``refresh.topics.interval.seconds`` it lists the source cluster's topics, keeps those
``topics``/``topics.exclude`` allow (never internal topics, never topics that came from the target:
``B.orders`` is not copied back to ``B``), creates their remote topics on the target with the same
partition count and the source's topic configs (less ``config.properties.exclude``), grows remote
topics whose source gained partitions, and asks for new task configs when the set of partitions
changed. Partitions are dealt round-robin to at most ``tasks.max`` tasks.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping

from confluent_kafka.cimpl import NewTopic

import sluice
from sluice.api import (
    ConfigDef,
    ConfigError,
    ConfigValue,
    ContextThread,
    SourceConnector,
    Task,
    TopicPartition,
)
from sluice.connectors.mirror.mirror_config import (
    TASK_TOPIC_PARTITIONS,
    MirrorSettings,
    mirror_config_def,
    validate_mirror_config,
)
from sluice.connectors.mirror.replication_policy import IdentityReplicationPolicy
from sluice.connectors.mirror.source_task import MirrorSourceTask, encode_topic_partition
from sluice.connectors.mirror.topics_admin import ClusterAdmin

__all__ = ["MirrorSourceConnector", "assign_round_robin"]

log = logging.getLogger(__name__)


def assign_round_robin(
    partitions: list[TopicPartition], max_tasks: int
) -> list[list[TopicPartition]]:
    """Kafka's assignment: partition ``i`` to task ``i % n``, ``n = min(tasks, partitions)``."""
    n = min(max_tasks, len(partitions))
    tasks: list[list[TopicPartition]] = [[] for _ in range(n)]
    for i, tp in enumerate(partitions):
        tasks[i % n].append(tp)
    return tasks


class MirrorSourceConnector(SourceConnector):
    """Replicates ``source.cluster.alias`` topics to ``target.cluster.alias``.

    Records are raw bytes: the worker (or the connector config) must use
    ``org.apache.kafka.connect.converters.ByteArrayConverter`` for keys, values and headers to copy
    them byte for byte, as MirrorMaker's dedicated mode does.
    """

    def __init__(self) -> None:
        self._props: dict[str, str] = {}
        self._settings: MirrorSettings | None = None
        self._known: list[TopicPartition] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def version(self) -> str:
        return sluice.__version__

    def config(self) -> ConfigDef:
        return mirror_config_def()

    def validate(self, connector_configs: Mapping[str, str]) -> list[ConfigValue]:
        return validate_mirror_config(connector_configs)

    def task_class(self) -> type[Task]:
        return MirrorSourceTask

    def start(self, props: Mapping[str, str]) -> None:
        settings = MirrorSettings.parse(props)
        self._settings, self._props = settings, dict(props)
        self._source = ClusterAdmin(settings.source_alias, settings.client("source", "admin"))
        self._target = ClusterAdmin(settings.target_alias, settings.client("target", "admin"))
        if settings["emit.offset-syncs.enabled"]:
            where = self._source if settings.offset_syncs_cluster == "source" else self._target
            where.create_compacted_topic(
                settings.policy.offset_syncs_topic(settings.target_alias),
                settings["offset-syncs.topic.replication.factor"],
            )
        self._known = self.refresh()
        self._stop.clear()
        self._thread = ContextThread(
            target=self._run, name=f"mirror-source-{settings.source_alias}", daemon=True
        )
        self._thread.start()

    def _run(self) -> None:
        settings = self._settings
        assert settings is not None
        refresh = float(settings["refresh.topics.interval.seconds"])
        sync = float(settings["sync.topic.configs.interval.seconds"])
        refresh_on = settings["refresh.topics.enabled"]
        sync_on = settings["sync.topic.configs.enabled"]
        if not (refresh_on or sync_on):
            return
        period = min(refresh if refresh_on else sync, sync if sync_on else refresh)
        elapsed = 0.0
        while not self._stop.wait(period):
            elapsed += period
            try:
                if refresh_on and elapsed % refresh < period:
                    found = self.refresh()
                    with self._lock:
                        changed, self._known = found != self._known, found
                    if changed:
                        log.info("Found %d topic-partitions to replicate", len(found))
                        self.context.request_task_reconfiguration()
                if sync_on and elapsed % sync < period:
                    self.sync_topic_configs(sorted({tp.topic for tp in self._known}))
            except ConfigError as e:
                self.context.raise_error(e)
                return
            except Exception:
                log.exception("MirrorSourceConnector refresh failed; retrying next interval")

    def refresh(self) -> list[TopicPartition]:
        """Source partitions to replicate; creates or grows their remote topics on the target."""
        settings = self._settings
        assert settings is not None
        source_counts = self._source.partition_counts()
        self._check_identity_loop(source_counts)
        topics = {t: n for t, n in source_counts.items() if settings.should_replicate_topic(t)}
        target_counts = self._target.partition_counts()
        remote = {t: settings.policy.format_remote_topic(settings.source_alias, t) for t in topics}
        missing = [t for t in topics if remote[t] not in target_counts]
        if missing:
            configs: dict[str, dict[str, str]] = {}
            if settings["sync.topic.configs.enabled"]:
                configs = self._source.topic_configs(missing, settings.should_replicate_config)
            self._target.create_topics(
                NewTopic(
                    remote[t], topics[t], settings["replication.factor"], config=configs.get(t, {})
                )
                for t in missing
            )
        grow = {
            remote[t]: n
            for t, n in topics.items()
            if remote[t] in target_counts and target_counts[remote[t]] < n
        }
        self._target.add_partitions(grow)
        return sorted(TopicPartition(t, p) for t, n in topics.items() for p in range(n))

    def _check_identity_loop(self, source_counts: Mapping[str, int]) -> None:
        """Identity naming cannot tell copies from originals: refuse to run against a reverse flow,
        which shows as ``<target>.heartbeats`` on the source cluster."""
        settings = self._settings
        assert settings is not None
        if not isinstance(settings.policy, IdentityReplicationPolicy):
            return
        reverse = settings.policy.format_remote_topic(
            settings.target_alias, settings.policy.heartbeats_topic()
        )
        if reverse in source_counts:
            raise ConfigError.invalid(
                "replication.policy.class",
                "IdentityReplicationPolicy",
                f"cluster '{settings.source_alias}' has {reverse}: a flow "
                f"{settings.target_alias}->{settings.source_alias} exists, and with identity "
                "naming the two flows would copy each other's records in a loop",
            )

    def sync_topic_configs(self, topics: list[str]) -> None:
        settings = self._settings
        assert settings is not None
        configs = self._source.topic_configs(topics, settings.should_replicate_config)
        self._target.set_topic_configs(
            {
                settings.policy.format_remote_topic(settings.source_alias, t): c
                for t, c in configs.items()
            }
        )

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        with self._lock:
            known = list(self._known)
        if not known or (self._settings is not None and not self._settings["enabled"]):
            return []  # a flow dedicated mode writes with enabled=false runs nothing
        return [
            {
                **self._props,
                TASK_TOPIC_PARTITIONS: ",".join(encode_topic_partition(tp) for tp in tps),
                "task.index": str(i),
            }
            for i, tps in enumerate(assign_round_robin(known, max_tasks))
        ]

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=35)
            self._thread = None
