"""pgoutput payloads decoded byte for byte, as PostgreSQL's protocol chapter lays them out."""

from __future__ import annotations

import datetime as dt
import struct

import pytest

from sluice.connectors.debezium import pgoutput
from sluice.connectors.debezium.pgoutput import UNCHANGED_TOAST, PgOutputError, decode


def _s(text: str) -> bytes:
    return text.encode() + b"\x00"


def _tuple(*values: str | object | None) -> bytes:
    out = struct.pack(">h", len(values))
    for v in values:
        if v is None:
            out += b"n"
        elif v is UNCHANGED_TOAST:
            out += b"u"
        else:
            data = str(v).encode()
            out += b"t" + struct.pack(">i", len(data)) + data
    return out


def test_begin_and_commit() -> None:
    micros = 3_600_000_000  # one hour after 2000-01-01
    begin = decode(b"B" + struct.pack(">QqI", 0x1_0000_0010, micros, 745))
    assert begin == pgoutput.Begin(0x1_0000_0010, dt.datetime(2000, 1, 1, 1, tzinfo=dt.UTC), 745)
    commit = decode(b"C" + struct.pack(">bQQq", 0, 100, 180, micros))
    assert isinstance(commit, pgoutput.Commit)
    assert (commit.commit_lsn, commit.end_lsn) == (100, 180)


def test_relation() -> None:
    payload = (
        b"R" + struct.pack(">I", 16384) + _s("public") + _s("items") + b"d"
        + struct.pack(">h", 2)
        + b"\x01" + _s("id") + struct.pack(">Ii", 23, -1)
        + b"\x00" + _s("amount") + struct.pack(">Ii", 1700, (10 << 16 | 2) + 4)
    )  # fmt: skip
    rel = decode(payload)
    assert isinstance(rel, pgoutput.Relation)
    assert (rel.oid, rel.namespace, rel.name, rel.replica_identity) == (
        16384, "public", "items", "d",
    )  # fmt: skip
    assert rel.columns[0] == pgoutput.RelationColumn(True, "id", 23, -1)
    assert rel.columns[1].type_modifier == (10 << 16 | 2) + 4


def test_insert_update_delete_tuples() -> None:
    ins = decode(b"I" + struct.pack(">I", 7) + b"N" + _tuple("1", None, "héllo"))
    assert ins == pgoutput.Insert(7, ("1", None, "héllo"))
    upd = decode(b"U" + struct.pack(">I", 7) + b"N" + _tuple("1", UNCHANGED_TOAST))
    assert isinstance(upd, pgoutput.Update)
    assert upd.old is None and upd.new == ("1", UNCHANGED_TOAST)
    keyed = decode(b"U" + struct.pack(">I", 7) + b"K" + _tuple("1", None) + b"N" + _tuple("2", "x"))
    assert isinstance(keyed, pgoutput.Update)
    assert keyed.old_is_key and keyed.old == ("1", None) and keyed.new == ("2", "x")
    full = decode(b"D" + struct.pack(">I", 7) + b"O" + _tuple("1", "x"))
    assert full == pgoutput.Delete(7, ("1", "x"), False)


def test_truncate_and_unknown() -> None:
    trunc = decode(b"T" + struct.pack(">ib", 2, 1) + struct.pack(">II", 5, 6))
    assert trunc == pgoutput.Truncate(1, (5, 6))
    with pytest.raises(PgOutputError, match="unknown pgoutput message type"):
        decode(b"Z")
    with pytest.raises(PgOutputError, match="truncated"):
        decode(b"I" + struct.pack(">I", 7) + b"N" + struct.pack(">h", 1) + b"t\x00\x00\x00\x09ab")


def test_lsn_text() -> None:
    assert pgoutput.parse_lsn("16/B374D848") == (0x16 << 32) | 0xB374D848
    assert pgoutput.format_lsn((0x16 << 32) | 0xB374D848) == "16/B374D848"
