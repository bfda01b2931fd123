"""The configuration reference of the bundled connectors, written from their ``ConfigDef``s.

``python -m sluice.cli.config_docs`` writes ``docs/connectors.md``: one Markdown table per
connector (and per group of keys, when the connector groups them) with each key's name,
description, type, default, valid values and importance, as Kafka's ``ConfigDef.toHtml`` renders
them, followed by the framework's keys every source or sink connector takes. ``--check`` only
compares; ``tests/unit/cli/test_config_docs.py`` fails when the file is out of date.

The document depends on nothing but the code: bundled plugins only (no entry points, no
``plugin.path``), no versions, no addresses.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
import types
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from sluice.api import ConfigDef, ConfigKey, ConfigType, Connector, Importance
from sluice.api.config import to_string
from sluice.plugins.registry import PluginRegistry
from sluice.runtime.connector_config import (
    connector_config_def,
    sink_connector_config_def,
    source_connector_config_def,
)

__all__ = [
    "DEFAULT_OUTPUT",
    "ConnectorDoc",
    "bundled_connectors",
    "main",
    "render_keys",
    "render_reference",
]

DEFAULT_OUTPUT: Final = Path("docs/connectors.md")
COMMAND: Final = "python -m sluice.cli.config_docs"

_IMPORTANCE_ORDER: Final = {Importance.HIGH: 0, Importance.MEDIUM: 1, Importance.LOW: 2}
_MARKDOWN_SPECIAL: Final = re.compile(r"([\\`*_\[\]<>|])")


@dataclass(frozen=True)
class ConnectorDoc:
    """One bundled connector as the reference shows it."""

    name: str
    """The class name configs use (Kafka's, Confluent's or jcustenborder's)."""
    aliases: tuple[str, ...]
    kind: str
    family: str
    """The package under ``sluice.connectors`` it comes from (``file``, ``jdbc``...)."""
    definition: ConfigDef


def bundled_connectors() -> list[ConnectorDoc]:
    """Every connector sluice ships, by family, sources before sinks, then by name."""
    registry = PluginRegistry(entry_points=False)
    aliases = registry.aliases()
    found: list[ConnectorDoc] = []
    for desc in registry.plugins(["source", "sink"]):
        cls = registry.load(desc.name, "connector")
        instance = cls()
        assert isinstance(instance, Connector)
        others = tuple(a for a, t in aliases.items() if t == desc.target and a != desc.name)
        family = cls.__module__.split(".")[2] if cls.__module__.startswith("sluice.") else "other"
        found.append(ConnectorDoc(desc.name, others, desc.kind, family, instance.config()))
    found.sort(key=lambda c: (c.family, c.kind != "source", c.name))
    return found


# -- cells ---------------------------------------------------------------------------------------
def _text(value: str) -> str:
    """Prose for a table cell: one line, Markdown's special characters escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(value.split()))


def _code(value: str) -> str:
    """A code span for a table cell (``|`` still ends a cell inside one, so it is escaped)."""
    value = " ".join(value.split()).replace("|", "\\|")
    fence = "``" if "`" in value else "`"
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def _nice_time_units(millis: int) -> str:
    """Kafka's ``ConfigDef.niceTimeUnits``: `` (30 seconds)`` after a ``*.ms`` default."""
    value, unit = millis, -1
    for divisor in (1000, 60, 60, 24):
        if value == 0 or value % divisor:
            break
        value //= divisor
        unit += 1
    if unit < 0:
        return ""
    name = ("second", "minute", "hour", "day")[unit]
    return f" ({value} {name}{'s' if value > 1 else ''})"


def _default(key: ConfigKey) -> str:
    """As Kafka's docs write defaults: ``null``, ``""`` for empty, nothing when required."""
    if not key.has_default:
        return "*required*"
    if key.default is None:
        return _code("null")
    shown = to_string(key.default, key.type) or ""
    if not shown:
        return _code('""')
    suffix = ""
    if key.name.endswith(".ms") and key.type in (ConfigType.INT, ConfigType.LONG):
        suffix = _nice_time_units(int(key.default))
    return _code(shown) + suffix


def _valid_values(key: ConfigKey) -> str:
    """The validator's own description; plain functions and objects without one show nothing
    (their ``repr`` would carry a memory address)."""
    validator = key.validator
    if validator is None or isinstance(validator, types.FunctionType | types.MethodType):
        return ""
    if not any("__str__" in vars(c) for c in type(validator).__mro__ if c is not object):
        return ""
    return _code(str(validator))


def _sort_key(key: ConfigKey) -> tuple[int, bool, int, str]:
    """Kafka's ``ConfigDef.sortedConfigs`` within a group: order in the group, required keys
    first, then by importance and name."""
    return (key.order_in_group, key.has_default, _IMPORTANCE_ORDER[key.importance], key.name)


def _table(keys: Iterable[ConfigKey]) -> list[str]:
    lines = [
        "| Name | Description | Type | Default | Valid values | Importance |",
        "|---|---|---|---|---|---|",
    ]
    for key in sorted(keys, key=_sort_key):
        cells = [
            _code(key.name),
            _text(key.documentation),
            key.type.value.lower(),
            _default(key),
            _valid_values(key),
            key.importance.value.lower(),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def render_keys(definition: ConfigDef, heading: str = "####") -> list[str]:
    """The public keys of ``definition`` as Markdown tables: keys without a group first, then one
    table per group under a ``heading``-level title, in the order the groups were defined."""
    public = [k for k in definition.keys.values() if not k.internal]
    lines: list[str] = []
    ungrouped = [k for k in public if k.group is None]
    if ungrouped:
        lines += [*_table(ungrouped), ""]
    for group in definition.groups:
        members = [k for k in public if k.group == group]
        if members:
            lines += [f"{heading} {group}", "", *_table(members), ""]
    return lines


# -- the document --------------------------------------------------------------------------------
def _anchor(title: str) -> str:
    """The id GitHub gives a heading."""
    return re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")


def _family_intro(family: str) -> tuple[str, str]:
    """(title, one sentence) from the family package's docstring: ``Title: sentence.``"""
    try:
        doc = importlib.import_module(f"sluice.connectors.{family}").__doc__ or ""
    except ImportError:
        doc = ""
    first = " ".join(doc.strip().split("\n\n")[0].split()).replace("``", "`")
    title, sep, rest = first.partition(": ")
    if not sep:
        return family, first
    return title, rest[:1].upper() + rest[1:]


def _subset(definition: ConfigDef, without: ConfigDef) -> ConfigDef:
    """The keys of ``definition`` that ``without`` lacks, with their groups."""
    out = ConfigDef()
    for name, key in definition.keys.items():
        if name not in without.keys:
            out.keys[name] = key
    out.groups = [g for g in definition.groups if any(k.group == g for k in out.keys.values())]
    return out


_INTRO: Final = f"""\
# Connector configuration reference

<!-- Generated by `{COMMAND}` from the connectors' ConfigDefs: do not edit by hand. -->

The settings of the connectors bundled with sluice, read from their `ConfigDef`s. A worker
answers the same for one plugin at `GET /connector-plugins/{{plugin}}/config`, and the console's
form shows it. Every connector also takes the
[framework's settings](#settings-every-connector-takes) (`name`, `connector.class`, `tasks.max`,
converters, transforms, error handling), and source and sink connectors take a few more each.

Defaults are written as Kafka's documentation writes them: `""` is the empty string, `null` no
value; a *required* key has no default and must be set. Valid values come from the key's
validator.
"""

_FRAMEWORK_SECTIONS: Final = (
    "Settings every connector takes",
    "Settings of source connectors",
    "Settings of sink connectors",
    "Keys named by prefix",
)

_SOURCE_NOTE: Final = """\
On top of the settings every connector takes. The dead letter queue keys are sluice's addition
for sources: a source record that fails conversion or transformation goes to that topic (Kafka
Connect has a dead letter queue for sinks only).
"""

_FRAMEWORK_NOTE: Final = """\
Besides these fixed keys a connector config may hold, as in Kafka Connect:
`transforms.<alias>.type`, `.predicate`, `.negate` and the transformation's own keys;
`predicates.<alias>.type` and the predicate's keys; `key.converter.*`, `value.converter.*` and
`header.converter.*`, the settings of a converter the connector config names;
`producer.override.*` (sources) and `consumer.override.*` (sinks), as far as the worker's
`connector.client.config.override.policy` allows; `topic.creation.default.*` and
`topic.creation.<group>.*` (`include`, `exclude`, `replication.factor`, `partitions` and topic
settings) for source connectors. The exactly-once keys are validated, but exactly-once source
delivery is not available yet: a worker with `exactly.once.source.support=enabled` does not
start.
"""


def render_reference(connectors: Sequence[ConnectorDoc] | None = None) -> str:
    """The whole of ``docs/connectors.md``."""
    if connectors is None:
        connectors = bundled_connectors()
    families = list(dict.fromkeys(c.family for c in connectors))
    intros = {f: _family_intro(f) for f in families}
    lines = [_INTRO]
    for family in families:
        title = intros[family][0]
        lines.append(f"* [{title}](#{_anchor(title)})")
        for c in connectors:
            if c.family == family:
                short = c.name.rsplit(".", 1)[-1]
                lines.append(f"  * [{short}](#{_anchor(short)})")
    for title in _FRAMEWORK_SECTIONS:
        lines.append(f"* [{title}](#{_anchor(title)})")
    lines.append("")
    for family in families:
        title, sentence = intros[family]
        lines += [f"## {title}", ""]
        if sentence:
            lines += [sentence, ""]
        for c in connectors:
            if c.family != family:
                continue
            short = c.name.rsplit(".", 1)[-1]
            also = ", ".join(_code(a) for a in c.aliases)
            lines += [
                f"### {short}",
                "",
                f"A {c.kind} connector: `connector.class={c.name}`"
                + (f" (or {also})." if also else "."),
                "",
                *render_keys(c.definition),
            ]
    common = connector_config_def()
    every, sources, sinks, prefixed = _FRAMEWORK_SECTIONS
    lines += [f"## {every}", "", *render_keys(common, "###")]
    lines += [f"## {sources}", "", _SOURCE_NOTE]
    lines += render_keys(_subset(source_connector_config_def(), common), "###")
    lines += [f"## {sinks}", ""]
    lines += render_keys(_subset(sink_connector_config_def(), common), "###")
    lines += [f"## {prefixed}", "", _FRAMEWORK_NOTE]
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=COMMAND,
        description="Write the bundled connectors' configuration reference (Markdown) from "
        "their ConfigDefs.",
    )
    parser.add_argument(
        "--output",
        default=str(DEFAULT_OUTPUT),
        help=f"file to write, '-' for stdout (default {DEFAULT_OUTPUT})",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if the file differs from what would be written",
    )
    args = parser.parse_args(argv)
    text = render_reference()
    if args.output == "-":
        sys.stdout.write(text)
        return 0
    path = Path(args.output)
    if args.check:
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current != text:
            print(f"{path} is out of date: run {COMMAND}", file=sys.stderr)
            return 1
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
