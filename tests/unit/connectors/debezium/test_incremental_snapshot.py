"""Incremental snapshots without a database: the watermark window, its deduplication against the
stream, the offsets (Debezium's keys and Java-serialized positions) and bad signals."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from sluice.api import Schema, SchemaBuilder, SourceRecord, Struct
from sluice.connectors.debezium.incremental_snapshot import (
    COLLECTIONS,
    CORRELATION_ID,
    MAXIMUM_KEY,
    PRIMARY_KEY,
    IncrementalSnapshot,
    java_deserialize,
    java_serialize,
    parse_collection,
)

# Written by Java 17's ObjectOutputStream (new Object[]{...}), as Debezium stores chunk positions.
JAVA_INT_1 = (
    "aced0005757200135b4c6a6176612e6c616e672e4f626a6563743b90ce589f1073296c02000078700000000173"
    "7200116a6176612e6c616e672e496e746567657212e2a0a4f781873802000149000576616c7565787200106a61"
    "76612e6c616e672e4e756d62657286ac951d0b94e08b020000787000000001"
)
JAVA_LONG_1 = (
    "aced0005757200135b4c6a6176612e6c616e672e4f626a6563743b90ce589f1073296c02000078700000000173"
    "72000e6a6176612e6c616e672e4c6f6e673b8be490cc8f23df0200014a000576616c7565787200106a6176612e"
    "6c616e672e4e756d62657286ac951d0b94e08b02000078700000000000000001"
)
JAVA_MIXED = (  # {"ab", 2, 3L, 4, 5L, "ab"}: back-references to classes and to the string
    "aced0005757200135b4c6a6176612e6c616e672e4f626a6563743b90ce589f1073296c02000078700000000674"
    "00026162737200116a6176612e6c616e672e496e746567657212e2a0a4f781873802000149000576616c756578"
    "7200106a6176612e6c616e672e4e756d62657286ac951d0b94e08b0200007870000000027372000e6a6176612e"
    "6c616e672e4c6f6e673b8be490cc8f23df0200014a000576616c75657871007e000400000000000000037371007e"
    "0003000000047371007e0006000000000000000571007e0002"
)
JAVA_SHORT_7 = (
    "aced0005757200135b4c6a6176612e6c616e672e4f626a6563743b90ce589f1073296c02000078700000000173"
    "72000f6a6176612e6c616e672e53686f7274684d37133460da5202000153000576616c7565787200106a617661"
    "2e6c616e672e4e756d62657286ac951d0b94e08b02000078700007"
)
JAVA_INT_STRING = (  # {-5, "héllo"}
    "aced0005757200135b4c6a6176612e6c616e672e4f626a6563743b90ce589f1073296c02000078700000000273"
    "7200116a6176612e6c616e672e496e746567657212e2a0a4f781873802000149000576616c7565787200106a61"
    "76612e6c616e672e4e756d62657286ac951d0b94e08b0200007870fffffffb74000668c3a96c6c6f"
)


def test_java_serialization_is_byte_for_byte_javas() -> None:
    assert java_serialize([1]) == JAVA_INT_1
    assert java_serialize([2**40]) != JAVA_LONG_1 and java_deserialize(java_serialize([2**40])) == [
        2**40
    ]
    assert java_serialize([-5, "héllo"]) == JAVA_INT_STRING
    assert java_serialize(None) == "aced000570"
    assert java_deserialize(JAVA_LONG_1) == [1]
    assert java_deserialize(JAVA_MIXED) == ["ab", 2, 3, 4, 5, "ab"]
    assert java_deserialize(JAVA_SHORT_7) == [7]
    assert java_deserialize("aced000570") is None
    for values in ([1, 2**31, -(2**31), "x\x00y", "𝄞", None], ["a" * 70000]):
        assert java_deserialize(java_serialize(values)) == values
    with pytest.raises(ValueError):
        java_deserialize("zz")
    with pytest.raises(ValueError):
        java_deserialize("0001")


def test_signal_table_setting() -> None:
    assert parse_collection(None, "<schema>.<table>") is None
    assert parse_collection(" public.signals ", "<schema>.<table>") == ("public", "signals")
    with pytest.raises(ValueError, match=r"signal\.data\.collection='signals'.*<schema>\.<table>"):
        parse_collection("signals", "<schema>.<table>")


# -- a database in memory --------------------------------------------------------------------------

SOURCE = (
    SchemaBuilder.struct()
    .field("schema", Schema.STRING_SCHEMA)
    .field("table", Schema.STRING_SCHEMA)
    .field("snapshot", Schema.OPTIONAL_STRING_SCHEMA)
    .field("pos", Schema.INT64_SCHEMA)
    .build()
)
KEY = SchemaBuilder.struct().field("id", Schema.INT64_SCHEMA).build()
ROW = (
    SchemaBuilder.struct()
    .optional()
    .field("id", Schema.INT64_SCHEMA)
    .field("v", Schema.OPTIONAL_STRING_SCHEMA)
    .build()
)
SIGNAL = (
    SchemaBuilder.struct()
    .optional()
    .field("id", Schema.STRING_SCHEMA)
    .field("type", Schema.STRING_SCHEMA)
    .field("data", Schema.OPTIONAL_STRING_SCHEMA)
    .build()
)


def _envelope(row: Schema) -> Schema:
    return (
        SchemaBuilder.struct()
        .field("before", row)
        .field("after", row)
        .field("source", SOURCE)
        .field("op", Schema.STRING_SCHEMA)
        .build()
    )


ENVELOPE, SIGNAL_ENVELOPE = _envelope(ROW), _envelope(SIGNAL)
PARTITION = {"server": "srv"}


class FakeDatabase:
    """Tables of ``{id: v}``, a signal table whose inserts become the stream's next records."""

    def __init__(self, tables: dict[str, dict[int, str] | None]) -> None:
        self.tables = tables
        self.pending: list[SourceRecord] = []
        self.position = 0
        self.queries: list[tuple[str, list[Any] | None, list[Any], str]] = []
        self.fail_inserts = False

    # the stream ---------------------------------------------------------------------------
    def record(
        self, table: str, op: str, row: dict[str, Any] | None, *, before: bool = False
    ) -> SourceRecord:
        self.position += 1
        schema_name, name = table.split(".")
        source = Struct(SOURCE).put("schema", schema_name).put("table", name)
        source.put("pos", self.position)
        envelope = SIGNAL_ENVELOPE if name == "signals" else ENVELOPE
        value = Struct(envelope).put("source", source).put("op", op)
        row_schema = SIGNAL if name == "signals" else ROW
        if row is not None:
            image = Struct(row_schema)
            for name_, v in row.items():
                image.put(name_, v)
            value.put("before" if before else "after", image)
        key = None
        if name != "signals" and row is not None:
            key = Struct(KEY).put("id", row["id"])
        return SourceRecord(
            PARTITION, {"pos": self.position}, f"srv.{table}", None, KEY, key, envelope, value
        )

    def change(self, table: str, op: str, key: int, v: str | None = None) -> SourceRecord:
        rows = self.tables[table]
        assert rows is not None
        if op == "d":
            rows.pop(key, None)
            return self.record(table, "d", {"id": key, "v": None}, before=True)
        rows[key] = v or ""
        return self.record(table, op, {"id": key, "v": v})

    def signal(self, signal_id: str, kind: str, data: Any) -> SourceRecord:
        text = data if isinstance(data, str) or data is None else json.dumps(data)
        return self.record("public.signals", "c", {"id": signal_id, "type": kind, "data": text})

    # ChunkSource ----------------------------------------------------------------------------
    def captured_tables(self) -> list[str]:
        return sorted(self.tables)

    def primary_key(self, table: str) -> list[str] | None:
        if table not in self.tables:
            return None
        return [] if self.tables[table] is None else ["id"]

    def max_key(self, table: str, key: list[str], condition: str) -> list[Any] | None:
        rows = self.tables[table] or {}
        keys = [k for k, v in rows.items() if not condition or condition == v]
        return [max(keys)] if keys else None

    def chunk(
        self,
        table: str,
        key: list[str],
        after: list[Any] | None,
        maximum: list[Any],
        limit: int,
        condition: str,
    ) -> list[tuple[list[Any], Any]]:
        self.queries.append((table, after, maximum, condition))
        rows = self.tables[table] or {}
        keys = sorted(
            k
            for k, v in rows.items()
            if (after is None or k > after[0])
            and k <= maximum[0]
            and (not condition or v == condition)
        )
        return [([k], {"id": k, "v": rows[k]}) for k in keys[:limit]]

    def row_key(self, table: str, row: Any) -> Struct | None:
        return Struct(KEY).put("id", row["id"])

    def read_record(self, table: str, row: Any, at: SourceRecord) -> SourceRecord:
        record = self.record(table, "r", row)
        record.value.get("source").put("snapshot", "incremental")
        record.source_offset = dict(at.source_offset or {})
        return record

    def insert_signal(self, signal_id: str, signal_type: str, data: str) -> None:
        if self.fail_inserts:
            raise PermissionError("permission denied for table signals")
        self.pending.append(
            self.record("public.signals", "c", {"id": signal_id, "type": signal_type, "data": data})
        )

    def take(self) -> list[SourceRecord]:
        out, self.pending = self.pending, []
        return out


