"""A Java Kafka Connect cluster and a sluice cluster take over each other's internal topics.

Real processes on the session broker: Apache Kafka's own ``ConnectDistributed`` (4.1.1 jars,
:mod:`tests.fixtures.java_connect`) and ``sluice distributed`` workers, in one group on one set of
config, offset and status topics.

* Java → sluice: a Java worker runs a file source (offsets committed), a paused connector, a
  stopped one and a three-task file sink, and stops; a sluice worker started on its group and
  topics shows the same connectors, configs, target states, task configs, offsets and active
  topics over REST, and carries on where Java stopped: no line is sent twice, appended lines
  arrive, the sink appends them, the paused connector resumes from its committed position.
* sluice → Java: the same, the other way round (two sluice workers create the connectors).
* A mixed group, as in a rolling migration: a sluice worker joins the Java worker (Java leads),
  then the Java worker leaves and a new one joins under the sluice leader. Each time connectors
  are created through both runtimes and run on both (a follower's task configs reach the leader
  with a KIP-507 signature), and stop, offsets, restart and delete requests sent to the
  follower are forwarded to the leader.

One JVM starts per direction; the mixed group reuses the second and starts a third.
"""

from __future__ import annotations

import json
import signal
import subprocess
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka.admin import AdminClient

from sluice.runtime.distributed.protocol import deserialize_assignment, deserialize_metadata
from sluice.testing import wait_for
from tests.fixtures.distributed import DistributedCluster, WorkerProcess
from tests.fixtures.java_connect import JavaWorkerProcess, add_java_worker
from tests.fixtures.kafka import consume_all, create_topic
from tests.fixtures.worker_process import high_watermark

pytestmark = pytest.mark.compat

FILE_SOURCE = "org.apache.kafka.connect.file.FileStreamSourceConnector"
FILE_SINK = "org.apache.kafka.connect.file.FileStreamSinkConnector"
JAVA_START_TIMEOUT = 90.0
SINK_TASKS = 3
# Java exits with 128 + SIGTERM after its shutdown hook stopped the worker gracefully.
GRACEFUL_EXITS = {"java": (0, 143), "sluice": (0,)}
# Source offsets and sink commits every half second, so waits for them are short.
CLUSTER_PROPS = {"offset.flush.interval.ms": "500"}


def _kind(worker: WorkerProcess) -> str:
    return "java" if isinstance(worker, JavaWorkerProcess) else "sluice"


def _lines(prefix: str, start: int, stop: int) -> list[str]:
    return [f"{prefix}-{i}" for i in range(start, stop)]


def _append(path: Path, lines: list[str]) -> None:
    with path.open("a", encoding="utf-8") as f:
        f.write("".join(f"{line}\n" for line in lines))


def _ok(response: Any, *codes: int) -> Any:
    assert response.status_code in codes, (response.request.url, response.text)
    return response.json() if response.content else None


# -- what a cluster shows over REST ----------------------------------------------------------
def _sorted_offsets(body: dict[str, Any]) -> list[dict[str, Any]]:
    return sorted(body["offsets"], key=lambda entry: json.dumps(entry, sort_keys=True))


def cluster_view(worker: WorkerProcess) -> dict[str, Any]:
    """Everything a takeover must preserve, as ``worker`` serves it (worker ids and plugin
    versions left out: they name the runtime, not the connector)."""
    expanded = worker.get("/connectors?expand=info&expand=status")
    view: dict[str, Any] = {}
    for name, entry in sorted(expanded.items()):
        info, status = entry["info"], entry["status"]
        view[name] = {
            "type": (info["type"], status["type"]),
            "config": info["config"],
            "config_endpoint": read_during_rebalances(worker, f"/connectors/{name}/config"),
            "task_ids": info["tasks"],
            "tasks": read_during_rebalances(worker, f"/connectors/{name}/tasks"),
            "state": status["connector"]["state"],
            "task_states": [(t["id"], t["state"]) for t in status["tasks"]],
            "offsets": _sorted_offsets(worker.get(f"/connectors/{name}/offsets")),
            "topics": worker.get(f"/connectors/{name}/topics"),
        }
    return view


