"""Kafka's client security settings, read as a Java client reads them, for sluice's clients.

A worker file written for Kafka Connect says how to reach a secured cluster in Java's terms:
``security.protocol``, ``sasl.mechanism``, a ``sasl.jaas.config`` login-module line, and JKS,
PKCS12 or PEM trust and key stores. librdkafka understands neither JAAS lines nor Java key
stores, and kafka-python (the distributed herder's group membership) wants PEM files. This module
is the one place that turns the Java settings into what each library takes:

* :func:`librdkafka_security`: ``sasl.mechanisms``/``sasl.username``/``sasl.password`` from the
  JAAS line, the stores' certificates and key as in-memory PEM (``ssl.ca.pem``,
  ``ssl.certificate.pem``, ``ssl.key.pem``), ``ssl.endpoint.identification.algorithm`` ``none``
  for Java's empty value;
* :func:`kafka_python_security`: kafka-python's keyword arguments, the PEM in private files
  (:mod:`sluice.kafka.private_files`: a 0700 folder, 0600 files, the key encrypted with a
  password that lives only in memory, all removed at exit);
* :func:`read_key_store` / :func:`read_trust_store` for the REST server's TLS as well.

Settings librdkafka names the same way (``ssl.ca.location``, ``sasl.username``...) keep working.
What cannot be honoured (GSSAPI without a Kerberos-enabled librdkafka, OAUTHBEARER with login
callback handler classes, an SSL engine factory class) raises :class:`SecurityConfigError` naming
the setting, as do a store that does not open and a JAAS line that does not parse. No message
repeats a password or a JAAS line.
"""

from __future__ import annotations

import functools
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from sluice.api import ConfigError
from sluice.kafka.jaas import (
    JaasError,
    LoginModule,
    jaas_file_from_environment,
    parse_jaas_config,
    parse_jaas_file,
)

__all__ = [
    "JAAS_FILE_SETTING",
    "SASL_MECHANISMS",
    "SECURITY_PROTOCOLS",
    "KeyMaterial",
    "SecurityConfigError",
    "connection_settings",
    "is_security_key",
    "kafka_python_security",
    "librdkafka_security",
    "read_key_store",
    "read_trust_store",
    "set_process_jaas_file",
    "static_jaas_sections",
]

log = logging.getLogger(__name__)

SECURITY_PROTOCOLS: Final = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS: Final = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
JAAS_FILE_SETTING: Final = "sluice.jaas.config.file"
"""The worker setting naming a JAAS file (what ``-Djava.security.auth.login.config`` names for a
Java worker; ``$KAFKA_OPTS``'s is read too)."""

_PLAIN_MODULE: Final = "org.apache.kafka.common.security.plain.PlainLoginModule"
_SCRAM_MODULE: Final = "org.apache.kafka.common.security.scram.ScramLoginModule"
_OAUTH_MODULE: Final = "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule"
_KRB5_MODULE: Final = "com.sun.security.auth.module.Krb5LoginModule"

_JAVA_ONLY_SSL: Final = frozenset(
    {
        "ssl.protocol",
        "ssl.enabled.protocols",
        "ssl.provider",
        "ssl.keymanager.algorithm",
        "ssl.trustmanager.algorithm",
        "ssl.secure.random.implementation",
        "ssl.client.auth",
        "ssl.principal.mapping.rules",
        "ssl.cipher.suites",
        "ssl.allow.dn.changes",
        "ssl.allow.san.changes",
    }
)
"""Java SSL settings with no librdkafka meaning (or a server-side one): not passed on."""

