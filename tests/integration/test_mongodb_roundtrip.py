"""Source → Kafka → sink: MongoDB's source connector and its sink with the change-stream
handler keep a second collection equal to the first, through inserts, updates and deletes.

String ``_id`` values keep the test server's fidelity gaps out of the way (it returns
non-ObjectId document keys as text and rewrites ObjectIds inside ``fullDocument``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sluice.testing import EmbeddedWorker, wait_for
from tests.fixtures.mongodb import MongoServer

pytestmark = pytest.mark.integration

STRING = "org.apache.kafka.connect.storage.StringConverter"


def test_a_collection_is_replicated_through_kafka(
    kafka_bootstrap: str, mongodb_server: MongoServer, mongodb_database: str, tmp_path: Path
) -> None:
    db = mongodb_database
    with mongodb_server.client() as client:
        origin, copy = client[db]["patients"], client[f"{db}_copy"]["patients"]
        origin.insert_many(
            [{"_id": f"p{i}", "name": f"patient {i}", "age": 30 + i} for i in range(5)]
        )
        topic = f"{db}.patients"
        source = {
            "connector.class": "com.mongodb.kafka.connect.MongoSourceConnector",
            "connection.uri": mongodb_server.uri,
            "database": db,
            "collection": "patients",
            "startup.mode": "copy_existing",
            "key.converter": STRING,
            "value.converter": STRING,
        }
        sink = {
            "connector.class": "com.mongodb.kafka.connect.MongoSinkConnector",
            "connection.uri": mongodb_server.uri,
            "database": f"{db}_copy",
            "collection": "patients",
            "topics": topic,
            "change.data.capture.handler": (
                "com.mongodb.kafka.connect.sink.cdc.mongodb.ChangeStreamHandler"
            ),
            "key.converter": STRING,
            "value.converter": STRING,
        }

        def same() -> bool:
            return list(origin.find().sort("_id")) == list(copy.find().sort("_id"))

        def describe() -> str:
            return f"origin {list(origin.find())} vs copy {list(copy.find())}"

        with EmbeddedWorker(
            kafka_bootstrap, tmp_path, connectors=[("m-src", source), ("m-snk", sink)]
        ) as worker:
            worker.wait_running("m-src")
            worker.wait_running("m-snk")
            wait_for(lambda: copy.count_documents({}) == 5 and same(), 30, message=describe)
            # Changes after the copy, streamed.
            origin.insert_one({"_id": "p9", "name": "new patient", "age": 50})
            origin.update_one({"_id": "p1"}, {"$set": {"age": 99, "ward": "B"}})
            origin.replace_one({"_id": "p2"}, {"_id": "p2", "name": "renamed"})
            origin.delete_one({"_id": "p3"})
            wait_for(same, 30, message=describe)
            final: list[dict[str, Any]] = list(copy.find().sort("_id"))
        assert [d["_id"] for d in final] == ["p0", "p1", "p2", "p4", "p9"]
        assert final[1] == {"_id": "p1", "name": "patient 1", "age": 99, "ward": "B"}
        assert final[2] == {"_id": "p2", "name": "renamed"}
