"""``Struct``: a value of a struct schema, validated field by field as it is filled."""

from __future__ import annotations

from typing import Any

from sluice.api.errors import DataError
from sluice.api.schema import Field, Schema, Type, validate_value

__all__ = ["Struct"]


class Struct:
    """A record value whose fields follow a ``STRUCT`` schema.

    ``put`` validates each value against its field's schema at once, so a connector finds out about
    a wrong type where it made the mistake instead of deep inside a converter. ``get`` returns the
    field's default when no value was put, as Kafka's ``Struct.get`` does.

    ``stored_values`` holds the values as set, in field order, defaults not applied: the struct's
    own list, not a copy, for converters and sinks that read every field of many structs (a plain
    attribute, so reading it costs no call). Do not modify it; use ``put``.
    """

    __slots__ = ("schema", "stored_values")

    def __init__(self, schema: Schema) -> None:
        if schema.type is not Type.STRUCT:
            raise DataError("Not a struct schema: " + repr(schema))
        self.schema = schema
        self.stored_values: list[Any] = [None] * len(schema.fields)

    @classmethod
    def from_values(cls, schema: Schema, values: list[Any]) -> Struct:
        """A Struct of ``values``, one per field in field order, each validated as :meth:`put`
        validates it: for connectors that make every field of a record at once (a parsed line,
        a row), one call instead of a ``put`` per field, at about a third of the cost.
        ``values`` is adopted, not copied."""
        if schema.type is not Type.STRUCT:
            raise DataError("Not a struct schema: " + repr(schema))
        fields = schema.fields
        if len(values) != len(fields):
            raise DataError(f"Struct.from_values got {len(values)} values for {len(fields)} fields")
        for f, value in zip(fields, values, strict=True):
            plain = f.plain
            kind = type(value)
            if not (
                kind is plain
                or (kind is int and type(plain) is tuple and plain[0] <= value <= plain[1])
                or (value is None and f.schema.optional)
            ):
                validate_value(f.schema, value, f.name)
        result = cls.__new__(cls)
        result.schema = schema
        result.stored_values = values
        return result

    @classmethod
    def trusted(cls, schema: Schema, values: list[Any]) -> Struct:
        """A Struct holding ``values`` (one per field, in field order) without checking them.

        For hot paths whose values were produced for each field's schema already (a converter
        decoding a payload, a JDBC row read through typed column readers): per-field validation
        there costs more than the decoding. ``values`` is adopted, not copied, and a wrong
        length is still refused because it would misalign every later ``get``.
        """
        if schema.type is not Type.STRUCT:
            raise DataError("Not a struct schema: " + repr(schema))
        if len(values) != len(schema.fields):
            raise DataError(
                f"Struct.trusted got {len(values)} values for {len(schema.fields)} fields"
            )
        result = cls.__new__(cls)
        result.schema = schema
        result.stored_values = values
        return result

    def _lookup(self, field: str | Field) -> Field:
        if isinstance(field, Field):
            fields = self.schema.fields
            if 0 <= field.index < len(fields) and (
                fields[field.index] is field or fields[field.index] == field
            ):
                return field
            raise DataError(f"{field.name} is not a field of this struct's schema")
        f = self.schema.fields_by_name.get(field)
        if f is None:
            raise DataError(f"{field} is not a valid field name")
        return f

    def _field(self, field: str | Field) -> Field:
        """``_lookup`` with the two common cases first (transforms call this per field)."""
        if type(field) is str:
            f = self.schema.fields_by_name.get(field)
            if f is not None:
                return f
        elif type(field) is Field:
            fields = self.schema.fields
            if field.index < len(fields) and fields[field.index] is field:
                return field
        return self._lookup(field)

    def put(self, field: str | Field, value: Any) -> Struct:
        """Set a field (by name or :class:`Field`), validating the value; returns ``self``."""
        f = self.schema.fields_by_name.get(field) if type(field) is str else None
        if f is None:
            f = self._field(field)
        # Fast path for the common cases: a plain value of exactly the field's class (in range
        # for integers), or a null in an optional field; anything else is fully validated.
        plain = f.plain
        kind = type(value)
        if not (
            kind is plain
            or (kind is int and type(plain) is tuple and plain[0] <= value <= plain[1])
            or (value is None and f.schema.optional)
        ):
            validate_value(f.schema, value, f.name)
        self.stored_values[f.index] = value
        return self

    def get(self, field: str | Field) -> Any:
        """The field's value, or its schema default when no value was set."""
        f = self._field(field)
        v = self.stored_values[f.index]
        if v is None:
            return f.schema.default
        return v

    def values(self, with_defaults: bool = True) -> list[Any]:
        """Every field's value in schema order (``get`` semantics unless ``with_defaults`` is
        false); with :meth:`trusted` this copies a struct into a compatible schema cheaply."""
        defaults = self.schema._field_defaults
        if not with_defaults or defaults is None:
            return list(self.stored_values)
        return [d if v is None else v for v, d in zip(self.stored_values, defaults, strict=True)]

    def get_without_default(self, field: str | Field) -> Any:
        """The field's value exactly as set, ignoring defaults."""
        return self.stored_values[self._field(field).index]

    def validate(self) -> None:
        """Check that every required field without a default has a value."""
        for f in self.schema.fields:
            v = self.stored_values[f.index]
            if v is None and f.schema.default is None and not f.schema.optional:
                raise DataError(
                    f'Invalid value: null used for required field: "{f.name}", '
                    f"schema type: {f.schema.type.name}"
                )

    def to_dict(self) -> dict[str, Any]:
        """The fields as a plain dict (nested structs converted too), defaults applied."""
        out: dict[str, Any] = {}
        for f in self.schema.fields:
            v = self.get(f)
            out[f.name] = v.to_dict() if isinstance(v, Struct) else v
        return out

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Struct)
            and self.schema == other.schema
            and self.stored_values == other.stored_values
        )

    def __hash__(self) -> int:
        return hash(self.schema)

    def __repr__(self) -> str:
        inner = ",".join(
            f"{f.name}={self.stored_values[f.index]!r}"
            for f in self.schema.fields
            if self.stored_values[f.index] is not None
        )
        return "Struct{" + inner + "}"
