"""The MongoDB sink's per-topic settings: every key a topic may override, and their parsing.

The official connector lets each topic carry its own namespace, strategies and error handling
(the keys are defined in :mod:`~sluice.connectors.mongodb.sink_topic_keys`):
``topic.override.<topic>.<key>=<value>`` replaces ``<key>`` for records of ``<topic>`` only.
``TopicSettings.parse`` merges the connector's keys (less ``connection.uri`` and ``topics``,
which no topic may override) with that topic's overrides and remembers which keys were
overridden, so an error names the key the user actually wrote.

Defaults are the official connector's. Class-valued keys (``document.id.strategy``,
``writemodel.strategy``...) keep MongoDB's Java class names; which names sluice knows is decided
where the classes live (:mod:`~sluice.connectors.mongodb.class_names`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from sluice.api import AbstractConfig, ConfigDef, ConfigError
from sluice.connectors.mongodb.sink_topic_keys import (
    DEFAULT_DELETE_WRITE_MODEL,
    DEFAULT_ID_STRATEGY,
    DEFAULT_NAMESPACE_MAPPER,
    DEFAULT_POST_PROCESSOR,
    DEFAULT_TIME_FORMAT,
    DEFAULT_WRITE_MODEL,
    ErrorTolerance,
    FieldProjectionType,
    UuidFormat,
    add_topic_keys,
)

__all__ = [
    "CONNECTION_ONLY_KEYS",
    "DEFAULT_DELETE_WRITE_MODEL",
    "DEFAULT_ID_STRATEGY",
    "DEFAULT_NAMESPACE_MAPPER",
    "DEFAULT_POST_PROCESSOR",
    "DEFAULT_TIME_FORMAT",
    "DEFAULT_WRITE_MODEL",
    "TOPIC_OVERRIDE_PREFIX",
    "ErrorTolerance",
    "FieldProjectionType",
    "TopicSettings",
    "UuidFormat",
    "add_topic_keys",
    "topic_config_def",
    "topic_originals",
]

TOPIC_OVERRIDE_PREFIX: Final = "topic.override."
CONNECTION_ONLY_KEYS: Final = frozenset({"connection.uri", "topics"})
"""Keys that are the connector's alone: they are neither copied into nor overridden per topic."""


def topic_config_def() -> ConfigDef:
    """The keys a topic's settings are parsed from."""
    return add_topic_keys(ConfigDef())


_TOPIC_DEF: Final = topic_config_def()


def topic_originals(topic: str, props: Mapping[str, str]) -> tuple[dict[str, str], set[str]]:
    """The connector's keys with ``topic``'s overrides applied, and the keys overridden."""
    prefix = f"{TOPIC_OVERRIDE_PREFIX}{topic}."
    merged: dict[str, str] = {}
    overrides: dict[str, str] = {}
    for key, value in props.items():
        if key.startswith(prefix):
            overrides[key[len(prefix) :]] = value
        elif not key.startswith(TOPIC_OVERRIDE_PREFIX) and key not in CONNECTION_ONLY_KEYS:
            merged[key] = value
    merged.update(overrides)
    return merged, set(overrides)


def _ms(value: int) -> float:
    return value / 1000.0


