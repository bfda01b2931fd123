"""JsonConverter: exact bytes (as Kafka 4.1.1's JsonConverter writes them on Java 17), reading,
error messages, configuration, and round trips of generated schemas and values."""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sluice.api import (
    ConfigError,
    DataError,
    Date,
    Decimal,
    Schema,
    SchemaBuilder,
    Struct,
    Time,
    Timestamp,
    Type,
)
from sluice.converters import JsonConverter
from sluice.converters.json import ENVELOPE_ERROR
from tests.unit.converters.strategies import normalize, schema_and_value


def conv(**configs: Any) -> JsonConverter:
    c = JsonConverter()
    c.configure({k.replace("_", "."): str(v).lower() for k, v in configs.items()}, False)
    return c


def write(schema: Schema | None, value: Any, **configs: Any) -> str | None:
    out = conv(**configs).from_connect_data("t", schema, value)
    return None if out is None else out.decode()


def read(text: str, **configs: Any) -> tuple[Schema | None, Any]:
    sv = conv(**configs).to_connect_data("t", text.encode())
    return sv.schema, sv.value


ORDER = (
    SchemaBuilder.struct()
    .name("com.acme.Order")
    .field("id", Schema.INT32_SCHEMA)
    .field("amt", Decimal.builder(2).optional())
    .build()
)


# -- writing --------------------------------------------------------------------------------------
def test_envelope_of_a_struct_matches_kafka_byte_for_byte() -> None:
    value = Struct(ORDER).put("id", 1).put("amt", decimal.Decimal("2.22"))
    assert write(ORDER, value) == (
        '{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},'
        '{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal",'
        '"version":1,"parameters":{"scale":"2"},"field":"amt"}],"optional":false,'
        '"name":"com.acme.Order"},"payload":{"id":1,"amt":"AN4="}}'
    )


def test_numeric_decimal_format_writes_decimals_as_numbers_keeping_their_scale() -> None:
    value = Struct(ORDER).put("id", 1).put("amt", decimal.Decimal("2.20"))
    out = write(ORDER, value, decimal_format="numeric")
    assert out is not None and out.endswith('"payload":{"id":1,"amt":2.20}}')
    thousand = decimal.Decimal("1E+3")
    assert write(Decimal.schema(-3), thousand, schemas_enable=False, decimal_format="NUMERIC") == (
        "1E+3"
    )
    tiny = decimal.Decimal("1E-10")
    assert write(Decimal.schema(10), tiny, schemas_enable=False, decimal_format="NUMERIC") == (
        "1E-10"
    )
    zero = decimal.Decimal("-0.00")
    assert write(Decimal.schema(2), zero, schemas_enable=False, decimal_format="NUMERIC") == "0.00"


def test_schema_attributes_come_in_jacksons_order_with_default_last() -> None:
    schema = (
        SchemaBuilder.int64()
        .optional()
        .name("n")
        .version(3)
        .doc("d")
        .parameter("b", "2")
        .parameter("a", "1")
        .default_value(5)
        .build()
    )
    assert write(schema, None) == (
        '{"schema":{"type":"int64","optional":true,"name":"n","version":3,"doc":"d",'
        '"parameters":{"b":"2","a":"1"},"default":5},"payload":5}'
    )


