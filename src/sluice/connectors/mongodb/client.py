"""Connecting to MongoDB from a connector's ``connection.uri``, with errors that name it.

Both connectors validate the URI when they start (pymongo parses it without connecting) and
check that the server answers before the task reports RUNNING, so a typo or an unreachable
server shows up as a FAILED status naming ``connection.uri`` rather than as a task that waits.
"""

from __future__ import annotations

from typing import Any

from pymongo import MongoClient
from pymongo.errors import ConfigurationError, InvalidURI, PyMongoError
from pymongo.uri_parser import parse_uri

from sluice.api import ConfigError, ConnectError

__all__ = ["CONNECTION_URI", "check_uri", "connect", "pem_file", "redact"]

CONNECTION_URI = "connection.uri"
SERVER_SELECTION_TIMEOUT_MS = 10_000


def redact(uri: str) -> str:
    """The URI without its password, for messages and logs."""
    try:
        parsed = parse_uri(uri)
    except (InvalidURI, ConfigurationError, ValueError):
        return "<unparsable URI>"
    password = parsed.get("password")
    return uri.replace(f":{password}@", ":*****@") if password else uri


def check_uri(uri: str) -> None:
    """Raise :class:`ConfigError` naming ``connection.uri`` if pymongo cannot parse ``uri``."""
    try:
        parse_uri(uri)
    except (InvalidURI, ConfigurationError, ValueError) as e:
        raise ConfigError(
            f"Invalid value {redact(uri)} for configuration {CONNECTION_URI}: {e}",
            CONNECTION_URI,
            uri,
        ) from e


def connect(uri: str, **options: Any) -> MongoClient[dict[str, Any]]:
    """A client on ``uri`` whose server answered a ping; a :class:`ConnectError` otherwise."""
    check_uri(uri)
    in_uri = parse_uri(uri)["options"]  # pymongo's keyword arguments would override the URI's
    if "serverSelectionTimeoutMS" not in in_uri:
        options.setdefault("serverSelectionTimeoutMS", SERVER_SELECTION_TIMEOUT_MS)
    options.setdefault("appname", "sluice")
    client: MongoClient[dict[str, Any]] = MongoClient(uri, **options)
    try:
        client.admin.command("ping")
    except PyMongoError as e:
        client.close()
        raise ConnectError(f"Cannot reach MongoDB at {redact(uri)} ({CONNECTION_URI}): {e}") from e
    return client


def pem_file(key: str, path: str) -> str:
    """``path`` when it is a readable PEM file; a :class:`ConfigError` naming ``key`` else.

    The official connector takes Java key stores in ``connection.ssl.*``; pymongo reads PEM.
    """
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError as e:
        raise ConfigError.invalid(key, path, f"cannot read it: {e}") from None
    if b"-----BEGIN" not in head:
        raise ConfigError.invalid(
            key,
            path,
            "not a PEM file: sluice cannot read Java key stores (convert the store with keytool "
            "and openssl, or use the tlsCAFile/tlsCertificateKeyFile options of connection.uri)",
        )
    return path