def _snapshotter(db: FakeDatabase, chunk: int = 2) -> IncrementalSnapshot:
    return IncrementalSnapshot(db, "public.signals", chunk, "schema")


def _reads(records: list[SourceRecord]) -> list[tuple[int, str]]:
    return [
        (r.value.get("after").get("id"), r.value.get("after").get("v"))
        for r in records
        if r.value is not None and r.value.get("op") == "r"
    ]


def _run(inc: IncrementalSnapshot, db: FakeDatabase, limit: int = 50) -> list[SourceRecord]:
    """Feed the watermarks back until the snapshot is over."""
    out: list[SourceRecord] = []
    for _ in range(limit):
        batch = db.take()
        if not batch:
            break
        out.extend(inc.process(batch))
    return out


def _final_state(records: list[SourceRecord]) -> dict[int, str | None]:
    """Replay the events per key, as a compacted topic would end."""
    state: dict[int, str | None] = {}
    for r in records:
        if r.value is None or r.value.get("source").get("table") != "items":
            continue
        if r.value.get("op") == "d":
            state.pop(r.value.get("before").get("id"), None)
        else:
            state[r.value.get("after").get("id")] = r.value.get("after").get("v")
    return state


def test_chunks_interleave_with_the_stream_and_never_go_stale() -> None:
    db = FakeDatabase({"public.items": {i: f"v{i}" for i in range(1, 8)}})
    inc = _snapshotter(db, chunk=3)
    signal = db.signal("sig-1", "execute-snapshot", {"data-collections": ["public.items"]})
    # committed after the signal, before the window opens (so before the chunk is read)
    early = db.change("public.items", "u", 1, "before-open")
    out = inc.process([signal])
    assert inc.running and inc.collections == ["public.items"]
    open_, close = db.take()
    assert open_.value.get("after").get("type") == "snapshot-window-open"
    assert close.value.get("after").get("type") == "snapshot-window-close"
    assert close.value.get("after").get("id").endswith("-close")
    assert "closeWindowTimestamp" in json.loads(close.value.get("after").get("data"))
    # older than the chunk: the row stays in the window (the read has the same or newer state)
    out += inc.process([early, open_])
    # inside the window: newer than what the chunk read, so the buffered rows are dropped
    out += inc.process(
        [db.change("public.items", "u", 2, "in-window"), db.change("public.items", "d", 3)]
    )
    # committed between this close watermark and the next open one: the next chunk misses it
    between = db.change("public.items", "d", 5)
    closed = inc.process([close])
    # Debezium acts on a signal before it emits the signal table's own change event
    assert [r.value.get("op") for r in closed] == ["r", "c"] and closed[1] is close
    out += closed
    assert _reads(out) == [(1, "before-open")], "2 was updated and 3 deleted inside the window"
    assert [r.value.get("source").get("snapshot") for r in out if r.value.get("op") == "r"] == [
        "incremental"
    ]
    # the next chunk starts after the last key of this one (3), not after the last sent (1)
    assert db.queries[-1][1] == [3]
    out += inc.process([between])
    out += _run(inc, db)
    assert not inc.running
    assert _final_state(out) == {1: "before-open", 2: "in-window", 4: "v4", 6: "v6", 7: "v7"}
    assert _reads(out)[1:] == [(4, "v4"), (6, "v6"), (7, "v7")]