_JAVA_STORE_KEYS: Final = frozenset(
    {
        "ssl.truststore.location",
        "ssl.truststore.password",
        "ssl.truststore.type",
        "ssl.truststore.certificates",
        "ssl.keystore.location",
        "ssl.keystore.password",
        "ssl.keystore.type",
        "ssl.keystore.key",
        "ssl.keystore.certificate.chain",
        "ssl.key.password",
        "ssl.endpoint.identification.algorithm",
    }
)
_REFUSED: Final = {
    "sasl.login.callback.handler.class": "login callback handler classes are Java code",
    "sasl.client.callback.handler.class": "client callback handler classes are Java code",
    "sasl.login.class": "login classes are Java code",
    "ssl.engine.factory.class": "SSL engine factory classes are Java code",
}
_NATIVE_SASL: Final = frozenset(
    {
        "sasl.mechanisms",
        "sasl.username",
        "sasl.password",
        "sasl.kerberos.service.name",
        "sasl.kerberos.principal",
        "sasl.kerberos.kinit.cmd",
        "sasl.kerberos.keytab",
        "sasl.kerberos.min.time.before.relogin",
        "sasl.oauthbearer.config",
        "sasl.oauthbearer.method",
        "sasl.oauthbearer.client.id",
        "sasl.oauthbearer.client.secret",
        "sasl.oauthbearer.scope",
        "sasl.oauthbearer.extensions",
        "sasl.oauthbearer.token.endpoint.url",
        "enable.sasl.oauthbearer.unsecure.jwt",
    }
)
"""librdkafka's own SASL settings, passed on as they are."""
_NATIVE_SSL: Final = frozenset(
    {
        "ssl.ca.location",
        "ssl.certificate.location",
        "ssl.key.location",
        "ssl.ca.pem",
        "ssl.certificate.pem",
        "ssl.key.pem",
        "ssl.crl.location",
        "ssl.curves.list",
        "ssl.sigalgs.list",
        "ssl.ca.certificate.stores",
        "ssl.engine.location",
        "ssl.engine.id",
        "ssl.providers",
    }
)
"""librdkafka's own SSL settings, passed on as they are."""


class SecurityConfigError(ConfigError):
    """A security setting that cannot be honoured; ``key`` names it, the message no secret."""


def is_security_key(key: str) -> bool:
    """``security.protocol``, ``ssl.*``, ``sasl.*``: what connects a client to a secured
    cluster."""
    return key == "security.protocol" or key.startswith(("ssl.", "sasl."))


def connection_settings(props: Mapping[str, Any]) -> dict[str, Any]:
    """The security settings among ``props`` (a worker's top-level settings, which Kafka
    Connect gives its internal and admin clients) and ``sluice.jaas.config.file``."""
    return {k: v for k, v in props.items() if is_security_key(k) or k == JAAS_FILE_SETTING}


def _text(value: Any) -> str:
    """A setting as text; a ``Password`` (whose ``str`` hides it) through its ``value()``."""
    unwrap = getattr(value, "value", None)
    return str(unwrap()) if callable(unwrap) else str(value)


def _get(props: Mapping[str, Any], key: str) -> str | None:
    value = props.get(key)
    if value is None:
        return None
    text = _text(value)
    return text if text.strip() else None


# -- JAAS ---------------------------------------------------------------------------------------


_process_jaas_file: str | None = None


def set_process_jaas_file(path: str | None) -> None:
    """The worker's ``sluice.jaas.config.file``, for every client of the process (a Java
    worker's ``java.security.auth.login.config`` is JVM-wide as well)."""
    global _process_jaas_file
    _process_jaas_file = path.strip() if path and path.strip() else None


def static_jaas_sections(props: Mapping[str, Any]) -> tuple[str, dict[str, list[LoginModule]]]:
    """The JAAS file named by ``sluice.jaas.config.file`` or ``$KAFKA_OPTS`` and its sections;
    ``("", {})`` when none is named. Raises :class:`SecurityConfigError` naming the setting
    when the file cannot be read or parsed."""
    path = _get(props, JAAS_FILE_SETTING) or _process_jaas_file
    key = JAAS_FILE_SETTING
    if path is None:
        path = jaas_file_from_environment()
        key = "KAFKA_OPTS (-Djava.security.auth.login.config)"
    if path is None:
        return "", {}
    return path, _jaas_file(path, key)


