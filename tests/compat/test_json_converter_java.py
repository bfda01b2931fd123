"""sluice's JsonConverter against Kafka's, byte for byte, in both directions.

A small Java harness (``java/JsonConverterHarness.java``) is compiled with ``javac`` at test time
against the Kafka jars in ``$SLUICE_KAFKA_LIBS`` (default ``<repo>/.cache/kafka/libs``) and run
once for the whole module, answering requests line by line. A missing JDK or jar fails the test.

* Generated (schema, value) pairs of every type are written by sluice as envelopes; Kafka reads
  each one and writes it again with every configuration (schemas on/off, BASE64/NUMERIC decimals,
  default replacement off), and must produce exactly the bytes sluice produces for the same read.
* Kafka's own fixed records of every type, written with every configuration, are read and written
  again by sluice and must come out as Kafka writes them after its own read.
* ``Double.toString``/``Float.toString`` of many numbers, which decide how numbers look in JSON.
"""

from __future__ import annotations

import base64
import os
import random
import struct
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest
from hypothesis import HealthCheck, given, settings

from sluice.api import DataError, Date, Schema, SchemaBuilder, Time, Timestamp
from sluice.api.logical import from_epoch_millis
from sluice.converters import JsonConverter
from sluice.jdk.numbers import double_to_string, float_to_string
from tests.compat.java_tools import java_tool, kafka_libs
from tests.unit.converters.strategies import schema_and_value

pytestmark = pytest.mark.compat

HARNESS = Path(__file__).resolve().parent / "java" / "JsonConverterHarness.java"
REQUIRED_JARS = ("connect-json-", "connect-api-", "kafka-clients-", "jackson-databind-")
CONFIGS: dict[str, dict[str, str]] = {
    "schemas": {},
    "noschemas": {"schemas.enable": "false"},
    "numeric": {"decimal.format": "NUMERIC"},
    "numeric_noschemas": {"decimal.format": "numeric", "schemas.enable": "false"},
    "nodefault": {"replace.null.with.default": "false"},
    "nodefault_noschemas": {"replace.null.with.default": "false", "schemas.enable": "false"},
}