def test_type_names_and_children() -> None:
    schema = SchemaBuilder.map(
        Schema.STRING_SCHEMA, SchemaBuilder.array(Schema.OPTIONAL_FLOAT32_SCHEMA)
    ).build()
    assert write(schema, {"x": [1.5, None]}) == (
        '{"schema":{"type":"map","keys":{"type":"string","optional":false},"values":'
        '{"type":"array","items":{"type":"float","optional":true},"optional":false},'
        '"optional":false},"payload":{"x":[1.5,null]}}'
    )
    assert write(Schema.FLOAT64_SCHEMA, 2.5) == (
        '{"schema":{"type":"double","optional":false},"payload":2.5}'
    )


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1e10, "1.0E10"),
        (1e-5, "1.0E-5"),
        (0.001, "0.001"),
        (1234567.0, "1234567.0"),
        (12345678.9, "1.23456789E7"),
        (-0.0, "-0.0"),
        (2.0**-44, "5.6843418860808015E-14"),  # Java 17 prints one digit more than needed
        (2.681447534367114e18, "2.6814475343671142E18"),  # integral: all digits
        (6.631345570424576e19, "6.6313455704245764E19"),
        (float("nan"), '"NaN"'),
        (float("-inf"), '"-Infinity"'),
    ],
)
def test_doubles_are_printed_as_java_17_prints_them(value: float, text: str) -> None:
    assert write(Schema.FLOAT64_SCHEMA, value, schemas_enable=False) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.1, "0.1"),
        (1.68271167e11, "1.68271167E11"),
        (16777217.0, "1.6777216E7"),
        (1e39, '"Infinity"'),
    ],
)
def test_floats_are_rounded_to_32_bits_and_printed_as_java_prints_them(
    value: float, text: str
) -> None:
    assert write(Schema.FLOAT32_SCHEMA, value, schemas_enable=False) == text


def test_strings_use_jacksons_escapes() -> None:
    # Characters beyond U+FFFF are written as escaped surrogate pairs, as Jackson does.
    text = 'a"\\/\b\t\n\f\r\x00\x0b\x1f\x7f\u2028é\U0001f600'
    assert write(Schema.STRING_SCHEMA, text, schemas_enable=False) == (
        '"a\\"\\\\/\\b\\t\\n\\f\\r\\u0000\\u000B\\u001F\x7f\u2028é\\uD83D\\uDE00"'
    )
    # An escaped backslash followed by text that looks like an escape stays as it is.
    assert write(Schema.STRING_SCHEMA, "\\u001f", schemas_enable=False) == '"\\\\u001f"'


def test_bytes_and_logical_types() -> None:
    assert write(Schema.BYTES_SCHEMA, b"\x00\xff", schemas_enable=False) == '"AP8="'
    assert write(Date.SCHEMA, dt.date(1970, 1, 11), schemas_enable=False) == "10"
    assert write(Time.SCHEMA, dt.time(0, 0, 1, 5000), schemas_enable=False) == "1005"
    moment = dt.datetime(1969, 12, 31, 23, 59, 59, 999000, tzinfo=dt.UTC)
    assert write(Timestamp.SCHEMA, moment, schemas_enable=False) == "-1"
    assert write(Decimal.schema(0), decimal.Decimal(-128), schemas_enable=False) == '"gA=="'
    assert write(Decimal.schema(0), decimal.Decimal(128), schemas_enable=False) == '"AIA="'


def test_maps_with_string_keys_are_objects_others_arrays_of_pairs() -> None:
    strings = SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.INT32_SCHEMA).build()
    ints = SchemaBuilder.map(Schema.INT32_SCHEMA, Schema.STRING_SCHEMA).build()
    assert write(strings, {"b": 1, "a": 2}, schemas_enable=False) == '{"b":1,"a":2}'
    assert write(ints, {3: "c", 1: "a"}, schemas_enable=False) == '[[3,"c"],[1,"a"]]'
    assert write(None, {"a": 1, "b": [True, None]}, schemas_enable=False) == (
        '{"a":1,"b":[true,null]}'
    )
    assert write(None, {1: "x", "b": 2.0}, schemas_enable=False) == '[[1,"x"],["b",2.0]]'


def test_nulls_defaults_and_tombstones() -> None:
    schema = SchemaBuilder.struct().field("a", SchemaBuilder.int32().default_value(7)).build()
    unset = Struct(schema)
    assert write(schema, unset, schemas_enable=False) == '{"a":7}'
    with pytest.raises(DataError, match="null value for field that is required"):
        write(schema, unset, schemas_enable=False, replace_null_with_default=False)
    optional = SchemaBuilder.int32().optional().default_value(3).build()
    assert write(optional, None, schemas_enable=False) == "3"
    assert write(optional, None, schemas_enable=False, replace_null_with_default=False) == "null"
    assert write(None, None) is None
    assert write(Schema.OPTIONAL_STRING_SCHEMA, None) == (
        '{"schema":{"type":"string","optional":true},"payload":null}'
    )
    assert write(None, 5) == '{"schema":null,"payload":5}'
    assert conv().to_connect_data("t", None) == (None, None)


