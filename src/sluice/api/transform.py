"""Single message transforms and the predicates that gate them.

A transform receives one record and returns a new one, the same one, or ``None`` to drop it. It
runs on the task thread; one instance per task, so it may keep per-instance caches.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import Any, Generic, TypeVar

from sluice.api.config import ConfigDef
from sluice.api.connector import Versioned
from sluice.api.records import ConnectRecord

__all__ = ["Predicate", "Transformation"]

R = TypeVar("R", bound=ConnectRecord)


class Transformation(Versioned, abc.ABC, Generic[R]):
    """One step of a connector's ``transforms`` chain."""

    @abc.abstractmethod
    def configure(self, configs: Mapping[str, Any]) -> None:
        """Receive ``transforms.<alias>.*`` settings with the prefix stripped."""

    @abc.abstractmethod
    def apply(self, record: R) -> R | None:
        """The transformed record, or ``None`` to drop it (its offset still advances)."""

    @abc.abstractmethod
    def config(self) -> ConfigDef:
        """The transform's keys, used for validation and documentation."""

    def apply_batch(self, records: list[R]) -> list[R | None]:
        """:meth:`apply` for each record, in order, one result (or ``None``) per record.

        The runtime hands a whole poll to transforms that override this, so that work that
        depends only on the schema (plans, caches) is looked up once per batch instead of once
        per record. An override must give exactly what :meth:`apply` gives for every record and
        have no other effect: should it raise, the runtime applies the chain again record by
        record, through the error handler. Chains with a transform that does not override it
        run record by record, as Kafka Connect does.
        """
        apply = self.apply
        return [apply(r) for r in records]

    def close(self) -> None:
        """Release resources."""


class Predicate(Versioned, abc.ABC, Generic[R]):
    """A condition deciding whether a transform applies to a record."""

    @abc.abstractmethod
    def configure(self, configs: Mapping[str, Any]) -> None:
        """Receive ``predicates.<alias>.*`` settings with the prefix stripped."""

    @abc.abstractmethod
    def test(self, record: R) -> bool:
        """Whether the record matches."""

    @abc.abstractmethod
    def config(self) -> ConfigDef:
        """The predicate's keys."""

    def close(self) -> None:
        """Release resources."""
