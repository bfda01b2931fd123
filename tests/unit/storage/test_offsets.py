import json
from pathlib import Path

import pytest

from sluice.api import ConnectError
from sluice.runtime.offset_storage import ConnectorOffsets, StoreOffsetReader
from sluice.storage.offset_codec import decode_key, encode_key, encode_value
from sluice.storage.offsets import FileOffsetBackingStore, MemoryOffsetBackingStore


def test_keys_and_values_are_kafka_connect_json() -> None:
    assert encode_key("file-source", {"filename": "/tmp/in.txt"}) == (
        b'["file-source",{"filename":"/tmp/in.txt"}]'
    )
    assert encode_value({"position": 42}) == b'{"position":42}'
    assert encode_value(None) is None
    assert decode_key(b'["c",{"a":1}]') == ("c", {"a": 1})
    assert decode_key(b'{"not":"a key"}') is None
    assert decode_key(b"garbage") is None


def test_file_store_survives_restart_and_deletes(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "offsets"
    store = FileOffsetBackingStore(path)
    store.start()
    store.set({b"k1": b"v1", b"k2": b"v2"})
    store.set({b"k1": None})
    again = FileOffsetBackingStore(path)
    again.start()
    assert again.get([b"k1", b"k2"]) == {b"k2": b"v2"}
    assert json.loads(path.read_text())["format"] == "sluice-offsets-v1"


def test_file_store_rejects_foreign_file(tmp_path: Path) -> None:
    path = tmp_path / "offsets"
    path.write_bytes(b"\xac\xed\x00\x05java serialized")
    with pytest.raises(ConnectError, match="not a sluice offsets file"):
        FileOffsetBackingStore(path).start()


def test_reader_matches_partitions_written_in_another_key_order() -> None:
    store = MemoryOffsetBackingStore()
    store.set({b'["c",{"b":2,"a":1}]': b'{"pos":7}'})
    reader = StoreOffsetReader("c", store)
    assert reader.offset({"a": 1, "b": 2}) == {"pos": 7}
    assert reader.offset({"a": 1}) is None
    assert StoreOffsetReader("other", store).offset({"a": 1, "b": 2}) is None


def test_connector_offsets_list_write_reset() -> None:
    store = MemoryOffsetBackingStore()
    offsets = ConnectorOffsets("c", store)
    offsets.write([({"f": "x"}, {"position": 1}), ({"f": "y"}, {"position": 2})])
    ConnectorOffsets("other", store).write([({"f": "x"}, {"position": 9})])
    assert sorted(p["f"] for p, _ in offsets.entries()) == ["x", "y"]
    offsets.reset()
    assert offsets.entries() == []
    assert len(ConnectorOffsets("other", store).entries()) == 1
