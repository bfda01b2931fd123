"""``Struct`` against Kafka Connect's ``Struct`` (messages from connect-api 4.1.1)."""

from __future__ import annotations

import datetime as dt

import pytest

from sluice.api import DataError, Date, Field, Schema, SchemaBuilder, Struct


def _person() -> Schema:
    return (
        SchemaBuilder.struct()
        .name("com.acme.Person")
        .field("name", Schema.STRING_SCHEMA)
        .field("nick", Schema.OPTIONAL_STRING_SCHEMA)
        .field("age", SchemaBuilder.int32().default_value(18).build())
        .field("born", Date.builder().optional())
        .build()
    )


def _address() -> Schema:
    return SchemaBuilder.struct().name("Address").field("city", Schema.STRING_SCHEMA).build()


def test_a_struct_needs_a_struct_schema() -> None:
    with pytest.raises(DataError) as exc:
        Struct(Schema.INT32_SCHEMA)
    assert str(exc.value) == "Not a struct schema: Schema{INT32}"


def test_put_returns_self_and_get_reads_back() -> None:
    s = Struct(_person())
    assert s.put("name", "Ada").put("nick", "A") is s
    assert s.get("name") == "Ada"
    assert s.get("nick") == "A"
    assert s.schema == _person()


def test_put_and_get_by_field_object() -> None:
    schema = _person()
    s = Struct(schema)
    name = schema.field("name")
    assert name is not None
    s.put(name, "Ada")
    assert s.get(name) == "Ada"
    assert s.get_without_default(name) == "Ada"


def test_field_of_an_equal_schema_works() -> None:
    field = _person().field("nick")
    assert field is not None
    assert Struct(_person()).put(field, "x").get("nick") == "x"


def test_field_of_another_schema_is_a_clear_error() -> None:
    # Kafka fails with an ArrayIndexOutOfBoundsException here; we say what is wrong.
    foreign = Field("city", 0, Schema.STRING_SCHEMA)
    s = Struct(_person())
    with pytest.raises(DataError, match="city is not a field of this struct's schema"):
        s.put(foreign, "x")
    far = Field("zip", 9, Schema.STRING_SCHEMA)
    with pytest.raises(DataError, match="zip is not a field"):
        s.get(far)


def test_unknown_field_names_are_named_in_the_error() -> None:
    s = Struct(_person())
    for call in (lambda: s.put("zz", 1), lambda: s.get("zz"), lambda: s.get_without_default("zz")):
        with pytest.raises(DataError) as exc:
            call()
        assert str(exc.value) == "zz is not a valid field name"


def test_put_validates_against_the_field_schema() -> None:
    s = Struct(_person())
    with pytest.raises(DataError) as exc:
        s.put("age", "old")
    assert str(exc.value) == 'Invalid value of type str for schema type INT32 for field: "age"'
    with pytest.raises(DataError) as exc:
        s.put("name", None)
    assert (
        str(exc.value) == 'Invalid value: null used for required field: "name", schema type: STRING'
    )
    with pytest.raises(DataError, match='for logical type Date for field: "born"'):
        s.put("born", dt.datetime(2000, 1, 1))
    # A rejected put leaves the old value alone.
    s.put("age", 40)
    with pytest.raises(DataError):
        s.put("age", 2**31)
    assert s.get("age") == 40


def test_get_applies_defaults_and_get_without_default_does_not() -> None:
    s = Struct(_person())
    assert s.get("age") == 18
    assert s.get_without_default("age") is None
    assert s.get("nick") is None
    s.put("age", 0)  # a falsy value is still a value
    assert s.get("age") == 0
    assert s.get_without_default("age") == 0


def test_optional_field_can_be_reset_to_null() -> None:
    s = Struct(_person()).put("nick", "x").put("nick", None)
    assert s.get("nick") is None


def test_validate_requires_required_fields_without_default() -> None:
    s = Struct(_person())
    with pytest.raises(DataError) as exc:
        s.validate()
    assert (
        str(exc.value) == 'Invalid value: null used for required field: "name", schema type: STRING'
    )
    s.put("name", "Ada")
    s.validate()  # nick is optional, age has a default, born is optional


