"""Connector config validation as the herder needs it: one report, or one aggregated error.

The full ``ConfigInfos`` report (what ``PUT /connector-plugins/{plugin}/config/validate`` returns)
is built by :mod:`sluice.runtime.connector_validation`; creating or updating a connector fails
with Kafka Connect's aggregated message when that report has errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from sluice.plugins.registry import PluginRegistry
from sluice.runtime import log_context
from sluice.runtime.herder import BadRequestError
from sluice.runtime.unknown_configs import connector_unknown_configs, log_unknown_configs
from sluice.runtime.worker import Worker

__all__ = ["collect_errors", "plugin_config", "validate_or_raise", "validation_result"]


class _HasWorker(Protocol):
    worker: Worker

    def validate_connector_config(self, config: Mapping[str, str]) -> dict[str, Any]: ...


def validation_result(herder: _HasWorker, config: Mapping[str, str]) -> dict[str, Any]:
    from sluice.runtime import connector_validation

    worker = herder.worker
    result: dict[str, Any] = connector_validation.validate_connector_config(
        worker.registry,
        config,
        worker_config=worker.config.originals(),
        config_transformer=worker.resolve,
    )
    return result


def collect_errors(result: Mapping[str, Any]) -> list[str]:
    """Every error message of a ConfigInfos report, in report order."""
    errors: list[str] = []
    for entry in result.get("configs", []):
        value = entry.get("value") or {}
        errors.extend(value.get("errors") or [])
    return errors


def validate_or_raise(herder: _HasWorker, config: Mapping[str, str]) -> None:
    """Raise :class:`BadRequestError` with Kafka Connect's message if ``config`` is invalid.

    Keys that neither the framework nor the connector knows are logged (a WARN line each, with
    the nearest known name), whether or not the config is valid.
    """
    if not config.get("connector.class"):
        raise BadRequestError("Connector config " + _render(config) + " contains no connector type")
    result = herder.validate_connector_config(config)
    unknown = connector_unknown_configs(herder.worker.registry, config)
    if unknown:
        with log_context.connector_context(str(config.get("name") or "?")):
            log_unknown_configs(unknown)
    errors = collect_errors(result)
    if errors:
        raise BadRequestError(
            f"Connector configuration is invalid and contains the following {len(errors)} "
            "error(s):\n" + "\n".join(errors) + "\nYou can also find the above list of errors at "
            "the endpoint `/connector-plugins/{connectorType}/config/validate`"
        )


def plugin_config(herder: _HasWorker, plugin: str) -> list[dict[str, Any]]:
    from sluice.runtime import connector_validation

    registry: PluginRegistry = herder.worker.registry
    keys: list[dict[str, Any]] = connector_validation.plugin_config(registry, plugin)
    return keys


def _render(config: Mapping[str, str]) -> str:
    return "{" + ", ".join(f"{k}={v}" for k, v in config.items()) + "}"
