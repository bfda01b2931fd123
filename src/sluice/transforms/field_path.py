"""Field paths for ``field.syntax.version`` (KIP-821): ``V1`` names a top-level field, ``V2``
walks nested structs and maps with dots, quoting names that contain dots in backticks.

``V2`` examples: ``a.b`` is field ``b`` inside field ``a``; ```a.b`.c`` is field ``c`` inside
the field called ``a.b``; a backslash before a backtick that would close a quote keeps it literal.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any, Final

from sluice.api.config import (
    AbstractConfig,
    CaseInsensitiveValidString,
    ConfigDef,
    ConfigType,
    Importance,
)
from sluice.api.errors import ConfigError
from sluice.api.schema import Field, Schema
from sluice.api.struct import Struct
from sluice.transforms.requirements import require_map_or_null, require_struct_or_null

__all__ = [
    "FIELD_SYNTAX_VERSION_CONFIG",
    "FieldSyntaxVersion",
    "SingleFieldPath",
]

FIELD_SYNTAX_VERSION_CONFIG: Final = "field.syntax.version"


class FieldSyntaxVersion(enum.Enum):
    V1 = "V1"
    V2 = "V2"

    @staticmethod
    def append_config_to(config_def: ConfigDef) -> ConfigDef:
        """Add the ``field.syntax.version`` key (default ``V1``, any case) to a definition."""
        return config_def.define(
            FIELD_SYNTAX_VERSION_CONFIG,
            ConfigType.STRING,
            FieldSyntaxVersion.V1.value,
            CaseInsensitiveValidString("V1", "V2"),
            Importance.HIGH,
            "How field paths are read: V1 names a field at the top level only; V2 follows "
            "dotted paths into nested structs and maps, with backticks around names that "
            "contain dots (for example `foo.bar`.baz).",
        )

    @staticmethod
    def from_config(config: AbstractConfig) -> FieldSyntaxVersion:
        raw = config.get_string(FIELD_SYNTAX_VERSION_CONFIG) or ""
        try:
            return FieldSyntaxVersion(raw.upper())
        except ValueError:
            raise ConfigError.invalid(
                FIELD_SYNTAX_VERSION_CONFIG, raw, "Unrecognized field syntax version"
            ) from None


def _incomplete_backtick(path: str, at: int) -> ConfigError:
    return ConfigError(
        f"Incomplete backtick pair in path: [{path}], consider adding a backslash before "
        f"backtick at position {at} to escape it"
    )


def _parse_v2(path: str) -> list[str]:
    steps: list[str] = []
    idx = 0
    n = len(path)
    while 0 <= idx < n:
        if path[idx] != "`":
            start = idx
            idx = path.find(".", idx)
            if idx >= 0:
                steps.append(path[start:idx])
                idx += 1
            else:
                steps.append(path[start:])
            continue
        backtick_at = idx
        idx += 1
        field: list[str] = []
        start = idx
        while True:
            idx = path.find("`", idx)
            if idx == -1:
                raise _incomplete_backtick(path, backtick_at)
            escaped = path[idx - 1] == "\\"
            if idx >= n - 1:
                if escaped:
                    raise _incomplete_backtick(path, backtick_at)
                field.append(path[start:idx])
                steps.append("".join(field))
                idx += 1
                break
            if path[idx + 1] != ".":
                idx += 1
                continue
            if escaped:
                field.append(path[start : idx - 1])
                field.append("`")
                idx += 1
                start = idx
                continue
            field.append(path[start:idx])
            steps.append("".join(field))
            idx += 2
            break
    if path.endswith("."):
        steps.append("")
    return steps


class SingleFieldPath:
    """One path to a field inside a Struct or a schemaless map."""

    __slots__ = ("steps", "version")

    def __init__(self, path: str, version: FieldSyntaxVersion) -> None:
        self.version = version
        self.steps: tuple[str, ...] = (
            (path,) if version is FieldSyntaxVersion.V1 else tuple(_parse_v2(path))
        )
        if not self.steps:
            raise ConfigError(f"Field path must not be empty: [{path}]")

    def field_from(self, schema: Schema | None) -> Field | None:
        """The field at this path in ``schema``, or ``None`` when some step is missing."""
        if schema is None:
            return None
        current = schema
        for step in self.steps[:-1]:
            f = current.field(step)
            if f is None:
                return None
            current = f.schema
        return current.field(self.steps[-1])

    def value_from_struct(self, struct: Struct | None, with_default: bool = True) -> Any:
        if struct is None:
            return None
        current: Struct | None = struct
        for step in self.steps[:-1]:
            assert current is not None
            if current.schema.field(step) is None:
                return None
            current = require_struct_or_null(current.get(step), "nested field access")
            if current is None:
                return None
        assert current is not None
        last = self.steps[-1]
        if current.schema.field(last) is None:
            return None
        return current.get(last) if with_default else current.get_without_default(last)

    def value_from_map(self, value: Mapping[str, Any] | None) -> Any:
        if value is None:
            return None
        current: Mapping[str, Any] | None = value
        for step in self.steps[:-1]:
            assert current is not None
            current = require_map_or_null(current.get(step), "nested field access")
            if current is None:
                return None
        assert current is not None
        return current.get(self.steps[-1])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SingleFieldPath) and self.steps == other.steps

    def __hash__(self) -> int:
        return hash(self.steps)

    def __repr__(self) -> str:
        return f"SingleFieldPath{{version={self.version.value}, path={'.'.join(self.steps)}}}"
