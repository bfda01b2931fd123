"""Issue 5's figure: microseconds per record for JsonConverter (schemas on) after a chain of
ReplaceField, InsertField and TimestampConverter, in-process (no broker), on B3's records.

It times the chain alone, the converter alone (value by value and as one batch), and both,
so the cost of each step and the gain of batch conversion are visible:
``python -m bench.smt_chain --records 1000000``.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

from bench.records import FIELDS, SCHEMA_NAME, order_fields
from bench.workloads import B3_TRANSFORMS
from sluice.api import Schema, SchemaBuilder, SourceRecord, Struct
from sluice.converters.json import JsonConverter
from sluice.plugins.registry import PluginRegistry
from sluice.runtime.transformation_chain import build_chain

__all__ = ["run_smt_chain_bench"]

_TYPES: dict[str, Schema] = {
    "int64": Schema.INT64_SCHEMA,
    "int32": Schema.INT32_SCHEMA,
    "string": Schema.OPTIONAL_STRING_SCHEMA,
    "double": Schema.FLOAT64_SCHEMA,
    "boolean": Schema.BOOLEAN_SCHEMA,
}


def _records(n: int) -> list[SourceRecord]:
    builder = SchemaBuilder.struct().name(SCHEMA_NAME)
    for name, type_name in FIELDS:
        builder.field(name, _TYPES[type_name])
    schema = builder.build()
    out = []
    for i in range(n):
        value = Struct.trusted(schema, order_fields(i))
        out.append(SourceRecord({"p": 0}, {"o": i}, "orders", None, None, None, schema, value))
    return out


def _timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run_smt_chain_bench(records: int = 1_000_000, batch: int = 2000) -> dict[str, float]:
    """µs per record for each step; ``batch`` is the poll batch size for batch conversion."""
    data = _records(records)
    chain = build_chain(dict(B3_TRANSFORMS), PluginRegistry(entry_points=False))
    conv = JsonConverter()
    conv.configure({"schemas.enable": "true"}, False)
    transformed: list[SourceRecord] = []

    def run_chain() -> None:
        transformed.clear()
        for r in data:
            out = chain.apply(r)
            if out is not None:
                transformed.append(out)

    def convert_each() -> None:
        for r in transformed:
            conv.from_connect_data(r.topic, r.value_schema, r.value)

    def convert_batches() -> None:
        for i in range(0, len(transformed), batch):
            part = transformed[i : i + batch]
            conv.from_connect_batch(
                "orders", [r.value_schema for r in part], [r.value for r in part]
            )

    chain_s = _timed(run_chain)
    each_s = _timed(convert_each)
    batch_s = _timed(convert_batches)
    per = 1e6 / records
    return {
        "records": records,
        "chain_us_per_record": round(chain_s * per, 2),
        "json_each_us_per_record": round(each_s * per, 2),
        "json_batch_us_per_record": round(batch_s * per, 2),
        "chain_plus_json_us_per_record": round((chain_s + min(each_s, batch_s)) * per, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.smt_chain", description=__doc__)
    parser.add_argument("--records", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    print(json.dumps(run_smt_chain_bench(args.records), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
