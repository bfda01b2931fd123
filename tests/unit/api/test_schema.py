"""Schema, Field and SchemaBuilder, checked against Kafka Connect's ``SchemaBuilder`` and
``ConnectSchema`` (messages were taken from connect-api 4.1.1)."""

from __future__ import annotations

import decimal
from collections.abc import Callable

import pytest

from sluice.api import (
    DataError,
    Date,
    Decimal,
    Field,
    Schema,
    SchemaBuilder,
    SchemaBuilderError,
    Struct,
    Time,
    Timestamp,
    Type,
)

# --- Type --------------------------------------------------------------------------------------


def test_type_values_are_kafkas_lower_case_names() -> None:
    assert [t.value for t in Type] == [
        "int8",
        "int16",
        "int32",
        "int64",
        "float32",
        "float64",
        "boolean",
        "string",
        "bytes",
        "array",
        "map",
        "struct",
    ]


@pytest.mark.parametrize("t", list(Type))
def test_only_array_map_struct_are_not_primitive(t: Type) -> None:
    assert t.is_primitive is (t not in (Type.ARRAY, Type.MAP, Type.STRUCT))


# --- the predefined schemas --------------------------------------------------------------------

_CONSTANTS = [
    ("INT8", Type.INT8),
    ("INT16", Type.INT16),
    ("INT32", Type.INT32),
    ("INT64", Type.INT64),
    ("FLOAT32", Type.FLOAT32),
    ("FLOAT64", Type.FLOAT64),
    ("BOOLEAN", Type.BOOLEAN),
    ("STRING", Type.STRING),
    ("BYTES", Type.BYTES),
]


@pytest.mark.parametrize(("prefix", "t"), _CONSTANTS)
def test_predefined_schemas_are_plain_and_required_or_optional(prefix: str, t: Type) -> None:
    required: Schema = getattr(Schema, f"{prefix}_SCHEMA")
    optional: Schema = getattr(Schema, f"OPTIONAL_{prefix}_SCHEMA")
    for schema, is_optional in ((required, False), (optional, True)):
        assert schema.type is t
        assert schema.optional is is_optional
        assert schema.name is None
        assert schema.version is None
        assert schema.doc is None
        assert schema.parameters is None
        assert schema.default is None
        assert schema.fields == ()
    assert required != optional
    assert SchemaBuilder.type_of(t).build() == required
    assert SchemaBuilder.type_of(t).optional().build() == optional


# --- builder factories -------------------------------------------------------------------------

_FACTORIES: list[tuple[Callable[[], SchemaBuilder], Type]] = [
    (SchemaBuilder.int8, Type.INT8),
    (SchemaBuilder.int16, Type.INT16),
    (SchemaBuilder.int32, Type.INT32),
    (SchemaBuilder.int64, Type.INT64),
    (SchemaBuilder.float32, Type.FLOAT32),
    (SchemaBuilder.float64, Type.FLOAT64),
    (SchemaBuilder.bool, Type.BOOLEAN),
    (SchemaBuilder.string, Type.STRING),
    (SchemaBuilder.bytes, Type.BYTES),
    (SchemaBuilder.struct, Type.STRUCT),
]


@pytest.mark.parametrize(("factory", "t"), _FACTORIES)
def test_factories_build_required_schemas_of_their_type(
    factory: Callable[[], SchemaBuilder], t: Type
) -> None:
    builder = factory()
    assert builder.type is t
    assert builder.is_optional is False
    schema = builder.build()
    assert schema.type is t
    assert schema.optional is False
    assert builder.schema() == schema  # Kafka's SchemaBuilder.schema() is an alias of build()


def test_optional_and_required() -> None:
    assert SchemaBuilder.int32().optional().build().optional is True
    assert SchemaBuilder.int32().required().build().optional is False
    assert SchemaBuilder.int32().optional().is_optional is True


