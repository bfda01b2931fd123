"""The REST API over TLS and behind HTTP basic authentication, from Kafka Connect's settings.

TLS (Kafka's ``RestServerConfig`` and ``SSLUtils``): an ``https://`` entry in ``listeners`` is
served with the key store of ``listeners.https.ssl.*`` when any such key is set, else of the
worker's ``ssl.*`` (Kafka's "all or nothing" prefix rule): ``ssl.keystore.location/password/
type`` (JKS, PKCS12 or PEM) and ``ssl.key.password``. ``ssl.client.auth`` (``none``,
``requested``, ``required``) asks clients for a certificate signed by a CA of
``ssl.truststore.*``. The same settings make the worker's own REST client (forwarding to other
workers, task configs to the leader) trust the others and present its certificate.

Authentication (Kafka's ``BasicAuthSecurityRestExtension``): ``rest.extension.classes`` naming it
makes every request carry HTTP basic credentials checked against the users file of the JAAS
file's ``KafkaConnect`` section (``PropertyFileLoginModule required file="users.properties";``).
The JAAS file is the one ``-Djava.security.auth.login.config=...`` in ``$KAFKA_OPTS`` names, as
Kafka's launch scripts pass it, or ``sluice.jaas.config.file``. As Kafka's ``JaasBasicAuthFilter``,
the internal endpoints other workers call (``POST /connectors/<name>/tasks``, ``PUT
/connectors/<name>/fence``) need none (request signing protects them), forwarded requests carry
the caller's credentials, an empty users file lets everyone in, and a refusal is a 401 with
Kafka's body, ``User cannot access the resource.``.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from starlette.types import ASGIApp, Receive, Scope, Send

from sluice.kafka.security import (
    SecurityConfigError,
    read_key_store,
    read_trust_store,
    static_jaas_sections,
)

__all__ = [
    "BASIC_AUTH_EXTENSION",
    "BasicAuth",
    "BasicAuthMiddleware",
    "RestTls",
    "basic_auth",
    "client_verify",
    "rest_tls",
    "set_client_verify",
]

log = logging.getLogger(__name__)

BASIC_AUTH_EXTENSION: Final = (
    "org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension"
)
PROPERTY_FILE_MODULE: Final = (
    "org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule"
)
UNAUTHORIZED_BODY: Final = b"User cannot access the resource."
_HTTPS_PREFIX: Final = "listeners.https."
_CLIENT_AUTH: Final = {
    "none": ssl.CERT_NONE,
    "requested": ssl.CERT_OPTIONAL,
    "required": ssl.CERT_REQUIRED,
}
_INTERNAL: Final = (
    ("POST", re.compile(r"/?connectors/[^/]+/tasks/?")),
    ("PUT", re.compile(r"/?connectors/[^/]+/fence/?")),
)


def _https_settings(originals: Mapping[str, Any]) -> dict[str, Any]:
    """Kafka's ``valuesWithPrefixAllOrNothing("listeners.https.")``."""
    prefixed = {
        k[len(_HTTPS_PREFIX) :]: v for k, v in originals.items() if k.startswith(_HTTPS_PREFIX)
    }
    if prefixed:
        return prefixed
    return {k: v for k, v in originals.items() if k.startswith("ssl.")}


def _keyed(error: SecurityConfigError, prefixed: bool) -> SecurityConfigError:
    if not prefixed:
        return error
    key = error.key or ""
    return SecurityConfigError(_HTTPS_PREFIX + str(error), _HTTPS_PREFIX + key)


@dataclass(frozen=True)
class RestTls:
    """uvicorn's TLS settings: private files (:mod:`sluice.kafka.private_files`)."""

    certfile: str
    keyfile: str
    key_password: str = field(repr=False)
    cert_reqs: int = ssl.CERT_NONE
    ca_certs: str | None = None

    def uvicorn_options(self) -> dict[str, Any]:
        return {
            "ssl_certfile": self.certfile,
            "ssl_keyfile": self.keyfile,
            "ssl_keyfile_password": self.key_password,
            "ssl_cert_reqs": self.cert_reqs,
            "ssl_ca_certs": self.ca_certs,
        }


