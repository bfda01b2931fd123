"""sluice's group protocol and assignors against Kafka Connect's own classes (4.1.1 jars).

One JVM serves the whole module: the harness (``java/ConnectProtocolHarness.java``) is compiled
with ``javac`` against the jars in ``$SLUICE_KAFKA_LIBS`` (default ``<repo>/.cache/kafka/libs``)
and answers one JSON request per line. A missing JDK or jar fails the tests.

* (a) metadata and assignments sluice writes are decoded by ``ConnectProtocol`` /
  ``IncrementalCooperativeConnectProtocol`` and must read back as the content sluice wrote;
* (b) Java serializes the same content and the bytes must equal sluice's, for v0, v1 and v2, with
  revocations, delays, errors and enough connectors and tasks that ``HashSet`` order matters;
* (c) both assignors run side by side on simulated clusters (joins, departures, bounces, config
  changes, failed syncs, leader changes, time passing): every round, Java's ``EagerAssignor`` and
  ``IncrementalCooperativeAssignor`` get the same member metadata as sluice's and must answer
  the same bytes for every member. Random lives of clusters, and every scenario of the unit tests
  (``tests/unit/runtime/distributed/test_incremental_assignor.py``) replayed against Java.
"""

from __future__ import annotations

import base64
import functools
import inspect
import json
import os
import random
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sluice.runtime.distributed.eager_assignor import EagerAssignor
from sluice.runtime.distributed.incremental_assignor import IncrementalCooperativeAssignor
from sluice.runtime.distributed.protocol import (
    CONFIG_MISMATCH,
    NO_ERROR,
    Compatibility,
    ExtendedAssignment,
    ExtendedWorkerState,
    deserialize_assignment,
    deserialize_metadata,
    metadata_request,
    serialize_assignment,
    serialize_metadata,
)
from sluice.runtime.status import ConnectorTaskId
from sluice.storage.config import ClusterConfigState
from tests.compat.java_tools import java_tool, kafka_libs
from tests.unit.runtime.distributed import test_incremental_assignor as scenarios
from tests.unit.runtime.distributed.simulation import Cluster, Context, FakeClock

pytestmark = pytest.mark.compat

REQUIRED_JARS = (
    "connect-runtime-",
    "connect-api-",
    "kafka-clients-",
    "jackson-databind-",
    "jackson-core-",
    "jackson-annotations-",
    "slf4j-api-",
)

HARNESS = Path(__file__).resolve().parent / "java" / "ConnectProtocolHarness.java"


class Harness:
    """The running JVM: one JSON request line in, one JSON answer line out."""

    def __init__(self, proc: subprocess.Popen[str], stderr_path: Path) -> None:
        self.proc = proc
        self.stderr_path = stderr_path

    def ask(self, **request: Any) -> dict[str, Any]:
        stdin: IO[str] | None = self.proc.stdin
        stdout: IO[str] | None = self.proc.stdout
        assert stdin is not None and stdout is not None
        stdin.write(json.dumps(request) + "\n")
        stdin.flush()
        line = stdout.readline()
        if not line:
            pytest.fail(f"Java harness died: {self.stderr_path.read_text()[-2000:]}")
        answer: dict[str, Any] = json.loads(line)
        assert "exception" not in answer, f"{request['op']}: {answer['exception']}"
        return answer


