"""The CSV task end to end on real files, driven by the task harness (no Kafka)."""

from __future__ import annotations

import datetime as dt
import decimal
import gzip
import json

import pytest

from sluice.api import ConfigError, ConnectError, Decimal, Schema, Struct, Timestamp
from sluice.connectors.spooldir import SpoolDirCsvSourceConnector, SpoolDirCsvSourceTask
from sluice.testing import MemoryOffsetReader, SourceTaskHarness
from tests.unit.connectors.spooldir.spooling import SEED_HEADER, Run, Spool, poll_until, values

SEED_ROW = (
    "1000,Phineas,Frede,pfrederr@weather.com,Male,59.83.98.78,2015-12-04T22:18:07Z,14095.22,PK,"
    "#4f2f2b"
)
KEY_NAME = "com.github.jcustenborder.kafka.connect.model.Key"
VALUE_NAME = "com.github.jcustenborder.kafka.connect.model.Value"


def _rows(n: int, start: int = 1) -> str:
    return "".join(
        f"{i},name{i},last{i},e{i}@x.org,F,1.2.3.4,,{i}.50,FR,#000000\n"
        for i in range(start, start + n)
    )


def _connector_task_config(spool: Spool, **overrides: object) -> dict[str, str]:
    """Start the connector (schema generation happens there) and take task 0's config."""
    c = SpoolDirCsvSourceConnector()
    c.start(spool.config(**overrides))
    return c.task_configs(1)[0]


def test_seed_config_generates_the_seed_record_shape(spool: Spool, run: Run) -> None:
    spool.drop("csv-spooldir-source.csv", f"{SEED_HEADER}\n{SEED_ROW}\n")
    config = _connector_task_config(
        spool,
        csv_first_row_as_header="true",
        schema_generation_enabled="true",
        empty_poll_wait_ms="30000",
    )
    h = run(SpoolDirCsvSourceTask(), config)
    records = poll_until(h, lambda got: spool.listing("finished") != [])
    assert len(records) == 1
    r = records[0]
    assert r.topic == "spool"
    assert r.key_schema is not None and r.key_schema.name == KEY_NAME
    assert r.key_schema.fields == () and r.key == Struct(r.key_schema)
    assert r.value_schema is not None and r.value_schema.name == VALUE_NAME
    assert [f.name for f in r.value_schema.fields] == SEED_HEADER.split(",")
    assert all(f.schema == Schema.OPTIONAL_STRING_SCHEMA for f in r.value_schema.fields)
    assert r.value.to_dict() == dict(zip(SEED_HEADER.split(","), SEED_ROW.split(","), strict=True))
    assert r.source_partition == {"fileName": "csv-spooldir-source.csv"}
    assert r.source_offset is not None and r.source_offset["offset"] == 1
    headers = {h.key: h.value for h in r.headers}
    assert headers["file.name"] == "csv-spooldir-source.csv"
    assert headers["file.offset"] == 1
    assert headers["file.path"] == str(spool.input / "csv-spooldir-source.csv")
    assert spool.listing("finished") == ["csv-spooldir-source.csv"]
    assert spool.listing() == []


def test_file_is_moved_only_after_its_last_record_is_committed(spool: Spool, run: Run) -> None:
    spool.drop("a.csv", "id,name\n" + "".join(f"{i},n{i}\n" for i in range(25)))
    config = _connector_task_config(
        spool, csv_first_row_as_header="true", schema_generation_enabled="true", batch_size=10
    )
    h = run(SpoolDirCsvSourceTask(), config)
    sent = poll_until(h, lambda got: len(got) == 25, commit=False)
    assert [r.source_offset["offset"] for r in sent][-1] == 25  # type: ignore[index]
    assert h.poll(commit=False) == []  # end of file reached
    h.task.commit()
    assert spool.listing() == ["a.csv.PROCESSING"], "nothing committed yet: the file stays"
    # Offsets up to record 20 committed: still not all of the file.
    h.offsets.put(sent[19].source_partition or {}, sent[19].source_offset or {})
    h.task.commit()
    assert spool.listing() == ["a.csv.PROCESSING"]
    h.offsets.put(sent[24].source_partition or {}, sent[24].source_offset or {})
    h.task.commit()
    assert spool.listing() == []
    assert spool.listing("finished") == ["a.csv"]


