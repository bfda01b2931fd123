"""The bench's B3 source on the sluice side: TSV lines of orders turned into ``Struct`` records.

Loaded from ``plugin.path`` (this folder). Its Java twin is
``bench/java/sluice/bench/TsvStructSourceTask.java``: both read 1 MiB chunks, split lines, and fill
the same schema field by field, so the connector's own work is alike on both sides and what
differs is the runtime (SMTs, JsonConverter, producer).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import BinaryIO

from sluice.api import (
    ConfigDef,
    ConfigError,
    ConfigType,
    DataError,
    Importance,
    Schema,
    SchemaBuilder,
    SourceConnector,
    SourceRecord,
    SourceTask,
    Struct,
    Task,
)

__all__ = ["TsvStructSourceConnector", "TsvStructSourceTask"]

CHUNK = 1 << 20

SCHEMA: Schema = (
    SchemaBuilder.struct()
    .name("bench.Order")
    .field("id", Schema.INT64_SCHEMA)
    .field("user_id", Schema.INT32_SCHEMA)
    .field("name", Schema.STRING_SCHEMA)
    .field("email", Schema.STRING_SCHEMA)
    .field("country", Schema.STRING_SCHEMA)
    .field("city", Schema.STRING_SCHEMA)
    .field("amount", Schema.FLOAT64_SCHEMA)
    .field("currency", Schema.STRING_SCHEMA)
    .field("active", Schema.BOOLEAN_SCHEMA)
    .field("created_at", Schema.INT64_SCHEMA)
    .field("status", Schema.STRING_SCHEMA)
    .field("note", Schema.STRING_SCHEMA)
    .field("internal_note", Schema.STRING_SCHEMA)
    .build()
)


def _config_def() -> ConfigDef:
    return (
        ConfigDef()
        .define(
            "file",
            ConfigType.STRING,
            importance=Importance.HIGH,
            documentation="TSV file, or several separated by commas: one task each",
        )
        .define("topic", ConfigType.STRING, importance=Importance.HIGH, documentation="Topic")
        .define("batch.size", ConfigType.INT, 2000, importance=Importance.LOW)
    )


def parse(line: str) -> Struct:
    """One TSV line as an order ``Struct``: each field parsed as the Java twin parses it, and
    validated against its schema as ``Struct.put`` would (``Struct.from_values``)."""
    f = line.split("\t")
    if len(f) != 13:
        raise DataError(f"Expected 13 tab-separated fields, got {len(f)}")
    return Struct.from_values(
        SCHEMA,
        [
            int(f[0]),
            int(f[1]),
            f[2],
            f[3],
            f[4],
            f[5],
            float(f[6]),
            f[7],
            f[8] == "true",
            int(f[9]),
            f[10],
            f[11],
            f[12],
        ],
    )


class TsvStructSourceConnector(SourceConnector):
    def version(self) -> str:
        return "1.0"

    def start(self, props: Mapping[str, str]) -> None:
        _config_def().parse(props)
        self._props = dict(props)

    def task_class(self) -> type[Task]:
        return TsvStructSourceTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        """One task per file of the comma-separated ``file`` (B5 runs one file per task)."""
        files = [f.strip() for f in self._props["file"].split(",") if f.strip()]
        if len(files) > max_tasks:
            raise ConfigError(f"{len(files)} files need tasks.max >= {len(files)}", "file")
        return [{**self._props, "file": f} for f in files]

    def stop(self) -> None:
        return None

    def config(self) -> ConfigDef:
        return _config_def()


class TsvStructSourceTask(SourceTask):
    def version(self) -> str:
        return "1.0"

    def start(self, props: Mapping[str, str]) -> None:
        parsed = _config_def().parse(props)
        self.topic: str = parsed["topic"]
        self.batch_size: int = parsed["batch.size"]
        self.partition = {"filename": parsed["file"]}
        offset = self.context.offset_storage_reader().offset(self.partition)
        self.position: int = int(offset["position"]) if offset else 0
        self.stream: BinaryIO | None = open(parsed["file"], "rb")  # noqa: SIM115
        self.stream.seek(self.position)
        self.buffer = b""
        self._stopped = threading.Event()
        self._lock = threading.Lock()

    def poll(self) -> list[SourceRecord] | None:
        with self._lock:
            records = self._read_batch()
        if not records:
            self._stopped.wait(1.0)
            return None
        return records

    def _read_batch(self) -> list[SourceRecord]:
        records: list[SourceRecord] = []
        if self.stream is None:
            return records
        buf, start = self.buffer, 0
        while len(records) < self.batch_size:
            nl = buf.find(b"\n", start)
            if nl < 0:
                chunk = self.stream.read(CHUNK)
                if not chunk:
                    break
                buf, start = buf[start:] + chunk, 0
                continue
            line = buf[start:nl].decode("utf-8")
            self.position += nl + 1 - start
            start = nl + 1
            records.append(
                SourceRecord(
                    self.partition,
                    {"position": self.position},
                    self.topic,
                    None,
                    None,
                    None,
                    SCHEMA,
                    parse(line),
                )
            )
        self.buffer = buf[start:]
        return records

    def stop(self) -> None:
        self._stopped.set()
        with self._lock:
            if self.stream is not None:
                self.stream.close()
                self.stream = None
