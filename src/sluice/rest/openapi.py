"""The OpenAPI document: Kafka Connect's entities and, per operation, every status it answers.

FastAPI derives paths and parameters from the routes; the bodies are read and checked by hand
(:mod:`sluice.rest.bodies`), so request and response schemas are written out here. The document
must say what the server really does: the schemathesis suite fuzzes the server against it.
"""

from __future__ import annotations

from typing import Any, Final

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from sluice.rest.negotiation import jersey_media_types

__all__ = ["install_openapi"]

_STRING: Final = {"type": "string"}
_SCALAR: Final = {"type": ["string", "number", "boolean"]}
_STATES: Final = ["UNASSIGNED", "RUNNING", "PAUSED", "FAILED", "RESTARTING", "STOPPED"]
_CONNECTOR_TYPES: Final = ["source", "sink", "unknown"]


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(required_keys: list[str], /, **props: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": props,
        "required": required_keys,
        "additionalProperties": False,
    }


def _state(with_id: bool) -> dict[str, Any]:
    props: dict[str, Any] = {
        "state": {"type": "string", "enum": _STATES},
        "worker_id": _STRING,
        "trace": _STRING,
        "version": {"type": ["string", "null"]},
    }
    required = ["state", "worker_id"]
    if with_id:
        props = {"id": {"type": "integer"}, **props}
        required = ["id", *required]
    return _obj(required, **props)


