"""``ConfigDef``, ``parse_type`` and ``AbstractConfig``.

Every expected message below is what Kafka's ``ConfigDef`` (kafka-clients 4.1.1) produces for the
same input; users grep their logs for these strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from sluice.api import (
    NO_DEFAULT,
    AbstractConfig,
    ConfigDef,
    ConfigError,
    ConfigKey,
    ConfigType,
    ConfigValue,
    Importance,
    NonEmptyString,
    Password,
    Range,
    Recommender,
    ValidString,
    Width,
)
from sluice.api.config import keys_in_group, parse_type, to_string


def _parse(t: ConfigType, raw: Any) -> Any:
    return ConfigDef().define("k", t).parse({"k": raw})["k"]


def _error(t: ConfigType, raw: Any) -> str:
    with pytest.raises(ConfigError) as exc:
        _parse(t, raw)
    assert exc.value.key == "k"
    return str(exc.value)


# --- parse_type --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("true", True), ("false", False), (" TRUE ", True), ("False", False), (True, True)],
)
def test_boolean(raw: Any, expected: bool) -> None:
    assert _parse(ConfigType.BOOLEAN, raw) is expected


@pytest.mark.parametrize("raw", ["yes", "1", "", "t", 1, 0.0])
def test_boolean_rejects_anything_else(raw: Any) -> None:
    assert _error(ConfigType.BOOLEAN, raw) == (
        f"Invalid value {raw} for configuration k: Expected value to be either true or false"
    )


@pytest.mark.parametrize(
    ("t", "raw", "expected"),
    [
        (ConfigType.INT, "42", 42),
        (ConfigType.INT, " 42 ", 42),
        (ConfigType.INT, "+5", 5),
        (ConfigType.INT, "-2147483648", -(2**31)),
        (ConfigType.INT, "2147483647", 2**31 - 1),
        (ConfigType.INT, 7, 7),
        (ConfigType.SHORT, "-32768", -32768),
        (ConfigType.SHORT, "32767", 32767),
        (ConfigType.LONG, "9223372036854775807", 2**63 - 1),
        (ConfigType.LONG, "-9223372036854775808", -(2**63)),
        (ConfigType.LONG, 5, 5),
    ],
)
def test_integers(t: ConfigType, raw: Any, expected: int) -> None:
    value = _parse(t, raw)
    assert value == expected
    assert type(value) is int


@pytest.mark.parametrize(
    ("t", "raw"),
    [
        (ConfigType.INT, "abc"),
        (ConfigType.INT, ""),
        (ConfigType.INT, "1.5"),
        (ConfigType.INT, "1_000"),  # Python's int() would take it, Java's parseInt does not
        (ConfigType.INT, "2147483648"),
        (ConfigType.INT, "-2147483649"),
        (ConfigType.INT, "0x10"),
        (ConfigType.SHORT, "40000"),
        (ConfigType.SHORT, "-32769"),
        (ConfigType.LONG, "x"),
        (ConfigType.LONG, "9223372036854775808"),
        (ConfigType.LONG, 2**63),
    ],
)
def test_bad_integers_are_not_a_number_of_the_type(t: ConfigType, raw: Any) -> None:
    assert (
        _error(t, raw) == f"Invalid value {raw} for configuration k: Not a number of type {t.value}"
    )


@pytest.mark.parametrize("t", [ConfigType.INT, ConfigType.SHORT, ConfigType.LONG])
def test_python_bools_are_not_integers(t: ConfigType) -> None:
    with pytest.raises(ConfigError):
        _parse(t, True)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2.5", 2.5),
        (" 2.5 ", 2.5),
        ("1", 1.0),
        ("-1e3", -1000.0),
        (".5", 0.5),
        ("5.", 5.0),
        ("Infinity", float("inf")),
        ("-Infinity", float("-inf")),
        (3, 3.0),
        (0.25, 0.25),
    ],
)
def test_double(raw: Any, expected: float) -> None:
    value = _parse(ConfigType.DOUBLE, raw)
    assert value == expected
    assert type(value) is float


def test_double_nan() -> None:
    value = _parse(ConfigType.DOUBLE, "NaN")
    assert value != value


@pytest.mark.parametrize("raw", ["x", "", "inf", "nan", "1_0", "infinity", True])
def test_bad_doubles(raw: Any) -> None:
    assert _error(ConfigType.DOUBLE, raw) == (
        f"Invalid value {str(raw).lower() if raw is True else raw} for configuration k: "
        "Not a number of type DOUBLE"
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" a, b ,c ", ["a", "b", "c"]),
        ("a", ["a"]),
        ("", []),
        ("   ", []),
        ("a,,b", ["a", "", "b"]),
        ("a,b,", ["a", "b", ""]),  # Java's split(regex, -1) keeps trailing empties
        (["x", "y"], ["x", "y"]),
        (("x",), ["x"]),
    ],
)
def test_list(raw: Any, expected: list[str]) -> None:
    assert _parse(ConfigType.LIST, raw) == expected


def test_list_rejects_other_types() -> None:
    assert _error(ConfigType.LIST, 5) == (
        "Invalid value 5 for configuration k: Expected a comma separated list."
    )


def test_string_is_trimmed() -> None:
    assert _parse(ConfigType.STRING, "  x  ") == "x"
    assert _parse(ConfigType.STRING, "") == ""


def test_string_rejects_other_types() -> None:
    assert _error(ConfigType.STRING, 5).startswith(
        "Invalid value 5 for configuration k: Expected value to be a string, but it was a "
    )


def test_password_is_trimmed_and_hidden() -> None:
    value = _parse(ConfigType.PASSWORD, " s3cret ")
    assert isinstance(value, Password)
    assert value.value() == "s3cret"
    assert str(value) == "[hidden]"
    same = Password("x")
    assert _parse(ConfigType.PASSWORD, same) is same


def test_password_rejects_other_types() -> None:
    assert "Expected value to be a string" in _error(ConfigType.PASSWORD, 5)


def test_class_accepts_names_and_classes() -> None:
    assert _parse(ConfigType.CLASS, " pkg.mod.Cls ") == "pkg.mod.Cls"
    assert _parse(ConfigType.CLASS, ConfigDef) == "sluice.api.config.ConfigDef"
    assert _error(ConfigType.CLASS, 5) == (
        "Invalid value 5 for configuration k: Expected a Class instance or class name."
    )


@pytest.mark.parametrize("t", list(ConfigType))
def test_null_parses_to_null_for_every_type(t: ConfigType) -> None:
    assert parse_type("k", None, t) is None


# --- define ------------------------------------------------------------------------------------


def test_define_chains_and_keeps_order() -> None:
    d = ConfigDef().define("b", ConfigType.INT, 1).define("a", ConfigType.STRING, "x")
    assert d.names() == ["b", "a"]


def test_defining_a_key_twice_is_an_error() -> None:
    d = ConfigDef().define("k", ConfigType.INT)
    with pytest.raises(ConfigError) as exc:
        d.define("k", ConfigType.STRING)
    assert str(exc.value) == "Configuration k is defined twice."


def test_defaults_are_parsed_at_define_time() -> None:
    d = (
        ConfigDef()
        .define("i", ConfigType.INT, "7")
        .define("l", ConfigType.LIST, "a, b")
        .define("b", ConfigType.BOOLEAN, "TRUE")
        .define("p", ConfigType.PASSWORD, "pw")
    )
    assert d.keys["i"].default == 7
    assert d.keys["l"].default == ["a", "b"]
    assert d.keys["b"].default is True
    assert d.keys["p"].default == Password("pw")


def test_unparseable_default_fails_at_define_time() -> None:
    with pytest.raises(ConfigError) as exc:
        ConfigDef().define("k", ConfigType.INT, "abc")
    assert str(exc.value) == "Invalid value abc for configuration k: Not a number of type INT"


def test_defaults_are_validated_at_define_time() -> None:
    with pytest.raises(ConfigError) as exc:
        ConfigDef().define("k", ConfigType.INT, 0, Range.at_least(1))
    assert str(exc.value) == "Invalid value 0 for configuration k: Value must be at least 1"


def test_a_null_default_is_validated_too() -> None:
    # Kafka runs the validator on a null default: Range rejects it, NonEmptyString allows it.
    with pytest.raises(ConfigError) as exc:
        ConfigDef().define("k", ConfigType.INT, None, Range.at_least(1))
    assert str(exc.value) == "Invalid value null for configuration k: Value must be non-null"
    d = ConfigDef().define("s", ConfigType.STRING, None, NonEmptyString())
    assert d.keys["s"].default is None
    assert d.keys["s"].has_default


def test_config_key_metadata() -> None:
    rec = Recommender()
    d = ConfigDef().define(
        "k",
        ConfigType.STRING,
        "v",
        ValidString("v", "w"),
        Importance.HIGH,
        "docs",
        "Group",
        3,
        Width.LONG,
        "Display",
        ["dep"],
        rec,
    )
    key = d.keys["k"]
    assert isinstance(key, ConfigKey)
    assert (key.name, key.type, key.default, key.importance, key.documentation) == (
        "k",
        ConfigType.STRING,
        "v",
        Importance.HIGH,
        "docs",
    )
    assert (key.group, key.order_in_group, key.width, key.display_name) == (
        "Group",
        3,
        Width.LONG,
        "Display",
    )
    assert key.dependents == ["dep"]
    assert key.recommender is rec
    assert key.internal is False
    assert d.groups == ["Group"]


def test_key_defaults() -> None:
    key = ConfigDef().define("k", ConfigType.INT).keys["k"]
    assert key.default is NO_DEFAULT
    assert not key.has_default
    assert key.display_name == "k"
    assert (key.group, key.order_in_group, key.width) == (None, -1, Width.NONE)
    assert key.importance is Importance.MEDIUM
    assert repr(NO_DEFAULT) == "NO_DEFAULT"


def test_define_internal() -> None:
    key = ConfigDef().define_internal("k", ConfigType.INT, 5).keys["k"]
    assert key.internal
    assert key.importance is Importance.LOW
    assert key.default == 5


def test_groups_in_first_use_order_and_keys_in_group() -> None:
    d = (
        ConfigDef()
        .define("a", ConfigType.INT, 1, group="G2")
        .define("b", ConfigType.INT, 1, group="G1")
        .define("c", ConfigType.INT, 1, group="G2")
        .define("d", ConfigType.INT, 1)
    )
    assert d.groups == ["G2", "G1"]
    assert [k.name for k in keys_in_group(d, "G2")] == ["a", "c"]


def test_base_is_copied_and_merge_adds_only_missing_keys() -> None:
    base = ConfigDef().define("a", ConfigType.INT, 1, group="A")
    derived = ConfigDef(base).define("b", ConfigType.INT, 2)
    assert base.names() == ["a"]
    assert derived.names() == ["a", "b"]
    other = (
        ConfigDef().define("a", ConfigType.STRING, "x").define("c", ConfigType.INT, 3, group="C")
    )
    assert derived.merge(other) is derived
    assert derived.names() == ["a", "b", "c"]
    assert derived.keys["a"].type is ConfigType.INT
    assert derived.groups == ["A", "C"]


# --- parse -------------------------------------------------------------------------------------


def test_missing_required_key() -> None:
    d = ConfigDef().define("k", ConfigType.INT)
    with pytest.raises(ConfigError) as exc:
        d.parse({})
    assert str(exc.value) == 'Missing required configuration "k" which has no default value.'
    assert exc.value.key == "k"


def test_parse_fills_defaults_and_ignores_unknown_keys() -> None:
    d = ConfigDef().define("a", ConfigType.INT, 1).define("b", ConfigType.STRING, None)
    assert d.parse({"zz": "1"}) == {"a": 1, "b": None}


def test_parse_runs_validators_on_given_values() -> None:
    d = ConfigDef().define("n", ConfigType.INT, 1, Range.between(1, 5))
    assert d.parse({"n": "5"}) == {"n": 5}
    with pytest.raises(ConfigError) as exc:
        d.parse({"n": "6"})
    assert str(exc.value) == "Invalid value 6 for configuration n: Value must be no more than 5"


def test_explicit_null_value_is_validated() -> None:
    d = ConfigDef().define("n", ConfigType.INT, 1, Range.at_least(1))
    with pytest.raises(ConfigError, match="Value must be non-null"):
        d.parse({"n": None})


# --- validate ----------------------------------------------------------------------------------


def _validation_def() -> ConfigDef:
    return (
        ConfigDef()
        .define("n", ConfigType.INT, 1, Range.at_least(1))
        .define("req", ConfigType.INT, NO_DEFAULT, Range.at_least(1))
        .define("topic", ConfigType.STRING, NO_DEFAULT, NonEmptyString())
        .define("b", ConfigType.BOOLEAN, False)
    )


def _by_name(values: list[ConfigValue]) -> dict[str, ConfigValue]:
    return {v.name: v for v in values}


def test_validate_collects_every_error_per_key_as_kafka() -> None:
    values = _validation_def().validate({"n": "abc", "b": "maybe"})
    assert [v.name for v in values] == ["n", "req", "topic", "b"]
    got = _by_name(values)
    assert got["n"].errors == [
        "Invalid value abc for configuration n: Not a number of type INT",
        "Invalid value null for configuration n: Value must be non-null",
    ]
    assert got["req"].errors == [
        'Missing required configuration "req" which has no default value.',
        "Invalid value null for configuration req: Value must be non-null",
    ]
    assert got["topic"].errors == [
        'Missing required configuration "topic" which has no default value.'
    ]
    assert got["b"].errors == [
        "Invalid value maybe for configuration b: Expected value to be either true or false"
    ]
    assert all(v.value is None for v in values)  # unparseable values are reported as null


def test_validate_reports_parsed_values() -> None:
    got = _by_name(_validation_def().validate({"n": "0", "req": "3", "topic": " t "}))
    assert got["n"].value == 0
    assert got["n"].errors == ["Invalid value 0 for configuration n: Value must be at least 1"]
    assert (got["req"].value, got["req"].errors) == (3, [])
    assert (got["topic"].value, got["topic"].errors) == ("t", [])
    assert (got["b"].value, got["b"].errors) == (False, [])
    assert all(v.visible and v.recommended_values == [] for v in got.values())


def test_validate_with_an_explicit_null() -> None:
    got = _by_name(_validation_def().validate({"n": None, "topic": None, "req": "1"}))
    assert got["n"].errors == ["Invalid value null for configuration n: Value must be non-null"]
    assert got["topic"].errors == []  # NonEmptyString lets null through, as in Kafka


class _ModeRecommender(Recommender):
    """Offers values and visibility depending on another key, as UIs use it."""

    def __init__(self) -> None:
        self.seen: list[Mapping[str, Any]] = []

    def valid_values(self, name: str, parsed: Mapping[str, Any]) -> list[Any]:
        self.seen.append(dict(parsed))
        if parsed.get("mode") == "boom":
            raise ConfigError("cannot recommend for boom")
        return ["a", "b"] if parsed.get("mode") == "ab" else ["c"]

    def visible(self, name: str, parsed: Mapping[str, Any]) -> bool:
        return parsed.get("mode") != "hidden"


def _recommended_def(rec: Recommender) -> ConfigDef:
    return (
        ConfigDef()
        .define("mode", ConfigType.STRING, "ab")
        .define("choice", ConfigType.STRING, "a", recommender=rec)
        .define("count", ConfigType.INT, 1)
    )


def test_validate_asks_recommenders_with_all_parsed_values() -> None:
    rec = _ModeRecommender()
    got = _by_name(_recommended_def(rec).validate({"count": "x"}))
    assert got["choice"].recommended_values == ["a", "b"]
    assert got["choice"].visible is True
    assert rec.seen == [{"mode": "ab", "choice": "a", "count": None}]
    got = _by_name(_recommended_def(rec).validate({"mode": "hidden"}))
    assert got["choice"].recommended_values == ["c"]
    assert got["choice"].visible is False


def test_recommender_errors_are_reported_on_its_key() -> None:
    got = _by_name(_recommended_def(_ModeRecommender()).validate({"mode": "boom"}))
    assert got["choice"].errors == ["cannot recommend for boom"]
    assert got["mode"].errors == []


def test_config_value_add_error() -> None:
    cv = ConfigValue("k")
    cv.add_error("one")
    cv.add_error("two")
    assert cv.errors == ["one", "two"]
    assert (cv.value, cv.recommended_values, cv.visible) == (None, [], True)


# --- rendering ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "t", "expected"),
    [
        (None, ConfigType.STRING, None),
        (["a", "b"], ConfigType.LIST, "a,b"),
        ([], ConfigType.LIST, ""),
        (Password("x"), ConfigType.PASSWORD, "[hidden]"),
        (True, ConfigType.BOOLEAN, "true"),
        (False, ConfigType.BOOLEAN, "false"),
        (1.0, ConfigType.DOUBLE, "1.0"),
        (5, ConfigType.INT, "5"),
        ("s", ConfigType.STRING, "s"),
    ],
)
def test_to_string(value: Any, t: ConfigType, expected: str | None) -> None:
    assert to_string(value, t) == expected


def test_to_rst_lists_public_keys() -> None:
    d = (
        ConfigDef()
        .define("a.size", ConfigType.INT, 5, Range.at_least(1), Importance.HIGH, "The size.")
        .define("b.req", ConfigType.STRING, documentation="Required.")
        .define_internal("c.hidden", ConfigType.INT, 1)
    )
    rst = d.to_rst()
    assert "``a.size``" in rst
    assert "  * Type: int" in rst
    assert "  * Default: 5" in rst
    assert "  * Valid Values: [1,...]" in rst
    assert "  * Importance: high" in rst
    assert "``b.req``" in rst
    assert "c.hidden" not in rst


# --- Password ----------------------------------------------------------------------------------


def test_password_never_shows_its_value() -> None:
    p = Password("s3cret")
    assert str(p) == "[hidden]"
    assert repr(p) == "[hidden]"
    assert f"{p}" == "[hidden]"
    assert "s3cret" not in repr({"pw": p})
    assert p.value() == "s3cret"
    assert Password.HIDDEN == "[hidden]"


def test_password_equality() -> None:
    assert Password("a") == Password("a")
    assert hash(Password("a")) == hash(Password("a"))
    assert Password("a") != Password("b")
    assert Password("a") != "a"


# --- AbstractConfig ----------------------------------------------------------------------------


def _config(props: Mapping[str, Any]) -> AbstractConfig:
    d = (
        ConfigDef()
        .define("name", ConfigType.STRING)
        .define("count", ConfigType.INT, 3)
        .define("big", ConfigType.LONG, "9000000000")
        .define("ratio", ConfigType.DOUBLE, 0.5)
        .define("on", ConfigType.BOOLEAN, False)
        .define("topics", ConfigType.LIST, "")
        .define("secret", ConfigType.PASSWORD, None)
        .define("opt", ConfigType.STRING, None)
    )
    return AbstractConfig(d, props)


def test_typed_getters() -> None:
    c = _config(
        {
            "name": " x ",
            "count": "4",
            "ratio": "2",
            "on": "true",
            "topics": "a, b",
            "secret": "pw",
        }
    )
    assert c.get_string("name") == "x"
    assert c.get_int("count") == 4
    assert c.get_long("big") == 9_000_000_000
    assert c.get_double("ratio") == 2.0
    assert c.get_boolean("on") is True
    assert c.get_list("topics") == ["a", "b"]
    secret = c.get_password("secret")
    assert secret is not None
    assert secret.value() == "pw"
    assert c.get_string("opt") is None
    assert c.get("count") == 4


def test_getters_with_defaults() -> None:
    c = _config({"name": "x"})
    assert c.get_int("count") == 3
    assert c.get_list("topics") == []
    assert c.get_password("secret") is None
    assert c.values == {
        "name": "x",
        "count": 3,
        "big": 9_000_000_000,
        "ratio": 0.5,
        "on": False,
        "topics": [],
        "secret": None,
        "opt": None,
    }


def test_unknown_key_is_an_error() -> None:
    with pytest.raises(ConfigError) as exc:
        _config({"name": "x"}).get("nope")
    assert str(exc.value) == "Unknown configuration 'nope'"
    assert exc.value.key == "nope"


def test_construction_parses_and_raises() -> None:
    with pytest.raises(ConfigError, match='Missing required configuration "name"'):
        _config({})
    with pytest.raises(ConfigError, match="Not a number of type INT"):
        _config({"name": "x", "count": "many"})


def test_originals_are_a_copy() -> None:
    props = {"name": "x", "extra.a": "1"}
    c = _config(props)
    props["name"] = "changed"
    originals = c.originals()
    assert originals == {"name": "x", "extra.a": "1"}
    originals["name"] = "mutated"
    assert c.originals()["name"] == "x"


def test_originals_with_prefix() -> None:
    c = _config({"name": "x", "producer.acks": "all", "producer.linger.ms": "5", "producerx": "1"})
    assert c.originals_with_prefix("producer.") == {"acks": "all", "linger.ms": "5"}
    assert c.originals_with_prefix("producer.", strip=False) == {
        "producer.acks": "all",
        "producer.linger.ms": "5",
    }
    assert c.originals_with_prefix("none.") == {}


def test_unused_lists_undefined_originals() -> None:
    assert _config({"name": "x", "zz": "1", "count": "2"}).unused() == {"zz"}
