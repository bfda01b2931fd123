"""Worker group membership against the real broker: joining, handing work over when a member
leaves or dies, wakeups, and a stalled member (SIGSTOP) revoking its work when it comes back.

Each member runs on a small driver thread that plays the herder's part: ``ensure_active`` and
``poll`` in a loop, a rejoin when an assignment asks for a delayed one. The stalled and killed
member is a child process (this file run as a script) reporting its listener calls as JSON lines.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from sluice.runtime.distributed.member import (
    GroupMemberSettings,
    WakeupError,
    WorkerGroupMember,
)
from sluice.runtime.distributed.protocol import Compatibility, ExtendedAssignment
from sluice.runtime.status import ConnectorTaskId
from sluice.storage.config import MemoryConfigBackingStore
from sluice.testing import wait_for

pytestmark = pytest.mark.integration

SESSION = 6.0
HEARTBEAT = 1.0
REBALANCE = 10.0
TASKS = {"alpha": 2, "beta": 3, "gamma": 1}
Work = str | ConnectorTaskId
ALL_WORK: frozenset[Work] = frozenset(
    [*TASKS, *(ConnectorTaskId(c, i) for c, n in TASKS.items() for i in range(n))]
)


def config_store() -> MemoryConfigBackingStore:
    store = MemoryConfigBackingStore()
    for name, tasks in TASKS.items():
        store.put_connector_config(name, {"connector.class": "Dummy"}, None)
        store.put_task_configs(name, [{"n": str(i)} for i in range(tasks)])
    return store


def settings(bootstrap: str, group: str, max_delay: float = 0.0) -> GroupMemberSettings:
    return GroupMemberSettings(
        group_id=group,
        session_timeout=SESSION,
        heartbeat_interval=HEARTBEAT,
        rebalance_timeout=REBALANCE,
        scheduled_rebalance_max_delay=max_delay,
        client={"bootstrap.servers": bootstrap},
    )


class Recorder:
    """A rebalance listener that keeps what its member runs and every call it received."""

    def __init__(self, report: Any = None) -> None:
        self.lock = threading.Lock()
        self.running: set[Work] = set()
        self.assignment: ExtendedAssignment | None = None
        self.generation = -1
        self.events: list[tuple[float, str, frozenset[Work]]] = []
        self.rejoin_at = float("inf")
        self._report = report

    def on_assigned(self, assignment: ExtendedAssignment, generation: int) -> None:
        work = frozenset([*assignment.connectors, *assignment.tasks])
        with self.lock:
            self.assignment, self.generation = assignment, generation
            self.running = set(work)
            if assignment.revoked_connectors or assignment.revoked_tasks:
                self.rejoin_at = time.monotonic()  # as the herder does: revoked work moves on
            elif assignment.delay > 0:
                self.rejoin_at = time.monotonic() + assignment.delay / 1000
            self._event("assigned", work)

    def on_revoked(
        self, leader: str | None, connectors: Collection[str], tasks: Collection[ConnectorTaskId]
    ) -> None:
        work = frozenset([*connectors, *tasks])
        with self.lock:
            self.running -= work
            self._event("revoked", work)

    def on_poll_timeout_expiry(self) -> None:
        with self.lock:
            self._event("poll-timeout", frozenset())

    def _event(self, kind: str, work: frozenset[Work]) -> None:
        self.events.append((time.time(), kind, work))
        if self._report is not None:
            self._report(kind, work, self.generation)


class Driver:
    """The herder's loop, reduced to what membership needs, on its own (owner) thread: a
    rejoin right after work was revoked, and when an assignment's delay runs out."""

    def __init__(self, member: WorkerGroupMember, recorder: Recorder) -> None:
        self.member = member
        self.recorder = recorder
        self.stopping = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="driver", daemon=True)

    def start(self) -> Driver:
        self.thread.start()
        return self

    def _run(self) -> None:
        try:
            while not self.stopping.is_set():
                try:
                    self.member.ensure_active()
                    with self.recorder.lock:
                        due = time.monotonic() >= self.recorder.rejoin_at
                        if due:
                            self.recorder.rejoin_at = float("inf")
                    if due:
                        self.member.request_rejoin("revoked work or a scheduled rebalance")
                    self.member.poll(0.2)
                except WakeupError:
                    pass
        except BaseException as e:
            self.error = e
        finally:
            self.member.stop()

    def stop(self) -> None:
        """Stop the loop; the member leaves the group on the way out."""
        self.stopping.set()
        self.member.wakeup()
        self.thread.join(15)
        assert not self.thread.is_alive(), "the driver did not stop"
        assert self.error is None, self.error


