"""The connector author's API: everything a plugin touches, and nothing else.

Modelled on Kafka Connect's ``connect-api``: connectors, tasks and their contexts, records and
headers, the schema model with its logical types, ``ConfigDef``, converters, transforms and
predicates, ``Values`` (Connect values to and from text), the error tree, and ``ContextThread``
for a plugin's helper threads. Private modules sit behind this one namespace; ``__all__`` is the
contract and is tested.
"""

from sluice.api.config import (
    NO_DEFAULT,
    AbstractConfig,
    CaseInsensitiveValidString,
    ConfigDef,
    ConfigKey,
    ConfigType,
    ConfigValue,
    Importance,
    NonEmptyString,
    NonNullValidator,
    Password,
    Range,
    Recommender,
    Validator,
    ValidList,
    ValidString,
    Width,
)
from sluice.api.config_provider import ConfigData, ConfigProvider
from sluice.api.connector import Connector, ConnectorContext, Task, Versioned
from sluice.api.converter import Converter, HeaderConverter, SchemaAndValue
from sluice.api.errors import (
    AlreadyExistsError,
    ConfigError,
    ConnectError,
    DataError,
    IllegalWorkerStateError,
    NotFoundError,
    RetriableError,
    SchemaBuilderError,
    SchemaProjectorError,
)
from sluice.api.headers import Header, Headers
from sluice.api.logical import Date, Decimal, Time, Timestamp
from sluice.api.records import (
    ConnectRecord,
    RecordMetadata,
    SinkRecord,
    SourceRecord,
    TimestampType,
    TopicPartition,
)
from sluice.api.schema import Field, Schema, SchemaBuilder, Type, validate_value
from sluice.api.sink import ErrantRecordReporter, SinkConnector, SinkTask, SinkTaskContext
from sluice.api.sink_batch import SinkRecordBatch
from sluice.api.source import (
    ExactlyOnceSupport,
    OffsetStorageReader,
    SourceConnector,
    SourceConnectorContext,
    SourceTask,
    SourceTaskContext,
)
from sluice.api.struct import Struct
from sluice.api.threads import ContextThread
from sluice.api.transform import Predicate, Transformation
from sluice.api.values import Values

__all__ = [
    "NO_DEFAULT",
    "AbstractConfig",
    "AlreadyExistsError",
    "CaseInsensitiveValidString",
    "ConfigData",
    "ConfigDef",
    "ConfigError",
    "ConfigKey",
    "ConfigProvider",
    "ConfigType",
    "ConfigValue",
    "ConnectError",
    "ConnectRecord",
    "Connector",
    "ConnectorContext",
    "ContextThread",
    "Converter",
    "DataError",
    "Date",
    "Decimal",
    "ErrantRecordReporter",
    "ExactlyOnceSupport",
    "Field",
    "Header",
    "HeaderConverter",
    "Headers",
    "IllegalWorkerStateError",
    "Importance",
    "NonEmptyString",
    "NonNullValidator",
    "NotFoundError",
    "OffsetStorageReader",
    "Password",
    "Predicate",
    "Range",
    "Recommender",
    "RecordMetadata",
    "RetriableError",
    "Schema",
    "SchemaAndValue",
    "SchemaBuilder",
    "SchemaBuilderError",
    "SchemaProjectorError",
    "SinkConnector",
    "SinkRecord",
    "SinkRecordBatch",
    "SinkTask",
    "SinkTaskContext",
    "SourceConnector",
    "SourceConnectorContext",
    "SourceRecord",
    "SourceTask",
    "SourceTaskContext",
    "Struct",
    "Task",
    "Time",
    "Timestamp",
    "TimestampType",
    "TopicPartition",
    "Transformation",
    "Type",
    "ValidList",
    "ValidString",
    "Validator",
    "Values",
    "Versioned",
    "Width",
    "validate_value",
]