def status_workers(worker: WorkerProcess) -> set[str]:
    """The worker ids in every connector and task status ``worker`` reports."""
    expanded = worker.get("/connectors?expand=status")
    ids = set()
    for entry in expanded.values():
        status = entry["status"]
        ids.add(status["connector"]["worker_id"])
        ids.update(t["worker_id"] for t in status["tasks"])
    return ids


def _diff(expected: dict[str, Any], actual: dict[str, Any]) -> str:
    lines = []
    for name in sorted(set(expected) | set(actual)):
        e, a = expected.get(name), actual.get(name)
        if e is None or a is None:
            lines.append(f"{name}: expected {e}, got {a}")
            continue
        lines.extend(
            f"{name}.{key}: expected {e[key]!r}, got {a.get(key)!r}"
            for key in e
            if e[key] != a.get(key)
        )
    return "\n".join(lines) or "no difference"


def wait_view(workers: list[WorkerProcess], expected: dict[str, Any], timeout: float = 30) -> None:
    """Wait until every one of ``workers`` shows ``expected``, with statuses written by the
    workers themselves (not left over from the previous cluster)."""
    ids = {w.worker_id for w in workers}
    for worker in workers:
        last: dict[str, Any] = {}

        def same(worker: WorkerProcess = worker, last: dict[str, Any] = last) -> bool:
            last["view"] = cluster_view(worker)
            last["ids"] = status_workers(worker)
            return last["view"] == expected and last["ids"] <= ids

        def explain(worker: WorkerProcess = worker, last: dict[str, Any] = last) -> str:
            return (
                f"{_kind(worker)} worker {worker.index} shows another cluster:\n"
                f"{_diff(expected, last.get('view', {}))}\n"
                f"status worker ids {last.get('ids')} (expected within {ids})"
            )

        wait_for(same, timeout, 0.3, message=explain)


