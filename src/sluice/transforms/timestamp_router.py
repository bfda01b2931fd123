"""``TimestampRouter``: rename the topic from the old topic and the record's timestamp."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from sluice.api.config import ConfigDef, ConfigType, Importance
from sluice.api.errors import ConfigError, DataError
from sluice.api.transform import Transformation
from sluice.jdk.date_format import DatePatternError, JavaDateFormat
from sluice.transforms.base import R, parse_config

__all__ = ["TimestampRouter"]

TOPIC_FORMAT_CONFIG: Final = "topic.format"
TIMESTAMP_FORMAT_CONFIG: Final = "timestamp.format"

CONFIG_DEF: Final = (
    ConfigDef()
    .define(
        TOPIC_FORMAT_CONFIG,
        ConfigType.STRING,
        "${topic}-${timestamp}",
        importance=Importance.HIGH,
        documentation="The new topic; ${topic} and ${timestamp} are replaced by the old topic "
        "and the formatted record timestamp.",
    )
    .define(
        TIMESTAMP_FORMAT_CONFIG,
        ConfigType.STRING,
        "yyyyMMdd",
        importance=Importance.HIGH,
        documentation="A java.text.SimpleDateFormat pattern for the timestamp (UTC).",
    )
)


class TimestampRouter(Transformation[R]):
    """Route each record to ``topic.format`` filled in with its topic and timestamp."""

    def __init__(self) -> None:
        self._topic_format = "${topic}-${timestamp}"
        self._format = JavaDateFormat("yyyyMMdd")

    def configure(self, configs: Mapping[str, Any]) -> None:
        config = parse_config(CONFIG_DEF, configs)
        self._topic_format = config.get_string(TOPIC_FORMAT_CONFIG) or ""
        try:
            self._format = JavaDateFormat(config.get_string(TIMESTAMP_FORMAT_CONFIG) or "")
        except DatePatternError as e:
            raise ConfigError(str(e)) from None

    def config(self) -> ConfigDef:
        return CONFIG_DEF

    def apply(self, record: R) -> R | None:
        timestamp = record.timestamp
        if timestamp is None:
            raise DataError(f"Timestamp missing on record: {record!r}")
        topic = self._topic_format.replace("${topic}", record.topic).replace(
            "${timestamp}", self._format.format(timestamp)
        )
        return record.new_record(
            topic,
            record.kafka_partition,
            record.key_schema,
            record.key,
            record.value_schema,
            record.value,
            record.timestamp,
        )
