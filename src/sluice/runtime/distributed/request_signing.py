"""Signed internal requests between workers (KIP-507).

When the group runs the ``sessioned`` subprotocol, the leader writes a random session key to the
config topic and rotates it every ``inter.worker.key.ttl.ms``. A follower posting task configs to
the leader signs the request body with that key (an HMAC named by
``inter.worker.signature.algorithm``); the leader refuses unsigned or wrongly signed requests, so
only a worker that can read the config topic can hand the leader task configs.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Collection, Mapping
from typing import Final

from sluice.runtime.herder import (
    BadRequestError,
    ForbiddenError,
    InternalRequestSignature,
    ServiceUnavailableError,
)
from sluice.storage.config import SessionKey

__all__ = [
    "SIGNATURE_ALGORITHM_HEADER",
    "SIGNATURE_HEADER",
    "generate_key",
    "signature_from_headers",
    "signature_headers",
    "verify",
]

SIGNATURE_HEADER: Final = "X-Connect-Authorization"
SIGNATURE_ALGORITHM_HEADER: Final = "X-Connect-Request-Signature-Algorithm"

_DIGESTS: Final[dict[str, Callable[[], object]]] = {
    "hmacsha1": hashlib.sha1,
    "hmacsha256": hashlib.sha256,
    "hmacsha384": hashlib.sha384,
    "hmacsha512": hashlib.sha512,
}
_DEFAULT_KEY_BITS: Final = {
    "hmacsha1": 512,
    "hmacsha256": 256,
    "hmacsha384": 384,
    "hmacsha512": 512,
}


def _digest(algorithm: str) -> str:
    name = algorithm.lower()
    if name not in _DIGESTS:
        raise BadRequestError(f"Algorithm {algorithm} not available")
    return name.removeprefix("hmac")


def generate_key(algorithm: str, size_bits: int | None = None) -> SessionKey:
    """A new random session key, as Java's ``KeyGenerator`` for the algorithm makes one."""
    _digest(algorithm)
    bits = size_bits if size_bits is not None else _DEFAULT_KEY_BITS[algorithm.lower()]
    return SessionKey(secrets.token_bytes(max(1, bits // 8)), algorithm, int(time.time() * 1000))


def _sign(key: bytes, algorithm: str, body: bytes) -> bytes:
    return hmac.new(key, body, _digest(algorithm)).digest()


def signature_headers(key: SessionKey, algorithm: str, body: bytes) -> dict[str, str]:
    """The headers that sign ``body`` for the leader."""
    return {
        SIGNATURE_HEADER: base64.b64encode(_sign(key.key, algorithm, body)).decode("ascii"),
        SIGNATURE_ALGORITHM_HEADER: algorithm,
    }


def signature_from_headers(
    body: bytes, headers: Mapping[str, str]
) -> InternalRequestSignature | None:
    """The signature a request carries; ``None`` if it carries none."""
    lowered = {k.lower(): v for k, v in headers.items()}
    algorithm = lowered.get(SIGNATURE_ALGORITHM_HEADER.lower())
    encoded = lowered.get(SIGNATURE_HEADER.lower())
    if algorithm is None or encoded is None:
        return None
    _digest(algorithm)
    try:
        signature = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as e:
        raise BadRequestError(f"Invalid request signature: {e}") from e
    return InternalRequestSignature(body, algorithm, signature)


def verify(
    signature: InternalRequestSignature | None,
    key: SessionKey | None,
    allowed_algorithms: Collection[str],
) -> None:
    """Raise as Kafka Connect answers a badly signed internal request: 400, 503 or 403."""
    if signature is None:
        raise BadRequestError("Internal request missing required signature")
    if signature.algorithm.lower() not in {a.lower() for a in allowed_algorithms}:
        raise BadRequestError(
            f"This worker does not support the '{signature.algorithm}' key signing algorithm "
            f"used by other workers. This worker is currently configured to use: "
            f"[{', '.join(allowed_algorithms)}]. Check that all workers' configuration files "
            "permit the same set of signature algorithms, and correct any misconfigured worker "
            "and restart it."
        )
    if key is None:
        raise ServiceUnavailableError(
            "This worker is still starting up and has not been able to read a session key from "
            "the config topic yet"
        )
    expected = _sign(key.key, signature.algorithm, signature.body)
    if not hmac.compare_digest(expected, signature.signature):
        raise ForbiddenError("Internal request contained invalid signature.")
