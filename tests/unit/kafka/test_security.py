"""Java client security settings translated for librdkafka and kafka-python."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sluice.api.config import Password
from sluice.kafka.client_config import to_librdkafka
from sluice.kafka.security import (
    SecurityConfigError,
    kafka_python_security,
    librdkafka_security,
    read_key_store,
    read_trust_store,
)
from tests.unit.kafka.pki import PASSWORD, UnitPki, make_unit_pki

SCRAM = "org.apache.kafka.common.security.scram.ScramLoginModule"
PLAIN = "org.apache.kafka.common.security.plain.PlainLoginModule"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> UnitPki:
    return make_unit_pki(tmp_path_factory.mktemp("pki"))


def sasl_ssl(pki: UnitPki, **extra: str) -> dict[str, str]:
    return {
        "bootstrap.servers": "broker:9093",
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.jaas.config": f'{SCRAM} required username="alice" password="a\\"b";',
        "ssl.truststore.location": str(pki.truststore_jks),
        "ssl.truststore.password": PASSWORD,
        **extra,
    }


def test_sasl_ssl_with_a_jks_trust_store_for_librdkafka(pki: UnitPki) -> None:
    out = to_librdkafka(sasl_ssl(pki, **{"ssl.endpoint.identification.algorithm": ""}))
    assert out["security.protocol"] == "SASL_SSL"
    assert (out["sasl.mechanisms"], out["sasl.username"], out["sasl.password"]) == (
        "SCRAM-SHA-512",
        "alice",
        'a"b',
    )
    assert out["ssl.ca.pem"] == pki.ca_pem.read_text()
    assert out["ssl.endpoint.identification.algorithm"] == "none"
    java_only = {"sasl.mechanism", "sasl.jaas.config", "ssl.truststore.location"}
    assert not java_only & set(out)
    assert to_librdkafka(out) == out  # idempotent: clients built twice over stay the same


@pytest.mark.parametrize("kind", ["JKS", "PKCS12"])
def test_key_stores_become_pem_in_memory(pki: UnitPki, kind: str) -> None:
    location = pki.keystore_jks if kind == "JKS" else pki.keystore_p12
    out = librdkafka_security(
        {
            "security.protocol": "SSL",
            "ssl.keystore.location": str(location),
            "ssl.keystore.type": kind,
            "ssl.keystore.password": PASSWORD,
            "ssl.key.password": Password(PASSWORD),
            "ssl.truststore.location": str(pki.truststore_p12),
            "ssl.truststore.type": "PKCS12",
            "ssl.truststore.password": PASSWORD,
        }
    )
    assert out["ssl.certificate.pem"].count("BEGIN CERTIFICATE") == 2  # the chain
    assert out["ssl.key.pem"].startswith("-----BEGIN PRIVATE KEY-----")
    assert "ssl.key.password" not in out and "ssl.keystore.password" not in out


def test_a_pem_key_store_with_an_encrypted_key(pki: UnitPki) -> None:
    props = {
        "ssl.keystore.type": "PEM",
        "ssl.keystore.location": str(pki.key_pem_encrypted),
        "ssl.key.password": PASSWORD,
    }
    material = read_key_store(props)
    assert material is not None and material.key is not None
    assert "ENCRYPTED" not in material.key
    with pytest.raises(SecurityConfigError) as e:
        read_key_store({**props, "ssl.key.password": "wrong"})
    assert e.value.key == "ssl.key.password"


def test_kafka_python_gets_private_files(pki: UnitPki) -> None:
    out = kafka_python_security(
        sasl_ssl(
            pki,
            **{
                "ssl.keystore.location": str(pki.keystore_p12),
                "ssl.keystore.password": PASSWORD,
                "sasl.mechanism": "PLAIN",
                "sasl.jaas.config": f"{PLAIN} required username=bob password='p w';",
            },
        )
    )
    assert (out["sasl_mechanism"], out["sasl_plain_username"], out["sasl_plain_password"]) == (
        "PLAIN",
        "bob",
        "p w",
    )
    folder = Path(out["ssl_cafile"]).parent
    assert os.stat(folder).st_mode & 0o777 == 0o700
    for key in ("ssl_cafile", "ssl_certfile", "ssl_keyfile"):
        assert os.stat(out[key]).st_mode & 0o777 == 0o600
    assert b"ENCRYPTED PRIVATE KEY" in Path(out["ssl_keyfile"]).read_bytes()


def test_librdkafka_names_still_work() -> None:
    props = {
        "security.protocol": "sasl_plaintext",
        "sasl.mechanisms": "PLAIN",
        "sasl.username": "u",
        "sasl.password": "p",
        "ssl.ca.location": "/etc/ca.pem",
    }
    out = librdkafka_security(props)
    assert out == {**props, "security.protocol": "SASL_PLAINTEXT"}


def test_security_settings_of_a_plaintext_client_are_not_read() -> None:
    # The worker's top-level ssl.* may be the REST server's; a PLAINTEXT client ignores them.
    out = librdkafka_security({"ssl.keystore.location": "/no/such.jks", "bootstrap.servers": "b"})
    assert out == {"bootstrap.servers": "b"}


def test_a_jaas_file_client_section(tmp_path: Path) -> None:
    jaas = tmp_path / "jaas.conf"
    jaas.write_text(f'KafkaClient {{ {SCRAM} required username="c" password="d"; }};')
    out = librdkafka_security(
        {
            "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanism": "SCRAM-SHA-256",
            "sluice.jaas.config.file": str(jaas),
        }
    )
    assert (out["sasl.username"], out["sasl.password"]) == ("c", "d")
    assert "sluice.jaas.config.file" not in out


@pytest.mark.parametrize(
    ("change", "key", "words"),
    [
        ({"ssl.truststore.password": "wrong"}, "ssl.truststore.password", "password"),
        ({"ssl.truststore.type": "PEM"}, "ssl.truststore.type", "not a PEM file"),
        ({"ssl.truststore.type": "BKS"}, "ssl.truststore.type", "not supported"),
        ({"ssl.truststore.location": "/no/t.jks"}, "ssl.truststore.location", "cannot read"),
        ({"sasl.jaas.config": f"{SCRAM} required username=alice"}, "sasl.jaas.config", "parse"),
        ({"sasl.jaas.config": "com.example.Custom required;"}, "sasl.jaas.config", "supported"),
        ({"sasl.jaas.config": f"{SCRAM} required;"}, "sasl.jaas.config", "username"),
        ({"sasl.mechanism": "GSSAPI"}, "sasl.mechanism", "Kerberos"),
        ({"sasl.mechanism": "OAUTHBEARER"}, "sasl.mechanism", "OAUTHBEARER"),
        ({"sasl.mechanism": "DIGEST-MD5"}, "sasl.mechanism", "not supported"),
        (
            {"sasl.login.callback.handler.class": "com.example.Handler"},
            "sasl.login.callback.handler.class",
            "Java code",
        ),
        ({"security.protocol": "TLS"}, "security.protocol", "not one of"),
        ({"ssl.endpoint.identification.algorithm": "ldap"}, "ssl.endpoint", "not supported"),
    ],
)
def test_what_cannot_be_honoured_is_refused_naming_the_setting(
    pki: UnitPki, change: dict[str, str], key: str, words: str
) -> None:
    props = sasl_ssl(pki, **change)
    for translate in (librdkafka_security, kafka_python_security):
        with pytest.raises(SecurityConfigError, match=words) as e:
            translate(props)
        assert e.value.key is not None and e.value.key.startswith(key)
        assert 'a"b' not in str(e.value) and PASSWORD not in str(e.value)


def test_a_trust_store_without_password_is_read_unchecked(pki: UnitPki) -> None:
    assert read_trust_store({"ssl.truststore.location": str(pki.truststore_jks)})