def test_metadata_is_carried_into_the_schema() -> None:
    schema = (
        SchemaBuilder.string()
        .name("com.acme.Name")
        .version(3)
        .doc("a person's name")
        .parameter("length", "32")
        .parameters({"charset": "utf8", "length": "64"})
        .build()
    )
    assert schema.name == "com.acme.Name"
    assert schema.version == 3
    assert schema.doc == "a person's name"
    # parameter() never counts as "already set": later values replace earlier ones, as in Kafka.
    assert schema.parameters == {"length": "64", "charset": "utf8"}


def test_no_parameters_is_none_not_empty() -> None:
    assert SchemaBuilder.string().build().parameters is None
    assert Schema(Type.STRING, parameters={}).parameters is None


def test_built_schema_does_not_share_the_builders_parameters() -> None:
    builder = SchemaBuilder.string().parameter("a", "1")
    schema = builder.build()
    builder.parameter("b", "2")
    assert schema.parameters == {"a": "1"}


# --- setting an attribute twice ----------------------------------------------------------------

_DOUBLE_SET: list[tuple[str, Callable[[], object]]] = [
    ("optional", lambda: SchemaBuilder.int32().optional().required()),
    ("optional", lambda: SchemaBuilder.int32().required().optional()),
    ("name", lambda: SchemaBuilder.int32().name("a").name("b")),
    ("version", lambda: SchemaBuilder.int32().version(1).version(2)),
    ("doc", lambda: SchemaBuilder.int32().doc("a").doc("b")),
    ("default", lambda: SchemaBuilder.int32().default_value(1).default_value(2)),
]


@pytest.mark.parametrize(("attr", "call"), _DOUBLE_SET)
def test_setting_an_attribute_to_another_value_is_an_error(
    attr: str, call: Callable[[], object]
) -> None:
    with pytest.raises(SchemaBuilderError) as exc:
        call()
    assert str(exc.value) == f"Invalid SchemaBuilder call: {attr} has already been set."


def test_setting_an_attribute_to_the_same_value_again_is_allowed() -> None:
    schema = (
        SchemaBuilder.int32()
        .optional()
        .optional()
        .name("n")
        .name("n")
        .version(1)
        .version(1)
        .doc("d")
        .doc("d")
        .default_value(5)
        .default_value(5)
        .build()
    )
    assert (schema.optional, schema.name, schema.version, schema.doc, schema.default) == (
        True,
        "n",
        1,
        "d",
        5,
    )


def test_schema_builder_error_is_a_data_error() -> None:
    assert issubclass(SchemaBuilderError, DataError)


# --- defaults ----------------------------------------------------------------------------------

_GOOD_DEFAULTS: list[tuple[Callable[[], SchemaBuilder], object]] = [
    (SchemaBuilder.int8, -128),
    (SchemaBuilder.int16, 32767),
    (SchemaBuilder.int32, 7),
    (SchemaBuilder.int64, 2**63 - 1),
    (SchemaBuilder.float32, 1.5),
    (SchemaBuilder.float64, -0.25),
    (SchemaBuilder.bool, False),
    (SchemaBuilder.string, ""),
    (SchemaBuilder.bytes, b"\x00\x01"),
    (lambda: SchemaBuilder.array(Schema.INT32_SCHEMA), [1, 2]),
    (lambda: SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.INT32_SCHEMA), {"a": 1}),
    (lambda: Decimal.builder(2), decimal.Decimal("1.25")),
]


@pytest.mark.parametrize(("builder", "default"), _GOOD_DEFAULTS)
def test_valid_defaults_are_kept(builder: Callable[[], SchemaBuilder], default: object) -> None:
    assert builder().default_value(default).build().default == default


_BAD_DEFAULTS: list[tuple[SchemaBuilder, object, str]] = [
    (SchemaBuilder.int32(), "x", "Invalid value of type str for schema type INT32"),
    (SchemaBuilder.int8(), 128, "Invalid value 128: out of range for schema type INT8"),
    (SchemaBuilder.int32(), True, "Invalid value of type bool for schema type INT32"),
    (SchemaBuilder.float64(), 1, "Invalid value of type int for schema type FLOAT64"),
    (SchemaBuilder.string(), b"x", "Invalid value of type bytes for schema type STRING"),
    (
        SchemaBuilder.array(Schema.INT32_SCHEMA),
        [1, "two"],
        "Invalid value of type str for schema type INT32",
    ),
    (
        SchemaBuilder.int32(),
        None,
        "Invalid value: null used for required value, schema type: INT32",
    ),
]


