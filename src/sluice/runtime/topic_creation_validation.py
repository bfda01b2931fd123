"""The ``Topic Creation`` groups of the validate report: one embedded group of
:func:`~sluice.runtime.topic_creation_config.group_config_def` keys per ``topic.creation``
group, as Kafka's ``SourceConnectorConfig.enrich`` adds them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sluice.api import NO_DEFAULT
from sluice.runtime.enriched_definition import EnrichedDefinition
from sluice.runtime.topic_creation_config import (
    DEFAULT_GROUP,
    GROUPS_CONFIG,
    PREFIX,
    default_sizes,
    group_config_def,
    group_names,
)
from sluice.runtime.worker_config import worker_config_def

__all__ = ["enrich_topic_creation_groups", "enriches_topic_creation"]


def enriches_topic_creation(worker: Mapping[str, Any], props: Mapping[str, str | None]) -> bool:
    """Whether the report lists topic-creation groups: the worker allows topic creation and the
    config sets a ``topic.creation.*`` key other than ``topic.creation.groups``."""
    default = worker_config_def().keys["topic.creation.enable"].default
    enabled = str(worker.get("topic.creation.enable", default)).strip().lower()
    return enabled != "false" and any(k.startswith(PREFIX) and k != GROUPS_CONFIG for k in props)


def enrich_topic_creation_groups(
    definition: EnrichedDefinition, props: Mapping[str, str | None]
) -> None:
    """Embed the default group, then each listed group (inheriting the default group's sizes
    as far as they parse)."""
    default_rf, default_partitions = default_sizes(props)
    default = group_config_def(DEFAULT_GROUP, NO_DEFAULT, NO_DEFAULT)
    definition.embed(
        f"{PREFIX}{DEFAULT_GROUP}.", f"Topic Creation: {DEFAULT_GROUP}", 1, default.keys
    )
    for g in group_names(props):
        child = group_config_def(g, default_rf, default_partitions)
        definition.embed(f"{PREFIX}{g}.", f"Topic Creation: {g}", 1, child.keys)
