"""The settings MirrorMaker 2's connectors share, with Kafka's names and defaults.

Read from ``MirrorConnectorConfig``, ``MirrorSourceConfig`` and ``MirrorHeartbeatConfig``.
``MirrorSettings.parse`` checks what Kafka leaves to runtime failures and names the setting: a
cluster alias without ``bootstrap.servers``, a flow from a cluster to itself, a ``topics`` regex
that does not compile, a replication policy that would loop.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from sluice.api import (
    ConfigDef,
    ConfigError,
    ConfigType,
    ConfigValue,
    Importance,
    Range,
    Validator,
    ValidString,
)
from sluice.connectors.mirror.replication_policy import (
    DEFAULT_POLICY,
    IdentityReplicationPolicy,
    ReplicationPolicy,
    replication_policy,
)
from sluice.kafka.client_config import to_librdkafka

__all__ = [
    "MirrorSettings",
    "check_flows",
    "client_config",
    "compile_patterns",
    "mirror_config_def",
    "validate_mirror_config",
]

SOURCE_CLUSTER_ALIAS: Final = "source.cluster.alias"
TARGET_CLUSTER_ALIAS: Final = "target.cluster.alias"
SOURCE_PREFIX: Final = "source.cluster."
TARGET_PREFIX: Final = "target.cluster."
TOPICS: Final = "topics"
TOPICS_DEFAULT: Final = ".*"
TOPICS_EXCLUDE: Final = "topics.exclude"
TOPICS_BLACKLIST: Final = "topics.blacklist"
TOPICS_EXCLUDE_DEFAULT: Final = r".*[\-\.]internal, .*\.replica, __.*"
CONFIG_PROPERTIES_EXCLUDE: Final = "config.properties.exclude"
CONFIG_PROPERTIES_EXCLUDE_DEFAULT: Final = (
    r"follower\.replication\.throttled\.replicas, "
    r"leader\.replication\.throttled\.replicas, "
    r"message\.timestamp\.difference\.max\.ms, "
    r"message\.timestamp\.type, "
    r"unclean\.leader\.election\.enable, "
    r"min\.insync\.replicas"
)
OFFSET_SYNCS_TOPIC_LOCATION: Final = "offset-syncs.topic.location"
TASK_TOPIC_PARTITIONS: Final = "task.assigned.partitions"
_CLIENT_ROLES: Final = ("consumer.", "producer.", "admin.")


def mirror_config_def() -> ConfigDef:
    """Every key of the source and heartbeat connectors (``MirrorSourceConfig`` and friends)."""
    d = ConfigDef()
    s, i, b, lst = ConfigType.STRING, ConfigType.INT, ConfigType.BOOLEAN, ConfigType.LIST
    long, short = ConfigType.LONG, ConfigType.SHORT
    hi, med, lo = Importance.HIGH, Importance.MEDIUM, Importance.LOW
    rows: list[tuple[str, ConfigType, Any, Importance, str]] = [
        (SOURCE_CLUSTER_ALIAS, s, "source", hi, "Alias of source cluster"),
        (TARGET_CLUSTER_ALIAS, s, "target", med, "Alias of target cluster."),
        (
            "replication.policy.class",
            ConfigType.CLASS,
            DEFAULT_POLICY,
            lo,
            "Class which defines the remote topic naming convention.",
        ),
        (
            "replication.policy.separator",
            s,
            ".",
            lo,
            "Separator used in remote topic naming convention.",
        ),
        ("enabled", b, True, lo, "Whether to replicate source->target."),
        (TOPICS, lst, TOPICS_DEFAULT, hi, "List of topics and/or regexes to replicate."),
        (
            TOPICS_EXCLUDE,
            lst,
            TOPICS_EXCLUDE_DEFAULT,
            hi,
            "List of topics and/or regexes that should not be replicated.",
        ),
        (
            CONFIG_PROPERTIES_EXCLUDE,
            lst,
            CONFIG_PROPERTIES_EXCLUDE_DEFAULT,
            hi,
            "List of topic configuration properties and/or regexes that should not be replicated.",
        ),
        ("replication.factor", i, 2, lo, "Replication factor for newly created remote topics."),
        (
            "refresh.topics.enabled",
            b,
            True,
            lo,
            "Whether to periodically check for new topics and partitions.",
        ),
        ("refresh.topics.interval.seconds", long, 600, lo, "Frequency of topic refresh."),
        (
            "sync.topic.configs.enabled",
            b,
            True,
            lo,
            "Whether to periodically configure remote topics to match their corresponding upstream "
            "topics.",
        ),
        ("sync.topic.configs.interval.seconds", long, 600, lo, "Frequency of topic config sync."),
        (
            OFFSET_SYNCS_TOPIC_LOCATION,
            s,
            "source",
            lo,
            "The location (source/target) of the offset-syncs topic.",
        ),
        (
            "offset-syncs.topic.replication.factor",
            short,
            3,
            lo,
            "Replication factor for offset-syncs topic.",
        ),
        (
            "emit.offset-syncs.enabled",
            b,
            True,
            lo,
            "Whether to store the new offset of the "
            "replicated records in offset-syncs topic or not.",
        ),
        (
            "offset.lag.max",
            long,
            100,
            lo,
            "How out-of-sync a remote partition can be before it is resynced.",
        ),
        (
            "heartbeats.replication.enabled",
            b,
            True,
            lo,
            "Whether to replicate the heartbeats topics even when the topic filter does not "
            "include them.",
        ),
        ("emit.heartbeats.enabled", b, True, lo, "Whether to emit heartbeats to target cluster."),
        ("emit.heartbeats.interval.seconds", long, 1, lo, "Frequency of heartbeats."),
        (
            "heartbeats.topic.replication.factor",
            short,
            3,
            lo,
            "Replication factor for heartbeats topic.",
        ),
        ("consumer.poll.timeout.ms", long, 1000, lo, "Timeout when polling source cluster."),
    ]
    for name, typ, default, importance, doc in rows:
        validator: Validator | None = None
        if name.endswith("seconds"):
            validator = Range.at_least(1)
        if name == OFFSET_SYNCS_TOPIC_LOCATION:
            validator = ValidString.in_("source", "target")
        d.define(name, typ, default, validator, importance, doc)
    return d


def compile_patterns(key: str, patterns: Iterable[str]) -> re.Pattern[str]:
    """Kafka's ``DefaultTopicFilter`` pattern: the list joined by ``|``, matched in full."""
    items = [p.strip() for p in patterns if p.strip()]
    for item in items:
        try:
            re.compile(item)
        except re.error as e:
            raise ConfigError.invalid(key, item, f"not a valid regular expression: {e}") from e
    return re.compile("|".join(f"(?:{p})" for p in items) if items else "(?!)")


