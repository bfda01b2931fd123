"""MirrorMaker 2's dedicated-mode file (``connect-mirror-maker.properties``), parsed.

Kafka's ``MirrorMakerConfig`` semantics, without I/O so that it can be unit tested:

* ``clusters = A, B`` names the cluster aliases; ``A.<key>`` settings belong to cluster ``A``
  (``A.bootstrap.servers``, ``A.security.protocol``, ``A.consumer.*``, ``A.producer.*``,
  ``A.admin.*``); top-level client settings (``bootstrap.servers``, ``security.protocol``,
  ``ssl.*``, ``sasl.*``) are defaults for every cluster.
* ``A->B.<key>`` settings belong to the flow from ``A`` to ``B``; ``A->B.enabled = true`` turns it
  on. A herder (one distributed Connect worker) runs for every pair of clusters whose flow is
  enabled *or* whose heartbeats are enabled (``emit.heartbeats.enabled``, default true, at the
  top level or per flow): a disabled ``B->A`` still emits heartbeats into ``A``.
* Each herder is a worker of the *target* cluster: ``group.id = <source>-mm2`` and the internal
  topics ``mm2-configs.<source>.internal``, ``mm2-offsets.<source>.internal``,
  ``mm2-status.<source>.internal`` (Kafka's names, so that a Java MirrorMaker can take over),
  ``ByteArrayConverter`` for keys, values and headers unless the file says otherwise.
* Its connectors are named by their simple class names (``MirrorSourceConnector``,
  ``MirrorCheckpointConnector``, ``MirrorHeartbeatConnector``) and built from the top-level
  connector settings, then the source and target clusters' settings (``source.cluster.*``,
  ``target.cluster.*``, ``source.consumer.*``...), then the ``A->B.*`` overrides.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Final

__all__ = [
    "CONNECTOR_CLASSES",
    "MirrorMakerConfig",
    "MirrorMakerConfigError",
    "SourceAndTarget",
]

CLUSTERS: Final = "clusters"
ENABLED: Final = "enabled"
EMIT_HEARTBEATS_ENABLED: Final = "emit.heartbeats.enabled"
BYTE_ARRAY_CONVERTER: Final = "org.apache.kafka.connect.converters.ByteArrayConverter"
_PACKAGE: Final = "org.apache.kafka.connect.mirror."
SOURCE: Final = "MirrorSourceConnector"
CHECKPOINT: Final = "MirrorCheckpointConnector"
HEARTBEAT: Final = "MirrorHeartbeatConnector"
#: Simple names, in the order Kafka's MirrorMaker configures them.
CONNECTOR_CLASSES: Final = (SOURCE, HEARTBEAT, CHECKPOINT)
_CLIENT_ROLE = re.compile(r"^(consumer|producer|admin)")
_FLOW_KEY = re.compile(r"^(?P<source>[^.]*?)->(?P<target>[^.]*)\.(?P<key>.+)$")
# Top-level prefixes a herder's worker takes from the file (Kafka's list).
_WORKER_PREFIXES: Final = (
    "offset.storage",
    "config.storage",
    "status.storage",
    "key.converter",
    "value.converter",
    "header.converter",
    "task",
    "worker",
    "replication.policy",
)


class MirrorMakerConfigError(ValueError):
    """A bad dedicated-mode file; the message names the setting."""


@dataclass(frozen=True, order=True)
class SourceAndTarget:
    source: str
    target: str

    def __str__(self) -> str:
        return f"{self.source}->{self.target}"


def _is_client_key(key: str) -> bool:
    """Kafka's ``MirrorClientConfig`` client settings: bootstrap and security."""
    return key in ("bootstrap.servers", "security.protocol") or key.startswith(("ssl.", "sasl."))


