"""``DropHeaders``: remove every header whose key is listed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from sluice.api.config import ConfigDef, ConfigType, Importance
from sluice.api.headers import Headers
from sluice.api.transform import Transformation
from sluice.transforms.base import R, parse_config
from sluice.transforms.validators import non_empty_list

__all__ = ["DropHeaders"]

HEADERS_CONFIG: Final = "headers"

CONFIG_DEF: Final = ConfigDef().define(
    HEADERS_CONFIG,
    ConfigType.LIST,
    validator=non_empty_list,
    importance=Importance.HIGH,
    documentation="Keys of the headers to remove.",
)


class DropHeaders(Transformation[R]):
    """Remove headers by key."""

    def __init__(self) -> None:
        self._headers: frozenset[str] = frozenset()

    def configure(self, configs: Mapping[str, Any]) -> None:
        self._headers = frozenset(parse_config(CONFIG_DEF, configs).get_list(HEADERS_CONFIG))

    def config(self) -> ConfigDef:
        return CONFIG_DEF

    def apply(self, record: R) -> R | None:
        dropped = self._headers
        kept = Headers(h for h in record.headers if h.key not in dropped)
        return record.new_record(
            record.topic,
            record.kafka_partition,
            record.key_schema,
            record.key,
            record.value_schema,
            record.value,
            record.timestamp,
            kept,
        )