# -- the scenario both directions run ---------------------------------------------------------
@dataclass
class Scenario:
    """The connectors one cluster creates and the next one must carry on."""

    tmp: Path
    topic: str
    suffix: str = field(default_factory=lambda: uuid.uuid4().hex[:6])

    def __post_init__(self) -> None:
        # Offsets are found by the bytes of their key, which holds the file name: non-ASCII
        # characters must be written as Jackson writes them (raw UTF-8, not \u escapes).
        self.source_file = self.tmp / "source é ü.txt"
        self.paused_file = self.tmp / "paused.txt"
        self.stopped_file = self.tmp / "stopped.txt"
        self.sink_file = self.tmp / "sink.txt"
        self.source_lines = _lines("line", 0, 20)
        self.source_file.write_text("".join(f"{line}\n" for line in self.source_lines))
        self.paused_file.write_text("p-0\np-1\n")
        self.stopped_file.write_text("s-0\ns-1\ns-2\n")
        self.side_topic = f"{self.topic}-side"

    @classmethod
    def make(cls, bootstrap: str, tmp: Path, prefix: str) -> Scenario:
        scenario = cls(tmp, create_topic(bootstrap, f"{prefix}-{uuid.uuid4().hex[:8]}"))
        create_topic(bootstrap, scenario.side_topic)
        return scenario

    @property
    def names(self) -> dict[str, str]:
        return {kind: f"{kind}-{self.suffix}" for kind in ("source", "paused", "stopped", "sink")}

    def configs(self) -> dict[str, dict[str, str]]:
        n = self.names

        def source(path: Path, topic: str) -> dict[str, str]:
            return {"connector.class": FILE_SOURCE, "file": str(path), "topic": topic}

        return {
            n["source"]: source(self.source_file, self.topic),
            n["paused"]: source(self.paused_file, self.side_topic),
            n["stopped"]: {**source(self.stopped_file, self.side_topic), "tasks.max": "1"},
            n["sink"]: {
                "connector.class": FILE_SINK,
                "file": str(self.sink_file),
                "topics": self.topic,
                "tasks.max": str(SINK_TASKS),
            },
        }

    def create(self, workers: list[WorkerProcess]) -> None:
        """Create the connectors (round-robin over ``workers``), let them run and commit, then
        pause one and stop another."""
        for i, (name, config) in enumerate(self.configs().items()):
            worker = workers[i % len(workers)]
            _ok(
                worker.request("POST", "/connectors", json={"name": name, "config": config}),
                201,
            )
        n = self.names
        first = workers[0]
        wait_running(first, n["source"], 1)
        wait_running(first, n["paused"], 1)
        wait_running(first, n["stopped"], 1)
        wait_running(first, n["sink"], SINK_TASKS)
        # Everything read is committed before the pause and the stop, so the offsets are known.
        for kind, path in (
            ("source", self.source_file),
            ("paused", self.paused_file),
            ("stopped", self.stopped_file),
        ):
            wait_offset(first, n[kind], path, path.stat().st_size)
        _ok(workers[-1].request("PUT", f"/connectors/{n['paused']}/pause"), 202)
        _ok(workers[-1].request("PUT", f"/connectors/{n['stopped']}/stop"), 204)
        wait_sink(self.sink_file, self.source_lines)

    def expected_view(self, worker: WorkerProcess) -> dict[str, Any]:
        """``worker``'s view once the pause and the stop took effect and the sink committed."""
        n = self.names

        def settled() -> dict[str, Any] | None:
            view = cluster_view(worker)
            states = {name: (v["state"], v["task_states"]) for name, v in view.items()}
            sink_offsets = view[n["sink"]]["offsets"]
            ok = (
                states[n["source"]] == ("RUNNING", [(0, "RUNNING")])
                and states[n["paused"]] == ("PAUSED", [(0, "PAUSED")])
                and states[n["stopped"]] == ("STOPPED", [])
                and states[n["sink"]][0] == "RUNNING"
                and [s for _, s in states[n["sink"]][1]] == ["RUNNING"] * SINK_TASKS
                and [o["offset"] for o in sink_offsets]
                == [{"kafka_offset": len(self.source_lines)}]
            )
            return view if ok else None

        view = wait_for(settled, 30, 0.3, message=lambda: json.dumps(cluster_view(worker)))
        # What every runtime must show for these connectors, whoever created them.
        assert set(view) == set(n.values())
        for name, config in self.configs().items():
            assert view[name]["config"] == {**config, "name": name}
            assert view[name]["config_endpoint"] == view[name]["config"]
        assert view[n["stopped"]]["tasks"] == [] and view[n["stopped"]]["task_ids"] == []
        assert [t["id"]["task"] for t in view[n["sink"]]["tasks"]] == list(range(SINK_TASKS))
        for kind, topic in (
            ("source", self.topic),
            ("paused", self.side_topic),
            ("sink", self.topic),
        ):
            assert view[n[kind]]["topics"] == {n[kind]: {"topics": [topic]}}
        assert view[n["stopped"]]["topics"] == {n["stopped"]: {"topics": [self.side_topic]}}
        for kind in ("source", "paused", "stopped"):
            path = getattr(self, f"{kind}_file")
            assert view[n[kind]]["offsets"] == [
                {"partition": {"filename": str(path)}, "offset": {"position": path.stat().st_size}}
            ]
            task = view[n[kind]]["tasks"]
            if kind != "stopped":
                assert task[0]["config"]["task.class"] == (
                    "org.apache.kafka.connect.file.FileStreamSourceTask"
                )
        return view

    def carry_on(self, bootstrap: str, workers: list[WorkerProcess]) -> None:
        """Lines appended now reach the topic once, after the ones the first cluster sent; the
        sink appends them; the paused connector sends nothing; resuming it sends only new lines."""
        more = _lines("line", len(self.source_lines), len(self.source_lines) + 5)
        _append(self.source_file, more)
        everything = self.source_lines + more
        values = [m.value().decode() for m in consume_all(bootstrap, self.topic, len(everything))]
        assert values == everything
        wait_sink(self.sink_file, everything)
        assert high_watermark(bootstrap, self.topic) == len(everything)
        # The paused connector resumes from the committed position too.
        _append(self.paused_file, ["p-2"])
        _ok(workers[0].request("PUT", f"/connectors/{self.names['paused']}/resume"), 202)
        side = [m.value().decode() for m in consume_all(bootstrap, self.side_topic, 6)]
        assert sorted(side) == sorted(["p-0", "p-1", "s-0", "s-1", "s-2", "p-2"])
        assert high_watermark(bootstrap, self.side_topic) == len(side)


