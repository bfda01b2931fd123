"""Java ``.properties`` files and connector config files, read exactly as Kafka Connect reads them.

Worker and connector ``.properties`` files must mean the same thing to sluice as to Kafka Connect,
down to the odd corners (a ``\\`` that continues a line, ``:`` as a separator, a key ended by a
blank), so the parser below follows ``java.util.Properties.load`` rule for rule and is checked
against the JDK by ``tests/compat/test_properties_java.py``.

Encoding: Kafka's ``Utils.loadProps`` hands the file to ``Properties.load(InputStream)``, which
reads ISO-8859-1: every byte is one character, and anything else must be written as ``\\uXXXX``.
A UTF-8 ``é`` in ``worker.properties`` therefore reaches Kafka as the two characters ``Ã©``, and
:func:`load_properties` does the same by default. ``FileConfigProvider`` is the exception: it
reads UTF-8, and passes ``encoding="utf-8"``.

Connector config files given to ``connect-standalone`` may also be JSON, either a flat object of
configs or a ``CreateConnectorRequest`` (``{"name", "config", "initial_state"}``); see
:func:`load_connector_config_file`. sluice also reads Strimzi ``KafkaConnector`` YAML files, one
or several connectors each (:func:`load_connector_configs`, :mod:`sluice.runtime.strimzi`).
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "ConfigFileError",
    "ConnectorFile",
    "ConnectorFileEntry",
    "PropertiesError",
    "load_connector_config_file",
    "load_connector_configs",
    "load_properties",
    "parse_properties",
    "read_connector_configs",
]

_BLANKS = " \t\f"
_LINE_BREAKS = "\r\n"
_SEPARATORS = "=:"
_ESCAPED_CONTROLS = {"t": "\t", "r": "\r", "n": "\n", "f": "\f"}
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
_PHYSICAL_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_SURROGATE = re.compile("[\ud800-\udfff]")
_INITIAL_STATES = ("RUNNING", "PAUSED", "STOPPED")


class ConfigFileError(ValueError):
    """A config file that cannot be read or does not parse.

    ``source`` names the file (or ``"<string>"``); ``line`` and ``column`` are 1-based and ``None``
    when the problem is not tied to a place in the text.
    """

    def __init__(
        self,
        message: str,
        source: str,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        super().__init__(message)
        self.source = source
        self.line = line
        self.column = column


class PropertiesError(ConfigFileError):
    """A ``.properties`` text that ``java.util.Properties`` would refuse (a bad ``\\uXXXX``)."""


class _MalformedEscapeError(Exception):
    """Raised inside the unescaper with the logical-line index of the offending backslash."""

    def __init__(self, index: int) -> None:
        super().__init__(index)
        self.index = index


class _LogicalLine:
    """One logical line (continuations joined) and where each of its characters came from.

    ``origins[i]`` is the offset in the whole text of ``text[i]``; errors use it to name the
    physical line a bad escape sits on, which in a continued value is not the line the key is on.
    """

    __slots__ = ("origins", "text")

    def __init__(self, text: str, origins: list[int]) -> None:
        self.text = text
        self.origins = origins


def _logical_lines(text: str) -> Iterator[_LogicalLine]:
    """Split ``text`` as ``Properties.LineReader`` does.

    Mirrors the JDK's quirks on purpose: comments are recognised only at the start of a logical
    line (so a ``#`` after a continuation is data), a continuation line's leading blanks are
    dropped but an empty continuation line ends the entry, and a backslash-newline that is the last
    thing in the input still yields a (possibly empty) entry.
    """
    end = len(text)
    pos = 0
    while True:
        chars: list[str] = []
        origins: list[int] = []
        skip_blanks = True
        continuing = False  # Java's appendedLineBegin: just joined a continuation line
        odd_backslashes = False
        while True:
            if pos >= end:
                if not chars:
                    return
                if odd_backslashes:
                    chars.pop()
                    origins.pop()
                yield _LogicalLine("".join(chars), origins)
                return
            c = text[pos]
            pos += 1
            if skip_blanks:
                if c in _BLANKS:
                    continue
                if not continuing and c in _LINE_BREAKS:
                    continue
                skip_blanks = False
                continuing = False
            if not chars and c in "#!":
                cr = text.find("\r", pos)
                lf = text.find("\n", pos)
                breaks = [i for i in (cr, lf) if i >= 0]
                if not breaks:
                    return
                pos = min(breaks) + 1
                skip_blanks = True
                continue
            if c not in _LINE_BREAKS:
                chars.append(c)
                origins.append(pos - 1)
                odd_backslashes = c == "\\" and not odd_backslashes
                continue
            if not chars:
                skip_blanks = True
                continue
            if pos >= end:
                if odd_backslashes:
                    chars.pop()
                    origins.pop()
                yield _LogicalLine("".join(chars), origins)
                return
            if not odd_backslashes:
                yield _LogicalLine("".join(chars), origins)
                break
            chars.pop()
            origins.pop()
            skip_blanks = True
            continuing = True
            odd_backslashes = False
            if c == "\r" and text[pos] == "\n":
                pos += 1


def _split_key_value(line: str) -> tuple[int, int]:
    """Return (key end, value start) as ``Properties.load0`` finds them.

    The key ends at the first unescaped ``=``, ``:`` or blank; blanks after it are skipped, then
    at most one ``=`` or ``:`` if the key was ended by a blank, then blanks again.
    """
    limit = len(line)
    key_end = 0
    value_start = limit
    has_separator = False
    escaped = False
    while key_end < limit:
        c = line[key_end]
        if not escaped and c in _SEPARATORS:
            value_start = key_end + 1
            has_separator = True
            break
        if not escaped and c in _BLANKS:
            value_start = key_end + 1
            break
        escaped = c == "\\" and not escaped
        key_end += 1
    while value_start < limit:
        c = line[value_start]
        if c not in _BLANKS:
            if has_separator or c not in _SEPARATORS:
                break
            has_separator = True
        value_start += 1
    return key_end, value_start


def _unescape(line: str, start: int, end: int) -> str:
    """Apply ``Properties.loadConvert`` to ``line[start:end]``."""
    first = line.find("\\", start, end)
    if first < 0:
        return line[start:end]
    out = [line[start:first]]
    pos = first
    while pos < end:
        c = line[pos]
        if c != "\\":
            nxt = line.find("\\", pos, end)
            stop = end if nxt < 0 else nxt
            out.append(line[pos:stop])
            pos = stop
            continue
        backslash = pos
        pos += 1
        if pos >= end:
            # The line reader strips a trailing odd backslash, so Java never gets here.
            break
        c = line[pos]
        pos += 1
        if c == "u":
            digits = line[pos : pos + 4]
            if pos > end - 4 or not all(d in _HEX_DIGITS for d in digits):
                raise _MalformedEscapeError(backslash)
            out.append(chr(int(digits, 16)))
            pos += 4
        else:
            out.append(_ESCAPED_CONTROLS.get(c, c))
    result = "".join(out)
    if _SURROGATE.search(result):
        # Java strings are UTF-16: \uD83D\uDE00 is one character there, and must be here too.
        result = result.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    return result


def parse_properties(text: str, source: str = "<string>") -> dict[str, str]:
    """Parse ``text`` exactly as ``java.util.Properties.load(Reader)`` would.

    ``source`` only feeds error messages. Later duplicates of a key win, as in Java.
    """
    line_starts: list[int] | None = None
    result: dict[str, str] = {}
    for logical in _logical_lines(text):
        line = logical.text
        key_end, value_start = _split_key_value(line)
        try:
            key = _unescape(line, 0, key_end)
            value = _unescape(line, value_start, len(line))
        except _MalformedEscapeError as exc:
            if line_starts is None:
                line_starts = [0] + [m.end() for m in _PHYSICAL_LINE_BREAK.finditer(text)]
            offset = logical.origins[exc.index]
            line_no = bisect.bisect_right(line_starts, offset)
            column = offset - line_starts[line_no - 1] + 1
            raise PropertiesError(
                f"{source} line {line_no}: malformed \\uxxxx encoding", source, line_no, column
            ) from None
        result[key] = value
    return result


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ConfigFileError(f"{path}: cannot read file: {reason}", str(path)) from None


def load_properties(path: Path, encoding: str = "latin-1") -> dict[str, str]:
    """Read a ``.properties`` file the way Kafka's ``Utils.loadProps`` does (ISO-8859-1).

    ``encoding="utf-8"`` reads it as ``FileConfigProvider`` does instead; bytes that are not
    valid in the encoding are an error naming the line, as Java's strict decoder refuses them.
    """
    raw = _read_bytes(path)
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line_no = raw.count(b"\n", 0, exc.start) + 1
        raise PropertiesError(
            f"{path} line {line_no}: bytes that are not valid {encoding}", str(path), line_no
        ) from None
    return parse_properties(text, str(path))


# --- connector config files (connect-standalone's extra arguments) -------------------------------


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not valid JSON")


def _decode_json(raw: bytes, source: str) -> object:
    """Decode JSON the way Jackson's ``ObjectMapper.readValue`` sees it.

    Numbers keep their literal text (Jackson turns ``1.50`` into the string ``"1.50"``), NaN and
    Infinity are refused, and anything after the first complete value is ignored, as Jackson
    does by default.
    """
    try:
        text = raw.decode(json.detect_encoding(raw), "strict")
    except UnicodeDecodeError as exc:
        raise ConfigFileError(
            f"{source}: not valid UTF-8/16/32 text: {exc.reason}", source
        ) from None
    decoder = json.JSONDecoder(parse_float=str, parse_int=str, parse_constant=_reject_constant)
    start = len(text) - len(text.lstrip(" \t\r\n"))
    if start == len(text):
        raise ConfigFileError(f"{source}: no JSON content", source, 1, 1)
    try:
        value, _ = decoder.raw_decode(text, start)
    except json.JSONDecodeError as exc:
        raise ConfigFileError(
            f"{source} line {exc.lineno} column {exc.colno}: invalid JSON: {exc.msg}",
            source,
            exc.lineno,
            exc.colno,
        ) from None
    except ValueError as exc:  # NaN / Infinity
        raise ConfigFileError(f"{source}: invalid JSON: {exc}", source) from None
    return value


def _json_scalar_kind(value: object) -> str | None:
    """Name the JSON kind of a value Jackson cannot turn into a String, else None."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if value is None:
        return "null"
    return None


def _as_string(value: object) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    assert isinstance(value, str)  # numbers were kept as their literal text
    return value


def _string_map(obj: Mapping[str, object], source: str, where: str) -> dict[str, str]:
    config: dict[str, str] = {}
    for key, value in obj.items():
        kind = _json_scalar_kind(value)
        if kind is not None:
            raise ConfigFileError(
                f"{source}: value of {where}'{key}' is {kind}; connector configuration values "
                "must be strings, numbers or booleans",
                source,
            )
        config[key] = _as_string(value)
    return config


def _from_create_request(
    obj: Mapping[str, object], source: str
) -> tuple[str, dict[str, str], str | None]:
    """Unpack ``{"name", "config", "initial_state"}``; Kafka ignores any other fields."""
    raw_config = obj.get("config")
    if not isinstance(raw_config, dict):
        kind = "missing" if raw_config is None else f"not an object ({_describe(raw_config)})"
        raise ConfigFileError(f"{source}: 'config' is {kind}", source)
    config = _string_map(raw_config, source, "config key ")
    raw_name = obj.get("name")
    if raw_name is not None and _json_scalar_kind(raw_name) is not None:
        raise ConfigFileError(f"{source}: 'name' must be a string", source)
    name = None if raw_name is None else _as_string(raw_name)
    if "name" in config:
        if config["name"] != name:
            raise ConfigFileError(
                f"{source}: connector name configuration in 'config' doesn't match the one "
                "specified in 'name'",
                source,
            )
    elif name is None:
        raise ConfigFileError(f"{source}: connector configuration is missing 'name'", source)
    else:
        config["name"] = name
    state = _initial_state(obj.get("initial_state"), source)
    assert name is not None
    return name, config, state


def _initial_state(raw: object, source: str) -> str | None:
    # Absent means the herder's default; an explicit value is matched case-insensitively.
    if raw is None:
        return None
    if isinstance(raw, str) and raw.upper() in _INITIAL_STATES:
        return raw.upper()
    allowed = ", ".join(_INITIAL_STATES)
    raise ConfigFileError(
        f"{source}: invalid 'initial_state' {json.dumps(raw)}; expected one of {allowed}", source
    )


def _describe(value: object) -> str:
    return _json_scalar_kind(value) or "a scalar value"


def _read_json_or_properties(
    raw: bytes, source: str, is_json_name: bool
) -> tuple[str, dict[str, str], str | None]:
    stripped = raw.lstrip(b" \t\r\n\xef\xbb\xbf")
    if not is_json_name and not stripped.startswith(b"{"):
        config = parse_properties(raw.decode("latin-1"), source)
        if "name" not in config:
            raise ConfigFileError(
                f"{source}: connector configuration is missing the mandatory 'name' configuration",
                source,
            )
        return config["name"], config, None

    document = _decode_json(raw, source)
    if not isinstance(document, dict):
        raise ConfigFileError(
            f"{source}: expected a JSON object, found {_describe(document)}", source
        )
    flat = all(_json_scalar_kind(v) is None for v in document.values())
    if flat:
        config = _string_map(document, source, "")
        if "name" not in config:
            raise ConfigFileError(
                f"{source}: connector configuration is missing the mandatory 'name' configuration",
                source,
            )
        return config["name"], config, None
    if "config" not in document:
        # Neither shape: name the first value that stops it being a flat map.
        _string_map(document, source, "")
    return _from_create_request(document, source)


def load_connector_config_file(path: Path) -> tuple[str, dict[str, str], str | None]:
    """Read one connector config file named on the ``connect-standalone`` command line.

    Returns ``(name, config, initial_state)``; ``initial_state`` is ``"RUNNING"``, ``"PAUSED"``,
    ``"STOPPED"`` or ``None`` when the file does not set it, and ``config["name"]`` is always set.

    Kafka tries, in order, a flat JSON object of strings, a ``CreateConnectorRequest`` and finally
    a ``.properties`` file. sluice decides up front instead, so a broken JSON file is reported as
    broken JSON (with line and column) rather than as a properties file missing ``name``: a file
    is JSON when its name ends in ``.json`` or its first non-blank character is ``{``. Values
    Kafka would map to ``null`` (JSON ``null``) are refused, since the config is strings only.

    A Strimzi ``KafkaConnector`` YAML file (see :func:`load_connector_configs`) is accepted when
    it holds exactly one connector.
    """
    loaded = load_connector_configs(path)
    if len(loaded.connectors) != 1:
        raise ConfigFileError(
            f"{loaded.source}: holds {len(loaded.connectors)} KafkaConnector resources; "
            "one was expected here",
            loaded.source,
        )
    entry = loaded.connectors[0]
    return entry.name, entry.config, entry.initial_state


# --- every connector of a file, YAML included -------------------------------------------------


@dataclass(frozen=True)
class ConnectorFileEntry:
    """One connector read from a connector config file.

    ``where`` names it in messages: the file, or for YAML the file and document
    (``conn.yaml document 2 (KafkaConnector sink)``). ``initial_state`` is the state it is
    created in (KIP-980's ``RUNNING``, ``PAUSED``, ``STOPPED``, or ``None``: running).
    ``state`` is set only when the file declares the state the connector must be in whenever the
    file is applied, as a Strimzi ``KafkaConnector``'s ``spec.state`` does; a JSON
    ``initial_state`` counts only on creation.
    """

    where: str
    name: str
    config: dict[str, str]
    initial_state: str | None = None
    state: str | None = None


@dataclass(frozen=True)
class ConnectorFile:
    """The connectors of one file, and notes on what was ignored or skipped (YAML only)."""

    source: str
    connectors: tuple[ConnectorFileEntry, ...]
    notes: tuple[str, ...] = ()


def read_connector_configs(raw: bytes, source: str) -> ConnectorFile:
    """:func:`load_connector_configs` for bytes already read; ``source`` is the file's name
    (its suffix counts) or a label such as ``<stdin>``."""
    from sluice.runtime.strimzi import looks_like_yaml, parse_kafka_connectors

    if looks_like_yaml(source, raw):
        parsed = parse_kafka_connectors(raw, source)
        if not parsed.connectors:
            raise ConfigFileError(
                f"{source}: no KafkaConnector resource (kind: KafkaConnector) in this file",
                source,
            )
        entries = tuple(
            ConnectorFileEntry(c.where, c.name, c.config, c.state, c.state)
            for c in parsed.connectors
        )
        return ConnectorFile(source, entries, parsed.notes)
    name, config, initial_state = _read_json_or_properties(
        raw, source, source.lower().endswith(".json")
    )
    return ConnectorFile(source, (ConnectorFileEntry(source, name, config, initial_state),))


def load_connector_configs(path: Path) -> ConnectorFile:
    """Every connector of a connector config file: one for ``.properties`` and JSON files (read
    as :func:`load_connector_config_file` describes), one or several for a YAML file of Strimzi
    ``KafkaConnector`` resources (``.yaml``/``.yml``, or a text starting with ``apiVersion:``,
    ``kind:`` or ``---``; see :mod:`sluice.runtime.strimzi`). A YAML file without a
    ``KafkaConnector`` is an error; so is any bad document, and then none is returned.
    """
    return read_connector_configs(_read_bytes(path), str(path))
