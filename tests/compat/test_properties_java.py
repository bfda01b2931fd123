"""``parse_properties`` against the JDK's own ``java.util.Properties``.

All inputs are written to files first and loaded by a single JVM run, because starting a JVM per
example would cost seconds each. Two reading modes are compared: ``stream`` is how Kafka's
``Utils.loadProps`` reads worker and connector files (an InputStream, so ISO-8859-1), ``utf8`` is
how ``FileConfigProvider`` reads (a UTF-8 Reader).
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sluice.runtime.config_files import PropertiesError, load_properties

pytestmark = pytest.mark.compat

_JAVA_SOURCE = r"""
import java.io.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;

public class LoadProps {
    static String esc(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c < 0x7f && c != '\\' && c != '=') b.append(c);
            else b.append(String.format("\\u%04x", (int) c));
        }
        return b.toString();
    }

    public static void main(String[] args) throws Exception {
        List<String> jobs = Files.readAllLines(Paths.get(args[0]), StandardCharsets.UTF_8);
        PrintStream out = new PrintStream(new FileOutputStream(args[1]), false, "US-ASCII");
        for (String job : jobs) {
            String[] parts = job.split("\t", 2);
            Properties props = new Properties();
            out.println("FILE " + parts[1]);
            try {
                if (parts[0].equals("stream")) {
                    try (InputStream in = Files.newInputStream(Paths.get(parts[1]))) {
                        props.load(in);
                    }
                } else {
                    try (Reader in = Files.newBufferedReader(Paths.get(parts[1]),
                                                             StandardCharsets.UTF_8)) {
                        props.load(in);
                    }
                }
                for (String key : props.stringPropertyNames()) {
                    out.println(esc(key) + "=" + esc(props.getProperty(key)));
                }
            } catch (IllegalArgumentException e) {
                out.println("ERROR " + esc(String.valueOf(e.getMessage())));
            } catch (IOException e) {
                out.println("IOERROR " + esc(e.getClass().getSimpleName()));
            }
        }
        out.println("END");
        out.close();
    }
}
"""


def _esc(text: str) -> str:
    """Escape as the Java side does: per UTF-16 code unit, so the two sides compare exactly."""
    units = text.encode("utf-16-le", "surrogatepass")
    out = []
    for i in range(0, len(units), 2):
        unit = int.from_bytes(units[i : i + 2], "little")
        ch = chr(unit)
        if 0x20 <= unit < 0x7F and ch not in "\\=":
            out.append(ch)
        else:
            out.append(f"\\u{unit:04x}")
    return "".join(out)


@dataclass
class _Case:
    name: str
    data: bytes
    mode: str  # "stream" (ISO-8859-1, like Utils.loadProps) or "utf8" (like FileConfigProvider)


def _python_result(case: _Case, path: Path) -> dict[str, str] | str:
    try:
        parsed = load_properties(path, "latin-1" if case.mode == "stream" else "utf-8")
    except PropertiesError as exc:
        return "ERROR" if "malformed" in str(exc) else "IOERROR"
    return {_esc(k): _esc(v) for k, v in parsed.items()}


def _java_results(
    workdir: Path, classes: Path, jobs: list[tuple[str, Path]]
) -> dict[str, dict[str, str] | str]:
    job_file = workdir / "jobs.txt"
    job_file.write_text("".join(f"{mode}\t{path}\n" for mode, path in jobs), encoding="utf-8")
    out_file = workdir / "java-out.txt"
    subprocess.run(
        ["java", "-Xshare:auto", "-cp", str(classes), "LoadProps", str(job_file), str(out_file)],
        check=True,
        timeout=120,
    )
    results: dict[str, dict[str, str] | str] = {}
    current: str | None = None
    lines = out_file.read_text(encoding="ascii").split("\n")
    assert lines[-2:] == ["END", ""], "the Java harness did not finish"
    for line in lines[:-2]:
        if line.startswith("FILE "):
            current = line[5:]
            results[current] = {}
        elif line.startswith(("ERROR ", "IOERROR ")):
            assert current is not None
            results[current] = line.split(" ", 1)[0]
        else:
            assert current is not None
            entries = results[current]
            assert isinstance(entries, dict)
            key, _, value = line.partition("=")
            entries[key] = value
    return results


@pytest.fixture(scope="module")
def java_classes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("javac") is None or shutil.which("java") is None:
        pytest.fail("the compat tests need a JDK (javac and java on PATH)")
    classes = tmp_path_factory.mktemp("javaprops")
    source = classes / "LoadProps.java"
    source.write_text(_JAVA_SOURCE, encoding="utf-8")
    subprocess.run(["javac", "-d", str(classes), str(source)], check=True, timeout=120)
    return classes


HAND_WRITTEN: dict[str, bytes] = {
    "empty": b"",
    "blank lines": b"\n\n   \n\t\f\n",
    "simple": b"a=b\nc:d\ne f\n",
    "blanks around separators": b"  key1   =   value1  \nkey2\t:\tvalue2\nkey3 \f value3\n",
    "blank then separator": b"key = = value\nkey2 : : value\nkey3  =:value\n",
    "separator only once": b"a==b\nc::d\ne=:f\ng:=h\n",
    "comments": b"# comment\n! bang\n   # indented\na=b # not a comment\n#x=y\n",
    "comment at eof without newline": b"a=b\n# last",
    "no separator": b"keyonly\n  keyonly2  \n",
    "empty values": b"a=\nb:\nc\nd =  \n",
    "empty key": b"=value\n:value2\n",
    "duplicates": b"a=1\na=2\nb=x\na=3\n",
    "escaped separators in key": b"a\\=b=c\nd\\:e:f\ng\\ h i\nj\\\tk\tl\n",
    "escapes": b"tab=a\\tb\nnl=a\\nb\ncr=a\\rb\nff=a\\fb\nother=\\q\\z\\\\\\#\\!\n",
    "unicode escapes": b"\\u0041\\u00e9=\\u20ac\\u00FF\\uFFFF\\u0000\n",
    "surrogate pair": b"emoji=\\uD83D\\uDE00\nlone=\\uD83D x\nlow=\\uDE00\n",
    "malformed unicode": b"a=b\nbad=\\u12G4\n",
    "short unicode at end": b"bad=\\u12\n",
    "malformed unicode in key": b"\\u00=x\n",
    "continuation": b"a=one \\\n    two \\\n\t\fthree\nb=c\n",
    "continuation even backslashes": b"a=x\\\\\nb=y\\\\\\\nz\n",
    "continuation into blank line": b"a=x\\\n\nb=y\n",
    "continuation into comment-looking line": b"a=x\\\n# not a comment\n",
    "lone backslash line then comment": b"\\\n# comment?\nb=c\n",
    "lone backslash at eof": b"a=b\n\\",
    "lone backslash newline at eof": b"a=b\n\\\n",
    "lone backslash then blank": b"\\\n\n",
    "lone backslash then spaces": b"\\\n   ",
    "backslash at eof": b"a=b\\",
    "crlf": b"a=b\r\nc=d\r\n\r\ne=f\r\n",
    "cr only": b"a=b\rc=d\r\re=f",
    "crlf continuation": b"a=x\\\r\n   y\r\nb=z\r\n",
    "cr continuation then lf": b"a=x\\\r\ny\n",
    "cr continuation": b"a=x\\\r   y\rb=z",
    "comment ended by cr": b"#c\rk=v\r#d\r\nk2=v2",
    "latin-1 bytes": b"caf\xe9=\xff\xfe\nutf8=\xc3\xa9\n",
    "bom": b"\xef\xbb\xbfkey=value\n",
    "key ends at blank before escaped": b"a\\ =b\n",
    "value with separators": b"url=jdbc:mysql://h:3306/db?a=b&c=d\n",
    "value trailing backslash pairs": b"path=C:\\\\dir\\\\\n",
    "windows path unescaped": b"path=C:\\dir\\new\n",
    "formfeed key end": b"a\fb\n",
    "control chars": b"a=\x00\x01\x7f\n\x0bkey=\x0bv\n",
    "many lines": b"".join(b"key%d=value %d\n" % (i, i) for i in range(300)),
}


def _kafka_like_lines() -> st.SearchStrategy[bytes]:
    piece = st.sampled_from(
        [
            b"a",
            b"key",
            b"x.y",
            b"=",
            b":",
            b" ",
            b"\t",
            b"\f",
            b"\\",
            b"\\\\",
            b"\\u",
            b"\\u00e9",
            b"\\uD83D\\uDE00",
            b"\\t",
            b"\\n",
            b"\n",
            b"\r",
            b"\r\n",
            b"#",
            b"!",
            b"\xe9",
            b"\xc3\xa9",
            b"0",
            b"F",
        ]
    )
    return st.lists(piece, max_size=40).map(b"".join)


def _collect_generated(count: int) -> list[bytes]:
    collected: list[bytes] = []

    @settings(
        max_examples=count,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.one_of(_kafka_like_lines(), st.binary(max_size=60)))
    def collect(data: bytes) -> None:
        collected.append(data)

    collect()
    return collected


def test_matches_java_util_properties(java_classes: Path, tmp_path: Path) -> None:
    cases = [_Case(name, data, "stream") for name, data in HAND_WRITTEN.items()]
    cases += [_Case(f"{name} (utf8)", data, "utf8") for name, data in HAND_WRITTEN.items()]
    generated = _collect_generated(200)
    cases += [_Case(f"generated {i}", data, "stream") for i, data in enumerate(generated)]
    cases += [_Case(f"generated utf8 {i}", data, "utf8") for i, data in enumerate(generated)]
    assert len(cases) > 300

    jobs: list[tuple[str, Path]] = []
    paths: dict[str, Path] = {}
    for index, case in enumerate(cases):
        path = tmp_path / f"case{index}.properties"
        path.write_bytes(case.data)
        paths[case.name] = path
        jobs.append((case.mode, path))
    java = _java_results(tmp_path, java_classes, jobs)

    mismatches = []
    for case in cases:
        path = paths[case.name]
        expected = java[str(path)]
        actual = _python_result(case, path)
        if actual != expected:
            mismatches.append((len(case.data), case.name, case.data, expected, actual))
    mismatches.sort()
    assert not mismatches, "first mismatches (len, name, input, java, python):\n" + "\n".join(
        repr(m) for m in mismatches[:5]
    )


def test_java_reports_what_we_report_as_errors(java_classes: Path, tmp_path: Path) -> None:
    """The two error cases the JDK raises for are errors here too, with the line named."""
    bad = tmp_path / "worker.properties"
    bad.write_bytes(b"a=b\n\n# c\nkey=\\u00zz\n")
    java = _java_results(tmp_path, java_classes, [("stream", bad)])
    assert java[str(bad)] == "ERROR"
    with pytest.raises(PropertiesError, match=r"worker\.properties line 4: malformed \\uxxxx"):
        load_properties(bad)
