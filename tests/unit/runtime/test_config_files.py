"""Java ``.properties`` semantics and connector config files (properties or JSON)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sluice.runtime.config_files import (
    ConfigFileError,
    PropertiesError,
    load_connector_config_file,
    load_properties,
    parse_properties,
)

# --- separators and blanks ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a=b", {"a": "b"}),
        ("a:b", {"a": "b"}),
        ("a b", {"a": "b"}),
        ("a\tb", {"a": "b"}),
        ("a\fb", {"a": "b"}),
        ("  a  =  b  ", {"a": "b  "}),
        ("a = = b", {"a": "= b"}),
        ("a  :=b", {"a": "=b"}),
        ("a==b", {"a": "=b"}),
        ("a=:b", {"a": ":b"}),
        ("a", {"a": ""}),
        ("a=", {"a": ""}),
        ("a   ", {"a": ""}),
        ("=b", {"": "b"}),
        (":b", {"": "b"}),
        ("url=jdbc:postgresql://h:5432/db?x=y", {"url": "jdbc:postgresql://h:5432/db?x=y"}),
    ],
)
def test_key_value_separation(text: str, expected: dict[str, str]) -> None:
    assert parse_properties(text) == expected


def test_only_first_unescaped_separator_splits() -> None:
    assert parse_properties("a=b=c:d e") == {"a": "b=c:d e"}


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("a\\=b=c", "a=b"),
        ("a\\:b=c", "a:b"),
        ("a\\ b=c", "a b"),
        ("a\\\tb=c", "a\tb"),
        ("a\\\\=c", "a\\"),
    ],
)
def test_escaped_separators_stay_in_the_key(text: str, key: str) -> None:
    assert parse_properties(text) == {key: "c"}


# --- comments and blank lines -------------------------------------------------------------------


def test_comments_and_blank_lines_are_skipped() -> None:
    text = "# hash\n! bang\n   # indented hash\n\t! indented bang\n\n   \n\f\na=b\n"
    assert parse_properties(text) == {"a": "b"}


def test_comment_char_inside_a_value_is_data() -> None:
    assert parse_properties("a=b # c\nd=#e\n") == {"a": "b # c", "d": "#e"}


def test_comment_char_after_key_start_is_data() -> None:
    assert parse_properties("a#b=c\n") == {"a#b": "c"}


def test_comment_backslash_does_not_continue() -> None:
    assert parse_properties("# comment \\\na=b\n") == {"a": "b"}


# --- escapes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("escaped", "value"),
    [
        ("\\t", "\t"),
        ("\\n", "\n"),
        ("\\r", "\r"),
        ("\\f", "\f"),
        ("\\\\", "\\"),
        ("\\q", "q"),
        ("\\#", "#"),
        ("\\!", "!"),
        ("\\=", "="),
        ("\\ ", " "),
        ("\\b", "b"),  # no \b escape in Java: the backslash is dropped
        ("\\u0041", "A"),
        ("\\u00e9", "é"),
        ("\\u00E9", "é"),
        ("\\u20AC", "€"),
        ("\\u0000", "\x00"),
        ("\\uD83D\\uDE00", "\U0001f600"),
        ("\\uD83D", "\ud83d"),
    ],
)
def test_value_escapes(escaped: str, value: str) -> None:
    assert parse_properties(f"k={escaped}") == {"k": value}


def test_unicode_escape_in_key() -> None:
    assert parse_properties("\\u006B\\u0065\\u0079=v") == {"key": "v"}


def test_escaped_leading_blank_in_value_is_kept() -> None:
    assert parse_properties("k=\\  padded") == {"k": "  padded"}


def test_windows_path_needs_doubled_backslashes() -> None:
    parsed = parse_properties("a=C:\\dir\\new\nb=C:\\\\dir\\\\new\n")
    assert parsed == {"a": "C:dir\new", "b": "C:\\dir\\new"}


@pytest.mark.parametrize(
    "text",
    ["k=\\u12G4", "k=\\u12", "k=\\u", "k=\\uXYZW", "\\u00=x", "k=ok\\u004"],
)
def test_malformed_unicode_escape_is_an_error(text: str) -> None:
    with pytest.raises(PropertiesError, match=r"line 1: malformed \\uxxxx encoding"):
        parse_properties(text)


def test_properties_error_is_a_value_error_with_location() -> None:
    with pytest.raises(ValueError) as info:
        parse_properties("a=b\n\n# c\nd=e \\u00zz", "worker.properties")
    error = info.value
    assert isinstance(error, PropertiesError)
    assert str(error) == "worker.properties line 4: malformed \\uxxxx encoding"
    assert (error.source, error.line, error.column) == ("worker.properties", 4, 5)


def test_error_line_is_the_physical_line_of_a_continued_value() -> None:
    text = "a=1\nlong=first \\\n   second \\\n   bad\\u12\nz=2\n"
    with pytest.raises(PropertiesError) as info:
        parse_properties(text, "c.properties")
    assert info.value.line == 4
    assert str(info.value).startswith("c.properties line 4:")


def test_error_line_counts_crlf_and_cr_as_one_break() -> None:
    with pytest.raises(PropertiesError) as info:
        parse_properties("a=1\r\nb=2\rc=3\n\r\nd=\\u")
    assert info.value.line == 5


# --- line continuation -----------------------------------------------------------------------


def test_continuation_joins_lines_and_drops_leading_blanks() -> None:
    text = "k=one, \\\n     two, \\\n\t\fthree\nnext=x\n"
    assert parse_properties(text) == {"k": "one, two, three", "next": "x"}


def test_even_backslashes_do_not_continue() -> None:
    assert parse_properties("a=x\\\\\nb=y\n") == {"a": "x\\", "b": "y"}


def test_odd_backslashes_continue() -> None:
    assert parse_properties("a=x\\\\\\\ny\n") == {"a": "x\\y"}


def test_continuation_of_the_key() -> None:
    assert parse_properties("ke\\\n  y=v\n") == {"key": "v"}


def test_empty_continuation_line_ends_the_entry() -> None:
    assert parse_properties("a=x\\\n\nb=y\n") == {"a": "x", "b": "y"}


def test_continued_line_starting_with_hash_is_data() -> None:
    assert parse_properties("a=x\\\n  # not a comment\n") == {"a": "x# not a comment"}


def test_lone_backslash_line_then_comment_is_still_a_comment() -> None:
    assert parse_properties("\\\n# comment\nb=c\n") == {"b": "c"}


@pytest.mark.parametrize("text", ["a=b\n\\", "a=b\n\\\n", "a=b\n  \\"])
def test_lone_backslash_at_end_of_input_is_an_empty_entry(text: str) -> None:
    assert parse_properties(text) == {"a": "b", "": ""}


def test_trailing_backslash_at_end_of_input_is_dropped() -> None:
    assert parse_properties("a=b\\") == {"a": "b"}


def test_continuation_across_crlf_and_cr() -> None:
    assert parse_properties("a=x\\\r\n   y\r\nb=z\\\r  w\rc=v") == {
        "a": "xy",
        "b": "zw",
        "c": "v",
    }


# --- line endings, duplicates, characters ------------------------------------------------------


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_line_endings(newline: str) -> None:
    text = newline.join(["a=1", "# c", "", "b=2", ""])
    assert parse_properties(text) == {"a": "1", "b": "2"}


def test_duplicate_keys_last_wins() -> None:
    assert parse_properties("a=1\nb=2\na=3\n") == {"a": "3", "b": "2"}


def test_no_trailing_newline() -> None:
    assert parse_properties("a=1\nb=2") == {"a": "1", "b": "2"}


def test_empty_text() -> None:
    assert parse_properties("") == {}


def test_non_ascii_text_passes_through() -> None:
    assert parse_properties("clé=valeur é €") == {"clé": "valeur é €"}


@given(
    st.dictionaries(
        st.text(st.characters(codec="utf-8"), max_size=12),
        st.text(st.characters(codec="utf-8"), max_size=20),
        max_size=8,
    )
)
def test_round_trip_through_java_style_escaping(entries: dict[str, str]) -> None:
    """Anything written with Properties.store's escaping comes back unchanged."""

    def store_escape(text: str, is_key: bool) -> str:
        out = []
        for index, ch in enumerate(text):
            if ch == " " and (is_key or index == 0):
                out.append("\\ ")
            elif ch in "\\=:#!":
                out.append("\\" + ch)
            elif ch in "\t\n\r\f":
                out.append({"\t": "\\t", "\n": "\\n", "\r": "\\r", "\f": "\\f"}[ch])
            elif ord(ch) < 0x20 or ord(ch) > 0x7E:
                out.extend(f"\\u{u:04X}" for u in _utf16_units(ch))
            else:
                out.append(ch)
        return "".join(out)

    text = "# generated\n" + "".join(
        f"{store_escape(k, True)}={store_escape(v, False)}\n" for k, v in entries.items()
    )
    assert parse_properties(text) == entries