def test_offsets_carry_progress_and_a_restart_resumes() -> None:
    db = FakeDatabase({"public.items": {i: f"v{i}" for i in range(1, 6)}})
    inc = _snapshotter(db, chunk=2)
    inc.process([db.signal("sig-7", "execute-snapshot", {"data-collections": ["public\\.it.*"]})])
    first = _run(inc, db, limit=1)  # one chunk: open, close (emitting 1, 2)
    reads = [r for r in first if r.value.get("op") == "r"]
    assert [r.value.get("after").get("id") for r in reads] == [1, 2]
    offset = reads[-1].source_offset
    assert offset is not None
    assert java_deserialize(offset[PRIMARY_KEY]) == [2]
    assert java_deserialize(offset[MAXIMUM_KEY]) == [5]
    assert offset[CORRELATION_ID] == "sig-7"
    assert json.loads(offset[COLLECTIONS]) == [
        {
            "incremental_snapshot_collections_id": "public.items",
            "incremental_snapshot_collections_additional_condition": None,
            "incremental_snapshot_collections_surrogate_key": None,
        }
    ]
    assert offset[COLLECTIONS] == (
        '[{"incremental_snapshot_collections_id":"public.items",'
        '"incremental_snapshot_collections_additional_condition":null,'
        '"incremental_snapshot_collections_surrogate_key":null}]'
    )
    # the earlier stream position of the close watermark is kept
    assert offset["pos"] == first[-1].source_offset["pos"]  # type: ignore[index]
    # streamed changes carry the progress too
    (change,) = inc.process([db.change("public.items", "u", 9, "new")])
    assert change.source_offset is not None and change.source_offset[PRIMARY_KEY]

    # a new task from that offset: watermarks of the old chunk are ignored, reading resumes
    stale = db.take()
    again = _snapshotter(db, chunk=2)
    again.restore(offset)
    assert again.running and again.collections == ["public.items"]
    again.start()
    assert db.queries[-1][1:3] == ([2], [5])
    resumed = again.process(stale) + _run(again, db)
    assert [r.value.get("after").get("id") for r in resumed if r.value.get("op") == "r"] == [
        3,
        4,
        5,
    ]
    assert not again.running
    (after,) = again.process([db.change("public.items", "u", 1, "x")])
    assert after.source_offset == {"pos": db.position}, "no snapshot keys once it is over"