@functools.lru_cache(maxsize=16)
def _jaas_file_cached(path: str, mtime: int, key: str) -> dict[str, list[LoginModule]]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise SecurityConfigError(f"{key}: cannot read the JAAS file {path}: {e}", key) from None
    try:
        return parse_jaas_file(text)
    except JaasError as e:
        raise SecurityConfigError(f"{key}: the JAAS file {path} does not parse: {e}", key) from None


def _jaas_file(path: str, key: str) -> dict[str, list[LoginModule]]:
    try:
        mtime = os.stat(path).st_mtime_ns
    except OSError as e:
        raise SecurityConfigError(
            f"{key}: cannot read the JAAS file {path}: {e.strerror}", key
        ) from None
    return _jaas_file_cached(path, mtime, key)


def _login_module(props: Mapping[str, Any]) -> tuple[LoginModule | None, str]:
    """The client's login module and the setting it came from."""
    line = _get(props, "sasl.jaas.config")
    if line is not None:
        try:
            modules = parse_jaas_config(line)
        except JaasError as e:
            raise SecurityConfigError(
                f"sasl.jaas.config does not parse: {e} (expected, for example, "
                'org.apache.kafka.common.security.scram.ScramLoginModule required username="..." '
                'password="...";)',
                "sasl.jaas.config",
            ) from None
        if len(modules) != 1:
            raise SecurityConfigError(
                f"sasl.jaas.config holds {len(modules)} login modules; a client takes exactly one",
                "sasl.jaas.config",
            )
        return modules[0], "sasl.jaas.config"
    path, sections = static_jaas_sections(props)
    if "KafkaClient" in sections:
        modules = sections["KafkaClient"]
        if len(modules) != 1:
            raise SecurityConfigError(
                f"the KafkaClient section of the JAAS file {path} holds {len(modules)} login "
                "modules; a client takes exactly one",
                "sasl.jaas.config",
            )
        return modules[0], f"the KafkaClient section of {path}"
    return None, "sasl.jaas.config"


@dataclass(frozen=True)
class _Sasl:
    mechanism: str
    username: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)


@functools.cache
def _kerberos_available() -> bool:
    """Whether this librdkafka was built with Cyrus SASL (GSSAPI)."""
    from confluent_kafka.admin import AdminClient

    try:
        AdminClient({"builtin.features": "sasl_gssapi", "log_level": 0})
    except Exception:
        return False
    return True


