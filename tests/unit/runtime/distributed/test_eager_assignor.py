"""The eager assignor: round-robin over sorted members, connectors first, v0 assignments."""

from __future__ import annotations

from sluice.runtime.distributed.eager_assignor import EagerAssignor
from sluice.runtime.distributed.protocol import (
    CONFIG_MISMATCH,
    NO_ERROR,
    ExtendedAssignment,
    ExtendedWorkerState,
    deserialize_assignment,
    serialize_metadata,
)
from sluice.runtime.status import ConnectorTaskId as T
from tests.unit.runtime.distributed.simulation import Context, snapshot


def members(*ids: str, offset: int = 5) -> list[tuple[str, bytes]]:
    return [(m, serialize_metadata(ExtendedWorkerState(f"http://{m}/", offset), 0)) for m in ids]


def assign(
    member_list: list[tuple[str, bytes]], context: Context, leader: str = "w2"
) -> dict[str, ExtendedAssignment]:
    data = EagerAssignor().perform_assignment(leader, "default", member_list, context)
    assert all(d[:2] == b"\x00\x00" for d in data.values()), "v0 header"
    return {m: deserialize_assignment(d) for m, d in data.items()}


def test_round_robin_connectors_then_tasks_with_one_circular_walk() -> None:
    context = Context(snapshot({"b": 2, "a": 3, "c": 0}, offset=5))
    got = assign(members("w3", "w1", "w2"), context)
    # sorted members w1 w2 w3; connectors a b c take w1 w2 w3; tasks a0 a1 a2 b0 b1 continue at w1
    # (on the wire a task travels with its connector's entry, so compare task sets)
    assert {m: (a.connectors, sorted(a.tasks)) for m, a in got.items()} == {
        "w1": (["a"], [T("a", 0), T("b", 0)]),
        "w2": (["b"], [T("a", 1), T("b", 1)]),
        "w3": (["c"], [T("a", 2)]),
    }
    for a in got.values():
        assert (a.error, a.leader, a.leader_url, a.offset) == (NO_ERROR, "w2", "http://w2/", 5)
        assert (a.revoked_connectors, a.revoked_tasks, a.delay) == ([], [], 0)


def test_members_and_connectors_sort_as_java_strings() -> None:
    # U+10000 is the surrogate pair D800 DC00 in UTF-16, so Java sorts it before U+FFFF.
    high, astral = "\uffff", "\U00010000"
    context = Context(snapshot({high: 0, astral: 0}, offset=5))
    got = assign(members(high, astral), context, leader=high)
    assert got[astral].connectors == [astral]
    assert got[high].connectors == [high]


def test_inconsistent_connectors_get_no_tasks() -> None:
    context = Context(snapshot({"a": 2, "b": 2}, offset=5, inconsistent={"a"}))
    got = assign(members("w1", "w2"), context, leader="w1")
    assert got["w1"].tasks == [T("b", 0)]
    assert got["w2"].tasks == [T("b", 1)]
    assert got["w1"].connectors == ["a"]


def test_leader_state_names_the_owners() -> None:
    context = Context(snapshot({"a": 2}, offset=5))
    assign(members("w1", "w2"), context, leader="w1")
    state = context.leader_state
    assert state is not None
    assert state.owner_url("a") == "http://w1/"
    assert state.owner_url(T("a", 0)) == "http://w2/"
    assert state.owner_url(T("a", 1)) == "http://w1/"
    assert state.owner_url("missing") is None
    assert set(state.all_members) == {"w1", "w2"}


def test_leader_behind_every_member_gets_config_mismatch() -> None:
    context = Context(snapshot({"a": 1}, offset=3), fresh=snapshot({"a": 1}, offset=4))
    ahead = members("w1", offset=3) + members("w2", offset=6)
    got = assign(ahead, context, leader="w1")
    assert context.fresh_taken == 1
    for a in got.values():
        assert a.error == CONFIG_MISMATCH
        assert (a.connectors, a.tasks, a.offset, a.leader) == ([], [], 6, "w1")
    assert context.leader_state is None
    assert context.snapshot.offset == 3, "a snapshot still behind is not adopted"


def test_leader_catching_up_with_a_fresh_snapshot_assigns_at_its_offset() -> None:
    fresh = snapshot({"a": 1, "b": 0}, offset=8)
    context = Context(snapshot({"a": 1}, offset=3), fresh=fresh)
    got = assign(members("w1", offset=3) + members("w2", offset=6), context, leader="w1")
    assert context.snapshot is fresh
    assert {a.offset for a in got.values()} == {8}
    assert got["w1"].connectors == ["a"] and got["w2"].connectors == ["b"]


def test_up_to_date_leader_takes_no_fresh_snapshot() -> None:
    context = Context(snapshot({"a": 1}, offset=9), fresh=snapshot({}, offset=10))
    got = assign(members("w1", offset=7) + members("w2", offset=9), context, leader="w1")
    assert context.fresh_taken == 0
    assert {a.offset for a in got.values()} == {9}