@pytest.mark.parametrize(
    ("schema", "value", "message"),
    [
        (Schema.STRING_SCHEMA, None, "Conversion error: null value for field that is required"),
        (Schema.INT32_SCHEMA, "x", "Invalid type for INT32: class builtins.str"),
        (Schema.INT8_SCHEMA, 300, "Invalid value 300: out of range for schema type INT8"),
        (Schema.INT32_SCHEMA, True, "Invalid type for INT32: class builtins.bool"),
        (Schema.FLOAT64_SCHEMA, 1, "Invalid type for FLOAT64: class builtins.int"),
        (Schema.BYTES_SCHEMA, "x", "Invalid type for bytes type: class builtins.str"),
        (Decimal.schema(2), 1.5, "Invalid type for Decimal, expected BigDecimal but was"),
        (Decimal.schema(2), decimal.Decimal("1.5"), "mismatching scale"),
        (ORDER, Struct(Schema(Type.STRUCT)), "Mismatching schema."),
        (None, decimal.Decimal(1), "does not have corresponding schema type"),
        (None, Struct(ORDER), "Mismatching schema."),
    ],
)
def test_write_errors(schema: Schema | None, value: Any, message: str) -> None:
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(".", r"\.")):
        conv().from_connect_data("t", schema, value)


# -- reading --------------------------------------------------------------------------------------
def test_reads_an_envelope_back_into_schema_and_struct() -> None:
    value = Struct(ORDER).put("id", 1).put("amt", decimal.Decimal("2.22"))
    text = write(ORDER, value)
    assert text is not None
    schema, got = read(text)
    assert schema == ORDER
    assert got == value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", None),
        ("  ", None),
        ("007", 7),
        ('{"a":1} x', {"a": 1}),
        ("[1.50, 1E+3, 1e400, -0.0]", [1.5, 1000.0, float("inf"), 0.0]),
        ("123456789012345678901234567890", -4362896299872285998),
        ('{"b":1,"a":[2.5,"x",null,true]}', {"b": 1, "a": [2.5, "x", None, True]}),
    ],
)
def test_schemaless_reads_follow_jackson(text: str, expected: Any) -> None:
    schema, value = read(text, schemas_enable=False)
    assert schema is None
    assert value == expected
    if isinstance(value, list) and value and isinstance(value[-1], float):
        assert str(value[-1]) == "0.0"  # no negative zero in Java's BigDecimal


@pytest.mark.parametrize(
    "batch",
    [
        [b'{"a":1}', b'{"b":[2.5,"2024-01-05"]}'],  # dashes that are not negative zeros
        [b'{"a":1}', None, b"7"],  # a null value
        [b"-0.0", b'{"n":-0e1}', b"1"],  # negative zeros
        [b'{"id":"12345678901234567890"}', b"123456789012345678901234567890"],  # long digit runs
        [b"", b"  ", b'{"a":1} x', b"1e400"],  # empty, trailing text, beyond double
        # Objects of scalars (their integers are range-checked while decoding):
        [b'{"a":1,"b":-0.0}', b'{"a":2}'],  # a negative zero
        [b'{"a":9223372036854775807,"b":-9223372036854775808}'],  # a long's limits
        [b'{"a":9223372036854775807}', b'{"c":9223372036854775808}'],  # and beyond
        [b'{"a":-18446744073709551617}', b'{"a":1e400}'],  # below a long, beyond a double
        [b'{"a":1,"a":2}', b'{"x":null,"y":true,"z":"s","f":2.5}'],  # a repeated key
        [b'{"a":1}', b'{"n":{"m":99999999999999999999}}'],  # then a nested huge integer
        [None, None],  # the keys of unkeyed records
        [],
    ],
)
def test_schemaless_batch_reads_as_value_by_value(batch: list[bytes | None]) -> None:
    one = conv(**{"schemas.enable": "false"})
    expected = [one.to_connect_data("t", v) for v in batch]
    got = conv(**{"schemas.enable": "false"}).to_connect_batch("t", batch)
    assert got == expected
    assert [repr(v) for _, v in got] == [repr(v) for _, v in expected]  # -0.0 vs 0.0