def test_crash_mid_file_resumes_after_the_committed_line(spool: Spool, run: Run) -> None:
    rows = "".join(f"{i},n{i}\n" for i in range(1, 101))
    spool.drop("big.csv", "id,name\n" + rows)
    config = _connector_task_config(
        spool, csv_first_row_as_header="true", schema_generation_enabled="true", batch_size=30
    )
    first = run(SpoolDirCsvSourceTask(), config)
    committed = poll_until(first, lambda got: len(got) >= 60)  # two batches, offsets committed
    in_flight = first.poll(commit=False)  # sent, never acknowledged
    assert values(committed) == [str(i) for i in range(1, 61)]
    assert values(in_flight) == [str(i) for i in range(61, 91)]
    # kill -9: the task object is dropped without stop() or commit().
    second = run(SpoolDirCsvSourceTask(), config, first.offsets)
    resumed = poll_until(second, lambda got: spool.listing("finished") == ["big.csv"])
    assert values(resumed) == [str(i) for i in range(61, 101)], "no committed line is re-sent"
    assert resumed[0].source_offset["line"] == 62  # type: ignore[index]


def test_legacy_java_offset_resumes_by_skipping_records(spool: Spool, run: Run) -> None:
    path = spool.drop("old.csv", "id\n" + "".join(f"{i}\n" for i in range(1, 11)))
    config = _connector_task_config(
        spool, csv_first_row_as_header="true", schema_generation_enabled="true"
    )
    offsets = MemoryOffsetReader()
    offsets.put({"fileName": "old.csv"}, {"offset": 4})
    h = run(SpoolDirCsvSourceTask(), config, offsets)
    got = poll_until(h, lambda got: spool.listing("finished") == ["old.csv"])
    assert values(got) == [str(i) for i in range(5, 11)]
    assert not path.exists()


def test_new_file_under_a_finished_name_is_read_from_the_start(spool: Spool, run: Run) -> None:
    config = _connector_task_config(
        spool,
        csv_first_row_as_header="true",
        schema_generation_enabled="true",
        cleanup_policy="DELETE",
    )
    spool.drop("daily.csv", "id\n1\n2\n3\n", age=30)
    h = run(SpoolDirCsvSourceTask(), config)
    first = poll_until(h, lambda got: len(got) == 3 and spool.listing() == [])
    spool.drop("daily.csv", "id\n10\n20\n", age=20)
    second = poll_until(h, lambda got: len(got) == 2 and spool.listing() == [])
    assert values(first) == ["1", "2", "3"]
    assert values(second) == ["10", "20"], "the stale offset of the old file must not apply"


def test_bad_row_moves_the_file_to_error_with_a_report_and_moves_on(spool: Spool, run: Run) -> None:
    spool.drop("a-bad.csv", "id,name\n1,a\n2\n3,c\n")
    spool.drop("b-good.csv", "id,name\n7,g\n")
    config = spool.config(
        csv_first_row_as_header="true",
        key_schema=json.dumps({"type": "STRUCT", "isOptional": False, "fieldSchemas": {}}),
        value_schema=json.dumps(
            {
                "name": "V",
                "type": "STRUCT",
                "isOptional": False,
                "fieldSchemas": {
                    "id": {"type": "INT64", "isOptional": False},
                    "name": {"type": "STRING", "isOptional": True},
                },
            }
        ),
    )
    h = run(SpoolDirCsvSourceTask(), config)
    got = poll_until(h, lambda got: spool.listing("finished") == ["b-good.csv"])
    assert values(got) == [1, 7], "the valid row before the bad one is delivered"
    assert spool.listing("error") == ["a-bad.csv", "a-bad.csv.error.txt"]
    report = (spool.error / "a-bad.csv.error.txt").read_text()
    assert "line: 3\n" in report
    assert "the row has 1 field(s) but the header has 2" in report
    assert str(spool.input / "a-bad.csv") in report


def test_typed_parse_error_names_field_and_line(spool: Spool, run: Run) -> None:
    spool.drop("t.csv", "id,amount\n1,2.50\n2,abc\n")
    config = spool.config(
        csv_first_row_as_header="true",
        key_schema='{"type":"STRUCT","isOptional":false,"fieldSchemas":{}}',
        value_schema=json.dumps(
            {
                "type": "STRUCT",
                "isOptional": False,
                "fieldSchemas": {
                    "id": {"type": "INT32", "isOptional": False},
                    "amount": {
                        "name": "org.apache.kafka.connect.data.Decimal",
                        "type": "BYTES",
                        "parameters": {"scale": "2"},
                        "isOptional": True,
                    },
                },
            }
        ),
    )
    h = run(SpoolDirCsvSourceTask(), config)
    got = poll_until(h, lambda got: spool.listing("error") != [])
    assert [r.value.get("amount") for r in got] == [decimal.Decimal("2.50")]
    report = (spool.error / "t.csv.error.txt").read_text()
    assert "line: 3\n" in report and "field 'amount'" in report and "abc" in report


