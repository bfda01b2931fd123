"""The predicates Kafka ships: ``TopicNameMatches``, ``HasHeaderKey``, ``RecordIsTombstone``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from sluice.api.config import ConfigDef, ConfigType, Importance, NonEmptyString
from sluice.api.errors import ConfigError
from sluice.api.transform import Predicate
from sluice.transforms.base import R, parse_config
from sluice.transforms.java_regex import compile_java_regex
from sluice.transforms.validators import valid_regex

__all__ = ["HasHeaderKey", "RecordIsTombstone", "TopicNameMatches"]

PATTERN_CONFIG: Final = "pattern"
NAME_CONFIG: Final = "name"


def _non_empty_regex(name: str, value: Any) -> None:
    NonEmptyString()(name, value)
    valid_regex(name, value)


TOPIC_NAME_MATCHES_CONFIG: Final = ConfigDef().define(
    PATTERN_CONFIG,
    ConfigType.STRING,
    validator=_non_empty_regex,
    importance=Importance.MEDIUM,
    documentation="Java regular expression the whole topic name must match.",
)
HAS_HEADER_KEY_CONFIG: Final = ConfigDef().define(
    NAME_CONFIG,
    ConfigType.STRING,
    validator=NonEmptyString(),
    importance=Importance.MEDIUM,
    documentation="The header key to look for.",
)
RECORD_IS_TOMBSTONE_CONFIG: Final = ConfigDef()


class TopicNameMatches(Predicate[R]):
    """True for records whose whole topic name matches ``pattern``."""

    def __init__(self) -> None:
        self._pattern: re.Pattern[str] | None = None

    def configure(self, configs: Mapping[str, Any]) -> None:
        value = parse_config(TOPIC_NAME_MATCHES_CONFIG, configs).get_string(PATTERN_CONFIG) or ""
        try:
            self._pattern = compile_java_regex(value)
        except (re.error, ValueError) as e:
            raise ConfigError.invalid(
                PATTERN_CONFIG, value, f"entry must be a Java-compatible regular expression: {e}"
            ) from None

    def config(self) -> ConfigDef:
        return TOPIC_NAME_MATCHES_CONFIG

    def test(self, record: R) -> bool:
        assert self._pattern is not None, "configure() first"
        return record.topic is not None and self._pattern.fullmatch(record.topic) is not None

    def __repr__(self) -> str:
        pattern = self._pattern.pattern if self._pattern is not None else None
        return f"TopicNameMatches{{pattern={pattern}}}"


class HasHeaderKey(Predicate[R]):
    """True for records with at least one header called ``name``."""

    def __init__(self) -> None:
        self._name = ""

    def configure(self, configs: Mapping[str, Any]) -> None:
        self._name = parse_config(HAS_HEADER_KEY_CONFIG, configs).get_string(NAME_CONFIG) or ""

    def config(self) -> ConfigDef:
        return HAS_HEADER_KEY_CONFIG

    def test(self, record: R) -> bool:
        if not record.has_headers:
            return False
        name = self._name
        return any(h.key == name for h in record.headers)

    def __repr__(self) -> str:
        return f"HasHeaderKey{{name='{self._name}'}}"


class RecordIsTombstone(Predicate[R]):
    """True for records whose value is null."""

    def configure(self, configs: Mapping[str, Any]) -> None:
        """Nothing to configure."""

    def config(self) -> ConfigDef:
        return RECORD_IS_TOMBSTONE_CONFIG

    def test(self, record: R) -> bool:
        return record.value is None

    def __repr__(self) -> str:
        return "RecordIsTombstone{}"
