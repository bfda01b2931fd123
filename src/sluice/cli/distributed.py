"""``sluice distributed``: what ``connect-distributed.sh`` does, from the same worker file.

The worker reads Kafka's ``connect-distributed.properties`` as it is, creates or checks the three
internal topics, joins the group named by ``group.id`` and serves Kafka Connect's REST API.
Connectors are created over REST (on any worker) and survive restarts: they live in the config
topic. Start-up problems end the process with a one-line error naming the file and the key, and
exit status 1; SIGINT or SIGTERM stops the tasks gracefully and leaves the group, so the other
workers take the work over at once.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

from sluice.api import ConfigError, ConnectError
from sluice.cli.startup import (
    RunningWorker,
    StartupError,
    cluster_id,
    install_logging,
    load_registry,
    rest_app,
    rest_server,
    serve_rest,
    serve_until_signalled,
    worker_config,
)
from sluice.kafka.client_config import to_librdkafka
from sluice.kafka.security import JAAS_FILE_SETTING as JAAS_FILE

__all__ = ["run_distributed", "start_distributed"]

log = logging.getLogger("sluice.distributed")

_CONNECTION_KEYS = ("security.protocol", "client.dns.lookup")
_CONNECTION_PREFIXES = ("ssl.", "sasl.")


def _connection_settings(config: Any) -> dict[str, Any]:
    """What every internal client needs to reach the brokers: bootstrap and security settings
    (Kafka Connect's internal clients are built from the worker's top-level settings)."""
    out: dict[str, Any] = {"bootstrap.servers": ",".join(config.get_list("bootstrap.servers"))}
    for key, value in config.originals().items():
        if key in _CONNECTION_KEYS or key.startswith(_CONNECTION_PREFIXES) or key == JAAS_FILE:
            out[key] = str(value)
    return to_librdkafka(out)


def _check_group(config: Any, url: str, session_timeout: float, source: str) -> None:
    """Refuse a ``group.id`` that another kind of group uses (a consumer group: the coordinator
    would refuse one of the two with an obscure error), and a REST URL that a live worker of
    the group already advertises (forwarding would reach the wrong worker). A worker killed just
    before stays a member until its session times out, so a clash waits that long first."""
    from sluice.kafka.group_description import describe_group
    from sluice.runtime.distributed.protocol import ProtocolError, deserialize_metadata

    group = config.group_id
    deadline = time.monotonic() + session_timeout + 2.0
    settings = {k: str(v) for k, v in config.originals().items()}
    while True:
        try:
            described = describe_group(settings, group)
        except Exception as e:
            log.debug("Could not describe group %s to check it: %s", group, e)
            return
        if described is None:
            return
        if described.protocol_type != "connect":
            raise StartupError(
                f"{source}: group.id={group} is already used by a group of protocol type "
                f"'{described.protocol_type}' (a consumer group?); a Connect cluster needs a group "
                "id of its own, and its sink connectors use connect-<name>"
            )
        urls = []
        for _, metadata in described.members:
            try:
                urls.append(deserialize_metadata(metadata).url)
            except (ProtocolError, ValueError):
                continue
        if url not in urls:
            return
        if time.monotonic() >= deadline:
            raise StartupError(
                f"{source}: listeners/rest.advertised.host.name/rest.advertised.port: another "
                f"worker of "
                f"group {group} already advertises {url}; every worker needs an advertised REST "
                "URL of its own (the others forward requests to it)"
            )
        log.info(
            "A member of group %s advertises %s too; waiting up to %.0fs for it to leave "
            "(a worker that stopped without leaving stays a member until its session times out)",
            group,
            url,
            deadline - time.monotonic(),
        )
        time.sleep(1.0)


def start_distributed(
    worker_props: dict[str, str],
    worker_source: str = "connect-distributed.properties",
    cluster_lookup_timeout: float = 30.0,
    join_timeout: float = 120.0,
) -> RunningWorker:
    """Start a distributed worker and wait until it joined the group; raise
    :class:`StartupError` naming the file and key on bad input."""
    from sluice.runtime.distributed.config import (
        CONFIG_TOPIC,
        OFFSET_TOPIC,
        STATUS_TOPIC,
        DistributedConfig,
    )
    from sluice.runtime.distributed.herder import DistributedHerder
    from sluice.runtime.distributed.member import WorkerGroupMember, group_member_settings
    from sluice.runtime.loggers import Loggers
    from sluice.runtime.worker import Worker
    from sluice.storage.internal_topics import InternalTopic
    from sluice.storage.kafka_config import KafkaConfigBackingStore
    from sluice.storage.kafka_log import LogClients
    from sluice.storage.kafka_offsets import KafkaOffsetBackingStore
    from sluice.storage.kafka_status import KafkaStatusBackingStore

    config, resolve = worker_config(worker_props, worker_source, DistributedConfig)
    assert isinstance(config, DistributedConfig)
    registry = load_registry(config, worker_source)
    kafka_cluster = cluster_id(config, cluster_lookup_timeout)

    clients = LogClients(
        _connection_settings(config),
        admin={k: v for k, v in to_librdkafka(config.client_props("admin.")).items()},
    )

    def topic(kind: str) -> InternalTopic:
        prefix = f"{kind}.storage."
        settings = config.topic_settings(prefix)
        replication = config.get_int(prefix + "replication.factor")
        name = str(config.get_string(prefix + "topic"))
        if kind == "config":
            return InternalTopic.config_topic(name, replication, settings)
        if kind == "offset":
            partitions = config.get_int(prefix + "partitions")
            return InternalTopic.offsets_topic(name, partitions, replication, settings)
        partitions = config.get_int(prefix + "partitions")
        return InternalTopic.status_topic(name, partitions, replication, settings)

    group = config.group_id
    offsets = KafkaOffsetBackingStore(
        topic("offset"),
        clients,
        client_id=f"{group}-offsets",
        write_timeout=config.offset_flush_timeout,
    )
    configs = KafkaConfigBackingStore(topic("config"), clients, client_id=f"{group}-configs")
    status = KafkaStatusBackingStore(topic("status"), clients, client_id=f"{group}-statuses")

    rest = rest_server(config, worker_source)
    try:
        settings = group_member_settings(config.originals())
        _check_group(config, rest.url, settings.session_timeout, worker_source)
    except ConfigError as e:
        rest.stop()
        raise StartupError(f"{worker_source}: {e}") from e
    except StartupError:
        rest.stop()
        raise
    loggers = Loggers()
    worker = Worker(rest.worker_id, config, registry, offsets, resolve)

    def member(herder: DistributedHerder) -> WorkerGroupMember:
        return WorkerGroupMember(settings, rest.url, configs, herder, config.compatibility)

    try:
        herder = DistributedHerder(config, worker, configs, status, member, kafka_cluster, loggers)
    except (ConfigError, ConnectError) as e:
        rest.stop()
        raise StartupError(f"{worker_source}: {e}") from e
    try:
        herder.start()
    except ConfigError as e:
        rest.stop()
        raise StartupError(f"{worker_source}: {e.key or CONFIG_TOPIC}: {e}") from e
    except ConnectError as e:
        rest.stop()
        topics = ", ".join((CONFIG_TOPIC, OFFSET_TOPIC, STATUS_TOPIC))
        raise StartupError(
            f"{worker_source}: cannot use the internal topics ({topics}): {e}"
        ) from e
    serve_rest(rest, rest_app(herder, config, loggers), worker_source)
    running = RunningWorker(herder, rest)
    started = time.monotonic()
    if not herder.wait_ready(join_timeout):
        failure = herder.failure
        running.stop()
        raise StartupError(
            f"{worker_source}: the worker did not join group.id={group} within "
            f"{join_timeout:.0f}s{f': {failure}' if failure else ''}"
        )
    log.info(
        "Worker %s joined group %s in %.1fs", rest.worker_id, group, time.monotonic() - started
    )
    return running


def run_distributed(worker_file: str, log_level: str = "INFO") -> int:
    """The ``sluice distributed`` command; returns the exit status."""
    from sluice.runtime.config_files import ConfigFileError, load_properties

    try:
        worker_props = load_properties(Path(worker_file))
        install_logging(log_level.upper(), worker_props, worker_file)
        wait = float(os.environ.get("SLUICE_KAFKA_WAIT_SECONDS", "30"))
        running = start_distributed(worker_props, worker_file, wait)
    except (ConfigFileError, StartupError) as e:
        print(f"sluice: {e}", file=sys.stderr)
        return 1
    log.info("sluice distributed worker started; REST API at %s", running.rest_url)
    return serve_until_signalled(running, log)
