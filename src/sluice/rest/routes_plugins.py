"""``/connector-plugins``: installed plugins, their keys, and config validation
(Kafka Connect's ``ConnectorPluginsResource``)."""

from __future__ import annotations

from typing import Annotated, Final, cast

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from sluice.rest import entities
from sluice.rest.bodies import config_map, parse_json, raw_body
from sluice.rest.errors import ConnectRoute
from sluice.runtime.herder import BadRequestError, Herder

__all__ = ["plugins_router"]

_ALIAS_SUFFIX: Final = "Connector"


def _normalized(name: str) -> str:
    """``FileStreamSinkConnector`` -> ``FileStreamSink``; works on full class names too."""
    if name.endswith(_ALIAS_SUFFIX) and len(name) > len(_ALIAS_SUFFIX):
        return name[: -len(_ALIAS_SUFFIX)]
    return name


def plugins_router(herder: Herder) -> APIRouter:
    router = APIRouter(prefix="/connector-plugins", route_class=ConnectRoute)

    @router.get("", summary="Installed connector plugins (and, optionally, all other plugins)")
    def list_plugins(
        connectors_only: Annotated[
            str | None,
            Query(alias="connectorsOnly", description="false lists every kind of plugin"),
        ] = None,
    ) -> JSONResponse:
        only = connectors_only is None or connectors_only.strip().lower() == "true"
        return JSONResponse(
            entities.plugin_infos(herder.connector_plugins(connectors_only=only), only)
        )

    @router.get("/{plugin}/config", summary="The configuration keys of a plugin")
    def plugin_config(plugin: str) -> JSONResponse:
        return JSONResponse(herder.connector_plugin_config(plugin))

    @router.put("/{plugin}/config/validate", summary="Validate a connector configuration")
    def validate(plugin: str, body: Annotated[bytes, Depends(raw_body)]) -> JSONResponse:
        config = config_map(parse_json(body, numbers_as_text=True))
        included = config.get("connector.class")
        if included is not None and not _normalized(included).endswith(_normalized(plugin)):
            raise BadRequestError(
                f"Included connector type {included} does not match request type {plugin}"
            )
        # null values stay: the report names them ("Null value can not be supplied...").
        return JSONResponse(herder.validate_connector_config(cast(dict[str, str], config)))

    return router
