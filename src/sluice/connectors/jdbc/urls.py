"""``connection.url`` as users write it for the Confluent connector, turned into a SQLAlchemy URL.

Configs written for Kafka Connect carry JDBC URLs (``jdbc:mysql://host:3306/db?useSSL=false``);
sluice talks to the same databases through Python drivers, so the URL is translated: the scheme
picks the driver (psycopg 3, PyMySQL, the standard ``sqlite3``), host, port and database carry
over, and the handful of driver properties with a Python equivalent (``user``, ``password``,
``currentSchema``, ``sslmode``) are mapped; JDBC-only tuning properties are dropped. SQLAlchemy URLs
are accepted as they are, with the driver forced to the one sluice ships with.
"""

from __future__ import annotations

import enum
import urllib.parse
from dataclasses import dataclass

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from sluice.api import ConfigError

__all__ = ["DatabaseKind", "DatabaseUrl", "parse_connection_url"]

URL_KEY = "connection.url"


class DatabaseKind(enum.Enum):
    POSTGRESQL = "postgresql"
    MYSQL = "mysql"
    """MySQL and MariaDB: one dialect, one driver (PyMySQL)."""
    SQLITE = "sqlite"


@dataclass(frozen=True)
class DatabaseUrl:
    """A parsed connection URL: which database family, and the URL SQLAlchemy connects with."""

    kind: DatabaseKind
    url: URL
    mariadb: bool = False
    """True when the URL said ``mariadb`` (the dialect is the same; logs and docs differ)."""

    @property
    def database(self) -> str | None:
        return self.url.database

    def safe(self) -> str:
        """The URL with the password hidden, for logs and error messages."""
        return self.url.render_as_string(hide_password=True)


_DRIVERS = {
    DatabaseKind.POSTGRESQL: "postgresql+psycopg",
    DatabaseKind.MYSQL: "mysql+pymysql",
    DatabaseKind.SQLITE: "sqlite",
}

_JDBC_SCHEMES = {
    "postgresql": DatabaseKind.POSTGRESQL,
    "postgres": DatabaseKind.POSTGRESQL,
    "mysql": DatabaseKind.MYSQL,
    "mariadb": DatabaseKind.MYSQL,
    "sqlite": DatabaseKind.SQLITE,
}

_DEFAULT_PORTS = {DatabaseKind.POSTGRESQL: 5432, DatabaseKind.MYSQL: 3306}

_SQLALCHEMY_BACKENDS = {
    "postgresql": DatabaseKind.POSTGRESQL,
    "postgres": DatabaseKind.POSTGRESQL,
    "mysql": DatabaseKind.MYSQL,
    "mariadb": DatabaseKind.MYSQL,
    "sqlite": DatabaseKind.SQLITE,
}


def _bad(url: str, reason: str) -> ConfigError:
    shown = _hide_password(url)
    return ConfigError.invalid(URL_KEY, shown, reason)


def _hide_password(url: str) -> str:
    """``url`` with any ``password=`` property or ``user:pw@`` part masked."""
    head, sep, query = url.partition("?")
    if "@" in head and "://" in head:
        scheme, rest = head.split("://", 1)
        auth, at, host = rest.rpartition("@")
        if ":" in auth:
            head = f"{scheme}://{auth.split(':', 1)[0]}:***{at}{host}"
    if sep:
        parts = []
        for item in query.replace(";", "&").split("&"):
            key = item.split("=", 1)[0]
            parts.append(f"{key}=***" if key.lower() == "password" else item)
        query = "&".join(parts)
    return head + sep + query


def parse_connection_url(
    url: str, user: str | None = None, password: str | None = None
) -> DatabaseUrl:
    """Translate a JDBC or SQLAlchemy URL; ``user``/``password`` override those in the URL."""
    text = (url or "").strip()
    if not text:
        raise _bad(text, "connection.url must be set (a jdbc: or SQLAlchemy URL)")
    parsed = _from_jdbc(text) if text.lower().startswith("jdbc:") else _from_sqlalchemy(text)
    if parsed.kind is not DatabaseKind.SQLITE:
        overrides: dict[str, str] = {}
        if user:
            overrides["username"] = user
        if password:
            overrides["password"] = password
        if overrides:
            parsed = DatabaseUrl(parsed.kind, parsed.url.set(**overrides), parsed.mariadb)  # type: ignore[arg-type]
    return parsed


