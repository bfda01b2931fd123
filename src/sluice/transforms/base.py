"""What the key/value transforms share: which half of the record they work on, and config parsing.

Kafka ships most SMTs as an abstract class with ``$Key`` and ``$Value`` subclasses that differ only
in where they read the schema and value and how they rebuild the record. Here the subclasses set
``is_key`` and the base supplies those three operations, always through ``record.new_record`` so
source offsets and sink coordinates travel with the record.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar

from sluice.api.config import AbstractConfig, ConfigDef
from sluice.api.headers import Headers
from sluice.api.records import ConnectRecord
from sluice.api.schema import Schema
from sluice.api.transform import Transformation

__all__ = ["KeyOrValueTransformation", "R", "java_list", "parse_config"]

R = TypeVar("R", bound=ConnectRecord)


def parse_config(definition: ConfigDef, props: Mapping[str, Any]) -> AbstractConfig:
    """Parse and validate ``props`` (Kafka's ``SimpleConfig``); unknown keys are ignored."""
    return AbstractConfig(definition, props)


def java_list(items: list[str]) -> str:
    """A list as Java prints it in config error messages: ``[a, b]``."""
    return "[" + ", ".join(items) + "]"


class KeyOrValueTransformation(Transformation[R]):
    """Base of transforms with ``Key`` and ``Value`` variants."""

    is_key: ClassVar[bool] = False

    def operating_schema(self, record: R) -> Schema | None:
        return record.key_schema if self.is_key else record.value_schema

    def operating_value(self, record: R) -> Any:
        return record.key if self.is_key else record.value

    def new_record(
        self,
        record: R,
        schema: Schema | None,
        value: Any,
        headers: Headers | None = None,
    ) -> R:
        if self.is_key:
            return record.new_record(
                record.topic,
                record.kafka_partition,
                schema,
                value,
                record.value_schema,
                record.value,
                record.timestamp,
                headers,
            )
        return record.new_record(
            record.topic,
            record.kafka_partition,
            record.key_schema,
            record.key,
            schema,
            value,
            record.timestamp,
            headers,
        )
