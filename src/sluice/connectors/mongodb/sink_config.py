"""The MongoDB sink's configuration: the official ``MongoSinkConnector`` keys and checks.

The connector-level keys (``connection.uri``, ``topics``/``topics.regex``, the Server API,
TLS and encryption keys) sit beside every per-topic key of
:mod:`~sluice.connectors.mongodb.sink_topic_config`, which ``topic.override.<topic>.<key>``
can change for one topic. :class:`SinkSettings` is what the task runs with. The TLS keys
(``connection.ssl.truststore``/``keystore``) take PEM files here, since Python cannot read Java
key stores (the same as the URI's ``tlsCAFile``/``tlsCertificateKeyFile``); what sluice cannot
honour at all is refused, naming the key, instead of ignored: a JKS/PKCS12 store, client-side
field level encryption, custom Java credential providers.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any, Final

from pymongo.server_api import ServerApi

from sluice.api import (
    AbstractConfig,
    ConfigDef,
    ConfigError,
    ConfigType,
    ConfigValue,
    Importance,
    Password,
    Width,
)
from sluice.connectors.mongodb.client import CONNECTION_URI, check_uri, pem_file, redact
from sluice.connectors.mongodb.sink_processing import TopicPipeline
from sluice.connectors.mongodb.sink_topic_config import (
    TOPIC_OVERRIDE_PREFIX,
    TopicSettings,
    add_topic_keys,
    topic_config_def,
)

__all__ = ["SinkSettings", "sink_config_def", "validate_sink_config"]

log = logging.getLogger(__name__)

DEFAULT_URI: Final = "mongodb://localhost:27017"
OVERRIDE_KEY: Final = "topic.override.%s.%s"
SSL_KEYS: Final = (
    "connection.ssl.truststore",
    "connection.ssl.truststorePassword",
    "connection.ssl.keystore",
    "connection.ssl.keystorePassword",
)
CUSTOM_AUTH: Final = "mongo.custom.auth.mechanism.enable"


class _Uri:
    def __call__(self, name: str, value: Any) -> None:
        text = value.value() if isinstance(value, Password) else ("" if value is None else value)
        try:
            check_uri(str(text))
        except ConfigError as e:
            raise ConfigError(str(e), name, "[hidden]") from None

    def __str__(self) -> str:
        return "A valid connection string"


class _Regex:
    def __call__(self, name: str, value: Any) -> None:
        try:
            re.compile(str(value or ""))
        except re.error as e:
            raise ConfigError.invalid(name, value, f"Invalid regex: {e}") from None

    def __str__(self) -> str:
        return "A valid regex"


class _ServerApiVersion:
    def __call__(self, name: str, value: Any) -> None:
        if value not in (None, "", "1"):
            raise ConfigError.invalid(name, value, "the server API versions are: 1")

    def __str__(self) -> str:
        return "[, 1]"


class _NotDirectly:
    def __call__(self, name: str, value: Any) -> None:
        if value:
            raise ConfigError.invalid(
                name,
                value,
                "This configuration shouldn't be set directly: write "
                "topic.override.<topic>.<key>=<value> to change <key> for one topic",
            )

    def __str__(self) -> str:
        return "Topic override"


def sink_config_def() -> ConfigDef:
    d = ConfigDef()
    group = "Connection"
    d.define(
        "topics",
        ConfigType.LIST,
        "",
        importance=Importance.HIGH,
        documentation="The topics to write, separated by commas (or use topics.regex).",
        group=group,
        order_in_group=1,
        width=Width.MEDIUM,
        display_name="The Kafka topics",
    )
    d.define(
        "topics.regex",
        ConfigType.STRING,
        "",
        _Regex(),
        Importance.HIGH,
        "A regular expression selecting the topics to write (instead of topics).",
        group=group,
        order_in_group=2,
        width=Width.MEDIUM,
        display_name="Topics regex",
    )
    d.define(
        CONNECTION_URI,
        ConfigType.PASSWORD,
        DEFAULT_URI,
        _Uri(),
        Importance.HIGH,
        "The MongoDB connection string (mongodb:// or mongodb+srv://); driver options such as "
        "serverSelectionTimeoutMS, w, retryWrites or tls go in it.",
        group=group,
        order_in_group=3,
        width=Width.MEDIUM,
        display_name="MongoDB Connection URI",
    )
    group = "Server Api"
    d.define(
        "server.api.version",
        ConfigType.STRING,
        "",
        _ServerApiVersion(),
        Importance.MEDIUM,
        "Declare this Stable API version to the server (empty: none).",
        group=group,
        order_in_group=1,
        width=Width.MEDIUM,
        display_name="The server API version.",
    )
    d.define(
        "server.api.deprecation.errors",
        ConfigType.BOOLEAN,
        False,
        importance=Importance.MEDIUM,
        documentation="With server.api.version: commands deprecated in it are errors.",
        group=group,
        order_in_group=2,
        width=Width.MEDIUM,
        display_name="Deprecation errors",
    )
    d.define(
        "server.api.strict",
        ConfigType.BOOLEAN,
        False,
        importance=Importance.MEDIUM,
        documentation="With server.api.version: commands outside it are errors.",
        group=group,
        order_in_group=3,
        width=Width.MEDIUM,
        display_name="Strict",
    )
    group = "SSL"
    ssl_docs = (
        "The CA certificates trusted for TLS connections: a PEM file (the URI's tlsCAFile); "
        "sluice cannot read Java key stores.",
        "Unused: a PEM trust store has no password.",
        "The client certificate and private key for TLS connections: a PEM file (the URI's "
        "tlsCertificateKeyFile); sluice cannot read Java key stores.",
        "The password of the key store's private key, if it is encrypted.",
    )
    for order, (key, doc) in enumerate(zip(SSL_KEYS, ssl_docs, strict=True), start=1):
        d.define(
            key,
            ConfigType.PASSWORD if key.endswith("Password") else ConfigType.STRING,
            "",
            importance=Importance.MEDIUM,
            documentation=doc,
            group=group,
            order_in_group=order,
            width=Width.LONG if not key.endswith("Password") else Width.MEDIUM,
        )
    group = "Client-Side Field Level Encryption"
    d.define(
        "csfle.enabled",
        ConfigType.BOOLEAN,
        False,
        importance=Importance.MEDIUM,
        documentation="Client-side field level encryption; not supported by sluice (true is "
        "refused).",
        group=group,
        order_in_group=1,
        width=Width.MEDIUM,
        display_name="Enable CS-FLE",
    )
    for order, (key, kind) in enumerate(
        (
            ("csfle.key.vault.namespace", ConfigType.STRING),
            ("csfle.local.master.key", ConfigType.PASSWORD),
            ("csfle.schema.map", ConfigType.STRING),
        ),
        start=2,
    ):
        d.define(
            key,
            kind,
            "",
            importance=Importance.MEDIUM,
            documentation="Used with csfle.enabled (not supported by sluice).",
            group=group,
            order_in_group=order,
            width=Width.MEDIUM,
        )
    d.define(
        "csfle.bypass.query.analysis",
        ConfigType.BOOLEAN,
        True,
        importance=Importance.LOW,
        documentation="Used with csfle.enabled (not supported by sluice).",
        group=group,
        order_in_group=5,
        width=Width.MEDIUM,
    )
    d.define(
        OVERRIDE_KEY,
        ConfigType.STRING,
        "",
        _NotDirectly(),
        Importance.LOW,
        "Per-topic settings: topic.override.<topic>.<key>=<value> sets <key> for records of "
        "<topic> only (for example topic.override.orders.collection=sales). Every key but "
        "connection.uri and topics can be overridden.",
        group="Overrides",
        order_in_group=1,
        width=Width.MEDIUM,
        display_name="Per topic configuration overrides.",
    )
    d.define_internal("provider", ConfigType.STRING, "")
    return add_topic_keys(d)


_SINK_DEF: Final = sink_config_def()
_TOPIC_KEYS: Final = frozenset(topic_config_def().keys)


def _override_topics(props: Mapping[str, str]) -> list[str]:
    """Topics named in ``topic.override.<topic>.<key>`` keys (a topic name has no dots before
    the key, as in the official connector)."""
    found: dict[str, None] = {}
    for key in props:
        if key.startswith(TOPIC_OVERRIDE_PREFIX) and key != OVERRIDE_KEY:
            rest = key[len(TOPIC_OVERRIDE_PREFIX) :]
            found[rest.split(".", 1)[0]] = None
    return list(found)


class SinkSettings:
    """The parsed connector configuration; :meth:`topic` gives one topic's settings."""

    def __init__(
        self,
        props: Mapping[str, str],
        connection_uri: str,
        topics: tuple[str, ...],
        topics_regex: re.Pattern[str] | None,
        server_api: ServerApi | None,
        tls: Mapping[str, str] | None = None,
    ) -> None:
        self.props = dict(props)
        self.tls: dict[str, str] = dict(tls or {})
        """pymongo's TLS file options, from the connection.ssl.* keys."""
        self.connection_uri = connection_uri
        self.topics = topics
        self.topics_regex = topics_regex
        self.server_api = server_api
        self._topics: dict[str, TopicSettings] = {}

    @classmethod
    def parse(cls, props: Mapping[str, str]) -> SinkSettings:
        """Parse and check ``props``; every listed topic's settings are parsed too, so a bad
        override fails here. Raises :class:`ConfigError` naming the key."""
        cfg = AbstractConfig(_SINK_DEF, props)
        topics = tuple(t for t in cfg.get_list("topics") if t)
        regex = cfg.get_string("topics.regex") or ""
        if topics and regex:
            raise ConfigError(
                "topics and topics.regex are mutually exclusive options, but both are set.",
                "topics",
            )
        if not topics and not regex:
            raise ConfigError("Must configure one of topics or topics.regex", "topics")
        tls: dict[str, str] = {}
        truststore = (cfg.get_string("connection.ssl.truststore") or "").strip()
        if truststore:
            tls["tlsCAFile"] = pem_file("connection.ssl.truststore", truststore)
        keystore = (cfg.get_string("connection.ssl.keystore") or "").strip()
        if keystore:
            tls["tlsCertificateKeyFile"] = pem_file("connection.ssl.keystore", keystore)
            secret = cfg.get_password("connection.ssl.keystorePassword")
            if secret is not None and secret.value():
                tls["tlsCertificateKeyFilePassword"] = secret.value()
        if cfg.get_boolean("csfle.enabled"):
            raise ConfigError.invalid(
                "csfle.enabled", "true", "client-side field level encryption is not supported"
            )
        if str(props.get(CUSTOM_AUTH, "false")).strip().lower() == "true":
            raise ConfigError.invalid(
                CUSTOM_AUTH, "true", "sluice cannot load custom Java credential providers"
            )
        password = cfg.get_password(CONNECTION_URI)
        uri = password.value() if password is not None else DEFAULT_URI
        version = cfg.get_string("server.api.version") or ""
        server_api = (
            ServerApi(
                version,
                strict=cfg.get_boolean("server.api.strict"),
                deprecation_errors=cfg.get_boolean("server.api.deprecation.errors"),
            )
            if version
            else None
        )
        settings = cls(props, uri, topics, re.compile(regex) if regex else None, server_api, tls)
        for topic in topics or [t for t in _override_topics(props) if re.fullmatch(regex, t)]:
            TopicPipeline.build(settings.topic(topic))  # bad strategies fail here, not per record
        unknown = sorted(
            key
            for key in props
            if key.startswith(TOPIC_OVERRIDE_PREFIX)
            and key != OVERRIDE_KEY
            and not any(key.endswith(f".{name}") for name in _TOPIC_KEYS)
        )
        for key in unknown:
            log.warning("%s is not a setting a topic can override; it is ignored", key)
        return settings

    def describe(self) -> str:
        """The server, for logs (no password)."""
        return redact(self.connection_uri)

    def topic(self, topic: str) -> TopicSettings:
        """``topic``'s settings; a :class:`ConfigError` for a topic the connector does not
        consume (a transform that renames topics needs a matching topics.regex)."""
        found = self._topics.get(topic)
        if found is not None:
            return found
        if self.topics and topic not in self.topics:
            raise ConfigError(
                f"Unknown topic: {topic}, must be one of: {list(self.topics)}", "topics"
            )
        if self.topics_regex is not None and not self.topics_regex.fullmatch(topic):
            raise ConfigError(
                f"Unknown topic: {topic}, does not match: {self.topics_regex.pattern}",
                "topics.regex",
            )
        found = self._topics[topic] = TopicSettings.parse(topic, self.props)
        return found


def validate_sink_config(props: Mapping[str, str]) -> list[ConfigValue]:
    """The connector's validation: every key's value and errors, each topic's overrides
    checked (class names, strategy combinations) with errors on the key as written."""
    values = _SINK_DEF.validate(props)
    by_name = {v.name: v for v in values}
    by_name[OVERRIDE_KEY].visible = False
    if any(v.errors for v in values):
        return values

    def add(key: str | None, message: str) -> None:
        name = key or "topics"
        if name not in by_name:
            by_name[name] = ConfigValue(name, props.get(name))
            values.append(by_name[name])
        by_name[name].add_error(message)

    try:
        settings = SinkSettings.parse(props)
    except ConfigError as e:
        add(e.key, str(e))
        return values
    if settings.topics:
        checked = list(settings.topics)
    else:
        assert settings.topics_regex is not None
        named = [t for t in _override_topics(props) if settings.topics_regex.fullmatch(t)]
        checked = named or ["__default"]
    for topic in checked:
        try:
            TopicPipeline.build(TopicSettings.parse(topic, props))
        except ConfigError as e:
            add(e.key, str(e))
    return values