def _sasl(props: Mapping[str, Any], for_librdkafka: bool) -> _Sasl:
    for key, reason in _REFUSED.items():
        if key.startswith("sasl.") and _get(props, key):
            raise SecurityConfigError(
                f"{key} is not supported: {reason}, and sluice runs none", key
            )
    mechanism_key = "sasl.mechanism" if _get(props, "sasl.mechanism") else "sasl.mechanisms"
    mechanism = (_get(props, mechanism_key) or "GSSAPI").strip().upper()  # Java's default
    if mechanism == "GSSAPI":
        if for_librdkafka and _kerberos_available():
            return _Sasl(mechanism)
        raise SecurityConfigError(
            f"sasl.mechanism {mechanism}{'' if _get(props, mechanism_key) else ' (the default)'}"
            " is not supported: Kerberos needs a librdkafka built with Cyrus SASL and a "
            "kafka-python with the gssapi module, which this installation lacks; use PLAIN, "
            "SCRAM-SHA-256 or SCRAM-SHA-512",
            "sasl.mechanism",
        )
    if mechanism == "OAUTHBEARER":
        if for_librdkafka and _get(props, "sasl.oauthbearer.method"):
            return _Sasl(mechanism)  # librdkafka's own OIDC settings, given as they are
        raise SecurityConfigError(
            "sasl.mechanism OAUTHBEARER is not supported from Java settings (its tokens come "
            "from login callback handler classes); use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512",
            "sasl.mechanism",
        )
    if mechanism not in SASL_MECHANISMS:
        raise SecurityConfigError(
            f"sasl.mechanism {mechanism} is not supported (supported: "
            f"{', '.join(SASL_MECHANISMS)})",
            "sasl.mechanism",
        )
    username = _get(props, "sasl.username")
    password = _get(props, "sasl.password")
    module: LoginModule | None = None
    source = "sasl.jaas.config"
    if _get(props, "sasl.jaas.config") or not username:
        # librdkafka's own sasl.username wins over a JAAS file, not over sasl.jaas.config
        module, source = _login_module(props)
    if module is not None:
        if module.name in (_OAUTH_MODULE, _KRB5_MODULE):
            raise SecurityConfigError(
                f"{source}: login module {module.name} does not go with sasl.mechanism {mechanism}",
                "sasl.jaas.config",
            )
        if module.name not in (_PLAIN_MODULE, _SCRAM_MODULE):
            raise SecurityConfigError(
                f"{source}: login module {module.name} is not supported (supported: "
                f"{_PLAIN_MODULE}, {_SCRAM_MODULE})",
                "sasl.jaas.config",
            )
        if module.options.get("tokenauth", "").lower() == "true":
            raise SecurityConfigError(
                f"{source}: tokenauth=true (delegation tokens) is not supported",
                "sasl.jaas.config",
            )
        username = module.options.get("username", username)
        password = module.options.get("password", password)
    if not username or password is None:
        raise SecurityConfigError(
            f"sasl.mechanism {mechanism} needs a username and a password: set sasl.jaas.config "
            f"to {_SCRAM_MODULE if mechanism.startswith('SCRAM') else _PLAIN_MODULE} required "
            'username="..." password="...";',
            "sasl.jaas.config",
        )
    return _Sasl(mechanism, username, password)


# -- stores -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyMaterial:
    """What a store holds, as PEM text: trusted certificates, or an own certificate chain and
    its private key (unencrypted PKCS#8; it never leaves memory unencrypted)."""

    certificates: str
    key: str | None = field(default=None, repr=False)


def _store_type(props: Mapping[str, Any], prefix: str) -> str:
    kind = (_get(props, f"{prefix}.type") or "JKS").strip().upper()
    if kind not in ("JKS", "JCEKS", "PKCS12", "PEM"):
        raise SecurityConfigError(
            f"{prefix}.type {kind} is not supported (supported: JKS, PKCS12, PEM)",
            f"{prefix}.type",
        )
    return kind


def _read(path: str, key: str) -> tuple[bytes, int]:
    try:
        stat = os.stat(path)
        return Path(path).read_bytes(), stat.st_mtime_ns
    except OSError as e:
        raise SecurityConfigError(f"{key}: cannot read {path}: {e.strerror}", key) from None


def _pem_certs(certs: list[Any]) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding

    blocks = [c.public_bytes(Encoding.PEM).decode("ascii") for c in certs]
    return "".join(dict.fromkeys(blocks))  # a store may hold the CA as a chain link and a trust


def _pem_key(key: Any) -> str:
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
    )

    text: str = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    return text


_PEM_KEY: Final = re.compile(
    rb"-----BEGIN ([A-Z ]*)PRIVATE KEY-----.*?-----END \1PRIVATE KEY-----", re.S
)


def _load_pem(
    data: bytes, key_password: str | None, where: str, key: str, password_key: str
) -> tuple[list[Any], Any]:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        certs = x509.load_pem_x509_certificates(data) if b"-----BEGIN CERTIFICATE" in data else []
    except ValueError:
        raise SecurityConfigError(
            f"{key}: {where} holds no readable PEM certificate", key
        ) from None
    private = None
    match = _PEM_KEY.search(data)
    if match is not None:
        try:
            private = load_pem_private_key(
                match.group(0), key_password.encode() if key_password else None
            )
        except (TypeError, ValueError):
            raise SecurityConfigError(
                f"{password_key}: the private key in {where} does not open with it "
                "(missing or wrong password?)",
                password_key,
            ) from None
    return certs, private