def wait_running(worker: WorkerProcess, name: str, tasks: int, timeout: float = 60) -> None:
    def check() -> bool:
        response = worker.request("GET", f"/connectors/{name}/status")
        if response.status_code != 200:
            return False
        status = response.json()
        states = [t["state"] for t in status["tasks"]]
        if "FAILED" in states or status["connector"]["state"] == "FAILED":
            raise AssertionError(f"{name} failed: {status}")
        return status["connector"]["state"] == "RUNNING" and states == ["RUNNING"] * tasks

    wait_for(
        check,
        timeout,
        0.2,
        message=lambda: f"{name}: {worker.request('GET', f'/connectors/{name}/status').text}",
    )


def wait_offset(worker: WorkerProcess, name: str, path: Path, position: int) -> None:
    expected = [{"partition": {"filename": str(path)}, "offset": {"position": position}}]
    wait_for(
        lambda: worker.get(f"/connectors/{name}/offsets")["offsets"] == expected,
        30,
        0.2,
        message=lambda: f"{name} offsets: {worker.get(f'/connectors/{name}/offsets')}",
    )


def wait_sink(path: Path, lines: list[str], timeout: float = 30) -> None:
    def read() -> list[str]:
        return path.read_text().splitlines() if path.exists() else []

    wait_for(lambda: len(read()) >= len(lines), timeout, 0.2, message=lambda: f"sink has {read()}")
    assert read() == lines


def stop_all(workers: list[WorkerProcess]) -> None:
    """Stop ``workers`` gracefully, all at once; each must exit as a graceful stop does."""
    procs = [(w, w.proc) for w in workers if w.proc is not None]
    for _, proc in procs:
        proc.send_signal(signal.SIGTERM)
    for worker, proc in procs:
        assert proc.wait(60) in GRACEFUL_EXITS[_kind(worker)], worker.log_tail()


def shut_down(cluster: DistributedCluster) -> None:
    """Stop every worker still running, all at once (SIGKILL for those that hang)."""
    live = [w for w in cluster.live() if w.proc is not None]
    for worker in live:
        worker.proc.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
    for worker in live:
        try:
            worker.proc.wait(60)  # type: ignore[union-attr]
        except subprocess.TimeoutExpired:
            worker.kill9()
    cluster.stop()


# -- Java → sluice ---------------------------------------------------------------------------
def test_java_cluster_hands_over_to_sluice(kafka_bootstrap: str, tmp_path: Path) -> None:
    scenario = Scenario.make(kafka_bootstrap, tmp_path, "j2s")
    cluster = DistributedCluster(kafka_bootstrap, tmp_path, size=0, props=CLUSTER_PROPS)
    try:
        java = add_java_worker(cluster)
        cluster.wait_healthy(java, JAVA_START_TIMEOUT)
        java.log_rebalances()
        scenario.create([java])
        before = scenario.expected_view(java)
        stop_all([java])

        # One sluice worker (the sluice → Java fixture runs two): a second one would only add a
        # rebalance that revokes work, which the integration tests cover.
        sluice = [cluster.add_worker()]
        cluster.wait_healthy(sluice[0])
        wait_view(sluice, before)
        scenario.carry_on(kafka_bootstrap, sluice)
    except BaseException:
        print(cluster.logs())
        raise
    finally:
        shut_down(cluster)


