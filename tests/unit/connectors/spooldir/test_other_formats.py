"""The JSON, schemaless JSON, line-delimited and binary connectors on real files."""

from __future__ import annotations

import json

from sluice.api import Schema
from sluice.connectors.spooldir import (
    SpoolDirBinaryFileSourceConnector,
    SpoolDirBinaryFileSourceTask,
    SpoolDirJsonSourceConnector,
    SpoolDirJsonSourceTask,
    SpoolDirLineDelimitedSourceTask,
    SpoolDirSchemaLessJsonSourceTask,
)
from tests.unit.connectors.spooldir.spooling import Run, Spool, poll_until

JSON = r"^.*\.json$"


def test_json_generates_schema_from_the_first_object(spool: Spool, run: Run) -> None:
    spool.drop("a.json", '{"id": 1, "name": "x"}\n{"id": 2, "name": null, "extra": true}\n')
    c = SpoolDirJsonSourceConnector()
    c.start(
        spool.config(
            input_file_pattern=JSON,
            schema_generation_enabled="true",
            schema_generation_key_fields="id",
        )
    )
    config = c.task_configs(1)[0]
    assert json.loads(config["value.schema"])["fieldSchemas"] == {
        "id": {"type": "STRING", "isOptional": True},
        "name": {"type": "STRING", "isOptional": True},
    }
    h = run(SpoolDirJsonSourceTask(), config)
    got = poll_until(h, lambda got: spool.listing("finished") == ["a.json"])
    assert [r.value.to_dict() for r in got] == [
        {"id": "1", "name": "x"},
        {"id": "2", "name": None},
    ]
    assert [r.key.to_dict() for r in got] == [{"id": "1"}, {"id": "2"}]
    assert [r.source_offset["offset"] for r in got] == [1, 2]  # type: ignore[index]


def test_json_array_with_typed_schema(spool: Spool, run: Run) -> None:
    spool.drop("arr.json", '[\n  {"n": 1, "price": 9.95},\n  {"n": 2, "price": "0.05"}\n]\n')
    value = {
        "type": "STRUCT",
        "isOptional": False,
        "fieldSchemas": {
            "n": {"type": "INT32", "isOptional": False},
            "price": {"type": "FLOAT64", "isOptional": True},
        },
    }
    config = spool.config(
        input_file_pattern=JSON,
        key_schema='{"type":"STRUCT","isOptional":false,"fieldSchemas":{}}',
        value_schema=json.dumps(value),
    )
    h = run(SpoolDirJsonSourceTask(), config)
    got = poll_until(h, lambda got: len(got) == 2)
    assert [r.value.to_dict() for r in got] == [{"n": 1, "price": 9.95}, {"n": 2, "price": 0.05}]


def test_json_bad_value_goes_to_error_with_its_line(spool: Spool, run: Run) -> None:
    spool.drop("b.json", '{"n": 1}\n{"n": "one"}\n')
    value = {
        "type": "STRUCT",
        "isOptional": False,
        "fieldSchemas": {"n": {"type": "INT32", "isOptional": False}},
    }
    config = spool.config(
        input_file_pattern=JSON,
        key_schema='{"type":"STRUCT","isOptional":false,"fieldSchemas":{}}',
        value_schema=json.dumps(value),
    )
    h = run(SpoolDirJsonSourceTask(), config)
    got = poll_until(h, lambda got: spool.listing("error") != [])
    assert [r.value.get("n") for r in got] == [1]
    report = (spool.error / "b.json.error.txt").read_text()
    assert "line: 2\n" in report and "field 'n'" in report


def test_json_resumes_by_skipping_committed_values(spool: Spool, run: Run) -> None:
    spool.drop("r.json", "".join(json.dumps({"i": i}) + "\n" for i in range(10)))
    config = spool.config(input_file_pattern=JSON, schema_generation_enabled="true", batch_size=4)
    first = run(SpoolDirJsonSourceTask(), config)
    poll_until(first, lambda got: len(got) >= 4)
    first.poll(commit=False)
    second = run(SpoolDirJsonSourceTask(), config, first.offsets)
    got = poll_until(second, lambda got: spool.listing("finished") == ["r.json"])
    assert [r.value.get("i") for r in got] == [str(i) for i in range(4, 10)]


def test_schemaless_json_keeps_the_json_text(spool: Spool, run: Run) -> None:
    spool.drop("s.json", '{"b": [1, 2.5, null], "a": "é"}\n[{"x": {}}]\n')
    config = spool.config(input_file_pattern=JSON)
    h = run(SpoolDirSchemaLessJsonSourceTask(), config)
    got = poll_until(h, lambda got: len(got) == 2)
    # Only a file that starts with '[' is read as an array of records.
    assert [r.value for r in got] == ['{"b":[1,2.5,null],"a":"é"}', '[{"x":{}}]']
    assert {r.value_schema for r in got} == {Schema.STRING_SCHEMA}
    assert {r.key for r in got} == {None}


def test_line_delimited_resumes_by_position(spool: Spool, run: Run) -> None:
    spool.drop("l.txt", "".join(f"line {i} ✓\r\n" for i in range(10)) + "last without newline")
    config = spool.config(input_file_pattern=r".*\.txt", batch_size=3)
    first = run(SpoolDirLineDelimitedSourceTask(), config)
    done = poll_until(first, lambda got: len(got) >= 6)
    first.poll(commit=False)
    second = run(SpoolDirLineDelimitedSourceTask(), config, first.offsets)
    rest = poll_until(second, lambda got: spool.listing("finished") == ["l.txt"])
    assert [r.value for r in done] == [f"line {i} ✓" for i in range(6)]
    assert [r.value for r in rest] == [f"line {i} ✓" for i in range(6, 10)] + [
        "last without newline"
    ]
    assert rest[0].source_offset["position"] == len(  # type: ignore[index]
        "".join(f"line {i} ✓\r\n" for i in range(7)).encode()
    )


def test_binary_file_is_one_record(spool: Spool, run: Run) -> None:
    payload = bytes(range(256)) * 10
    spool.drop("blob.bin", payload)
    spool.drop("empty.bin", b"")
    c = SpoolDirBinaryFileSourceConnector()
    c.start(spool.config(input_file_pattern=r".*\.bin"))
    h = run(SpoolDirBinaryFileSourceTask(), c.task_configs(1)[0])
    got = poll_until(h, lambda got: len(spool.listing("finished")) == 2)
    assert [r.value for r in got] == [payload]
    assert got[0].value_schema == Schema.BYTES_SCHEMA
    assert spool.listing("finished") == ["blob.bin", "empty.bin"]