@dataclass
class Cluster:
    bootstrap: str
    group: str
    max_delay: float = 0.0
    compatibility: Compatibility = Compatibility.SESSIONED
    drivers: list[Driver] = field(default_factory=list)

    def add(self, url: str) -> Driver:
        recorder = Recorder()
        member = WorkerGroupMember(
            settings(self.bootstrap, self.group, self.max_delay),
            url,
            config_store(),
            recorder,
            self.compatibility,
        )
        driver = Driver(member, recorder).start()
        self.drivers.append(driver)
        return driver

    def stop_all(self) -> None:
        for driver in self.drivers:
            if driver.thread.is_alive():
                driver.stop()


@pytest.fixture
def cluster(kafka_bootstrap: str) -> Iterator[Cluster]:
    c = Cluster(kafka_bootstrap, f"sluice-group-{uuid.uuid4().hex[:8]}")
    yield c
    c.stop_all()


def settled(drivers: list[Driver], extra: Collection[Work] = ()) -> str | None:
    """Why the drivers' members do not (yet) split all the work without overlap, or None."""
    seen: list[Work] = []
    generations = set()
    leaders = set()
    for d in drivers:
        assert d.error is None, d.error
        with d.recorder.lock:
            if d.recorder.assignment is None:
                return "a member has no assignment yet"
            seen += d.recorder.running
            generations.add(d.recorder.generation)
            leaders.add(d.recorder.assignment.leader)
        if d.member.assignment() is None or d.member.generation_id() != d.recorder.generation:
            return "a member is rebalancing"
    if len(generations) != 1 or len(leaders) != 1:
        return f"generations {generations}, leaders {leaders}"
    if len(seen) != len(set(seen)):
        return f"work runs twice: {sorted(map(str, seen))}"
    missing = ALL_WORK - set(seen) - set(extra)
    return f"unassigned: {sorted(map(str, missing))}" if missing else None


def wait_settled(drivers: list[Driver], timeout: float, extra: Collection[Work] = ()) -> float:
    wait_for(
        lambda: settled(drivers, extra) is None,
        timeout=timeout,
        message=lambda: str(settled(drivers, extra)),
    )
    return time.monotonic()


@pytest.mark.parametrize("compatibility", list(Compatibility), ids=lambda c: c.protocol)
def test_three_members_share_the_work_and_a_graceful_leave_hands_it_over(
    cluster: Cluster, compatibility: Compatibility
) -> None:
    cluster.compatibility = compatibility
    drivers = [cluster.add(f"http://worker-{i}:8083") for i in range(3)]
    wait_settled(drivers, timeout=30)

    leader_ids = {d.recorder.assignment.leader for d in drivers if d.recorder.assignment}
    member_ids = {d.member.member_id() for d in drivers}
    assert len(member_ids) == 3 and leader_ids <= member_ids
    (leader,) = [d for d in drivers if d.member.member_id() in leader_ids]
    assert all(d.member.current_protocol_version() == compatibility.version for d in drivers)
    # Only the leader knows owners; it names the worker running each connector.
    owners = {c: leader.member.owner_url(c) for c in TASKS}
    for d, url in zip(drivers, (f"http://worker-{i}:8083" for i in range(3)), strict=True):
        for c in TASKS:
            if c in d.recorder.running:
                assert owners[c] == url
    assert all(d.member.owner_url("alpha") is None for d in drivers if d is not leader)

    gone = drivers[0]
    left_at = time.monotonic()
    gone.stop()
    survivors = drivers[1:]
    reassigned_at = wait_settled(survivors, timeout=15)
    print(
        f"{compatibility.protocol}: graceful leave -> reassigned in {reassigned_at - left_at:.2f}s"
    )
    assert reassigned_at - left_at < SESSION  # the leave, not the session timeout, triggered it


