"""sluice's internal-topic records against Kafka Connect's, byte for byte, in both directions.

A Java harness (``java/InternalRecordsHarness.java``) is compiled with ``javac`` against the Kafka
jars in ``$SLUICE_KAFKA_LIBS`` (default ``<repo>/.cache/kafka/libs``) and run once for the whole
module. It builds every record value the way ``KafkaConfigBackingStore``,
``KafkaStatusBackingStore`` and ``OffsetStorageWriter`` do (their own public or private Schemas,
HashMaps for offsets, the internal ``JsonConverter`` with ``schemas.enable=false``), and reads
bytes back with that converter. For every case:

* Kafka's bytes equal sluice's bytes (so a Java worker finds sluice's offsets by their key bytes);
* Kafka's converter reads sluice's bytes into the values (and Java types) meant;
* sluice reads Kafka's bytes into the record meant.

The default partitioner's ``murmur2`` is compared too: the integration tests check with it that
sluice's producer places records where a Java worker would.
"""

from __future__ import annotations

import base64
import json
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sluice.runtime.herder import RestartRequest
from sluice.runtime.status import State, StateInfo, TargetState
from sluice.storage import config_records as cr
from sluice.storage import status_records as sr
from sluice.storage.config import SessionKey
from sluice.storage.offset_codec import decode_key, decode_value, encode_key, encode_value
from sluice.storage.status import TopicStatus
from tests.compat.java_tools import LineHarness, compile_line_harness
from tests.fixtures.java_partitioner import java_partition

pytestmark = pytest.mark.compat

HARNESS = Path(__file__).resolve().parent / "java" / "InternalRecordsHarness.java"
REQUIRED_JARS = (
    "connect-runtime-",
    "connect-json-",
    "connect-api-",
    "kafka-clients-",
    "jackson-databind-",
)

NASTY = [
    "",
    "plain",
    'q"uote',
    "back\\slash",
    "new\nline\ttab\rcr\fff\bbs",
    "\x00\x01\x1f\x7f\x80\x9f",
    "é ü ß 中文 العربية",
    "😀 🇳🇱 𝄞",
    "\u2028\u2029",
    "</script>&<>'",
    "a/b\\/c",
    "\ud7ff\ue000\ufffe\uffff",
    "trailing space ",
]


@pytest.fixture(scope="module")
def java(tmp_path_factory: pytest.TempPathFactory) -> LineHarness:
    """Compiles the harness once; returns a function answering a batch of jobs in one JVM."""
    return compile_line_harness(
        HARNESS,
        "InternalRecordsHarness",
        REQUIRED_JARS,
        tmp_path_factory.mktemp("internal-records-harness"),
    )


def _b64(data: bytes | str) -> str:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return base64.b64encode(raw).decode("ascii")


def _bits(value: float) -> str:
    return format(struct.unpack(">Q", struct.pack(">d", value))[0], "x")


def tag(value: Any) -> Any:
    """A value as the harness describes what Java's converter read (Java types included)."""
    if value is None:
        return None
    if isinstance(value, dict):
        return {"M": {k: tag(v) for k, v in value.items()}}
    if isinstance(value, list):
        return {"A": [tag(v) for v in value]}
    if isinstance(value, bool):
        return {"B": value}
    if isinstance(value, int):
        return {"L": value}  # schemaless JSON integers read back as Long
    if isinstance(value, float):
        # Java's converter parses decimals as BigDecimal, which has no negative zero
        return {"D": _bits(value + 0.0)}
    return {"S": value}


@dataclass
class Case:
    name: str
    job: str
    ours: bytes
    meant: Any
    """The JSON value the bytes stand for (what Java's converter must read)."""
    read_back: Callable[[bytes], bool]
    """Whether sluice reads Kafka's bytes into the record meant."""