@pytest.mark.parametrize(("builder", "default", "cause"), _BAD_DEFAULTS)
def test_invalid_defaults_fail_when_set_as_in_kafka(
    builder: SchemaBuilder, default: object, cause: str
) -> None:
    with pytest.raises(SchemaBuilderError) as exc:
        builder.default_value(default)
    assert str(exc.value) == f"Invalid default value: {cause}"
    assert isinstance(exc.value.__cause__, DataError)


def test_null_default_is_fine_on_an_optional_schema() -> None:
    assert SchemaBuilder.int32().optional().default_value(None).build().default is None


def test_schema_constructor_validates_the_default_too() -> None:
    with pytest.raises(DataError, match="Invalid value of type str for schema type INT64"):
        Schema(Type.INT64, default="nope")


def test_logical_default_must_be_the_logical_class() -> None:
    with pytest.raises(SchemaBuilderError, match="for logical type"):
        Decimal.builder(2).default_value(b"\x00")
    with pytest.raises(SchemaBuilderError, match="for logical type Date"):
        Date.builder().default_value(0)


def test_struct_default_built_from_the_schema_without_default() -> None:
    # The struct's own schema cannot contain the default it is the default of; Kafka allows a
    # struct built from the schema-in-progress, and so must we.
    base = SchemaBuilder.struct().name("P").field("x", Schema.INT32_SCHEMA)
    value = Struct(base.build()).put("x", 1)
    schema = (
        SchemaBuilder.struct()
        .name("P")
        .field("x", Schema.INT32_SCHEMA)
        .default_value(value)
        .build()
    )
    assert schema.default is value


# --- struct fields -----------------------------------------------------------------------------


def test_fields_keep_definition_order_and_index() -> None:
    schema = (
        SchemaBuilder.struct()
        .field("z", Schema.INT32_SCHEMA)
        .field("a", SchemaBuilder.string().optional())  # builders are built on the way in
        .field("m", Schema.BYTES_SCHEMA)
        .build()
    )
    assert [(f.name, f.index) for f in schema.fields] == [("z", 0), ("a", 1), ("m", 2)]
    assert schema.fields[1].schema == Schema.OPTIONAL_STRING_SCHEMA
    assert schema.field("m") == Field("m", 2, Schema.BYTES_SCHEMA)
    assert schema.field("missing") is None


def test_builder_exposes_fields_so_far() -> None:
    builder = SchemaBuilder.struct().field("a", Schema.INT8_SCHEMA)
    assert builder.fields == (Field("a", 0, Schema.INT8_SCHEMA),)


def test_duplicate_field_name_is_an_error() -> None:
    builder = SchemaBuilder.struct().field("a", Schema.INT32_SCHEMA)
    with pytest.raises(SchemaBuilderError) as exc:
        builder.field("a", Schema.STRING_SCHEMA)
    assert str(exc.value) == "Cannot create field because of field name duplication a"


def test_empty_field_name_is_an_error() -> None:
    with pytest.raises(SchemaBuilderError) as exc:
        SchemaBuilder.struct().field("", Schema.INT32_SCHEMA)
    assert str(exc.value) == "fieldName cannot be null."


@pytest.mark.parametrize(("factory", "t"), [f for f in _FACTORIES if f[1] is not Type.STRUCT])
def test_fields_on_non_struct_builder_are_an_error(
    factory: Callable[[], SchemaBuilder], t: Type
) -> None:
    with pytest.raises(SchemaBuilderError) as exc:
        factory().field("a", Schema.INT32_SCHEMA)
    assert str(exc.value) == f"Cannot create fields on type {t.name}"


