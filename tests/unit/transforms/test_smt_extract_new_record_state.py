"""Debezium's ExtractNewRecordState: the cases of Debezium's ExtractNewRecordStateTest."""

from __future__ import annotations

from typing import Any

import pytest

from sluice.api import ConfigError, Headers, Schema, SchemaBuilder, SourceRecord, Struct
from sluice.transforms import TRANSFORM_ALIASES
from sluice.transforms.extract_new_record_state import ExtractNewRecordState
from tests.fixtures.debezium_envelope import SOURCE, envelope_schema, key_schema

TOPIC = "dbz.public.customers"

ROW = (
    SchemaBuilder.struct()
    .name(f"{TOPIC}.Value")
    .field("id", Schema.INT32_SCHEMA)
    .field("name", Schema.OPTIONAL_STRING_SCHEMA)
    .optional()
    .build()
)
KEY = key_schema(TOPIC)
ENVELOPE = envelope_schema(TOPIC, ROW)


def _row(id_: int, name: str | None) -> Struct:
    return Struct(ROW).put("id", id_).put("name", name)


def _record(
    op: str | None,
    before: Struct | None = None,
    after: Struct | None = None,
    *,
    headers: Headers | None = None,
) -> SourceRecord:
    """A Debezium change event (op None: the tombstone that follows a delete)."""
    row = after if after is not None else before
    key = Struct(KEY).put("id", row.get("id") if row is not None else 1)
    if op is None:
        return SourceRecord({}, {}, TOPIC, 0, KEY, key, None, None, 1000, headers)
    source = (
        Struct(SOURCE)
        .put("version", "3.4.0.Final")
        .put("ts_ms", 111)
        .put("table", "customers")
        .put("lsn", 2222)
    )
    value = (
        Struct(ENVELOPE)
        .put("before", before)
        .put("after", after)
        .put("source", source)
        .put("op", op)
        .put("ts_ms", 333)
    )
    return SourceRecord({}, {}, TOPIC, 0, KEY, key, ENVELOPE, value, 1000, headers)


def _smt(**configs: Any) -> ExtractNewRecordState[SourceRecord]:
    smt: ExtractNewRecordState[SourceRecord] = ExtractNewRecordState()
    smt.configure({k.replace("_", "."): v for k, v in configs.items()})
    return smt


CREATE = _record("c", after=_row(1, "ann"))
READ = _record("r", after=_row(1, "ann"))
UPDATE = _record("u", before=_row(1, "ann"), after=_row(1, "bob"))
DELETE = _record("d", before=_row(1, "bob"))
TOMBSTONE = _record(None, before=_row(1, "bob"))
TRUNCATE = _record("t")


def test_registered_under_debezium_class_name() -> None:
    target = "sluice.transforms.extract_new_record_state:ExtractNewRecordState"
    assert TRANSFORM_ALIASES["io.debezium.transforms.ExtractNewRecordState"] == target
    assert TRANSFORM_ALIASES["ExtractNewRecordState"] == target


@pytest.mark.parametrize("record", [CREATE, READ, UPDATE], ids=["create", "read", "update"])
def test_create_read_update_become_the_after_row(record: SourceRecord) -> None:
    out = _smt().apply(record)
    assert out is not None
    # Debezium rebuilds the row schema from its basics (add.fields or not): no longer optional.
    assert (
        out.value_schema
        == SchemaBuilder.struct()
        .name(ROW.name)
        .field("id", Schema.INT32_SCHEMA)
        .field("name", Schema.OPTIONAL_STRING_SCHEMA)
        .build()
    )
    assert out.value.values() == record.value.get("after").values()
    assert (out.topic, out.key, out.key_schema, out.timestamp) == (TOPIC, record.key, KEY, 1000)
    assert out.source_offset == record.source_offset


def test_default_mode_turns_delete_into_null_value_and_drops_tombstone() -> None:
    smt = _smt()
    out = smt.apply(DELETE)
    assert out is not None
    # Debezium keeps after's schema with the null value; JDBC sinks read it as a delete.
    assert (out.value, out.value_schema, out.key) == (None, ROW, DELETE.key)
    assert smt.apply(TOMBSTONE) is None


def test_drop_mode_drops_deletes_and_tombstones() -> None:
    smt = _smt(delete_tombstone_handling_mode="drop")
    assert smt.apply(DELETE) is None
    assert smt.apply(TOMBSTONE) is None
    assert smt.apply(CREATE) is not None


