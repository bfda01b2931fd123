"""Post processors: changes made to a record's documents before its write model is built.

``post.processor.chain`` lists them by the official connector's class names and they run in
that order on the :class:`~sluice.connectors.mongodb.sink_documents.SinkDocument`, changing the
key and value documents in place:

* ``DocumentIdAdder`` sets the value's ``_id`` from the id strategy (always in the chain: first
  unless listed elsewhere);
* ``AllowList``/``BlockList`` ``Key``/``Value`` ``Projector`` keep or drop fields named in
  ``key.projection.list`` / ``value.projection.list`` (dotted paths into sub-documents and arrays
  of documents, ``*`` for one level, ``**`` for everything below; the deprecated
  ``Whitelist``/``Blacklist`` names are the same classes);
* ``RenameByMapping`` / ``RenameByRegExp`` rename fields from ``field.renamer.mapping`` /
  ``field.renamer.regexp`` (paths start with ``key.`` or ``value.``);
* ``KafkaMetaAdder`` adds ``topic-partition-offset`` and the record timestamp;
* ``NullFieldValueRemover`` drops null fields, recursively.

The projections' wildcard rules and the renamers' quirks (a rename onto an existing field drops
the renamed one, renamed fields move to the end) follow the official implementation, so
documents come out with the same fields.
"""

from __future__ import annotations

import abc
import datetime as dt
import itertools
import logging
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Final

from bson import Int64

from sluice.api import ConfigError, SinkRecord
from sluice.connectors.mongodb.class_names import resolve_class
from sluice.connectors.mongodb.config_json import parse_json_array
from sluice.connectors.mongodb.sink_documents import Document, SinkDocument
from sluice.connectors.mongodb.sink_topic_config import (
    DEFAULT_TIME_FORMAT,
    FieldProjectionType,
    TopicSettings,
)

if TYPE_CHECKING:
    from sluice.connectors.mongodb.id_strategies import IdStrategy

__all__ = [
    "AllowListProjector",
    "BlockListProjector",
    "DocumentIdAdder",
    "FieldProjector",
    "KafkaMetaAdder",
    "NullFieldValueRemover",
    "PostProcessor",
    "RenameByMapping",
    "RenameByRegExp",
    "build_post_processors",
    "java_regex",
    "projection_fields",
    "remove_null_values",
    "run_chain",
]

log = logging.getLogger(__name__)

ID_FIELD: Final = "_id"
SINGLE_WILDCARD: Final = "*"
DOUBLE_WILDCARD: Final = "**"
_LIST_SPLIT: Final = re.compile(r"\s*,\s*")


class PostProcessor(abc.ABC):
    """One step of the chain; ``process`` may change ``doc``'s key and value documents."""

    @abc.abstractmethod
    def process(self, doc: SinkDocument, record: SinkRecord) -> None: ...


# -- the id ----------------------------------------------------------------------------------
class DocumentIdAdder(PostProcessor):
    """Sets the value document's ``_id`` from the id strategy.

    An ``_id`` the value already has is kept unless
    ``document.id.strategy.overwrite.existing`` is true (the official connector warns about
    every such record; here the first one is warned about and the rest are logged at debug).
    """

    def __init__(self, strategy: IdStrategy, overwrite_existing: bool) -> None:
        self.strategy = strategy
        self.overwrite_existing = overwrite_existing
        self._warned = False
        self._quiet = strategy.reuses_value_id

    def process(self, doc: SinkDocument, record: SinkRecord) -> None:
        value = doc.value_doc
        if value is None:
            return
        if ID_FIELD not in value or self.overwrite_existing:
            value[ID_FIELD] = self.strategy.generate_id(doc, record)
            return
        if self._quiet:
            return  # the strategy's id is the one already there: nothing to warn about
        level = logging.DEBUG if self._warned else logging.WARNING
        self._warned = True
        log.log(
            level,
            "Cannot overwrite the existing '_id' value of record %s-%s@%s: "
            "document.id.strategy.overwrite.existing is false",
            record.topic,
            record.kafka_partition,
            record.kafka_offset,
        )


# -- projections -----------------------------------------------------------------------------
def _split(field_list: str) -> list[str]:
    return [f for f in _LIST_SPLIT.split(field_list.strip()) if f]


def projection_fields(kind: FieldProjectionType, field_list: str) -> frozenset[str]:
    """The field set a projector works with: allow lists also hold every prefix of a dotted
    path (``a.b.c`` allows ``a`` and ``a.b``), which is how nested fields survive."""
    fields = _split(field_list)
    if kind.blocks:
        return frozenset(fields)
    if kind.allows:
        out: set[str] = set()
        for f in fields:
            out.add(f)
            while "." in f:
                f = f[: f.rindex(".")]
                if f:
                    out.add(f)
        return frozenset(out)
    return frozenset()


