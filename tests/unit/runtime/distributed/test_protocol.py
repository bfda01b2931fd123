"""The group protocol's bytes: layouts checked by hand, tolerant reading, round trips."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sluice.runtime.distributed.protocol import (
    CONFIG_MISMATCH,
    CONNECTOR_TASK,
    NO_ERROR,
    Compatibility,
    ExtendedAssignment,
    ExtendedWorkerState,
    ProtocolError,
    deserialize_assignment,
    deserialize_metadata,
    group_by_connector,
    metadata_request,
    serialize_assignment,
    serialize_metadata,
)
from sluice.runtime.status import ConnectorTaskId as T


def s16(value: str) -> bytes:
    data = value.encode()
    return struct.pack(">h", len(data)) + data


def i16(v: int) -> bytes:
    return struct.pack(">h", v)


def i32(v: int) -> bytes:
    return struct.pack(">i", v)


def i64(v: int) -> bytes:
    return struct.pack(">q", v)


def entry(connector: str, *tasks: int) -> bytes:
    return s16(connector) + i32(len(tasks)) + b"".join(i32(t) for t in tasks)


# -- hand-checked layouts ----------------------------------------------------------------------


def test_metadata_v0_layout() -> None:
    state = ExtendedWorkerState("http://w1:8083/", 42)
    assert serialize_metadata(state, 0) == i16(0) + s16("http://w1:8083/") + i64(42)


def test_metadata_v0_ignores_the_assignment() -> None:
    assignment = ExtendedAssignment(1, NO_ERROR, "l", "u", 1, ["a"])
    state = ExtendedWorkerState("u", 1, assignment)
    assert serialize_metadata(state, 0) == i16(0) + s16("u") + i64(1)


@pytest.mark.parametrize("version", [1, 2])
def test_metadata_v1_v2_layout_embeds_the_assignment_with_the_same_header(version: int) -> None:
    assignment = ExtendedAssignment(1, NO_ERROR, "leader", "http://l/", 7, ["a"], [T("a", 0)])
    allocation = (
        i16(version)  # the metadata's version, not the assignment's own
        + i16(NO_ERROR)
        + s16("leader")
        + s16("http://l/")
        + i64(7)
        + i32(1)
        + entry("a", CONNECTOR_TASK, 0)
        + i32(0)
        + i32(0)
    )
    data = serialize_metadata(ExtendedWorkerState("http://w/", 9, assignment), version)
    assert data == i16(version) + s16("http://w/") + i64(9) + i32(len(allocation)) + allocation


@pytest.mark.parametrize("assignment", [None, ExtendedAssignment.empty()])
def test_no_assignment_is_a_null_allocation(assignment: ExtendedAssignment | None) -> None:
    data = serialize_metadata(ExtendedWorkerState("u", -1, assignment), 1)
    assert data == i16(1) + s16("u") + i64(-1) + i32(-1)
    assert deserialize_metadata(data) == ExtendedWorkerState("u", -1, None)


def test_assignment_v0_layout() -> None:
    a = ExtendedAssignment(0, CONFIG_MISMATCH, "l", "http://l/", 3, ["c"], [T("c", 1)])
    expected = i16(0) + i16(1) + s16("l") + s16("http://l/") + i64(3) + i32(1) + entry("c", -1, 1)
    assert serialize_assignment(a) == expected


def test_assignment_v2_layout_with_revocations_and_delay() -> None:
    a = ExtendedAssignment(
        2,
        NO_ERROR,
        "l",
        "u",
        5,
        connectors=["a"],
        tasks=[T("b", 0), T("a", 2)],
        revoked_connectors=["z", "y", "z"],
        revoked_tasks=[T("x", 1), T("y", 0)],
        delay=300_000,
    )
    expected = (
        i16(2)
        + i16(0)
        + s16("l")
        + s16("u")
        + i64(5)
        + i32(2)
        + entry("a", -1, 2)
        + entry("b", 0)
        + i32(3)  # revoked keeps its order, duplicates dropped; tasks of new connectors last
        + entry("z", -1)
        + entry("y", -1, 0)
        + entry("x", 1)
        + i32(300_000)
    )
    assert serialize_assignment(a) == expected


def test_assigned_connectors_travel_in_java_hash_set_order() -> None:
    # String.hashCode of one letter is its code: "q" (113) and "a" (97) share bucket 1 of 16,
    # "c" (99) is in bucket 3. Java walks buckets in order and each bucket in insertion order.
    assert list(group_by_connector(["c", "q", "a"], [])) == ["q", "a", "c"]
    assert list(group_by_connector(["c", "a", "q"], [])) == ["a", "q", "c"]
    assert list(group_by_connector(["c", "q", "a"], [], revoked=True)) == ["c", "q", "a"]


def test_group_by_connector_puts_the_connector_first_then_its_tasks() -> None:
    layout = group_by_connector(["b"], [T("a", 3), T("b", 1), T("a", 0)])
    assert layout == {"b": [-1, 1], "a": [3, 0]}
    assert list(layout) == ["b", "a"]


def test_leader_is_required_on_the_wire() -> None:
    with pytest.raises(ProtocolError, match="leader"):
        serialize_assignment(ExtendedAssignment(1, NO_ERROR, None, "u", 1, ["a"]))


def test_strings_longer_than_int16_are_refused() -> None:
    with pytest.raises(ProtocolError, match="larger than the maximum"):
        serialize_metadata(ExtendedWorkerState("x" * 40_000, 0), 0)


# -- reading -------------------------------------------------------------------------------------


FULL_V1 = serialize_assignment(
    ExtendedAssignment(1, NO_ERROR, "l", "u", 5, ["a"], [T("a", 0)], ["r"], [T("r", 1)], 77)
)


def test_truncated_v1_assignment_reads_missing_trailing_fields_as_defaults() -> None:
    without_delay = FULL_V1[:-4]
    a = deserialize_assignment(without_delay)
    assert (a.revoked_connectors, a.revoked_tasks, a.delay) == (["r"], [T("r", 1)], 0)

    without_revoked = without_delay[: -len(i32(1) + entry("r", -1, 1))]
    a = deserialize_assignment(without_revoked)
    assert (a.connectors, a.tasks, a.revoked_connectors, a.delay) == (["a"], [T("a", 0)], [], 0)

    header_only = i16(1) + i16(0) + s16("l") + s16("u") + i64(5)
    a = deserialize_assignment(header_only)
    assert a == ExtendedAssignment(1, NO_ERROR, "l", "u", 5)


def test_v0_assignment_reads_with_empty_revocations() -> None:
    data = i16(0) + i16(0) + s16("l") + s16("u") + i64(5) + i32(1) + entry("a", -1, 0, 1)
    a = deserialize_assignment(data)
    assert a == ExtendedAssignment(0, NO_ERROR, "l", "u", 5, ["a"], [T("a", 0), T("a", 1)])


def test_null_arrays_read_as_empty() -> None:
    data = i16(1) + i16(0) + s16("l") + s16("u") + i64(5) + i32(-1) + i32(-1) + i32(9)
    assert deserialize_assignment(data) == ExtendedAssignment(1, NO_ERROR, "l", "u", 5, delay=9)


def test_newer_versions_and_trailing_bytes_read_as_v1() -> None:
    data = i16(3) + FULL_V1[2:] + b"something a later version added"
    a = deserialize_assignment(data)
    assert a.version == 3
    assert a.delay == 77
    metadata = i16(3) + s16("u") + i64(1) + i32(-1) + b"\x00\x01"
    assert deserialize_metadata(metadata) == ExtendedWorkerState("u", 1, None)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (i16(1) + i16(0) + s16("l"), "Missing value for field 'leader-url'"),
        (
            i16(1) + i16(0) + s16("l") + s16("u") + b"\x00\x00",
            "Error reading field 'config-offset'",
        ),
        (FULL_V1[:-2], "Error reading field 'delay'"),
        (FULL_V1[:30], "Error reading field 'assignment'"),
        (i16(-1) + FULL_V1[2:], "Unsupported subscription version: -1"),
        (b"\x00", "Error reading field 'version'"),
        (i16(1) + i16(0) + i16(-2), "String length -2 cannot be negative"),
    ],
)
def test_malformed_assignments_raise_protocol_errors(data: bytes, message: str) -> None:
    with pytest.raises(ProtocolError, match=message):
        deserialize_assignment(data)


def test_malformed_metadata_raises_protocol_errors() -> None:
    with pytest.raises(ProtocolError, match="Error reading field 'config-offset'"):
        deserialize_metadata(i16(0) + s16("u"))
    with pytest.raises(ProtocolError, match="Error reading field 'allocation'"):
        deserialize_metadata(i16(1) + s16("u") + i64(0) + i32(10) + b"short")
    with pytest.raises(ProtocolError, match="Error reading field 'version'"):
        deserialize_metadata(i16(1) + s16("u") + i64(0) + i32(1) + b"x")


def test_v1_metadata_without_allocation_field_reads_as_no_assignment() -> None:
    assert deserialize_metadata(i16(1) + s16("u") + i64(4)) == ExtendedWorkerState("u", 4)


# -- compatibility modes --------------------------------------------------------------------


def test_metadata_request_offers_subprotocols_by_preference() -> None:
    state = ExtendedWorkerState("u", 1, ExtendedAssignment(2, NO_ERROR, "l", "u", 1, ["a"]))
    offered = metadata_request(state, Compatibility.SESSIONED)
    assert [name for name, _ in offered] == ["sessioned", "compatible", "default"]
    assert [data for _, data in offered] == [serialize_metadata(state, v) for v in (2, 1, 0)]
    assert [n for n, _ in metadata_request(state, Compatibility.COMPATIBLE)] == [
        "compatible",
        "default",
    ]
    assert [n for n, _ in metadata_request(state, Compatibility.EAGER)] == ["default"]


def test_compatibility_lookups() -> None:
    assert Compatibility.from_config("Sessioned") is Compatibility.SESSIONED
    assert Compatibility.from_config("EAGER") is Compatibility.EAGER
    assert Compatibility.from_protocol("default") is Compatibility.EAGER
    assert Compatibility.from_protocol("COMPATIBLE") is Compatibility.COMPATIBLE
    assert Compatibility.from_version(2) is Compatibility.SESSIONED
    assert str(Compatibility.COMPATIBLE) == "compatible"


@pytest.mark.parametrize(
    ("lookup", "value", "message"),
    [
        (
            Compatibility.from_config,
            "default",
            "Unknown Connect protocol compatibility mode: default",
        ),
        (Compatibility.from_config, "", "Unknown Connect protocol compatibility mode: "),
        (
            Compatibility.from_protocol,
            "eager",
            "Not found Connect protocol compatibility mode for protocol: eager",
        ),
        (Compatibility.from_version, 3, "Unknown Connect protocol version: 3"),
    ],
)
def test_unknown_modes_raise_kafkas_messages(lookup: object, value: object, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        lookup(value)  # type: ignore[operator]
    assert str(caught.value) == message


# -- round trips --------------------------------------------------------------------------------

names = st.text(max_size=10)
tasks = st.builds(T, names, st.integers(0, 2**31 - 1))


@st.composite
def assignments(draw: st.DrawFn, versions: tuple[int, ...] = (0, 1, 2)) -> ExtendedAssignment:
    return ExtendedAssignment(
        draw(st.sampled_from(versions)),
        draw(st.sampled_from([NO_ERROR, CONFIG_MISMATCH])),
        draw(names),
        draw(names),
        draw(st.integers(-(2**63), 2**63 - 1)),
        draw(st.lists(names, unique=True, max_size=20)),
        draw(st.lists(tasks, unique=True, max_size=20)),
        draw(st.lists(names, unique=True, max_size=5)),
        draw(st.lists(tasks, unique=True, max_size=5)),
        draw(st.integers(-(2**31), 2**31 - 1)),
    )


def _canonical(a: ExtendedAssignment) -> tuple[object, ...]:
    return (
        a.error,
        a.leader,
        a.leader_url,
        a.offset,
        sorted(a.connectors),
        sorted(a.tasks),
        a.revoked_connectors,
        sorted(a.revoked_tasks),
        a.delay,
    )


@given(assignments())
def test_assignment_round_trip(a: ExtendedAssignment) -> None:
    data = serialize_assignment(a)
    back = deserialize_assignment(data)
    assert back.version == a.version
    if a.version == 0:
        a = ExtendedAssignment(0, a.error, a.leader, a.leader_url, a.offset, a.connectors, a.tasks)
    assert _canonical(back) == _canonical(a)
    # What was read writes the same bytes again: the wire order is a fixed point.
    assert serialize_assignment(back) == data


@given(
    names,
    st.integers(-(2**63), 2**63 - 1),
    st.none() | assignments((1, 2)),
    st.sampled_from([0, 1, 2]),
)
def test_metadata_round_trip(
    url: str, offset: int, a: ExtendedAssignment | None, version: int
) -> None:
    data = serialize_metadata(ExtendedWorkerState(url, offset, a), version)
    back = deserialize_metadata(data)
    assert (back.url, back.offset) == (url, offset)
    if version == 0 or a is None:
        assert back.assignment is None
    else:
        assert back.assignment is not None
        assert back.assignment.version == version
        assert _canonical(back.assignment) == _canonical(a)
