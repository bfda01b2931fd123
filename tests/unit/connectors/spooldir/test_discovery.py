"""Which files a task takes, and when."""

from __future__ import annotations

import os
import time
from pathlib import PurePosixPath

from sluice.connectors.spooldir.config import SpoolDirSettings, csv_config_def
from sluice.connectors.spooldir.discovery import STABLE_WINDOW, Discovery, owner_of
from tests.unit.connectors.spooldir.spooling import Spool


def settings(spool: Spool, **overrides: object) -> SpoolDirSettings:
    return SpoolDirSettings.from_values(csv_config_def().parse(spool.config(**overrides)))


class Clock:
    def __init__(self) -> None:
        self.mono = 1000.0

    def __call__(self) -> float:
        return self.mono


def names(found: list) -> list[str]:  # type: ignore[type-arg]
    return [str(f.relative) for f in found]


def test_owner_is_adler32_of_utf16_name() -> None:
    # Guava's adler32().hashUnencodedChars feeds each char as two little-endian bytes.
    assert owner_of("a", 2) == (0x00620062 % 2)
    names_ = [f"file-{i}.csv" for i in range(200)]
    owners = [owner_of(n, 3) for n in names_]
    assert set(owners) == {0, 1, 2}
    assert owners == [owner_of(n, 3) for n in names_], "stable"


def test_each_file_belongs_to_exactly_one_task(spool: Spool) -> None:
    for i in range(20):
        spool.drop(f"{i}.csv", "x\n")
    taken = [names(Discovery(settings(spool, task_index=i, task_count=3)).scan()) for i in range(3)]
    flat = [n for t in taken for n in t]
    assert sorted(flat) == sorted(f"{i}.csv" for i in range(20))
    assert len(set(flat)) == 20


def test_fresh_files_wait_for_a_stable_size(spool: Spool) -> None:
    path = spool.drop("growing.csv", "a\n", age=0)
    clock = Clock()
    d = Discovery(settings(spool), monotonic=clock)
    assert d.scan() == [] and d.waiting
    clock.mono += STABLE_WINDOW
    with open(path, "a") as f:
        f.write("b\n")
    assert d.scan() == [] and d.waiting, "it grew: the window starts again"
    clock.mono += STABLE_WINDOW
    assert names(d.scan()) == ["growing.csv"]
    assert not d.waiting


def test_minimum_age(spool: Spool) -> None:
    spool.drop("old.csv", "a\n", age=120)
    spool.drop("new.csv", "a\n", age=10)
    d = Discovery(settings(spool, file_minimum_age_ms=60_000))
    assert names(d.scan()) == ["old.csv"]
    assert d.waiting


def test_pattern_claimed_first_and_sort_orders(spool: Spool) -> None:
    spool.drop("b.csv", "1234\n")
    spool.drop("a.csv", "1\n")
    spool.drop("c.csv", "12\n")
    spool.drop("z.csv.PROCESSING", "1\n")
    spool.drop("notes.txt", "x\n")
    assert names(Discovery(settings(spool)).scan()) == ["z.csv", "a.csv", "b.csv", "c.csv"]
    d = Discovery(settings(spool, files_sort_attributes="LengthDesc"))
    assert names(d.scan()) == ["z.csv", "b.csv", "c.csv", "a.csv"]
    d = Discovery(settings(spool, files_sort_attributes="NameDesc"))
    assert names(d.scan())[1:] == ["c.csv", "b.csv", "a.csv"]
    now = time.time()
    os.utime(spool.input / "c.csv", (now - 100, now - 100))
    d = Discovery(settings(spool, files_sort_attributes="LastModifiedAsc"))
    assert names(d.scan())[1] == "c.csv"


def test_recursive_walk_skips_finished_and_error_under_input(spool: Spool) -> None:
    (spool.input / "finished").mkdir()
    (spool.input / "error").mkdir()
    spool.drop("finished/done.csv", "1\n")
    spool.drop("error/bad.csv", "1\n")
    spool.drop("sub/dir/new.csv", "1\n")
    s = settings(
        spool,
        input_path_walk_recursively="true",
        finished_path=spool.input / "finished",
        error_path=spool.input / "error",
    )
    found = Discovery(s).scan()
    assert names(found) == ["sub/dir/new.csv"]
    assert found[0].relative == PurePosixPath("sub/dir/new.csv")
