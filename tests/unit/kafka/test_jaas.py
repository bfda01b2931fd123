"""JAAS lines and files, parsed as Java's StreamTokenizer-based parsers read them."""

from __future__ import annotations

import pytest

from sluice.kafka.jaas import (
    JaasError,
    jaas_file_from_environment,
    parse_jaas_config,
    parse_jaas_file,
)

SCRAM = "org.apache.kafka.common.security.scram.ScramLoginModule"


def test_the_documented_scram_line() -> None:
    [module] = parse_jaas_config(f'{SCRAM} required username="alice" password="a\\"b";')
    assert (module.name, module.flag) == (SCRAM, "required")
    assert dict(module.options) == {"username": "alice", "password": 'a"b'}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('"a\\\\b"', "a\\b"),  # \\ is one backslash
        ('"tab\\there"', "tab\there"),
        ('"\\101\\7"', "A\x07"),  # octal escapes
        ('"\\q"', "q"),  # any other escaped character is itself
        ("'single quoted;'", "single quoted;"),
        ("plain-word_1.2$", "plain-word_1.2$"),
        ('"semi;colon and = sign"', "semi;colon and = sign"),
        ('"é"', "é"),
    ],
)
def test_values_as_java_reads_them(value: str, expected: str) -> None:
    [module] = parse_jaas_config(f"{SCRAM} required password={value};")
    assert module.options["password"] == expected


def test_comments_whitespace_and_several_modules() -> None:
    text = '/* a comment */ a.B required\n  x="1" // to the end of the line\n  y=z;\nc.D optional;'
    modules = parse_jaas_config(text)
    assert [(m.name, m.flag, dict(m.options)) for m in modules] == [
        ("a.B", "required", {"x": "1", "y": "z"}),
        ("c.D", "optional", {}),
    ]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("", "login module not specified"),
        (SCRAM, "control flag not specified"),
        (f"{SCRAM} mandatory;", "invalid control flag"),
        (f'{SCRAM} required username="alice"', "not terminated by a semicolon"),
        (f"{SCRAM} required username;", "value not specified for option 'username'"),
        (f"{SCRAM} required password=12345;", "value not specified for option 'password'"),
    ],
)
def test_lines_that_do_not_parse_say_why_without_values(line: str, reason: str) -> None:
    with pytest.raises(JaasError, match=reason) as e:
        parse_jaas_config(line)
    assert "alice" not in str(e.value) and "12345" not in str(e.value)


def test_a_jaas_file_has_named_sections() -> None:
    sections = parse_jaas_file(
        "KafkaConnect {\n"
        "  org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required\n"
        '  file="/etc/kafka/users.properties";\n'
        "};\n"
        f'KafkaClient {{ {SCRAM} required username="u" password="p"; }};\n'
    )
    assert sections["KafkaConnect"][0].options == {"file": "/etc/kafka/users.properties"}
    assert sections["KafkaClient"][0].name == SCRAM


@pytest.mark.parametrize("text", ["KafkaConnect { a.B required; ", "KafkaConnect a.B required;"])
def test_a_broken_jaas_file_is_refused(text: str) -> None:
    with pytest.raises(JaasError):
        parse_jaas_file(text)


def test_the_jaas_file_of_kafka_opts() -> None:
    env = {"KAFKA_OPTS": "-Xmx1g -Djava.security.auth.login.config=/etc/kafka/jaas.conf -Dx=y"}
    assert jaas_file_from_environment(env) == "/etc/kafka/jaas.conf"
    assert jaas_file_from_environment({"KAFKA_OPTS": "-Xmx1g"}) is None
    quoted = {"KAFKA_OPTS": "'-Djava.security.auth.login.config=/a b/j.conf'"}
    assert jaas_file_from_environment(quoted) == "/a b/j.conf"
