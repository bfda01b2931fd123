"""``RegexRouter``: rename the topic when the whole topic matches a Java regex."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from sluice.api.config import ConfigDef, ConfigType, Importance
from sluice.api.transform import Transformation
from sluice.transforms.base import R, parse_config
from sluice.transforms.java_regex import compile_java_regex, java_replace_first
from sluice.transforms.validators import valid_regex

__all__ = ["RegexRouter"]

REGEX_CONFIG: Final = "regex"
REPLACEMENT_CONFIG: Final = "replacement"

CONFIG_DEF: Final = (
    ConfigDef()
    .define(
        REGEX_CONFIG,
        ConfigType.STRING,
        validator=valid_regex,
        importance=Importance.HIGH,
        documentation="Java regular expression the whole topic name must match.",
    )
    .define(
        REPLACEMENT_CONFIG,
        ConfigType.STRING,
        importance=Importance.HIGH,
        documentation="The new topic; $1 or ${name} insert groups of the match.",
    )
)


class RegexRouter(Transformation[R]):
    """Route records to a topic derived from the old one with ``Matcher.replaceFirst``."""

    def __init__(self) -> None:
        self._regex: re.Pattern[str] = re.compile("")
        self._replacement = ""

    def configure(self, configs: Mapping[str, Any]) -> None:
        config = parse_config(CONFIG_DEF, configs)
        self._regex = compile_java_regex(config.get_string(REGEX_CONFIG) or "")
        self._replacement = config.get_string(REPLACEMENT_CONFIG) or ""

    def config(self) -> ConfigDef:
        return CONFIG_DEF

    def apply(self, record: R) -> R | None:
        if self._regex.fullmatch(record.topic) is None:
            return record
        topic = java_replace_first(self._regex, record.topic, self._replacement)
        return record.new_record(
            topic,
            record.kafka_partition,
            record.key_schema,
            record.key,
            record.value_schema,
            record.value,
            record.timestamp,
        )