# -- sluice → Java, then a mixed group --------------------------------------------------------
@dataclass
class SluiceThenJava:
    cluster: DistributedCluster
    scenario: Scenario
    before: dict[str, Any]
    java: JavaWorkerProcess


@pytest.fixture(scope="module")
def sluice_then_java(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SluiceThenJava]:
    """Two sluice workers run the scenario and stop; then one Java worker starts on their group
    and topics (and keeps running for the mixed-group test)."""
    tmp = tmp_path_factory.mktemp("sluice-then-java")
    scenario = Scenario.make(kafka_bootstrap, tmp, "s2j")
    # Work a departed worker held is reassigned at once (Kafka Connect waits 5 minutes).
    cluster = DistributedCluster(
        kafka_bootstrap,
        tmp,
        size=2,
        props={**CLUSTER_PROPS, "scheduled.rebalance.max.delay.ms": "0"},
    )
    try:
        cluster.start()
        sluice = list(cluster.workers)
        scenario.create(sluice)
        before = scenario.expected_view(sluice[0])
        stop_all(sluice)
        java = add_java_worker(cluster)
        cluster.wait_healthy(java, JAVA_START_TIMEOUT)
        java.log_rebalances()
        yield SluiceThenJava(cluster, scenario, before, java)
    except BaseException:
        print(cluster.logs())
        raise
    finally:
        shut_down(cluster)


def test_sluice_cluster_hands_over_to_java(
    sluice_then_java: SluiceThenJava, kafka_bootstrap: str
) -> None:
    s = sluice_then_java
    try:
        wait_view([s.java], s.before)
        s.scenario.carry_on(kafka_bootstrap, [s.java])
    except BaseException:
        print(s.cluster.logs())
        raise


# -- a mixed group ----------------------------------------------------------------------------
@dataclass
class Member:
    url: str
    leader_url: str | None
    connectors: list[str]
    """Assigned in the last rebalance (the incremental protocols send only what is new)."""
    tasks: list[str]