def test_halt_on_error_fails_the_task_with_file_and_line(spool: Spool, run: Run) -> None:
    spool.drop("bad.csv", "a,b\n1,2\n3\n")
    config = _connector_task_config(
        spool,
        csv_first_row_as_header="true",
        schema_generation_enabled="true",
        halt_on_error="true",
    )
    h = run(SpoolDirCsvSourceTask(), config)
    with pytest.raises(ConnectError) as failure:
        poll_until(h, lambda got: False)
    message = str(failure.value)
    assert str(spool.input / "bad.csv") in message and "line 3" in message
    assert spool.listing("error") == ["bad.csv", "bad.csv.error.txt"]


def test_two_tasks_share_files_and_never_take_the_same_one(spool: Spool, run: Run) -> None:
    for i in range(12):
        spool.drop(f"f{i:02d}.csv", f"id\n{i}\n")
    c = SpoolDirCsvSourceConnector()
    c.start(spool.config(csv_first_row_as_header="true", schema_generation_enabled="true"))
    configs = c.task_configs(2)
    assert [cfg["task.index"] for cfg in configs] == ["0", "1"]
    tasks = [run(SpoolDirCsvSourceTask(), cfg) for cfg in configs]
    seen: list[list[str]] = [[], []]
    for _ in range(200):
        for i, h in enumerate(tasks):
            seen[i].extend(str(r.value.get("id")) for r in h.poll())
            h.task.commit()
        if spool.listing() == []:
            break
    assert seen[0] and seen[1], "both tasks got files"
    assert sorted(seen[0] + seen[1], key=int) == [str(i) for i in range(12)]
    assert not set(seen[0]) & set(seen[1])
    assert len(spool.listing("finished")) == 12


def test_claimed_file_of_a_crashed_task_is_resumed_first(spool: Spool, run: Run) -> None:
    spool.drop("z-new.csv", "id\n2\n")
    spool.drop("a-old.csv.PROCESSING", "id\n1\n")
    config = _connector_task_config(
        spool, csv_first_row_as_header="true", schema_generation_enabled="true"
    )
    h = run(SpoolDirCsvSourceTask(), config)
    got = poll_until(h, lambda got: len(spool.listing("finished")) == 2)
    assert values(got) == ["1", "2"]
    assert spool.listing("finished") == ["a-old.csv", "z-new.csv"]


def test_files_too_young_are_left_alone(spool: Spool, run: Run) -> None:
    spool.drop("young.csv", "id\n1\n", age=0)
    config = _connector_task_config(
        spool,
        csv_first_row_as_header="true",
        schema_generation_enabled="true",
        file_minimum_age_ms="60000",
    )
    h = run(SpoolDirCsvSourceTask(), config)
    for _ in range(2):
        assert h.poll() == []
    assert spool.listing() == ["young.csv"]


def test_typed_schema_without_header_uses_schema_order(spool: Spool, run: Run) -> None:
    spool.drop("t.csv", "5,2015-12-04 22:18:07,true\n")
    value_schema = {
        "type": "STRUCT",
        "isOptional": False,
        "fieldSchemas": {
            "n": {"type": "INT64", "isOptional": False},
            "at": {
                "name": "org.apache.kafka.connect.data.Timestamp",
                "type": "INT64",
                "version": 1,
                "isOptional": False,
            },
            "ok": {"type": "BOOLEAN", "isOptional": True},
        },
    }
    key_schema = {
        "type": "STRUCT",
        "isOptional": False,
        "fieldSchemas": {"n": {"type": "INT64", "isOptional": False}},
    }
    config = spool.config(
        key_schema=json.dumps(key_schema),
        value_schema=json.dumps(value_schema),
        timestamp_mode="FIELD",
        timestamp_field="at",
    )
    h = run(SpoolDirCsvSourceTask(), config)
    [r] = poll_until(h, lambda got: len(got) == 1)
    when = dt.datetime(2015, 12, 4, 22, 18, 7, tzinfo=dt.UTC)
    assert r.value.to_dict() == {"n": 5, "at": when, "ok": True}
    assert r.key.to_dict() == {"n": 5}
    assert r.timestamp == Timestamp.from_logical(Timestamp.SCHEMA, when)