class FieldProjector(PostProcessor):
    """Keeps (allow list) or drops (block list) fields of the key or the value document."""

    def __init__(self, fields: frozenset[str], on_key: bool) -> None:
        self.fields = fields
        self.on_key = on_key

    def process(self, doc: SinkDocument, record: SinkRecord) -> None:
        target = doc.key_doc if self.on_key else doc.value_doc
        if target is not None:
            self.project(target)

    @abc.abstractmethod
    def project(self, document: Document) -> None: ...


class AllowListProjector(FieldProjector):
    def __init__(self, field_list: str, on_key: bool) -> None:
        super().__init__(projection_fields(FieldProjectionType.ALLOWLIST, field_list), on_key)
        # Plain names ending in * (not paths): keep every top-level name with that prefix.
        self._prefixes = tuple(
            f[:-1]
            for f in self.fields
            if "." not in f and f != SINGLE_WILDCARD and f.endswith(SINGLE_WILDCARD)
        )

    def project(self, document: Document) -> None:
        if DOUBLE_WILDCARD in self.fields:
            return
        self._project("", document)

    def _project(self, path: str, document: Document) -> None:
        for name in list(document):
            value = document[name]
            key = f"{path}.{name}" if path else name
            if key not in self.fields and not self._wildcard_match(key):
                del document[name]
            if isinstance(value, dict):
                if f"{key}.{DOUBLE_WILDCARD}" not in self.fields:
                    self._project(key, value)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, dict):
                        self._project(key, item)

    def _wildcard_match(self, key: str) -> bool:
        if any(key.startswith(p) for p in self._prefixes):
            return True
        parts = key.split(".")
        # Every way of replacing some of the path's parts by *, as the official projector tries.
        for keep in itertools.product((True, False), repeat=len(parts)):
            candidate = ".".join(
                p if k else SINGLE_WILDCARD for p, k in zip(parts, keep, strict=True)
            )
            if candidate in self.fields:
                return True
        return False


class BlockListProjector(FieldProjector):
    def __init__(self, field_list: str, on_key: bool) -> None:
        super().__init__(projection_fields(FieldProjectionType.BLOCKLIST, field_list), on_key)

    def project(self, document: Document) -> None:
        for field in self.fields:
            self._project(field, document)

    def _project(self, field: str, document: Document) -> None:
        if "." not in field:
            self._remove_matches(field, document)
            return
        first, rest = field.split(".", 1)
        if first in (SINGLE_WILDCARD, DOUBLE_WILDCARD):
            self._wildcard(first, rest, document)
            return
        value = document.get(first)
        if isinstance(value, dict):
            self._project(rest, value)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    self._project(rest, item)

    def _remove_matches(self, field: str, document: Document) -> None:
        if field in (SINGLE_WILDCARD, DOUBLE_WILDCARD):
            self._wildcard(field, "", document)
        elif field.endswith(SINGLE_WILDCARD):
            prefix = field[:-1]
            for name in [n for n in document if n.startswith(prefix)]:
                del document[name]
        else:
            document.pop(field, None)

    def _wildcard(self, first: str, rest: str, document: Document) -> None:
        for name in list(document):
            value = document[name]
            if first == DOUBLE_WILDCARD or not isinstance(value, dict):
                del document[name]
            elif rest:
                self._project(rest, value)


# -- renaming --------------------------------------------------------------------------------
_JAVA_NAMED_GROUP: Final = re.compile(r"\(\?<(?=[A-Za-z])")


def java_regex(pattern: str) -> re.Pattern[str]:
    """A Java regular expression compiled by Python's ``re`` (named groups translated)."""
    return re.compile(_JAVA_NAMED_GROUP.sub("(?P<", pattern))


def _java_replacement(replacement: str) -> Callable[[re.Match[str]], str]:
    """A ``re.sub`` function doing what Java's ``replaceAll`` does with ``replacement``:
    ``$1`` and ``${name}`` insert groups, a backslash quotes the next character."""
    parts: list[str | int] = []
    literal: list[str] = []
    i = 0
    while i < len(replacement):
        c = replacement[i]
        if c == "\\" and i + 1 < len(replacement):
            literal.append(replacement[i + 1])
            i += 2
            continue
        if c == "$" and i + 1 < len(replacement):
            if replacement[i + 1] == "{" and "}" in replacement[i + 2 :]:
                end = replacement.index("}", i + 2)
                parts.extend(["".join(literal), replacement[i + 2 : end]])
                literal = []
                i = end + 1
                continue
            if replacement[i + 1].isdigit():
                j = i + 1
                while j < len(replacement) and replacement[j].isdigit():
                    j += 1
                parts.extend(["".join(literal), int(replacement[i + 1 : j])])
                literal = []
                i = j
                continue
        literal.append(c)
        i += 1
    parts.append("".join(literal))

    def expand(match: re.Match[str]) -> str:
        out: list[str] = []
        for index, part in enumerate(parts):
            if index % 2 == 0:
                out.append(str(part))
            else:
                group = match.group(part)
                out.append(group or "")
        return "".join(out)

    return expand