def config_cases(strings: list[str]) -> list[Case]:
    cases: list[Case] = []
    for i, text in enumerate(strings):
        props = {"name": f"c{i}", text: text, "connector.class": "X", f"k{text}": "v"}
        pairs = _b64(json.dumps([[k, v] for k, v in props.items()]))
        for kind, key, encode in (
            ("CONNECTOR", f"connector-c{i}", cr.encode_connector_config),
            ("TASK", f"task-c{i}-0", cr.encode_task_config),
        ):
            decoded_props = dict(props)

            def back(data: bytes, key: str = key, p: dict[str, str] = decoded_props) -> bool:
                record = cr.decode(key, data)
                config = getattr(record, "config", None)
                return config == p

            cases.append(
                Case(
                    f"{kind} {text!r}",
                    f"{kind}\t{pairs}",
                    encode(props),
                    {"properties": props},
                    back,
                )
            )
        cases.append(
            Case(
                f"LOGGER {text!r}",
                f"LOGGER\t{_b64(text)}",
                cr.encode_logger_level(text),
                {"level": text},
                lambda d, t=text: cr.decode(b"logger-cluster-x", d) == cr.LoggerLevelRecord("x", t),
            )
        )
    for n in (0, 1, 7, 2**31 - 1):
        cases.append(
            Case(
                f"COMMIT {n}",
                f"COMMIT\t{n}",
                cr.encode_task_commit(n),
                {"tasks": n},
                lambda d, n=n: cr.decode(b"commit-c", d) == cr.TaskCommitRecord("c", n),
            )
        )
        cases.append(
            Case(
                f"TASKCOUNT {n}",
                f"TASKCOUNT\t{n}",
                cr.encode_task_count(n),
                {"task-count": n},
                lambda d, n=n: cr.decode(b"tasks-fencing-c", d) == cr.TaskCountRecord("c", n),
            )
        )
    for state in TargetState:
        legacy = "PAUSED" if state is TargetState.STOPPED else state.value
        cases.append(
            Case(
                f"TARGET {state.value}",
                f"TARGET\t{state.value}",
                cr.encode_target_state(state),
                {"state": legacy, "state.v2": state.value},
                lambda d, s=state: cr.decode(b"target-state-c", d) == cr.TargetStateRecord("c", s),
            )
        )
    for key_bytes in (b"", b"\x00" * 16, bytes(range(256)), b"\xff\xfe\xfd"):
        session = SessionKey(key_bytes, "HmacSHA256", 1_700_000_000_123)
        cases.append(
            Case(
                f"SESSION {key_bytes[:4]!r}",
                f"SESSION\t{_b64(key_bytes)}\t{_b64('HmacSHA256')}\t1700000000123",
                cr.encode_session_key(session),
                {
                    "key": base64.b64encode(key_bytes).decode(),
                    "algorithm": "HmacSHA256",
                    "creation-timestamp": 1_700_000_000_123,
                },
                lambda d, s=session: cr.decode(b"session-key", d) == cr.SessionKeyRecord(s),
            )
        )
    for include in (False, True):
        for only in (False, True):
            request = RestartRequest("c", include_tasks=include, only_failed=only)
            cases.append(
                Case(
                    f"RESTART {include} {only}",
                    f"RESTART\t{str(include).lower()}\t{str(only).lower()}",
                    cr.encode_restart_request(request),
                    {"include-tasks": include, "only-failed": only},
                    lambda d, r=request: (
                        cr.decode(b"restart-connector-c", d) == cr.RestartRequestRecord(r)
                    ),
                )
            )
    return cases


def status_cases(strings: list[str]) -> list[Case]:
    cases: list[Case] = []
    for i, text in enumerate(strings):
        trace = None if i % 3 == 0 else f"org.Failure: {text}\n\tat x"
        version = text if i % 2 and text else None  # the plugin version (KIP-891), any string
        for state in (State.RUNNING, State.FAILED, State.UNASSIGNED, State.STOPPED):
            status = StateInfo(state, f"worker {text}", trace, i * 1000, version)
            trace_arg = "-" if trace is None else _b64(trace)
            version_arg = "" if version is None else f"\t{_b64(version)}"
            cases.append(
                Case(
                    f"STATUS {state.value} {text!r}",
                    f"STATUS\t{state.value}\t{trace_arg}\t{_b64(status.worker_id)}\t{i * 1000}"
                    + version_arg,
                    sr.encode_status(status),
                    {
                        "state": state.value,
                        "trace": trace,
                        "worker_id": status.worker_id,
                        "generation": i * 1000,
                        "version": version,
                    },
                    lambda d, s=status: sr.decode_status(d) == s,
                )
            )
        topic = TopicStatus(f"topic.{i}-x", f"conn {text}", i, 1_700_000_000_000 + i)
        cases.append(
            Case(
                f"TOPIC {text!r}",
                f"TOPIC\t{_b64(topic.topic)}\t{_b64(topic.connector)}\t{i}\t{topic.discover_timestamp}",
                sr.encode_topic_status(topic),
                {
                    "topic": {
                        "name": topic.topic,
                        "connector": topic.connector,
                        "task": i,
                        "discoverTimestamp": topic.discover_timestamp,
                    }
                },
                lambda d, t=topic: sr.decode_topic_status(d) == t,
            )
        )
    return cases


def _typed(values: dict[str, Any]) -> str:
    entries = []
    for k, v in values.items():
        if v is None:
            entries.append([k, "N", None])
        elif isinstance(v, bool):
            entries.append([k, "B", v])
        elif isinstance(v, int):
            entries.append([k, "I" if -(2**31) <= v < 2**31 else "L", v])
        elif isinstance(v, float):
            entries.append([k, "D", _bits(v)])
        else:
            entries.append([k, "S", v])
    return _b64(json.dumps(entries))