def test_wakeup_interrupts_a_long_poll(kafka_bootstrap: str) -> None:
    recorder = Recorder()
    member = WorkerGroupMember(
        settings(kafka_bootstrap, f"sluice-wakeup-{uuid.uuid4().hex[:8]}"),
        "http://lonely:8083",
        config_store(),
        recorder,
        Compatibility.SESSIONED,
    )
    try:
        started = time.monotonic()
        member.ensure_active()
        print(f"a lone member joined in {time.monotonic() - started:.2f}s")
        assert recorder.running == ALL_WORK

        outcome: list[tuple[str, float]] = []
        entered = threading.Event()

        def poll() -> None:
            entered.set()
            try:
                member.poll(30)
                outcome.append(("returned", time.monotonic()))
            except WakeupError:
                outcome.append(("woken", time.monotonic()))

        thread = threading.Thread(target=poll)
        thread.start()
        entered.wait(5)
        thread.join(1.0)  # a stable group gives poll(30) no reason to return early
        assert not outcome, outcome
        woken_at = time.monotonic()
        member.wakeup()
        thread.join(5)
        assert [kind for kind, _ in outcome] == ["woken"]
        latency = outcome[0][1] - woken_at
        print(f"wakeup -> WakeupError in {latency * 1000:.1f}ms")
        assert latency < 0.5

        # A wakeup made while nobody polls is kept for the next call, and consumed by it.
        member.wakeup()
        with pytest.raises(WakeupError):
            member.poll(5)
        before = time.monotonic()
        member.poll(0.3)
        assert time.monotonic() - before >= 0.3
    finally:
        member.stop()


def test_a_member_that_stops_polling_leaves_and_revokes_its_work(kafka_bootstrap: str) -> None:
    recorder = Recorder()
    member = WorkerGroupMember(
        GroupMemberSettings(
            f"sluice-stuck-{uuid.uuid4().hex[:8]}",
            session_timeout=SESSION,
            heartbeat_interval=HEARTBEAT,
            rebalance_timeout=2.0,  # also the max poll interval
            client={"bootstrap.servers": kafka_bootstrap},
        ),
        "http://stuck:8083",
        config_store(),
        recorder,
        Compatibility.SESSIONED,
    )
    try:
        member.ensure_active()
        generation = member.generation_id()
        # The owner thread now "hangs": the heartbeat thread notices and leaves the group.
        wait_for(
            lambda: member.generation_id() == -1,  # the listener hears first, then it leaves
            timeout=10,
            message="the member did not leave the group",
        )
        member.ensure_active()  # back: revoke everything, then join again
        kinds = [(kind, work) for _, kind, work in recorder.events]
        assert kinds == [
            ("assigned", ALL_WORK),
            ("poll-timeout", frozenset()),
            ("revoked", ALL_WORK),
            ("assigned", ALL_WORK),
        ]
        assert member.generation_id() > generation
    finally:
        member.stop()


# -- a member in a child process: stalled with SIGSTOP, then killed ----------------------------


def _child_main(bootstrap: str, group: str, max_delay: float) -> None:
    def report(kind: str, work: frozenset[Work], generation: int) -> None:
        items = sorted((w, -1) if isinstance(w, str) else (w.connector, w.task) for w in work)
        line = {"t": time.time(), "kind": kind, "work": items, "generation": generation}
        print(json.dumps(line), flush=True)

    recorder = Recorder(report)
    member = WorkerGroupMember(
        settings(bootstrap, group, max_delay),
        "http://child:8083",
        config_store(),
        recorder,
        Compatibility.SESSIONED,
    )
    driver = Driver(member, recorder).start()
    driver.thread.join()
    if driver.error is not None:
        raise driver.error