class Harness:
    """The running JVM: one request line in, one answer line out."""

    def __init__(self, proc: subprocess.Popen[str], stderr_path: Path) -> None:
        self.proc = proc
        self.stderr_path = stderr_path

    def _pipes(self) -> tuple[IO[str], IO[str]]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        return self.proc.stdin, self.proc.stdout

    def ask_many(self, lines: list[str]) -> list[str]:
        """Answers to ``lines``, sent in chunks small enough that neither pipe fills up."""
        stdin, stdout = self._pipes()
        answers = []
        for start in range(0, len(lines), 200):
            chunk = lines[start : start + 200]
            stdin.write("".join(line + "\n" for line in chunk))
            stdin.flush()
            for _ in chunk:
                answer = stdout.readline()
                if not answer:
                    pytest.fail(f"Java harness died: {self.stderr_path.read_text()[-2000:]}")
                answers.append(answer.rstrip("\n"))
        return answers

    def ask(self, line: str) -> str:
        return self.ask_many([line])[0]

    def generated(self) -> list[list[str]]:
        stdin, stdout = self._pipes()
        stdin.write("GEN\n")
        stdin.flush()
        rows: list[list[str]] = []
        for answer in iter(stdout.readline, ""):
            if answer == "END\n":
                return rows
            rows.append(answer.rstrip("\n").split("\t"))
        pytest.fail(f"Java harness died: {self.stderr_path.read_text()[-2000:]}")


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    libs = kafka_libs(REQUIRED_JARS)
    classpath = str(libs / "*")
    build = tmp_path_factory.mktemp("json-harness")
    compiled = subprocess.run(
        [java_tool("javac"), "-nowarn", "-cp", classpath, "-d", str(build), str(HARNESS)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if compiled.returncode != 0:
        pytest.fail(f"javac failed on {HARNESS.name}:\n{compiled.stderr}")
    stderr_path = build / "stderr.txt"
    with stderr_path.open("w") as stderr:
        proc = subprocess.Popen(
            [java_tool("java"), "-cp", f"{classpath}{os.pathsep}{build}", "JsonConverterHarness"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            encoding="utf-8",
        )
        try:
            yield Harness(proc, stderr_path)
        finally:
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.close()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            proc.stdout.close()


CONVERTERS: dict[str, JsonConverter] = {}
for _name, _config in CONFIGS.items():
    CONVERTERS[_name] = JsonConverter()
    CONVERTERS[_name].configure(_config, False)


def _b64(data: bytes | None) -> str:
    return "-" if data is None else base64.b64encode(data).decode()


def _sluice_round_trip(reader: JsonConverter, writer: JsonConverter, data: bytes) -> str:
    """What the harness answers, computed by sluice: ``OK <b64>`` or ``ERR ...``."""
    try:
        sv = reader.to_connect_data("t", data)
        return "OK\t" + _b64(writer.from_connect_data("t", sv.schema, sv.value))
    except DataError as e:
        return f"ERR\t{e}"


def _same(java: str, ours: str, context: str) -> None:
    if java.startswith("ERR") or ours.startswith("ERR"):
        assert java.startswith("ERR") and ours.startswith("ERR"), (
            f"{context}\n java: {java}\n sluice: {ours}"
        )
        return
    assert java == ours, f"{context}\n java:   {_show(java)}\n sluice: {_show(ours)}"


def _show(answer: str) -> str:
    payload = answer.split("\t", 1)[1]
    return payload if payload == "-" else repr(base64.b64decode(payload))


# -- (a) and (b): sluice writes, Kafka reads and writes with each configuration -------------------
@settings(
    max_examples=120,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(pair=schema_and_value())
def test_kafka_reads_and_rewrites_what_sluice_writes(
    harness: Harness, pair: tuple[Schema | None, Any]
) -> None:
    schema, value = pair
    envelope = CONVERTERS["schemas"].from_connect_data("t", schema, value)
    assert envelope is not None
    requests, expected = [], []
    for name, conv in CONVERTERS.items():
        requests.append(f"RT\t{name}\t{_b64(envelope)}")
        expected.append(_sluice_round_trip(CONVERTERS["schemas"], conv, envelope))
    answers = harness.ask_many(requests)
    context = f"schema={schema!r} value={value!r}\n envelope={envelope!r}"
    for name, java, ours in zip(CONVERTERS, answers, expected, strict=True):
        _same(java, ours, f"{context}\n config={name}")
    # The envelope itself must be exactly what Kafka writes back.
    assert answers[0] == "OK\t" + _b64(envelope), f"{context}\n java: {_show(answers[0])}"
    # Data written without schemas must read the same way on both sides: Kafka reads objects
    # into HashMaps, so structs come back with their fields in hash order, and so does sluice.
    for name in ("noschemas", "numeric_noschemas"):
        plain = CONVERTERS[name].from_connect_data("t", schema, value)
        if plain is not None:
            ours = _sluice_round_trip(CONVERTERS[name], CONVERTERS[name], plain)
            java = harness.ask(f"RD\t{name}\t{_b64(plain)}")
            _same(java, ours, f"{context}\n {name}: {plain!r}")


# -- (c): Kafka writes its own records, sluice reads and writes them ------------------------------
def test_sluice_reads_and_rewrites_what_kafka_writes(harness: Harness) -> None:
    rows = harness.generated()
    assert len(rows) > 100
    written = 0
    for row in rows:
        _, config, name, data, *answer = row
        if data == "-":
            # Kafka refused to write the record (a null with no default, ...): so must sluice.
            continue
        written += 1
        raw = base64.b64decode(data)
        ours = _sluice_round_trip(CONVERTERS[config], CONVERTERS[config], raw)
        java = "\t".join(answer)
        _same(java, ours, f"record {name} with {config}: {raw!r}")
    assert written > 100


# -- maps with keys that are not strings -----------------------------------------------------------
def _non_string_keys(rng: random.Random) -> dict[str, tuple[Schema, list[Any]]]:
    ints = [rng.randint(-(2**31), 2**31 - 1) for _ in range(30)] + list(range(-5, 20))
    millis = [rng.randint(-(2**41), 2**41) for _ in range(30)]
    return {
        "int8": (Schema.INT8_SCHEMA, list(range(-128, 128, 7))),
        "int16": (Schema.INT16_SCHEMA, [rng.randint(-(2**15), 2**15 - 1) for _ in range(30)]),
        "int32": (Schema.INT32_SCHEMA, ints),
        "int64": (Schema.INT64_SCHEMA, [rng.randint(-(2**63), 2**63 - 1) for _ in range(30)]),
        "boolean": (Schema.BOOLEAN_SCHEMA, [False, True]),
        "float32": (Schema.FLOAT32_SCHEMA, [0.5, -2.25, 1024.0, 3.0e-5, 7.5, -0.125, 1e20]),
        "float64": (Schema.FLOAT64_SCHEMA, [rng.uniform(-1e9, 1e9) for _ in range(30)]),
        "timestamp": (Timestamp.SCHEMA, [from_epoch_millis(m) for m in millis]),
        "date": (Date.SCHEMA, [Date.to_logical(Date.SCHEMA, d) for d in range(-800, 40000, 997)]),
        "time": (
            Time.SCHEMA,
            [Time.to_logical(Time.SCHEMA, rng.randint(0, 86_399_999)) for _ in range(20)],
        ),
        "optional int32, null key": (Schema.OPTIONAL_INT32_SCHEMA, [None, 3, 17, 33, -1]),
    }


def test_maps_with_keys_that_are_not_strings_come_back_in_kafkas_order(harness: Harness) -> None:
    """Kafka reads such maps (JSON arrays of pairs) into HashMaps too: the pairs come back in
    the order their keys' Java hashes give."""
    rng = random.Random(11)
    requests, expected, contexts = [], [], []
    for name, (key_schema, keys) in _non_string_keys(rng).items():
        for _ in range(3):
            rng.shuffle(keys)
            schema = SchemaBuilder.map(key_schema, Schema.INT32_SCHEMA).build()
            envelope = CONVERTERS["schemas"].from_connect_data(
                "t", schema, {k: i for i, k in enumerate(keys)}
            )
            assert envelope is not None
            requests.append(f"RD\tschemas\t{_b64(envelope)}")
            expected.append(
                _sluice_round_trip(CONVERTERS["schemas"], CONVERTERS["schemas"], envelope)
            )
            contexts.append(f"{name} keys: {envelope!r}")
    answers = harness.ask_many(requests)
    moved = 0
    for java, ours, context, request in zip(answers, expected, contexts, requests, strict=True):
        _same(java, ours, context)
        moved += java.split("\t")[1] != request.split("\t")[2]
    assert moved > len(requests) // 2  # Kafka did reorder most of them: the check is not vacuous


# -- number formatting ----------------------------------------------------------------------------
def _interesting_doubles(rng: random.Random) -> list[float]:
    values: list[float] = []
    while len(values) < 6000:
        pick = rng.random()
        if pick < 0.35:
            bits = rng.getrandbits(64)
        elif pick < 0.55:
            bits = struct.unpack("<Q", struct.pack("<d", float(rng.randint(1, 2**70))))[0]
        elif pick < 0.8:
            digits = rng.randint(1, 17)
            v = float(f"{rng.randint(10 ** (digits - 1), 10**digits - 1)}e{rng.randint(-330, 300)}")
            bits = struct.unpack("<Q", struct.pack("<d", v))[0]
        elif pick < 0.9:
            bits = struct.unpack("<Q", struct.pack("<d", 2.0 ** rng.randint(-1074, 1023)))[0]
        else:
            bits = rng.getrandbits(rng.randint(1, 64))
        values.append(struct.unpack("<d", struct.pack("<Q", bits))[0])
    return values


def test_doubles_and_floats_print_as_on_the_jvm(harness: Harness) -> None:
    rng = random.Random(20240601)
    doubles = _interesting_doubles(rng)
    floats = [struct.unpack("<f", struct.pack("<I", rng.getrandbits(32)))[0] for _ in range(3000)]
    floats += [float(f"{rng.randint(1, 99999999)}e{rng.randint(-45, 30)}") for _ in range(1000)]
    requests = [f"D\t{struct.unpack('<Q', struct.pack('<d', d))[0]:x}" for d in doubles]
    requests += [f"F\t{struct.unpack('<I', struct.pack('<f', f))[0]:x}" for f in floats]
    answers = harness.ask_many(requests)
    ours = [double_to_string(d) for d in doubles]
    ours += [float_to_string(struct.unpack("<f", struct.pack("<f", f))[0]) for f in floats]
    wrong = [(r, j, o) for r, j, o in zip(requests, answers, ours, strict=True) if j != o]
    assert not wrong, f"{len(wrong)} differ, e.g. {wrong[:5]}"