def _utf16_units(ch: str) -> list[int]:
    raw = ch.encode("utf-16-le")
    return [int.from_bytes(raw[i : i + 2], "little") for i in range(0, len(raw), 2)]


# --- files -------------------------------------------------------------------------------------


def test_load_properties_reads_iso_8859_1_like_kafka(tmp_path: Path) -> None:
    path = tmp_path / "worker.properties"
    path.write_bytes("latin=caf\u00e9\n".encode("latin-1") + "utf8=café\n".encode())
    assert load_properties(path) == {"latin": "café", "utf8": "cafÃ©"}


def test_load_properties_utf8_mode(tmp_path: Path) -> None:
    path = tmp_path / "secrets.properties"
    path.write_text("pw=café\u20ac\n", encoding="utf-8")
    assert load_properties(path, encoding="utf-8") == {"pw": "café€"}


def test_load_properties_utf8_mode_refuses_invalid_bytes(tmp_path: Path) -> None:
    path = tmp_path / "secrets.properties"
    path.write_bytes(b"a=1\nb=\xe9\n")
    with pytest.raises(PropertiesError, match=r"secrets\.properties line 2: .*utf-8"):
        load_properties(path, encoding="utf-8")


def test_load_properties_names_the_file_in_escape_errors(tmp_path: Path) -> None:
    path = tmp_path / "worker.properties"
    path.write_text("a=b\nc=d\n\n\n\n\nbad=\\u00\n", encoding="ascii")
    with pytest.raises(PropertiesError) as info:
        load_properties(path)
    assert str(info.value) == f"{path} line 7: malformed \\uxxxx encoding"