def group_members(bootstrap: str, group: str) -> tuple[str, list[Member]]:
    """The group's protocol and each member's assignment, decoded from DescribeGroups (the
    leader is named in every assignment)."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the only API that shows bytes
        found = admin.list_groups(group=group, timeout=10)
    if not found or found[0].state != "Stable":
        return "", []
    members = []
    for m in found[0].members:
        url = deserialize_metadata(m.metadata).url
        assignment = deserialize_assignment(m.assignment)
        members.append(
            Member(
                url.rstrip("/"),
                (assignment.leader_url or "").rstrip("/"),
                sorted(assignment.connectors),
                sorted(str(t) for t in assignment.tasks),
            )
        )
    return found[0].protocol, sorted(members, key=lambda m: m.url)


def wait_group(
    bootstrap: str, cluster: DistributedCluster, workers: list[WorkerProcess], leader: WorkerProcess
) -> None:
    """Wait until exactly ``workers`` form the group under ``leader`` with the sessioned
    protocol (request signing on), and each of them runs some of the work."""
    urls = sorted(w.url for w in workers)
    ids = {w.worker_id for w in workers}

    def settled() -> bool:
        protocol, members = group_members(bootstrap, cluster.group)
        return (
            protocol == "sessioned"
            and [m.url for m in members] == urls
            and all(m.leader_url == leader.url for m in members)
            and all(status_workers(w) == ids for w in workers)
        )

    wait_for(
        settled,
        60,
        0.5,
        message=lambda: (
            f"group: {group_members(bootstrap, cluster.group)}; "
            f"status worker ids {[status_workers(w) for w in workers]}, expected {ids}"
        ),
    )


@dataclass
class NewSources:
    topic: str
    files: dict[str, Path]
    runners: dict[str, WorkerProcess]
    """The worker each connector runs on (the one that generated its task configs)."""


def run_new_sources(
    bootstrap: str, tmp: Path, through: list[WorkerProcess], label: str
) -> NewSources:
    """One file source created through each of ``through``; waits until every one runs a task
    and its lines arrived once."""
    topic = create_topic(bootstrap, f"mixed-{label}-{uuid.uuid4().hex[:8]}")
    files = {}
    for i, worker in enumerate(through):
        name = f"{label}-{_kind(worker)}-{i}-{uuid.uuid4().hex[:4]}"
        path = tmp / f"{name}.txt"
        path.write_text(f"{name}-a\n{name}-b\n")
        config = {"connector.class": FILE_SOURCE, "file": str(path), "topic": topic}
        created = _ok(
            worker.request("POST", "/connectors", json={"name": name, "config": config}), 201
        )
        assert created["name"] == name and created["config"] == {**config, "name": name}
        files[name] = path
    by_id = {w.worker_id: w for w in through}
    runners = {}
    for name in files:
        for worker in through:  # every member answers for every connector
            wait_running(worker, name, 1)
        status = through[0].get(f"/connectors/{name}/status")
        runners[name] = by_id[status["connector"]["worker_id"]]
        for worker in through:
            tasks = read_during_rebalances(worker, f"/connectors/{name}/tasks")
            assert [t["id"] for t in tasks] == [{"connector": name, "task": 0}]
    values = [m.value().decode() for m in consume_all(bootstrap, topic, 2 * len(files))]
    assert sorted(values) == sorted(f"{n}-{x}" for n in files for x in "ab")
    return NewSources(topic, files, runners)


def read_during_rebalances(worker: WorkerProcess, path: str) -> Any:
    """``GET path``; a Java worker answers some reads 500 "Request cannot be completed because a
    rebalance is expected" until its rebalance ends (Kafka's behaviour), so wait that out."""

    def read() -> tuple[Any] | None:  # a tuple, so that an empty answer counts as one
        response = worker.request("GET", path)
        if response.status_code == 500 and "rebalance is expected" in response.text:
            return None
        assert response.status_code == 200, (path, response.status_code, response.text)
        return (response.json(),)

    return wait_for(read, 30, 0.2, message=f"{path} answered only 'rebalance expected'")[0]


def wait_state(worker: WorkerProcess, name: str, state: str, tasks: list[str]) -> None:
    def check() -> bool:
        status = worker.get(f"/connectors/{name}/status")
        return (
            status["connector"]["state"] == state and [t["state"] for t in status["tasks"]] == tasks
        )

    wait_for(check, 30, 0.2, message=lambda: str(worker.get(f"/connectors/{name}/status")))


def leader_requests_through(
    bootstrap: str, follower: WorkerProcess, leader: WorkerProcess, sources: NewSources
) -> None:
    """Requests only the leader serves, sent to the follower, which forwards them: stop, alter
    offsets, restart (and resume, which any worker writes), then delete."""
    name, path = next(iter(sources.files.items()))
    both = [follower, leader]
    _ok(follower.request("PUT", f"/connectors/{name}/stop"), 204)
    for worker in both:
        wait_state(worker, name, "STOPPED", [])
    rewind = {"offsets": [{"partition": {"filename": str(path)}, "offset": {"position": 0}}]}
    altered = _ok(follower.request("PATCH", f"/connectors/{name}/offsets", json=rewind), 200)
    assert altered == {"message": "The offsets for this connector have been altered successfully"}
    for worker in both:
        wait_offset(worker, name, path, 0)
    _ok(follower.request("PUT", f"/connectors/{name}/resume"), 202)
    for worker in both:
        wait_state(worker, name, "RUNNING", ["RUNNING"])
    # Back at position 0, the connector sends its two lines again.
    count = 2 * len(sources.files) + 2
    values = [m.value().decode() for m in consume_all(bootstrap, sources.topic, count)]
    assert values[-2:] == [f"{name}-a", f"{name}-b"]
    wait_offset(leader, name, path, path.stat().st_size)
    _ok(follower.request("POST", f"/connectors/{name}/restart?includeTasks=true"), 202)
    for worker in both:
        wait_state(worker, name, "RUNNING", ["RUNNING"])
    _ok(follower.request("DELETE", f"/connectors/{name}"), 204)
    for worker in both:
        wait_for(lambda w=worker: name not in w.get("/connectors"), 30, 0.2)
    assert high_watermark(bootstrap, sources.topic) == count


