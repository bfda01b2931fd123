"""The stock validators: messages and ``str()`` renderings exactly as Kafka's ``ConfigDef``
validators produce them (kafka-clients 4.1.1); ``str()`` is what docs and the REST API show under
"Valid Values"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from sluice.api import (
    CaseInsensitiveValidString,
    ConfigError,
    NonEmptyString,
    NonNullValidator,
    Range,
    ValidList,
    ValidString,
)


def _message(validator: Callable[[str, Any], None], value: Any, name: str = "k") -> str:
    with pytest.raises(ConfigError) as exc:
        validator(name, value)
    assert exc.value.key == name
    return str(exc.value)


# --- Range -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("validator", "text"),
    [
        (Range.at_least(1), "[1,...]"),
        (Range.at_least(1.5), "[1.5,...]"),
        (Range.between(1, 5), "[1,...,5]"),
        (Range.between(0.0, 1.0), "[0.0,...,1.0]"),
        (Range(max=10), "[...,10]"),
        (Range(), "[...]"),
    ],
)
def test_range_str(validator: Range, text: str) -> None:
    assert str(validator) == text


def test_range_bounds_are_inclusive() -> None:
    r = Range.between(1, 5)
    for ok in (1, 3, 5, 1.0, 5.0):
        r("k", ok)
    Range()("k", -(10**30))


def test_range_messages() -> None:
    assert _message(Range.between(1, 5), 0) == (
        "Invalid value 0 for configuration k: Value must be at least 1"
    )
    assert _message(Range.between(1, 5), 6) == (
        "Invalid value 6 for configuration k: Value must be no more than 5"
    )
    assert _message(Range.between(0.0, 1.0), 1.5) == (
        "Invalid value 1.5 for configuration k: Value must be no more than 1.0"
    )
    assert _message(Range.at_least(0), -1, "tasks.max") == (
        "Invalid value -1 for configuration tasks.max: Value must be at least 0"
    )


def test_range_rejects_null() -> None:
    assert _message(Range.at_least(1), None) == (
        "Invalid value null for configuration k: Value must be non-null"
    )


# --- ValidString -------------------------------------------------------------------------------


def test_valid_string() -> None:
    v = ValidString("a", "b")
    v("k", "a")
    v("k", "b")
    assert str(v) == "[a, b]"
    assert str(ValidString.in_("x")) == "[x]"
    assert _message(v, "c") == "Invalid value c for configuration k: String must be one of: a, b"
    assert _message(v, "A") == "Invalid value A for configuration k: String must be one of: a, b"
    assert _message(v, None) == (
        "Invalid value null for configuration k: String must be one of: a, b"
    )


# --- CaseInsensitiveValidString ------------------------------------------------------------------


def test_case_insensitive_valid_string_accepts_any_case() -> None:
    v = CaseInsensitiveValidString("none", "all")
    for ok in ("none", "NONE", "All", "aLL"):
        v("k", ok)


@pytest.mark.parametrize(
    ("valid", "listed"),
    [
        # Kafka lists the upper-cased values in java.util.HashSet order, not as defined.
        (("none", "all"), "ALL, NONE"),
        (("none", "restart"), "RESTART, NONE"),
        (("requested", "required"), "REQUIRED, REQUESTED"),
        (("poll", "interval", "connector"), "INTERVAL, POLL, CONNECTOR"),
        (("V1", "V2"), "V1, V2"),
        (("BASE64", "NUMERIC"), "NUMERIC, BASE64"),
        (("x", "X", "y"), "X, Y"),
        (tuple("abcdefghijklmnopq"), "A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P, Q"),
        (
            (
                "zeta",
                "Alpha",
                "gamma",
                "delta",
                "EPSILON",
                "eta",
                "theta",
                "iota",
                "kappa",
                "lambda",
                "mu",
                "nu",
                "xi",
                "omicron",
            ),
            "GAMMA, DELTA, NU, MU, ALPHA, OMICRON, EPSILON, LAMBDA, ZETA, IOTA, XI, ETA, KAPPA, "
            "THETA",
        ),
        (("ünïcode", "日本", "emoji😀"), "ÜNÏCODE, EMOJI😀, 日本"),
    ],
)
def test_case_insensitive_valid_string_renders_as_kafka(
    valid: tuple[str, ...], listed: str
) -> None:
    v = CaseInsensitiveValidString(*valid)
    assert str(v) == f"(case insensitive) [{listed}]"
    assert _message(v, "nope") == (
        f"Invalid value nope for configuration k: String must be one of (case insensitive): "
        f"{listed}"
    )


def test_case_insensitive_valid_string_rejects_null() -> None:
    assert _message(CaseInsensitiveValidString("none", "all"), None) == (
        "Invalid value null for configuration k: String must be one of (case insensitive): "
        "ALL, NONE"
    )


# --- ValidList ---------------------------------------------------------------------------------


def test_valid_list() -> None:
    v = ValidList("a", "b")
    v("k", ["a", "b", "a"])
    v("k", [])  # an empty list passes, as in Kafka
    assert str(v) == "[a, b]"
    # The error names the offending element, not the whole list.
    assert _message(v, ["a", "c"]) == (
        "Invalid value c for configuration k: String must be one of: a, b"
    )


def test_valid_list_can_refuse_empty_lists() -> None:
    v = ValidList("a", allow_empty=False)
    v("k", ["a"])
    assert _message(v, []) == "Invalid value [] for configuration k: Empty list is not allowed"


# --- NonEmptyString / NonNullValidator ---------------------------------------------------------


def test_non_empty_string() -> None:
    v = NonEmptyString()
    v("k", "x")
    v("k", " ")
    v("k", None)  # Kafka's NonEmptyString lets null through: "missing" is reported elsewhere
    assert _message(v, "") == "Invalid value  for configuration k: String must be non-empty"
    assert str(v) == "non-empty string"


def test_non_null_validator() -> None:
    v = NonNullValidator()
    v("k", "")
    v("k", 0)
    assert _message(v, None) == "Invalid value null for configuration k: entry must be non null"
    assert str(v) == "non-null string"


# --- ConfigError -------------------------------------------------------------------------------


def test_config_error_invalid_builds_kafkas_message() -> None:
    e = ConfigError.invalid("k", "v", "because")
    assert str(e) == "Invalid value v for configuration k: because"
    assert (e.key, e.value) == ("k", "v")
    assert str(ConfigError.invalid("k", "v")) == "Invalid value v for configuration k"
    assert (
        str(ConfigError.invalid("k", None, "msg")) == "Invalid value null for configuration k: msg"
    )


def test_plain_config_error() -> None:
    e = ConfigError("whole config is bad")
    assert (str(e), e.key, e.value) == ("whole config is bad", None, None)
