from collections.abc import Callable

import pytest

from sluice.api import ConfigError, DataError, SinkRecord
from sluice.transforms.regex_router import RegexRouter
from sluice.transforms.timestamp_router import TimestampRouter

SinkFactory = Callable[..., SinkRecord]


def router(regex: str, replacement: str) -> RegexRouter[SinkRecord]:
    t: RegexRouter[SinkRecord] = RegexRouter()
    t.configure({"regex": regex, "replacement": replacement})
    return t


@pytest.mark.parametrize(
    ("regex", "replacement", "topic", "expected"),
    [
        ("(.*)-(\\d+)", "$2_$1", "orders-2024", "2024_orders"),
        ("(.*)-(\\d+)", "$2_$1", "orders", "orders"),  # no full match: unchanged
        ("(?<base>[a-z]+)\\.raw", "${base}-clean", "events.raw", "events-clean"),
        ("a|ab", "X", "ab", "Xb"),  # replaceFirst finds "a" first, as Java does
        ("(a)(b)", "$12", "ab", "a2"),  # $12 is group 1 then "2": there is no group 12
        ("prod\\.(.*)", "\\$$1", "prod.x", "$x"),
        ("\\Qa.b\\E", "c", "a.b", "c"),
    ],
)
def test_regex_router(
    sink: SinkFactory, regex: str, replacement: str, topic: str, expected: str
) -> None:

    out = router(regex, replacement).apply(sink(topic=topic))
    assert out is not None and out.topic == expected
    assert out.kafka_offset == 42 and out.original_topic == topic


def test_bad_replacements_fail_at_apply(sink: SinkFactory) -> None:
    with pytest.raises(DataError, match="No group 3"):
        router("(a)", "$3").apply(sink(topic="a"))
    with pytest.raises(DataError, match="Illegal group reference"):
        router("(a)", "$x").apply(sink(topic="a"))


def test_bad_regex_is_a_config_error() -> None:
    with pytest.raises(
        ConfigError, match="Invalid value \\( for configuration regex: Invalid regex"
    ):
        router("(", "x")


def test_timestamp_router_defaults(sink: SinkFactory) -> None:
    t: TimestampRouter[SinkRecord] = TimestampRouter()
    t.configure({})
    out = t.apply(sink(topic="logs"))
    assert out is not None and out.topic == "logs-20231114"


def test_timestamp_router_custom_format(sink: SinkFactory) -> None:
    t: TimestampRouter[SinkRecord] = TimestampRouter()
    t.configure({"topic.format": "${timestamp}.${topic}", "timestamp.format": "yyyy-MM-dd'T'HH"})
    out = t.apply(sink(topic="a$1"))
    assert out is not None and out.topic == "2023-11-14T22.a$1"


def test_timestamp_router_needs_a_timestamp(sink: SinkFactory) -> None:
    t: TimestampRouter[SinkRecord] = TimestampRouter()
    t.configure({})
    with pytest.raises(DataError, match="Timestamp missing on record"):
        t.apply(sink(timestamp=None))
