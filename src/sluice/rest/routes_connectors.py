"""``/connectors``: create, configure, inspect, restart, pause, stop and delete connectors, their
tasks, active topics and offsets (Kafka Connect's ``ConnectorsResource``)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Final, cast
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from sluice.api import NotFoundError
from sluice.rest import entities
from sluice.rest.bodies import (
    config_map,
    create_connector_request,
    offsets_request,
    parse_json,
    raw_body,
)
from sluice.rest.errors import ConnectRoute, RestError, http_reason
from sluice.runtime.distributed.request_signing import signature_from_headers
from sluice.runtime.herder import BadRequestError, Herder, RestartRequest
from sluice.runtime.status import ConnectorTaskId

__all__ = ["connectors_router"]

_INT: Final = re.compile(r"[+-]?[0-9]+")
_INT_MAX: Final = 2**31 - 1

Body = Annotated[bytes, Depends(raw_body)]


def _task_id(connector: str, task: str) -> ConnectorTaskId:
    """A task number as Jersey converts an ``Integer`` path parameter: not one is a 404."""
    if not _INT.fullmatch(task) or not -_INT_MAX - 1 <= int(task) <= _INT_MAX:
        raise RestError(404, http_reason(404))
    return ConnectorTaskId(connector, int(task))


def _flag(value: str | None) -> bool:
    """A boolean query parameter as Java's ``Boolean.valueOf``: anything but "true" is false."""
    return value is not None and value.strip().lower() == "true"


def _check_and_put_name(name: str, config: dict[str, str | None]) -> None:
    included = config.get("name")
    if included is not None:
        if included != name:
            raise BadRequestError(
                f"Connector name configuration ({included}) doesn't match connector name in the "
                f"URL ({name})"
            )
    else:
        config["name"] = name


def _submitted(config: dict[str, str | None]) -> dict[str, str]:
    """The config as the herder takes it. ``null`` values stay: the herder's validation reports
    them ("Null value can not be supplied..."), as Kafka Connect does."""
    return cast(dict[str, str], config)


def _location(request: Request, name: str) -> str:
    return f"{request.base_url}connectors/{quote(name, safe='')}"


