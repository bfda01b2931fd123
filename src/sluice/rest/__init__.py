"""Kafka Connect's REST API for sluice workers: the FastAPI app and the server that runs it."""

from sluice.rest.app import RestOptions, create_app
from sluice.rest.server import RestServer

__all__ = ["RestOptions", "RestServer", "create_app"]
