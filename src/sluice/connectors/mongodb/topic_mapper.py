"""Which topic a change event goes to: the official ``DefaultTopicMapper``'s rules.

By default an event about ``db.coll`` goes to ``<topic.prefix>.db.coll.<topic.suffix>`` (with
``topic.separator`` between the parts, and prefix/suffix only when set). ``topic.namespace.map``
overrides the middle part, matched in this order, first match wins:

1. a namespace with a collection (``"db.coll": "topic"``): the topic, as written;
2. a database alone (``"db": "name"``): ``name<sep><coll>``, or ``name`` for database events;
3. regexes (``"/db\\\\..*": "x{sep_coll}"``), in the order written, matched against the whole
   namespace; the template may use ``{db}``, ``{sep}``, ``{coll}``, ``{sep_coll}``,
   ``{coll_sep}`` and ``{sep_coll_sep}``;
4. the wildcard ``"*"``.

A key written twice keeps its first position and its last template; empty templates are dropped.
An event without ``ns.db`` (an ``invalidate`` after a drop, say) has no topic: the task logs it
and skips it, as the official connector does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from sluice.api import ConfigError
from sluice.connectors.mongodb.shell_json import ShellJsonError, parse_document

__all__ = ["TOPIC_NAMESPACE_MAP", "TopicMapper"]

TOPIC_NAMESPACE_MAP: Final = "topic.namespace.map"
_VARIABLES: Final = ("db", "sep", "coll", "sep_coll", "coll_sep", "sep_coll_sep")


class _Template:
    """A regex pair's topic template, with ``{sep}`` expanded once and the rest per namespace."""

    def __init__(self, template: str, separator: str, map_text: str) -> None:
        self.parts: list[str | tuple[str]] = []  # literal text, or (variable,)
        depth = 0
        literal: list[str] = []
        start = 0
        for index, ch in enumerate(template):
            if ch == "{":
                depth += 1
                if depth > 1:
                    raise _error(map_text, "Variable expansion syntax is violated, unexpected '{'")
                start = index
            elif ch == "}":
                depth -= 1
                if depth < 0:
                    raise _error(map_text, "Variable expansion syntax is violated, unexpected '}'")
                name = template[start + 1 : index]
                if name not in _VARIABLES:
                    raise _error(map_text, f"{name} is not a supported variable name")
                if name == "sep":
                    literal.append(separator)
                else:
                    self.parts.append("".join(literal))
                    literal = []
                    self.parts.append((name,))
            elif depth == 0:
                literal.append(ch)
        if depth != 0:
            raise _error(map_text, "Variable expansion syntax is violated, unexpected '{'")
        self.parts.append("".join(literal))
        self.parts = [p for p in self.parts if p != ""]
        self.separator = separator

    @property
    def empty(self) -> bool:
        return not self.parts

    def compute(self, db: str, coll: str) -> str:
        sep = self.separator
        out: list[str] = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            name = part[0]
            if name == "db":
                out.append(db)
            elif name == "coll":
                out.append(coll)
            elif coll:
                out.append(
                    {"sep_coll": sep + coll, "coll_sep": coll + sep}.get(name, sep + coll + sep)
                )
        return "".join(out)


def _error(map_text: str, message: str) -> ConfigError:
    return ConfigError.invalid(TOPIC_NAMESPACE_MAP, map_text, message)


class TopicMapper:
    """``DefaultTopicMapper``: configured once, then ``topic(event)`` per change event.

    Not thread-safe (it caches per namespace), like the original; one task uses one mapper.
    """

    def __init__(
        self,
        prefix: str = "",
        suffix: str = "",
        separator: str = ".",
        namespace_map: str = "",
    ) -> None:
        self.separator = separator
        self.prefix = prefix + separator if prefix else ""
        self.suffix = separator + suffix if suffix else ""
        self._simple: dict[str, str] = {}
        self._regexes: list[tuple[re.Pattern[str], _Template]] = []
        self._wildcard: str | None = None
        self._cache: dict[tuple[str, str], str] = {}
        if namespace_map.strip():
            try:
                pairs = parse_document(namespace_map)
            except ShellJsonError as e:
                raise _error(namespace_map, f"Not a valid JSON document: {e}") from e
            self._configure(pairs, namespace_map)

    def _configure(self, pairs: Mapping[str, Any], text: str) -> None:
        for pattern, template in pairs.items():
            if not isinstance(template, str):
                raise _error(text, "All values must be strings")
            if pattern == "*":
                self._wildcard = template or None
            elif pattern.startswith("/"):
                try:
                    regex = re.compile(pattern[1:])
                except re.error as e:
                    raise _error(text, f"{e} in /{pattern[1:]}") from e
                compiled = _Template(template, self.separator, text)
                if not compiled.empty:
                    self._regexes.append((regex, compiled))
            else:
                if "/" in pattern:
                    raise _error(text, "'/' is not allowed in a simple namespace pattern")
                self._simple[pattern] = template
        self._simple = {k: v for k, v in self._simple.items() if v}

    def topic(self, event: Mapping[str, Any]) -> str:
        """The topic of a change event, or ``""`` when it names no database."""
        ns = event.get("ns")
        if not isinstance(ns, Mapping):
            return ""
        db = ns.get("db")
        if not isinstance(db, str) or not db:
            return ""
        coll = ns.get("coll")
        if not isinstance(coll, str):
            coll = ""
        key = (db, coll)
        topic = self._cache.get(key)
        if topic is None:
            topic = self.prefix + self._undecorated(db, coll) + self.suffix
            self._cache[key] = topic
        return topic

    def topic_for_namespace(self, db: str, coll: str = "") -> str:
        """The topic of events about ``db.coll`` (``coll`` empty for database-level events)."""
        return self.topic({"ns": {"db": db, "coll": coll}})

    def _undecorated(self, db: str, coll: str) -> str:
        namespace = f"{db}.{coll}" if coll else db
        template = self._simple.get(namespace)
        if template is not None:
            return template
        template = self._simple.get(db)
        if template is not None:
            return template + self.separator + coll if coll else template
        for regex, compiled in self._regexes:
            if regex.fullmatch(namespace):
                return compiled.compute(db, coll)
        if self._wildcard is not None:
            return self._wildcard
        return db + self.separator + coll if coll else db