_COMMON_CLIENT_KEYS: Final = frozenset(
    {
        "client.id",
        "client.dns.lookup",
        "connections.max.idle.ms",
        "metadata.max.age.ms",
        "receive.buffer.bytes",
        "reconnect.backoff.max.ms",
        "reconnect.backoff.ms",
        "request.timeout.ms",
        "retry.backoff.ms",
        "send.buffer.bytes",
        "socket.connection.setup.timeout.max.ms",
        "socket.connection.setup.timeout.ms",
    }
)
"""The rest of the settings every client of a cluster takes (``CommonClientConfigs``). A
cluster's other settings (``B.group.id``, ``B.offset.storage.topic``) are its worker's: Kafka's
connectors keep only client settings for their clients, and so does this."""


def _is_cluster_client_key(key: str) -> bool:
    return _is_client_key(key) or key in _COMMON_CLIENT_KEYS


def _parse_bool(value: str | None) -> bool:
    """``Boolean.parseBoolean``: only ``true`` (any case) is true."""
    return value is not None and value.strip().lower() == "true"


@cache
def _connector_config_names(connector: str) -> frozenset[str]:
    """The settings ``connector`` defines, which are copied to it from the top level (Kafka
    copies every connector setting to all three; only the connector's own are copied here, so
    that none of them warns about a key it does not know)."""
    from sluice.connectors.mirror.checkpoint_config import checkpoint_config_def
    from sluice.connectors.mirror.mirror_config import mirror_config_def
    from sluice.runtime.connector_config import source_connector_config_def

    own = checkpoint_config_def() if "Checkpoint" in connector else mirror_config_def()
    return frozenset(own.names()) | frozenset(source_connector_config_def().names())