def connectors_router(herder: Herder, topic_tracking: bool, topic_reset: bool) -> APIRouter:
    router = APIRouter(prefix="/connectors", route_class=ConnectRoute)

    @router.get("", summary="List connectors, optionally expanded with status and info")
    def list_connectors(
        request: Request,
        expand: Annotated[list[str] | None, Query(description="status and/or info")] = None,
    ) -> JSONResponse:
        if "expand" not in request.query_params:
            return JSONResponse(herder.connectors())
        wanted = request.query_params.getlist("expand")
        out: dict[str, Any] = {}
        for name in herder.connectors():
            try:
                expansions: dict[str, Any] = {}
                for kind in wanted:
                    if kind == "status":
                        expansions["status"] = entities.connector_state_info(
                            herder.connector_status(name)
                        )
                    elif kind == "info":
                        expansions["info"] = entities.connector_info(herder.connector_info(name))
                out[name] = expansions
            except NotFoundError:
                continue  # deleted while we looked it up
        return JSONResponse(out)

    @router.post("", summary="Create a connector")
    def create_connector(request: Request, body: Body) -> JSONResponse:
        name, config, initial_state = create_connector_request(
            parse_json(body, numbers_as_text=True)
        )
        _check_and_put_name(name, config)
        _, info = herder.put_connector_config(
            name, _submitted(config), allow_replace=False, initial_state=initial_state
        )
        return JSONResponse(
            entities.connector_info(info), 201, headers={"Location": _location(request, name)}
        )

    @router.get("/{connector}", summary="A connector's configuration and tasks")
    def get_connector(connector: str) -> JSONResponse:
        return JSONResponse(entities.connector_info(herder.connector_info(connector)))

    @router.delete("/{connector}", summary="Delete a connector", status_code=204)
    def delete_connector(connector: str) -> Response:
        herder.delete_connector_config(connector)
        return Response(status_code=204)

    @router.get("/{connector}/config", summary="A connector's configuration as submitted")
    def get_connector_config(connector: str) -> JSONResponse:
        return JSONResponse(herder.connector_config(connector))

    @router.put("/{connector}/config", summary="Create or reconfigure a connector")
    def put_connector_config(connector: str, request: Request, body: Body) -> JSONResponse:
        config = config_map(parse_json(body, numbers_as_text=True))
        _check_and_put_name(connector, config)
        created, info = herder.put_connector_config(
            connector, _submitted(config), allow_replace=True
        )
        if created:
            return JSONResponse(
                entities.connector_info(info),
                201,
                headers={"Location": _location(request, connector)},
            )
        return JSONResponse(entities.connector_info(info))

    @router.patch("/{connector}/config", summary="Change some keys of a connector's config")
    def patch_connector_config(connector: str, body: Body) -> JSONResponse:
        patch = config_map(parse_json(body, numbers_as_text=True), what="configuration patch")
        return JSONResponse(
            entities.connector_info(herder.patch_connector_config(connector, patch))
        )

    @router.get("/{connector}/status", summary="The states of a connector and its tasks")
    def get_connector_status(connector: str) -> JSONResponse:
        return JSONResponse(entities.connector_state_info(herder.connector_status(connector)))

    @router.post("/{connector}/restart", summary="Restart a connector (and its tasks)")
    def restart_connector(
        connector: str,
        include_tasks: Annotated[
            str | None, Query(alias="includeTasks", description="Also restart tasks")
        ] = None,
        only_failed: Annotated[
            str | None, Query(alias="onlyFailed", description="Restart only failed instances")
        ] = None,
    ) -> Response:
        request = RestartRequest(connector, _flag(include_tasks), _flag(only_failed))
        if not request.include_tasks and not request.only_failed:
            herder.restart_connector(connector)
            return Response(status_code=204)
        state = herder.restart_connector_and_tasks(request)
        return JSONResponse(entities.connector_state_info(state), 202)

    @router.put("/{connector}/pause", summary="Pause a connector and its tasks")
    def pause_connector(connector: str) -> Response:
        herder.pause_connector(connector)
        return Response(status_code=202)

    @router.put("/{connector}/resume", summary="Resume a paused or stopped connector")
    def resume_connector(connector: str) -> Response:
        herder.resume_connector(connector)
        return Response(status_code=202)

    @router.put("/{connector}/stop", summary="Stop a connector: no tasks, offsets editable")
    def stop_connector(connector: str) -> Response:
        herder.stop_connector(connector)
        return Response(status_code=204)

    @router.get("/{connector}/tasks", summary="A connector's task configurations")
    def get_task_configs(connector: str) -> JSONResponse:
        return JSONResponse(entities.task_infos(herder.task_configs(connector)))

    @router.get("/{connector}/tasks/{task}/status", summary="The state of one task")
    def get_task_status(connector: str, task: str) -> JSONResponse:
        id = _task_id(connector, task)
        return JSONResponse(entities.task_state(id.task, herder.task_status(id)))

    @router.post("/{connector}/tasks/{task}/restart", summary="Restart one task")
    def restart_task(connector: str, task: str) -> Response:
        herder.restart_task(_task_id(connector, task))
        return Response(status_code=204)

    @router.post(
        "/{connector}/tasks",
        summary="Internal: a follower hands the leader new task configs",
        status_code=204,
    )
    def put_task_configs(connector: str, request: Request, body: Body) -> Response:
        parsed = parse_json(body, numbers_as_text=True)
        if not isinstance(parsed, list):
            raise RestError(400, "The task configurations must be a JSON array of objects")
        configs = [cast(dict[str, str], config_map(c, "task configuration")) for c in parsed]
        herder.put_task_configs(
            connector, configs, signature_from_headers(body, dict(request.headers))
        )
        return Response(status_code=204)

    @router.put(
        "/{connector}/fence",
        summary="Internal: fence zombie exactly-once source tasks (KIP-618)",
        status_code=204,
    )
    def fence_zombies(connector: str, request: Request, body: Body) -> Response:
        herder.fence_zombie_source_tasks(
            connector, signature_from_headers(body, dict(request.headers))
        )
        return Response(status_code=204)

    @router.get("/{connector}/topics", summary="Topics the connector has used (KIP-558)")
    def get_active_topics(connector: str) -> JSONResponse:
        if not topic_tracking:
            raise RestError(403, "Topic tracking is disabled.")
        topics = herder.connector_active_topics(connector)
        return JSONResponse(entities.active_topics(connector, topics))

    @router.put("/{connector}/topics/reset", summary="Forget the topics the connector has used")
    def reset_active_topics(connector: str) -> Response:
        if not topic_tracking:
            raise RestError(403, "Topic tracking is disabled.")
        if not topic_reset:
            raise RestError(403, "Topic tracking reset is disabled.")
        herder.reset_connector_active_topics(connector)
        return Response(status_code=202)

    @router.get("/{connector}/offsets", summary="A connector's committed offsets (KIP-875)")
    def get_offsets(connector: str) -> JSONResponse:
        return JSONResponse({"offsets": herder.connector_offsets(connector)})

    @router.patch("/{connector}/offsets", summary="Alter a stopped connector's offsets")
    def alter_offsets(connector: str, body: Body) -> JSONResponse:
        offsets = offsets_request(parse_json(body))
        message = herder.alter_connector_offsets(connector, offsets)
        return JSONResponse({"message": message})

    @router.delete("/{connector}/offsets", summary="Reset a stopped connector's offsets")
    def reset_offsets(connector: str) -> JSONResponse:
        return JSONResponse({"message": herder.reset_connector_offsets(connector)})

    return router
