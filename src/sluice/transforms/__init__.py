"""Kafka's single message transforms and predicates, plus Confluent's ``Drop`` and Debezium's
``ExtractNewRecordState``.

Each SMT family lives in its own module (``cast``, ``extract_field``, ...) with ``Key``/``Value``
variants where Kafka has ``$Key``/``$Value``. The alias tables below let connector configs written
for Kafka Connect name them as they always have; the plugin registry reads them through
``PLUGINS`` (the ``sluice.plugins`` entry point). Nothing is imported here, so loading the tables
costs nothing until a transform is used.
"""

from __future__ import annotations

from typing import Final

__all__ = ["PLUGINS", "PREDICATE_ALIASES", "TRANSFORM_ALIASES"]

_APACHE: Final = "org.apache.kafka.connect.transforms."
_CONFLUENT: Final = "io.confluent.connect.transforms."
_DEBEZIUM: Final = "io.debezium.transforms."

# Java simple name -> sluice module. Families with $Key/$Value variants map to classes named
# <Name>Key and <Name>Value; the others to a class of the Java name.
_KEY_VALUE_SMTS: Final[dict[str, str]] = {
    "Cast": "cast",
    "ExtractField": "extract_field",
    "Flatten": "flatten",
    "HeaderFrom": "header_from",
    "HoistField": "hoist_field",
    "InsertField": "insert_field",
    "MaskField": "mask_field",
    "ReplaceField": "replace_field",
    "SetSchemaMetadata": "set_schema_metadata",
    "TimestampConverter": "timestamp_converter",
}
_PLAIN_SMTS: Final[dict[str, str]] = {
    "DropHeaders": "drop_headers",
    "Filter": "filter",
    "InsertHeader": "insert_header",
    "RegexRouter": "regex_router",
    "TimestampRouter": "timestamp_router",
    "ValueToKey": "value_to_key",
}
_PREDICATES: Final = ("HasHeaderKey", "RecordIsTombstone", "TopicNameMatches")


def _transform_aliases() -> dict[str, str]:
    table: dict[str, str] = {}

    def add(java_name: str, package: str, target: str) -> None:
        table[package + java_name] = target
        table[java_name] = target

    for name, module in _KEY_VALUE_SMTS.items():
        for variant in ("Key", "Value"):
            add(f"{name}${variant}", _APACHE, f"sluice.transforms.{module}:{name}{variant}")
    for name, module in _PLAIN_SMTS.items():
        add(name, _APACHE, f"sluice.transforms.{module}:{name}")
    for variant in ("Key", "Value"):
        add(f"Drop${variant}", _CONFLUENT, f"sluice.transforms.drop:Drop{variant}")
    add(
        "ExtractNewRecordState",
        _DEBEZIUM,
        "sluice.transforms.extract_new_record_state:ExtractNewRecordState",
    )
    return table


TRANSFORM_ALIASES: Final[dict[str, str]] = _transform_aliases()
"""Kafka/Confluent/Debezium class names (``org.apache.kafka.connect.transforms.Cast$Value``) and
short names (``Cast$Value``) mapped to ``module:Class`` targets."""

PREDICATE_ALIASES: Final[dict[str, str]] = {
    **{f"{_APACHE}predicates.{n}": f"sluice.transforms.predicates:{n}" for n in _PREDICATES},
    **{n: f"sluice.transforms.predicates:{n}" for n in _PREDICATES},
}
"""Predicate class names (``org.apache.kafka.connect.transforms.predicates.TopicNameMatches``)
and short names mapped to ``module:Class`` targets."""

PLUGINS: Final[dict[str, dict[str, str]]] = {
    "transformation": TRANSFORM_ALIASES,
    "predicate": PREDICATE_ALIASES,
}
"""The family's plugins by kind, as the ``sluice.plugins`` entry point hands them to the
registry."""