SCHEMAS: Final[dict[str, Any]] = {
    "ErrorMessage": _obj(
        ["error_code", "message"],
        error_code={"type": "integer"},
        message={"type": ["string", "null"]},
    ),
    "ServerInfo": _obj(
        ["version", "commit", "kafka_cluster_id"],
        version=_STRING,
        commit=_STRING,
        kafka_cluster_id={"type": ["string", "null"]},
    ),
    "WorkerStatus": _obj(
        ["status", "message"],
        status={"type": "string", "enum": ["healthy", "starting", "unhealthy"]},
        message=_STRING,
    ),
    "TaskFigures": _obj(
        [
            "connector",
            "task",
            "worker_id",
            "type",
            "status",
            "records_in_rate",
            "records_out_rate",
            "records_in_total",
            "records_out_total",
            "lag",
            "partitions",
            "errors_total",
            "failures_total",
            "records_skipped",
            "dlq_produce_requests",
            "dlq_produce_failures",
            "last_error_timestamp",
            "problem",
            "history",
        ],
        connector=_STRING,
        task={"type": "integer"},
        worker_id=_STRING,
        type={"type": "string", "enum": ["source", "sink"]},
        status=_STRING,
        records_in_rate={"type": "number"},
        records_out_rate={"type": "number"},
        records_in_total={"type": "integer"},
        records_out_total={"type": "integer"},
        lag={"type": ["integer", "null"]},
        partitions={
            "type": "array",
            "items": _obj(
                ["topic", "partition", "lag"],
                topic=_STRING,
                partition={"type": "integer"},
                lag={"type": "integer"},
            ),
        },
        errors_total={"type": "integer"},
        failures_total={"type": "integer"},
        records_skipped={"type": "integer"},
        dlq_produce_requests={"type": "integer"},
        dlq_produce_failures={"type": "integer"},
        last_error_timestamp={"type": "integer"},
        problem={
            "type": ["string", "null"],
            "description": "What keeps the running task from working now, one line per "
            "problem (the brokers are out of reach, it keeps logging warnings); null if nothing",
        },
        history={
            "type": "array",
            "description": "[time_ms, records_in_rate, records_out_rate], every 5 s, oldest first",
            "items": {"type": "array", "items": {"type": "number"}},
        },
    ),
    "MetricsSummary": _obj(
        ["worker_id", "time_ms", "workers", "tasks"],
        worker_id=_STRING,
        time_ms={"type": "integer"},
        workers={
            "type": "array",
            "items": _obj(
                ["worker_id", "reachable", "error"],
                worker_id=_STRING,
                reachable={"type": "boolean"},
                error={"type": ["string", "null"]},
            ),
        },
        tasks={"type": "array", "items": _ref("TaskFigures")},
    ),
    "ConnectorConfig": {"type": "object", "additionalProperties": _STRING},
    "ConnectorTaskId": _obj(["connector", "task"], connector=_STRING, task={"type": "integer"}),
    "ConnectorInfo": _obj(
        ["name", "config", "tasks", "type"],
        name=_STRING,
        config=_ref("ConnectorConfig"),
        tasks={"type": "array", "items": _ref("ConnectorTaskId")},
        type={"type": "string", "enum": _CONNECTOR_TYPES},
    ),
    "ConnectorState": _state(with_id=False),
    "TaskState": _state(with_id=True),
    "ConnectorStateInfo": _obj(
        ["name", "connector", "tasks", "type"],
        name=_STRING,
        connector=_ref("ConnectorState"),
        tasks={"type": "array", "items": _ref("TaskState")},
        type={"type": "string", "enum": _CONNECTOR_TYPES},
    ),
    "ConnectorExpansions": _obj([], status=_ref("ConnectorStateInfo"), info=_ref("ConnectorInfo")),
    "TaskInfo": _obj(["id", "config"], id=_ref("ConnectorTaskId"), config=_ref("ConnectorConfig")),
    "ActiveTopicsInfo": {
        "type": "object",
        "additionalProperties": _obj(["topics"], topics={"type": "array", "items": _STRING}),
    },
    "ConnectorOffset": _obj(
        ["partition", "offset"],
        partition={"type": "object"},
        offset={"type": ["object", "null"]},
    ),
    "ConnectorOffsets": _obj(
        ["offsets"], offsets={"type": "array", "items": _ref("ConnectorOffset")}
    ),
    "Message": _obj(["message"], message=_STRING),
    "PluginInfo": _obj(
        ["class", "type"],
        **{
            "class": _STRING,
            "type": {
                "type": "string",
                "enum": [
                    "sink",
                    "source",
                    "transformation",
                    "predicate",
                    "converter",
                    "header_converter",
                ],
            },
            "version": _STRING,
        },
    ),
    "ConfigKeyInfo": _obj(
        [
            "name",
            "type",
            "required",
            "default_value",
            "importance",
            "documentation",
            "group",
            "width",
            "display_name",
            "dependents",
            "order",
        ],
        name=_STRING,
        type={
            "type": "string",
            "enum": [
                "BOOLEAN",
                "STRING",
                "INT",
                "SHORT",
                "LONG",
                "DOUBLE",
                "LIST",
                "CLASS",
                "PASSWORD",
            ],
        },
        required={"type": "boolean"},
        default_value={"type": ["string", "null"]},
        importance={"type": "string", "enum": ["HIGH", "MEDIUM", "LOW"]},
        documentation={"type": ["string", "null"]},
        group={"type": ["string", "null"]},
        width={"type": "string", "enum": ["NONE", "SHORT", "MEDIUM", "LONG"]},
        display_name={"type": ["string", "null"]},
        dependents={"type": "array", "items": _STRING},
        order={"type": "integer"},
    ),
    "ConfigValueInfo": _obj(
        ["name", "value", "recommended_values", "errors", "visible"],
        name=_STRING,
        value={"type": ["string", "null"]},
        recommended_values={"type": "array", "items": {"type": ["string", "null"]}},
        errors={"type": "array", "items": _STRING},
        visible={"type": "boolean"},
    ),
    "ConfigInfo": _obj(
        ["definition", "value"],
        definition={"oneOf": [_ref("ConfigKeyInfo"), {"type": "null"}]},
        value={"oneOf": [_ref("ConfigValueInfo"), {"type": "null"}]},
    ),
    "ConfigInfos": _obj(
        ["name", "error_count", "groups", "configs"],
        name=_STRING,
        error_count={"type": "integer", "minimum": 0},
        groups={"type": "array", "items": _STRING},
        configs={"type": "array", "items": _ref("ConfigInfo")},
    ),
    "LoggerLevel": _obj(
        ["level", "last_modified"],
        level={
            "type": "string",
            "enum": ["OFF", "FATAL", "ERROR", "WARN", "INFO", "DEBUG", "TRACE", "ALL"],
        },
        last_modified={"type": ["integer", "null"]},
    ),
    # -- request bodies -----------------------------------------------------------------------
    "ConfigRequest": {"type": "object", "additionalProperties": _SCALAR},
    "ConfigPatchRequest": {
        "type": "object",
        "additionalProperties": {"type": ["string", "number", "boolean", "null"]},
    },
    "CreateConnectorRequest": _obj(
        ["config"],
        name={"type": ["string", "number", "boolean", "null"]},
        config=_ref("ConfigRequest"),
        initial_state={
            "oneOf": [
                {
                    "type": "string",
                    "pattern": (
                        "^\\s*([Rr][Uu][Nn][Nn][Ii][Nn][Gg]|[Pp][Aa][Uu][Ss][Ee][Dd]"
                        "|[Ss][Tt][Oo][Pp][Pp][Ee][Dd])\\s*$"
                    ),
                },
                {"type": "null"},
            ]
        },
    ),
    "ConnectorOffsetsRequest": _obj(
        ["offsets"],
        offsets={
            "type": "array",
            "minItems": 1,
            "items": _obj(
                ["partition"],
                partition={"type": "object"},
                offset={"type": ["object", "null"]},
            ),
        },
    ),
    "LoggerLevelRequest": {
        "type": "object",
        "properties": {"level": _SCALAR},
        "required": ["level"],
    },
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json(_ref("ErrorMessage"), description)


def _empty(description: str) -> dict[str, Any]:
    return {"description": description}


_NOT_FOUND: Final = _error("No such connector, task, plugin or logger")
_BAD_REQUEST: Final = _error("Invalid request (malformed body, invalid configuration...)")
_UNSUPPORTED: Final = _error(
    "The request's Content-Type is not JSON, or it has a body without a Content-Type"
)
_NOT_ACCEPTABLE: Final = _error("The Accept header admits no application/json")
_BAD_CONTENT_TYPE: Final = _error("The Content-Type header is not a media type")
_CONFLICT: Final = _error("The connector already exists, or a conflicting operation is running")
_FORBIDDEN: Final = _error("Topic tracking (or its reset) is disabled on this worker")


def _body(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": _ref(schema)}}}


_CONNECTOR_INFO: Final = _json(_ref("ConnectorInfo"), "The connector")
_STATUS: Final = _json(_ref("ConnectorStateInfo"), "The connector's and its tasks' states")

OPERATIONS: Final[dict[tuple[str, str], dict[str, Any]]] = {
    ("get", "/"): {"200": _json(_ref("ServerInfo"), "Worker version and Kafka cluster id")},
    ("get", "/health"): {
        "200": _json(_ref("WorkerStatus"), "The worker has started and is healthy"),
        "500": _json(_ref("WorkerStatus"), "The worker is unhealthy"),
        "503": _json(_ref("WorkerStatus"), "The worker is still starting"),
    },
    ("get", "/metrics"): {
        "200": {
            "description": "Prometheus text exposition, named as Strimzi's JMX exporter rules "
            "name Kafka Connect's MBeans",
            "content": {"text/plain": {"schema": _STRING}},
        }
    },
    ("get", "/metrics/summary"): {
        "200": _json(
            _ref("MetricsSummary"),
            "Every task's figures: this worker's (scope=worker) or the cluster's",
        ),
        "400": _BAD_REQUEST,
    },
    ("get", "/connectors"): {
        "200": _json(
            {
                "oneOf": [
                    {"type": "array", "items": _STRING},
                    {"type": "object", "additionalProperties": _ref("ConnectorExpansions")},
                ]
            },
            "Connector names, or with ?expand=status/info the expansions per connector",
        )
    },
    ("post", "/connectors"): {
        "requestBody": _body("CreateConnectorRequest"),
        "201": {
            **_CONNECTOR_INFO,
            "description": "Created",
            "headers": {"Location": {"schema": _STRING, "description": "The connector's URL"}},
        },
        "400": _BAD_REQUEST,
        "409": _CONFLICT,
        "415": _UNSUPPORTED,
    },
    ("get", "/connectors/{connector}"): {"200": _CONNECTOR_INFO, "404": _NOT_FOUND},
    ("delete", "/connectors/{connector}"): {"204": _empty("Deleted"), "404": _NOT_FOUND},
    ("get", "/connectors/{connector}/config"): {
        "200": _json(_ref("ConnectorConfig"), "The configuration as submitted"),
        "404": _NOT_FOUND,
    },
    ("put", "/connectors/{connector}/config"): {
        "requestBody": _body("ConfigRequest"),
        "200": {**_CONNECTOR_INFO, "description": "Updated"},
        "201": {
            **_CONNECTOR_INFO,
            "description": "Created",
            "headers": {"Location": {"schema": _STRING, "description": "The connector's URL"}},
        },
        "400": _BAD_REQUEST,
        "409": _CONFLICT,
        "415": _UNSUPPORTED,
    },
    ("patch", "/connectors/{connector}/config"): {
        "requestBody": _body("ConfigPatchRequest"),
        "200": {**_CONNECTOR_INFO, "description": "Updated"},
        "400": _BAD_REQUEST,
        "404": _NOT_FOUND,
        "409": _CONFLICT,
        "415": _UNSUPPORTED,
    },
    ("get", "/connectors/{connector}/status"): {"200": _STATUS, "404": _NOT_FOUND},
    ("post", "/connectors/{connector}/restart"): {
        "202": _json(
            _ref("ConnectorStateInfo"), "Restarting; instances to restart show RESTARTING"
        ),
        "204": _empty("The connector instance was restarted"),
        "404": _NOT_FOUND,
        "409": _CONFLICT,
    },
    ("put", "/connectors/{connector}/pause"): {"202": _empty("Pausing"), "404": _NOT_FOUND},
    ("put", "/connectors/{connector}/resume"): {"202": _empty("Resuming"), "404": _NOT_FOUND},
    ("put", "/connectors/{connector}/stop"): {"204": _empty("Stopped"), "404": _NOT_FOUND},
    ("get", "/connectors/{connector}/tasks"): {
        "200": _json({"type": "array", "items": _ref("TaskInfo")}, "Task configurations"),
        "404": _NOT_FOUND,
    },
    ("post", "/connectors/{connector}/tasks"): {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"type": "array", "items": _ref("ConnectorConfig")}}
            },
        },
        "204": _empty("The leader stored the task configs"),
        "400": _error(
            "Not signed, malformed, or sent to a standalone worker (internal: worker to worker)"
        ),
        "403": _error("The signature does not match the session key"),
        "404": _NOT_FOUND,
        "409": _CONFLICT,
        "415": _UNSUPPORTED,
        "500": _error("The leader could not be reached"),
        "503": _error("The worker has not read a session key yet"),
    },
    ("put", "/connectors/{connector}/fence"): {
        "204": _empty("Zombie tasks were fenced"),
        "400": _error(
            "Exactly-once source support is off, or sent to a standalone worker (internal)"
        ),
        "403": _error("The signature does not match the session key"),
        "404": _NOT_FOUND,
        "503": _error("The worker has not read a session key yet"),
    },
    ("get", "/connectors/{connector}/tasks/{task}/status"): {
        "200": _json(_ref("TaskState"), "The task's state"),
        "404": _NOT_FOUND,
    },
    ("post", "/connectors/{connector}/tasks/{task}/restart"): {
        "204": _empty("Restarted"),
        "404": _NOT_FOUND,
        "409": _CONFLICT,
    },
    ("get", "/connectors/{connector}/topics"): {
        "200": _json(_ref("ActiveTopicsInfo"), "Topics the connector used since its last reset"),
        "403": _FORBIDDEN,
    },
    ("put", "/connectors/{connector}/topics/reset"): {
        "202": _empty("Reset"),
        "403": _FORBIDDEN,
        "404": _NOT_FOUND,
    },
    ("get", "/connectors/{connector}/offsets"): {
        "200": _json(_ref("ConnectorOffsets"), "Committed offsets"),
        "404": _NOT_FOUND,
    },
    ("patch", "/connectors/{connector}/offsets"): {
        "requestBody": _body("ConnectorOffsetsRequest"),
        "200": _json(_ref("Message"), "Altered"),
        "400": _BAD_REQUEST,
        "404": _NOT_FOUND,
        "409": _CONFLICT,
        "415": _UNSUPPORTED,
    },
    ("delete", "/connectors/{connector}/offsets"): {
        "200": _json(_ref("Message"), "Reset"),
        "400": _BAD_REQUEST,
        "404": _NOT_FOUND,
        "409": _CONFLICT,
    },
    ("get", "/connector-plugins"): {
        "200": _json({"type": "array", "items": _ref("PluginInfo")}, "Installed plugins")
    },
    ("get", "/connector-plugins/{plugin}/config"): {
        "200": _json({"type": "array", "items": _ref("ConfigKeyInfo")}, "The plugin's keys"),
        "400": _BAD_REQUEST,
        "404": _NOT_FOUND,
    },
    ("put", "/connector-plugins/{plugin}/config/validate"): {
        "requestBody": _body("ConfigRequest"),
        "200": _json(_ref("ConfigInfos"), "The validation report (errors are in the body)"),
        "400": _BAD_REQUEST,
        "415": _UNSUPPORTED,
    },
    ("get", "/admin/loggers"): {
        "200": _json(
            {"type": "object", "additionalProperties": _ref("LoggerLevel")},
            "Loggers with an explicit level, and root",
        )
    },
    ("get", "/admin/loggers/{logger}"): {
        "200": _json(_ref("LoggerLevel"), "The logger's effective level"),
        "404": _NOT_FOUND,
    },
    ("put", "/admin/loggers/{logger}"): {
        "requestBody": _body("LoggerLevelRequest"),
        "200": _json({"type": "array", "items": _STRING}, "Loggers whose level changed"),
        "204": _empty("Applied cluster-wide"),
        "400": _BAD_REQUEST,
        "404": _error("Invalid log level"),
        "415": _UNSUPPORTED,
    },
}


