"""``MirrorCheckpointConnector``: which consumer groups get checkpoints, dealt to tasks.

Kafka's ``org.apache.kafka.connect.mirror.MirrorCheckpointConnector``. At start it creates the
target's ``<source>.checkpoints.internal`` (compacted, one partition) and lists the source's
consumer groups that ``groups``/``groups.exclude`` allow; every
``refresh.groups.interval.seconds`` it lists them again and asks for new task configs when they
changed. Groups are dealt round-robin to at most ``tasks.max`` tasks
(``task.assigned.groups``); with no groups, or neither checkpoints nor offset sync enabled, it
runs no task.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping

from confluent_kafka.admin import AdminClient

import sluice
from sluice.api import ConfigDef, ContextThread, SourceConnector, Task
from sluice.connectors.mirror.checkpoint_config import (
    TASK_ASSIGNED_GROUPS,
    CheckpointSettings,
    checkpoint_config_def,
)
from sluice.connectors.mirror.checkpoint_task import ADMIN_TIMEOUT, MirrorCheckpointTask
from sluice.connectors.mirror.topics_admin import ClusterAdmin

__all__ = ["MirrorCheckpointConnector"]

log = logging.getLogger(__name__)


class MirrorCheckpointConnector(SourceConnector):
    def __init__(self) -> None:
        self._props: dict[str, str] = {}
        self._groups: list[str] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def version(self) -> str:
        return sluice.__version__

    def config(self) -> ConfigDef:
        return checkpoint_config_def()

    def task_class(self) -> type[Task]:
        return MirrorCheckpointTask

    def start(self, props: Mapping[str, str]) -> None:
        settings = CheckpointSettings.parse(props)
        self._settings, self._props = settings, dict(props)
        mirror = settings.mirror
        self._source = AdminClient(dict(mirror.client("source", "admin")))
        if settings["emit.checkpoints.enabled"]:
            ClusterAdmin(
                mirror.target_alias, mirror.client("target", "admin")
            ).create_compacted_topic(
                settings.checkpoints_topic, settings["checkpoints.topic.replication.factor"]
            )
        self._groups = self.find_groups()
        self._stop.clear()
        if settings["refresh.groups.enabled"]:
            self._thread = ContextThread(
                target=self._run, name=f"mirror-checkpoint-{mirror.source_alias}", daemon=True
            )
            self._thread.start()

    def find_groups(self) -> list[str]:
        """The source cluster's consumer groups the filter allows, sorted."""
        listed = self._source.list_consumer_groups(request_timeout=ADMIN_TIMEOUT).result(
            timeout=ADMIN_TIMEOUT
        )
        names = {g.group_id for g in listed.valid or []}
        return sorted(g for g in names if self._settings.group_allowed(g))

    def _run(self) -> None:
        period = float(self._settings["refresh.groups.interval.seconds"])
        while not self._stop.wait(period):
            try:
                found = self.find_groups()
            except Exception:
                log.exception("Listing consumer groups failed; retrying next interval")
                continue
            with self._lock:
                changed, self._groups = found != self._groups, found
            if changed:
                log.info("Found %d consumer groups to checkpoint", len(found))
                self.context.request_task_reconfiguration()

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        settings = self._settings
        if not settings["enabled"] or not (
            settings["emit.checkpoints.enabled"] or settings["sync.group.offsets.enabled"]
        ):
            return []
        with self._lock:
            groups = list(self._groups)
        n = min(max_tasks, len(groups))
        dealt: list[list[str]] = [[] for _ in range(n)]
        for i, group in enumerate(groups):
            dealt[i % n].append(group)
        return [
            {**self._props, TASK_ASSIGNED_GROUPS: ",".join(gs), "task.index": str(i)}
            for i, gs in enumerate(dealt)
        ]

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=35)
            self._thread = None
