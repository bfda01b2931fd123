"""What a group's coordinator knows of a group: its state, protocol type and members' metadata.

librdkafka's and kafka-python's group descriptions refuse or garble groups that are not
``consumer`` groups, so this asks the coordinator directly (DescribeGroups through kafka-python's
admin client) and returns the raw member metadata for the caller to decode.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kafka.admin import KafkaAdminClient

from sluice.kafka.group_coordinator import kafka_client_config

__all__ = ["GroupDescription", "describe_group"]

_ADMIN_KEYS = frozenset(KafkaAdminClient.DEFAULT_CONFIG)


@dataclass(frozen=True)
class GroupDescription:
    state: str
    """``Empty``, ``Stable``, ``PreparingRebalance``, ``CompletingRebalance``, ``Dead``."""
    protocol_type: str
    members: list[tuple[str, bytes]]
    """``(member_id, metadata)`` of each member."""


def describe_group(settings: Mapping[str, Any], group: str) -> GroupDescription | None:
    """Describe ``group`` with Kafka-style client ``settings``; ``None`` if it has no members."""
    config = {k: v for k, v in kafka_client_config(settings).items() if k in _ADMIN_KEYS}
    admin = KafkaAdminClient(**config)
    try:
        coordinator = admin._find_coordinator_ids([group])[group]
        request = admin._describe_consumer_groups_request(group)
        [response] = admin.send_requests([(request, coordinator)])
    finally:
        admin.close()
    described = response.groups[0]
    state, protocol_type, members = described[2], described[3], described[5]
    if not members:
        return None
    # DescribeGroups v0-v3 member: (member_id, client_id, client_host, metadata, assignment);
    # v4+ adds group_instance_id after member_id, so read from the end.
    return GroupDescription(state, protocol_type, [(m[0], bytes(m[-2])) for m in members])
