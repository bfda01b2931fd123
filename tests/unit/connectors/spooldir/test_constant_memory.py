"""Reading a CSV costs the same memory whatever the file's size."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

from sluice.connectors.spooldir.config import CsvSettings, SchemaSettings, csv_config_def
from sluice.connectors.spooldir.readers.csv_reader import CsvFormat
from sluice.connectors.spooldir.typed_values import ValueParser
from tests.unit.connectors.spooldir.spooling import SEED_HEADER, Spool

PADDING = "x" * 900  # wide rows: many bytes per allocation keeps tracemalloc fast
ROW = (
    "{0},Phineas,Frede,pfrederr@weather.com,Male,59.83.98.78,2015-12-04T22:18:07Z,14095.22,PK,"
    + PADDING
    + "\n"
)


def _write(path: Path, rows: int) -> None:
    with open(path, "w") as f:
        f.write(SEED_HEADER + "\n")
        f.writelines(ROW.format(i) for i in range(rows))


def _peak_while_reading(spool: Spool, path: Path) -> tuple[int, int]:
    values = csv_config_def().parse(
        spool.config(csv_first_row_as_header="true", schema_generation_enabled="true")
    )
    schemas = SchemaSettings.from_values(values, "PROCESS_TIME")
    fmt = CsvFormat(CsvSettings.from_values(values), schemas, ValueParser(schemas.timezone, ()))
    tracemalloc.start()
    try:
        reader = fmt.open(path, path.name, 128 * 1024, None)
        count = 0
        while batch := reader.read(100):
            count += len(batch)
        reader.close()
        return count, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_peak_memory_does_not_grow_with_the_file(spool: Spool) -> None:
    small, large = spool.root / "small.csv", spool.root / "large.csv"
    _write(small, 300)
    _write(large, 9_000)  # 30 times larger (about 9 MB)
    small_count, small_peak = _peak_while_reading(spool, small)
    large_count, large_peak = _peak_while_reading(spool, large)
    assert (small_count, large_count) == (300, 9_000)
    assert large_peak < small_peak * 1.5 + 256 * 1024, (small_peak, large_peak)
    assert large_peak < large.stat().st_size / 8