def _load_pkcs12(
    data: bytes, password: str | None, where: str, prefix: str
) -> tuple[list[Any], Any]:
    from cryptography.hazmat.primitives.serialization import pkcs12

    try:
        loaded = pkcs12.load_pkcs12(data, password.encode() if password else None)
    except ValueError:
        raise SecurityConfigError(
            f"{prefix}.password: {where} does not open as a PKCS12 store with this password "
            f"(wrong {prefix}.password, or not a {prefix}.type PKCS12 file?)",
            f"{prefix}.password",
        ) from None
    certs = [loaded.cert.certificate] if loaded.cert is not None else []
    certs += [c.certificate for c in loaded.additional_certs]
    return certs, loaded.key


def _load_jks(
    data: bytes, password: str | None, key_password: str | None, where: str, prefix: str
) -> tuple[list[Any], Any]:
    import jks
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import load_der_private_key

    try:
        store = jks.KeyStore.loads(data, password, try_decrypt_keys=password is not None)
    except jks.util.KeystoreSignatureException:
        raise SecurityConfigError(
            f"{prefix}.password: {where} does not open with this password (its integrity check "
            "fails)",
            f"{prefix}.password",
        ) from None
    except Exception as e:
        raise SecurityConfigError(
            f"{prefix}.location: {where} is not a readable JKS store: {e}", f"{prefix}.location"
        ) from None
    certs = [x509.load_der_x509_certificate(e.cert) for e in store.certs.values()]
    private = None
    for entry in store.private_keys.values():
        if not entry.is_decrypted():
            try:
                entry.decrypt(key_password or password or "")
            except Exception:
                raise SecurityConfigError(
                    f"ssl.key.password: the key {entry.alias!r} in {where} does not open with "
                    "it (nor with the store password)",
                    "ssl.key.password",
                ) from None
        private = load_der_private_key(entry.pkey_pkcs8, None)
        certs = [x509.load_der_x509_certificate(der) for _, der in entry.cert_chain] + certs
        break
    return certs, private


@functools.lru_cache(maxsize=32)
def _store_cached(
    path: str,
    mtime: int,
    kind: str,
    prefix: str,
    password: str | None,
    key_password: str | None,
) -> tuple[list[Any], Any]:
    data, _ = _read(path, f"{prefix}.location")
    where = f"{prefix}.location {path}"
    if kind == "PEM":
        if b"-----BEGIN" not in data:
            raise SecurityConfigError(
                f"{prefix}.type: {where} is not a PEM file (set {prefix}.type to JKS or PKCS12?)",
                f"{prefix}.type",
            )
        return _load_pem(data, key_password, where, f"{prefix}.location", "ssl.key.password")
    if b"-----BEGIN" in data[:200]:
        raise SecurityConfigError(
            f"{prefix}.type: {where} is a PEM file, not {kind} (set {prefix}.type=PEM)",
            f"{prefix}.type",
        )
    # Java 9+ reads a PKCS12 file as a JKS store and the reverse (keystore.type.compat).
    if data[:4] in (b"\xfe\xed\xfe\xed", b"\xce\xce\xce\xce"):
        return _load_jks(data, password, key_password, where, prefix)
    return _load_pkcs12(data, password, where, prefix)


