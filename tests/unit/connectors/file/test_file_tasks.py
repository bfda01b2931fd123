import datetime
from pathlib import Path

import pytest

from sluice.api import (
    ConfigError,
    ConnectError,
    Schema,
    SchemaBuilder,
    SinkRecord,
    Struct,
    Timestamp,
    TopicPartition,
)
from sluice.connectors.file import (
    FileStreamSinkConnector,
    FileStreamSinkTask,
    FileStreamSourceConnector,
    FileStreamSourceTask,
)
from sluice.connectors.file.sink import java_string
from sluice.testing import SinkTaskHarness, SourceTaskHarness


def _source(path: Path, batch: int = 2000) -> SourceTaskHarness:
    return SourceTaskHarness(
        FileStreamSourceTask(), {"file": str(path), "topic": "t", "batch.size": str(batch)}
    ).start()


def test_source_reads_lines_with_byte_positions(tmp_path: Path) -> None:
    f = tmp_path / "in.txt"
    f.write_bytes("a\r\nbé\rc\nd".encode())
    h = _source(f)
    records = h.poll_until(3)
    assert [r.value for r in records] == ["a", "bé", "c"]
    assert [r.source_offset for r in records] == [{"position": 3}, {"position": 7}, {"position": 9}]
    assert records[0].source_partition == {"filename": str(f)}
    assert records[0].value_schema == Schema.STRING_SCHEMA
    assert records[0].topic == "t" and records[0].key is None
    with open(f, "ab") as out:
        out.write(b"\n")  # the partial last line completes
    assert [r.value for r in h.poll_until(1)] == ["d"]
    h.stop()


def test_source_resumes_from_committed_position(tmp_path: Path) -> None:
    f = tmp_path / "in.txt"
    f.write_text("".join(f"{i}\n" for i in range(10)))
    h = _source(f, batch=4)
    first = h.poll()
    assert [r.value for r in first] == ["0", "1", "2", "3"]
    h.stop()
    again = SourceTaskHarness(FileStreamSourceTask(), h.config)
    again.offsets = h.offsets
    again.start()
    assert [r.value for r in again.poll_until(6)] == [str(i) for i in range(4, 10)]
    again.stop()


def test_source_lines_across_chunks_in_small_batches(tmp_path: Path) -> None:
    """Lines straddle the 1 MiB read chunks; ASCII and non-ASCII chunks alternate."""
    from sluice.connectors.file.source import CHUNK

    lines = [("é" if (i // 5000) % 2 else "a") * (i % 97) + f"-{i}" for i in range(40_000)]
    data = "".join(line + "\n" for line in lines).encode()
    assert len(data) > 2 * CHUNK
    f = tmp_path / "in.txt"
    f.write_bytes(data)
    h = _source(f, batch=333)
    records = h.poll_until(len(lines))
    assert [r.value for r in records] == lines
    ends = [len(line.encode()) + 1 for line in lines]
    assert records[-1].source_offset == {"position": len(data)}
    assert records[12_345].source_offset == {"position": sum(ends[:12_346])}
    h.stop()


def test_source_detects_truncation(tmp_path: Path) -> None:
    f = tmp_path / "in.txt"
    f.write_text("one\ntwo\n")
    h = _source(f)
    assert len(h.poll_until(2)) == 2
    f.write_text("x\n")
    assert [r.value for r in h.poll_until(1, max_polls=3)] == ["x"]
    h.stop()


def test_source_connector_has_one_task_and_validates_offsets(tmp_path: Path) -> None:
    c = FileStreamSourceConnector()
    c.start({"file": "/x", "topic": "t"})
    assert c.task_configs(5) == [{"file": "/x", "topic": "t"}]
    assert c.alter_offsets({"file": "/x"}, [({"filename": "/x"}, {"position": 3})])
    with pytest.raises(ConnectError, match="non-negative"):
        c.alter_offsets({"file": "/x"}, [({"filename": "/x"}, {"position": -1})])
    with pytest.raises(ConnectError, match="filename"):
        c.alter_offsets({"file": "/x"}, [({"f": "/x"}, {"position": 1})])
    with pytest.raises(ConnectError, match="stdin"):
        c.alter_offsets({}, [])
    with pytest.raises(ConfigError, match="topic"):
        FileStreamSourceConnector().start({"file": "/x"})


def test_sink_appends_java_strings(tmp_path: Path) -> None:
    f = tmp_path / "out.txt"
    c = FileStreamSinkConnector()
    c.start({"file": str(f)})
    assert c.task_configs(2) == [{"file": str(f)}, {"file": str(f)}]
    h = SinkTaskHarness(FileStreamSinkTask(), {"file": str(f)}).start([TopicPartition("t", 0)])
    schema = SchemaBuilder.struct().field("a", Schema.INT32_SCHEMA).build()
    h.put(
        [
            SinkRecord("t", 0, None, None, None, "hello", 0),
            SinkRecord("t", 0, None, None, None, None, 1),
            SinkRecord("t", 0, None, None, schema, Struct(schema).put("a", 1), 2),
        ]
    )
    assert h.commit() == {TopicPartition("t", 0): 3}
    h.stop()
    assert f.read_text() == "hello\nnull\nStruct{a=1}\n"


def test_java_string_renderings() -> None:
    assert java_string(True) == "true"
    assert java_string(1.0e20) == "1.0E20"
    assert java_string({"a": 1, "b": [1, 2]}) == "{a=1, b=[1, 2]}"
    assert java_string(float("nan")) == "NaN"
    assert java_string(b"caf\xc3\xa9") == "café"  # bytes as text, not Java's object address
    # Logical types and 32-bit floats print as the JVM's toString of the Connect value does.
    schema = (
        SchemaBuilder.struct()
        .field("n", Schema.INT32_SCHEMA)
        .field("f", Schema.FLOAT32_SCHEMA)
        .field("at", Timestamp.SCHEMA)
        .field("none", Schema.OPTIONAL_STRING_SCHEMA)
        .build()
    )
    at = datetime.datetime(2026, 11, 24, 5, 30, 1, tzinfo=datetime.UTC)
    value = Struct(schema).put("n", 7).put("f", 0.1).put("at", at)
    assert java_string(value, schema) == ("Struct{n=7,f=0.1,at=Tue Nov 24 05:30:01 UTC 2026}")
