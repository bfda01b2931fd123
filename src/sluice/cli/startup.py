"""Start-up steps every worker takes, standalone or distributed.

Each step turns a problem into a :class:`StartupError` whose message names the file and the key,
so ``sluice standalone`` and ``sluice distributed`` fail the same way on the same bad input.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Final

from sluice.api import ConfigError
from sluice.plugins.registry import PluginError, PluginRegistry
from sluice.runtime import log_context
from sluice.runtime.collector import tune_collector
from sluice.runtime.config_providers import ConfigTransformer, providers_from_worker_config
from sluice.runtime.herder import Herder
from sluice.runtime.loggers import Loggers
from sluice.runtime.unknown_configs import log_unknown_configs, unknown_worker_configs
from sluice.runtime.worker_config import WorkerConfig

__all__ = [
    "RunningWorker",
    "StartupError",
    "check_client_security",
    "cluster_id",
    "install_logging",
    "load_registry",
    "rest_app",
    "rest_server",
    "serve_rest",
    "serve_until_signalled",
    "worker_config",
]


class StartupError(Exception):
    """A problem that stops the worker from starting; the message is shown as it is."""


def install_logging(level: str, props: Mapping[str, str], source: str) -> None:
    """Set up the process's logging in the format the worker asks for: ``log.format`` in the
    worker file (``text``, the default, or ``json``), overridden by ``$SLUICE_LOG_FORMAT``.

    The environment wins so that an operator can switch one deployment (a container, a systemd
    unit) to JSON without editing a worker file shared with other deployments, and so that the
    same file still runs unchanged on a Java worker, which ignores the key.
    """
    from_env = os.environ.get("SLUICE_LOG_FORMAT", "").strip()
    value, where = (
        (from_env, "SLUICE_LOG_FORMAT")
        if from_env
        else (props.get("log.format", "text").strip(), f"{source}: log.format")
    )
    if value not in log_context.LOG_FORMATS:
        choices = " or ".join(log_context.LOG_FORMATS)
        raise StartupError(f"{where}: expected {choices}, not {value!r}")
    log_context.install(level, value)


def worker_config(
    props: Mapping[str, str],
    source: str,
    build: Callable[[Mapping[str, str]], WorkerConfig],
) -> tuple[WorkerConfig, Callable[[Mapping[str, str]], dict[str, str]]]:
    """The parsed worker config (``${provider:...}`` resolved) and the resolver for connector
    configs."""
    try:
        transformer = ConfigTransformer(providers_from_worker_config(props))
        config = build(transformer.transform(props).data)
    except ConfigError as e:
        raise StartupError(f"{source}: {e}") from e
    log_unknown_configs(unknown_worker_configs(props, config.definition), source)
    check_client_security(config, source)

    def resolve(c: Mapping[str, str]) -> dict[str, str]:
        return transformer.transform(c).data

    return config, resolve


def load_registry(config: WorkerConfig, source: str) -> PluginRegistry:
    """Plugins from ``plugin.path`` and entry points; the worker's converters must load."""
    try:
        registry = PluginRegistry(config.get_list("plugin.path"))
    except PluginError as e:
        raise StartupError(f"{source}: plugin.path: {e}") from e
    for key in ("key.converter", "value.converter", "header.converter"):
        name = config.get_string(key)
        if name:
            try:
                registry.load(name, "header_converter" if key.startswith("header") else "converter")
            except PluginError as e:
                raise StartupError(f"{source}: {key}: {e}") from e
    return registry


