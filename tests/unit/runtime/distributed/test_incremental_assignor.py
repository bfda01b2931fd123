"""The incremental cooperative assignor (KIP-415), round by round on a simulated group.

Scenarios follow Kafka's ``IncrementalCooperativeAssignorTest``: members apply each assignment as
Java's ``WorkerCoordinator`` does and report what they run in their next metadata; time only moves
when a test moves the clock.
"""

from __future__ import annotations

from collections import Counter

import pytest

from sluice.runtime.distributed.incremental_assignor import (
    IncrementalCooperativeAssignor,
    _RevocationBackoff,
)
from sluice.runtime.distributed.protocol import (
    CONFIG_MISMATCH,
    NO_ERROR,
    deserialize_assignment,
)
from sluice.runtime.distributed.worker_load import WorkerLoad, assign_connectors, assign_tasks
from sluice.runtime.status import ConnectorTaskId as T
from tests.unit.runtime.distributed.simulation import Cluster, Context, FakeClock, Round

MAX_DELAY_MS = 300_000


def new_cluster(
    clock: FakeClock, max_delay_ms: int = MAX_DELAY_MS, protocol: str = "sessioned"
) -> Cluster:
    """Kafka's test set-up: connector1 and connector2 with four tasks each, worker1 alone."""
    cluster = Cluster(
        lambda: IncrementalCooperativeAssignor(max_delay_ms / 1000, clock), protocol=protocol
    )
    cluster.join("worker1")
    cluster.set_connector("connector1", 4)
    cluster.set_connector("connector2", 4)
    return cluster


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def rebalance(cluster: Cluster, **kwargs: bool) -> Round:
    """A round, checked for what must always hold: nothing newly assigned twice or to a member
    already running it, and the same delay for everyone."""
    running_c = {c for w in cluster.workers.values() for c in w.connectors()}
    running_t = {t for w in cluster.workers.values() for t in w.tasks()}
    result = cluster.rebalance(**kwargs)
    new_c = [c for a in result.received.values() for c in a.connectors]
    new_t = [t for a in result.received.values() for t in a.tasks]
    assert len(new_c) == len(set(new_c)) and len(new_t) == len(set(new_t))
    assert not running_c & set(new_c) and not running_t & set(new_t)
    assert len({a.delay for a in result.received.values()}) == 1
    assert all(a.error == NO_ERROR for a in result.received.values())
    return result


def delay_ms(result: Round) -> int:
    return next(iter(result.received.values())).delay


def connector_counts(cluster: Cluster) -> list[int]:
    return sorted(len(w.connectors()) for w in cluster.workers.values())


def task_counts(cluster: Cluster) -> list[int]:
    return sorted(len(w.tasks()) for w in cluster.workers.values())


def assert_no_revocations(result: Round) -> None:
    assert all(not a.revoked_connectors and not a.revoked_tasks for a in result.received.values())


def assert_empty(result: Round) -> None:
    assert_no_revocations(result)
    assert all(not a.connectors and not a.tasks for a in result.received.values())


def assert_balanced_and_complete(cluster: Cluster) -> None:
    connectors, tasks = connector_counts(cluster), task_counts(cluster)
    assert connectors[-1] - connectors[0] <= 1, connectors
    assert tasks[-1] - tasks[0] <= 1, tasks
    running_c = Counter(c for w in cluster.workers.values() for c in w.connectors())
    running_t = Counter(t for w in cluster.workers.values() for t in w.tasks())
    assert running_c == Counter(list(cluster.connectors))
    expected = Counter(T(c, i) for c, n in cluster.connectors.items() for i in range(n))
    assert running_t == expected


# -- members joining -----------------------------------------------------------------------


