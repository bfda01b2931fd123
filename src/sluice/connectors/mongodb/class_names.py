"""Resolving the class names the official connector's settings take to sluice's implementations.

Settings such as ``document.id.strategy`` name Java classes
(``com.mongodb.kafka.connect.sink.processor.id.strategy.BsonOidStrategy``). Each family keeps a
table from those names to its Python classes; the simple class name (``BsonOidStrategy``) is
accepted too. A name sluice does not implement is a :class:`ConfigError` naming the key and
listing what is available, since loading arbitrary Java classes is not possible here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from sluice.api import ConfigError

__all__ = ["resolve_class"]

T = TypeVar("T")


def resolve_class(key: str, name: str, table: Mapping[str, T], what: str) -> T:
    """The entry of ``table`` for ``name`` (full or simple class name), or a :class:`ConfigError`
    naming ``key``; ``what`` says what the family is in the message."""
    found = table.get(name)
    if found is not None:
        return found
    simple = name.rsplit(".", 1)[-1]
    matches = [v for k, v in table.items() if k.rsplit(".", 1)[-1] == simple]
    if len(matches) == 1 and (simple == name or name.startswith("com.mongodb.kafka.connect.")):
        return matches[0]
    known = ", ".join(sorted({k.rsplit(".", 1)[-1] for k in table}))
    raise ConfigError.invalid(
        key, name, f"Class not found: {name} is not a {what} sluice implements (known: {known})"
    )