def read_trust_store(props: Mapping[str, Any], prefix: str = "ssl.truststore") -> str | None:
    """The trusted certificates of ``ssl.truststore.*`` as PEM, ``None`` when none is set."""
    kind = _store_type(props, prefix)
    inline = _get(props, f"{prefix}.certificates")
    location = _get(props, f"{prefix}.location")
    if inline is not None:
        if kind != "PEM":
            raise SecurityConfigError(
                f"{prefix}.certificates needs {prefix}.type=PEM", f"{prefix}.type"
            )
        certs, _ = _load_pem(inline.encode(), None, prefix + ".certificates", prefix, prefix)
    elif location is not None:
        mtime = _read_mtime(location, f"{prefix}.location")
        certs, _ = _store_cached(
            location, mtime, kind, prefix, _get(props, f"{prefix}.password"), None
        )
    else:
        return None
    if not certs:
        raise SecurityConfigError(
            f"{prefix}.location: {location or 'it'} holds no certificate to trust",
            f"{prefix}.location",
        )
    return _pem_certs(certs)


def read_key_store(props: Mapping[str, Any], prefix: str = "ssl.keystore") -> KeyMaterial | None:
    """The own certificate chain and private key of ``ssl.keystore.*`` (with
    ``ssl.key.password``), ``None`` when no key store is set."""
    kind = _store_type(props, prefix)
    key_password = _get(props, "ssl.key.password")
    inline_key = _get(props, f"{prefix}.key")
    location = _get(props, f"{prefix}.location")
    if inline_key is not None:
        if kind != "PEM":
            raise SecurityConfigError(f"{prefix}.key needs {prefix}.type=PEM", f"{prefix}.type")
        chain = _get(props, f"{prefix}.certificate.chain") or ""
        certs, private = _load_pem(
            (inline_key + "\n" + chain).encode(),
            key_password,
            f"{prefix}.key",
            f"{prefix}.certificate.chain",
            "ssl.key.password",
        )
    elif location is not None:
        mtime = _read_mtime(location, f"{prefix}.location")
        certs, private = _store_cached(
            location, mtime, kind, prefix, _get(props, f"{prefix}.password"), key_password
        )
    else:
        return None
    if private is None or not certs:
        raise SecurityConfigError(
            f"{prefix}.location: {location or prefix + '.key'} holds no private key with its "
            "certificate",
            f"{prefix}.location",
        )
    return KeyMaterial(_pem_certs(certs), _pem_key(private))


def _read_mtime(path: str, key: str) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except OSError as e:
        raise SecurityConfigError(f"{key}: cannot read {path}: {e.strerror}", key) from None


# -- the translations ---------------------------------------------------------------------------


def _protocol(props: Mapping[str, Any]) -> str:
    protocol = (_get(props, "security.protocol") or "PLAINTEXT").strip().upper()
    if protocol not in SECURITY_PROTOCOLS:
        raise SecurityConfigError(
            f"security.protocol {protocol} is not one of {', '.join(SECURITY_PROTOCOLS)}",
            "security.protocol",
        )
    return protocol


def _hostname_check(props: Mapping[str, Any]) -> bool | None:
    if "ssl.endpoint.identification.algorithm" not in props:
        return None
    value = (_text(props["ssl.endpoint.identification.algorithm"] or "")).strip().lower()
    if value in ("", "none"):
        return False
    if value == "https":
        return True
    raise SecurityConfigError(
        f"ssl.endpoint.identification.algorithm {value} is not supported (https, or empty to "
        "turn host name verification off)",
        "ssl.endpoint.identification.algorithm",
    )


def _ssl_refusals(props: Mapping[str, Any]) -> None:
    key = "ssl.engine.factory.class"
    if _get(props, key):
        raise SecurityConfigError(
            f"{key} is not supported: {_REFUSED[key]}, and sluice runs none", key
        )


_warned: set[str] = set()


def _drop(key: str) -> None:
    if key == "ssl.cipher.suites" and key not in _warned:
        _warned.add(key)
        log.warning(
            "ssl.cipher.suites is not applied: Java's suite names are not OpenSSL's (librdkafka "
            "and kafka-python use OpenSSL's defaults)"
        )
    else:
        log.debug("Not passing the Java-only setting %s to the client", key)