def check_client_security(config: WorkerConfig, source: str) -> None:
    """Refuse, before anything starts, the security settings no client could honour (a store
    that does not open, a JAAS line that does not parse, an unsupported mechanism), naming the
    setting: the worker's own (its internal and admin clients) and ``producer.*``,
    ``consumer.*`` and ``admin.*`` (its connectors' clients)."""
    from sluice.kafka.security import (
        JAAS_FILE_SETTING,
        SecurityConfigError,
        connection_settings,
        kafka_python_security,
        librdkafka_security,
        set_process_jaas_file,
    )
    from sluice.rest.security import basic_auth

    originals = dict(config.originals())
    set_process_jaas_file(str(originals.get(JAAS_FILE_SETTING) or "") or None)
    try:
        basic_auth(originals)  # the REST API's JAAS and users files (rest.extension.classes)
    except SecurityConfigError as e:
        raise StartupError(f"{source}: {e}") from None
    layers = [("", connection_settings(originals))]
    for prefix in ("producer.", "consumer.", "admin."):
        layers.append((prefix, config.client_props(prefix)))
    for prefix, props in layers:
        try:
            librdkafka_security(props)
            if not prefix:  # the distributed herder's group membership (kafka-python) as well
                kafka_python_security(props)
        except SecurityConfigError as e:
            text = str(e)
            if e.key and text.startswith(e.key):
                text = prefix + text
            elif e.key:
                text = f"{prefix}{e.key}: {text}"
            raise StartupError(f"{source}: {text}") from None


def admin_settings(config: WorkerConfig) -> dict[str, Any]:
    """What an admin client of the worker's own needs: bootstrap, the top-level security
    settings (Kafka Connect looks the cluster id up with the worker's own settings) and
    ``admin.*``."""
    from sluice.kafka.security import connection_settings

    settings: dict[str, Any] = {"bootstrap.servers": ",".join(config.get_list("bootstrap.servers"))}
    settings.update({k: str(v) for k, v in connection_settings(config.originals()).items()})
    settings.update(config.client_props("admin."))
    return settings


def _connection_hint(reason: str) -> str:
    """What to check for the client error ``reason``, in the worker file's terms."""
    lowered = reason.lower()
    if "certificate verify failed" in lowered or "could not be verified" in lowered:
        return (
            " (the broker's certificate is not signed by a CA in ssl.truststore.location, or its "
            "name does not match: ssl.endpoint.identification.algorithm)"
        )
    if "authentication" in lowered:
        return " (check sasl.mechanism and the username and password in sasl.jaas.config)"
    if (
        "security.protocol" in lowered
        or "ssl handshake" in lowered
        or "state apiversion_query" in lowered
    ):
        return (
            " (does security.protocol match the broker's listener at bootstrap.servers? A "
            "plaintext client at a TLS listener is disconnected while it asks for API versions)"
        )
    return ""


