"""A connector's ``transforms`` chain, with predicates, built from its configuration.

Transforms run in the order listed; a transform returning ``None`` drops the record and ends the
chain. With ``transforms.<alias>.predicate`` a transform applies only where the predicate holds,
inverted by ``transforms.<alias>.negate``.

When a record fails, :meth:`TransformationChain.failed_class` names the transformation of the
stage that raised, as Kafka Connect's ``TransformationChain`` reports a stage's
``transformClass()`` (also when the stage's predicate is what failed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sluice.api import ConfigError, ConnectRecord, Predicate, Transformation
from sluice.plugins.registry import PluginError, PluginRegistry, java_class_name
from sluice.transforms.base import KeyOrValueTransformation, apply_steps

__all__ = ["TransformationChain", "TransformationStage", "build_chain"]

R = TypeVar("R", bound=ConnectRecord)


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    text = str(value).strip()
    return [p.strip() for p in text.split(",")] if text else []


@dataclass
class TransformationStage(Generic[R]):
    """One transform with its optional predicate."""

    alias: str
    transformation: Transformation[R]
    predicate: Predicate[R] | None = None
    negate: bool = False
    class_name: str = ""
    """The transformation's class as Kafka Connect reports it (``__connect.errors.class.name``):
    the configured ``transforms.<alias>.type`` or the registry's name for the class."""

    def __post_init__(self) -> None:
        if not self.class_name:
            self.class_name = java_class_name(type(self.transformation))

    def apply(self, record: R) -> R | None:
        if self.predicate is not None and self.predicate.test(record) == self.negate:
            return record
        return self.transformation.apply(record)


class TransformationChain(Generic[R]):
    """The stages of one task; ``apply`` returns ``None`` for dropped records."""

    def __init__(self, stages: Sequence[TransformationStage[R]]) -> None:
        self.stages = list(stages)
        self._segments = _segments(self.stages)
        self._failed: TransformationStage[R] | None = None
        """The stage that raised out of the last failed :meth:`apply`."""

    def __bool__(self) -> bool:
        return bool(self.stages)

    def apply(self, record: R) -> R | None:
        try:
            for stage in self.stages:
                result = stage.apply(record)
                if result is None:
                    return None
                record = result
        except Exception:
            self._failed = stage  # for failed_class(); the loop has bound it
            raise
        return record

    @property
    def batchable(self) -> bool:
        """Whether :meth:`apply_batch` may be used: every stage's transform overrides
        ``apply_batch`` (and so promises to be a pure function of the record)."""
        return bool(self.stages) and all(
            type(s.transformation).apply_batch is not Transformation.apply_batch
            for s in self.stages
        )

    def apply_batch(self, records: list[R]) -> list[R | None]:
        """The chain applied to every record, stage by stage over the whole batch; one result
        per record, ``None`` where a stage dropped it. Exceptions propagate: the caller then
        goes record by record."""
        positions = range(len(records))
        current = records
        results: list[R | None] = list(records)
        for segment in self._segments:
            if isinstance(segment, list):
                out = apply_steps(segment, current)
            elif segment.predicate is None:
                out = segment.transformation.apply_batch(current)
            else:
                out = [segment.apply(r) for r in current]
            if not all(out):  # records are always truthy; `None in` would call __eq__
                kept = [(i, r) for i, r in zip(positions, out, strict=True) if r is not None]
                for i, r in zip(positions, out, strict=True):
                    if r is None:
                        results[i] = None
                positions = [i for i, _ in kept]  # type: ignore[assignment]
                current = [r for _, r in kept]
            else:
                current = out  # type: ignore[assignment]
        for i, r in zip(positions, current, strict=True):
            results[i] = r
        return results

    def failed_class(self) -> str:
        """The class name of the stage whose transformation (or predicate) raised out of the
        last :meth:`apply`, for error reports (the first stage's if none is known)."""
        stage = self._failed
        if stage is None:
            stage = self.stages[0] if self.stages else None
        return stage.class_name if stage is not None else ""

    def close(self) -> None:
        for stage in self.stages:
            stage.transformation.close()
            if stage.predicate is not None:
                stage.predicate.close()


def _segments(
    stages: list[TransformationStage[R]],
) -> list[TransformationStage[R] | list[KeyOrValueTransformation[R]]]:
    """The stages with each run of key (or value) transforms without predicates grouped, so
    that :func:`apply_steps` takes a record's value through the run and builds one record."""
    out: list[TransformationStage[R] | list[KeyOrValueTransformation[R]]] = []
    for stage in stages:
        t = stage.transformation
        if stage.predicate is None and isinstance(t, KeyOrValueTransformation):
            last = out[-1] if out else None
            if isinstance(last, list) and last[0].is_key == t.is_key:
                last.append(t)
            else:
                out.append([t])
        else:
            out.append(stage)
    return out


def _sub_config(config: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    return {k[len(prefix) :]: v for k, v in config.items() if k.startswith(prefix)}


def _plugin_class(
    config: Mapping[str, Any], registry: PluginRegistry, prefix: str, kind: str
) -> type:
    """The class named by ``<prefix>type``, with Kafka's messages when it is missing or unknown."""
    type_name = config.get(prefix + "type")
    if not type_name:
        raise ConfigError(
            f'Missing required configuration "{prefix}type" which has no default value.',
            prefix + "type",
        )
    try:
        return registry.load(str(type_name), kind)
    except PluginError as e:
        raise ConfigError.invalid(prefix + "type", type_name, str(e)) from e


def build_chain(config: Mapping[str, Any], registry: PluginRegistry) -> TransformationChain[Any]:
    """Instantiate and configure the transforms and predicates a connector config names."""
    predicates: dict[str, Predicate[Any]] = {}
    for alias in _list(config.get("predicates")):
        prefix = f"predicates.{alias}."
        predicate: Predicate[Any] = _plugin_class(config, registry, prefix, "predicate")()
        predicate.configure(_sub_config(config, prefix))
        predicates[alias] = predicate
    stages: list[TransformationStage[Any]] = []
    for alias in _list(config.get("transforms")):
        prefix = f"transforms.{alias}."
        cls = _plugin_class(config, registry, prefix, "transformation")
        sub = _sub_config(config, prefix)
        predicate_alias = sub.pop("predicate", None)
        negate_raw = sub.pop("negate", None)
        negate = str(negate_raw).strip().lower() == "true" if negate_raw is not None else False
        if negate_raw is not None and predicate_alias is None:
            raise ConfigError(
                f"{prefix}negate is set but {prefix}predicate is not: negate needs a predicate",
                prefix + "negate",
            )
        pred = None
        if predicate_alias is not None:
            pred = predicates.get(str(predicate_alias))
            if pred is None:
                raise ConfigError.invalid(
                    prefix + "predicate", predicate_alias, "no predicate with that alias is defined"
                )
        transformation: Transformation[Any] = cls()
        transformation.configure(sub)
        name = registry.reported_name(cls, str(config[prefix + "type"]))
        stages.append(TransformationStage(alias, transformation, pred, negate, name))
    return TransformationChain(stages)
