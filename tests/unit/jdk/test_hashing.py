"""``java.util.HashMap`` key order: the table sizes of its constructors and the reordering."""

from __future__ import annotations

import math

from sluice.jdk import hashing
from sluice.jdk.hashing import (
    as_hash_map,
    double_hash,
    float_hash,
    hash_map_copy,
    hash_map_copy_capacity,
    hash_map_order,
    long_hash,
    string_hash,
    table_size_for,
)


def test_string_hash_is_javas() -> None:
    # The values of String.hashCode on Java 17, as unsigned ints.
    assert string_hash("") == 0
    assert string_hash("id") == 3355
    assert string_hash("country") == 957831062
    assert string_hash("日本") == 835047  # one UTF-16 unit a character
    assert string_hash("\U0001f600") == 1772899  # a surrogate pair: two units


def test_a_json_object_comes_out_as_kafka_prints_it() -> None:
    # Java 17, Kafka 4.1.1: JsonConverter reads {"id":1,"country":"DE","amount":0.62} and
    # FileStreamSink prints {country=DE, amount=0.62, id=1}.
    read = as_hash_map({"id": 1, "country": "DE", "amount": 0.62})
    assert list(read.items()) == [("country", "DE"), ("amount", 0.62), ("id", 1)]


def test_the_table_size_decides_the_order() -> None:
    keys = dict.fromkeys(["id", "customer_id", "created_at", "topic", "offset", "pipeline"])
    # Kafka's ReplaceField, InsertField and TimestampConverter, one after the other, on Java 17:
    # [pipeline, offset, created_at, topic, id, customer_id].
    assert list(as_hash_map(keys, 32)) != list(as_hash_map(keys, 4))
    assert list(as_hash_map(keys, hash_map_copy_capacity(6))) == [
        "pipeline",
        "offset",
        "created_at",
        "topic",
        "id",
        "customer_id",
    ]


def test_constructor_table_sizes() -> None:
    assert [table_size_for(n) for n in (0, 1, 2, 3, 5, 16, 17)] == [1, 1, 2, 4, 8, 16, 32]
    # new HashMap<>(map): room for size / 0.75 + 1 on Java 17 (Java 19+ would give 4 for 3).
    assert [hash_map_copy_capacity(n) for n in (0, 1, 2, 3, 4, 6, 12)] == [16, 2, 4, 8, 8, 16, 32]


def test_maps_already_in_order_or_not_of_strings_are_returned_as_they_are() -> None:
    ordered = {"country": "DE", "amount": 0.62, "id": 1}
    assert as_hash_map(ordered) is ordered
    numbers = {3: "c", 1: "a"}  # Java's hash of a number depends on its Java type: left alone
    assert as_hash_map(numbers) is numbers
    single = {"id": 1}
    assert as_hash_map(single) is single


def test_reordering_returns_a_new_map_with_the_same_entries() -> None:
    original = {"id": 1, "country": "DE", "amount": 0.62}
    first, second = as_hash_map(original), as_hash_map(dict(original))
    assert first == original and first is not original
    assert list(original) == ["id", "country", "amount"]  # the input is not touched
    first["id"] = 2
    assert second["id"] == 1  # the cached template is copied, never handed out


def test_shape_caches_stay_bounded() -> None:
    made: list[tuple[str, ...]] = []
    cache = hashing.ShapeCache(lambda keys: made.append(keys) or len(keys))
    for i in range(hashing._CACHED_SHAPES + 10):
        assert cache((f"k{i}", "other")) == 2
    assert len(cache.held) <= hashing._CACHED_SHAPES
    assert cache(("k0", "other")) == 2 and len(made) == hashing._CACHED_SHAPES + 11
    big = tuple(f"key{i}" for i in range(100))  # too big to hold: made again each time
    cache(big)
    cache(big)
    assert made.count(big) == 2
    last = (f"k{hashing._CACHED_SHAPES + 9}", "other")
    assert cache(last) == 2 and made.count(last) == 1  # made after the last clearing: held


def test_a_copy_with_puts_is_ordered_for_the_copied_size() -> None:
    original = {"id": 1, "country": "DE", "amount": 0.62}
    copied = hash_map_copy(original, {"amount": 1.0, "pipeline": "p"})
    # new HashMap<>(3 entries) has 8 buckets on Java 17; the put of a fourth key does not grow it.
    assert list(copied) == hash_map_order(["id", "country", "amount", "pipeline"], 8)
    assert copied["amount"] == 1.0 and copied["pipeline"] == "p"
    assert original == {"id": 1, "country": "DE", "amount": 0.62}
    assert hash_map_copy(original) == original and hash_map_copy(original) is not original


def test_number_hashes_are_javas() -> None:
    # Long.hashCode, Double.hashCode and Float.hashCode on Java 17, as unsigned ints.
    assert [long_hash(v) for v in (-1, 1 << 40, -123456789012)] == [0, 256, 3197704719]
    assert [double_hash(v) for v in (0.5, -0.0, math.nan)] == [1071644672, 2147483648, 2146959360]
    assert [float_hash(v) for v in (0.5, -2.25, math.nan)] == [1056964608, 3222274048, 2143289344]