def test_envelope_batch_reads_as_value_by_value() -> None:
    first = write(ORDER, Struct(ORDER).put("id", 1).put("amt", decimal.Decimal("2.22")))
    flat = (
        '{"schema":{"type":"struct","fields":[{"type":"int32","field":"n"},'
        '{"type":"double","field":"d"}],"optional":false},"payload":%s}'
    )
    assert first is not None
    batch: list[bytes | None] = [
        (flat % '{"n":1,"d":-0.0}').encode(),
        (flat % '{"n":2,"d":1.5}').encode(),
        first.encode(),  # another schema mid-batch
        None,
        (flat % '{"n":"x","d":1.5}').encode(),  # refused by the C decoder: Jackson reads 0
        (flat % '{"n":3,"d":2.5} ').encode(),  # not the compact form
    ]
    expected = [conv().to_connect_data("t", v) for v in batch]
    assert conv().to_connect_batch("t", batch) == expected
    assert conv().to_connect_batch("t", [None, None]) == [expected[3], expected[3]]
    with pytest.raises(DataError):
        conv().to_connect_batch("t", [*batch, (flat % '{"n":1').encode()])


def test_schemaless_batch_with_bad_json_fails_like_a_single_read() -> None:
    with pytest.raises(DataError, match="Converting byte\\[\\] to Kafka Connect data failed"):
        conv(**{"schemas.enable": "false"}).to_connect_batch("t", [b'{"a":1}', b"{nope"])


DEC2 = '{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"2"}}'


@pytest.mark.parametrize(
    ("schema_json", "payload", "expected", "rewritten"),
    [
        (DEC2, "2.20", decimal.Decimal("2.20"), "2.20"),
        (DEC2, "1E+3", decimal.Decimal("1E+3"), "1E+3"),
        (DEC2, '"AN4="', decimal.Decimal("2.22"), "2.22"),
        ('{"type":"double"}', '"NaN"', 0.0, "0.0"),
        ('{"type":"float"}', "0.1", 0.10000000149011612, "0.1"),
        ('{"type":"int8"}', "300.7", 44, "44"),
        ('{"type":"int64"}', "2.9999999999999999999", 2, "2"),
        ('{"type":"int32"}', '"abc"', 0, "0"),
        ('{"type":"boolean"}', "1", False, "false"),
        ('{"type":"array","items":{"type":"int32"}}', '{"a":1,"b":2}', [1, 2], "[1,2]"),
        ('{"type":"int32","optional":true,"default":5}', "null", 5, "5"),
        ('{"type":"int32","optional":true}', "null", None, "null"),
        (
            '{"type":"map","keys":{"type":"int32"},"values":{"type":"string"}}',
            '[[3,"c"],[1,"a"]]',
            {3: "c", 1: "a"},
            '[[1,"a"],[3,"c"]]',  # read into a HashMap, whose buckets are 1 and 3
        ),
        ("null", '{"b":1}', {"b": 1}, '{"b":1}'),
    ],
)
def test_schemaful_reads_follow_kafka(
    schema_json: str, payload: str, expected: Any, rewritten: str
) -> None:
    c = conv(decimal_format="numeric")
    sv = c.to_connect_data("t", f'{{"schema":{schema_json},"payload":{payload}}}'.encode())
    assert sv.value == expected
    out = c.from_connect_data("t", sv.schema, sv.value)
    assert out is not None and out.decode().endswith(f'"payload":{rewritten}}}')