class _Renamer(PostProcessor):
    """Renames fields of both documents by their path (``key.<name>``, ``value.<a>.<b>``)."""

    def process(self, doc: SinkDocument, record: SinkRecord) -> None:
        if not self.active:
            return
        if doc.has_key():
            key = doc.key_doc
            assert key is not None
            self._rename("key", key)
        if doc.has_value():
            value = doc.value_doc
            assert value is not None
            self._rename("value", value)

    @property
    @abc.abstractmethod
    def active(self) -> bool: ...

    @abc.abstractmethod
    def renamed(self, path: str, name: str) -> str: ...

    def _rename(self, path: str, document: Document) -> None:
        moved: Document = {}
        for name in list(document):
            value = document[name]
            new_name = self.renamed(path, name)
            if new_name != name:
                # As the official renamer: the first rename to a name wins, a rename onto a
                # field that exists drops the renamed field, renamed fields go to the end.
                if new_name not in document:
                    moved.setdefault(new_name, value)
                del document[name]
            if isinstance(value, dict):
                self._rename(f"{path}.{new_name}", value)
        document.update(moved)


class RenameByMapping(_Renamer):
    """Renames the fields ``field.renamer.mapping`` lists by their full path."""

    def __init__(self, mapping: str, key: str = "field.renamer.mapping") -> None:
        self.mapping: dict[str, str] = {}
        for entry in parse_json_array(key, mapping):
            old, new = entry.get("oldName"), entry.get("newName")
            if not isinstance(old, str) or not isinstance(new, str):
                raise ConfigError.invalid(key, mapping, "Both oldName and newName must be mapped")
            self.mapping[old] = new

    @property
    def active(self) -> bool:
        return bool(self.mapping)

    def renamed(self, path: str, name: str) -> str:
        return self.mapping.get(f"{path}.{name}", name)


class RenameByRegExp(_Renamer):
    """Applies each ``field.renamer.regexp`` rule whose ``regexp`` matches a field's whole path:
    ``pattern`` is replaced by ``replace`` in the field's name (Java replacement syntax)."""

    def __init__(self, rules: str, key: str = "field.renamer.regexp") -> None:
        self.rules: list[tuple[re.Pattern[str], re.Pattern[str], Callable[[re.Match[str]], str]]]
        self.rules = []
        for entry in parse_json_array(key, rules):
            regexp, pattern, replace = (entry.get(k) for k in ("regexp", "pattern", "replace"))
            if not all(isinstance(v, str) for v in (regexp, pattern, replace)):
                raise ConfigError.invalid(
                    key, rules, "Every rule needs the strings regexp, pattern and replace"
                )
            assert isinstance(regexp, str) and isinstance(pattern, str)
            assert isinstance(replace, str)
            try:
                self.rules.append(
                    (java_regex(regexp), java_regex(pattern), _java_replacement(replace))
                )
            except re.error as e:
                raise ConfigError.invalid(key, rules, f"Invalid regular expression: {e}") from e

    @property
    def active(self) -> bool:
        return bool(self.rules)

    def renamed(self, path: str, name: str) -> str:
        full = f"{path}.{name}"
        new_name = name
        for regexp, pattern, replace in self.rules:
            if regexp.fullmatch(full):
                new_name = pattern.sub(replace, new_name)
        return new_name


# -- metadata and nulls ----------------------------------------------------------------------
class KafkaMetaAdder(PostProcessor):
    """Adds ``topic-partition-offset`` (``<topic>-<partition>-<offset>``) and, when the record
    has one, its timestamp as an int64 under the timestamp type's name (``CREATE_TIME``...)."""

    def process(self, doc: SinkDocument, record: SinkRecord) -> None:
        value = doc.value_doc
        if value is None:
            return
        value["topic-partition-offset"] = (
            f"{record.topic}-{record.kafka_partition}-{record.kafka_offset}"
        )
        if record.timestamp is not None and record.timestamp_type is not None:
            value[record.timestamp_type.name] = Int64(record.timestamp)


