import datetime as dt
import decimal
from collections.abc import Callable

import pytest

from sluice.api import (
    ConfigError,
    DataError,
    Decimal,
    Schema,
    SchemaBuilder,
    SinkRecord,
    Struct,
    Timestamp,
)
from sluice.transforms.mask_field import MaskFieldKey, MaskFieldValue

SCHEMA = (
    SchemaBuilder.struct()
    .field("i8", Schema.INT8_SCHEMA)
    .field("i32", Schema.INT32_SCHEMA)
    .field("f32", Schema.FLOAT32_SCHEMA)
    .field("f64", Schema.OPTIONAL_FLOAT64_SCHEMA)
    .field("b", Schema.BOOLEAN_SCHEMA)
    .field("s", Schema.STRING_SCHEMA)
    .field("dec", Decimal.schema(2))
    .field("ts", Timestamp.SCHEMA)
    .field("arr", SchemaBuilder.array(Schema.INT32_SCHEMA).build())
    .field("map", SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.STRING_SCHEMA).build())
    .field("bytes", Schema.BYTES_SCHEMA)
    .field("keep", Schema.STRING_SCHEMA)
    .build()
)

SinkFactory = Callable[..., SinkRecord]
ALL = "i8,i32,f32,f64,b,s,dec,ts,arr,map"


def value() -> Struct:
    return (
        Struct(SCHEMA)
        .put("i8", 5)
        .put("i32", 7)
        .put("f32", 1.5)
        .put("f64", 2.5)
        .put("b", True)
        .put("s", "secret")
        .put("dec", decimal.Decimal("12.34"))
        .put("ts", dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
        .put("arr", [1])
        .put("map", {"k": "v"})
        .put("bytes", b"x")
        .put("keep", "visible")
    )


def mask(fields: str, key: bool = False, **extra: str) -> MaskFieldValue[SinkRecord]:
    t = MaskFieldKey() if key else MaskFieldValue()
    t.configure({"fields": fields, **extra})
    return t  # type: ignore[return-value]


def test_masks_with_the_types_empty_value(sink: SinkFactory) -> None:
    out = mask(ALL).apply(sink(SCHEMA, value()))
    assert out is not None and out.value_schema is SCHEMA
    v = out.value
    assert [v.get(f) for f in ALL.split(",")] == [
        0,
        0,
        0.0,
        0.0,
        False,
        "",
        decimal.Decimal(0),
        dt.datetime(1970, 1, 1, tzinfo=dt.UTC),
        [],
        {},
    ]
    assert v.get("keep") == "visible"


def test_custom_replacement_converts_to_the_field_type(sink: SinkFactory) -> None:
    out = mask("i8,i32,f32,s,dec", replacement="300.7").apply(sink(SCHEMA, value()))
    assert out is not None
    v = out.value
    assert (v.get("i8"), v.get("i32"), v.get("s"), v.get("dec")) == (
        44,
        300,
        "300.7",
        decimal.Decimal("300.7"),
    )
    assert v.get("f32") == pytest.approx(300.7, rel=1e-6)


def test_replacement_errors(sink: SinkFactory) -> None:
    with pytest.raises(
        DataError, match=r"Unable to convert abc \(class java.lang.String\) to a number"
    ):
        mask("i32", replacement="abc").apply(sink(SCHEMA, value()))
    with pytest.raises(
        DataError,
        match="Cannot mask value of type class java.lang.Boolean with custom replacement.",
    ):
        mask("b", replacement="x").apply(sink(SCHEMA, value()))
    with pytest.raises(DataError, match=r"Cannot mask value of type: class \[B"):
        mask("bytes").apply(sink(SCHEMA, value()))


def test_schemaless_masking_adds_missing_fields(sink: SinkFactory) -> None:
    out = mask("a,b,c,missing", key=True).apply(
        sink(None, "v", None, {"a": 3, "b": [1], "c": None, "d": "x"})
    )
    assert out is not None and out.key == {"a": 0, "b": [], "c": None, "missing": None, "d": "x"}


def test_nulls_stay_null_but_tombstones_fail(sink: SinkFactory) -> None:
    with pytest.raises(DataError, match="found: null"):
        mask("a").apply(sink(None, None))


def test_empty_replacement_is_rejected() -> None:
    with pytest.raises(
        ConfigError, match="Invalid value  for configuration replacement: String must be non-empty"
    ):
        mask("a", replacement="")