def test_worker_joins(clock: FakeClock) -> None:
    cluster = new_cluster(clock)
    first = rebalance(cluster)
    assert delay_ms(first) == 0
    assert (connector_counts(cluster), task_counts(cluster)) == ([2], [8])
    assert_balanced_and_complete(cluster)

    cluster.join("worker2")
    revoking = rebalance(cluster)
    assert delay_ms(revoking) == 0
    assert (connector_counts(cluster), task_counts(cluster)) == ([0, 1], [0, 4])
    assert revoking.received["worker1"].revoked_connectors == ["connector1"]

    follow_up = rebalance(cluster)
    assert_no_revocations(follow_up)
    assert (connector_counts(cluster), task_counts(cluster)) == ([1, 1], [4, 4])
    assert_balanced_and_complete(cluster)

    assert_empty(rebalance(cluster))


def test_consecutive_revoking_rounds_back_off(clock: FakeClock) -> None:
    cluster = new_cluster(clock)
    cluster.set_connector("connector3", 4)
    rebalance(cluster)
    assert (connector_counts(cluster), task_counts(cluster)) == ([3], [12])

    cluster.join("worker2")
    rebalance(cluster)  # revokes
    assert (connector_counts(cluster), task_counts(cluster)) == ([0, 2], [0, 6])

    cluster.join("worker3")
    second = rebalance(cluster)  # would revoke again right after revoking: waits 1 ms x 40
    assert delay_ms(second) == 40
    assert_no_revocations(second)
    assert (connector_counts(cluster), task_counts(cluster)) == ([0, 1, 2], [3, 3, 6])

    clock.sleep_ms(40)
    cluster.join("worker4")
    rebalance(cluster)  # the delay is over: revokes
    assert (connector_counts(cluster), task_counts(cluster)) == ([0, 0, 1, 1], [0, 3, 3, 3])

    cluster.join("worker5")
    third = rebalance(cluster)
    assert delay_ms(third) == 1600
    assert (connector_counts(cluster), task_counts(cluster)) == ([0, 0, 1, 1, 1], [1, 2, 3, 3, 3])

    clock.sleep_ms(1600)
    cluster.join("worker6")
    revoking = rebalance(cluster)
    assert delay_ms(revoking) == 0
    assert connector_counts(cluster) == [0, 0, 0, 1, 1, 1]
    assert task_counts(cluster) == [0, 1, 2, 2, 2, 2]

    rebalance(cluster)
    assert task_counts(cluster) == [2, 2, 2, 2, 2, 2]
    assert_balanced_and_complete(cluster)


def test_max_delay_0_revokes_in_consecutive_rounds(clock: FakeClock) -> None:
    cluster = new_cluster(clock, max_delay_ms=0)
    cluster.set_connector("connector3", 4)
    rebalance(cluster)
    cluster.join("worker2")
    rebalance(cluster)
    assert (connector_counts(cluster), task_counts(cluster)) == ([0, 2], [0, 6])

    cluster.join("worker3")
    second = rebalance(cluster)
    assert delay_ms(second) == 0
    assert (connector_counts(cluster), task_counts(cluster)) == ([0, 1, 1], [3, 3, 4])

    assert_no_revocations(rebalance(cluster))
    assert (connector_counts(cluster), task_counts(cluster)) == ([1, 1, 1], [4, 4, 4])
    assert_balanced_and_complete(cluster)


def test_max_delay_of_1_ms_caps_the_back_off(clock: FakeClock) -> None:
    cluster = new_cluster(clock, max_delay_ms=1)
    cluster.set_connector("connector3", 4)
    rebalance(cluster)
    cluster.join("worker2")
    rebalance(cluster)
    cluster.join("worker3")
    second = rebalance(cluster)
    assert delay_ms(second) == 1
    assert (connector_counts(cluster), task_counts(cluster)) == ([0, 1, 2], [3, 3, 6])


