"""Kafka Connect's ``ConfigInfos`` entity: the JSON shape of what
``PUT /connector-plugins/{plugin}/config/validate`` returns (``ConfigKeyInfo``,
``ConfigValueInfo``, their grouping and error count), rendered as Kafka's
``ConfigDef.convertToString`` renders values.

What goes into a report is decided by :mod:`sluice.runtime.connector_validation`.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from sluice.api import ConfigKey, ConfigType, ConfigValue, Password

__all__ = [
    "HIDDEN",
    "config_key_info",
    "config_value_info",
    "generate_result",
    "merge_results",
    "prefixed_result",
    "render",
]

HIDDEN: Final = Password.HIDDEN

_SECRET_CLIENT_KEY: Final = re.compile(r"(password|secret|jaas|credentials|\.key$)", re.I)
"""Client override keys whose values Kafka types as PASSWORD (``sasl.jaas.config``,
``ssl.key.password``...) or librdkafka treats as secrets; the report shows them as ``[hidden]``."""


def render(value: Any, type: ConfigType | None) -> str | None:
    """Kafka's ``ConfigDef.convertToString``, tolerant of values that failed to parse."""
    if value is None:
        return None
    if type is ConfigType.PASSWORD or isinstance(value, Password):
        return HIDDEN
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(str(render(v, None)) for v in value)
    if isinstance(value, float):
        return _java_double(value)
    if isinstance(value, builtins.type):
        return f"{value.__module__}.{value.__qualname__}"
    return str(value)


def _java_double(value: float) -> str:
    if value != value or value in (float("inf"), float("-inf")):
        return {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}[repr(value)]
    text = repr(value)
    if "e" in text:
        mantissa, exp = text.split("e")
        if "." not in mantissa:
            mantissa += ".0"
        return f"{mantissa}E{int(exp)}"
    return text


def config_key_info(key: ConfigKey, prefix: str = "") -> dict[str, Any]:
    """A ``ConfigKeyInfo`` object, keys in the order Kafka Connect writes them."""
    return {
        "name": prefix + key.name,
        "type": key.type.value,
        "required": not key.has_default,
        "default_value": render(key.default, key.type) if key.has_default else None,
        "importance": key.importance.value,
        "documentation": key.documentation,
        "group": key.group,
        "width": key.width.value,
        "display_name": key.display_name,
        "dependents": list(key.dependents),
        "order": key.order_in_group,
    }


def config_value_info(value: ConfigValue, type: ConfigType | None) -> dict[str, Any]:
    """A ``ConfigValueInfo`` object; LIST recommendations render as strings, as in Kafka."""
    rec_type = ConfigType.STRING if type is ConfigType.LIST else type
    return {
        "name": value.name,
        "value": render(value.value, type),
        "recommended_values": [render(v, rec_type) for v in value.recommended_values],
        "errors": list(value.errors),
        "visible": value.visible,
    }


def generate_result(
    conn_type: str,
    keys: Mapping[str, ConfigKey],
    values: Sequence[ConfigValue],
    groups: Sequence[str],
) -> dict[str, Any]:
    """Kafka's ``AbstractHerder.generateResult``: values without a definition first (each error
    counted), then one entry per definition; a later value for a name replaces an earlier one."""
    error_count = 0
    configs: list[dict[str, Any]] = []
    by_name: dict[str, ConfigValue] = {}
    for v in values:
        by_name[v.name] = v
        if v.name not in keys:
            configs.append({"definition": None, "value": config_value_info(v, None)})
            error_count += len(v.errors)
    for name, key in keys.items():
        info: dict[str, Any] | None = None
        if name in by_name:
            info = config_value_info(by_name[name], key.type)
            error_count += len(by_name[name].errors)
        configs.append({"definition": config_key_info(key), "value": info})
    return {
        "name": conn_type,
        "error_count": error_count,
        "groups": list(groups),
        "configs": configs,
    }


def prefixed_result(
    keys: Mapping[str, ConfigKey], values: Iterable[ConfigValue], prefix: str
) -> dict[str, Any]:
    """Kafka's ``prefixedConfigInfos``: here a value with errors counts once, however many."""
    error_count = 0
    groups: dict[str, None] = {}
    configs: list[dict[str, Any]] = []
    for v in values:
        key = keys.get(v.name)
        if key is not None and key.group is not None:
            groups[key.group] = None
        renamed = ConfigValue(prefix + v.name, v.value, list(v.recommended_values), list(v.errors))
        renamed.visible = v.visible
        if v.errors:
            error_count += 1
        value = config_value_info(renamed, key.type if key is not None else None)
        if key is None and _SECRET_CLIENT_KEY.search(v.name) and value["value"] is not None:
            value["value"] = HIDDEN
        configs.append(
            {
                "definition": config_key_info(key, prefix) if key is not None else None,
                "value": value,
            }
        )
    return {"name": "", "error_count": error_count, "groups": list(groups), "configs": configs}


def merge_results(conn_type: str, results: Iterable[dict[str, Any] | None]) -> dict[str, Any]:
    error_count = 0
    groups: dict[str, None] = {}
    configs: list[dict[str, Any]] = []
    for r in results:
        if r is None:
            continue
        error_count += r["error_count"]
        configs.extend(r["configs"])
        groups.update(dict.fromkeys(r["groups"]))
    return {
        "name": conn_type,
        "error_count": error_count,
        "groups": list(groups),
        "configs": configs,
    }