def test_rewrite_mode_marks_rows_with_deleted_field() -> None:
    smt = _smt(delete_tombstone_handling_mode="rewrite")
    deleted = smt.apply(DELETE)
    assert deleted is not None
    assert deleted.value.get("id") == 1 and deleted.value.get("name") == "bob"
    assert deleted.value.get("__deleted") == "true"
    assert deleted.value_schema.field("__deleted").schema == Schema.OPTIONAL_STRING_SCHEMA
    updated = smt.apply(UPDATE)
    assert updated is not None and updated.value.get("__deleted") == "false"
    assert updated.value.get("name") == "bob"
    assert smt.apply(TOMBSTONE) is None


def test_rewrite_with_tombstone_keeps_the_tombstone() -> None:
    smt = _smt(delete_tombstone_handling_mode="rewrite-with-tombstone")
    assert smt.apply(TOMBSTONE) is TOMBSTONE
    deleted = smt.apply(DELETE)
    assert deleted is not None and deleted.value.get("__deleted") == "true"


def test_delete_to_tombstone_mode_makes_a_real_tombstone() -> None:
    smt = _smt(delete_tombstone_handling_mode="DELETE-TO-TOMBSTONE")
    out = smt.apply(DELETE)
    assert out is not None
    assert (out.value, out.value_schema, out.key) == (None, None, DELETE.key)
    assert smt.apply(TOMBSTONE) is None


def test_unknown_mode_is_rejected() -> None:
    with pytest.raises(ConfigError, match="delete.tombstone.handling.mode"):
        _smt(delete_tombstone_handling_mode="delete")


def test_legacy_options_when_set_and_new_mode_absent() -> None:
    # Debezium before 3.2: drop.tombstones default true, delete.handling.mode default drop.
    legacy = _smt(drop_tombstones="false")
    assert legacy.apply(DELETE) is None
    assert legacy.apply(TOMBSTONE) is TOMBSTONE
    none = _smt(delete_handling_mode="none")
    out = none.apply(DELETE)
    assert out is not None and (out.value, out.value_schema) == (None, ROW)
    assert none.apply(TOMBSTONE) is None
    rewrite = _smt(delete_handling_mode="rewrite", drop_tombstones="true")
    deleted = rewrite.apply(DELETE)
    assert deleted is not None and deleted.value.get("__deleted") == "true"
    created = rewrite.apply(CREATE)
    assert created is not None and created.value.get("__deleted") == "false"
    # The 3.x option wins when both are given.
    both = _smt(delete_tombstone_handling_mode="tombstone", delete_handling_mode="drop")
    assert both.apply(DELETE) is not None


def test_truncate_is_dropped() -> None:
    assert _smt().apply(TRUNCATE) is None


def test_add_fields_with_prefix_struct_names_and_renames() -> None:
    smt = _smt(add_fields="op,table,lsn,source.ts_ms,ts_ms,id,version:ver")
    out = smt.apply(UPDATE)
    assert out is not None
    value = out.value
    assert isinstance(value, Struct)
    assert [f.name for f in value.schema.fields] == [
        "id",
        "name",
        "__op",
        "__table",
        "__lsn",
        "__source_ts_ms",
        "__ts_ms",
        "__id",
        "__ver",
    ]
    assert value.get("__op") == "u"
    assert value.get("__table") == "customers"
    assert value.get("__lsn") == 2222
    assert value.get("__source_ts_ms") == 111
    assert value.get("__ts_ms") == 333
    # "id" is the transaction id; there is no transaction block, so it is null.
    assert value.get("__id") is None
    assert value.get("__ver") == "3.4.0.Final"
    assert value.schema.field("__op").schema == Schema.OPTIONAL_STRING_SCHEMA
    assert value.schema.field("__table").schema == Schema.OPTIONAL_STRING_SCHEMA
    assert value.get("name") == "bob"


def test_add_fields_custom_prefix_and_on_rewritten_delete() -> None:
    smt = _smt(
        add_fields="op,source.ts_ms",
        add_fields_prefix="meta_",
        delete_tombstone_handling_mode="rewrite",
    )
    out = smt.apply(DELETE)
    assert out is not None
    assert out.value.get("meta_op") == "d"
    assert out.value.get("meta_source_ts_ms") == 111
    assert out.value.get("__deleted") == "true"


def test_add_fields_missing_from_envelope_are_skipped() -> None:
    out = _smt(add_fields="op,no_such_field").apply(CREATE)
    assert out is not None
    assert [f.name for f in out.value.schema.fields] == ["id", "name", "__op"]