def test_worker_joining_during_a_delay_waits_for_it(clock: FakeClock) -> None:
    cluster = new_cluster(clock)
    cluster.set_connector("connector3", 4)
    rebalance(cluster)
    cluster.join("worker2")
    rebalance(cluster)
    cluster.join("worker3")
    waiting = rebalance(cluster)
    assert delay_ms(waiting) == 40
    assert_no_revocations(waiting)
    assert (connector_counts(cluster), task_counts(cluster)) == ([0, 1, 2], [3, 3, 6])

    clock.sleep_ms(20)
    cluster.join("worker4")
    still = rebalance(cluster)
    assert delay_ms(still) == 20  # what is left of the delay
    assert_no_revocations(still)
    assert (connector_counts(cluster), task_counts(cluster)) == ([0, 0, 1, 2], [0, 3, 3, 6])

    clock.sleep_ms(20)
    cluster.join("worker5")
    revoking = rebalance(cluster)
    assert delay_ms(revoking) == 0
    assert connector_counts(cluster) == [0, 0, 0, 1, 1]
    assert task_counts(cluster) == [0, 0, 2, 3, 3]

    final = rebalance(cluster)
    assert_no_revocations(final)
    assert (connector_counts(cluster), task_counts(cluster)) == ([0, 0, 1, 1, 1], [2, 2, 2, 3, 3])
    assert_balanced_and_complete(cluster)


# -- members leaving ---------------------------------------------------------------------------