def test_debezium_offset_with_java_keys_is_taken_up() -> None:
    db = FakeDatabase({"public.items": {i: "v" for i in range(1, 4)}})
    inc = _snapshotter(db)
    inc.restore(
        {
            "lsn": 1,
            PRIMARY_KEY: JAVA_INT_1,
            MAXIMUM_KEY: JAVA_LONG_1.replace("0000000000000001", "0000000000000003"),
            COLLECTIONS: '[{"incremental_snapshot_collections_id":"public.items",'
            '"incremental_snapshot_collections_additional_condition":null,'
            '"incremental_snapshot_collections_surrogate_key":null}]',
            CORRELATION_ID: None,
        }
    )
    inc.start()
    assert db.queries[-1][1:3] == ([1], [3])


def test_conditions_stop_and_several_tables() -> None:
    db = FakeDatabase(
        {
            "public.a": {1: "x", 2: "y", 3: "x"},
            "public.b": {1: "x"},
            "public.c": {1: "x"},
        }
    )
    inc = _snapshotter(db, chunk=10)
    signal = {
        "data-collections": ["public.a", "public.b", "public.c"],
        "additional-conditions": [{"data-collection": "public.a", "filter": "x"}],
    }
    inc.process([db.signal("s", "execute-snapshot", signal)])
    assert db.queries[-1] == ("public.a", None, [3], "x")
    inc.process([db.signal("t", "stop-snapshot", {"data-collections": ["public.b"]})])
    assert inc.collections == ["public.a", "public.c"]
    out = _run(inc, db)
    assert [(r.topic, r.value.get("after").get("id")) for r in out if r.value.get("op") == "r"] == [
        ("srv.public.a", 1),
        ("srv.public.a", 3),
        ("srv.public.c", 1),
    ]
    inc.process([db.signal("u", "execute-snapshot", {"data-collections": ["public.a"]})])
    assert inc.running
    inc.process([db.signal("v", "stop-snapshot", None)])
    assert not inc.running
    assert _reads(_run(inc, db)) == []