def test_timestamp_field_must_be_a_required_timestamp(spool: Spool) -> None:
    config = spool.config(
        key_schema='{"type":"STRUCT","isOptional":false,"fieldSchemas":{}}',
        value_schema='{"type":"STRUCT","isOptional":false,"fieldSchemas":'
        '{"at":{"type":"STRING","isOptional":false}}}',
        timestamp_mode="FIELD",
        timestamp_field="at",
    )
    with pytest.raises(ConfigError, match="Field 'at' must be present"):
        SourceTaskHarness(SpoolDirCsvSourceTask(), config).start()


def test_null_field_indicator_and_key_fields(spool: Spool, run: Run) -> None:
    spool.drop("n.csv", 'id,a,b\n1,,""\n2,x,y\n')
    config = _connector_task_config(
        spool,
        csv_first_row_as_header="true",
        schema_generation_enabled="true",
        schema_generation_key_fields="id",
        csv_null_field_indicator="EMPTY_SEPARATORS",
    )
    h = run(SpoolDirCsvSourceTask(), config)
    got = poll_until(h, lambda got: len(got) == 2)
    assert got[0].value.to_dict() == {"id": "1", "a": None, "b": ""}
    assert got[0].key.to_dict() == {"id": "1"}
    assert [f.name for f in got[0].key_schema.fields] == ["id"]  # type: ignore[union-attr]


def test_tab_separated_gzip_with_skipped_lines_and_file_time(spool: Spool, run: Run) -> None:
    data = "# exported\n# by a tool\nid\tname\n1\tone\n2\ttwo\n"
    path = spool.drop("t.csv.gz", gzip.compress(data.encode()))
    mtime_ms = path.stat().st_mtime_ns // 1_000_000
    config = _connector_task_config(
        spool,
        input_file_pattern=r"^.*\.csv\.gz$",
        csv_first_row_as_header="true",
        schema_generation_enabled="true",
        csv_separator_char="9",
        csv_skip_lines="2",
        timestamp_mode="FILE_TIME",
    )
    h = run(SpoolDirCsvSourceTask(), config)
    got = poll_until(h, lambda got: spool.listing("finished") == ["t.csv.gz"])
    assert [r.value.to_dict() for r in got] == [
        {"id": "1", "name": "one"},
        {"id": "2", "name": "two"},
    ]
    assert {r.timestamp for r in got} == {mtime_ms}


def test_recursive_walk_keeps_relative_paths(spool: Spool, run: Run) -> None:
    spool.drop("2024/01/a.csv", "id\n1\n")
    spool.drop("b.csv", "id\n2\n")
    config = _connector_task_config(
        spool,
        csv_first_row_as_header="true",
        schema_generation_enabled="true",
        input_path_walk_recursively="true",
    )
    h = run(SpoolDirCsvSourceTask(), config)
    got = poll_until(h, lambda got: len(spool.listing("finished")) == 2)
    by_id = {r.value.get("id"): r for r in got}
    assert by_id["1"].source_partition == {"fileName": "2024/01/a.csv"}
    headers = {h.key: h.value for h in by_id["1"].headers}
    assert headers["file.relative.path"] == "2024/01"
    assert "file.relative.path" not in {h.key for h in by_id["2"].headers}
    assert spool.listing("finished") == ["2024/01/a.csv", "b.csv"]
    assert not (spool.input / "2024").exists(), "emptied sub-directories are removed"


@pytest.mark.parametrize(
    ("policy", "finished", "left"),
    [("DELETE", [], []), ("NONE", [], ["keep.csv"])],
)
def test_cleanup_policies(
    spool: Spool, run: Run, policy: str, finished: list[str], left: list[str]
) -> None:
    spool.drop("keep.csv", "id\n1\n")
    config = _connector_task_config(
        spool,
        csv_first_row_as_header="true",
        schema_generation_enabled="true",
        cleanup_policy=policy,
    )
    h = run(SpoolDirCsvSourceTask(), config)
    got = poll_until(h, lambda got: len(got) == 1 and ".PROCESSING" not in str(spool.listing()))
    for _ in range(5):  # NONE: the file stays but is not read again
        got.extend(h.poll())
        h.task.commit()
    assert values(got) == ["1"]
    assert spool.listing("finished") == finished
    assert spool.listing() == left