def cluster_log_level(through: WorkerProcess, others: list[WorkerProcess]) -> None:
    """A cluster-wide log level (KIP-976) set through one worker is applied by the others,
    which read it from the config topic."""
    namespace = f"sluice.compat.mixed{uuid.uuid4().hex[:6]}"
    response = through.request(
        "PUT", f"/admin/loggers/{namespace}?scope=cluster", json={"level": "ERROR"}
    )
    assert response.status_code == 204, response.text
    for worker in others:
        wait_for(
            lambda w=worker: (
                w.request("GET", f"/admin/loggers/{namespace}").json().get("level") == "ERROR"
            ),
            30,
            0.2,
            message=lambda w=worker: w.request("GET", f"/admin/loggers/{namespace}").text,
        )


def test_mixed_group_with_a_java_leader(
    sluice_then_java: SluiceThenJava, kafka_bootstrap: str, tmp_path: Path
) -> None:
    """The first step of a rolling migration: a sluice worker joins a Java cluster."""
    s = sluice_then_java
    try:
        sluice = s.cluster.add_worker()
        s.cluster.wait_healthy(sluice)
        wait_group(kafka_bootstrap, s.cluster, [s.java, sluice], leader=s.java)
        sources = run_new_sources(kafka_bootstrap, tmp_path, [sluice, s.java, sluice, s.java], "jl")
        # A connector on the sluice follower had its task configs written by the Java leader,
        # which checked their KIP-507 signature.
        assert sluice in sources.runners.values(), sources.runners
        leader_requests_through(kafka_bootstrap, sluice, s.java, sources)
        cluster_log_level(sluice, [s.java])
    except BaseException:
        print(s.cluster.logs())
        raise


def test_mixed_group_with_a_sluice_leader(
    sluice_then_java: SluiceThenJava, kafka_bootstrap: str, tmp_path: Path
) -> None:
    """Later in a rolling migration: the Java worker that led leaves, a sluice worker leads, and
    a Java worker (re)joins as a follower."""
    s = sluice_then_java
    try:
        sluice = next((w for w in s.cluster.live() if _kind(w) == "sluice"), None)
        if sluice is None:  # run on its own, without the test above
            sluice = s.cluster.add_worker()
            s.cluster.wait_healthy(sluice)
        stop_all([w for w in s.cluster.live() if _kind(w) == "java"])
        wait_group(kafka_bootstrap, s.cluster, [sluice], leader=sluice)
        java = add_java_worker(s.cluster)
        s.cluster.wait_healthy(java, JAVA_START_TIMEOUT)
        java.log_rebalances()
        wait_group(kafka_bootstrap, s.cluster, [sluice, java], leader=sluice)
        sources = run_new_sources(kafka_bootstrap, tmp_path, [java, sluice, java, sluice], "sl")
        # A connector on the Java follower had its task configs written by the sluice leader,
        # which checked their KIP-507 signature.
        assert java in sources.runners.values(), sources.runners
        leader_requests_through(kafka_bootstrap, java, sluice, sources)
        cluster_log_level(java, [sluice])
    except BaseException:
        print(s.cluster.logs())
        raise
