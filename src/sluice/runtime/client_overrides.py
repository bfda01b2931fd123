"""Which ``*.override.*`` client settings a connector may set: the worker's
``connector.client.config.override.policy`` (Kafka's ``ConnectorClientConfigOverridePolicy``).

``All`` allows every setting, ``None`` none, ``Principal`` only the settings that choose who the
client authenticates as. The validate endpoint reports each disallowed key; the worker refuses to
build a task's clients with one. A setting the policy allows may still be wrong on its own
(:func:`security_setting_problem`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

__all__ = [
    "ADMIN_OVERRIDES",
    "CONSUMER_OVERRIDES",
    "POLICY_CONFIG",
    "PRINCIPAL_OVERRIDES",
    "PRODUCER_OVERRIDES",
    "allows",
    "disallowed",
    "overrides",
    "policy_name",
    "security_setting_problem",
]

POLICY_CONFIG: Final = "connector.client.config.override.policy"
PRODUCER_OVERRIDES: Final = "producer.override."
CONSUMER_OVERRIDES: Final = "consumer.override."
ADMIN_OVERRIDES: Final = "admin.override."

PRINCIPAL_OVERRIDES: Final = frozenset({"sasl.jaas.config", "sasl.mechanism", "security.protocol"})
"""What Kafka's ``PrincipalConnectorClientConfigOverridePolicy`` allows."""

_POLICY_SUFFIX: Final = "ConnectorClientConfigOverridePolicy"


def policy_name(policy: str) -> str:
    """``All``, ``None`` or ``Principal`` from a policy's short name or Kafka class name
    (``org.apache.kafka.connect.connector.policy.AllConnectorClientConfigOverridePolicy``)."""
    simple = policy.strip().rsplit(".", 1)[-1]
    if simple.endswith(_POLICY_SUFFIX) and simple != _POLICY_SUFFIX:
        return simple[: -len(_POLICY_SUFFIX)]
    return simple


def allows(policy: str, name: str) -> bool:
    """Whether ``policy`` lets a connector override the client setting ``name``."""
    policy = policy_name(policy)
    return policy == "All" or (policy == "Principal" and name in PRINCIPAL_OVERRIDES)


def disallowed(policy: str, names: Iterable[str]) -> list[str]:
    """The settings of ``names`` that ``policy`` does not allow, sorted."""
    return sorted(n for n in names if not allows(policy, n))


def overrides(config: Mapping[str, str | None], prefix: str) -> dict[str, str | None]:
    """The ``prefix`` settings of a connector config, prefix stripped, in config order."""
    return {k[len(prefix) :]: v for k, v in config.items() if k.startswith(prefix)}


def security_setting_problem(name: str, value: str) -> str | None:
    """What is wrong with one security setting on its own (a JAAS line that does not parse, a
    mechanism or protocol sluice's clients cannot use), never repeating the value; the rest
    is checked when the task builds its clients from every layer of settings."""
    from sluice.kafka.jaas import JaasError, parse_jaas_config
    from sluice.kafka.security import SASL_MECHANISMS, SECURITY_PROTOCOLS

    if name == "sasl.jaas.config":
        try:
            parse_jaas_config(value)
        except JaasError:
            return (
                "sasl.jaas.config does not parse as a JAAS login module line "
                '(<LoginModule class> required username="..." password="...";)'
            )
    elif name == "sasl.mechanism" and value.strip().upper() not in SASL_MECHANISMS:
        supported = ", ".join(SASL_MECHANISMS)
        return f"sasl.mechanism {value.strip()} is not supported (supported: {supported})"
    elif name == "security.protocol" and value.strip().upper() not in SECURITY_PROTOCOLS:
        return f"security.protocol {value.strip()} is not one of {', '.join(SECURITY_PROTOCOLS)}"
    return None
