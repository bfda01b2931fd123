"""``validate_value``: which Python values fit which schema.

Kafka checks Java classes (``Byte`` for INT8, ``Integer`` for INT32...). Python has one ``int``,
so the width becomes a range check; ``bool`` is an ``int`` subclass in Python but never a number
here, as ``Boolean`` is not a ``Number`` in Java.
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

import pytest

from sluice.api import (
    DataError,
    Date,
    Decimal,
    Schema,
    SchemaBuilder,
    Struct,
    Time,
    Timestamp,
    Type,
    validate_value,
)

_WIDTHS = [
    (Schema.INT8_SCHEMA, 8),
    (Schema.INT16_SCHEMA, 16),
    (Schema.INT32_SCHEMA, 32),
    (Schema.INT64_SCHEMA, 64),
]


@pytest.mark.parametrize(("schema", "bits"), _WIDTHS)
def test_int_bounds_are_inclusive(schema: Schema, bits: int) -> None:
    lo, hi = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    for value in (lo, -1, 0, 1, hi):
        validate_value(schema, value)


@pytest.mark.parametrize(("schema", "bits"), _WIDTHS)
def test_ints_just_outside_the_width_are_rejected(schema: Schema, bits: int) -> None:
    for value in (-(2 ** (bits - 1)) - 1, 2 ** (bits - 1)):
        with pytest.raises(DataError) as exc:
            validate_value(schema, value, "n")
        assert str(exc.value) == (
            f'Invalid value {value}: out of range for schema type {schema.type.name} for field: "n"'
        )


@pytest.mark.parametrize(("schema", "bits"), _WIDTHS)
def test_bools_are_not_ints(schema: Schema, bits: int) -> None:
    for value in (True, False):
        with pytest.raises(DataError, match=f"of type bool for schema type {schema.type.name}"):
            validate_value(schema, value)


@pytest.mark.parametrize("schema", [Schema.INT32_SCHEMA, Schema.INT64_SCHEMA])
@pytest.mark.parametrize("value", [1.0, "1", b"1", decimal.Decimal(1)])
def test_other_numbers_and_strings_are_not_ints(schema: Schema, value: object) -> None:
    with pytest.raises(DataError):
        validate_value(schema, value)


@pytest.mark.parametrize("schema", [Schema.FLOAT32_SCHEMA, Schema.FLOAT64_SCHEMA])
def test_floats(schema: Schema) -> None:
    for value in (0.0, -1.5, 1e300, float("inf"), float("nan")):
        validate_value(schema, value)
    for bad in (1, True, "1.0", decimal.Decimal("1.0")):
        with pytest.raises(DataError, match=f"for schema type {schema.type.name}"):
            validate_value(schema, bad)


def test_booleans() -> None:
    validate_value(Schema.BOOLEAN_SCHEMA, True)
    validate_value(Schema.BOOLEAN_SCHEMA, False)
    for bad in (0, 1, "true", None):
        with pytest.raises(DataError):
            validate_value(Schema.BOOLEAN_SCHEMA, bad)


def test_strings() -> None:
    validate_value(Schema.STRING_SCHEMA, "")
    validate_value(Schema.STRING_SCHEMA, "naïve ✓")
    with pytest.raises(DataError) as exc:
        validate_value(Schema.STRING_SCHEMA, b"bytes")
    assert str(exc.value) == "Invalid value of type bytes for schema type STRING"


def test_bytes_accept_bytes_like_values() -> None:
    for value in (b"", b"\x00\xff", bytearray(b"ab"), memoryview(b"cd")):
        validate_value(Schema.BYTES_SCHEMA, value)
    with pytest.raises(DataError, match="of type str for schema type BYTES"):
        validate_value(Schema.BYTES_SCHEMA, "text")
    with pytest.raises(DataError, match="of type list for schema type BYTES"):
        validate_value(Schema.BYTES_SCHEMA, [1, 2])


# --- null --------------------------------------------------------------------------------------


def test_null_is_fine_for_optional_schemas() -> None:
    for schema in (
        Schema.OPTIONAL_INT32_SCHEMA,
        Schema.OPTIONAL_STRING_SCHEMA,
        SchemaBuilder.struct().optional().build(),
        SchemaBuilder.array(Schema.INT8_SCHEMA).optional().build(),
    ):
        validate_value(schema, None)


def test_null_for_a_required_value_matches_kafkas_message() -> None:
    with pytest.raises(DataError) as exc:
        validate_value(Schema.INT32_SCHEMA, None)
    assert str(exc.value) == "Invalid value: null used for required value, schema type: INT32"


def test_null_for_a_required_field_names_the_field() -> None:
    with pytest.raises(DataError) as exc:
        validate_value(Schema.STRING_SCHEMA, None, "name")
    assert (
        str(exc.value) == 'Invalid value: null used for required field: "name", schema type: STRING'
    )


def test_required_schema_with_default_still_rejects_a_bare_null() -> None:
    # Defaults are applied by Struct.get, not by validation (as in Kafka).
    schema = SchemaBuilder.int32().default_value(3).build()
    with pytest.raises(DataError):
        validate_value(schema, None)


def test_no_schema() -> None:
    validate_value(None, None)
    with pytest.raises(DataError, match=r'a schema is required .* for field: "f"'):
        validate_value(None, 1, "f")


def test_type_mismatch_names_the_field() -> None:
    with pytest.raises(DataError) as exc:
        validate_value(Schema.INT32_SCHEMA, "x", "age")
    assert str(exc.value) == 'Invalid value of type str for schema type INT32 for field: "age"'


# --- arrays and maps ---------------------------------------------------------------------------


def test_arrays_are_checked_element_by_element() -> None:
    schema = SchemaBuilder.array(Schema.INT8_SCHEMA).build()
    validate_value(schema, [])
    validate_value(schema, [1, -128, 127])
    with pytest.raises(DataError, match="out of range for schema type INT8"):
        validate_value(schema, [1, 128])
    with pytest.raises(DataError, match="null used for required"):
        validate_value(schema, [1, None])
    validate_value(SchemaBuilder.array(Schema.OPTIONAL_INT8_SCHEMA).build(), [1, None])


def test_arrays_must_be_lists() -> None:
    schema = SchemaBuilder.array(Schema.INT8_SCHEMA).build()
    for bad in ((1, 2), {1, 2}, "12", {1: 2}):
        with pytest.raises(DataError, match="for schema type ARRAY"):
            validate_value(schema, bad)


def test_nested_arrays_are_checked_all_the_way_down() -> None:
    schema = SchemaBuilder.array(SchemaBuilder.array(Schema.STRING_SCHEMA)).build()
    validate_value(schema, [["a"], [], ["b", "c"]])
    with pytest.raises(DataError, match="of type int for schema type STRING"):
        validate_value(schema, [["a"], ["b", 3]])


def test_maps_check_keys_and_values() -> None:
    schema = SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.INT16_SCHEMA).build()
    validate_value(schema, {})
    validate_value(schema, {"a": 1, "b": -32768})
    with pytest.raises(DataError, match="of type int for schema type STRING"):
        validate_value(schema, {1: 1})
    with pytest.raises(DataError, match="out of range for schema type INT16"):
        validate_value(schema, {"a": 40000})
    with pytest.raises(DataError, match="null used for required"):
        validate_value(schema, {"a": None})
    with pytest.raises(DataError, match="null used for required"):
        validate_value(schema, {None: 1})
    with pytest.raises(DataError, match="for schema type MAP"):
        validate_value(schema, [("a", 1)])


def test_map_of_arrays_of_structs() -> None:
    point = SchemaBuilder.struct().field("x", Schema.INT32_SCHEMA).build()
    schema = SchemaBuilder.map(Schema.STRING_SCHEMA, SchemaBuilder.array(point)).build()
    validate_value(schema, {"a": [Struct(point).put("x", 1)]})
    with pytest.raises(DataError, match='required field: "x"'):
        validate_value(schema, {"a": [Struct(point)]})


# --- structs -----------------------------------------------------------------------------------


def _point(name: str = "Point") -> Schema:
    return (
        SchemaBuilder.struct()
        .name(name)
        .field("x", Schema.INT32_SCHEMA)
        .field("y", Schema.OPTIONAL_INT32_SCHEMA)
        .build()
    )


def test_struct_with_an_equal_schema_is_valid() -> None:
    validate_value(_point(), Struct(_point()).put("x", 1))


def test_struct_of_another_schema_is_rejected() -> None:
    with pytest.raises(DataError) as exc:
        validate_value(_point(), Struct(_point("Other")).put("x", 1))
    assert str(exc.value) == "Struct schemas do not match."


def test_incomplete_struct_is_rejected() -> None:
    with pytest.raises(DataError) as exc:
        validate_value(_point(), Struct(_point()))
    assert str(exc.value) == 'Invalid value: null used for required field: "x", schema type: INT32'


def test_dicts_are_not_structs() -> None:
    with pytest.raises(DataError, match="of type dict for schema type STRUCT"):
        validate_value(_point(), {"x": 1})


# --- logical types -----------------------------------------------------------------------------

_LOGICAL: list[tuple[Schema, Any, list[Any]]] = [
    (
        Decimal.schema(2),
        decimal.Decimal("1.00"),
        [b"\x00", 1, 1.0, "1.00"],
    ),
    (
        Date.SCHEMA,
        dt.date(2024, 2, 29),
        [dt.datetime(2024, 2, 29), 19782, "2024-02-29"],
    ),
    (
        Time.SCHEMA,
        dt.time(12, 30, 15, 123000),
        [dt.datetime(1970, 1, 1, 12), 45015123, "12:30"],
    ),
    (
        Timestamp.SCHEMA,
        dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
        [dt.date(2024, 1, 2), 1704164645000, dt.time(1)],
    ),
]


@pytest.mark.parametrize(("schema", "good", "bad"), _LOGICAL)
def test_logical_types_take_their_python_class_only(
    schema: Schema, good: Any, bad: list[Any]
) -> None:
    validate_value(schema, good)
    for value in bad:
        with pytest.raises(DataError, match=f"Invalid value of type {type(value).__name__}"):
            validate_value(schema, value, "f")


def test_logical_type_error_names_the_logical_type_and_field() -> None:
    with pytest.raises(DataError) as exc:
        validate_value(Date.SCHEMA, 5, "born")
    assert str(exc.value) == 'Invalid value of type int for logical type Date for field: "born"'
    with pytest.raises(DataError) as exc:
        validate_value(Decimal.schema(1), 5)
    assert str(exc.value) == (
        "Invalid value of type int for logical type org.apache.kafka.connect.data.Decimal"
    )


def test_optional_logical_types_accept_null_and_required_ones_do_not() -> None:
    validate_value(Timestamp.builder().optional().build(), None)
    with pytest.raises(DataError, match="null used for required value, schema type: INT64"):
        validate_value(Timestamp.SCHEMA, None)


def test_unknown_schema_names_fall_back_to_the_physical_type() -> None:
    schema = SchemaBuilder.int32().name("com.acme.Custom").build()
    validate_value(schema, 5)
    with pytest.raises(DataError, match="for schema type INT32"):
        validate_value(schema, "5")


@pytest.mark.parametrize("t", list(Type))
def test_every_type_rejects_an_object(t: Type) -> None:
    schema = Schema(
        t,
        key_schema=Schema.STRING_SCHEMA if t is Type.MAP else None,
        value_schema=Schema.STRING_SCHEMA if t in (Type.MAP, Type.ARRAY) else None,
    )
    with pytest.raises(DataError, match=f"of type object for schema type {t.name}"):
        validate_value(schema, object())