def test_bad_signals_are_reported_and_skipped(caplog: pytest.LogCaptureFixture) -> None:
    db = FakeDatabase({"public.items": {1: "a"}, "public.nokey": None})
    inc = _snapshotter(db)
    caplog.set_level(logging.INFO)
    for data in (
        "{not json",
        {"data-collections": "public.items"},
        {"data-collections": ["public.items"], "type": "blocking"},
        {"data-collections": ["public.missing"]},
        None,
    ):
        assert len(inc.process([db.signal("bad", "execute-snapshot", data)])) == 1
        assert not inc.running
    text = caplog.text
    assert "not JSON" in text and "'data-collections' must be" in text
    assert "blocking" in text and "public.missing" in text and "'data' column is empty" in text
    inc.process([db.signal("x", "wat", "{}")])
    assert "wat" in caplog.text
    inc.process([db.signal("k", "execute-snapshot", {"data-collections": ["public.nokey"]})])
    assert "public.nokey" in caplog.text and "no primary keys" in caplog.text
    assert not inc.running
    _run(inc, db)
    db.fail_inserts = True
    inc.process([db.signal("p", "execute-snapshot", {"data-collections": ["public.items"]})])
    assert "signal.data.collection" in caplog.text and "permission denied" in caplog.text
    assert not inc.running


def test_window_keys_match_only_the_current_table() -> None:
    db = FakeDatabase({"public.items": {1: "a", 2: "b"}, "public.other": {1: "z"}})
    inc = _snapshotter(db)
    inc.process([db.signal("s", "execute-snapshot", {"data-collections": ["public.items"]})])
    open_, close = db.take()
    out = inc.process([open_, db.change("public.other", "u", 1, "y"), close])
    assert _reads(out) == [(1, "a"), (2, "b")]


def test_pause_and_resume() -> None:
    db = FakeDatabase({"public.items": {i: "v" for i in range(1, 7)}})
    inc = _snapshotter(db, chunk=2)
    inc.process([db.signal("s", "execute-snapshot", {"data-collections": ["public.items"]})])
    inc.process([db.signal("p", "pause-snapshot", None)])
    out = inc.process(db.take())  # the chunk in flight still comes out
    assert _reads(out) == [(1, "v"), (2, "v")]
    assert db.take() == [] and inc.running, "paused: no next chunk"
    inc.process([db.signal("r", "resume-snapshot", None)])
    out = _run(inc, db)
    assert [k for k, _ in _reads(out)] == [3, 4, 5, 6] and not inc.running
    # resuming while a chunk is in flight does not read another one beside it
    inc.process([db.signal("s2", "execute-snapshot", {"data-collections": ["public.items"]})])
    inc.process([db.signal("p2", "pause-snapshot", None), db.signal("r2", "resume-snapshot", None)])
    assert len(db.take()) == 2
