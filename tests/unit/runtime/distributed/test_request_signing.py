"""KIP-507 signatures: what a leader accepts and the errors Kafka Connect answers with."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from sluice.runtime.distributed.request_signing import (
    SIGNATURE_ALGORITHM_HEADER,
    SIGNATURE_HEADER,
    generate_key,
    signature_from_headers,
    signature_headers,
    verify,
)
from sluice.runtime.herder import BadRequestError, ForbiddenError, ServiceUnavailableError

BODY = b'[{"connector.class":"FileStreamSource","task.class":"x"}]'


def test_a_signed_body_verifies_and_is_a_plain_hmac() -> None:
    key = generate_key("HmacSHA256")
    assert len(key.key) == 32 and key.algorithm == "HmacSHA256"
    headers = signature_headers(key, "HmacSHA256", BODY)
    expected = hmac.new(key.key, BODY, hashlib.sha256).digest()
    assert base64.b64decode(headers[SIGNATURE_HEADER]) == expected
    assert headers[SIGNATURE_ALGORITHM_HEADER] == "HmacSHA256"
    signature = signature_from_headers(BODY, {k.lower(): v for k, v in headers.items()})
    verify(signature, key, ["HmacSHA256"])


def test_a_changed_body_or_another_key_is_forbidden() -> None:
    key = generate_key("HmacSHA256")
    headers = signature_headers(key, "HmacSHA256", BODY)
    tampered = signature_from_headers(BODY + b" ", headers)
    with pytest.raises(ForbiddenError, match="invalid signature"):
        verify(tampered, key, ["HmacSHA256"])
    with pytest.raises(ForbiddenError):
        verify(signature_from_headers(BODY, headers), generate_key("HmacSHA256"), ["HmacSHA256"])


def test_missing_signature_unknown_algorithm_and_no_key_yet() -> None:
    key = generate_key("HmacSHA256")
    assert signature_from_headers(BODY, {}) is None
    with pytest.raises(BadRequestError, match="missing required signature"):
        verify(None, key, ["HmacSHA256"])
    signed = signature_from_headers(BODY, signature_headers(key, "HmacSHA512", BODY))
    with pytest.raises(BadRequestError, match="does not support the 'HmacSHA512'"):
        verify(signed, key, ["HmacSHA256"])
    with pytest.raises(ServiceUnavailableError, match="session key"):
        verify(signed, None, ["HmacSHA512"])
    with pytest.raises(BadRequestError, match="not available"):
        signature_from_headers(
            BODY, {SIGNATURE_HEADER: "AAAA", SIGNATURE_ALGORITHM_HEADER: "HmacMD5"}
        )
    with pytest.raises(BadRequestError, match="Invalid request signature"):
        signature_from_headers(
            BODY, {SIGNATURE_HEADER: "not base64!", SIGNATURE_ALGORITHM_HEADER: "HmacSHA256"}
        )


def test_key_sizes_follow_the_algorithm_or_the_setting() -> None:
    assert len(generate_key("HmacSHA512").key) == 64
    assert len(generate_key("HmacSHA256", 128).key) == 16
