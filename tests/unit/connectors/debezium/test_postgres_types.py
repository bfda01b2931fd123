"""PostgreSQL text values to Debezium's Connect schemas and values."""

from __future__ import annotations

import decimal

from sluice.api import Struct
from sluice.connectors.debezium import postgres_types as pt
from sluice.connectors.debezium.pgoutput import UNCHANGED_TOAST
from sluice.connectors.debezium.postgres_offsets import ResumePoint, flush_lsn_of
from sluice.connectors.debezium.postgres_types import ColumnInfo, TypeSettings, map_column


def _map(oid: int, mod: int = -1, optional: bool = True, **settings: object) -> pt.ColumnMapping:
    mapping = map_column(ColumnInfo("c", oid, mod, optional), TypeSettings(**settings))  # type: ignore[arg-type]
    assert mapping is not None
    return mapping


def test_zoned_timestamp_and_time() -> None:
    assert pt.zoned_timestamp("2024-02-29 13:14:15.5+01", 6) == "2024-02-29T12:14:15.500000Z"
    assert pt.zoned_timestamp("2024-02-29 00:30:00+05:30", 3) == "2024-02-28T19:00:00.000Z"
    assert pt.zoned_timestamp("infinity", 6) == "infinity"
    assert pt.zoned_time("10:00:00+02") == "08:00:00Z"
    assert pt.zoned_time("01:00:00.25-03") == "04:00:00.25Z"


def test_arrays() -> None:
    assert pt.parse_array("{1,NULL,3}") == ["1", None, "3"]
    assert pt.parse_array('{"a \\"b\\"",c,""}') == ['a "b"', "c", ""]
    assert pt.parse_array("{}") == []
    assert _map(pt.INT4_ARRAY).convert("{1,2}") == [1, 2]


def test_decimal_modes() -> None:
    fixed = _map(pt.NUMERIC, (10 << 16 | 2) + 4)
    assert fixed.schema.name == "org.apache.kafka.connect.data.Decimal"
    assert fixed.schema.parameters == {"scale": "2", "connect.decimal.precision": "10"}
    assert fixed.convert("1.5") == decimal.Decimal("1.50")
    assert fixed.convert("NaN") is None
    variable = _map(pt.NUMERIC)
    value = variable.convert("-12.345")
    assert (
        isinstance(value, Struct) and value.schema.name == "io.debezium.data.VariableScaleDecimal"
    )
    assert value.get("scale") == 3
    assert int.from_bytes(value.get("value"), "big", signed=True) == -12345
    assert _map(pt.NUMERIC, decimal_mode="double").convert("2.25") == 2.25
    assert _map(pt.NUMERIC, decimal_mode="string").convert("2.250") == "2.250"


def test_time_precision_modes() -> None:
    assert _map(pt.TIME, 3).schema.name == "io.debezium.time.Time"
    assert _map(pt.TIME, 3, time_precision_mode="adaptive_time_microseconds").schema.name == (
        "io.debezium.time.MicroTime"
    )
    ts = _map(pt.TIMESTAMP)
    assert ts.schema.name == "io.debezium.time.MicroTimestamp"
    assert ts.convert("1970-01-02 00:00:00.000001") == 86_400_000_001
    connect = _map(pt.TIMESTAMP, time_precision_mode="connect")
    assert connect.schema.name == "org.apache.kafka.connect.data.Timestamp"
    assert _map(pt.DATE).convert("1969-12-31") == -1


def test_nulls_toast_and_unknown() -> None:
    required = _map(pt.TEXT, optional=False)
    assert required.convert(None) == ""  # Debezium's fallback for a required column
    assert required.convert(UNCHANGED_TOAST) == "__debezium_unavailable_value"
    assert _map(pt.BYTEA).convert("\\x00ff") == b"\x00\xff"
    box = 603  # Debezium 3.6 maps point, but not box
    assert map_column(ColumnInfo("g", box, -1, True), TypeSettings()) is None
    raw = map_column(ColumnInfo("g", box, -1, True), TypeSettings(include_unknown=True))
    assert raw is not None and raw.convert("(1,2),(0,0)") == b"(1,2),(0,0)"


def test_offsets_resume_and_flush() -> None:
    offset = {"lsn": 500, "lsn_proc": 500, "lsn_commit": 400, "txId": 9, "lsn_events_processed": 1}
    assert flush_lsn_of(offset) == 400
    assert flush_lsn_of({"lsn": 1, "snapshot": "INITIAL", "last_snapshot_record": True}) is None
    resume = ResumePoint.of(offset)
    assert resume.start_lsn == 400
    assert resume.skips(9, 500, 1) and resume.skips(9, 450, 1)
    assert not resume.skips(9, 510, 1) and not resume.skips(10, 450, 1)


def test_infinity_xml_and_intervals() -> None:
    assert _map(pt.TIMESTAMP).convert("infinity") == pt.INFINITY_MICROS
    assert _map(pt.TIMESTAMP, 3).convert("-infinity") == pt.NEGATIVE_INFINITY_MICROS // 1000
    assert _map(pt.XML).schema.name == "io.debezium.data.Xml"
    assert pt.interval_micros("00:00:01.5") == 1_500_000
    assert pt.interval_micros("1 day -01:00:00") == 23 * 3600 * 1_000_000
    assert pt.interval_micros("1 mon") == int(365.25 / 12 * 86_400 * 1e6)


def test_defaults_as_debezium_reads_them() -> None:
    def default(udt: str, oid: int, expr: str, optional: bool = True) -> object:
        col = ColumnInfo("c", oid, -1, optional, udt_name=udt, default_expr=expr)
        mapping = map_column(col, TypeSettings())
        assert mapping is not None
        return mapping.schema.default

    assert default("int4", pt.INT4, "7") == 7
    assert default("int4", pt.INT4, "nextval('t_id_seq'::regclass)", False) == 0
    assert default("varchar", pt.VARCHAR, "'it''s'::character varying") == "it's"
    assert default("timestamptz", pt.TIMESTAMPTZ, "now()") == "1970-01-01T00:00:00.000000Z"
    assert default("numeric", pt.NUMERIC, "1.5") is None  # a VariableScaleDecimal struct
    assert default("int4", pt.INT4, "NULL::integer") is None