def librdkafka_security(props: Mapping[str, Any]) -> dict[str, Any]:
    """``props`` with its security settings in librdkafka's terms and the rest untouched.

    Idempotent: a configuration already translated comes out the same."""
    protocol = _protocol(props)
    out: dict[str, Any] = {}
    for k, v in props.items():
        if k == JAAS_FILE_SETTING:
            continue
        if not is_security_key(k):
            out[k] = v
        elif k in _NATIVE_SASL or k in _NATIVE_SSL:
            out[k] = _text(v) if not isinstance(v, (bool, int)) else v
    if protocol != "PLAINTEXT" or "security.protocol" in props:
        out["security.protocol"] = protocol
    if protocol in ("SSL", "SASL_SSL"):
        _ssl_refusals(props)
        ca = read_trust_store(props)
        if ca is not None:
            out["ssl.ca.pem"] = ca
            out.pop("ssl.ca.location", None)
        own = read_key_store(props)
        if own is not None:
            out["ssl.certificate.pem"] = own.certificates
            out["ssl.key.pem"] = own.key
            for k in ("ssl.certificate.location", "ssl.key.location"):
                out.pop(k, None)
        elif _get(props, "ssl.key.password") and (
            "ssl.key.location" in props or "ssl.key.pem" in props
        ):
            out["ssl.key.password"] = _text(props["ssl.key.password"])  # librdkafka's own use
        check = _hostname_check(props)
        if check is not None:
            out["ssl.endpoint.identification.algorithm"] = "https" if check else "none"
    if protocol.startswith("SASL"):
        sasl = _sasl(props, for_librdkafka=True)
        out.pop("sasl.mechanism", None)
        out["sasl.mechanisms"] = sasl.mechanism
        if sasl.username is not None:
            out["sasl.username"] = sasl.username
            out["sasl.password"] = sasl.password
    for k in props:
        if is_security_key(k) and k not in out and k not in _JAVA_STORE_KEYS:
            _drop(k)
    return out


def kafka_python_security(props: Mapping[str, Any]) -> dict[str, Any]:
    """kafka-python keyword arguments for the security settings among ``props``."""
    from sluice.kafka.private_files import private_files

    protocol = _protocol(props)
    out: dict[str, Any] = {"security_protocol": protocol}
    if protocol in ("SSL", "SASL_SSL"):
        _ssl_refusals(props)
        files = private_files()
        ca = read_trust_store(props)
        if ca is None and _get(props, "ssl.ca.pem"):
            ca = _get(props, "ssl.ca.pem")
        if ca is not None:
            out["ssl_cafile"] = files.write(ca.encode(), "ca.pem")
        elif _get(props, "ssl.ca.location"):
            out["ssl_cafile"] = _get(props, "ssl.ca.location")
        own = read_key_store(props)
        if own is not None and own.key is not None:
            out["ssl_certfile"] = files.write(own.certificates.encode(), "chain.pem")
            out["ssl_keyfile"], out["ssl_password"] = files.write_key(own.key)
        else:
            for src, dst in (
                ("ssl.certificate.location", "ssl_certfile"),
                ("ssl.key.location", "ssl_keyfile"),
            ):
                if _get(props, src):
                    out[dst] = _get(props, src)
            if _get(props, "ssl.key.password"):
                out["ssl_password"] = _get(props, "ssl.key.password")
        if _get(props, "ssl.crl.location"):
            out["ssl_crlfile"] = _get(props, "ssl.crl.location")
        check = _hostname_check(props)
        if check is not None:
            out["ssl_check_hostname"] = check
    if protocol.startswith("SASL"):
        sasl = _sasl(props, for_librdkafka=False)
        out["sasl_mechanism"] = sasl.mechanism
        out["sasl_plain_username"] = sasl.username
        out["sasl_plain_password"] = sasl.password
        if _get(props, "sasl.kerberos.service.name"):
            out["sasl_kerberos_service_name"] = _get(props, "sasl.kerberos.service.name")
    return out
