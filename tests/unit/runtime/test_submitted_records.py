from sluice.runtime.submitted_records import SubmittedBatch, SubmittedRecords


def _batch(pending: int, offsets: dict[str, int]) -> SubmittedBatch:
    b = SubmittedBatch()
    b.pending = pending
    for part, pos in offsets.items():
        b.add_offset("c", {"file": part}, {"position": pos})
    return b


def test_only_the_acknowledged_prefix_is_committable() -> None:
    s = SubmittedRecords()
    first, second = _batch(2, {"a": 10}), _batch(1, {"a": 20, "b": 5})
    s.submit(first)
    s.submit(second)
    second.pending = 0  # a later batch acked first must wait for the earlier one
    assert s.committable() == {}
    first.pending = 1
    assert s.committable() == {}
    first.pending = 0
    got = {k.decode(): v[1] for k, v in s.committable().items()}
    assert got == {'["c",{"file":"a"}]': {"position": 20}, '["c",{"file":"b"}]': {"position": 5}}
    assert s.committable() == {}
    assert s.in_flight == 0


def test_restore_keeps_newer_offsets() -> None:
    s = SubmittedRecords()
    s.submit(_batch(0, {"a": 1}))
    taken = s.committable()
    s.submit(_batch(0, {"a": 2}))
    s.committable()  # the newer offset was taken by a later commit attempt...
    s.submit(_batch(0, {"a": 3}))
    s.restore(taken)  # ...and a failed older attempt must not overwrite what is pending now
    assert [v[1] for v in s.committable().values()] == [{"position": 3}]


def test_records_without_partition_carry_no_offset() -> None:
    b = SubmittedBatch()
    b.add_offset("c", None, {"position": 1})
    b.add_offset("c", {"f": "x"}, None)
    assert b.offsets == {}