def test_worker_leaves_and_the_delay_expires(clock: FakeClock) -> None:
    cluster = new_cluster(clock)
    cluster.join("worker2")
    rebalance(cluster)
    assert (connector_counts(cluster), task_counts(cluster)) == ([1, 1], [4, 4])

    cluster.leave("worker2")
    held = rebalance(cluster)
    assert delay_ms(held) == MAX_DELAY_MS
    assert_empty(held)

    clock.sleep_ms(MAX_DELAY_MS // 2)
    incidental = rebalance(cluster)
    assert delay_ms(incidental) == MAX_DELAY_MS // 2
    assert_empty(incidental)

    clock.sleep_ms(MAX_DELAY_MS // 2 + 1)
    expired = rebalance(cluster)
    assert delay_ms(expired) == 0
    assert (connector_counts(cluster), task_counts(cluster)) == ([2], [8])
    assert_balanced_and_complete(cluster)


def test_worker_bounces_within_the_delay_and_gets_its_work_back(clock: FakeClock) -> None:
    cluster = new_cluster(clock)
    cluster.join("worker2")
    rebalance(cluster)
    lost_connectors = cluster.workers["worker2"].connectors()
    lost_tasks = cluster.workers["worker2"].tasks()

    cluster.leave("worker2")
    assert delay_ms(rebalance(cluster)) == MAX_DELAY_MS
    clock.sleep_ms(MAX_DELAY_MS // 2)
    assert delay_ms(rebalance(cluster)) == MAX_DELAY_MS // 2
    clock.sleep_ms(MAX_DELAY_MS // 4)

    cluster.join("worker2")  # back, empty; lost work still waits for the delay
    back = rebalance(cluster)
    assert delay_ms(back) == MAX_DELAY_MS // 4
    assert_empty(back)

    clock.sleep_ms(MAX_DELAY_MS // 4)
    expired = rebalance(cluster)
    assert delay_ms(expired) == 0
    assert_no_revocations(expired)
    assert sorted(expired.received["worker2"].connectors) == sorted(lost_connectors)
    assert sorted(expired.received["worker2"].tasks) == sorted(lost_tasks)
    assert_balanced_and_complete(cluster)


def test_lost_work_goes_to_every_worker_that_joined_empty_during_the_delay(
    clock: FakeClock,
) -> None:
    cluster = new_cluster(clock)
    cluster.set_connector("connector3", 4)
    cluster.join("worker2", "worker3")
    rebalance(cluster)
    assert_balanced_and_complete(cluster)
    lost_c = set(cluster.workers["worker2"].connectors())
    lost_t = set(cluster.workers["worker2"].tasks())

    cluster.leave("worker2")
    assert delay_ms(rebalance(cluster)) == MAX_DELAY_MS
    cluster.join("worker4")  # a new member, empty: a candidate for the lost work
    clock.sleep_ms(MAX_DELAY_MS // 2)
    assert delay_ms(rebalance(cluster)) == MAX_DELAY_MS // 2
    cluster.join("worker2")  # the old one returns, empty: a candidate too
    clock.sleep_ms(MAX_DELAY_MS // 4)
    assert_empty(rebalance(cluster))

    clock.sleep_ms(MAX_DELAY_MS // 4)
    expired = rebalance(cluster)
    received = expired.received
    assert set(received["worker2"].tasks) | set(received["worker4"].tasks) == lost_t
    assert set(received["worker2"].connectors) | set(received["worker4"].connectors) == lost_c
    assert received["worker2"].tasks and received["worker4"].tasks  # round-robin over both
    assert not received["worker1"].tasks and not received["worker3"].tasks
    for _ in range(3):
        rebalance(cluster)
    assert_balanced_and_complete(cluster)


def test_worker_that_bounces_back_but_leaves_again_before_expiry(clock: FakeClock) -> None:
    cluster = new_cluster(clock)
    cluster.join("worker2", "worker3")
    rebalance(cluster)
    lost_t = set(cluster.workers["worker2"].tasks())

    cluster.leave("worker2")
    rebalance(cluster)
    clock.sleep_ms(MAX_DELAY_MS // 2)
    cluster.join("worker2")
    rebalance(cluster)
    cluster.leave("worker2")
    clock.sleep_ms(MAX_DELAY_MS // 2)
    expired = rebalance(cluster)  # no candidate left: the lost work is spread as new work
    assert delay_ms(expired) == 0
    assert set(expired.received["worker1"].tasks) | set(expired.received["worker3"].tasks) == lost_t
    assert_balanced_and_complete(cluster)


def test_two_workers_lost_at_once(clock: FakeClock) -> None:
    cluster = new_cluster(clock)
    cluster.set_connector("connector3", 6)
    cluster.join("worker2", "worker3", "worker4")
    rebalance(cluster)
    assert_balanced_and_complete(cluster)

    cluster.leave("worker3", "worker4")
    assert delay_ms(rebalance(cluster)) == MAX_DELAY_MS
    clock.sleep_ms(MAX_DELAY_MS)
    expired = rebalance(cluster)
    assert delay_ms(expired) == 0
    assert_balanced_and_complete(cluster)
    assert (connector_counts(cluster), task_counts(cluster)) == ([1, 2], [7, 7])


def test_max_delay_0_reassigns_lost_work_at_once(clock: FakeClock) -> None:
    cluster = new_cluster(clock, max_delay_ms=0)
    cluster.join("worker2")
    rebalance(cluster)
    cluster.leave("worker2")
    at_once = rebalance(cluster)
    assert delay_ms(at_once) == 0
    assert (connector_counts(cluster), task_counts(cluster)) == ([2], [8])
    assert_balanced_and_complete(cluster)


def test_leader_leaves_and_the_next_leader_starts_clean(clock: FakeClock) -> None:
    cluster = new_cluster(clock)
    cluster.join("worker2", "worker3")
    rebalance(cluster)
    assert (connector_counts(cluster), task_counts(cluster)) == ([0, 1, 1], [2, 3, 3])

    cluster.leave("worker1")  # worker2 leads now, with no memory of the previous round
    taken_over = rebalance(cluster)
    assert taken_over.leader == "worker2"
    assert delay_ms(taken_over) == 0
    assert (connector_counts(cluster), task_counts(cluster)) == ([1, 1], [4, 4])
    assert_balanced_and_complete(cluster)
    assert_empty(rebalance(cluster))

    cluster.join("worker1")  # the old leader returns as a follower: a new, empty worker
    revoking = rebalance(cluster)
    assert delay_ms(revoking) == 0
    assert (connector_counts(cluster), task_counts(cluster)) == ([0, 1, 1], [0, 3, 3])
    assert_no_revocations(rebalance(cluster))
    assert (connector_counts(cluster), task_counts(cluster)) == ([0, 1, 1], [2, 3, 3])
    assert_balanced_and_complete(cluster)


# -- failed syncs and duplicated work ----------------------------------------------------------


def test_first_assignment_that_never_arrives_is_assigned_again(clock: FakeClock) -> None:
    cluster = new_cluster(clock)
    cluster.join("worker2")
    rebalance(cluster, deliver=False)
    assert (connector_counts(cluster), task_counts(cluster)) == ([0, 0], [0, 0])

    # Everyone is still here, so the lost work is reassigned at once, no delay.
    again = rebalance(cluster)
    assert delay_ms(again) == 0
    assert (connector_counts(cluster), task_counts(cluster)) == ([1, 1], [4, 4])
    assert_balanced_and_complete(cluster)


@pytest.mark.parametrize("leader_completes", [True, False])
def test_revoking_assignment_that_never_arrives(clock: FakeClock, leader_completes: bool) -> None:
    cluster = new_cluster(clock)
    cluster.join("worker2")
    rebalance(cluster)
    cluster.join("worker3")
    rebalance(cluster, deliver=False, leader_completes=leader_completes)
    assert (connector_counts(cluster), task_counts(cluster)) == ([0, 1, 1], [0, 4, 4])

    # A second revoking round in a row (whether or not the leader kept its memory): back off.
    backing_off = rebalance(cluster)
    assert delay_ms(backing_off) == 40
    assert (connector_counts(cluster), task_counts(cluster)) == ([0, 1, 1], [0, 4, 4])

    clock.sleep_ms(40)
    rebalance(cluster)
    assert (connector_counts(cluster), task_counts(cluster)) == ([0, 1, 1], [0, 3, 3])
    rebalance(cluster)
    assert (connector_counts(cluster), task_counts(cluster)) == ([0, 1, 1], [2, 3, 3])
    assert_balanced_and_complete(cluster)


def test_duplicated_work_is_revoked_everywhere_then_assigned_once(clock: FakeClock) -> None:
    cluster = new_cluster(clock)
    rebalance(cluster)
    cluster.join("worker2")
    claims = rebalance(cluster, deliver=False)  # only to give worker2 an assignment to claim
    duplicate = claims.received["worker1"].copy()
    duplicate.connectors = ["connector1"]
    duplicate.tasks = [T("connector1", i) for i in range(4)]
    cluster.workers["worker2"].assignment = duplicate

    revoking = rebalance(cluster)
    for member in ("worker1", "worker2"):
        assert revoking.received[member].revoked_connectors == ["connector1"]
        assert sorted(revoking.received[member].revoked_tasks) == duplicate.tasks
    assert (connector_counts(cluster), task_counts(cluster)) == ([0, 1], [0, 4])

    assert_no_revocations(rebalance(cluster))
    assert (connector_counts(cluster), task_counts(cluster)) == ([1, 1], [4, 4])
    assert_balanced_and_complete(cluster)
    assert_empty(rebalance(cluster))


def test_duplicated_work_of_a_deleted_connector(clock: FakeClock) -> None:
    cluster = new_cluster(clock)
    rebalance(cluster)
    cluster.remove_connector("connector1")
    cluster.join("worker2")
    claimed = cluster.workers["worker1"].assignment
    assert claimed is not None
    duplicate = claimed.copy()
    duplicate.connectors = ["connector1"]
    duplicate.tasks = [T("connector1", i) for i in range(4)]
    cluster.workers["worker2"].assignment = duplicate

    revoking = rebalance(cluster)
    assert revoking.received["worker2"].revoked_connectors == ["connector1"]
    assert (connector_counts(cluster), task_counts(cluster)) == ([0, 1], [0, 2])
    assert_no_revocations(rebalance(cluster))
    assert (connector_counts(cluster), task_counts(cluster)) == ([0, 1], [2, 2])
    assert_balanced_and_complete(cluster)
    assert_empty(rebalance(cluster))


def test_leader_that_missed_a_generation_forgets_its_previous_assignment(
    clock: FakeClock,
) -> None:
    cluster = new_cluster(clock)
    cluster.join("worker2")
    rebalance(cluster)
    # The leader never completes the next generation, so its memory of it cannot be trusted...
    rebalance(cluster, deliver=False, leader_completes=False)
    cluster.leave("worker2")
    # ...and worker2's work is not known to be lost: it is new work, assigned at once.
    taken = rebalance(cluster)
    assert delay_ms(taken) == 0
    assert (connector_counts(cluster), task_counts(cluster)) == ([2], [8])


def test_revocation_that_did_not_take_effect_resets_the_leaders_view(clock: FakeClock) -> None:
    cluster = new_cluster(clock)
    cluster.join("worker2")
    rebalance(cluster)
    gone_c, gone_t = cluster.workers["worker2"].connectors(), cluster.workers["worker2"].tasks()
    cluster.join("worker3")
    revoking = rebalance(cluster, deliver=False)
    assert revoking.received["worker1"].revoked_tasks
    cluster.leave("worker2")
    # worker1 still runs what it was told to give up: the leader starts again from what members
    # run, so worker2's work counts as new rather than lost and is assigned at once. (Java still
    # schedules a follow-up round: the previous round revoked and a member is missing.)
    after = rebalance(cluster)
    assert sorted(c for a in after.received.values() for c in a.connectors) == gone_c
    assert sorted(t for a in after.received.values() for t in a.tasks) == sorted(gone_t)
    assert delay_ms(after) == MAX_DELAY_MS


def test_back_off_delay_lasts_one_more_round_only(clock: FakeClock) -> None:
    """Kafka 4.x: while a back-off delay runs, the next round keeps it without revoking; the
    round after that (no lost work) clears it and revokes, even before the delay is over."""
    cluster = new_cluster(clock)
    cluster.set_connector("connector3", 4)
    rebalance(cluster)
    cluster.join("worker2")
    rebalance(cluster)
    cluster.join("worker3")
    assert delay_ms(rebalance(cluster)) == 40
    kept = rebalance(cluster)
    assert delay_ms(kept) == 40
    assert_no_revocations(kept)
    cleared = rebalance(cluster)
    assert delay_ms(cleared) == 0
    assert any(a.revoked_tasks for a in cleared.received.values())


# -- configuration changes ---------------------------------------------------------------------


def test_deleted_connectors_are_revoked(clock: FakeClock) -> None:
    cluster = new_cluster(clock)
    cluster.set_connector("connector3", 4)
    cluster.join("worker2")
    rebalance(cluster)
    assert (connector_counts(cluster), task_counts(cluster)) == ([1, 2], [6, 6])

    cluster.remove_connector("connector3")
    deleting = rebalance(cluster)
    assert delay_ms(deleting) == 0
    revoked = [c for a in deleting.received.values() for c in a.revoked_connectors]
    assert revoked == ["connector3"]
    assert (connector_counts(cluster), task_counts(cluster)) == ([1, 1], [4, 4])
    assert_balanced_and_complete(cluster)


def test_new_connectors_and_tasks_go_to_the_least_loaded(clock: FakeClock) -> None:
    cluster = new_cluster(clock)
    cluster.join("worker2")
    rebalance(cluster)
    cluster.set_connector("connector1", 6)  # two more tasks
    cluster.set_connector("connector3", 1)
    grown = rebalance(cluster)
    assert_no_revocations(grown)
    new_tasks = sorted(t for a in grown.received.values() for t in a.tasks)
    assert new_tasks == [T("connector1", 4), T("connector1", 5), T("connector3", 0)]
    assert_balanced_and_complete(cluster)


def test_inconsistent_connectors_keep_their_connector_but_lose_their_tasks(
    clock: FakeClock,
) -> None:
    cluster = new_cluster(clock)
    rebalance(cluster)
    cluster.inconsistent = {"connector2"}
    round_ = rebalance(cluster)
    assert sorted(round_.received["worker1"].revoked_tasks) == [
        T("connector2", i) for i in range(4)
    ]
    assert round_.received["worker1"].revoked_connectors == []


def test_config_mismatch_when_the_leader_cannot_catch_up(clock: FakeClock) -> None:
    cluster = new_cluster(clock, protocol="compatible")
    rebalance(cluster)
    cluster.join("worker2")
    cluster.workers["worker2"].offset = cluster.offset + 5  # read further than the leader
    context = Context(cluster.snapshot(), generation=2000, last_completed=cluster.generation)
    data = cluster.assignors["worker1"].perform_assignment(
        "worker1", "compatible", cluster.members(), context
    )
    assert context.fresh_taken == 1 and context.leader_state is None
    for member, raw in data.items():
        assert raw[:2] == b"\x00\x01", member
        a = deserialize_assignment(raw)
        assert (a.error, a.offset, a.delay) == (CONFIG_MISMATCH, cluster.offset + 5, 0)
        assert (a.connectors, a.tasks, a.revoked_connectors, a.revoked_tasks) == ([], [], [], [])


# -- protocol versions, leader state, helpers --------------------------------------------------


@pytest.mark.parametrize(("protocol", "header"), [("compatible", 1), ("sessioned", 2)])
def test_assignment_header_follows_the_subprotocol(
    clock: FakeClock, protocol: str, header: int
) -> None:
    cluster = new_cluster(clock, protocol=protocol)
    cluster.join("worker2")
    result = rebalance(cluster)
    assert {d[:2] for d in result.data.values()} == {header.to_bytes(2, "big")}
    assert {a.version for a in result.received.values()} == {header}


def test_leader_state_knows_every_owner(clock: FakeClock) -> None:
    cluster = new_cluster(clock)
    cluster.join("worker2")
    rebalance(cluster)
    rebalance(cluster)
    state = rebalance(cluster).context.leader_state
    assert state is not None
    for member, worker in cluster.workers.items():
        for connector in worker.connectors():
            assert state.owner_url(connector) == cluster.workers[member].url
        for task in worker.tasks():
            assert state.owner_url(task) == cluster.workers[member].url
    assert state.owner_url(T("connector1", 99)) is None


def test_delay_property_is_in_seconds(clock: FakeClock) -> None:
    cluster = new_cluster(clock)
    cluster.join("worker2")
    rebalance(cluster)
    cluster.leave("worker2")
    rebalance(cluster)
    assignor = cluster.assignors["worker1"]
    assert isinstance(assignor, IncrementalCooperativeAssignor)
    assert assignor.delay == MAX_DELAY_MS / 1000


def test_revocation_back_off_sequence() -> None:
    backoff = _RevocationBackoff(300_000)
    assert [backoff.backoff(n) for n in range(1, 6)] == [40, 1600, 64000, 300_000, 300_000]
    assert _RevocationBackoff(1).backoff(3) == 1
    assert _RevocationBackoff(0).backoff(3) == 0


def _loads(*specs: tuple[str, int, int, int, int]) -> list[WorkerLoad]:
    return [
        WorkerLoad(
            worker,
            dict.fromkeys(f"connector{i}" for i in range(c0, c0 + cn)),
            dict.fromkeys(T("task", i) for i in range(t0, t0 + tn)),
        )
        for worker, c0, cn, t0, tn in specs
    ]


def test_assign_when_balanced_deals_round_robin_from_the_least_loaded() -> None:
    loads = _loads(("worker0", 0, 2, 0, 2), ("worker1", 2, 2, 2, 2), ("worker2", 4, 2, 4, 2))
    assign_connectors(loads, [f"connector{i}" for i in range(6, 11)])
    assign_tasks(loads, [T("task", i) for i in range(6, 11)])
    by_worker = {load.worker: load for load in loads}
    assert list(by_worker["worker0"].connectors)[2:] == ["connector6", "connector9"]
    assert list(by_worker["worker1"].connectors)[2:] == ["connector7", "connector10"]
    assert list(by_worker["worker2"].connectors)[2:] == ["connector8"]
    assert list(by_worker["worker0"].tasks)[2:] == [T("task", 6), T("task", 9)]
    assert list(by_worker["worker2"].tasks)[2:] == [T("task", 8)]


def test_assign_when_imbalanced_fills_the_least_loaded_first() -> None:
    loads = _loads(
        ("worker0", 0, 2, 0, 2),
        ("worker1", 2, 3, 2, 3),
        ("worker2", 5, 4, 5, 4),
        ("worker3", 0, 0, 0, 0),
    )
    assign_connectors(loads, [f"connector{i}" for i in range(9, 24)])
    assign_tasks(loads, [T("task", i) for i in range(9, 24)])
    assert [len(load.connectors) for load in loads] == [6, 6, 6, 6]
    assert [len(load.tasks) for load in loads] == [6, 6, 6, 6]
