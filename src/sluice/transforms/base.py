"""What the key/value transforms share: which half of the record they work on, and config parsing.

Kafka ships most SMTs as an abstract class with ``$Key`` and ``$Value`` subclasses that differ only
in where they read the schema and value and how they rebuild the record. Here the subclasses set
``is_key`` and the base supplies those three operations, always through ``record.new_record`` so
source offsets and sink coordinates travel with the record.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Final, TypeVar

from sluice.api.config import AbstractConfig, ConfigDef
from sluice.api.headers import Headers
from sluice.api.records import ConnectRecord
from sluice.api.schema import Schema
from sluice.api.transform import Transformation

__all__ = [
    "FALLBACK",
    "BatchStep",
    "KeyOrValueTransformation",
    "R",
    "apply_steps",
    "java_list",
    "parse_config",
]

R = TypeVar("R", bound=ConnectRecord)

FALLBACK: Final = object()
"""What a batch step returns for a value it does not handle: that record goes through ``apply``."""

BatchStep = tuple[Schema | None, Callable[[Any, Any], Any]]
"""A transform's work for one operating schema: the schema of its results, and the function from
(record, non-null value) to the new value (or :data:`FALLBACK`)."""

_NO_SCHEMA_YET: Final = object()


def parse_config(definition: ConfigDef, props: Mapping[str, Any]) -> AbstractConfig:
    """Parse and validate ``props`` (Kafka's ``SimpleConfig``); unknown keys are ignored."""
    return AbstractConfig(definition, props)


def java_list(items: list[str]) -> str:
    """A list as Java prints it in config error messages: ``[a, b]``."""
    return "[" + ", ".join(items) + "]"


class KeyOrValueTransformation(Transformation[R]):
    """Base of transforms with ``Key`` and ``Value`` variants."""

    is_key: ClassVar[bool] = False

    def batch_step(self, schema: Schema | None) -> BatchStep | None:
        """The work for records whose operating schema is ``schema``, or None to send them all
        through :meth:`apply`. Subclasses that define it get a fast :meth:`apply_batch`.

        The step may read the record's topic, partition, offset and timestamp but not the half
        it does not operate on: consecutive steps are run on the original record's metadata,
        which no key or value transform changes (see :func:`apply_steps`)."""
        return None

    def apply_batch(self, records: list[R]) -> list[R | None]:
        return apply_steps([self], records)

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


def apply_steps(transforms: list[KeyOrValueTransformation[R]], records: list[R]) -> list[R | None]:
    """Consecutive transforms of one half (key or value) applied to every record in one pass.

    Each record's value goes through every transform's :meth:`~KeyOrValueTransformation.batch_step`
    and one record is built at the end; each step's schema work is looked up once per run of
    records sharing a schema (a poll usually has one). A null value, a transform without a step
    or a value a step declines sends that record through the transforms' ``apply`` instead, so
    that their checks and messages stay the only ones.
    """
    is_key = transforms[0].is_key
    count = len(transforms)
    seen: list[object] = [_NO_SCHEMA_YET] * count
    steps: list[BatchStep | None] = [None] * count
    out: list[R | None] = []
    append = out.append
    for record in records:
        schema = record.key_schema if is_key else record.value_schema
        value = record.key if is_key else record.value
        for k in range(count):
            if value is None:
                break
            if schema is not seen[k]:
                steps[k], seen[k] = transforms[k].batch_step(schema), schema
            step = steps[k]
            if step is None:
                break
            value = step[1](record, value)
            if value is FALLBACK:
                break
            schema = step[0]
        else:
            if is_key:
                append(
                    record.new_record(
                        record.topic,
                        record.kafka_partition,
                        schema,
                        value,
                        record.value_schema,
                        record.value,
                        record.timestamp,
                    )
                )
            else:
                append(
                    record.new_record(
                        record.topic,
                        record.kafka_partition,
                        record.key_schema,
                        record.key,
                        schema,
                        value,
                        record.timestamp,
                    )
                )
            continue
        result: R = record
        for transform in transforms:
            applied = transform.apply(result)
            if applied is None:
                append(None)
                break
            result = applied
        else:
            append(result)
    return out
