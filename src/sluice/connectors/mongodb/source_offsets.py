"""Source partition and offsets, in the official connector's exact shapes.

One source partition per connector: ``{"ns": "mongodb://<hosts>/<database>[.<collection>]"}``
(hosts as written in ``connection.uri``, sorted, without credentials or options), or
``{"ns": <offset.partition.name>}``. Offsets are strings, as Kafka Connect stores the Java
connector's:

* streaming: ``{"_id": "<resume token as relaxed JSON>"}``, for example
  ``{"_id": "{\\"_data\\": \\"82...\\"}"}``;
* while copying existing data: ``{"_id": "<the copy event's _id>", "copy": "true"}``; the last
  copied document carries the resume token taken before the copy began, without ``copy``;
* heartbeats: ``{"_id": "<post-batch resume token>", "HEARTBEAT": "true"}``.

So a sluice worker and a Kafka Connect worker can take over each other's offsets, and an offset
with ``copy`` tells a restarted task that the copy did not finish.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from bson import json_util

from sluice.connectors.mongodb.json_formatters import RELAXED_JSON

__all__ = [
    "COPY_KEY",
    "HEARTBEAT_KEY",
    "ID_FIELD",
    "NS_KEY",
    "default_partition_name",
    "offset_of",
    "partition_of",
    "resume_token_of",
]

NS_KEY: Final = "ns"
ID_FIELD: Final = "_id"
COPY_KEY: Final = "copy"
HEARTBEAT_KEY: Final = "HEARTBEAT"


def _hosts(uri: str) -> tuple[str, list[str]]:
    scheme = "mongodb+srv://" if uri.startswith("mongodb+srv://") else "mongodb://"
    rest = uri[len(scheme) :] if uri.startswith(scheme) else uri
    cut = [i for i in (rest.find("/"), rest.find("?")) if i >= 0]
    authority = rest[: min(cut)] if cut else rest
    hosts = authority.rsplit("@", 1)[-1]
    return scheme, sorted(hosts.split(","))


def default_partition_name(uri: str, database: str, collection: str) -> str:
    """``mongodb://<sorted hosts>/<database>[.<collection>]``, as the Java connector builds it."""
    scheme, hosts = _hosts(uri)
    name = scheme + ",".join(hosts) + "/" + database
    return name + "." + collection if collection else name


def partition_of(uri: str, database: str, collection: str, custom_name: str) -> dict[str, str]:
    return {NS_KEY: custom_name or default_partition_name(uri, database, collection)}


def offset_of(token: Mapping[str, Any], copying: bool) -> dict[str, str]:
    offset = {ID_FIELD: RELAXED_JSON.dumps(token)}
    if copying:
        offset[COPY_KEY] = "true"
    return offset


def resume_token_of(offset: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The resume token an offset stores, or ``None`` (no offset, or one from a copy)."""
    if not offset or ID_FIELD not in offset or COPY_KEY in offset:
        return None
    token = json_util.loads(str(offset[ID_FIELD]))
    return token if isinstance(token, dict) else None
