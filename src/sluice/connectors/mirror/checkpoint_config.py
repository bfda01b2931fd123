"""The settings only ``MirrorCheckpointConnector`` reads, with Kafka's names and defaults
(``MirrorCheckpointConfig``); the shared ones come from :mod:`.mirror_config`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from sluice.api import ConfigDef, ConfigType, Importance, Range
from sluice.connectors.mirror.mirror_config import (
    MirrorSettings,
    compile_patterns,
    mirror_config_def,
)

__all__ = [
    "GROUPS_EXCLUDE_DEFAULT",
    "TASK_ASSIGNED_GROUPS",
    "CheckpointSettings",
    "checkpoint_config_def",
]

GROUPS: Final = "groups"
GROUPS_EXCLUDE: Final = "groups.exclude"
GROUPS_BLACKLIST: Final = "groups.blacklist"
GROUPS_EXCLUDE_DEFAULT: Final = "console-consumer-.*, connect-.*, __.*"
TASK_ASSIGNED_GROUPS: Final = "task.assigned.groups"


def checkpoint_config_def() -> ConfigDef:
    """Every key of the checkpoint connector: the shared ones plus its own."""
    d = mirror_config_def()
    s, b, lst = ConfigType.STRING, ConfigType.BOOLEAN, ConfigType.LIST
    long, short = ConfigType.LONG, ConfigType.SHORT
    lo, hi = Importance.LOW, Importance.HIGH
    d.define(GROUPS, lst, ".*", None, hi, "Consumer groups to replicate (regexes).")
    d.define(GROUPS_EXCLUDE, lst, GROUPS_EXCLUDE_DEFAULT, None, hi, "Consumer groups to exclude.")
    d.define(
        "refresh.groups.enabled", b, True, None, lo, "Whether to periodically check for new groups."
    )
    d.define(
        "refresh.groups.interval.seconds",
        long,
        600,
        Range.at_least(1),
        lo,
        "Frequency of group refresh.",
    )
    d.define(
        "emit.checkpoints.enabled", b, True, None, lo, "Whether to emit consumer group checkpoints."
    )
    d.define(
        "emit.checkpoints.interval.seconds",
        long,
        60,
        Range.at_least(1),
        lo,
        "Frequency of checkpoints.",
    )
    d.define(
        "sync.group.offsets.enabled",
        b,
        False,
        None,
        lo,
        "Whether to periodically write translated offsets to the target's consumer groups "
        "(only for groups with no active consumers there).",
    )
    d.define(
        "sync.group.offsets.interval.seconds",
        long,
        60,
        Range.at_least(1),
        lo,
        "Frequency of consumer group offset sync.",
    )
    d.define(
        "checkpoints.topic.replication.factor",
        short,
        3,
        Range.at_least(1),
        lo,
        "Replication factor for the checkpoints topic.",
    )
    d.define(TASK_ASSIGNED_GROUPS, s, "", None, lo, "Groups of one task (set by the connector).")
    return d


@dataclass
class CheckpointSettings:
    """The shared settings of the flow plus the checkpoint connector's own."""

    mirror: MirrorSettings
    values: dict[str, Any]
    groups: re.Pattern[str]
    groups_exclude: re.Pattern[str]

    @classmethod
    def parse(cls, props: Mapping[str, str]) -> CheckpointSettings:
        mirror = MirrorSettings.parse(props)
        values = checkpoint_config_def().parse(props)
        exclude_key, exclude = GROUPS_EXCLUDE, values[GROUPS_EXCLUDE]
        if GROUPS_EXCLUDE not in props and GROUPS_BLACKLIST in props:
            exclude_key = GROUPS_BLACKLIST
            exclude = [g.strip() for g in props[GROUPS_BLACKLIST].split(",") if g.strip()]
        return cls(
            mirror=mirror,
            values=values,
            groups=compile_patterns(GROUPS, values[GROUPS]),
            groups_exclude=compile_patterns(exclude_key, exclude),
        )

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def group_allowed(self, group: str) -> bool:
        """``DefaultGroupFilter``: matched by ``groups``, not by ``groups.exclude``."""
        return bool(self.groups.fullmatch(group)) and not self.groups_exclude.fullmatch(group)

    @property
    def checkpoints_topic(self) -> str:
        """``<source alias>.checkpoints.internal`` on the target (by the replication policy)."""
        return self.mirror.policy.checkpoints_topic(self.mirror.source_alias)

    @property
    def offset_syncs_topic(self) -> str:
        return self.mirror.policy.offset_syncs_topic(self.mirror.target_alias)
