"""``MirrorHeartbeatConnector``: a heartbeat record on the target cluster every second.

Kafka's ``org.apache.kafka.connect.mirror.MirrorHeartbeatConnector``. It writes to ``heartbeats``
on the *target* cluster; a ``MirrorSourceConnector`` replicating out of that cluster copies them on
(``B.heartbeats`` elsewhere), so the heartbeats show which flows are alive and how far behind they
run. Records are raw bytes: run it with ``key.converter``/``value.converter`` set to
``org.apache.kafka.connect.converters.ByteArrayConverter`` as MirrorMaker's dedicated mode does.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping

import sluice
from sluice.api import (
    ConfigDef,
    ConfigValue,
    Schema,
    SourceConnector,
    SourceRecord,
    SourceTask,
    Task,
)
from sluice.connectors.mirror.heartbeat import Heartbeat
from sluice.connectors.mirror.mirror_config import (
    MirrorSettings,
    mirror_config_def,
    validate_mirror_config,
)
from sluice.connectors.mirror.topics_admin import ClusterAdmin

__all__ = ["MirrorHeartbeatConnector", "MirrorHeartbeatTask"]


class MirrorHeartbeatConnector(SourceConnector):
    """One task, none when ``emit.heartbeats.enabled=false``; creates ``heartbeats`` (compacted,
    one partition, ``heartbeats.topic.replication.factor``) on the target at start."""

    def __init__(self) -> None:
        self._props: dict[str, str] = {}
        self._settings: MirrorSettings | None = None

    def version(self) -> str:
        return sluice.__version__

    def config(self) -> ConfigDef:
        return mirror_config_def()

    def start(self, props: Mapping[str, str]) -> None:
        settings = MirrorSettings.parse(props, need_source=False)
        self._settings, self._props = settings, dict(props)
        admin = ClusterAdmin(settings.target_alias, settings.client("target", "admin"))
        admin.create_compacted_topic(
            settings.policy.heartbeats_topic(), settings["heartbeats.topic.replication.factor"]
        )

    def validate(self, connector_configs: Mapping[str, str]) -> list[ConfigValue]:
        return validate_mirror_config(connector_configs, need_source=False)

    def task_class(self) -> type[Task]:
        return MirrorHeartbeatTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        assert self._settings is not None
        if not self._settings["emit.heartbeats.enabled"]:
            return []
        return [dict(self._props)]

    def stop(self) -> None:
        return None


class MirrorHeartbeatTask(SourceTask):
    """Returns one heartbeat per ``emit.heartbeats.interval.seconds``."""

    def version(self) -> str:
        return sluice.__version__

    def start(self, props: Mapping[str, str]) -> None:
        settings = MirrorSettings.parse(props, need_source=False)
        self._source, self._target = settings.source_alias, settings.target_alias
        self._topic = settings.policy.heartbeats_topic()
        self._interval = float(settings["emit.heartbeats.interval.seconds"])
        self._stop = threading.Event()
        self._next = time.monotonic()

    def poll(self) -> list[SourceRecord] | None:
        wait = self._next - time.monotonic()
        if wait > 0 and self._stop.wait(min(wait, 1.0)):
            return None
        if time.monotonic() < self._next:
            return None
        self._next = time.monotonic() + self._interval
        now = int(time.time() * 1000)
        beat = Heartbeat(self._source, self._target, now)
        return [
            SourceRecord(
                {"sourceClusterAlias": self._source, "targetClusterAlias": self._target},
                {"offset": 0},  # as Kafka's task: heartbeats need no resume point
                self._topic,
                0,
                Schema.BYTES_SCHEMA,
                beat.key(),
                Schema.BYTES_SCHEMA,
                beat.value(),
                now,
            )
        ]

    def stop(self) -> None:
        self._stop.set()