def remove_null_values(document: Document) -> None:
    """Drop null fields, in sub-documents and in documents inside arrays too."""
    for name in list(document):
        value = document[name]
        if isinstance(value, dict):
            remove_null_values(value)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    remove_null_values(item)
        if value is None:
            del document[name]


class NullFieldValueRemover(PostProcessor):
    def process(self, doc: SinkDocument, record: SinkRecord) -> None:
        value = doc.value_doc
        if value is not None:
            remove_null_values(value)


class TimeseriesTimeFieldAutoConversion(PostProcessor):
    """Makes the time series time field a date: numbers are epoch milliseconds, strings
    ISO-8601 date-times (UTC when they carry no offset); other values are left alone."""

    def __init__(self, field: str) -> None:
        self.field = field

    def process(self, doc: SinkDocument, record: SinkRecord) -> None:
        value = doc.value_doc
        if value is None or self.field not in value:
            return
        current = value[self.field]
        try:
            if isinstance(current, bool):
                return
            if isinstance(current, int | float):
                converted = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(
                    milliseconds=int(current)
                )
            elif isinstance(current, str):
                parsed = dt.datetime.fromisoformat(current.strip().replace(" ", "T", 1))
                converted = parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
            else:
                return
        except (ValueError, OverflowError) as e:
            log.info("Failed to convert field `%s` to a date, leaving it as is: %s", self.field, e)
            return
        value[self.field] = converted


# -- the chain -------------------------------------------------------------------------------
_PACKAGE: Final = "com.mongodb.kafka.connect.sink.processor"
_ID_ADDER: Final = f"{_PACKAGE}.DocumentIdAdder"

Factory = Callable[[TopicSettings, "IdStrategy"], PostProcessor]


def _projector(allow: bool, on_key: bool) -> Factory:
    def make(s: TopicSettings, _strategy: IdStrategy) -> PostProcessor:
        fields = s.key_projection_list if on_key else s.value_projection_list
        return AllowListProjector(fields, on_key) if allow else BlockListProjector(fields, on_key)

    return make


POST_PROCESSORS: Final[dict[str, Factory]] = {
    _ID_ADDER: lambda s, strategy: DocumentIdAdder(strategy, s.overwrite_existing_id),
    f"{_PACKAGE}.KafkaMetaAdder": lambda s, _: KafkaMetaAdder(),
    f"{_PACKAGE}.NullFieldValueRemover": lambda s, _: NullFieldValueRemover(),
    f"{_PACKAGE}.field.renaming.RenameByMapping": lambda s, _: RenameByMapping(
        s.field_renamer_mapping, s.key("field.renamer.mapping")
    ),
    f"{_PACKAGE}.field.renaming.RenameByRegExp": lambda s, _: RenameByRegExp(
        s.field_renamer_regexp, s.key("field.renamer.regexp")
    ),
    **{
        f"{_PACKAGE}.{prefix}{where}Projector": _projector(allow, where == "Key")
        for prefix, allow in (
            ("AllowList", True),
            ("Whitelist", True),
            ("BlockList", False),
            ("Blacklist", False),
        )
        for where in ("Key", "Value")
    },
}
"""The official post processors by class name."""


def build_post_processors(settings: TopicSettings, strategy: IdStrategy) -> list[PostProcessor]:
    """The chain ``post.processor.chain`` describes for one topic, as the official connector
    assembles it (DocumentIdAdder first unless listed; the time series conversion last)."""
    key = settings.key("post.processor.chain")
    chain: list[PostProcessor] = []
    names = list(settings.post_processor_chain)
    resolved = [resolve_class(key, name, POST_PROCESSORS, "post processor") for name in names]
    for factory in resolved:
        chain.append(factory(settings, strategy))
    if not any(isinstance(p, DocumentIdAdder) for p in chain):
        chain.insert(0, POST_PROCESSORS[_ID_ADDER](settings, strategy))
    if settings.is_timeseries and settings.timeseries_auto_convert:
        if settings.timeseries_date_format != DEFAULT_TIME_FORMAT:
            raise settings.error(
                "timeseries.timefield.auto.convert.date.format",
                settings.timeseries_date_format,
                "sluice reads ISO-8601 date-times only (the default pattern)",
            )
        chain.append(TimeseriesTimeFieldAutoConversion(settings.timeseries_timefield))
    if settings.field_value_transformer:
        raise settings.error(
            "field.value.transformer",
            settings.field_value_transformer,
            "sluice cannot load Java FieldValueTransformer classes",
        )
    return chain


def run_chain(chain: Iterable[PostProcessor], doc: SinkDocument, record: SinkRecord) -> None:
    for processor in chain:
        processor.process(doc, record)
