"""Plugin versions (KIP-891): the ``*.plugin.version`` keys of a connector config.

Kafka Connect 4.1 lets a connector config name the version of its connector, converters,
transforms and predicates (``connector.plugin.version``, ``key.converter.plugin.version``,
``transforms.<alias>.plugin.version``...) as a Maven version or version range: ``1.2.0`` asks for
exactly that version, ``[1.0,2.0)`` for any in the range, ``latest`` (or nothing) for the newest.
sluice installs one version of each plugin, so a requirement either matches it or the config is
invalid, with Kafka's message. The ranges are parsed and compared as Maven's ``VersionRange`` and
``ComparableVersion`` do, for the forms people write.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any, Final

__all__ = [
    "PluginVersionError",
    "VersionRange",
    "compare_versions",
    "not_found_message",
    "plugin_version",
    "version_requirement",
]

LATEST: Final = "latest"


class PluginVersionError(ValueError):
    """A version requirement that is not a valid Maven version range (Maven's message)."""


def plugin_version(cls: type) -> str | None:
    """The ``version()`` a plugin class reports, asked of an instance made without running
    ``__init__`` (as the plugin listing does); ``None`` if it cannot say."""
    try:
        instance: Any = object.__new__(cls)
        return str(instance.version())
    except Exception:
        return None


# -- versions ---------------------------------------------------------------------------------
_QUALIFIERS: Final = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"]
_ALIASES: Final = {
    "a": "alpha",
    "b": "beta",
    "m": "milestone",
    "cr": "rc",
    "ga": "",
    "final": "",
    "release": "",
}
_TOKEN: Final = re.compile(r"\d+|[^\d.\-]+|[.\-]")

_Item = int | str


def _qualifier_key(text: str) -> tuple[int, str]:
    """Known qualifiers in Maven's order; unknown ones after them, alphabetically."""
    text = _ALIASES.get(text, text)
    if text in _QUALIFIERS:
        return (_QUALIFIERS.index(text), "")
    return (len(_QUALIFIERS), text)


def _items(version: str) -> list[_Item]:
    """``1.2.0-rc1`` -> ``[1, 2, "rc", 1]``; trailing zeros and release qualifiers are dropped,
    so ``1.0`` equals ``1`` and ``1.0-ga``."""
    items: list[_Item] = []
    for token in _TOKEN.findall(version.strip().lower()):
        if token in (".", "-"):
            continue
        items.append(int(token) if token.isdigit() else token)
    while items and items[-1] in (0, "", "ga", "final", "release"):
        items.pop()
    return items


def _compare_item(a: _Item | None, b: _Item | None) -> int:
    """Maven's item order: a missing item is a zero or the release qualifier (``1.0.1`` > ``1.0``
    > ``1.0-rc1``), a number is newer than a qualifier."""
    if a is None:
        return 0 if b is None else -_compare_item(b, None)
    if isinstance(a, int):
        if b is None:
            return 1 if a > 0 else 0
        if isinstance(b, str):
            return 1
        return (a > b) - (a < b)
    if isinstance(b, int):
        return -1
    key_a, key_b = _qualifier_key(a), _qualifier_key("" if b is None else b)
    return (key_a > key_b) - (key_a < key_b)


def compare_versions(a: str, b: str) -> int:
    """-1, 0 or 1 as Maven orders the two versions (numbers numerically, ``-rc1`` before the
    release, ``-sp1`` after it)."""
    for x, y in itertools.zip_longest(_items(a), _items(b)):
        c = _compare_item(x, y)
        if c:
            return c
    return 0


# -- ranges -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Restriction:
    lower: str | None
    lower_inclusive: bool
    upper: str | None
    upper_inclusive: bool

    def contains(self, version: str) -> bool:
        if self.lower is not None:
            c = compare_versions(self.lower, version)
            if c > 0 or (c == 0 and not self.lower_inclusive):
                return False
        if self.upper is not None:
            c = compare_versions(self.upper, version)
            if c < 0 or (c == 0 and not self.upper_inclusive):
                return False
        return True

    def __str__(self) -> str:
        return (
            ("[" if self.lower_inclusive else "(")
            + (self.lower or "")
            + ","
            + (self.upper or "")
            + ("]" if self.upper_inclusive else ")")
        )


@dataclass(frozen=True)
class VersionRange:
    """A parsed requirement: one or more restrictions, any of which a version may satisfy."""

    restrictions: tuple[_Restriction, ...]

    def contains(self, version: str) -> bool:
        return any(r.contains(version) for r in self.restrictions)

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.restrictions)


def _restriction(spec: str) -> _Restriction:
    lower_inclusive, upper_inclusive = spec.startswith("["), spec.endswith("]")
    inner = spec[1:-1].strip()
    if "," not in inner:
        if not (lower_inclusive and upper_inclusive):
            raise PluginVersionError(f"Single version must be surrounded by []: {spec}")
        return _Restriction(inner, True, inner, True)
    low_text, _, high_text = inner.partition(",")
    low, high = low_text.strip() or None, high_text.strip() or None
    if low is not None and high is not None:
        c = compare_versions(high, low)
        if c < 0 or (c == 0 and not (lower_inclusive and upper_inclusive)):
            raise PluginVersionError(f"Range defies version ordering: {spec}")
    return _Restriction(low, lower_inclusive, high, upper_inclusive)


def _parse_ranges(spec: str) -> list[_Restriction] | None:
    """Maven's ``VersionRange.createFromVersionSpec``; ``None`` for a plain version."""
    restrictions: list[_Restriction] = []
    rest = spec
    upper: str | None = None
    while rest.startswith(("[", "(")):
        closes = [i for i in (rest.find(")"), rest.find("]")) if i >= 0]
        if not closes:
            raise PluginVersionError(f"Unbounded range: {spec}")
        end = min(closes)
        restriction = _restriction(rest[: end + 1])
        if upper is not None and (
            restriction.lower is None or compare_versions(restriction.lower, upper) < 0
        ):
            raise PluginVersionError(f"Ranges overlap: {spec}")
        restrictions.append(restriction)
        upper = restriction.upper
        rest = rest[end + 1 :].strip()
        if rest.startswith(","):
            rest = rest[1:].strip()
    if rest:
        if restrictions:
            raise PluginVersionError(
                f"Only fully-qualified sets allowed in multiple set scenario: {spec}"
            )
        return None
    return restrictions


def version_requirement(text: str | None) -> VersionRange | None:
    """Kafka's ``PluginUtils.connectorVersionRequirement``: ``None`` for no requirement (unset
    or ``latest``); a plain version is a hard requirement (``1.0`` is ``[1.0,1.0]``). Raises
    :class:`PluginVersionError` for an invalid range."""
    if text is None or text == LATEST:
        return None
    spec = text.strip()
    restrictions = _parse_ranges(spec)
    if restrictions:
        return VersionRange(tuple(restrictions))
    hard = _parse_ranges(f"[{spec}]")
    return VersionRange(tuple(hard or ()))


def not_found_message(plugin: str, requirement: VersionRange, available: str | None) -> str:
    """Kafka's message for a plugin whose installed version does not satisfy the config."""
    versions = "" if available is None else available
    return (
        f"Plugin {plugin} not found that matches the version range {requirement}, "
        f"available versions: [{versions}]"
    )
