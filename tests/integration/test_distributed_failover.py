"""Workers of a three-worker cluster die, leave, restart and stall; the work goes on.

Each test runs its own cluster of real ``sluice distributed`` processes (session timeout 6 s,
heartbeat 1 s, sluice's default ``scheduled.rebalance.max.delay.ms=0``) and checks at-least-once
delivery: every line of the source file arrives; lines of the uncommitted window may arrive twice.
How long failover takes is measured in ``bench/``, not asserted here.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from sluice.testing import wait_for
from tests.fixtures.distributed import DistributedCluster, WorkerProcess, running_cluster
from tests.fixtures.kafka import consume_all, create_topic
from tests.fixtures.worker_process import high_watermark

pytestmark = pytest.mark.integration

FILE_SOURCE = "org.apache.kafka.connect.file.FileStreamSourceConnector"
FILE_SINK = "org.apache.kafka.connect.file.FileStreamSinkConnector"
LINE = "line-{:07d}\n"


@pytest.fixture
def cluster(kafka_bootstrap: str, tmp_path: Path) -> Iterator[DistributedCluster]:
    with running_cluster(kafka_bootstrap, tmp_path) as cluster:
        yield cluster


def _owner(cluster: DistributedCluster, name: str) -> WorkerProcess:
    status = cluster.wait_running(name)
    worker_id = status["tasks"][0]["worker_id"]
    return next(w for w in cluster.workers if w.worker_id == worker_id)


def _leader(cluster: DistributedCluster) -> WorkerProcess:
    """The live worker every live worker last saw as leader (from the assignment log line)."""

    def find() -> WorkerProcess | None:
        urls = set()
        for worker in cluster.live():
            found = re.findall(r"; leader (http://[^;]+/);", worker.log_tail(200_000))
            if not found:
                return None
            urls.add(found[-1])
        if len(urls) != 1:
            return None
        url = urls.pop().rstrip("/")
        return next((w for w in cluster.live() if w.url == url), None)

    return wait_for(find, 30, 0.2, message="the workers do not agree on a leader")


def _write_lines(path: Path, start: int, count: int) -> None:
    with open(path, "a") as f:
        f.writelines(LINE.format(i) for i in range(start, start + count))


def _create(cluster: DistributedCluster, name: str, config: dict[str, str]) -> None:
    response = cluster.any().request("POST", "/connectors", json={"name": name, "config": config})
    assert response.status_code == 201, response.text


def _all_lines_arrived(bootstrap: str, topic: str, count: int) -> None:
    """Every line 0..count-1 is in the topic; duplicates allowed (at-least-once)."""
    expected = {LINE.format(i).strip().encode() for i in range(count)}
    seen: set[bytes | None] = set()

    def complete() -> bool:
        total = high_watermark(bootstrap, topic)
        if total < count:
            return False
        seen.clear()
        seen.update(m.value() for m in consume_all(bootstrap, topic, total, timeout=60))
        return expected <= seen

    wait_for(complete, 90, 1.0, message=lambda: f"{len(expected - seen)} lines missing")


def test_kill9_task_owner_then_leader(
    cluster: DistributedCluster, kafka_bootstrap: str, tmp_path: Path
) -> None:
    topic = create_topic(kafka_bootstrap, f"kill9-{uuid.uuid4().hex[:6]}")
    source = tmp_path / "in.txt"
    _write_lines(source, 0, 100_000)
    _create(
        cluster, "kill9-src", {"connector.class": FILE_SOURCE, "file": str(source), "topic": topic}
    )
    owner = _owner(cluster, "kill9-src")
    wait_for(lambda: high_watermark(kafka_bootstrap, topic) > 0, 30)
    owner.kill9()
    survivor_owner = _owner(cluster, "kill9-src")
    assert survivor_owner is not owner
    _write_lines(source, 100_000, 50_000)

    leader = _leader(cluster)
    leader.kill9()
    last = cluster.live()
    assert len(last) == 1
    status = cluster.wait_running("kill9-src")
    assert status["tasks"][0]["worker_id"] == last[0].worker_id
    _write_lines(source, 150_000, 10_000)
    _all_lines_arrived(kafka_bootstrap, topic, 160_000)
    # Once the group noticed (within the session timeout), the survivor leads and serves writes.
    assert _leader(cluster) is last[0]
    config = last[0].request(
        "PUT",
        "/connectors/kill9-src/config",
        json={"connector.class": FILE_SOURCE, "file": str(source), "topic": topic},
    )
    assert config.status_code == 200, config.text


def test_graceful_stops_and_rolling_restart_under_load(
    cluster: DistributedCluster, kafka_bootstrap: str, tmp_path: Path
) -> None:
    topic = create_topic(kafka_bootstrap, f"rolling-{uuid.uuid4().hex[:6]}", partitions=3)
    source, sink = tmp_path / "in.txt", tmp_path / "out.txt"
    source.write_text("")
    _create(
        cluster, "roll-src", {"connector.class": FILE_SOURCE, "file": str(source), "topic": topic}
    )
    _create(
        cluster,
        "roll-sink",
        {"connector.class": FILE_SINK, "file": str(sink), "topics": topic, "tasks.max": "2"},
    )
    cluster.wait_running("roll-src")
    cluster.wait_running("roll-sink", tasks=2)

    written = [0]
    stop = threading.Event()

    def load() -> None:  # a steady trickle of new lines while workers come and go
        while not stop.wait(0.05):
            _write_lines(source, written[0], 200)
            written[0] += 200

    writer = threading.Thread(target=load, daemon=True)
    writer.start()
    try:
        for worker in list(cluster.workers):
            assert worker.stop() == 0, worker.log_tail()
            cluster.wait_running("roll-src")
            cluster.wait_running("roll-sink", tasks=2)
            worker.start()
            cluster.wait_healthy(worker)
    finally:
        stop.set()
        writer.join()
    cluster.wait_running("roll-src")
    cluster.wait_running("roll-sink", tasks=2)
    expected = {LINE.format(i).strip() for i in range(written[0])}

    def arrived() -> bool:
        return expected <= set(sink.read_text().splitlines()) if sink.exists() else False

    wait_for(arrived, 60, 0.5, message=lambda: f"{len(expected)} lines not all in {sink}")


def test_a_stalled_worker_stops_its_work_and_its_stale_status_is_ignored(
    cluster: DistributedCluster, kafka_bootstrap: str, tmp_path: Path
) -> None:
    topic = create_topic(kafka_bootstrap, f"zombie-{uuid.uuid4().hex[:6]}")
    source = tmp_path / "in.txt"
    _write_lines(source, 0, 1_000)
    _create(
        cluster,
        "zombie-src",
        {"connector.class": FILE_SOURCE, "file": str(source), "topic": topic},
    )
    zombie = _owner(cluster, "zombie-src")
    zombie.pause()  # SIGSTOP: no heartbeats, no work, past the session timeout
    try:
        status = cluster.wait_running("zombie-src", exclude={zombie.worker_id: None}, timeout=60)
        new_owner = status["tasks"][0]["worker_id"]
    finally:
        zombie.resume()
    # Back from the stall, the zombie learns it lost its membership and stops the task before
    # it rejoins; its UNASSIGNED write is older than the new owner's and is dropped.
    wait_for(
        lambda: (
            "membership may be lost" in zombie.log_tail(200_000)
            and "Finished stopping revoked work" in zombie.log_tail(200_000)
        ),
        30,
        0.2,
        message=lambda: f"the stalled worker did not revoke its work:\n{zombie.log_tail()}",
    )

    def rejoined() -> bool:
        log = zombie.log_tail(200_000)
        # Its join before the stall said "as follower" too: only a join after the revocation.
        return zombie.healthy() and "as follower" in log[log.rfind("Finished stopping revoked") :]

    assert wait_for(rejoined, 30, 0.2, message="the stalled worker did not rejoin")
    # Read through another worker: the zombie's own view of the status topic may still be
    # catching up on what was written during its stall, as a Kafka Connect worker's would.
    witness = next(w for w in cluster.live() if w is not zombie)
    status = cluster.wait_running("zombie-src", via=witness)
    owner = status["tasks"][0]["worker_id"]
    if owner != new_owner:
        # The rejoin may rebalance: a worker holding the connector and its task gives one up
        # to the emptier zombie. Then the task moved in that rebalance, revoked from its owner,
        # and the RUNNING above is its new owner's, not the zombie's stale status.
        giver = next(w for w in cluster.live() if w.worker_id == new_owner)
        assert "Finished stopping revoked work" in giver.log_tail(200_000), (owner, new_owner)
    _write_lines(source, 1_000, 1_000)
    _all_lines_arrived(kafka_bootstrap, topic, 2_000)


def test_an_eager_cluster_assigns_rebalances_and_fails_over(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """``connect.protocol=eager``: every rebalance revokes and reassigns everything."""
    with running_cluster(kafka_bootstrap, tmp_path, 2, {"connect.protocol": "eager"}) as cluster:
        topic = create_topic(kafka_bootstrap, f"eager-{uuid.uuid4().hex[:6]}")
        source = tmp_path / "in.txt"
        _write_lines(source, 0, 1_000)
        _create(
            cluster,
            "eager-src",
            {"connector.class": FILE_SOURCE, "file": str(source), "topic": topic},
        )
        owner = _owner(cluster, "eager-src")
        assert "(protocol version 0)" in owner.log_tail(200_000)
        owner.kill9()
        assert _owner(cluster, "eager-src") is not owner
        _write_lines(source, 1_000, 1_000)
        _all_lines_arrived(kafka_bootstrap, topic, 2_000)
