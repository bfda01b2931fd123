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
from sluice.api.struct import Struct
from sluice.api.transform import Transformation

__all__ = [
    "FALLBACK",
    "BatchStep",
    "KeyOrValueTransformation",
    "R",
    "ValuesStep",
    "apply_steps",
    "defaults_filler",
    "java_list",
    "parse_config",
    "struct_step",
]

R = TypeVar("R", bound=ConnectRecord)

FALLBACK: Final = object()
"""What a batch step returns for a value it does not handle: that record goes through ``apply``."""

ValuesStep = Callable[[Any, list[Any]], Any]
"""A step on a struct's values: from (record, the input struct's stored values, defaults not
applied, in a list the step may change and return) to the output struct's stored values (or
:data:`FALLBACK`)."""

BatchStep = tuple[Schema | None, Callable[[Any, Any], Any], ValuesStep | None]
"""A transform's work for one operating schema: the schema of its results, the function from
(record, non-null value) to the new value (or :data:`FALLBACK`), and for struct schemas the same
work on the struct's values (see :func:`struct_step`), else None."""

_NO_SCHEMA_YET: Final = object()


def struct_step(schema: Schema, updated_schema: Schema, on_values: ValuesStep) -> BatchStep:
    """The :data:`BatchStep` for structs of ``schema`` that a step on their values defines.

    :func:`apply_steps` runs consecutive struct steps on one plain list and builds a single
    ``Struct`` at the end: a chain of three struct transforms then copies the values once and
    makes one struct, not three of each. Alone, the step takes and returns structs.
    """
    trusted = Struct.trusted

    def on_struct(record: Any, value: Any) -> Any:
        if type(value) is not Struct or value.schema is not schema:
            return FALLBACK
        values = on_values(record, list(value.stored_values))
        return FALLBACK if values is FALLBACK else trusted(updated_schema, values)

    return updated_schema, on_struct, on_values


def defaults_filler(schema: Schema, with_defaults: bool) -> Callable[[list[Any]], list[Any]] | None:
    """What ``Struct.values(with_defaults)`` adds to stored values of ``schema``: each null
    replaced by its field's default; None when that changes nothing (no field has a default)."""
    defaults = schema._field_defaults if with_defaults else None
    if defaults is None:
        return None

    def fill(values: list[Any]) -> list[Any]:
        return [d if v is None else v for v, d in zip(values, defaults, strict=True)]

    return fill


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
    trusted = Struct.trusted
    for record in records:
        schema = record.key_schema if is_key else record.value_schema
        value = record.key if is_key else record.value
        values: Any = None  # a struct's values while consecutive struct steps pass them on
        for k in range(count):
            if value is None:
                break
            if schema is not seen[k]:
                steps[k], seen[k] = transforms[k].batch_step(schema), schema
            step = steps[k]
            if step is None:
                break
            on_values = step[2]
            if on_values is not None:
                if values is None:
                    if type(value) is not Struct or value.schema is not schema:
                        break
                    values = list(value.stored_values)
                values = on_values(record, values)
                if values is FALLBACK:
                    break
            else:
                if values is not None:
                    value, values = trusted(schema, values), None  # type: ignore[arg-type]
                value = step[1](record, value)
                if value is FALLBACK:
                    break
            schema = step[0]
        else:
            if values is not None:
                value = trusted(schema, values)  # type: ignore[arg-type]
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