def offset_cases(maps: list[dict[str, Any]]) -> list[Case]:
    cases: list[Case] = []
    for i, values in enumerate(maps):
        connector = f"conn-{i}"
        cases.append(
            Case(
                f"OFFKEY {values!r}",
                f"OFFKEY\t{_b64(connector)}\t{_typed(values)}",
                encode_key(connector, values),
                [connector, values],
                lambda d, c=connector, v=values: decode_key(d) == (c, v),
            )
        )
        cases.append(
            Case(
                f"OFFVAL {values!r}",
                f"OFFVAL\t{_typed(values)}",
                encode_value(values) or b"",
                values,
                lambda d, v=values: decode_value(d) == v,
            )
        )
    return cases


OFFSET_MAPS: list[dict[str, Any]] = [
    {"filename": "/tmp/in.txt"},
    {"topic": "t", "partition": 0, "cluster": "A"},  # MirrorMaker 2's source partition
    {"Aa": 1, "BB": 2, "C#": 3},  # String.hashCode collisions keep insertion order
    {"BB": 1, "Aa": 2},
    {f"key{i}": i for i in range(40)},  # resizes from 16 to 64 buckets
    {f"k{i}": i for i in range(13)},  # just past the first resize
    {"position": 42, "big": 2**40, "neg": -5, "flag": True, "none": None},
    {"d1": 1.5, "d2": 1e-5, "d3": 100.0, "d4": 1e21, "d5": 0.1, "d6": -0.0, "d7": 1e7},
    {"é": "ü", "中": "文", "😀": "x"},
    {s: s for s in NASTY},
    {},
]


def _strings() -> st.SearchStrategy[str]:
    return st.text(max_size=30)


def _maps() -> st.SearchStrategy[dict[str, Any]]:
    scalar = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**63), max_value=2**63 - 1),
        st.floats(allow_nan=False, allow_infinity=False),
        _strings(),
    )
    return st.dictionaries(_strings(), scalar, max_size=20)


def _collect(strategy: st.SearchStrategy[Any], count: int) -> list[Any]:
    collected: list[Any] = []

    @settings(
        max_examples=count,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(value: Any) -> None:
        collected.append(value)

    collect()
    return collected


def _check(java: Callable[[list[str]], list[str]], cases: list[Case]) -> None:
    written = java([c.job for c in cases])
    read = java([f"READ\t{_b64(c.ours)}" for c in cases])
    for case, java_bytes, java_read in zip(cases, written, read, strict=True):
        assert java_bytes.startswith("OK\t"), f"{case.name}: {java_bytes}"
        theirs = base64.b64decode(java_bytes.split("\t", 1)[1])
        assert theirs == case.ours, f"{case.name}\n java:   {theirs!r}\n sluice: {case.ours!r}"
        assert java_read.startswith("OK\t"), f"{case.name}: {java_read}"
        tree = json.loads(base64.b64decode(java_read.split("\t", 1)[1]))
        assert tree == tag(case.meant), f"{case.name}: Java read {tree}"
        assert case.read_back(theirs), f"{case.name}: sluice misreads {theirs!r}"


def test_config_records_match_kafka(java: Callable[[list[str]], list[str]]) -> None:
    cases = config_cases(NASTY + _collect(_strings(), 150))
    assert len(cases) > 500
    _check(java, cases)


def test_status_records_match_kafka(java: Callable[[list[str]], list[str]]) -> None:
    cases = status_cases(NASTY + _collect(_strings(), 100))
    assert len(cases) > 500
    _check(java, cases)


def test_status_records_with_a_plugin_version_read_back(
    java: Callable[[list[str]], list[str]],
) -> None:
    # Kafka 4.1 writes the connector plugin's version (KIP-891); sluice reads and writes it
    [answer] = java([f"STATUS\tRUNNING\t-\t{_b64('w:8083')}\t3\t{_b64('4.1.1')}"])
    theirs = base64.b64decode(answer.split("\t", 1)[1])
    assert theirs.endswith(b'"generation":3,"version":"4.1.1"}')
    status = StateInfo(State.RUNNING, "w:8083", None, 3, "4.1.1")
    assert sr.decode_status(theirs) == status
    assert sr.encode_status(status) == theirs


def test_offset_records_match_kafka(java: Callable[[list[str]], list[str]]) -> None:
    cases = offset_cases(OFFSET_MAPS + _collect(_maps(), 200))
    assert len(cases) > 400
    _check(java, cases)


def test_murmur2_partitions_match_kafka(java: Callable[[list[str]], list[str]]) -> None:
    keys = [b"", b"a", b"ab", b"abc", b"abcd", b"abcde", b"\xff" * 7, b"connector-c"]
    keys += [encode_key("c", {"n": i}) for i in range(50)]
    keys += _collect(st.binary(max_size=40), 100)
    answers = java([f"MURMUR\t{_b64(k)}\t{n}" for k in keys for n in (1, 5, 25)])
    expected = [f"OK\t{_b64(str(java_partition(k, n)))}" for k in keys for n in (1, 5, 25)]
    assert answers == expected