def test_missing_file_is_an_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "nope.properties"
    with pytest.raises(ConfigFileError, match=r"nope\.properties: cannot read file"):
        load_properties(path)


def test_directory_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigFileError, match=str(tmp_path)):
        load_properties(tmp_path)


# --- connector config files --------------------------------------------------------------------


def _write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def test_connector_properties_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "sink.properties", "name=local-file-sink\ntasks.max=1\nfile=out.txt\n")
    name, config, state = load_connector_config_file(path)
    assert name == "local-file-sink"
    assert config == {"name": "local-file-sink", "tasks.max": "1", "file": "out.txt"}
    assert state is None


def test_connector_properties_file_without_name(tmp_path: Path) -> None:
    path = _write(tmp_path, "sink.properties", "tasks.max=1\n")
    with pytest.raises(ConfigFileError, match=r"sink\.properties.*missing the mandatory 'name'"):
        load_connector_config_file(path)


def test_connector_flat_json_converts_scalars_like_jackson(tmp_path: Path) -> None:
    document = (
        '{"name": "src", "tasks.max": 1, "batch.size": 10000, "ratio": 1.50, "exp": 1e3,'
        ' "big": 123456789012345678901234567890, "flag": true, "off": false, "neg": -0}'
    )
    name, config, state = load_connector_config_file(_write(tmp_path, "c.json", document))
    assert name == "src"
    assert config == {
        "name": "src",
        "tasks.max": "1",
        "batch.size": "10000",
        "ratio": "1.50",
        "exp": "1e3",
        "big": "123456789012345678901234567890",
        "flag": "true",
        "off": "false",
        "neg": "-0",
    }
    assert state is None


def test_connector_json_detected_by_content(tmp_path: Path) -> None:
    path = _write(tmp_path, "c.conf", '\n  {"name": "x", "a": "b"}')
    assert load_connector_config_file(path) == ("x", {"name": "x", "a": "b"}, None)


def test_connector_json_with_bom(tmp_path: Path) -> None:
    path = _write(tmp_path, "c.json", b'\xef\xbb\xbf{"name": "x"}')
    assert load_connector_config_file(path) == ("x", {"name": "x"}, None)


def test_connector_json_duplicate_keys_last_wins(tmp_path: Path) -> None:
    path = _write(tmp_path, "c.json", '{"name": "x", "a": "1", "a": "2"}')
    assert load_connector_config_file(path)[1] == {"name": "x", "a": "2"}


def test_connector_json_trailing_content_is_ignored_like_jackson(tmp_path: Path) -> None:
    path = _write(tmp_path, "c.json", '{"name": "x"} }')
    assert load_connector_config_file(path) == ("x", {"name": "x"}, None)


