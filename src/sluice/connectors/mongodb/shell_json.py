"""The lenient JSON the official connector accepts in settings such as ``pipeline``.

The Java connector parses ``pipeline``, ``topic.namespace.map``, ``collation`` and the copy
pipeline with the Java driver's ``JsonReader``, which takes more than strict JSON: unquoted keys
(``{$match: {operationType: 'insert'}}``, the form MongoDB's own documentation shows), single-quoted
strings, Extended JSON (``{"$oid": ...}``, ``{"$date": ...}``) and the shell's constructors
(``ObjectId("...")``, ``ISODate("...")``, ``NumberLong(5)``, ``/regex/i``). Configurations written
for it must keep working, so this module reads the same forms and returns what pymongo sends
(``ObjectId``, ``datetime``, ``Int64``...). Like the connector, a value that fails to parse is
tried once more with every backslash doubled, which accepts regexes written as ``"\\d+"``.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from collections.abc import Callable
from typing import Any, Final

from bson import Decimal128, Int64, MaxKey, MinKey, ObjectId, Regex, Timestamp, json_util
from bson.binary import Binary

__all__ = ["ShellJsonError", "parse_array_of_documents", "parse_document", "parse_value"]


class ShellJsonError(ValueError):
    """Text that is not JSON in any form the Java driver's reader accepts."""


_NUMBER: Final = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_IDENT: Final = re.compile(r"[A-Za-z_$][A-Za-z0-9_$.]*")
_ESCAPES: Final = {'"': '"', "'": "'", "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n"}
_ESCAPES.update({"r": "\r", "t": "\t"})
_INT32: Final = range(-(2**31), 2**31)


def _iso_date(text: str) -> dt.datetime:
    value = text.strip()
    if len(value) == 10:
        value += "T00:00:00Z"
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    parsed = dt.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC).replace(tzinfo=None)


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, message: str) -> ShellJsonError:
        return ShellJsonError(f"{message} at position {self.pos}")

    def skip(self) -> None:
        text = self.text
        n = len(text)
        while self.pos < n:
            ch = text[self.pos]
            if ch.isspace():
                self.pos += 1
            elif text.startswith("//", self.pos):
                end = text.find("\n", self.pos)
                self.pos = n if end < 0 else end + 1
            elif text.startswith("/*", self.pos):
                end = text.find("*/", self.pos + 2)
                if end < 0:
                    raise self.fail("Unterminated comment")
                self.pos = end + 2
            else:
                return

    def peek(self) -> str:
        self.skip()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def expect(self, ch: str) -> None:
        if self.peek() != ch:
            found = self.text[self.pos : self.pos + 10] or "end of text"
            raise self.fail(f"Expected '{ch}' but found '{found}'")
        self.pos += 1

    def value(self) -> Any:
        ch = self.peek()
        if ch == "{":
            return self.document()
        if ch == "[":
            return self.array()
        if ch and ch in "\"'":
            return self.string()
        if ch == "/":
            return self.regex()
        if ch == "-" and self.text.startswith("-Infinity", self.pos):
            self.pos += len("-Infinity")
            return float("-inf")
        if ch == "-" or ch == "." or ch.isdigit():
            return self.number()
        if ch and (ch.isalpha() or ch in "_$"):
            return self.word()
        raise self.fail("Unexpected " + (f"'{ch}'" if ch else "end of text"))

    def document(self) -> Any:
        self.expect("{")
        out: dict[str, Any] = {}
        if self.peek() == "}":
            self.pos += 1
            return json_util.object_hook(out)
        while True:
            key = self.key()
            self.expect(":")
            out[key] = self.value()
            ch = self.peek()
            self.pos += 1
            if ch == "}":
                return json_util.object_hook(out)
            if ch != ",":
                self.pos -= 1
                raise self.fail("Expected ',' or '}'")

    def key(self) -> str:
        ch = self.peek()
        if ch and ch in "\"'":
            return self.string()
        match = _IDENT.match(self.text, self.pos)
        if match is None:
            raise self.fail("Expected a field name")
        self.pos = match.end()
        return match.group()

    def array(self) -> list[Any]:
        self.expect("[")
        out: list[Any] = []
        if self.peek() == "]":
            self.pos += 1
            return out
        while True:
            out.append(self.value())
            ch = self.peek()
            self.pos += 1
            if ch == "]":
                return out
            if ch != ",":
                self.pos -= 1
                raise self.fail("Expected ',' or ']'")

    def string(self) -> str:
        quote = self.text[self.pos]
        self.pos += 1
        parts: list[str] = []
        text = self.text
        while True:
            if self.pos >= len(text):
                raise self.fail("Unterminated string")
            ch = text[self.pos]
            self.pos += 1
            if ch == quote:
                return "".join(parts)
            if ch != "\\":
                parts.append(ch)
                continue
            if self.pos >= len(text):
                raise self.fail("Unterminated string")
            esc = text[self.pos]
            self.pos += 1
            if esc == "u":
                digits = text[self.pos : self.pos + 4]
                if len(digits) != 4 or not all(c in "0123456789abcdefABCDEF" for c in digits):
                    raise self.fail("Invalid \\u escape")
                parts.append(chr(int(digits, 16)))
                self.pos += 4
            elif esc in _ESCAPES:
                parts.append(_ESCAPES[esc])
            else:
                raise self.fail(f"Invalid escape sequence '\\{esc}'")

    def number(self) -> Any:
        match = _NUMBER.match(self.text, self.pos)
        if match is None:
            raise self.fail("Invalid number")
        self.pos = match.end()
        token = match.group()
        if any(c in token for c in ".eE"):
            return float(token)
        value = int(token)
        return value if value in _INT32 else Int64(value)

    def regex(self) -> Regex[Any]:
        self.pos += 1
        text = self.text
        pattern: list[str] = []
        while True:
            if self.pos >= len(text):
                raise self.fail("Unterminated regular expression")
            ch = text[self.pos]
            self.pos += 1
            if ch == "\\" and self.pos < len(text):
                pattern.append(ch + text[self.pos])
                self.pos += 1
            elif ch == "/":
                break
            else:
                pattern.append(ch)
        start = self.pos
        while self.pos < len(text) and text[self.pos] in "imsxlu":
            self.pos += 1
        return Regex("".join(pattern), "".join(sorted(text[start : self.pos])))

    def arguments(self) -> list[Any]:
        if self.peek() != "(":
            return []
        self.pos += 1
        args: list[Any] = []
        if self.peek() == ")":
            self.pos += 1
            return args
        while True:
            args.append(self.value())
            ch = self.peek()
            self.pos += 1
            if ch == ")":
                return args
            if ch != ",":
                raise self.fail("Expected ',' or ')'")

    def word(self) -> Any:
        match = _IDENT.match(self.text, self.pos)
        assert match is not None
        self.pos = match.end()
        word = match.group()
        if word == "new":
            self.skip()
            inner = _IDENT.match(self.text, self.pos)
            if inner is None:
                raise self.fail("Expected a constructor after 'new'")
            self.pos = inner.end()
            word = inner.group()
        constant = _CONSTANTS.get(word, _MISSING)
        if constant is not _MISSING:
            if word in ("MinKey", "MaxKey"):
                self.arguments()
            return constant
        build = _CONSTRUCTORS.get(word)
        if build is None:
            raise self.fail(f"Unknown word '{word}'")
        try:
            return build(self.arguments())
        except ShellJsonError:
            raise
        except (ValueError, TypeError, IndexError, OverflowError) as e:
            raise self.fail(f"Invalid {word}(...): {e}") from e


