"""From sink records to bulk-write batches: each topic's pipeline, and the batching rules.

A :class:`TopicPipeline` holds what one topic's settings name (namespace mapper, id strategy,
post processors, write model strategies or CDC handler) and turns a record into its namespace
and :class:`~sluice.connectors.mongodb.write_models.WriteModel`: the value converted lazily,
the chain run on it, the strategy applied. A record that yields no write (a change event for a
collection drop) is simply done.

:func:`batches` cuts the processed records of a ``put`` into bulk writes as the official sink
does: consecutive records of one topic and one namespace, at most ``max.batch.size`` each, in
record order, so writes to one document are applied in the order they were produced.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sluice.api import SinkRecord
from sluice.connectors.mongodb.cdc_handlers import (
    CdcHandler,
    create_cdc_handler,
    remove_null_fields,
)
from sluice.connectors.mongodb.id_strategies import IdStrategy, create_id_strategy
from sluice.connectors.mongodb.namespaces import Namespace, NamespaceMapper, create_namespace_mapper
from sluice.connectors.mongodb.post_processors import PostProcessor, build_post_processors
from sluice.connectors.mongodb.sink_documents import SinkDocument
from sluice.connectors.mongodb.sink_topic_config import TopicSettings
from sluice.connectors.mongodb.write_models import (
    WriteModel,
    WriteModelStrategy,
    create_delete_strategy,
    create_write_model,
    create_write_model_strategy,
)

__all__ = ["ProcessedRecord", "TopicPipeline", "batches"]


class TopicPipeline:
    """What one topic's records go through; built once per topic and task."""

    def __init__(
        self,
        settings: TopicSettings,
        mapper: NamespaceMapper,
        ids: IdStrategy,
        chain: list[PostProcessor],
        strategy: WriteModelStrategy,
        deletes: WriteModelStrategy | None,
        cdc: CdcHandler | None,
    ) -> None:
        self.settings = settings
        self.mapper = mapper
        self.ids = ids
        self.chain = chain
        self.strategy = strategy
        self.deletes = deletes
        self.cdc = cdc
        self._writes_since_pause = 0

    @classmethod
    def build(cls, settings: TopicSettings) -> TopicPipeline:
        """Resolve every class name ``settings`` holds; a :class:`~sluice.api.ConfigError`
        names the key (as overridden for the topic, when it is)."""
        mapper = create_namespace_mapper(settings)
        ids = create_id_strategy(settings)
        chain = build_post_processors(settings, ids)
        strategy = create_write_model_strategy(settings, ids)
        deletes = create_delete_strategy(settings, ids)
        cdc = create_cdc_handler(settings)
        return cls(settings, mapper, ids, chain, strategy, deletes, cdc)

    def process(self, record: SinkRecord) -> tuple[Namespace, WriteModel | None]:
        """The namespace and write for ``record`` (raises what the conversion, a post processor
        or a strategy raised: usually :class:`~sluice.api.DataError`)."""
        doc = SinkDocument(record)
        namespace = self.mapper.namespace(record, doc)
        if self.cdc is not None:
            model = self.cdc.handle(doc)
            if model is not None and self.settings.cdc_remove_null_values:
                model = remove_null_fields(model)
            return namespace, model
        for processor in self.chain:
            processor.process(doc, record)
        return namespace, create_write_model(doc, self.strategy, self.deletes)

    def rate_limit_due(self) -> float:
        """Seconds to pause after a bulk write (``rate.limiting.*``), usually 0."""
        s = self.settings
        if not s.rate_limiting_timeout or not s.rate_limiting_every_n:
            return 0.0
        self._writes_since_pause += 1
        if self._writes_since_pause < s.rate_limiting_every_n:
            return 0.0
        self._writes_since_pause = 0
        return s.rate_limiting_timeout


@dataclass(slots=True)
class ProcessedRecord:
    record: SinkRecord
    pipeline: TopicPipeline
    namespace: Namespace
    model: WriteModel


def batches(processed: Iterable[ProcessedRecord]) -> list[list[ProcessedRecord]]:
    """Consecutive records of one topic and namespace, at most ``max.batch.size`` (0: no limit)
    per batch, in order."""
    out: list[list[ProcessedRecord]] = []
    current: list[ProcessedRecord] = []
    previous: ProcessedRecord | None = None
    for item in processed:
        limit = item.pipeline.settings.max_batch_size
        if previous is not None and (
            (limit > 0 and len(current) == limit)
            or previous.record.topic != item.record.topic
            or previous.namespace != item.namespace
        ):
            out.append(current)
            current = []
        current.append(item)
        previous = item
    if current:
        out.append(current)
    return out