def test_connector_flat_json_without_name(tmp_path: Path) -> None:
    with pytest.raises(ConfigFileError, match=r"missing the mandatory 'name'"):
        load_connector_config_file(_write(tmp_path, "c.json", '{"tasks.max": "1"}'))


def test_connector_create_request(tmp_path: Path) -> None:
    document = {
        "name": "sink",
        "config": {"connector.class": "FileStreamSink", "tasks.max": 2},
        "initial_state": "paused",
        "ignored": {"unknown": "fields"},
    }
    path = _write(tmp_path, "req.json", json.dumps(document))
    name, config, state = load_connector_config_file(path)
    assert name == "sink"
    assert config == {"connector.class": "FileStreamSink", "tasks.max": "2", "name": "sink"}
    assert state == "PAUSED"


@pytest.mark.parametrize("state", ["RUNNING", "running", "Paused", "STOPPED"])
def test_connector_create_request_initial_states(tmp_path: Path, state: str) -> None:
    document = {"name": "s", "config": {}, "initial_state": state}
    path = _write(tmp_path, "req.json", json.dumps(document))
    assert load_connector_config_file(path)[2] == state.upper()


def test_connector_create_request_bad_initial_state(tmp_path: Path) -> None:
    document = {"name": "s", "config": {}, "initial_state": "SLEEPING"}
    path = _write(tmp_path, "req.json", json.dumps(document))
    with pytest.raises(ConfigFileError, match=r"initial_state.*SLEEPING.*RUNNING, PAUSED, STOPPED"):
        load_connector_config_file(path)


def test_connector_create_request_name_in_config_must_match(tmp_path: Path) -> None:
    document = {"name": "a", "config": {"name": "b"}}
    path = _write(tmp_path, "req.json", json.dumps(document))
    with pytest.raises(ConfigFileError, match="doesn't match"):
        load_connector_config_file(path)


def test_connector_create_request_name_only_in_config(tmp_path: Path) -> None:
    # Kafka compares config["name"] with a null top-level name and refuses: so do we.
    document = {"config": {"name": "b"}}
    path = _write(tmp_path, "req.json", json.dumps(document))
    with pytest.raises(ConfigFileError, match="doesn't match"):
        load_connector_config_file(path)


def test_connector_create_request_without_any_name(tmp_path: Path) -> None:
    path = _write(tmp_path, "req.json", json.dumps({"config": {"a": "b"}}))
    with pytest.raises(ConfigFileError, match="missing 'name'"):
        load_connector_config_file(path)


def test_connector_create_request_nested_value_names_the_key(tmp_path: Path) -> None:
    document = {"name": "s", "config": {"transforms": {"x": 1}}}
    path = _write(tmp_path, "req.json", json.dumps(document))
    with pytest.raises(ConfigFileError, match=r"config key 'transforms' is an object"):
        load_connector_config_file(path)


@pytest.mark.parametrize(
    ("value", "kind"),
    [('{"a": 1}', "an object"), ("[1, 2]", "an array"), ("null", "null")],
)
def test_flat_json_unsupported_value_names_the_key(tmp_path: Path, value: str, kind: str) -> None:
    path = _write(tmp_path, "c.json", f'{{"name": "x", "topics": {value}}}')
    with pytest.raises(ConfigFileError, match=f"value of 'topics' is {kind}"):
        load_connector_config_file(path)


def test_malformed_json_names_file_line_and_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "bad.json", '{\n  "name": "x",\n  "a": \n}\n')
    with pytest.raises(ConfigFileError) as info:
        load_connector_config_file(path)
    assert str(info.value).startswith(f"{path} line 4 column 1: invalid JSON")
    assert (info.value.line, info.value.column) == (4, 1)


@pytest.mark.parametrize(
    "content", ['{"name": "x", "n": NaN}', '{"name": "x", "n": 01}', "", "   \n"]
)
def test_json_jackson_refuses(tmp_path: Path, content: str) -> None:
    with pytest.raises(ConfigFileError, match=r"c\.json"):
        load_connector_config_file(_write(tmp_path, "c.json", content))


@pytest.mark.parametrize("content", ["[1]", '"text"', "42"])
def test_json_that_is_not_an_object(tmp_path: Path, content: str) -> None:
    with pytest.raises(ConfigFileError, match="expected a JSON object"):
        load_connector_config_file(_write(tmp_path, "c.json", content))


def test_connector_file_missing(tmp_path: Path) -> None:
    with pytest.raises(ConfigFileError, match=r"gone\.json: cannot read file"):
        load_connector_config_file(tmp_path / "gone.json")
