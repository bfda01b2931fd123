"""``JsonConverter``: Kafka Connect's JSON format, byte for byte.

With ``schemas.enable=true`` (the default) each message is an envelope
``{"schema":<schema>,"payload":<data>}``; otherwise just the data. The bytes are exactly those
Kafka's ``org.apache.kafka.connect.json.JsonConverter`` writes (compact, Jackson's key order and
escapes, Java's number formatting), so topics can be shared with Java workers in both directions.

Writing (``_json_write``) compiles, once per schema, a function that turns a value into a tree
msgspec encodes in C, and caches each schema's JSON as the envelope's byte prefix. Reading
(``_json_read``) decodes the envelope with the schema left raw, so the schema's bytes are the
cache key; a message that starts with the previous message's prefix skips even that, and flat
structs decode straight into typed values. Every fast path falls back to the general one, which
follows Kafka's conversions and error messages.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import msgspec

from sluice.api.config import CaseInsensitiveValidString, ConfigDef, ConfigType, Importance, Width
from sluice.api.converter import Converter, HeaderConverter, SchemaAndValue
from sluice.api.errors import DataError
from sluice.api.headers import Headers
from sluice.api.schema import Schema
from sluice.converters._common import (
    CONVERTER_TYPE_CONFIG,
    converter_config_def,
    with_converter_type,
)
from sluice.converters._json_read import (
    _ENVELOPE_DECODER,
    _EXACT_DECODER,
    _FLOAT_DECODER,
    _SERIALIZATION_ERROR,
    _decode_lenient,
    _NeedExactError,
    _needs_fixup,
    _plain,
    _Reader,
    _ReadPlan,
    _SchemaParser,
    decode_schemaless_batch,
    java_maps,
)
from sluice.converters._json_write import Encoder, _dump, _Writer

__all__ = [
    "ENVELOPE_ERROR",
    "JsonConverter",
    "json_converter_config_def",
]

SCHEMAS_ENABLE_CONFIG: Final = "schemas.enable"
SCHEMAS_CACHE_SIZE_CONFIG: Final = "schemas.cache.size"
DECIMAL_FORMAT_CONFIG: Final = "decimal.format"
REPLACE_NULL_WITH_DEFAULT_CONFIG: Final = "replace.null.with.default"

ENVELOPE_ERROR: Final = (
    'JsonConverter with schemas.enable requires "schema" and "payload" fields and may not contain '
    "additional fields. If you are trying to deserialize plain JSON data, set schemas.enable=false "
    "in your converter configuration."
)


def json_converter_config_def() -> ConfigDef:
    """The keys ``JsonConverter`` accepts, with Kafka's names, defaults, groups and widths."""
    return (
        converter_config_def()
        .define(
            SCHEMAS_ENABLE_CONFIG,
            ConfigType.BOOLEAN,
            True,
            None,
            Importance.HIGH,
            "Include schemas within each of the serialized values and keys.",
            group="Schemas",
            order_in_group=0,
            width=Width.MEDIUM,
            display_name="Enable Schemas",
        )
        .define(
            SCHEMAS_CACHE_SIZE_CONFIG,
            ConfigType.INT,
            1000,
            None,
            Importance.HIGH,
            "The maximum number of schemas that can be cached in this converter instance.",
            group="Schemas",
            order_in_group=1,
            width=Width.MEDIUM,
            display_name="Schema Cache Size",
        )
        .define(
            DECIMAL_FORMAT_CONFIG,
            ConfigType.STRING,
            "BASE64",
            CaseInsensitiveValidString("BASE64", "NUMERIC"),
            Importance.LOW,
            "Controls which format this converter will serialize decimals in. This value is case "
            "insensitive and can be either 'BASE64' (default) or 'NUMERIC'",
            group="Serialization",
            order_in_group=0,
            width=Width.MEDIUM,
            display_name="Decimal Format",
        )
        .define(
            REPLACE_NULL_WITH_DEFAULT_CONFIG,
            ConfigType.BOOLEAN,
            True,
            None,
            Importance.LOW,
            "Whether to replace fields that have a default value and that are null to the default "
            "value. When set to true, the default value is used, otherwise null is used.",
            group="Serialization",
            order_in_group=1,
            width=Width.MEDIUM,
            display_name="Replace null with default",
        )
    )