def test_add_headers() -> None:
    original = Headers().add("existing", "x")
    record = _record("u", before=_row(1, "ann"), after=_row(1, "bob"), headers=original)
    smt = _smt(add_headers="op,source.ts_ms,table", add_headers_prefix="h_")
    out = smt.apply(record)
    assert out is not None
    assert [(h.key, h.value) for h in out.headers] == [
        ("existing", "x"),
        ("h_op", "u"),
        ("h_source_ts_ms", 111),
        ("h_table", "customers"),
    ]
    assert out.headers.last_with_name("h_op").schema == Schema.OPTIONAL_STRING_SCHEMA
    # The incoming record is left as it was.
    assert [h.key for h in record.headers] == ["existing"]


def test_add_headers_on_tombstone_carries_only_the_delete_operation() -> None:
    smt = _smt(add_headers="op,table", delete_tombstone_handling_mode="rewrite-with-tombstone")
    out = smt.apply(TOMBSTONE)
    assert out is not None
    assert [(h.key, h.value) for h in out.headers] == [("__op", "d")]


def test_route_by_field() -> None:
    smt = _smt(route_by_field="name")
    created = smt.apply(CREATE)
    assert created is not None and created.topic == "ann"
    deleted = smt.apply(DELETE)
    assert deleted is not None and deleted.topic == "bob"  # read from before


@pytest.mark.parametrize(
    "schema",
    [
        SchemaBuilder.struct()
        .name("io.debezium.connector.common.Heartbeat")
        .field("ts_ms", Schema.INT64_SCHEMA)
        .build(),
        SchemaBuilder.struct()
        .name("io.debezium.connector.postgresql.SchemaChangeValue")
        .field("ddl", Schema.STRING_SCHEMA)
        .build(),
    ],
    ids=["heartbeat", "schema-change"],
)
def test_non_envelopes_pass_unchanged(schema: Schema) -> None:
    value = Struct(schema).put(
        schema.fields[0].name, 1 if schema.fields[0].name == "ts_ms" else "x"
    )
    record = SourceRecord({}, {}, "t", 0, None, None, schema, value, 1)
    assert _smt(add_fields="op", add_headers="op").apply(record) is record
    plain = SourceRecord({}, {}, "t", 0, None, None, Schema.STRING_SCHEMA, "text", 1)
    assert _smt().apply(plain) is plain
    schemaless = SourceRecord({}, {}, "t", 0, None, None, None, {"a": 1}, 1)
    assert _smt().apply(schemaless) is schemaless


def test_schemaless_envelopes() -> None:
    update = SourceRecord(
        {},
        {},
        TOPIC,
        0,
        None,
        {"id": 1},
        None,
        {
            "before": {"id": 1, "name": "ann"},
            "after": {"id": 1, "name": "bob"},
            "source": {"table": "customers", "ts_ms": 111},
            "op": "u",
            "ts_ms": 333,
        },
        1,
    )
    out = _smt(add_fields="op,table", add_headers="source.ts_ms").apply(update)
    assert out is not None
    assert out.value == {"id": 1, "name": "bob", "__op": "u", "__table": "customers"}
    assert [(h.key, h.value) for h in out.headers] == [("__source_ts_ms", 111)]
    delete = SourceRecord(
        {},
        {},
        TOPIC,
        0,
        None,
        {"id": 1},
        None,
        {"before": {"id": 1, "name": "bob"}, "after": None, "op": "d"},
        1,
    )
    out = _smt().apply(delete)
    assert out is not None and out.value is None
    rewritten = _smt(delete_tombstone_handling_mode="rewrite").apply(delete)
    assert rewritten is not None
    assert rewritten.value == {"id": 1, "name": "bob", "__deleted": "true"}


@pytest.mark.parametrize(("replace", "expected"), [("true", "default_str"), ("false", None)])
def test_rewrite_honours_replace_null_with_default(replace: str, expected: str | None) -> None:
    # Debezium's DBZ-7094 cases: the __deleted insertion copies fields with or without defaults.
    row = (
        SchemaBuilder.struct()
        .field("id", Schema.INT8_SCHEMA)
        .field("name", SchemaBuilder.string().optional().default_value("default_str").build())
        .optional()
        .build()
    )
    envelope = (
        SchemaBuilder.struct()
        .name("dummy.Envelope")
        .field("before", row)
        .field("after", row)
        .field("op", Schema.STRING_SCHEMA)
        .build()
    )
    value = Struct(envelope).put("after", Struct(row).put("id", 1)).put("op", "c")
    record = SourceRecord({}, {}, "dummy", None, None, None, envelope, value, None)
    smt = _smt(delete_tombstone_handling_mode="rewrite", replace_null_with_default=replace)
    out = smt.apply(record)
    assert out is not None
    assert out.value.get_without_default("name") == expected
    assert out.value.get("__deleted") == "false"