def _split_list(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def client_config(props: Mapping[str, str], prefix: str, role: str) -> dict[str, str]:
    """Client settings for ``role`` (``consumer``, ``producer``, ``admin``) of one cluster.

    ``source.cluster.bootstrap.servers`` and the like apply to every client of that cluster;
    then, as Kafka layers them, ``consumer.*`` (every cluster's consumers), ``source.consumer.*``
    (what dedicated mode writes for ``A.consumer.*``) and ``source.cluster.consumer.*`` override
    them for one role (and likewise ``producer.``/``admin.``).
    """
    common = {
        k[len(prefix) :]: v
        for k, v in props.items()
        if k.startswith(prefix)
        and not k[len(prefix) :].startswith(_CLIENT_ROLES)
        and k != prefix + "alias"
    }
    cluster = prefix.split(".", 1)[0]
    for role_prefix in (f"{role}.", f"{cluster}.{role}.", f"{prefix}{role}."):
        common.update(
            {k[len(role_prefix) :]: v for k, v in props.items() if k.startswith(role_prefix)}
        )
    return common


def _servers(bootstrap: str) -> frozenset[str]:
    return frozenset(s.strip().lower() for s in bootstrap.split(",") if s.strip())


@dataclass
class MirrorSettings:
    """Parsed and checked settings of one flow ``source -> target``."""

    source_alias: str
    target_alias: str
    policy: ReplicationPolicy
    values: dict[str, Any]
    props: dict[str, str] = field(repr=False)
    topics: re.Pattern[str] = field(repr=False)
    topics_exclude: re.Pattern[str] = field(repr=False)
    config_exclude: re.Pattern[str] = field(repr=False)

    @classmethod
    def parse(cls, props: Mapping[str, str], *, need_source: bool = True) -> MirrorSettings:
        """Check ``props``; ``need_source=False`` for the heartbeat connector (target only)."""
        values = mirror_config_def().parse(props)
        source, target = values[SOURCE_CLUSTER_ALIAS], values[TARGET_CLUSTER_ALIAS]
        for key, alias in ((SOURCE_CLUSTER_ALIAS, source), (TARGET_CLUSTER_ALIAS, target)):
            if not alias or not alias.strip():
                raise ConfigError.invalid(key, alias, "a cluster alias must not be empty")
        if source == target:
            raise ConfigError.invalid(
                TARGET_CLUSTER_ALIAS, target, f"the flow's source and target are both '{source}'"
            )
        roles = ((SOURCE_PREFIX, source, need_source), (TARGET_PREFIX, target, True))
        servers: dict[str, frozenset[str]] = {}
        for prefix, alias, needed in roles:
            bootstrap = props.get(prefix + "bootstrap.servers", "")
            if needed and not bootstrap.strip():
                raise ConfigError(
                    f"Unknown cluster alias '{alias}': {prefix}bootstrap.servers is not set",
                    prefix + "bootstrap.servers",
                )
            servers[prefix] = _servers(bootstrap)
        if need_source and servers[SOURCE_PREFIX] & servers[TARGET_PREFIX]:
            raise ConfigError.invalid(
                TARGET_PREFIX + "bootstrap.servers",
                props.get(TARGET_PREFIX + "bootstrap.servers"),
                f"the target cluster '{target}' is the source cluster '{source}' "
                "(same bootstrap servers): records would be copied into their own cluster",
            )
        exclude_key = TOPICS_EXCLUDE
        exclude = values[TOPICS_EXCLUDE]
        if TOPICS_EXCLUDE not in props and TOPICS_BLACKLIST in props:
            exclude_key, exclude = TOPICS_BLACKLIST, _split_list(props[TOPICS_BLACKLIST])
        return cls(
            source_alias=source,
            target_alias=target,
            policy=replication_policy(props),
            values=values,
            props=dict(props),
            topics=compile_patterns(TOPICS, values[TOPICS]),
            topics_exclude=compile_patterns(exclude_key, exclude),
            config_exclude=compile_patterns(
                CONFIG_PROPERTIES_EXCLUDE, values[CONFIG_PROPERTIES_EXCLUDE]
            ),
        )

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def client(self, cluster: str, role: str) -> dict[str, Any]:
        """Settings for a client of ``cluster`` (``"source"``/``"target"``) in ``role``.

        Java's security settings (``source.cluster.security.protocol``, ``sasl.jaas.config``, JKS
        stores...) are translated for librdkafka (:mod:`sluice.kafka.security`). The client's own
        log lines go to Python logging (``librdkafka.<role>``), where the
        worker's format, levels and repeat limit apply, instead of raw to stderr.
        """
        conf: dict[str, Any] = to_librdkafka(
            client_config(self.props, SOURCE_PREFIX if cluster == "source" else TARGET_PREFIX, role)
        )
        conf.setdefault("logger", logging.getLogger(f"librdkafka.{role}"))
        return conf

    @property
    def offset_syncs_cluster(self) -> str:
        """``"source"`` or ``"target"``: where ``mm2-offset-syncs.<target>.internal`` lives."""
        return str(self.values[OFFSET_SYNCS_TOPIC_LOCATION])

    def topic_filter_allows(self, topic: str) -> bool:
        """``DefaultTopicFilter``: included by ``topics``, not excluded by ``topics.exclude``."""
        return bool(self.topics.fullmatch(topic)) and not self.topics_exclude.fullmatch(topic)

    def should_replicate_topic(self, topic: str) -> bool:
        """MirrorSourceConnector's rule: filtered or heartbeats, not internal, no cycle."""
        heartbeats = self.values[
            "heartbeats.replication.enabled"
        ] and self.policy.is_heartbeats_topic(topic)
        return (
            (self.topic_filter_allows(topic) or heartbeats)
            and not self.policy.is_internal_topic(topic)
            and not self.is_cycle(topic)
        )

    def is_cycle(self, topic: str) -> bool:
        """Whether ``topic`` came from the target cluster (so copying it back would loop)."""
        while True:
            source = self.policy.topic_source(topic)
            if source is None:
                return False
            if source == self.target_alias:
                return True
            upstream = self.policy.upstream_topic(topic)
            if upstream is None or upstream == topic:
                return False
            topic = upstream

    def should_replicate_config(self, name: str) -> bool:
        return not self.config_exclude.fullmatch(name)


def check_flows(flows: Iterable[tuple[str, str, ReplicationPolicy]]) -> None:
    """Refuse ``IdentityReplicationPolicy`` on two flows that form a cycle (``A->B``, ``B->A``).

    With identity naming a copied topic looks like an original, so each flow would copy the
    other's records back forever.
    """
    identity = {(s, t) for s, t, p in flows if isinstance(p, IdentityReplicationPolicy)}
    for s, t in sorted(identity):
        if (t, s) in identity:
            raise ConfigError.invalid(
                "replication.policy.class",
                "IdentityReplicationPolicy",
                f"flows {s}->{t} and {t}->{s} would copy each other's records in a loop",
            )


def validate_mirror_config(
    props: Mapping[str, str], *, need_source: bool = True
) -> list[ConfigValue]:
    """Each key checked, then (when they pass) the rules between keys, reported on the key named
    by the error (``source.cluster.bootstrap.servers``, ``topics``, ...)."""
    values = mirror_config_def().validate(props)
    if any(v.errors for v in values):
        return values
    try:
        MirrorSettings.parse(props, need_source=need_source)
    except ConfigError as e:
        key = e.key or TARGET_CLUSTER_ALIAS
        target = next((v for v in values if v.name == key), None)
        if target is None:
            target = ConfigValue(key, props.get(key))
            values.append(target)
        target.add_error(str(e))
    return values