def rest_tls(originals: Mapping[str, Any]) -> RestTls:
    """The HTTPS listeners' TLS settings; raises :class:`SecurityConfigError` naming the setting
    when there is no key store or it does not open."""
    from sluice.kafka.private_files import private_files

    settings = _https_settings(originals)
    prefixed = any(k.startswith(_HTTPS_PREFIX) for k in originals)
    where = _HTTPS_PREFIX if prefixed else ""
    try:
        own = read_key_store(settings)
        if own is None or own.key is None:
            raise SecurityConfigError(
                f"{where}ssl.keystore.location must name the key store of the https:// listeners",
                f"{where}ssl.keystore.location",
            )
        client_auth = str(settings.get("ssl.client.auth") or "none").strip().lower()
        if client_auth not in _CLIENT_AUTH:
            raise SecurityConfigError(
                f"{where}ssl.client.auth {client_auth} is not one of none, requested, required",
                f"{where}ssl.client.auth",
            )
        ca = read_trust_store(settings) if client_auth != "none" else None
    except SecurityConfigError as e:
        if str(e).startswith(where + (e.key or "")) and where:
            raise
        raise _keyed(e, prefixed) from None
    if client_auth != "none" and ca is None:
        raise SecurityConfigError(
            f"{where}ssl.client.auth={client_auth} needs {where}ssl.truststore.location (the CAs "
            "that sign client certificates)",
            f"{where}ssl.truststore.location",
        )
    files = private_files()
    keyfile, password = files.write_key(own.key)
    return RestTls(
        certfile=files.write(own.certificates.encode(), "rest-chain.pem"),
        keyfile=keyfile,
        key_password=password,
        cert_reqs=_CLIENT_AUTH[client_auth],
        ca_certs=files.write(ca.encode(), "rest-ca.pem") if ca is not None else None,
    )


# -- the worker's own REST client -------------------------------------------------------------

_client_verify: ssl.SSLContext | bool = True


def client_ssl_context(originals: Mapping[str, Any]) -> ssl.SSLContext | None:
    """What the worker's REST client trusts and presents to other workers' HTTPS listeners
    (Kafka's ``RestClient``: the same ``listeners.https.``/``ssl.*`` settings); ``None`` when no
    trust or key store is set (the system's CAs then)."""
    from sluice.kafka.private_files import private_files

    settings = _https_settings(originals)
    ca = read_trust_store(settings)
    own = read_key_store(settings)
    if ca is None and own is None:
        return None
    context = ssl.create_default_context(cadata=ca) if ca else ssl.create_default_context()
    algorithm = str(settings.get("ssl.endpoint.identification.algorithm", "https")).strip()
    if not algorithm or algorithm.lower() == "none":
        context.check_hostname = False
    if own is not None and own.key is not None:
        files = private_files()
        keyfile, password = files.write_key(own.key)
        context.load_cert_chain(
            files.write(own.certificates.encode(), "rest-chain.pem"), keyfile, password
        )
    return context


def set_client_verify(verify: ssl.SSLContext | None) -> None:
    """Install what the worker's REST clients verify HTTPS peers with (start-up)."""
    global _client_verify
    _client_verify = True if verify is None else verify


def client_verify() -> ssl.SSLContext | bool:
    """httpx's ``verify`` for requests to other workers."""
    return _client_verify


# -- basic authentication ---------------------------------------------------------------------


@dataclass(frozen=True)
class BasicAuth:
    """The users of a ``PropertyFileLoginModule`` file (user=password lines)."""

    users: Mapping[str, str] = field(repr=False)
    source: str = ""

    def allows(self, authorization: str | None) -> bool:
        """Kafka's ``JaasBasicAuthFilter`` and ``PropertyFileLoginModule.login``."""
        if not self.users:
            return True  # Kafka: an empty file lets every request through
        username, password = _credentials(authorization)
        if username is None or password is None:
            return False
        return self.users.get(username) == password


