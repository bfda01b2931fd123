"""A follower's calls to the leader's REST API: handing over a connector's new task configs.

Only the leader writes task configs. A follower that runs a connector posts the configs the
connector generated to ``POST /connectors/{name}/tasks`` on the leader's advertised URL, signed
with the session key when the group runs ``sessioned`` (KIP-507).
"""

from __future__ import annotations

from urllib.parse import quote

import httpx
import msgspec

from sluice.api import ConnectError
from sluice.rest.security import client_verify
from sluice.runtime.distributed.request_signing import signature_headers
from sluice.storage.config import SessionKey

__all__ = ["LeaderClient", "LeaderRequestError"]

_TIMEOUT = httpx.Timeout(90.0, connect=10.0)


class LeaderRequestError(ConnectError):
    """The leader refused a request or could not be reached; ``status`` is its HTTP status
    (``None`` when it was not reached)."""

    def __init__(self, message: str, status: int | None) -> None:
        super().__init__(message)
        self.status = status


class LeaderClient:
    """Posts to the leader; one connection pool, reused across requests."""

    def __init__(self) -> None:
        # HTTPS leaders are verified with the worker's REST TLS settings (sluice.rest.security).
        self._client = httpx.Client(
            timeout=_TIMEOUT, headers={"User-Agent": "kafka-connect"}, verify=client_verify()
        )

    def put_task_configs(
        self,
        leader_url: str,
        connector: str,
        configs: list[dict[str, str]],
        key: SessionKey | None,
        signature_algorithm: str,
    ) -> None:
        body = msgspec.json.encode(configs)
        headers = {"Content-Type": "application/json"}
        if key is not None:
            headers.update(signature_headers(key, signature_algorithm, body))
        url = f"{leader_url.rstrip('/')}/connectors/{quote(connector, safe='')}/tasks"
        try:
            response = self._client.post(url, content=body, headers=headers)
        except httpx.HTTPError as e:
            raise LeaderRequestError(
                f"Cannot reach the leader at {leader_url} (its advertised REST URL: "
                f"rest.advertised.host.name/rest.advertised.port/listeners): {e}",
                None,
            ) from e
        if response.status_code >= 400:
            try:
                message = msgspec.json.decode(response.content).get("message", response.text)
            except (msgspec.DecodeError, AttributeError):
                message = response.text
            raise LeaderRequestError(
                f"The leader at {leader_url} refused the task configs of {connector} "
                f"({response.status_code}): {message}",
                response.status_code,
            )

    def close(self) -> None:
        self._client.close()
