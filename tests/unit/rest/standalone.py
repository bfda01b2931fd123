"""The real standalone herder behind the REST app, with no broker: its tasks are only recorded.

For the REST tests whose answer is the herder's own rule (a name taken twice, a config patch
merged, a restart planned, offsets editable only when stopped): checked against a fake herder
they would test the fake. Connectors run for real (a file source needs no Kafka); the worker's
task threads, which would need a producer, are replaced by a record of what was started, and
each started task reports RUNNING, as a real one does once it has started.
"""

from __future__ import annotations

from sluice.runtime.standalone import StandaloneHerder
from sluice.runtime.worker_config import WorkerConfig
from tests.unit.runtime.recording_worker import RecordingWorker

WORKER_ID = "127.0.0.1:8083"
WORKER_PROPS = {
    "bootstrap.servers": "127.0.0.1:1",
    "key.converter": "org.apache.kafka.connect.storage.StringConverter",
    "value.converter": "org.apache.kafka.connect.storage.StringConverter",
    "offset.storage.file.filename": "/nonexistent/offsets",
}


def standalone_herder() -> tuple[StandaloneHerder, RecordingWorker]:
    worker = RecordingWorker(WORKER_ID, WorkerConfig(WORKER_PROPS))
    return StandaloneHerder(worker, "cluster-1"), worker
