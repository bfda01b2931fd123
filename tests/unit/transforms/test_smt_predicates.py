from collections.abc import Callable

import pytest

from sluice.api import ConfigError, Headers, Schema, SinkRecord
from sluice.transforms.predicates import HasHeaderKey, RecordIsTombstone, TopicNameMatches

SinkFactory = Callable[..., SinkRecord]


def test_topic_name_matches_the_whole_topic(sink: SinkFactory) -> None:
    p: TopicNameMatches[SinkRecord] = TopicNameMatches()
    p.configure({"pattern": "orders-\\d+"})
    assert p.test(sink(topic="orders-1"))
    assert not p.test(sink(topic="orders-1x"))
    assert not p.test(sink(topic="xorders-1"))
    assert repr(p) == "TopicNameMatches{pattern=orders-\\d+}"


def test_topic_name_matches_uses_ascii_classes_like_java(sink: SinkFactory) -> None:
    p: TopicNameMatches[SinkRecord] = TopicNameMatches()
    p.configure({"pattern": "\\w+"})
    assert p.test(sink(topic="abc_1"))
    assert not p.test(sink(topic="ærø"))


@pytest.mark.parametrize(
    ("pattern", "message"),
    [("", "String must be non-empty"), ("[a-", "Invalid regex"), (None, "Missing required")],
)
def test_topic_name_matches_config(pattern: str | None, message: str) -> None:
    config = {} if pattern is None else {"pattern": pattern}
    with pytest.raises(ConfigError, match=message):
        TopicNameMatches().configure(config)


def test_has_header_key(sink: SinkFactory) -> None:
    p: HasHeaderKey[SinkRecord] = HasHeaderKey()
    p.configure({"name": "trace"})
    assert p.test(sink(headers=Headers().add("x", 1).add("trace", None)))
    assert not p.test(sink(headers=Headers().add("x", 1)))
    assert not p.test(sink())
    with pytest.raises(ConfigError, match="String must be non-empty"):
        HasHeaderKey().configure({"name": ""})


def test_record_is_tombstone(sink: SinkFactory) -> None:
    p: RecordIsTombstone[SinkRecord] = RecordIsTombstone()
    p.configure({})
    assert p.test(sink(Schema.OPTIONAL_STRING_SCHEMA, None, Schema.STRING_SCHEMA, "k"))
    assert not p.test(sink(Schema.STRING_SCHEMA, ""))
