"""``bit``/``varbit`` and ``point`` columns, as Debezium 3.6's ``PostgresValueConverter`` maps
them: text in (pgoutput's, or the snapshot's ``::text``), Connect schema and value out."""

from __future__ import annotations

import struct

import pytest

from sluice.api import Struct, Type
from sluice.connectors.debezium import postgres_types as pt
from sluice.connectors.debezium.postgres_types import ColumnInfo, TypeSettings, map_column


def _map(oid: int, mod: int = -1, optional: bool = True, **settings: object) -> pt.ColumnMapping:
    mapping = map_column(ColumnInfo("c", oid, mod, optional), TypeSettings(**settings))  # type: ignore[arg-type]
    assert mapping is not None
    return mapping


@pytest.mark.parametrize(("oid", "mod"), [(pt.BIT, 1), (pt.VARBIT, 1)])
def test_one_bit_is_a_boolean(oid: int, mod: int) -> None:
    mapping = _map(oid, mod)
    assert mapping.schema.type is Type.BOOLEAN
    assert mapping.schema.name is None and mapping.schema.optional
    assert mapping.convert("1") is True
    assert mapping.convert("0") is False
    assert mapping.convert(None) is None
    assert _map(oid, mod, optional=False).convert(None) is False  # Debezium's fallback


@pytest.mark.parametrize(
    ("oid", "mod", "length"),
    [(pt.BIT, 3, "3"), (pt.BIT, 16, "16"), (pt.VARBIT, 12, "12"), (pt.VARBIT, -1, "2147483647")],
)
def test_bit_strings_are_bits(oid: int, mod: int, length: str) -> None:
    schema = _map(oid, mod).schema
    assert schema.type is Type.BYTES
    assert schema.name == "io.debezium.data.Bits"
    assert schema.version == 1
    assert schema.parameters == {"length": length}


def test_bits_values_in_debeziums_byte_order() -> None:
    """The string read as a binary number (its last bit is bit 0), little-endian, as many bytes
    as its highest set bit needs (``BitSet.toByteArray``), whatever the declared length."""
    bits = _map(pt.BIT, 16).convert
    assert bits("0000000100000010") == b"\x02\x01"
    assert bits("1000000000000000") == b"\x00\x80"
    assert bits("0000000000000101") == b"\x05"  # not padded to two bytes
    assert bits("0000000000000000") == b""
    assert _map(pt.BIT, 3).convert("101") == b"\x05"
    assert _map(pt.BIT, 3).convert("110") == b"\x06"
    varbit = _map(pt.VARBIT).convert
    assert varbit("1") == b"\x01"
    assert varbit("") == b""
    assert varbit("1" + "0" * 16) == b"\x00\x00\x01"
    assert varbit("11111111" * 3) == b"\xff\xff\xff"
    assert _map(pt.VARBIT, 40, optional=False).convert(None) == b""  # Debezium's byte[0]


def test_bits_defaults() -> None:
    """``PostgresDefaultValueConverter``'s bit and varbit mappers: the quoted literal, through
    the column's converter; a function default takes the placeholder (``00``, ``0``)."""

    def default(oid: int, mod: int, udt: str, expr: str) -> object:
        col = ColumnInfo("c", oid, mod, True, udt_name=udt, default_expr=expr)
        mapping = map_column(col, TypeSettings())
        assert mapping is not None
        return mapping.schema.default

    assert default(pt.BIT, 3, "bit", "'101'::\"bit\"") == b"\x05"
    assert default(pt.BIT, 1, "bit", "'1'::\"bit\"") is True
    assert default(pt.BIT, 1, "bit", "'0'::\"bit\"") is False
    assert default(pt.VARBIT, 8, "varbit", "'110'::\"bit\"") == b"\x06"
    assert default(pt.VARBIT, 8, "varbit", "f()") == b""


def test_point_schema() -> None:
    schema = _map(pt.POINT).schema
    assert schema.type is Type.STRUCT and schema.optional
    assert schema.name == "io.debezium.data.geometry.Point"
    assert schema.version == 1
    assert schema.doc == "Geometry (POINT)"
    fields = [(f.name, f.schema.type, f.schema.optional) for f in schema.fields]
    assert fields == [
        ("x", Type.FLOAT64, False),
        ("y", Type.FLOAT64, False),
        ("wkb", Type.BYTES, True),
        ("srid", Type.INT32, True),
    ]
    assert not _map(pt.POINT, optional=False).schema.optional


def test_point_values() -> None:
    mapping = _map(pt.POINT)
    value = mapping.convert("(1.5,-2)")
    assert isinstance(value, Struct) and value.schema is mapping.schema
    assert (value.get("x"), value.get("y"), value.get("srid")) == (1.5, -2.0, None)
    wkb = value.get("wkb")
    # byte order mark 1 (little-endian), type 1 (point), x, y
    assert wkb == bytes([1, 1, 0, 0, 0]) + struct.pack("<dd", 1.5, -2.0)
    assert len(wkb) == 21
    big = mapping.convert("(1e+300,-0.1)")
    assert (big.get("x"), big.get("y")) == (1e300, -0.1)
    assert mapping.convert(None) is None
    zero = _map(pt.POINT, optional=False).convert(None)  # Point.createValue(schema, 0, 0)
    assert (zero.get("x"), zero.get("y")) == (0.0, 0.0)
    assert zero.get("wkb") == pt.point_wkb(0.0, 0.0)
    assert zero.get("srid") is None
    zero.validate()


def test_arrays_debezium_leaves_out() -> None:
    """``varbit[]`` and ``point[]``: Debezium's schema builder returns null (not implemented),
    so the column is left out even with ``include.unknown.datatypes``."""
    for oid in (pt.VARBIT_ARRAY, pt.POINT_ARRAY):
        for include in (False, True):
            col = ColumnInfo("c", oid, -1, True)
            assert map_column(col, TypeSettings(include_unknown=include)) is None
