"""Claiming, finishing and failing files, and the offsets that tie them to progress."""

from __future__ import annotations

from sluice.connectors.spooldir.config import SpoolDirSettings, csv_config_def
from sluice.connectors.spooldir.discovery import Discovery
from sluice.connectors.spooldir.lifecycle import claim, fail, finish
from sluice.connectors.spooldir.offsets import make_offset, resume_point
from sluice.connectors.spooldir.readers.base import ResumePoint
from tests.unit.connectors.spooldir.spooling import Spool


def settings(spool: Spool, **overrides: object) -> SpoolDirSettings:
    return SpoolDirSettings.from_values(csv_config_def().parse(spool.config(**overrides)))


def test_claim_renames_once(spool: Spool) -> None:
    spool.drop("a.csv", "x\n")
    s = settings(spool)
    [found] = Discovery(s).scan()
    c = claim(s, found)
    assert c is not None and c.path.name == "a.csv.PROCESSING"
    assert c.original == spool.input / "a.csv"
    assert claim(s, found) is None, "already taken"


def test_claim_never_clobbers_a_claimed_file(spool: Spool) -> None:
    spool.drop("a.csv", "new\n")
    spool.drop("a.csv.PROCESSING", "old\n")
    s = settings(spool)
    fresh = [f for f in Discovery(s).scan() if not f.claimed]
    assert claim(s, fresh[0]) is None
    assert (spool.input / "a.csv.PROCESSING").read_text() == "old\n"


def test_finish_does_not_overwrite(spool: Spool) -> None:
    (spool.finished / "a.csv").write_text("earlier\n")
    spool.drop("a.csv", "later\n")
    s = settings(spool)
    c = claim(s, Discovery(s).scan()[0])
    assert c is not None
    dest = finish(s, c)
    assert dest == spool.finished / "a.csv.1"
    assert (spool.finished / "a.csv").read_text() == "earlier\n"


def test_fail_writes_report_beside_the_file(spool: Spool) -> None:
    spool.drop("sub/a.csv", "x\n")
    s = settings(spool, input_path_walk_recursively="true")
    c = claim(s, Discovery(s).scan()[0])
    assert c is not None
    dest = fail(s, c, "line: 3\n")
    assert dest == spool.error / "sub" / "a.csv"
    assert (spool.error / "sub" / "a.csv.error.txt").read_text() == "line: 3\n"
    assert not (spool.input / "sub").exists()


def test_resume_point_checks_the_file_identity() -> None:
    offset = make_offset(10, 420, 11, size=1000, mtime_ms=5)
    assert resume_point(offset, 1000, 5) == ResumePoint(10, 420, 11)
    assert resume_point(offset, 999, 5) is None, "another file under the same name"
    assert resume_point(offset, 1000, 6) is None
    assert resume_point({"offset": 3}, 1, 1) == ResumePoint(3, None, None), "Java's offsets"
    assert resume_point(None, 1, 1) is None
    assert resume_point({"offset": 0}, 1, 1) is None