@dataclass(frozen=True)
class TopicSettings:
    """One topic's parsed settings; durations in float seconds, enums as enums."""

    topic: str
    database: str
    collection: str
    namespace_mapper: str
    key_database_field: str
    key_collection_field: str
    value_database_field: str
    value_collection_field: str
    namespace_error_if_invalid: bool
    delete_on_null_values: bool
    writemodel_strategy: str
    delete_writemodel_strategy: str
    max_batch_size: int
    bulk_write_ordered: bool
    rate_limiting_timeout: float
    rate_limiting_every_n: int
    max_num_retries: int
    retries_defer_timeout: float
    post_processor_chain: tuple[str, ...]
    key_projection_type: FieldProjectionType
    key_projection_list: str
    value_projection_type: FieldProjectionType
    value_projection_list: str
    field_renamer_mapping: str
    field_renamer_regexp: str
    field_value_transformer: str
    document_id_strategy: str
    overwrite_existing_id: bool
    uuid_format: UuidFormat
    partial_key_projection_type: FieldProjectionType
    partial_key_projection_list: str
    partial_value_projection_type: FieldProjectionType
    partial_value_projection_list: str
    tolerance: ErrorTolerance
    log_errors: bool
    cdc_handler: str
    cdc_remove_null_values: bool
    timeseries_timefield: str
    timeseries_metafield: str
    timeseries_expire_after_seconds: int
    timeseries_granularity: str
    timeseries_auto_convert: bool
    timeseries_date_format: str
    overridden: frozenset[str] = frozenset()

    @property
    def tolerates_data_errors(self) -> bool:
        """Records that cannot be processed, or that the server rejected, are skipped."""
        return self.tolerance is not ErrorTolerance.NONE

    @property
    def is_timeseries(self) -> bool:
        return bool(self.timeseries_timefield.strip())

    def key(self, name: str) -> str:
        """``name`` as the user set it for this topic (``topic.override.<topic>.<name>`` when
        the topic overrides it), for error messages."""
        if name in self.overridden:
            return f"{TOPIC_OVERRIDE_PREFIX}{self.topic}.{name}"
        return name

    def error(self, name: str, value: object, reason: str) -> ConfigError:
        """A :class:`ConfigError` naming the key as the user wrote it."""
        return ConfigError.invalid(self.key(name), value, reason)

    @classmethod
    def parse(cls, topic: str, props: Mapping[str, str]) -> TopicSettings:
        """``topic``'s settings from the connector's properties; raises :class:`ConfigError`
        naming the (possibly overridden) key on a bad value."""
        merged, overridden = topic_originals(topic, props)
        try:
            cfg = AbstractConfig(_TOPIC_DEF, merged)
        except ConfigError as e:
            if e.key is not None and e.key in overridden:
                full = f"{TOPIC_OVERRIDE_PREFIX}{topic}.{e.key}"
                raise ConfigError(str(e).replace(e.key, full, 1), full, e.value) from None
            raise

        def text(key: str) -> str:
            return cfg.get_string(key) or ""

        def projection(key: str, fallback: str) -> FieldProjectionType:
            return FieldProjectionType((text(key) or text(fallback)).lower())

        tolerance_key = (
            "mongo.errors.tolerance" if "mongo.errors.tolerance" in merged else ("errors.tolerance")
        )
        log_key = (
            "mongo.errors.log.enable"
            if "mongo.errors.log.enable" in merged
            else ("errors.log.enable")
        )
        tolerance = ErrorTolerance(text(tolerance_key).lower())
        return cls(
            topic=topic,
            database=text("database"),
            collection=text("collection") or topic,
            namespace_mapper=text("namespace.mapper"),
            key_database_field=text("namespace.mapper.key.database.field"),
            key_collection_field=text("namespace.mapper.key.collection.field"),
            value_database_field=text("namespace.mapper.value.database.field"),
            value_collection_field=text("namespace.mapper.value.collection.field"),
            namespace_error_if_invalid=cfg.get_boolean("namespace.mapper.error.if.invalid"),
            delete_on_null_values=cfg.get_boolean("delete.on.null.values"),
            writemodel_strategy=text("writemodel.strategy"),
            delete_writemodel_strategy=text("delete.writemodel.strategy"),
            max_batch_size=cfg.get_int("max.batch.size"),
            bulk_write_ordered=cfg.get_boolean("bulk.write.ordered"),
            rate_limiting_timeout=_ms(cfg.get_int("rate.limiting.timeout")),
            rate_limiting_every_n=cfg.get_int("rate.limiting.every.n"),
            max_num_retries=cfg.get_int("max.num.retries"),
            retries_defer_timeout=_ms(cfg.get_int("retries.defer.timeout")),
            post_processor_chain=tuple(p for p in cfg.get_list("post.processor.chain") if p),
            key_projection_type=projection("key.projection.type", "key.projection.type"),
            key_projection_list=text("key.projection.list"),
            value_projection_type=projection("value.projection.type", "value.projection.type"),
            value_projection_list=text("value.projection.list"),
            field_renamer_mapping=text("field.renamer.mapping"),
            field_renamer_regexp=text("field.renamer.regexp"),
            field_value_transformer=text("field.value.transformer"),
            document_id_strategy=text("document.id.strategy") or DEFAULT_ID_STRATEGY,
            overwrite_existing_id=cfg.get_boolean("document.id.strategy.overwrite.existing"),
            uuid_format=UuidFormat(text("document.id.strategy.uuid.format").lower()),
            partial_key_projection_type=projection(
                "document.id.strategy.partial.key.projection.type", "key.projection.type"
            ),
            partial_key_projection_list=text("document.id.strategy.partial.key.projection.list")
            or text("key.projection.list"),
            partial_value_projection_type=projection(
                "document.id.strategy.partial.value.projection.type", "value.projection.type"
            ),
            partial_value_projection_list=text("document.id.strategy.partial.value.projection.list")
            or text("value.projection.list"),
            tolerance=tolerance,
            log_errors=tolerance is ErrorTolerance.NONE or cfg.get_boolean(log_key),
            cdc_handler=text("change.data.capture.handler"),
            cdc_remove_null_values=cfg.get_boolean(
                "change.data.capture.handler.remove.null.values"
            ),
            timeseries_timefield=text("timeseries.timefield").strip(),
            timeseries_metafield=text("timeseries.metafield").strip(),
            timeseries_expire_after_seconds=cfg.get_long("timeseries.expire.after.seconds"),
            timeseries_granularity=text("timeseries.granularity").strip().lower(),
            timeseries_auto_convert=cfg.get_boolean("timeseries.timefield.auto.convert"),
            timeseries_date_format=text("timeseries.timefield.auto.convert.date.format"),
            overridden=frozenset(overridden),
        )
