"""Certificates for unit tests, made in memory with ``cryptography`` (fast; the integration
tests make theirs with ``keytool``, as operators do)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

import jks
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    NoEncryption,
    PrivateFormat,
    pkcs12,
)
from cryptography.x509.oid import NameOID

PASSWORD = "store-secret"


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(
    subject: str, key: ec.EllipticCurvePrivateKey, issuer: str, signer: ec.EllipticCurvePrivateKey
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
    )
    if subject == issuer:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
    return builder.sign(signer, hashes.SHA256())


@dataclass(frozen=True)
class UnitPki:
    ca: x509.Certificate
    leaf: x509.Certificate
    ca_pem: Path
    key_pem_encrypted: Path
    """The leaf's key encrypted with PASSWORD, then its certificate and the CA's."""
    truststore_jks: Path
    truststore_p12: Path
    keystore_jks: Path
    keystore_p12: Path


def make_unit_pki(folder: Path) -> UnitPki:
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _cert("unit-ca", ca_key, "unit-ca", ca_key)
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = _cert("localhost", key, "unit-ca", ca_key)
    ca_pem = folder / "ca.pem"
    ca_pem.write_bytes(ca.public_bytes(Encoding.PEM))
    encrypted = key.private_bytes(
        Encoding.PEM, PrivateFormat.PKCS8, BestAvailableEncryption(PASSWORD.encode())
    )
    key_pem = folder / "key.pem"
    key_pem.write_bytes(encrypted + leaf.public_bytes(Encoding.PEM) + ca.public_bytes(Encoding.PEM))
    ca_der = ca.public_bytes(Encoding.DER)
    trusted = jks.TrustedCertEntry.new("ca", ca_der)
    truststore_jks = folder / "truststore.jks"
    jks.KeyStore.new("jks", [trusted]).save(str(truststore_jks), PASSWORD)
    pkcs8 = key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
    entry = jks.PrivateKeyEntry.new("me", [leaf.public_bytes(Encoding.DER), ca_der], pkcs8)
    entry.encrypt(PASSWORD)
    keystore_jks = folder / "keystore.jks"
    jks.KeyStore.new("jks", [entry]).save(str(keystore_jks), PASSWORD)
    enc = BestAvailableEncryption(PASSWORD.encode())
    truststore_p12 = folder / "truststore.p12"
    truststore_p12.write_bytes(pkcs12.serialize_key_and_certificates(None, None, None, [ca], enc))
    keystore_p12 = folder / "keystore.p12"
    keystore_p12.write_bytes(pkcs12.serialize_key_and_certificates(b"me", key, leaf, [ca], enc))
    return UnitPki(
        ca, leaf, ca_pem, key_pem, truststore_jks, truststore_p12, keystore_jks, keystore_p12
    )
