"""The three JSON formatters write what the Java driver's JsonWriter writes for each BSON type."""

from __future__ import annotations

import datetime as dt

import pytest
from bson import Code, Decimal128, Int64, MaxKey, MinKey, ObjectId, Regex, Timestamp
from bson.binary import Binary

from sluice.api import ConfigError
from sluice.connectors.mongodb.json_formatters import (
    DEFAULT_JSON,
    EXTENDED_JSON,
    RELAXED_JSON,
    SIMPLIFIED_JSON,
    formatter_for,
    java_double,
    json_string,
)

OID = ObjectId("5f0000000000000000000001")
DOC = {
    "_id": OID,
    "i32": 5,
    "i64": Int64(7),
    "d": 1.5,
    "when": dt.datetime(2020, 1, 1, 1, 2, 3, 400000),
    "dec": Decimal128("1.20"),
    "ts": Timestamp(1, 2),
    "bin": b"ab",
    "uuid": Binary(bytes(range(16)), 4),
    "re": Regex("a.*", "i"),
    "min": MinKey(),
    "max": MaxKey(),
    "code": Code("x = 1"),
    "none": None,
    "flag": True,
    "arr": [1, "x", {}],
}


def test_default_json_is_the_legacy_strict_mode() -> None:
    assert DEFAULT_JSON.dumps(DOC) == (
        '{"_id": {"$oid": "5f0000000000000000000001"}, "i32": 5, "i64": {"$numberLong": "7"}, '
        '"d": 1.5, "when": {"$date": 1577840523400}, "dec": {"$numberDecimal": "1.20"}, '
        '"ts": {"$timestamp": {"t": 1, "i": 2}}, "bin": {"$binary": "YWI=", "$type": "00"}, '
        '"uuid": {"$binary": "AAECAwQFBgcICQoLDA0ODw==", "$type": "04"}, '
        '"re": {"$regex": "a.*", "$options": "i"}, "min": {"$minKey": 1}, '
        '"max": {"$maxKey": 1}, "code": {"$code": "x = 1"}, "none": null, "flag": true, '
        '"arr": [1, "x", {}]}'
    )


def test_extended_json_is_canonical() -> None:
    text = EXTENDED_JSON.dumps(DOC)
    assert '"i32": {"$numberInt": "5"}' in text
    assert '"i64": {"$numberLong": "7"}' in text
    assert '"d": {"$numberDouble": "1.5"}' in text
    assert '"when": {"$date": {"$numberLong": "1577840523400"}}' in text
    assert '"bin": {"$binary": {"base64": "YWI=", "subType": "00"}}' in text
    assert '"re": {"$regularExpression": {"pattern": "a.*", "options": "i"}}' in text
    assert '"arr": [{"$numberInt": "1"}, "x", {}]' in text


def test_simplified_json_writes_plain_strings() -> None:
    text = SIMPLIFIED_JSON.dumps(DOC)
    assert text.startswith('{"_id": "5f0000000000000000000001", "i32": 5, "i64": 7, "d": 1.5')
    assert '"when": "2020-01-01T01:02:03.4Z"' in text
    assert '"dec": "1.20"' in text
    assert '"bin": "YWI="' in text
    assert '"ts": {"$timestamp": {"t": 1, "i": 2}}' in text


def test_relaxed_json_is_the_drivers_plain_to_json() -> None:
    text = RELAXED_JSON.dumps({"_data": "826", "when": dt.datetime(2020, 1, 1), "n": Int64(3)})
    assert text == '{"_data": "826", "when": {"$date": "2020-01-01T00:00:00Z"}, "n": 3}'
    assert RELAXED_JSON.dumps({"d": float("nan")}) == '{"d": {"$numberDouble": "NaN"}}'
    assert RELAXED_JSON.dumps({"old": dt.datetime(1960, 1, 1)}) == (
        '{"old": {"$date": {"$numberLong": "-315619200000"}}}'
    )


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.0, "1.0"),
        (100.0, "100.0"),
        (0.001, "0.001"),
        (1.5e-4, "1.5E-4"),
        (1e7, "1.0E+7"),
        (1.2345e20, "1.2345E+20"),
        (-2.5e-10, "-2.5E-10"),
        (-0.0, "-0.0"),
        (float("inf"), "Infinity"),
    ],
)
def test_doubles_as_java_prints_them(value: float, text: str) -> None:
    assert java_double(value) == text


def test_strings_escaped_as_java_escapes_them() -> None:
    assert json_string('a"b\\c\n\t') == '"a\\"b\\\\c\\n\\t"'
    assert json_string("환자 é") == '"환자 é"'  # letters of any script stay as they are
    assert json_string("\x7f") == '"\\u007f"'  # control character
    assert json_string("\u200b") == '"\\u200b"'  # format character
    assert json_string("😀") == '"\\ud83d\\ude00"'  # a surrogate pair, both halves escaped


def test_value_text_strips_quotes_of_single_values() -> None:
    assert SIMPLIFIED_JSON.value_text(OID) == "5f0000000000000000000001"
    assert DEFAULT_JSON.value_text(OID) == '{"$oid": "5f0000000000000000000001"}'
    assert DEFAULT_JSON.value_text(Timestamp(3, 4)) == '{"$timestamp": {"t": 3, "i": 4}}'


def test_formatter_names() -> None:
    assert formatter_for("com.mongodb.kafka.connect.source.json.formatter.ExtendedJson") is (
        EXTENDED_JSON
    )
    assert formatter_for("SimplifiedJson") is SIMPLIFIED_JSON
    with pytest.raises(ConfigError) as e:
        formatter_for("com.example.MyJson")
    assert e.value.key == "output.json.formatter"
