"""DefaultTopicMapper's rules: prefix, suffix, separator and the namespace map."""

from __future__ import annotations

import pytest

from sluice.api import ConfigError
from sluice.connectors.mongodb.topic_mapper import TopicMapper


def topic(mapper: TopicMapper, db: str, coll: str = "") -> str:
    return mapper.topic_for_namespace(db, coll)


def test_default_topic_is_db_dot_collection() -> None:
    mapper = TopicMapper()
    assert topic(mapper, "jee", "patients") == "jee.patients"
    assert topic(mapper, "jee") == "jee"  # database-level events (dropDatabase)


def test_prefix_suffix_and_separator() -> None:
    mapper = TopicMapper(prefix="pre", suffix="suf", separator="-")
    assert topic(mapper, "jee", "patients") == "pre-jee-patients-suf"
    assert topic(TopicMapper(prefix="mongo"), "jee", "patients") == "mongo.jee.patients"


def test_events_without_a_database_have_no_topic() -> None:
    mapper = TopicMapper()
    assert mapper.topic({"operationType": "invalidate"}) == ""
    assert mapper.topic({"ns": {"db": ""}}) == ""
    assert mapper.topic({"ns": {"db": "a", "coll": None}}) == "a"


def test_documented_example_one() -> None:
    mapper = TopicMapper(
        separator="-", namespace_map='{"myDb": "topicTwo", "myDb.myColl": "topicOne"}'
    )
    assert topic(mapper, "myDb", "myColl") == "topicOne"
    assert topic(mapper, "myDb", "other") == "topicTwo-other"
    assert topic(mapper, "myDb") == "topicTwo"
    assert topic(mapper, "else", "coll") == "else-coll"
    assert topic(mapper, "else") == "else"


def test_documented_example_two_regex_and_wildcard() -> None:
    mapper = TopicMapper(
        separator="-",
        namespace_map=(
            '{"/myDb(?:\\\\..*)?": "topicTwo{sep_coll}", "*": "topicThree", '
            '"myDb.myColl": "topicOne"}'
        ),
    )
    assert topic(mapper, "myDb", "myColl") == "topicOne"
    assert topic(mapper, "myDb", "other") == "topicTwo-other"
    assert topic(mapper, "myDb") == "topicTwo"
    assert topic(mapper, "else", "coll") == "topicThree"


def test_regex_variables_and_decoration() -> None:
    mapper = TopicMapper(
        prefix="p",
        separator="_",
        namespace_map='{"/a.*": "{db}{sep}x{sep_coll_sep}y{coll_sep}{coll}", "/b.*": "{coll}"}',
    )
    assert topic(mapper, "ab", "c") == "p_ab_x_c_yc_c"
    assert topic(mapper, "ab") == "p_ab_xy"
    assert topic(mapper, "bb", "c") == "p_c"
    assert topic(mapper, "bb") == "p_"  # a template expanding to nothing is still the answer


def test_regex_pairs_in_order_and_duplicates() -> None:
    mapper = TopicMapper(namespace_map='{"/a.*": "first", "/ab.*": "second", "/a.*": "last"}')
    assert topic(mapper, "abc", "x") == "last"  # the first pair's position, the last template
    empty = TopicMapper(namespace_map='{"db": "", "*": ""}')
    assert topic(empty, "db", "c") == "db.c"  # empty templates are ignored


def test_unquoted_keys_as_the_java_reader_accepts() -> None:
    assert topic(TopicMapper(namespace_map="{jee: 'hospital'}"), "jee", "p") == "hospital.p"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": 1}', "All values must be strings"),
        ('{"a/b": "t"}', "'/' is not allowed in a simple namespace pattern"),
        ('{"/x": "{nope}"}', "nope is not a supported variable name"),
        ('{"/x": "{db"}', "unexpected '{'"),
        ('{"/x": "db}"}', "unexpected '}'"),
        ('{"/x(": "t"}', "missing )"),
        ("{not json", "Not a valid JSON document"),
    ],
)
def test_bad_maps_name_the_setting(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as e:
        TopicMapper(namespace_map=text)
    assert e.value.key == "topic.namespace.map"
    assert message in str(e.value)