def test_struct_fields_missing_from_the_payload_take_their_defaults() -> None:
    schema, value = read(
        '{"schema":{"type":"struct","fields":[{"type":"int32","field":"a","default":7},'
        '{"type":"string","optional":true,"field":"b"}]},"payload":{}}'
    )
    assert isinstance(value, Struct)
    assert value.get("a") == 7 and value.get("b") is None
    assert schema is not None and schema.field("a") is not None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"schema":{"type":"int32"},"payload":1,"x":2}', ENVELOPE_ERROR),
        ('{"payload":1}', ENVELOPE_ERROR),
        ("[1]", ENVELOPE_ERROR),
        ("", ENVELOPE_ERROR),
        ("nope", "Converting byte[] to Kafka Connect data failed due to serialization error: "),
        ('{"schema":{"type":"foo"},"payload":1}', "Unknown schema type: foo"),
        ('{"schema":{},"payload":1}', "Schema must contain 'type' field"),
        ('{"schema":5,"payload":1}', "Schema must contain 'type' field"),
        ('{"schema":{"type":"array"},"payload":[]}', "Array schema did not specify the element"),
        (
            '{"schema":{"type":"map","values":{"type":"int8"}},"payload":[]}',
            "did not specify the key",
        ),
        ('{"schema":{"type":"struct"},"payload":{}}', 'Struct schema\'s "fields" argument is not'),
        ('{"schema":{"type":"struct","fields":[{"type":"int8"}]},"payload":{}}', "field name not"),
        ('{"schema":{"type":"int8","parameters":{"a":1}},"payload":1}', "must have string values"),
        (
            '{"schema":{"type":"int32","default":null},"payload":1}',
            "Invalid null value for required",
        ),
        ('{"schema":{"type":"string"},"payload":null}', "Invalid null value for required STRING"),
        ('{"schema":{"type":"bytes"},"payload":"!!!"}', "Invalid bytes field"),
        (
            '{"schema":{"type":"map","keys":{"type":"string"},"values":{"type":"int8"}},"payload":[]}',
            "Maps with string fields should be encoded as JSON objects, but found ARRAY",
        ),
        (
            '{"schema":{"type":"map","keys":{"type":"int8"},"values":{"type":"int8"}},"payload":{}}',
            "Maps with non-string fields should be encoded as JSON array of tuples, but found "
            "OBJECT",
        ),
        (
            '{"schema":{"type":"map","keys":{"type":"int8"},"values":{"type":"int8"}},"payload":[1]}',
            "Found invalid map entry instead of array tuple: NUMBER",
        ),
        (
            '{"schema":{"type":"map","keys":{"type":"int8"},"values":{"type":"int8"}},'
            '"payload":[[1,2,3]]}',
            "Found invalid map entry, expected length 2 but found :3",
        ),
        (
            '{"schema":{"type":"struct","fields":[]},"payload":[]}',
            "Structs should be encoded as JSON objects, but found ARRAY",
        ),
        (
            '{"schema":{"type":"struct","fields":[{"type":"string","field":"s"}]},'
            '"payload":{"s":5}}',
            'Invalid value: null used for required field: "s", schema type: STRING',
        ),
        (
            '{"schema":{"type":"int32","name":"org.apache.kafka.connect.data.Date"},'
            '"payload":3000000000}',
            "Invalid type for Date, underlying representation should be integer but was NUMBER",
        ),
        (
            '{"schema":{"type":"int64","name":"org.apache.kafka.connect.data.Timestamp"},'
            '"payload":"x"}',
            "Invalid type for Timestamp, underlying representation should be integral but was",
        ),
        (f'{{"schema":{DEC2},"payload":true}}', "should be numeric or bytes but was BOOLEAN"),
        (
            '{"schema":{"type":"int32","name":"org.apache.kafka.connect.data.Time"},"payload":-1}',
            "Time values must use number of milliseconds",
        ),
    ],
)
def test_read_errors(text: str, message: str) -> None:
    with pytest.raises(DataError) as e:
        conv().to_connect_data("t", text.encode())
    assert message in str(e.value)