# -- the converter --------------------------------------------------------------------------------
class JsonConverter(Converter, HeaderConverter):
    """Kafka Connect's ``org.apache.kafka.connect.json.JsonConverter``.

    Also a header converter: a header value is written exactly like a record value. Maps are
    read in the key order of the ``HashMap`` Kafka reads them into, so that they print and are
    written back byte for byte as Kafka Connect's (see :mod:`sluice.jdk.hashing`).
    """

    def __init__(self) -> None:
        self._schemas_enabled = True
        self._cache_size = 1000
        self._writer = _Writer(numeric_decimals=False, replace_null=True)
        self._reader = _Reader(replace_null=True)
        self._parser = _SchemaParser(self._reader)
        self._prefixes: dict[Schema, bytes] = {}
        self._plans: dict[bytes, _ReadPlan] = {}
        # The schema of the previous write and how to write it: streams mostly repeat one schema
        # object, and an identity check is cheaper than hashing it.
        self._last_schema: Schema | None = None
        self._last_write: tuple[Encoder, bytes] | None = None
        self._last_plan: _ReadPlan | None = None
        self.converter_type = "value"

    def config(self) -> ConfigDef:
        return json_converter_config_def()

    def configure(self, configs: Mapping[str, Any], is_key: bool | None = None) -> None:
        """Apply settings; ``is_key`` is ``None`` when configured as a header converter."""
        values = json_converter_config_def().parse(with_converter_type(configs, is_key))
        self.converter_type = values[CONVERTER_TYPE_CONFIG]
        self._schemas_enabled = bool(values[SCHEMAS_ENABLE_CONFIG])
        self._cache_size = max(1, int(values[SCHEMAS_CACHE_SIZE_CONFIG]))
        numeric = str(values[DECIMAL_FORMAT_CONFIG]).upper() == "NUMERIC"
        replace = bool(values[REPLACE_NULL_WITH_DEFAULT_CONFIG])
        self._writer = _Writer(numeric_decimals=numeric, replace_null=replace)
        self._reader = _Reader(replace_null=replace)
        self._parser = _SchemaParser(self._reader)
        self._prefixes = {}
        self._plans = {}
        self._last_schema = None
        self._last_write = None
        self._last_plan = None

    @property
    def schemas_enabled(self) -> bool:
        return self._schemas_enabled

    # -- Connect data to bytes --------------------------------------------------------------------
    def from_connect_data(
        self, topic: str, schema: Schema | None, value: Any, headers: Headers | None = None
    ) -> bytes | None:
        if schema is None and value is None:
            return None
        last = self._last_write
        if last is None or schema is not self._last_schema:
            prefix = self._prefix(schema) if self._schemas_enabled else b""
            last = self._last_write = (self._writer.encoder(schema), prefix)
            self._last_schema = schema
        encode, prefix = last
        payload = _dump(encode(value))
        if not prefix:
            return payload
        return prefix + payload + b"}"

    def _prefix(self, schema: Schema | None) -> bytes:
        if schema is None:
            return b'{"schema":null,"payload":'
        prefix = self._prefixes.get(schema)
        if prefix is None:
            prefix = b'{"schema":' + _dump(self._writer.schema_tree(schema)) + b',"payload":'
            if len(self._prefixes) >= self._cache_size:
                del self._prefixes[next(iter(self._prefixes))]
            self._prefixes[schema] = prefix
        return prefix

    def as_json_schema(self, schema: Schema | None) -> bytes:
        """``schema`` as the JSON Kafka writes in the envelope (``null`` for no schema)."""
        if schema is None:
            return b"null"
        return self._prefix(schema)[len(b'{"schema":') : -len(b',"payload":')]

    def as_connect_schema(self, schema_json: bytes) -> Schema | None:
        """Parse a schema written by :meth:`as_json_schema` (or by Kafka)."""
        return self._plan(schema_json).schema

    # -- bytes to Connect data --------------------------------------------------------------------
    def to_connect_batch(
        self,
        topic: str,
        values: Sequence[bytes | None],
        headers: Sequence[Headers | None] | None = None,
    ) -> list[SchemaAndValue]:
        """Schemaless values are decoded in one tight loop, checked for Java's number rules once
        for the whole batch; anything unusual (a null, bad JSON, a value needing the exact
        pass) sends the batch through :meth:`to_connect_data` value by value."""
        if values.count(None) == len(values):  # the keys of unkeyed records: nothing to read
            return [SchemaAndValue.NULL] * len(values)  # type: ignore[attr-defined]
        if self._schemas_enabled:
            return self._read_envelopes(topic, values)
        trees = decode_schemaless_batch(values)
        if trees is None:
            return super().to_connect_batch(topic, values, headers)
        new = tuple.__new__
        return [new(SchemaAndValue, (None, tree)) for tree in trees]

    def _read_envelopes(self, topic: str, values: Sequence[bytes | None]) -> list[SchemaAndValue]:
        """Envelopes of the previous message's schema read by its plan's C decoder in one loop;
        any other value (a new schema, a null, what that decoder refuses) takes
        :meth:`to_connect_data`, which also makes its plan the one to try next."""
        out: list[SchemaAndValue] = []
        append = out.append
        new = tuple.__new__
        plan = self._last_plan
        for value in values:
            if (
                plan is not None
                and plan.fast is not None
                and value is not None
                and value.startswith(plan.prefix)
                and value.endswith(b"}")
            ):
                try:
                    append(
                        new(SchemaAndValue, (plan.schema, plan.fast(value[len(plan.prefix) : -1])))
                    )
                    continue
                except msgspec.DecodeError:  # ValidationError too: the full path decides
                    pass
            append(self.to_connect_data(topic, value))
            plan = self._last_plan
        return out

    def to_connect_data(
        self, topic: str, value: bytes | None, headers: Headers | None = None
    ) -> SchemaAndValue:
        if value is None:
            return SchemaAndValue(None, None)
        if not self._schemas_enabled:
            return SchemaAndValue(None, self._read_schemaless(value))
        plan = self._last_plan
        if plan is not None and value.startswith(plan.prefix) and value.endswith(b"}"):
            # Same schema as the previous message: the payload is what lies between. Should it
            # not be one JSON value (extra envelope keys, ...), the full path below decides.
            result = self._read_payload(plan, value[len(plan.prefix) : -1])
            if result is not None:
                return result
        try:
            env = _ENVELOPE_DECODER.decode(value)
        except msgspec.ValidationError:
            raise DataError(ENVELOPE_ERROR) from None
        except msgspec.DecodeError as e:
            if not value.strip():
                raise DataError(ENVELOPE_ERROR) from None
            return self._read_tree_envelope(_decode_lenient(value, e, _EXACT_DECODER))
        plan = self._last_plan = self._plan(bytes(env.schema))
        payload = bytes(env.payload)
        if plan.fast is not None:
            try:
                return SchemaAndValue(plan.schema, plan.fast(payload))
            except msgspec.DecodeError:
                pass
        try:
            tree = (_EXACT_DECODER if plan.exact else _FLOAT_DECODER).decode(payload)
            try:
                return SchemaAndValue(plan.schema, plan.decode(tree))
            except _NeedExactError:
                pass
        except msgspec.ValidationError:  # a number beyond double range: Java reads infinity
            pass
        except msgspec.DecodeError as e:
            raise DataError(f"{_SERIALIZATION_ERROR}{e}") from e
        return SchemaAndValue(plan.schema, plan.decode(_EXACT_DECODER.decode(payload)))

    def _read_payload(self, plan: _ReadPlan, payload: bytes) -> SchemaAndValue | None:
        """The payload read with ``plan``, or ``None`` when it is not exactly one JSON value."""
        if plan.fast is not None:
            try:
                return SchemaAndValue(plan.schema, plan.fast(payload))
            except msgspec.ValidationError:
                pass
            except msgspec.DecodeError:
                return None
        try:
            tree = (_EXACT_DECODER if plan.exact else _FLOAT_DECODER).decode(payload)
        except msgspec.ValidationError:
            return None
        except msgspec.DecodeError:
            return None
        try:
            return SchemaAndValue(plan.schema, plan.decode(tree))
        except _NeedExactError:
            return None

    def _plan(self, schema_json: bytes) -> _ReadPlan:
        plan = self._plans.get(schema_json)
        if plan is None:
            try:
                tree = _EXACT_DECODER.decode(schema_json)
            except msgspec.DecodeError as e:
                raise DataError(f"{_SERIALIZATION_ERROR}{e}") from e
            schema = self._parser.parse(tree)
            plan = _ReadPlan(schema, self._reader.decoder(schema), schema_json)
            if len(self._plans) >= self._cache_size:
                del self._plans[next(iter(self._plans))]
            self._plans[schema_json] = plan
        return plan

    def _read_tree_envelope(self, tree: Any) -> SchemaAndValue:
        if not isinstance(tree, dict) or len(tree) != 2 or not {"schema", "payload"} <= tree.keys():
            raise DataError(ENVELOPE_ERROR)
        schema = self._parser.parse(tree["schema"])
        return SchemaAndValue(schema, self._reader.decoder(schema)(tree["payload"]))

    def _read_schemaless(self, value: bytes) -> Any:
        try:
            tree = _FLOAT_DECODER.decode(value)
        except msgspec.ValidationError:  # a number beyond double range: Java reads infinity
            return _plain(_EXACT_DECODER.decode(value))
        except msgspec.DecodeError as e:
            if not value.strip():
                return None
            return _plain(_decode_lenient(value, e, _EXACT_DECODER))
        if isinstance(tree, (dict, list, int, float)) and _needs_fixup(value):
            return _plain(tree)
        if isinstance(tree, float) and tree == 0:
            return 0.0
        return java_maps(tree)

    # -- header converter -------------------------------------------------------------------------
    def from_connect_header(
        self, topic: str, header_key: str, schema: Schema | None, value: Any
    ) -> bytes | None:
        return self.from_connect_data(topic, schema, value)

    def to_connect_header(self, topic: str, header_key: str, value: bytes | None) -> SchemaAndValue:
        return self.to_connect_data(topic, value)
