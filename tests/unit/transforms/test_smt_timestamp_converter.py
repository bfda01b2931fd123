import datetime as dt
from collections.abc import Callable

import pytest

from sluice.api import (
    ConfigError,
    ConnectError,
    DataError,
    Date,
    Schema,
    SchemaBuilder,
    SinkRecord,
    Struct,
    Time,
    Timestamp,
)
from sluice.transforms.timestamp_converter import TimestampConverterKey, TimestampConverterValue

MILLIS = 1_700_000_123_456  # 2023-11-14T22:15:23.456Z
WHEN = dt.datetime(2023, 11, 14, 22, 15, 23, 456000, tzinfo=dt.UTC)
SCHEMA = (
    SchemaBuilder.struct()
    .name("com.acme.Event")
    .field("when", Schema.INT64_SCHEMA)
    .field("other", Schema.OPTIONAL_STRING_SCHEMA)
    .build()
)

SinkFactory = Callable[..., SinkRecord]


def converter(key: bool = False, **config: str) -> TimestampConverterValue[SinkRecord]:
    t = TimestampConverterKey() if key else TimestampConverterValue()
    t.configure({k.replace("_", "."): v for k, v in config.items()})
    return t  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("config", "schema", "value"),
    [
        ({"target_type": "Timestamp"}, Timestamp.SCHEMA, WHEN),
        ({"target_type": "Date"}, Date.SCHEMA, dt.date(2023, 11, 14)),
        ({"target_type": "Time"}, Time.SCHEMA, Time.to_logical(Time.SCHEMA, 80_123_456)),
        ({"target_type": "unix"}, Schema.INT64_SCHEMA, MILLIS),
        (
            {"target_type": "string", "format": "yyyy-MM-dd'T'HH:mm:ss.SSSXXX"},
            Schema.STRING_SCHEMA,
            "2023-11-14T22:15:23.456Z",
        ),
    ],
)
def test_whole_value_from_unix_millis(
    sink: SinkFactory, config: dict[str, str], schema: Schema, value: object
) -> None:
    out = converter(**config).apply(sink(Schema.INT64_SCHEMA, MILLIS))
    assert out is not None and out.value_schema == schema and out.value == value


@pytest.mark.parametrize(
    ("precision", "expected"),
    [("seconds", 1_700_000_123), ("microseconds", MILLIS * 1000), ("nanoseconds", MILLIS * 10**6)],
)
def test_unix_precision_for_output(sink: SinkFactory, precision: str, expected: int) -> None:
    out = converter(target_type="unix", unix_precision=precision).apply(
        sink(Timestamp.SCHEMA, WHEN)
    )
    assert out is not None and out.value == expected


def test_unix_precision_for_input_too(sink: SinkFactory) -> None:
    out = converter(target_type="Timestamp", unix_precision="seconds").apply(
        sink(Schema.INT64_SCHEMA, 1_700_000_123)
    )
    assert out is not None and out.value == dt.datetime(2023, 11, 14, 22, 15, 23, tzinfo=dt.UTC)


def test_optional_schema_stays_optional(sink: SinkFactory) -> None:
    out = converter(target_type="Timestamp").apply(sink(Schema.OPTIONAL_INT64_SCHEMA, None))
    assert out is not None and out.value is None
    assert out.value_schema == Timestamp.builder().optional().build()


def test_string_input_is_parsed_leniently(sink: SinkFactory) -> None:
    out = converter(target_type="unix", format="yyyy-MM-dd HH:mm").apply(
        sink(Schema.STRING_SCHEMA, "2024-02-30 24:00")
    )
    assert out is not None and out.value == 1_709_337_600_000  # 2024-03-02T00:00Z


def test_unparseable_string(sink: SinkFactory) -> None:
    with pytest.raises(
        DataError, match=r"Could not parse timestamp: value \(bad\) does not match pattern \(yyyy\)"
    ):
        converter(target_type="unix", format="yyyy").apply(sink(Schema.STRING_SCHEMA, "bad"))


def test_field_of_struct_and_schema_cache(sink: SinkFactory) -> None:
    t = converter(field="when", target_type="Date")
    a = t.apply(sink(SCHEMA, Struct(SCHEMA).put("when", MILLIS).put("other", "x")))
    b = t.apply(sink(SCHEMA, Struct(SCHEMA).put("when", 0)))
    assert a is not None and b is not None and a.value_schema is b.value_schema
    assert a.value_schema is not None and a.value_schema.name == "com.acme.Event"
    assert a.value_schema.field("when").schema == Date.SCHEMA  # type: ignore[union-attr]
    assert a.value.get("when") == dt.date(2023, 11, 14) and a.value.get("other") == "x"
    assert b.value.get("when") == dt.date(1970, 1, 1)


def test_schemaless_field_and_inference(sink: SinkFactory) -> None:
    t = converter(key=True, field="ts", target_type="string", format="yyyy")
    out = t.apply(sink(None, "v", None, {"ts": WHEN, "x": 1}))
    assert out is not None and out.key == {"ts": "2023", "x": 1}
    missing = t.apply(sink(None, "v", None, {"x": 1}))
    assert missing is not None and missing.key == {"x": 1, "ts": None}


def test_precision_conversions_truncate_toward_zero(sink: SinkFactory) -> None:
    nanos = converter(target_type="Timestamp", unix_precision="nanoseconds")
    out = nanos.apply(sink(None, -1_999_999))
    assert out is not None and out.value == dt.datetime(
        1969, 12, 31, 23, 59, 59, 999000, tzinfo=dt.UTC
    )


def test_unsupported_inputs(sink: SinkFactory) -> None:
    with pytest.raises(
        DataError, match="TimestampConverter does not support class java.lang.Boolean"
    ):
        converter(target_type="Date").apply(sink(None, True))
    with pytest.raises(
        ConnectError,
        match=r"Schema Schema\{INT32\} does not correspond to a known timestamp type format",
    ):
        converter(target_type="Date").apply(sink(Schema.INT32_SCHEMA, 5))
    with pytest.raises(
        DataError, match="Expected Unix timestamp to be a Long, but found class java.lang.String"
    ):
        converter(target_type="Date").apply(sink(Schema.INT64_SCHEMA, "x"))
    with pytest.raises(DataError, match="Expected Date to be a java.util.Date"):
        converter(target_type="unix").apply(sink(Date.SCHEMA, "2024"))


def test_config_errors() -> None:
    with pytest.raises(
        ConfigError, match="requires format option to be specified when using string timestamps"
    ):
        converter(target_type="string")
    with pytest.raises(ConfigError, match="Illegal pattern character 'b'"):
        converter(target_type="string", format="yyyy-bb")
    with pytest.raises(
        ConfigError, match="String must be one of: string, unix, Date, Time, Timestamp"
    ):
        converter(target_type="epoch")