class _ClientLines(logging.Handler):
    """Keeps the text of every line of the start-up admin client (its connection failures are
    ``FAIL`` lines, some at INFO level, with no ``error_cb``: a plaintext client at a TLS
    listener, a failed TLS handshake...) and passes each on to ``librdkafka.admin`` as usual."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[str] = []
        self.target = logging.getLogger("librdkafka.admin")

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args
        if isinstance(args, tuple) and len(args) == 3 and args[0] == "FAIL":
            self.texts.append(str(args[2]))
        if self.target.isEnabledFor(record.levelno):
            record.name = self.target.name
            self.target.handle(record)


_LOOKUP_SLICE_S: Final = 1.0


def cluster_id(config: WorkerConfig, timeout: float) -> str:
    """The Kafka cluster id; proves the broker is reachable before anything else starts.

    When it is not, the message carries the client's last error (a failed TLS handshake, a
    refused SASL login, a plaintext client at a TLS port...), not only the timeout."""
    from confluent_kafka import KafkaError

    from sluice.kafka.client_logs import new_admin

    settings = admin_settings(config)
    errors: list[str] = []

    def on_error(error: KafkaError) -> None:
        if error.code() != KafkaError._ALL_BROKERS_DOWN:
            errors.append(error.str())

    lines = _ClientLines()
    logger = logging.Logger("librdkafka.admin.startup", logging.DEBUG)  # not in the hierarchy
    logger.addHandler(lines)
    admin = new_admin(settings, on_error, logger)
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        try:
            meta = admin.list_topics(timeout=max(0.1, min(_LOOKUP_SLICE_S, remaining)))
        except Exception as e:
            # The client's queued errors and lines come out of poll. A refused login, an
            # untrusted certificate or the wrong security.protocol does not heal by retrying
            # (Kafka's clients give up on authentication errors at once), so those stop the
            # wait early; anything else (a broker still starting) is waited out.
            admin.poll(0.2 if remaining <= _LOOKUP_SLICE_S else 0)
            reason = (errors or lines.texts or [str(e)])[-1]
            hint = _connection_hint(reason)
            if hint or remaining <= _LOOKUP_SLICE_S:
                raise StartupError(
                    f"Cannot reach Kafka at bootstrap.servers={settings['bootstrap.servers']}: "
                    f"{reason}{hint}"
                ) from e
            continue
        return str(meta.cluster_id)


def rest_server(config: WorkerConfig, source: str) -> Any:
    """A REST server bound to the worker's ``listeners``, not serving yet: binding first tells
    the worker its id (the advertised ``host:port``) before the herder exists."""
    from sluice.kafka.security import SecurityConfigError
    from sluice.rest.security import (
        basic_auth,
        client_ssl_context,
        rest_tls,
        set_client_verify,
    )
    from sluice.rest.server import RestServer, parse_listener

    originals = dict(config.originals())
    try:
        listeners = config.get_list("listeners")
        https = any(parse_listener(value).scheme == "https" for value in listeners)
        tls = rest_tls(originals) if https else None
        # Forwarding to other workers and posting task configs to the leader: their HTTPS
        # listeners are trusted (and this worker's certificate shown) as Kafka's RestClient does.
        set_client_verify(client_ssl_context(originals) if https else None)
        basic_auth(originals)  # a missing JAAS or users file stops the worker here
    except SecurityConfigError as e:
        raise StartupError(f"{source}: {e}") from None
    except ConfigError as e:
        raise StartupError(f"{source}: {e}") from e
    try:
        rest = RestServer(
            None,
            listeners,
            advertised_host=config.get_string("rest.advertised.host.name"),
            advertised_port=config.get("rest.advertised.port"),
            tls=tls,
            advertised_listener=config.get_string("rest.advertised.listener"),
        )
        rest.bind()
    except ConfigError as e:
        raise StartupError(f"{source}: {e}") from e
    except OSError as e:
        raise StartupError(f"{source}: listeners: cannot serve the REST API: {e}") from e
    return rest


def rest_app(herder: Herder, config: WorkerConfig, loggers: Loggers | None = None) -> Any:
    """Kafka Connect's REST API over ``herder``, shaped by the worker's REST settings."""
    from sluice.rest.app import RestOptions, create_app
    from sluice.rest.security import BasicAuthMiddleware, basic_auth

    app = create_app(
        herder,
        loggers,
        options=RestOptions(
            topic_tracking_enable=config.get_boolean("topic.tracking.enable"),
            topic_tracking_allow_reset=config.get_boolean("topic.tracking.allow.reset"),
            admin_enabled=config.get("admin.listeners") != [],
        ),
    )
    auth = basic_auth(dict(config.originals()))  # checked by rest_server() already
    if auth is not None:
        app.add_middleware(BasicAuthMiddleware, auth=auth)
    return app


def serve_rest(rest: Any, app: Any, source: str) -> None:
    try:
        rest.start(app)
    except Exception as e:
        raise StartupError(f"{source}: listeners: cannot serve the REST API: {e}") from e


class RunningWorker:
    """A running worker: its herder and REST server; :meth:`stop` stops both once."""

    def __init__(self, herder: Any, rest: Any) -> None:
        self.herder = herder
        self.rest = rest
        self.stopped = threading.Event()

    @property
    def rest_url(self) -> str | None:
        return None if self.rest is None else str(self.rest.url)

    def stop(self) -> None:
        if self.stopped.is_set():
            return
        if self.rest is not None:
            self.rest.stop()
        self.herder.stop()
        self.stopped.set()


def serve_until_signalled(running: RunningWorker, log: logging.Logger) -> int:
    """Run until SIGINT or SIGTERM, then stop gracefully (tasks stop, offsets are committed).

    Returns the exit status: 1 if the herder failed on its own, else 0.
    """

    def shutdown(signum: int, _frame: Any) -> None:
        log.info("Received signal %s, stopping", signal.Signals(signum).name)
        threading.Thread(target=running.stop, name="shutdown").start()

    tune_collector()
    signal.signal(signal.SIGINT, shutdown)
    signal.signal(signal.SIGTERM, shutdown)
    while not running.stopped.wait(0.5):
        failure = getattr(running.herder, "failure", None)
        if failure is not None:
            log.error("The worker stopped after an unrecoverable error: %s", failure)
            running.stop()
            return 1
    return 0