def test_nested_struct_values() -> None:
    outer = (
        SchemaBuilder.struct().field("id", Schema.INT64_SCHEMA).field("address", _address()).build()
    )
    inner = Struct(_address()).put("city", "Oslo")
    s = Struct(outer).put("id", 1).put("address", inner)
    assert s.get("address").get("city") == "Oslo"
    assert s.to_dict() == {"id": 1, "address": {"city": "Oslo"}}
    with pytest.raises(DataError, match="Struct schemas do not match"):
        s.put("address", Struct(_person()).put("name", "x"))
    with pytest.raises(DataError, match='required field: "city"'):
        s.put("address", Struct(_address()))


def test_to_dict_applies_defaults() -> None:
    s = Struct(_person()).put("name", "Ada")
    assert s.to_dict() == {"name": "Ada", "nick": None, "age": 18, "born": None}


def test_equality_compares_schema_and_values() -> None:
    a = Struct(_person()).put("name", "Ada").put("age", 36)
    b = Struct(_person()).put("name", "Ada").put("age", 36)
    assert a == b
    assert hash(a) == hash(b)
    assert a != Struct(_person()).put("name", "Ada").put("age", 37)
    assert a != Struct(_person()).put("name", "Ada")  # unset is not the default
    other_schema = SchemaBuilder.from_schema(_person()).build()
    assert other_schema == _person()
    assert a == Struct(other_schema).put("name", "Ada").put("age", 36)
    renamed = (
        SchemaBuilder.struct()
        .name("com.acme.Other")
        .field("name", Schema.STRING_SCHEMA)
        .field("nick", Schema.OPTIONAL_STRING_SCHEMA)
        .field("age", SchemaBuilder.int32().default_value(18).build())
        .field("born", Date.builder().optional())
        .build()
    )
    assert a != Struct(renamed).put("name", "Ada").put("age", 36)
    assert a != {"name": "Ada", "age": 36}


def test_repr_lists_set_fields_in_schema_order_as_kafkas_to_string() -> None:
    s = Struct(_person())
    assert repr(s) == "Struct{}"
    s.put("age", 3).put("name", "Ada")
    assert repr(s) == "Struct{name='Ada',age=3}"
    nested = SchemaBuilder.struct().field("a", _address()).build()
    assert repr(Struct(nested).put("a", Struct(_address()).put("city", "X"))) == (
        "Struct{a=Struct{city='X'}}"
    )


# --- trusted construction ------------------------------------------------------------------------
def test_trusted_adopts_values_in_field_order_and_applies_defaults_on_get() -> None:
    values = ["Ada", None, None, None]
    struct = Struct.trusted(_person(), values)
    assert struct.get("name") == "Ada"
    assert struct.get("age") == 18  # the field default, as with put
    assert struct == Struct(_person()).put("name", "Ada")
    values[1] = "ada"  # adopted, not copied: the hot path pays for no copy
    assert struct.get("nick") == "ada"


def test_trusted_skips_per_field_checks_but_validate_still_catches_mistakes() -> None:
    struct = Struct.trusted(_address(), [None])
    with pytest.raises(DataError, match="city"):
        struct.validate()


def test_trusted_refuses_a_wrong_length_and_a_non_struct_schema() -> None:
    with pytest.raises(DataError, match="1 values for 4 fields"):
        Struct.trusted(_person(), ["Ada"])
    with pytest.raises(DataError, match="Not a struct schema"):
        Struct.trusted(Schema.STRING_SCHEMA, [])


def test_from_values_validates_every_field_as_put_does() -> None:
    schema = _person()
    values = ["Ada", None, 36, None]
    struct = Struct.from_values(schema, values)
    put_one_by_one = Struct(schema).put("name", "Ada").put("age", 36)
    assert struct == put_one_by_one
    assert struct.get("age") == 36 and struct.stored_values is values
    for i, bad in [(0, 5), (2, "old"), (2, 2**40), (0, None)]:  # types, INT32 range, a null
        wrong = list(values)
        wrong[i] = bad
        name = schema.fields[i].name
        with pytest.raises(DataError) as from_values_error:
            Struct.from_values(schema, wrong)
        with pytest.raises(DataError) as put_error:
            Struct(schema).put(name, bad)
        assert str(from_values_error.value) == str(put_error.value)
    with pytest.raises(DataError, match="1 values for 4 fields"):
        Struct.from_values(schema, ["Ada"])
    with pytest.raises(DataError, match="Not a struct schema"):
        Struct.from_values(Schema.STRING_SCHEMA, [])