def _parameter_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A query value is never null: drop FastAPI's ``anyOf [..., null]`` for optional ones."""
    options = [s for s in schema.get("anyOf", []) if s.get("type") != "null"]
    if len(options) == 1:
        merged = {k: v for k, v in schema.items() if k != "anyOf"}
        merged.update(options[0])
        return merged
    return schema


def build_openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document with the hand-written bodies, responses and components."""
    doc = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
    )
    for path, methods in doc.get("paths", {}).items():
        for method, operation in methods.items():
            for param in operation.get("parameters", []):
                param["schema"] = _parameter_schema(param.get("schema", {}))
            spec = OPERATIONS.get((method, path))
            if spec is None:
                raise RuntimeError(f"No OpenAPI responses declared for {method.upper()} {path}")
            spec = dict(spec)
            body = spec.pop("requestBody", None)
            if body is not None:
                operation["requestBody"] = body
            else:
                operation.pop("requestBody", None)
            consumes, produces = jersey_media_types(path)
            if consumes:
                spec.setdefault("400", _BAD_CONTENT_TYPE)
                spec.setdefault("415", _UNSUPPORTED)
            if produces:
                spec.setdefault("406", _NOT_ACCEPTABLE)
            operation["responses"] = dict(sorted(spec.items()))
    doc["components"] = {"schemas": dict(SCHEMAS)}
    return doc


def install_openapi(app: FastAPI) -> None:
    cached: dict[str, Any] = {}

    def openapi() -> dict[str, Any]:
        if "doc" not in cached:
            cached["doc"] = build_openapi(app)
        return cached["doc"]  # type: ignore[no-any-return]

    app.openapi = openapi  # type: ignore[method-assign]