_MISSING: Final = object()
_CONSTANTS: Final[dict[str, Any]] = {
    "true": True,
    "false": False,
    "null": None,
    "undefined": None,
    "NaN": float("nan"),
    "Infinity": float("inf"),
    "MinKey": MinKey(),
    "MaxKey": MaxKey(),
}


def _date(args: list[Any]) -> dt.datetime:
    if not args:
        return dt.datetime.now(dt.UTC).replace(tzinfo=None)
    if isinstance(args[0], str):
        return _iso_date(args[0])
    return dt.datetime(1970, 1, 1) + dt.timedelta(milliseconds=int(args[0]))


_CONSTRUCTORS: Final[dict[str, Callable[[list[Any]], Any]]] = {
    "ObjectId": lambda a: ObjectId(a[0]),
    "ISODate": _date,
    "Date": _date,
    "NumberLong": lambda a: Int64(int(a[0])),
    "NumberInt": lambda a: int(a[0]),
    "NumberDecimal": lambda a: Decimal128(str(a[0])),
    "Timestamp": lambda a: Timestamp(int(a[0]), int(a[1])),
    "BinData": lambda a: Binary(base64.b64decode(a[1]), int(a[0])),
    "HexData": lambda a: Binary(bytes.fromhex(a[1]), int(a[0])),
    "UUID": lambda a: Binary(bytes.fromhex(str(a[0]).replace("-", "")), 4),
    "RegExp": lambda a: Regex(a[0], a[1] if len(a) > 1 else ""),
}


def parse_value(text: str) -> Any:
    """One JSON value in any form the Java driver's reader accepts; :class:`ShellJsonError` else.

    A failure is retried once with backslashes doubled, as the official connector retries.
    """
    try:
        return _parse_once(text)
    except ShellJsonError as first:
        if "\\" not in text:
            raise
        try:
            return _parse_once(text.replace("\\", "\\\\"))
        except ShellJsonError:
            raise first from None


def _parse_once(text: str) -> Any:
    reader = _Reader(text)
    result = reader.value()
    if reader.peek():
        raise reader.fail("Unexpected text after the value")
    return result


def parse_document(text: str) -> dict[str, Any]:
    """A JSON object (``topic.namespace.map``, ``collation``)."""
    value = parse_value(text)
    if not isinstance(value, dict):
        raise ShellJsonError("Not a JSON document")
    return value


def parse_array_of_documents(text: str) -> list[dict[str, Any]]:
    """A JSON array whose elements are all objects (``pipeline``); ``[]`` for an empty array."""
    value = parse_value(text)
    if not isinstance(value, list):
        raise ShellJsonError("Not a JSON array")
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise ShellJsonError(f"Element {index} of the array is not a JSON document")
    return value
