"""HTTPS listeners (PKCS12/JKS key stores, mutual TLS) and Kafka's basic-auth extension."""

from __future__ import annotations

import base64
import ssl
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from sluice.kafka.security import SecurityConfigError
from sluice.rest import RestServer, create_app
from sluice.rest.security import (
    BASIC_AUTH_EXTENSION,
    BasicAuth,
    BasicAuthMiddleware,
    basic_auth,
    client_ssl_context,
    rest_tls,
)
from tests.unit.kafka.pki import PASSWORD, UnitPki, make_unit_pki
from tests.unit.rest.fake_herder import FakeHerder

MODULE = "org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> UnitPki:
    return make_unit_pki(tmp_path_factory.mktemp("pki"))


def jaas_file(folder: Path, users: str | None) -> Path:
    users_file = folder / "users.properties"
    if users is not None:
        users_file.write_text(users, encoding="latin-1")
    jaas = folder / "jaas.conf"
    jaas.write_text(f'KafkaConnect {{ {MODULE} required file="{users_file}"; }};')
    return jaas


def _app(auth: BasicAuth | None) -> TestClient:
    app = create_app(FakeHerder())
    if auth is not None:
        app.add_middleware(BasicAuthMiddleware, auth=auth)
    return TestClient(app)


def test_basic_auth_as_kafkas_filter(tmp_path: Path) -> None:
    jaas = jaas_file(tmp_path, "admin = s3cret\nbob=other\n")
    auth = basic_auth(
        {"rest.extension.classes": BASIC_AUTH_EXTENSION, "sluice.jaas.config.file": str(jaas)}
    )
    assert auth is not None
    with _app(auth) as client:
        assert client.get("/connectors", auth=("admin", "s3cret")).status_code == 200
        for credentials in (None, ("admin", "wrong"), ("nobody", "s3cret")):
            refused = client.get("/connectors", auth=credentials)
            assert refused.status_code == 401
            assert refused.text == "User cannot access the resource."
        bad = {"Authorization": "Basic " + base64.b64encode(b"no-colon").decode()}
        assert client.get("/connectors", headers=bad).status_code == 401
        assert client.get("/connectors", headers={"Authorization": "Bearer x"}).status_code == 401
        # The internal endpoints other workers call are left to request signing, as in Kafka:
        # without credentials they reach the herder (a standalone one refuses them with 400).
        internal = [client.post("/connectors/c/tasks", json=[]), client.put("/connectors/c/fence")]
        for reached in internal:
            assert reached.status_code == 400, reached.text
            assert "is an internal request between the workers" in reached.json()["message"]
    with _app(None) as client:  # no extension: no authentication
        assert client.get("/connectors").status_code == 200


def test_an_empty_users_file_lets_everyone_in(tmp_path: Path) -> None:
    jaas = jaas_file(tmp_path, "")
    auth = basic_auth(
        {"rest.extension.classes": BASIC_AUTH_EXTENSION, "sluice.jaas.config.file": str(jaas)}
    )
    assert auth is not None and auth.allows(None)


def test_kafka_opts_names_the_jaas_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    jaas = jaas_file(tmp_path, "a=b\n")
    monkeypatch.setenv("KAFKA_OPTS", f"-Djava.security.auth.login.config={jaas}")
    auth = basic_auth({"rest.extension.classes": BASIC_AUTH_EXTENSION})
    assert auth is not None and auth.users == {"a": "b"}


@pytest.mark.parametrize(
    ("props", "words"),
    [
        ({"rest.extension.classes": "com.example.Other"}, "not supported"),
        ({"rest.extension.classes": BASIC_AUTH_EXTENSION}, "needs a JAAS file"),
        ({"sluice.jaas.config.file": "/no/jaas.conf"}, "cannot read the JAAS file"),
        ({"users": None}, "cannot be read"),
    ],
)
def test_basic_auth_that_cannot_work_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, props: dict[str, str | None], words: str
) -> None:
    monkeypatch.delenv("KAFKA_OPTS", raising=False)
    settings: dict[str, str] = {"rest.extension.classes": BASIC_AUTH_EXTENSION}
    if "users" in props:
        settings["sluice.jaas.config.file"] = str(jaas_file(tmp_path, None))
    else:
        settings.update({k: v for k, v in props.items() if v is not None})
    with pytest.raises(SecurityConfigError, match=words):
        basic_auth(settings)


def test_https_with_a_pkcs12_key_store_and_required_client_certificates(pki: UnitPki) -> None:
    settings = {
        "listeners.https.ssl.keystore.location": str(pki.keystore_p12),
        "listeners.https.ssl.keystore.type": "PKCS12",
        "listeners.https.ssl.keystore.password": PASSWORD,
        "listeners.https.ssl.truststore.location": str(pki.truststore_jks),
        "listeners.https.ssl.truststore.password": PASSWORD,
        "listeners.https.ssl.client.auth": "required",
        "ssl.keystore.location": "/ignored/when/listeners.https.ssl.is/set.jks",
    }
    server = RestServer(None, ["https://127.0.0.1:0"], tls=rest_tls(settings))
    server.start(create_app(FakeHerder()))
    try:
        url = server.url.replace("127.0.0.1", "localhost")  # the certificate's name
        assert url.startswith("https://")
        with_cert = client_ssl_context(settings)  # what forwarding between workers uses
        assert with_cert is not None
        assert httpx.get(url + "connectors", verify=with_cert, timeout=10).status_code == 200
        without_cert = ssl.create_default_context(cafile=str(pki.ca_pem))
        with pytest.raises(httpx.HTTPError):
            httpx.get(url + "connectors", verify=without_cert, timeout=10)
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("settings", "key"),
    [
        ({}, "ssl.keystore.location"),
        ({"ssl.keystore.password": "wrong"}, "ssl.keystore.password"),
        ({"ssl.client.auth": "sometimes"}, "ssl.client.auth"),
        ({"ssl.client.auth": "required"}, "ssl.truststore.location"),
    ],
)
def test_https_settings_that_cannot_work_name_the_setting(
    pki: UnitPki, settings: dict[str, str], key: str
) -> None:
    props = {"ssl.keystore.location": str(pki.keystore_p12), "ssl.keystore.password": PASSWORD}
    props = {**props, **settings} if settings else {}
    with pytest.raises(SecurityConfigError) as e:
        rest_tls(props)
    assert e.value.key == key
