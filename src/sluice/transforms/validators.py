"""Config validators the transforms share, with Kafka's messages."""

from __future__ import annotations

import re
from typing import Any

from sluice.api.errors import ConfigError
from sluice.transforms.java_regex import compile_java_regex

__all__ = ["non_empty_list", "valid_regex"]


def non_empty_list(name: str, value: Any) -> None:
    """Kafka's ``NonEmptyListValidator``."""
    if not value:
        shown = "null" if value is None else "[]"
        raise ConfigError.invalid(name, shown, "Empty list")


def valid_regex(name: str, value: Any) -> None:
    """Kafka's ``RegexValidator``: the value must compile as a (Java) regular expression."""
    try:
        compile_java_regex(value)
    except (re.error, ValueError, TypeError) as e:
        raise ConfigError.invalid(name, value, f"Invalid regex: {e}") from None
