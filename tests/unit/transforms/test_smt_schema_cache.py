from sluice.api import Schema, SchemaBuilder
from sluice.transforms.schema_cache import SchemaCache


def test_lru_eviction_and_equal_schemas_share_entries() -> None:
    cache: SchemaCache[str] = SchemaCache(size=2)
    a = SchemaBuilder.struct().field("a", Schema.INT32_SCHEMA).build()
    a_copy = SchemaBuilder.struct().field("a", Schema.INT32_SCHEMA).build()
    b = SchemaBuilder.struct().field("b", Schema.INT32_SCHEMA).build()
    c = SchemaBuilder.struct().field("c", Schema.INT32_SCHEMA).build()
    cache.put(a, "A")
    assert cache.get(a_copy) == "A"  # equal by value
    cache.put(b, "B")
    assert cache.get(a) == "A"  # a is now most recently used
    cache.put(c, "C")
    assert cache.get(b) is None and cache.get(a) == "A" and cache.get(c) == "C"
    assert len(cache) == 2
    cache.clear()
    assert cache.get(c) is None