def _credentials(header: str | None) -> tuple[str | None, str | None]:
    if header is None:
        return None, None
    space = header.find(" ")
    if space <= 0 or header[:space].lower() != "basic":
        return None, None
    try:
        decoded = base64.b64decode(header[space + 1 :].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    colon = decoded.find(":")
    if colon <= 0:
        return None, None
    return decoded[:colon], decoded[colon + 1 :]


def basic_auth(originals: Mapping[str, Any]) -> BasicAuth | None:
    """The basic authentication ``rest.extension.classes`` asks for, ``None`` when it names no
    extension; raises :class:`SecurityConfigError` naming the setting when it cannot be set up
    (another extension class, no JAAS file or section, an unreadable users file)."""
    from sluice.runtime.config_files import ConfigFileError, parse_properties

    classes = [
        c.strip()
        for c in str(originals.get("rest.extension.classes") or "").split(",")
        if c.strip()
    ]
    if not classes:
        return None
    others = [
        c for c in classes if c not in (BASIC_AUTH_EXTENSION, "BasicAuthSecurityRestExtension")
    ]
    if others:
        raise SecurityConfigError(
            f"rest.extension.classes: {', '.join(others)} is not supported (sluice provides "
            f"{BASIC_AUTH_EXTENSION} only)",
            "rest.extension.classes",
        )
    path, sections = static_jaas_sections(originals)
    if not path:
        raise SecurityConfigError(
            "rest.extension.classes names BasicAuthSecurityRestExtension, which needs a JAAS "
            "file with a KafkaConnect section: set sluice.jaas.config.file, or pass "
            "-Djava.security.auth.login.config=<file> in KAFKA_OPTS",
            "rest.extension.classes",
        )
    modules = sections.get("KafkaConnect") or []
    if not modules:
        raise SecurityConfigError(
            f"rest.extension.classes: the JAAS file {path} has no KafkaConnect section "
            "(BasicAuthSecurityRestExtension "
            "reads it)",
            "rest.extension.classes",
        )
    if len(modules) != 1 or modules[0].name != PROPERTY_FILE_MODULE:
        raise SecurityConfigError(
            f"rest.extension.classes: the KafkaConnect section of {path} must hold one "
            f"{PROPERTY_FILE_MODULE} entry "
            "(sluice supports that login module only)",
            "rest.extension.classes",
        )
    users_file = modules[0].options.get("file", "").strip()
    if not users_file:
        raise SecurityConfigError(
            f"rest.extension.classes: the KafkaConnect section of {path}: Property Credentials "
            "file must be specified "
            '(file="...")',
            "rest.extension.classes",
        )
    try:
        text = Path(users_file).read_bytes().decode("latin-1")
        users = parse_properties(text, users_file)
    except OSError as e:
        raise SecurityConfigError(
            f"rest.extension.classes: the users file {users_file} (KafkaConnect section of "
            f"{path}) cannot be read: "
            f"{e.strerror}",
            "rest.extension.classes",
        ) from None
    except ConfigFileError as e:
        raise SecurityConfigError(
            f"rest.extension.classes: the users file {users_file} does not parse: {e}",
            "rest.extension.classes",
        ) from None
    if not users:
        log.warning(
            "Credential properties file '%s' is empty; all requests will be permitted", users_file
        )
    return BasicAuth(users, users_file)


class BasicAuthMiddleware:
    """Answers 401 to requests without valid credentials, except the internal endpoints."""

    def __init__(self, app: ASGIApp, auth: BasicAuth) -> None:
        self.app = app
        self.auth = auth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._internal(scope):
            await self.app(scope, receive, send)
            return
        header = None
        for name, value in scope.get("headers", ()):
            if name == b"authorization":
                header = value.decode("latin-1")
                break
        if self.auth.allows(header):
            await self.app(scope, receive, send)
            return
        log.debug("Request failed authentication")
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(UNAUTHORIZED_BODY)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": UNAUTHORIZED_BODY})

    @staticmethod
    def _internal(scope: Scope) -> bool:
        method, path = scope.get("method", ""), scope.get("path", "")
        return any(method == m and pattern.fullmatch(path) for m, pattern in _INTERNAL)
