"""Settings nothing reads: a misspelt key (``batch.sise``) is named, with the nearest known one.

Kafka's ``AbstractConfig.logUnused`` warns "The configuration '{}' was supplied but isn't a known
config." sluice says the same, once for the worker file when a worker starts and once per
connector config when a connector is created or updated, and adds the nearest known name when one
is close: "Did you mean 'batch.size'?".

Only keys that no one can read are reported, so a file written for Kafka Connect stays quiet:

* worker: the worker's ``ConfigDef``, every worker and client setting Kafka defines (a Kafka
  worker passes its top-level settings to its clients, so ``security.protocol`` or ``client.id``
  belong there), and the prefixed families (``producer.*``, ``consumer.*``, ``admin.*``,
  ``config.providers.*``, ``config.storage.*``, ``listeners.https.*``, ``ssl.*``, ``sasl.*``...);
* connector: the framework's source or sink ``ConfigDef``, Kafka's connector settings, the
  connector's own ``config()``, and the prefixed families (``transforms.*``, ``predicates.*``,
  ``key.converter.*``, ``producer.override.*``, ``topic.creation.*``...). A connector may read
  keys it does not declare, as drivers take their own properties: a key inside a family the
  connector declares (``connection.sslmode`` beside ``connection.url``) is reported only when it
  is close to a declared name (``connection.usr``).

``errors.*`` is no family: Kafka defines a fixed set of error-handling keys, and
``errors.tolerence`` is exactly the kind of slip this module is for.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from sluice.api import ConfigDef, SinkConnector
from sluice.api.did_you_mean import closest_name
from sluice.plugins.registry import PluginRegistry
from sluice.runtime.connector_config import sink_connector_config_def, source_connector_config_def
from sluice.runtime.kafka_config_names import (
    KAFKA_CLIENT_CONFIGS,
    KAFKA_CONNECTOR_CONFIGS,
    KAFKA_WORKER_CONFIGS,
)

__all__ = [
    "CONNECTOR_PREFIXES",
    "WORKER_PREFIXES",
    "UnknownConfig",
    "connector_unknown_configs",
    "log_unknown_configs",
    "unknown_connector_configs",
    "unknown_worker_configs",
]

log = logging.getLogger(__name__)

WORKER_PREFIXES: Final = (
    # worker-wide client settings, as Kafka's WorkerConfig passes them on
    "producer.",
    "consumer.",
    "admin.",
    # converter settings (schemas.enable, ...)
    "key.converter.",
    "value.converter.",
    "header.converter.",
    # config.providers.<name>.class and .param.<key>
    "config.providers.",
    # internal topic settings passed to CreateTopics (distributed)
    "config.storage.",
    "offset.storage.",
    "status.storage.",
    # the REST server's TLS settings (Kafka's RestServerConfig)
    "listeners.https.",
    "admin.listeners.https.",
    # security settings: Java's names, and librdkafka's (ssl.ca.location, sasl.username)
    "ssl.",
    "sasl.",
    # metric reporters: KIP-606 context labels and JmxReporter's filters
    "metrics.context.",
    "metrics.jmx.",
)
"""Families of worker keys whose members are not declared one by one."""

CONNECTOR_PREFIXES: Final = (
    "transforms.",
    "predicates.",
    "key.converter.",
    "value.converter.",
    "header.converter.",
    "producer.override.",
    "consumer.override.",
    "admin.override.",
    "topic.creation.",
)
"""Families of framework connector keys whose members are not declared one by one."""

_REPLACED_BY: Final = {
    "rest.host.name": "listeners",
    "rest.port": "listeners",
}
"""Worker keys Kafka removed (4.0), and what took their place."""


@dataclass(frozen=True)
class UnknownConfig:
    """A supplied key that no part of the worker reads, and the nearest known name if any."""

    key: str
    suggestion: str | None = None

    def __str__(self) -> str:
        text = f"The configuration '{self.key}' was supplied but isn't a known config."
        return text if self.suggestion is None else f"{text} Did you mean '{self.suggestion}'?"


def _matching_prefix(key: str, prefixes: Iterable[str]) -> bool:
    return any(key.startswith(prefix) and len(key) > len(prefix) for prefix in prefixes)


def _prefix_corrections(key: str, prefixes: Iterable[str]) -> list[str]:
    """``key`` with its leading segments replaced by each prefix of as many segments:
    ``transform.x.type`` gives ``transforms.x.type``, so a misspelt family name finds its hint."""
    parts = key.split(".")
    out = []
    for prefix in prefixes:
        count = prefix.count(".")
        if len(parts) > count:
            out.append(prefix + ".".join(parts[count:]))
    return out


def _unknown(
    keys: Iterable[str],
    known: set[str],
    prefixes: tuple[str, ...],
    families: tuple[str, ...] = (),
) -> list[UnknownConfig]:
    out: list[UnknownConfig] = []
    for key in keys:
        if key in known or _matching_prefix(key, prefixes):
            continue
        family = max((f for f in families if _matching_prefix(key, [f])), key=len, default=None)
        if family is None:
            suggestion = _REPLACED_BY.get(key) or closest_name(
                key, [*known, *_prefix_corrections(key, prefixes)]
            )
        else:
            # Within a family only the rest of the key counts: a long shared start would make
            # connection.sslmode look like connection.password.
            n = len(family)
            rest = closest_name(key[n:], [k[n:] for k in known if k.startswith(family)])
            if rest is None:
                continue  # perhaps passed through by the plugin (driver properties and the like)
            suggestion = family + rest
        out.append(UnknownConfig(key, suggestion))
    return out


def unknown_worker_configs(props: Iterable[str], definition: ConfigDef) -> list[UnknownConfig]:
    """The keys of a worker config that neither sluice nor Kafka knows, in file order."""
    known = set(definition.keys) | KAFKA_WORKER_CONFIGS | KAFKA_CLIENT_CONFIGS
    return _unknown(props, known, WORKER_PREFIXES)


def unknown_connector_configs(
    props: Iterable[str], framework: ConfigDef, plugin: ConfigDef | None
) -> list[UnknownConfig]:
    """The keys of a connector config that neither the framework nor the connector declares."""
    own = set(plugin.keys) if plugin is not None else set()
    known = set(framework.keys) | KAFKA_CONNECTOR_CONFIGS | own
    # Every parent of a declared key is a family: ``source.cluster.alias`` makes ``source.``
    # one too, where MirrorMaker 2 reads ``source.consumer.*``.
    families = tuple(
        sorted({".".join(k.split(".")[:i]) + "." for k in own for i in range(1, k.count(".") + 1)})
    )
    return _unknown(props, known, CONNECTOR_PREFIXES, families)


def connector_unknown_configs(
    registry: PluginRegistry, config: Mapping[str, Any]
) -> list[UnknownConfig]:
    """:func:`unknown_connector_configs` for a config naming its ``connector.class``; empty when
    the class cannot be loaded or describe itself (validation reports that, not this)."""
    try:
        cls = registry.load(str(config.get("connector.class") or ""), "connector")
        if inspect.isabstract(cls):
            return []
        plugin = cls().config()
    except Exception as e:
        log.debug("Cannot list the keys of %s: %s", config.get("connector.class"), e)
        return []
    sink = issubclass(cls, SinkConnector)
    framework = sink_connector_config_def() if sink else source_connector_config_def()
    own = plugin if isinstance(plugin, ConfigDef) else None
    return unknown_connector_configs(config, framework, own)


def log_unknown_configs(unknown: Iterable[UnknownConfig], source: str | None = None) -> None:
    """One WARN line per unknown key, as Kafka's ``logUnused``; ``source`` (a file) leads it."""
    for item in unknown:
        if source:
            log.warning("%s: %s", source, item)
        else:
            log.warning("%s", item)