def decode(items: list[list[Any]]) -> set[Work]:
    """The child's ``[name, task]`` pairs; task -1 is the connector itself, as on the wire."""
    return {name if task == -1 else ConnectorTaskId(name, task) for name, task in items}


@dataclass
class Child:
    process: subprocess.Popen[str]
    events: list[dict[str, Any]] = field(default_factory=list)

    def read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.events.append(json.loads(line))

    def running(self) -> set[Work]:
        held: set[Work] = set()
        for e in list(self.events):
            work = decode(e["work"])
            if e["kind"] == "assigned":
                held = work
            elif e["kind"] == "revoked":
                held -= work
        return held


def start_child(bootstrap: str, group: str, max_delay: float, log: Path) -> Child:
    with open(log, "ab") as err:
        process = subprocess.Popen(
            [sys.executable, __file__, bootstrap, group, str(max_delay)],
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    child = Child(process)
    threading.Thread(target=child.read, daemon=True).start()
    return child


def test_a_stalled_member_revokes_its_work_and_a_dead_one_loses_it(
    cluster: Cluster, tmp_path: Path
) -> None:
    cluster.max_delay = 2.0
    survivors = [cluster.add(f"http://worker-{i}:8083") for i in range(2)]
    child = start_child(cluster.bootstrap, cluster.group, cluster.max_delay, tmp_path / "child.log")
    try:
        wait_settled(survivors, timeout=30, extra=ALL_WORK)  # the group exists
        wait_for(lambda: child.running(), timeout=30, message="the child got no work")
        wait_settled(survivors, timeout=30, extra=child.running())
        held = child.running()

        # SIGSTOP: the child stops heartbeating without leaving. The group expires it after the
        # session timeout and, the leader's delay for departed members later, reassigns its work.
        os.kill(child.process.pid, signal.SIGSTOP)
        stopped_at = time.monotonic()
        reassigned_at = wait_settled(survivors, timeout=SESSION + cluster.max_delay + 15)
        print(f"member stalled -> its work reassigned in {reassigned_at - stopped_at:.2f}s")
        assert reassigned_at - stopped_at >= SESSION - HEARTBEAT

        # SIGCONT: the child's first act must be to revoke everything it held, before its next
        # assignment, since the survivors already run that work.
        seen = len(child.events)
        os.kill(child.process.pid, signal.SIGCONT)
        resumed_at = time.time()
        wait_for(
            lambda: any(e["kind"] == "assigned" for e in child.events[seen:]),
            timeout=30,
            message=lambda: f"the child did not rejoin: {child.events[seen:]}",
        )
        after = child.events[seen:]
        first = after[0]
        assert first["kind"] == "revoked", after
        assert decode(first["work"]) == held
        print(f"stalled member revoked its work {first['t'] - resumed_at:.2f}s after SIGCONT")
        # It was its own finding (no heartbeat for a session), not the leader's revocation.
        assert "Group membership may be lost" in (tmp_path / "child.log").read_text()

        # SIGKILL once it holds work again: the survivors get it back after session + delay.
        wait_for(lambda: child.running(), timeout=30, message="the child got no work back")
        wait_settled(survivors, timeout=30, extra=child.running())
        os.kill(child.process.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        reassigned_at = wait_settled(survivors, timeout=SESSION + cluster.max_delay + 15)
        print(f"member killed -> its work reassigned in {reassigned_at - killed_at:.2f}s")
        assert reassigned_at - killed_at >= SESSION - HEARTBEAT
    finally:
        if child.process.poll() is None:
            os.kill(child.process.pid, signal.SIGCONT)
            child.process.kill()
        child.process.wait(10)
        assert child.process.stdout is not None
        child.process.stdout.close()


if __name__ == "__main__":
    _child_main(sys.argv[1], sys.argv[2], float(sys.argv[3]))