def test_movebydate_puts_files_under_their_date(spool: Spool, run: Run) -> None:
    path = spool.drop("d.csv", "id\n1\n")
    day = dt.datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y-%m-%d")
    config = _connector_task_config(
        spool,
        csv_first_row_as_header="true",
        schema_generation_enabled="true",
        cleanup_policy="MOVEBYDATE",
    )
    h = run(SpoolDirCsvSourceTask(), config)
    poll_until(h, lambda got: spool.listing("finished") != [])
    assert spool.listing("finished") == [f"{day}/d.csv"]


def test_schemas_disagreeing_between_files_fail_generation(spool: Spool) -> None:
    spool.drop("a.csv", "id,x\n1,2\n")
    spool.drop("b.csv", "id,y\n1,2\n")
    with pytest.raises(Exception, match="More than one schema was found"):
        _connector_task_config(
            spool, csv_first_row_as_header="true", schema_generation_enabled="true"
        )


def test_without_files_the_schema_comes_from_each_file(spool: Spool, run: Run) -> None:
    config = _connector_task_config(
        spool, csv_first_row_as_header="true", schema_generation_enabled="true"
    )
    assert "value.schema" not in config
    spool.drop("late.csv", "x,y\n1,2\n")
    h = run(SpoolDirCsvSourceTask(), config)
    [r] = poll_until(h, lambda got: len(got) == 1)
    assert r.value.to_dict() == {"x": "1", "y": "2"}


def test_decimal_schema_from_the_java_example(spool: Spool, run: Run) -> None:
    spool.drop("u.csv", f"{SEED_HEADER}\n{SEED_ROW}\n")
    value_schema = (
        '{"name":"com.example.users.User","type":"STRUCT","isOptional":false,"fieldSchemas":{'
        '"id":{"type":"INT64","isOptional":false},'
        '"last_login":{"name":"org.apache.kafka.connect.data.Timestamp","type":"INT64",'
        '"version":1,"isOptional":true},'
        '"account_balance":{"name":"org.apache.kafka.connect.data.Decimal","type":"BYTES",'
        '"version":1,"parameters":{"scale":"2"},"isOptional":true}}}'
    )
    key_schema = (
        '{"name":"com.example.users.UserKey","type":"STRUCT","isOptional":false,'
        '"fieldSchemas":{"id":{"type":"INT64","isOptional":false}}}'
    )
    config = spool.config(
        csv_first_row_as_header="true", key_schema=key_schema, value_schema=value_schema
    )
    h = run(SpoolDirCsvSourceTask(), config)
    [r] = poll_until(h, lambda got: len(got) == 1)
    assert r.value.to_dict() == {
        "id": 1000,
        "last_login": dt.datetime(2015, 12, 4, 22, 18, 7, tzinfo=dt.UTC),
        "account_balance": decimal.Decimal("14095.22"),
    }
    assert r.value_schema is not None
    assert r.value_schema.field("account_balance").schema.name == Decimal.LOGICAL_NAME  # type: ignore[union-attr]
    assert r.key.to_dict() == {"id": 1000}


def test_stop_leaves_the_current_file_claimed(spool: Spool, run: Run) -> None:
    spool.drop("s.csv", "id\n" + "".join(f"{i}\n" for i in range(100)))
    config = _connector_task_config(
        spool, csv_first_row_as_header="true", schema_generation_enabled="true", batch_size=10
    )
    h = run(SpoolDirCsvSourceTask(), config)
    poll_until(h, lambda got: len(got) >= 10)
    h.stop()
    assert h.task.poll() is None
    assert spool.listing() == ["s.csv.PROCESSING"]


def test_missing_finished_directory_is_a_config_error(spool: Spool) -> None:
    config = spool.config(
        finished_path=spool.root / "nope",
        csv_first_row_as_header="true",
        schema_generation_enabled="true",
    )
    with pytest.raises(ConfigError, match="finished.path"):
        SourceTaskHarness(SpoolDirCsvSourceTask(), config).start()


def test_error_path_must_differ_from_input_path(spool: Spool) -> None:
    config = spool.config(error_path=spool.input, schema_generation_enabled="true")
    with pytest.raises(ConfigError, match="error.path"):
        SourceTaskHarness(SpoolDirCsvSourceTask(), config).start()


def test_impossible_csv_characters_fail_at_start(spool: Spool) -> None:
    config = spool.config(schema_generation_enabled="true", csv_quote_char="44")
    with pytest.raises(ConfigError, match="csv.quote.char: must differ"):
        SourceTaskHarness(SpoolDirCsvSourceTask(), config).start()