class MirrorMakerConfig:
    """The file's settings, checked: see the module documentation."""

    def __init__(self, props: Mapping[str, str]) -> None:
        self.props = {k: str(v) for k, v in props.items()}
        raw = self.props.get(CLUSTERS, "")
        self.clusters = list(dict.fromkeys(c.strip() for c in raw.split(",") if c.strip()))
        if not self.clusters:
            raise MirrorMakerConfigError(
                f"{CLUSTERS}: missing or empty; list the cluster aliases, e.g. clusters = A, B"
            )
        self._check_flow_keys()
        if not self.enabled_flows():
            raise MirrorMakerConfigError(
                f"no replication flow is enabled: set <source>-><target>.{ENABLED} = true for "
                f"two of clusters = {', '.join(self.clusters)}"
            )
        for cluster in sorted({c for p in self.cluster_pairs() for c in (p.source, p.target)}):
            if not self.cluster_props(cluster).get("bootstrap.servers", "").strip():
                raise MirrorMakerConfigError(
                    f"{cluster}.bootstrap.servers: missing; every cluster of a flow needs it"
                )
        self._check_loops()

    # -- checks -------------------------------------------------------------------------------
    def _check_flow_keys(self) -> None:
        for key in sorted(self.props):
            match = _FLOW_KEY.match(key)
            if match is None:
                continue
            source, target = match["source"], match["target"]
            for alias in (source, target):
                if alias not in self.clusters:
                    raise MirrorMakerConfigError(
                        f"{key}: unknown cluster alias '{alias}' (clusters = "
                        f"{', '.join(self.clusters)})"
                    )
            if source == target:
                raise MirrorMakerConfigError(
                    f"{key}: a flow needs two different clusters, not {source} to itself"
                )

    def _check_loops(self) -> None:
        from sluice.api import ConfigError
        from sluice.connectors.mirror.mirror_config import check_flows
        from sluice.connectors.mirror.replication_policy import replication_policy

        flows = []
        for pair in self.enabled_flows():
            config = self.connector_config(pair, SOURCE)
            try:
                flows.append((pair.source, pair.target, replication_policy(config)))
            except ConfigError as e:
                raise MirrorMakerConfigError(f"{pair}.replication.policy.class: {e}") from e
        try:
            check_flows(flows)
        except ConfigError as e:
            raise MirrorMakerConfigError(f"replication.policy.class: {e}") from e

    # -- flows --------------------------------------------------------------------------------
    def _pairs(self) -> Iterable[SourceAndTarget]:
        for source in self.clusters:
            for target in self.clusters:
                if source != target:
                    yield SourceAndTarget(source, target)

    def flow_enabled(self, pair: SourceAndTarget) -> bool:
        return _parse_bool(self.props.get(f"{pair}.{ENABLED}"))

    def heartbeats_enabled(self, pair: SourceAndTarget) -> bool:
        """``<source>-><target>.emit.heartbeats.enabled``, else the top-level one, else true."""
        value = self.props.get(f"{pair}.{EMIT_HEARTBEATS_ENABLED}")
        if value is None:
            value = self.props.get(EMIT_HEARTBEATS_ENABLED, "true")
        return _parse_bool(value)

    def enabled_flows(self) -> list[SourceAndTarget]:
        return [p for p in self._pairs() if self.flow_enabled(p)]

    def cluster_pairs(self, targets: Iterable[str] | None = None) -> list[SourceAndTarget]:
        """The pairs that get a herder: flow or heartbeats enabled; only those whose target is in
        ``targets`` when given (``--clusters``)."""
        wanted = None if targets is None else set(targets)
        return [
            p
            for p in self._pairs()
            if (self.flow_enabled(p) or self.heartbeats_enabled(p))
            and (wanted is None or p.target in wanted)
        ]

    # -- derived configs ----------------------------------------------------------------------
    def cluster_props(self, cluster: str) -> dict[str, str]:
        """``<cluster>.*`` stripped, with client settings copied to ``producer.``/``consumer.``/
        ``admin.`` and top-level client settings as defaults."""
        prefix = f"{cluster}."
        props = {k[len(prefix) :]: v for k, v in self.props.items() if k.startswith(prefix)}
        for key, value in list(props.items()):
            if _is_client_key(key):
                for role in ("producer.", "consumer.", "admin."):
                    props.setdefault(role + key, value)
        for key, value in self.props.items():
            if _is_client_key(key):
                for role in ("producer.", "consumer.", "admin."):
                    props.setdefault(role + key, value)
                props.setdefault(key, value)
        return props

    def _with_prefix(self, *prefixes: str) -> dict[str, str]:
        return {k: v for k, v in self.props.items() if k.startswith(prefixes)}

    def worker_config(self, pair: SourceAndTarget) -> dict[str, str]:
        """The herder's worker settings: a worker of the target cluster."""
        props = self.cluster_props(pair.target)
        props.update(self._with_prefix(*_WORKER_PREFIXES))
        props.update(self._with_prefix("config.providers"))
        props.setdefault("client.id", str(pair))
        props.setdefault("group.id", f"{pair.source}-mm2")
        props.setdefault("offset.storage.topic", f"mm2-offsets.{pair.source}.internal")
        props.setdefault("status.storage.topic", f"mm2-status.{pair.source}.internal")
        props.setdefault("config.storage.topic", f"mm2-configs.{pair.source}.internal")
        for converter in ("key.converter", "value.converter", "header.converter"):
            props.setdefault(converter, BYTE_ARRAY_CONVERTER)
        return props

    def connector_config(self, pair: SourceAndTarget, connector: str) -> dict[str, str]:
        """The config of ``connector`` (a simple class name) for ``pair``, as Kafka writes it."""
        names = _connector_config_names(connector)
        props = {k: v for k, v in self.props.items() if k in names}
        props.update(self._with_prefix("config.providers", "replication.policy"))
        for side, cluster in (("source", pair.source), ("target", pair.target)):
            for key, value in self.cluster_props(cluster).items():
                if _CLIENT_ROLE.match(key):
                    props[f"{side}.{key}"] = value
                elif _is_cluster_client_key(key):
                    props[f"{side}.cluster.{key}"] = value
        props.setdefault("name", connector)
        props.setdefault("connector.class", _PACKAGE + connector)
        props.setdefault("source.cluster.alias", pair.source)
        props.setdefault("target.cluster.alias", pair.target)
        prefix = f"{pair}."
        props.update({k[len(prefix) :]: v for k, v in self.props.items() if k.startswith(prefix)})
        props.setdefault(ENABLED, "false")
        return props