def test_envelope_error_message_is_kafkas() -> None:
    assert ENVELOPE_ERROR == (
        'JsonConverter with schemas.enable requires "schema" and "payload" fields and may not '
        "contain additional fields. If you are trying to deserialize plain JSON data, set "
        "schemas.enable=false in your converter configuration."
    )


def test_duplicate_envelope_keys_keep_the_last_one_as_jackson_does() -> None:
    schema, value = read('{"schema":{"type":"int32"},"schema":{"type":"int64"},"payload":1}')
    assert schema == Schema.INT64_SCHEMA and value == 1


def test_replace_null_with_default_off_keeps_nulls_when_reading() -> None:
    text = '{"schema":{"type":"int32","optional":true,"default":5},"payload":null}'
    assert read(text, replace_null_with_default=False)[1] is None
    assert read(text)[1] == 5


# -- configuration --------------------------------------------------------------------------------
def test_config_definition_matches_kafkas() -> None:
    keys = JsonConverter().config().keys
    assert list(keys) == [
        "converter.type",
        "schemas.enable",
        "schemas.cache.size",
        "decimal.format",
        "replace.null.with.default",
    ]
    assert keys["schemas.enable"].default is True
    assert keys["schemas.cache.size"].default == 1000
    assert keys["decimal.format"].default == "BASE64"
    assert keys["replace.null.with.default"].default is True
    assert keys["decimal.format"].group == "Serialization"


def test_bad_config_values_name_the_key() -> None:
    with pytest.raises(ConfigError, match="decimal.format"):
        conv(decimal_format="octal")
    with pytest.raises(ConfigError, match="schemas.enable"):
        conv(schemas_enable="maybe")
    c = JsonConverter()
    with pytest.raises(ConfigError, match="converter.type"):
        c.configure({"converter.type": "sideways"})


def test_header_converter_role() -> None:
    c = JsonConverter()
    c.configure({})
    assert c.converter_type == "header"
    data = c.from_connect_header("t", "h", Schema.INT32_SCHEMA, 5)
    assert data == b'{"schema":{"type":"int32","optional":false},"payload":5}'
    assert c.to_connect_header("t", "h", data) == (Schema.INT32_SCHEMA, 5)


def test_schema_caches_are_bounded_by_schemas_cache_size() -> None:
    c = conv(schemas_cache_size=2)
    for i in range(5):
        schema = SchemaBuilder.int32().name(f"n{i}").build()
        data = c.from_connect_data("t", schema, i)
        assert data is not None
        assert c.to_connect_data("t", data) == (schema, i)
    assert len(c._prefixes) <= 2 and len(c._plans) <= 2


def test_schema_json_helpers_round_trip() -> None:
    c = conv()
    text = c.as_json_schema(ORDER)
    assert text.startswith(b'{"type":"struct"')
    assert c.as_connect_schema(text) == ORDER
    assert c.as_json_schema(None) == b"null"


# -- generated round trips ------------------------------------------------------------------------
CONFIGS = [
    {},
    {"schemas.enable": "false"},
    {"decimal.format": "NUMERIC"},
    {"replace.null.with.default": "false"},
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pair=schema_and_value(), config=st.sampled_from(CONFIGS))
def test_generated_values_round_trip(
    pair: tuple[Schema | None, Any], config: dict[str, str]
) -> None:
    schema, value = pair
    c = JsonConverter()
    c.configure(config, False)
    try:
        data = c.from_connect_data("t", schema, value)
    except DataError as e:
        # Without default replacement an unset required field cannot be written, as in Kafka.
        assert config.get("replace.null.with.default") == "false"
        assert "null value for field that is required" in str(e)
        return
    assert data is not None
    back = c.to_connect_data("t", data)
    if back == (None, None):  # schemaless null: a tombstone when written again, as in Kafka
        assert data == b"null"
        return
    fill = config.get("replace.null.with.default") != "false"
    if config.get("schemas.enable") == "false":
        assert back.schema is None
    else:
        assert back.schema == schema
        assert normalize(back.value, schema, fill) == normalize(value, schema, fill)
    again = c.from_connect_data("t", back.schema, back.value)
    assert again is not None
    if config.get("schemas.enable") == "false":
        # Kafka reads objects into HashMaps, so a struct written without its schema comes back
        # with its fields in hash order; from then on the bytes are stable.
        assert json.loads(again) == json.loads(data)
        assert c.from_connect_data("t", None, c.to_connect_data("t", again).value) == again
    else:
        assert again == data