def _from_sqlalchemy(text: str) -> DatabaseUrl:
    try:
        url = make_url(text)
    except ArgumentError as e:
        raise _bad(text, f"not a JDBC URL (jdbc:...) nor a SQLAlchemy URL: {e}") from None
    backend = url.get_backend_name()
    kind = _SQLALCHEMY_BACKENDS.get(backend)
    if kind is None:
        raise _bad(
            text,
            f"unsupported database '{backend}' (supported: PostgreSQL, MySQL, MariaDB, SQLite)",
        )
    return DatabaseUrl(kind, url.set(drivername=_DRIVERS[kind]), backend == "mariadb")


def _from_jdbc(text: str) -> DatabaseUrl:
    rest = text[len("jdbc:") :]
    scheme, colon, tail = rest.partition(":")
    kind = _JDBC_SCHEMES.get(scheme.lower())
    if kind is None or not colon:
        raise _bad(
            text,
            f"unsupported JDBC subprotocol '{scheme}' "
            "(supported: postgresql, mysql, mariadb, sqlite)",
        )
    if kind is DatabaseKind.SQLITE:
        return DatabaseUrl(kind, _sqlite_url(text, tail))
    if not tail.startswith("//"):
        if kind is DatabaseKind.POSTGRESQL and tail and "/" not in tail:
            tail = "///" + tail  # jdbc:postgresql:dbname means localhost
        else:
            raise _bad(text, f"expected jdbc:{scheme}://host[:port]/database")
    authority_and_path, _, query = tail[2:].partition("?")
    authority, _, path = authority_and_path.partition("/")
    props = _properties(query, semicolons=kind is DatabaseKind.MYSQL)
    user, password = props.pop("user", None), props.pop("password", None)
    if "@" in authority:  # jdbc:mysql://user:pw@host/db is accepted by MySQL's driver
        auth, authority = authority.rsplit("@", 1)
        name, _, secret = auth.partition(":")
        user = user or urllib.parse.unquote(name)
        password = password or (urllib.parse.unquote(secret) if secret else None)
    host, port = _first_host(text, authority, kind)
    database = urllib.parse.unquote(path.strip("/")) or None
    query_args: dict[str, str] = {}
    if kind is DatabaseKind.POSTGRESQL:
        schema = props.get("currentSchema") or props.get("currentschema")
        if schema:
            query_args["options"] = f"-csearch_path={schema}"
        if "sslmode" in props:
            query_args["sslmode"] = props["sslmode"]
        elif props.get("ssl", "").lower() == "true":
            query_args["sslmode"] = "require"
        if "ApplicationName" in props:
            query_args["application_name"] = props["ApplicationName"]
    url = URL.create(
        _DRIVERS[kind],
        username=user,
        password=password,
        host=host or "localhost",
        port=port or _DEFAULT_PORTS[kind],
        database=database,
        query=query_args,
    )
    return DatabaseUrl(kind, url, scheme.lower() == "mariadb")


def _properties(query: str, semicolons: bool) -> dict[str, str]:
    if not query:
        return {}
    text = query.replace(";", "&") if semicolons else query
    out: dict[str, str] = {}
    for item in text.split("&"):
        if not item:
            continue
        key, _, value = item.partition("=")
        out[urllib.parse.unquote(key)] = urllib.parse.unquote(value)
    return out


def _first_host(text: str, authority: str, kind: DatabaseKind) -> tuple[str | None, int | None]:
    """The first host of a (possibly multi-host) authority; failover lists keep their first."""
    first = authority.split(",", 1)[0].strip()
    if not first:
        return None, None
    if first.startswith("["):  # IPv6 literal
        end = first.find("]")
        host = first[1:end]
        port_text = first[end + 2 :] if first[end + 1 : end + 2] == ":" else ""
    else:
        host, _, port_text = first.partition(":")
    port: int | None = None
    if port_text:
        try:
            port = int(port_text)
        except ValueError:
            raise _bad(text, f"port '{port_text}' is not a number") from None
        if not 0 < port < 65536:
            raise _bad(text, f"port {port} is out of range")
    return host or None, port


def _sqlite_url(text: str, tail: str) -> URL:
    """``jdbc:sqlite:path``, ``jdbc:sqlite:file:path?...`` or ``jdbc:sqlite::memory:``."""
    path = tail
    if path.startswith("file:"):
        path = path[len("file:") :]
        if path.startswith("//"):
            path = path[2:]
    path = path.split("?", 1)[0]
    if path in ("", ":memory:"):
        return URL.create("sqlite")  # no database: SQLAlchemy's in-memory SQLite
    return URL.create("sqlite", database=urllib.parse.unquote(path))