def test_looking_up_a_field_on_a_non_struct_schema_is_an_error() -> None:
    with pytest.raises(DataError) as exc:
        Schema.INT32_SCHEMA.field("a")
    assert str(exc.value) == "Cannot look up fields on non-struct type"


def test_non_struct_schema_has_no_fields() -> None:
    assert Schema.INT32_SCHEMA.fields == ()


def test_struct_without_fields_is_allowed() -> None:
    schema = SchemaBuilder.struct().build()
    assert schema.fields == ()
    assert schema.field("a") is None


# --- array and map -----------------------------------------------------------------------------


def test_array_schema_carries_its_value_schema() -> None:
    schema = SchemaBuilder.array(SchemaBuilder.string().optional()).build()
    assert schema.type is Type.ARRAY
    assert schema.value_schema == Schema.OPTIONAL_STRING_SCHEMA
    assert schema.key_schema is None


def test_map_schema_carries_key_and_value_schemas() -> None:
    schema = SchemaBuilder.map(Schema.STRING_SCHEMA, SchemaBuilder.int64()).optional().build()
    assert schema.type is Type.MAP
    assert schema.key_schema == Schema.STRING_SCHEMA
    assert schema.value_schema == Schema.INT64_SCHEMA
    assert schema.optional


def test_nested_arrays_compare_by_value() -> None:
    def nested() -> Schema:
        return SchemaBuilder.array(SchemaBuilder.array(Schema.INT8_SCHEMA)).build()

    assert nested() == nested()
    assert nested() != SchemaBuilder.array(SchemaBuilder.array(Schema.INT16_SCHEMA)).build()


# --- equality and hashing ----------------------------------------------------------------------


def _full() -> SchemaBuilder:
    return (
        SchemaBuilder.struct()
        .name("com.acme.Order")
        .version(2)
        .doc("an order")
        .parameter("p", "1")
        .field("id", Schema.INT64_SCHEMA)
        .field("tags", SchemaBuilder.array(Schema.STRING_SCHEMA).optional())
        .field("attrs", SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.STRING_SCHEMA).optional())
    )


def test_equal_schemas_are_equal_and_hash_alike() -> None:
    a, b = _full().build(), _full().build()
    assert a is not b
    assert a == b
    assert hash(a) == hash(b)
    assert len({a, b}) == 1
    assert {a: "cached"}[b] == "cached"


_VARIANTS: list[Callable[[], Schema]] = [
    lambda: _full().optional().build(),
    lambda: (
        SchemaBuilder.struct()
        .name("com.acme.Other")
        .version(2)
        .doc("an order")
        .parameter("p", "1")
        .build()
    ),
    lambda: _full().field("extra", Schema.INT8_SCHEMA).build(),
]


@pytest.mark.parametrize("variant", _VARIANTS)
def test_any_difference_makes_schemas_unequal(variant: Callable[[], Schema]) -> None:
    assert variant() != _full().build()


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (SchemaBuilder.int32().version(1), SchemaBuilder.int32().version(2)),
        (SchemaBuilder.int32().doc("x"), SchemaBuilder.int32().doc("y")),
        (SchemaBuilder.int32().parameter("k", "1"), SchemaBuilder.int32().parameter("k", "2")),
        (SchemaBuilder.int32().default_value(1), SchemaBuilder.int32().default_value(2)),
        (SchemaBuilder.int32().default_value(1), SchemaBuilder.int32()),
        (SchemaBuilder.int32().name("a"), SchemaBuilder.int32()),
        (SchemaBuilder.int32(), SchemaBuilder.int64()),
        (
            SchemaBuilder.struct().field("a", Schema.INT32_SCHEMA).field("b", Schema.INT32_SCHEMA),
            SchemaBuilder.struct().field("b", Schema.INT32_SCHEMA).field("a", Schema.INT32_SCHEMA),
        ),
        (
            SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.INT32_SCHEMA),
            SchemaBuilder.map(Schema.INT32_SCHEMA, Schema.INT32_SCHEMA),
        ),
    ],
)
def test_every_attribute_takes_part_in_equality(a: SchemaBuilder, b: SchemaBuilder) -> None:
    assert a.build() != b.build()