# -- the fast paths agree with the generic one ----------------------------------------------------
FLAT = (
    SchemaBuilder.struct()
    .field("i8", Schema.INT8_SCHEMA)
    .field("i64", Schema.OPTIONAL_INT64_SCHEMA)
    .field("s", Schema.STRING_SCHEMA)
    .field("b", Schema.OPTIONAL_BOOLEAN_SCHEMA)
    .field("d", Schema.OPTIONAL_FLOAT64_SCHEMA)
    .field("raw", Schema.OPTIONAL_BYTES_SCHEMA)
    .build()
)
_json_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["x", "AAE=", "!", "-0.0", "1e400"]),
    st.lists(st.integers(0, 3), max_size=2),
)


@settings(max_examples=300, deadline=None)
@given(
    fields=st.dictionaries(
        st.sampled_from(["i8", "i64", "s", "b", "d", "raw", "extra"]), _json_values
    )
)
def test_flat_struct_fast_path_reads_what_the_generic_path_reads(fields: dict[str, Any]) -> None:
    _fast_and_generic_agree(FLAT, fields)


FLAT_LOGICAL = (
    SchemaBuilder.struct()
    .field("dec", Decimal.schema(2))
    .field("ts", Timestamp.builder().optional().build())
    .field("day", Date.SCHEMA)
    .field("t", Time.builder().optional().build())
    .field("i", Schema.INT32_SCHEMA)
    .build()
)


_base64 = st.binary(max_size=9).map(lambda b: base64.b64encode(b).decode())


def _mostly(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Valid values most of the time, so that whole payloads often pass the fast path."""
    return st.one_of(valid, valid, valid, _json_values, st.sampled_from(["AQ", "*==="]))


@settings(max_examples=300, deadline=None)
@given(
    fields=st.fixed_dictionaries(
        {
            "dec": _mostly(_base64),
            "day": _mostly(st.integers(-(2**31), 2**31 - 1)),
            "i": _mostly(st.integers(-(2**31), 2**31 - 1)),
        },
        optional={
            "ts": _mostly(st.integers(-(2**63), 2**63 - 1)),
            "t": _mostly(st.integers(0, 86_400_000)),
        },
    )
)
def test_logical_fields_read_in_the_fast_path_as_in_the_generic_one(
    fields: dict[str, Any],
) -> None:
    """Decimals (Base64), timestamps, dates and times of flat structs are decoded in C and
    converted after; anything out of range or of another form gives the generic path's result
    or error."""
    _fast_and_generic_agree(FLAT_LOGICAL, fields)


def _fast_and_generic_agree(schema: Schema, fields: dict[str, Any]) -> None:
    import json

    from sluice.converters._json_read import _EXACT_DECODER

    c = conv()
    schema_json = c.as_json_schema(schema)
    payload = json.dumps(fields).encode()
    envelope = b'{"schema":' + schema_json + b',"payload":' + payload + b"}"
    generic = c._reader.decoder(schema)
    try:
        expected: Any = generic(_EXACT_DECODER.decode(payload))
    except DataError as e:
        expected = type(e)
    for _ in range(2):  # the second read takes the "same schema as before" path
        try:
            got: Any = c.to_connect_data("t", envelope).value
        except DataError as e:
            got = type(e)
        assert got == expected


def test_float32_zeros_keep_their_sign_in_text() -> None:
    assert write(Schema.FLOAT32_SCHEMA, 0.0, schemas_enable=False) == "0.0"
    assert write(Schema.FLOAT32_SCHEMA, -0.0, schemas_enable=False) == "-0.0"
    assert write(Schema.FLOAT32_SCHEMA, 0.0, schemas_enable=False) == "0.0"