@pytest.fixture(scope="module")
def java(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    classpath = str(kafka_libs(REQUIRED_JARS) / "*")
    build = tmp_path_factory.mktemp("connect-protocol-harness")
    compiled = subprocess.run(
        [java_tool("javac"), "-nowarn", "-cp", classpath, "-d", str(build), str(HARNESS)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if compiled.returncode != 0:
        pytest.fail(f"javac failed on the harness:\n{compiled.stderr}")
    stderr_path = build / "stderr.txt"
    with stderr_path.open("w") as stderr:
        proc = subprocess.Popen(
            [java_tool("java"), "-cp", f"{classpath}{os.pathsep}{build}", "ConnectProtocolHarness"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            encoding="utf-8",
        )
        try:
            yield Harness(proc, stderr_path)
        finally:
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.close()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            proc.stdout.close()


# -- conversions between sluice's objects and the harness's JSON -------------------------------


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _tasks(tasks: list[ConnectorTaskId]) -> list[list[Any]]:
    return [[t.connector, t.task] for t in tasks]


def _spec(a: ExtendedAssignment | None) -> dict[str, Any] | None:
    if a is None:
        return None
    return {
        "version": a.version,
        "error": a.error,
        "leader": a.leader,
        "leaderUrl": a.leader_url,
        "offset": a.offset,
        "connectors": a.connectors,
        "tasks": _tasks(a.tasks),
        "revokedConnectors": a.revoked_connectors,
        "revokedTasks": _tasks(a.revoked_tasks),
        "delay": a.delay,
    }


def _described(a: ExtendedAssignment, v0: bool = False) -> dict[str, Any]:
    """What the harness's ``describe`` prints for ``a`` as read by Java (v0: the base fields)."""
    spec = _spec(a)
    assert spec is not None
    if v0:
        for key in ("version", "revokedConnectors", "revokedTasks", "delay"):
            del spec[key]
    return spec


def _state_spec(state: ExtendedWorkerState) -> dict[str, Any]:
    return {"url": state.url, "offset": state.offset, "assignment": _spec(state.assignment)}


def _snapshot_spec(s: ClusterConfigState | None) -> dict[str, Any] | None:
    if s is None:
        return None
    return {
        "offset": s.offset,
        "connectors": {name: s.task_count(name) for name in s.connectors()},
        "inconsistent": sorted(s.inconsistent),
    }


FIXTURE = HealthCheck.function_scoped_fixture

# -- generated content ------------------------------------------------------------------------

_names = st.text(min_size=0, max_size=12)
_task_ids = st.builds(ConnectorTaskId, _names, st.integers(0, 2**31 - 1))


@st.composite
def _assignments(draw: st.DrawFn, version: int | None = None) -> ExtendedAssignment:
    """Assignments as a leader writes them: a connector appears once; tasks may name connectors
    that are not themselves assigned."""
    pool = draw(st.lists(_names, min_size=0, max_size=30, unique=True))
    connectors = draw(st.lists(st.sampled_from(pool), unique=True)) if pool else []
    tasks = draw(
        st.lists(
            st.builds(
                ConnectorTaskId,
                st.sampled_from(pool) if pool else _names,
                st.integers(0, 2**31 - 1),
            ),
            max_size=40,
            unique=True,
        )
    )
    revoked = draw(st.lists(st.sampled_from(pool), unique=True)) if pool else []
    revoked_tasks = draw(st.lists(_task_ids, max_size=10, unique=True))
    return ExtendedAssignment(
        draw(st.sampled_from([0, 1, 2])) if version is None else version,
        draw(st.sampled_from([NO_ERROR, CONFIG_MISMATCH])),
        draw(_names),
        draw(_names),
        draw(st.integers(-1, 2**63 - 1)),
        connectors,
        tasks,
        revoked,
        revoked_tasks,
        draw(st.integers(0, 2**31 - 1)),
    )


def _many_connectors(count: int, tasks: int) -> tuple[list[str], list[ConnectorTaskId]]:
    names = [f"connector-{i}" for i in range(count)]
    return names, [ConnectorTaskId(n, t) for n in names for t in range(tasks)]


FIXED: list[ExtendedAssignment] = []
for _count in (0, 1, 3, 12, 13, 24, 25, 40):
    _names_list, _task_list = _many_connectors(_count, 3)
    for _version in (0, 1, 2):
        FIXED.append(
            ExtendedAssignment(
                _version,
                NO_ERROR,
                "connect-1-leader",
                "http://leader:8083/",
                _count * 7,
                _names_list[::-1],
                _task_list[::-1],
                _names_list[: _count // 2],
                _task_list[::5],
                _count * 1000,
            )
        )
FIXED.append(ExtendedAssignment(1, CONFIG_MISMATCH, "l", "http://l:8083/", 17, [], [], [], [], 0))
FIXED.append(ExtendedAssignment(2, NO_ERROR, "", "", -1, ["ünïcødé", "日本"], [], [], [], 5))


# -- (a) and (b): protocol bytes ---------------------------------------------------------------


@pytest.mark.parametrize("assignment", FIXED, ids=lambda a: f"v{a.version}-{len(a.connectors)}")
def test_fixed_assignments_match_java(java: Harness, assignment: ExtendedAssignment) -> None:
    _check_assignment(java, assignment)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(assignment=_assignments())
def test_generated_assignments_match_java(java: Harness, assignment: ExtendedAssignment) -> None:
    _check_assignment(java, assignment)


def _check_assignment(java: Harness, assignment: ExtendedAssignment) -> None:
    ours = serialize_assignment(assignment)
    theirs = java.ask(op="encode_assignment", assignment=_spec(assignment))["data"]
    assert _b64(ours) == theirs, "Java serializes the same content to other bytes"
    read = java.ask(op="decode_assignment", data=_b64(ours))
    expected = deserialize_assignment(ours)
    if assignment.version == 0:
        # Java's reader for every version (the v1 layout) gives the base fields and defaults.
        assert read["v0"] == _described(expected, v0=True)
    assert read["assignment"] == _described(expected)
    # What Java read is what sluice wrote (order aside: connectors travel in HashSet order).
    assert sorted(read["assignment"]["connectors"]) == sorted(set(assignment.connectors))
    assert sorted(map(tuple, read["assignment"]["tasks"])) == sorted(assignment.tasks)
    if assignment.version > 0:
        assert read["assignment"]["revokedConnectors"] == list(
            dict.fromkeys(assignment.revoked_connectors)
        )
        assert sorted(map(tuple, read["assignment"]["revokedTasks"])) == sorted(
            assignment.revoked_tasks
        )
        assert read["assignment"]["delay"] == assignment.delay


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    url=_names,
    offset=st.integers(-1, 2**63 - 1),
    assignment=st.none() | _assignments(version=1),
    version=st.sampled_from([0, 1, 2]),
)
def test_metadata_matches_java(
    java: Harness, url: str, offset: int, assignment: ExtendedAssignment | None, version: int
) -> None:
    state = ExtendedWorkerState(url, offset, assignment)
    ours = serialize_metadata(state, version)
    theirs = java.ask(op="encode_metadata", version=version, state=_state_spec(state))["data"]
    assert _b64(ours) == theirs
    read = java.ask(op="decode_metadata", data=_b64(ours))
    back = deserialize_metadata(ours)
    assert (read["url"], read["offset"]) == (url, offset)
    if version == 0:
        assert (read["v0Url"], read["v0Offset"]) == (url, offset)
    if version == 0 or assignment is None:
        assert read["assignment"] is None and back.assignment is None
    else:
        assert back.assignment is not None
        assert back.assignment.version == version  # the allocation carries the metadata's header
        assert read["assignment"] == _described(back.assignment)


def test_empty_assignment_travels_as_null_allocation(java: Harness) -> None:
    state = ExtendedWorkerState("http://w:8083/", 3, ExtendedAssignment.empty())
    for version in (1, 2):
        ours = serialize_metadata(state, version)
        java_state = {"url": state.url, "offset": 3, "assignment": None}
        assert (
            _b64(ours) == java.ask(op="encode_metadata", version=version, state=java_state)["data"]
        )
        assert java.ask(op="decode_metadata", data=_b64(ours))["assignment"] is None


@pytest.mark.parametrize("mode", list(Compatibility))
def test_metadata_request_matches_java(java: Harness, mode: Compatibility) -> None:
    names, tasks = _many_connectors(15, 2)
    assignment = ExtendedAssignment(2, NO_ERROR, "l", "http://l/", 9, names, tasks, [], [], 0)
    state = ExtendedWorkerState("http://me:8083/", 9, assignment)
    theirs = java.ask(op="metadata_request", mode=str(mode), state=_state_spec(state))
    ours = [[name, _b64(data)] for name, data in metadata_request(state, mode)]
    assert ours == theirs["protocols"]


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("config", "eager"),
        ("config", "COMPATIBLE"),
        ("config", "Sessioned"),
        ("config", "default"),
        ("config", "\u017fessioned"),  # LATIN SMALL LETTER LONG S upper-cases to S
        ("config", ""),
        ("protocol", "default"),
        ("protocol", "Compatible"),
        ("protocol", "SESSIONED"),
        ("protocol", "eager"),
        ("version", "0"),
        ("version", "1"),
        ("version", "2"),
        ("version", "3"),
        ("version", "-1"),
    ],
)
def test_compatibility_modes_match_java(java: Harness, kind: str, value: str) -> None:
    theirs = java.ask(op="compat", kind=kind, value=value)
    parse = {
        "config": Compatibility.from_config,
        "protocol": Compatibility.from_protocol,
        "version": lambda v: Compatibility.from_version(int(v)),
    }[kind]
    try:
        mode = parse(value)
    except ValueError as e:
        assert theirs == {"error": str(e)}
    else:
        assert theirs == {"mode": mode.name, "text": str(mode)}


# -- (c): the assignors side by side -----------------------------------------------------------


class _Twin:
    """A sluice assignor and a Java one in step: both answer every round, the answers must match
    byte for byte, and sluice's is what the simulated cluster then applies."""

    _ids = 0

    def __init__(self, java: Harness, clock: FakeClock, kind: str, max_delay_ms: int) -> None:
        _Twin._ids += 1
        self.id = f"assignor-{_Twin._ids}"
        self.java = java
        self.clock = clock
        java.ask(op="new_assignor", id=self.id, kind=kind, maxDelay=max_delay_ms)
        self.ours = (
            EagerAssignor()
            if kind == "eager"
            else IncrementalCooperativeAssignor(max_delay_ms / 1000, clock)
        )
        self.rounds = 0

    def perform_assignment(
        self, leader_id: str, protocol: str, members: Any, context: Any
    ) -> dict[str, bytes]:
        assert isinstance(context, Context)
        request = {
            "id": self.id,
            "now": self.clock.ms,
            "leader": leader_id,
            "protocol": protocol,
            "members": [[m, _b64(d)] for m, d in members],
            "snapshot": _snapshot_spec(context.snapshot),
            "fresh": _snapshot_spec(context.fresh or context.snapshot),
            "generation": context.generation,
            "lastCompleted": context.last_completed,
        }
        theirs = self.java.ask(op="assign", **request)
        ours = self.ours.perform_assignment(leader_id, protocol, members, context)
        self.rounds += 1
        for member in ours:
            java_bytes = base64.b64decode(theirs["assignments"][member])
            assert ours[member] == java_bytes, (
                f"round {self.rounds}, member {member}:\n"
                f" java:   {deserialize_assignment(java_bytes)}\n"
                f" sluice: {deserialize_assignment(ours[member])}"
            )
        assert set(ours) == set(theirs["assignments"])
        assert context.snapshot.offset == theirs["snapshotOffset"]
        assert (context.fresh_taken > 0) == theirs["freshTaken"]
        if context.leader_state is not None:
            state = context.leader_state
            assert state.connector_owners == theirs["connectorOwners"]
            assert {str(t): m for t, m in state.task_owners.items()} == theirs["taskOwners"]
        else:
            assert "connectorOwners" not in theirs
        return ours


def _random_scenario(java: Harness, seed: int, protocol: str, max_delay_ms: int) -> int:
    """A random life of a cluster; returns how many rounds were compared."""
    rng = random.Random(seed)
    clock = FakeClock(rng.randrange(0, 10**9))
    kind = "eager" if protocol == "default" else "incremental"
    cluster = Cluster(lambda: _Twin(java, clock, kind, max_delay_ms), protocol=protocol)
    serial = 0

    def new_member() -> str:
        nonlocal serial
        serial += 1
        return f"connect-{serial}-{rng.getrandbits(64):016x}"

    cluster.join(*(new_member() for _ in range(rng.randint(1, 4))))
    for _ in range(rng.randint(1, 20)):
        cluster.set_connector(f"conn-{rng.getrandbits(24):x}", rng.randint(0, 6))
    rounds = 0
    departed: list[str] = []
    for _ in range(40):
        event = rng.random()
        if event < 0.15:
            cluster.join(new_member())
        elif event < 0.25 and len(cluster.workers) > 1:
            gone = rng.choice(list(cluster.workers))
            departed.append(gone)
            cluster.leave(gone)
        elif event < 0.32 and departed:
            cluster.join(departed.pop())  # bounces back, empty, with the same id
        elif event < 0.45:
            cluster.set_connector(f"conn-{rng.getrandbits(24):x}", rng.randint(0, 8))
        elif event < 0.52 and cluster.connectors:
            cluster.remove_connector(rng.choice(list(cluster.connectors)))
        elif event < 0.60 and cluster.connectors:
            cluster.set_connector(rng.choice(list(cluster.connectors)), rng.randint(0, 8))
        elif event < 0.64 and cluster.connectors:
            cluster.inconsistent = {rng.choice(list(cluster.connectors))}
        else:
            cluster.inconsistent = set()
        clock.sleep_ms(rng.choice([0, 1, 40, max_delay_ms // 2, max_delay_ms, max_delay_ms + 1]))
        roll = rng.random()
        if roll < 0.08:
            cluster.rebalance(deliver=False, leader_completes=rng.random() < 0.5)
        elif roll < 0.12 and len(cluster.workers) > 1:
            cluster.rebalance(leader=rng.choice(list(cluster.workers)))
        elif roll < 0.16:
            # A member ahead of the leader: the leader's snapshot lags behind its metadata.
            lagging = cluster.snapshot()
            lagging.offset -= 1
            leader = next(iter(cluster.workers))
            _rebalance_with_snapshot(cluster, leader, lagging, rng.random() < 0.5)
        else:
            cluster.rebalance()
        rounds += 1
        # Settle now and then: rebalance until nothing is revoked or held back.
        if rng.random() < 0.2:
            for _ in range(4):
                settled = cluster.rebalance()
                rounds += 1
                if all(
                    not a.revoked_connectors and not a.revoked_tasks and not a.delay
                    for a in settled.received.values()
                ):
                    break
    return rounds


def _rebalance_with_snapshot(
    cluster: Cluster, leader: str, lagging: ClusterConfigState, fresh_catches_up: bool
) -> None:
    cluster.generation += 1
    context = Context(
        lagging,
        fresh=cluster.snapshot() if fresh_catches_up else lagging,
        generation=cluster.generation,
        last_completed=cluster.workers[leader].last_completed,
        member=leader,
    )
    data = cluster.assignors[leader].perform_assignment(
        leader, cluster.protocol, cluster.members(), context
    )
    for member, worker in cluster.workers.items():
        worker.apply(data[member], cluster.generation, cluster.protocol == "default")


@pytest.mark.parametrize(
    ("protocol", "max_delay_ms"),
    [
        ("sessioned", 300_000),
        ("compatible", 300_000),
        ("sessioned", 0),
        ("sessioned", 1),
        ("compatible", 50),
        ("default", 0),
    ],
)
@pytest.mark.parametrize("seed", range(8))
def test_assignors_match_java(java: Harness, protocol: str, max_delay_ms: int, seed: int) -> None:
    rounds = _random_scenario(java, seed * 7919 + max_delay_ms, protocol, max_delay_ms)
    assert rounds >= 40


@pytest.mark.parametrize("protocol", ["sessioned", "compatible"])
def test_revocation_order_matches_java(java: Harness, protocol: str) -> None:
    """Deleted and duplicated work is revoked in the order of a ``HashSet`` copied from what the
    member runs, whose table is larger than an incrementally filled set's at exactly 12, 24, 48
    elements (the names here give different orders for the two sizes): members holding 12
    connectors, or 12 tasks, have them revoked and the bytes must still be Java's."""
    clock = FakeClock()
    cluster = Cluster(lambda: _Twin(java, clock, "incremental", 0), protocol=protocol)
    cluster.join("worker-a")
    names = [f"connector-{i}" for i in range(12)]
    for name in names:
        cluster.set_connector(name, 0)
    cluster.rebalance()
    for name in names:
        cluster.remove_connector(name)  # twelve deleted connectors revoked at once
    cluster.rebalance()
    cluster.set_connector("wide", 12)
    cluster.rebalance()
    cluster.remove_connector("wide")  # twelve deleted tasks revoked at once
    cluster.rebalance()
    cluster.set_connector("orders", 12)
    cluster.rebalance()
    cluster.join("worker-b")
    runs = cluster.workers["worker-a"].assignment
    assert runs is not None
    # worker-b runs everything worker-a runs (as after an assignment it never received)
    cluster.workers["worker-b"].assignment = runs.copy()
    cluster.rebalance()
    cluster.rebalance()


def _unit_scenarios() -> list[tuple[str, Callable[[FakeClock], None]]]:
    found: list[tuple[str, Callable[[FakeClock], None]]] = []
    for name, fn in vars(scenarios).items():
        if not name.startswith("test_") or name == "test_delay_property_is_in_seconds":
            continue
        if list(inspect.signature(fn).parameters) == ["clock"]:
            found.append((name, fn))
    for completes in (True, False):
        run = functools.partial(
            scenarios.test_revoking_assignment_that_never_arrives, leader_completes=completes
        )
        found.append((f"test_revoking_assignment_that_never_arrives[{completes}]", run))
    for protocol, header in (("compatible", 1), ("sessioned", 2)):
        run = functools.partial(
            scenarios.test_assignment_header_follows_the_subprotocol,
            protocol=protocol,
            header=header,
        )
        found.append((f"test_assignment_header_follows_the_subprotocol[{protocol}]", run))
    return found


UNIT_SCENARIOS = _unit_scenarios()


@pytest.mark.parametrize(
    "scenario", [fn for _, fn in UNIT_SCENARIOS], ids=[name for name, _ in UNIT_SCENARIOS]
)
def test_unit_scenarios_match_java(
    java: Harness, scenario: Callable[[FakeClock], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each unit scenario again, with Java's assignor answering every round beside sluice's."""
    twins: list[_Twin] = []

    def twin(max_delay: float, clock: FakeClock) -> _Twin:
        twins.append(_Twin(java, clock, "incremental", round(max_delay * 1000)))
        return twins[-1]

    monkeypatch.setattr(scenarios, "IncrementalCooperativeAssignor", twin)
    scenario(FakeClock())
    assert sum(t.rounds for t in twins) >= 1