def test_parameter_order_does_not_matter() -> None:
    a = SchemaBuilder.string().parameter("x", "1").parameter("y", "2").build()
    b = SchemaBuilder.string().parameter("y", "2").parameter("x", "1").build()
    assert a == b
    assert hash(a) == hash(b)


def test_unhashable_defaults_still_compare_and_hash() -> None:
    def schema() -> Schema:
        return (
            SchemaBuilder.map(Schema.STRING_SCHEMA, SchemaBuilder.array(Schema.INT32_SCHEMA))
            .default_value({"a": [1, 2], "b": []})
            .build()
        )

    assert schema() == schema()
    assert hash(schema()) == hash(schema())
    other = (
        SchemaBuilder.map(Schema.STRING_SCHEMA, SchemaBuilder.array(Schema.INT32_SCHEMA))
        .default_value({"a": [1, 3]})
        .build()
    )
    assert schema() != other


def test_schema_is_not_equal_to_other_objects() -> None:
    assert Schema.INT32_SCHEMA != "int32"
    assert Schema.INT32_SCHEMA.__eq__(1) is NotImplemented


def test_field_equality_uses_name_index_and_schema() -> None:
    f = Field("a", 0, Schema.INT32_SCHEMA)
    assert f == Field("a", 0, Schema.INT32_SCHEMA)
    assert hash(f) == hash(Field("a", 0, Schema.INT32_SCHEMA))
    assert f != Field("b", 0, Schema.INT32_SCHEMA)
    assert f != Field("a", 1, Schema.INT32_SCHEMA)
    assert f != Field("a", 0, Schema.INT64_SCHEMA)
    assert f != "a"


def test_reprs_follow_kafkas_to_string() -> None:
    assert repr(Schema.INT32_SCHEMA) == "Schema{INT32}"
    assert repr(SchemaBuilder.int32().name("foo").build()) == "Schema{foo:INT32}"
    assert (
        repr(Field("a", 0, Schema.INT32_SCHEMA)) == "Field{name=a, index=0, schema=Schema{INT32}}"
    )


# --- from_schema -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "schema",
    [
        _full().build(),
        _full().optional().build(),
        SchemaBuilder.int32().default_value(4).doc("d").build(),
        SchemaBuilder.array(Schema.FLOAT64_SCHEMA).build(),
        SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.BYTES_SCHEMA).build(),
        Decimal.schema(3),
        Date.SCHEMA,
        Time.SCHEMA,
        Timestamp.SCHEMA,
    ],
)
def test_from_schema_rebuilds_an_equal_schema(schema: Schema) -> None:
    rebuilt = SchemaBuilder.from_schema(schema).build()
    assert rebuilt == schema
    assert rebuilt.fields == schema.fields


def test_from_schema_can_grow_a_struct() -> None:
    base = _full().build()
    grown = SchemaBuilder.from_schema(base).field("more", Schema.BOOLEAN_SCHEMA).build()
    assert [f.name for f in grown.fields] == ["id", "tags", "attrs", "more"]
    assert grown.field("more") == Field("more", 3, Schema.BOOLEAN_SCHEMA)
    assert [f.name for f in base.fields] == ["id", "tags", "attrs"]


def test_from_schema_counts_copied_attributes_as_set() -> None:
    with pytest.raises(SchemaBuilderError, match="name has already been set"):
        SchemaBuilder.from_schema(_full().build()).name("renamed")


def test_map_defaults_compare_by_content_whatever_the_insertion_order() -> None:
    inner = SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.INT32_SCHEMA).build()

    def build(default: dict[str, dict[str, int]]) -> Schema:
        return SchemaBuilder.map(Schema.STRING_SCHEMA, inner).default_value(default).build()

    first = build({"a": {"x": 1, "y": 2}, "b": {}})
    second = build({"b": {}, "a": {"y": 2, "x": 1}})
    assert first == second
    assert len({first, second}) == 1
    assert first != build({"a": {"x": 1, "y": 3}, "b": {}})
