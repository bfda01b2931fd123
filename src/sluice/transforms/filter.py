"""``Filter``: drop every record; meant to run only when a predicate matches."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from sluice.api.config import ConfigDef
from sluice.api.transform import Transformation
from sluice.transforms.base import R

__all__ = ["Filter"]

CONFIG_DEF: Final = ConfigDef()


class Filter(Transformation[R]):
    """Drop the record (pair with ``predicate``/``negate`` to drop selectively)."""

    def configure(self, configs: Mapping[str, Any]) -> None:
        """Nothing to configure."""

    def config(self) -> ConfigDef:
        return CONFIG_DEF

    def apply(self, record: R) -> R | None:
        return None
