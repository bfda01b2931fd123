"""BSON documents as JSON text, written the way MongoDB's Java driver writes them.

The official connector turns change events into JSON with the Java driver's ``JsonWriter``, in
one of three modes chosen by ``output.json.formatter``:

* ``DefaultJson``: the legacy *strict* mode. ObjectIds are ``{"$oid": ...}``, 64-bit integers
  ``{"$numberLong": "5"}``, dates ``{"$date": <epoch ms>}``, binary ``{"$binary": ..., "$type":
  "00"}``; 32-bit integers and doubles are plain numbers.
* ``ExtendedJson``: canonical Extended JSON v2, where every number carries its type
  (``{"$numberInt": "5"}``, ``{"$numberDouble": "1.5"}``) and dates are
  ``{"$date": {"$numberLong": ...}}``.
* ``SimplifiedJson``: relaxed Extended JSON with ObjectIds, dates (ISO-8601), decimals and binary
  (base64) written as plain strings, for consumers that only want JSON.

Consumers compare these strings byte for byte (keys in a compacted topic, hashes, tests written
against the Java connector), so the writer follows the Java driver's layout rather than
``bson.json_util``'s: ``", "`` and ``": "`` separators, doubles as Java's ``Double.toString`` prints
them (``1.0E+20``), and characters escaped by Unicode category (letters of every script stay as
they are; control and formatting characters, surrogates and combining marks become ``\\uXXXX``).
``RELAXED`` is also the mode of the driver's plain ``toJson()``, which the connector uses for resume
tokens in offsets and for records it sends to its dead letter queue.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import enum
import json
import math
import re
import unicodedata
import uuid
from collections.abc import Callable, Mapping
from typing import Any, Final

from bson import SON, DBRef, Decimal128, Int64, MaxKey, MinKey, ObjectId, Regex, Timestamp
from bson.binary import Binary, UuidRepresentation
from bson.code import Code
from bson.datetime_ms import DatetimeMS
from bson.raw_bson import RawBSONDocument

from sluice.api import ConfigError

__all__ = [
    "DEFAULT_JSON",
    "EXTENDED_JSON",
    "FORMATTERS",
    "RELAXED_JSON",
    "SIMPLIFIED_JSON",
    "JsonFormatter",
    "JsonMode",
    "formatter_for",
    "java_double",
]


class JsonMode(enum.Enum):
    """The Java driver's ``JsonMode`` values the connector uses (plus the simplified variant)."""

    STRICT = "strict"
    EXTENDED = "extended"
    RELAXED = "relaxed"
    SIMPLIFIED = "simplified"


_EPOCH: Final = dt.datetime(1970, 1, 1)
_EPOCH_UTC: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_LAST_MS_OF_YEAR_9999: Final = 253402300799999
_POSITIVE_EXPONENT: Final = re.compile(r"E(\d+)")
# Categories Java's JsonWriter writes as they are; every other character becomes \uXXXX.
_PLAIN_CATEGORIES: Final = frozenset(("Lu", "Ll", "Lt", "Lo", "Nd", "Nl", "No", "Zs", "Pc"))
_PLAIN_CATEGORIES_MORE: Final = frozenset(
    ("Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So")
)
_SHORT_ESCAPES: Final = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}
_encode_ascii_safe: Callable[[str], str] = json.encoder.encode_basestring
_char_cache: dict[str, str] = {}


def _escape_char(ch: str) -> str:
    out = _char_cache.get(ch)
    if out is not None:
        return out
    if ch in _SHORT_ESCAPES:
        out = _SHORT_ESCAPES[ch]
    elif ord(ch) > 0xFFFF:  # a surrogate pair in Java's UTF-16: both halves are escaped
        units = ch.encode("utf-16-be")
        out = "".join(f"\\u{units[i]:02x}{units[i + 1]:02x}" for i in range(0, 4, 2))
    elif unicodedata.category(ch) in _PLAIN_CATEGORIES | _PLAIN_CATEGORIES_MORE:
        out = ch
    else:
        out = f"\\u{ord(ch):04x}"
    if len(_char_cache) < 65536:
        _char_cache[ch] = out
    return out


def json_string(s: str) -> str:
    """``s`` as a JSON string literal, escaped as Java's ``JsonWriter`` escapes it."""
    if s.isascii() and "\x7f" not in s:
        result: str = _encode_ascii_safe(s)  # escapes exactly what Java does for ASCII
        return result
    return '"' + "".join(_escape_char(ch) for ch in s) + '"'


def java_double(value: float) -> str:
    """A double as Java's ``Double.toString``, with the driver's ``E+`` for positive exponents."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0.0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    magnitude = abs(value)
    if 1e-3 <= magnitude < 1e7:
        return repr(value)  # Python's shortest digits, laid out as Java lays them out here
    _sign, digits_t, exponent = decimal.Decimal(repr(value)).as_tuple()
    digits = "".join(map(str, digits_t)).rstrip("0") or "0"
    assert isinstance(exponent, int)
    # value = 0.d1d2... * 10**point, i.e. d1.d2... * 10**(point - 1)
    point = len(digits_t) + exponent
    sign = "-" if value < 0 else ""
    mantissa = digits[0] + "." + (digits[1:] or "0")
    return _POSITIVE_EXPONENT.sub(r"E+\1", f"{sign}{mantissa}E{point - 1}")


def _millis(value: dt.datetime) -> int:
    delta = value - _EPOCH if value.tzinfo is None else value - _EPOCH_UTC
    return delta.days * 86_400_000 + delta.seconds * 1000 + delta.microseconds // 1000


def iso_millis(ms: int) -> str:
    """Epoch milliseconds as ``ISO_OFFSET_DATE_TIME`` in UTC (``2020-01-01T01:02:03.4Z``)."""
    when = _EPOCH_UTC + dt.timedelta(milliseconds=ms)
    text = when.strftime("%Y-%m-%dT%H:%M:%S")
    fraction = ms % 1000
    if fraction:
        text += "." + f"{fraction:03d}".rstrip("0")
    return text + "Z"


def _regex_options(value: Regex[Any]) -> str:
    flags = value.flags
    if isinstance(flags, str):
        return "".join(sorted(flags))
    letters = ""
    for letter, bit in (
        ("i", re.I),
        ("l", re.L),
        ("m", re.M),
        ("s", re.S),
        ("u", re.U),
        ("x", re.X),
    ):
        if flags & bit:
            letters += letter
    return letters


Writer = Callable[[Any, list[str]], None]


class JsonFormatter:
    """Writes BSON values (as pymongo decodes them) as JSON text in one :class:`JsonMode`.

    Values are dispatched on their exact type first (one dict lookup for the common ones), then
    by ``isinstance`` for subclasses and rarer types: this writer runs for every change event.
    """

    def __init__(self, mode: JsonMode, class_name: str) -> None:
        self.mode = mode
        self.class_name = class_name
        """The official connector's ``output.json.formatter`` class this formatter stands for."""
        self._strict = mode is JsonMode.STRICT
        self._extended = mode is JsonMode.EXTENDED
        self._simplified = mode is JsonMode.SIMPLIFIED
        self._keys: dict[str, str] = {}
        self._dispatch: dict[type, Writer] = {
            str: self._string,
            dict: self._document,
            SON: self._document,
            list: self._array,
            tuple: self._array,
            bool: self._bool,
            int: self._int,
            Int64: self._int64_value,
            float: self._double,
            type(None): self._null,
            ObjectId: self._object_id,
            dt.datetime: self._datetime,
            DatetimeMS: self._datetime_ms,
            Decimal128: self._decimal,
            Timestamp: self._timestamp,
            bytes: self._bytes,
            Binary: self._bytes,
            MinKey: self._min_key,
            MaxKey: self._max_key,
        }

    def __repr__(self) -> str:
        return f"JsonFormatter({self.mode.value})"

    def dumps(self, value: Any) -> str:
        """``value`` (a document, or any BSON value) as JSON text."""
        out: list[str] = []
        self._write(value, out)
        return "".join(out)

    def value_text(self, value: Any) -> str:
        """A single value as the connector's schema output shows non-document values in strings:
        the JSON of the value alone, without surrounding quotes for string results."""
        text = self.dumps(value)
        if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
            return text[1:-1]
        return text

    # -- the writer ---------------------------------------------------------------------------
    def _write(self, v: Any, out: list[str]) -> None:
        writer = self._dispatch.get(type(v))
        if writer is not None:
            writer(v, out)
        else:
            self._write_other(v, out)

    def _document(self, doc: Mapping[str, Any], out: list[str]) -> None:
        if not doc:
            out.append("{}")
            return
        append = out.append
        dispatch = self._dispatch
        keys = self._keys
        separator = "{"
        for key, value in doc.items():
            name = keys.get(key)
            if name is None:
                name = json_string(key) + ": "
                if len(keys) < 10_000:
                    keys[key] = name
            append(separator)
            append(name)
            writer = dispatch.get(type(value))
            if writer is not None:
                writer(value, out)
            else:
                self._write_other(value, out)
            separator = ", "
        append("}")

    def _array(self, items: list[Any] | tuple[Any, ...], out: list[str]) -> None:
        if not items:
            out.append("[]")
            return
        separator = "["
        for item in items:
            out.append(separator)
            self._write(item, out)
            separator = ", "
        out.append("]")

    def _string(self, v: str, out: list[str]) -> None:
        out.append(json_string(v))

    def _bool(self, v: bool, out: list[str]) -> None:
        out.append("true" if v else "false")

    def _null(self, v: None, out: list[str]) -> None:
        out.append("null")

    def _int(self, v: int, out: list[str]) -> None:
        if -2147483648 <= v <= 2147483647:
            self._int32(v, out)
        else:
            self._int64(v, out)

    def _int64_value(self, v: Int64, out: list[str]) -> None:
        self._int64(int(v), out)

    def _object_id(self, v: ObjectId, out: list[str]) -> None:
        if self._simplified:
            out.append('"' + str(v) + '"')
        else:
            out.append('{"$oid": "' + str(v) + '"}')

    def _datetime(self, v: dt.datetime, out: list[str]) -> None:
        self._date(_millis(v), out)

    def _datetime_ms(self, v: DatetimeMS, out: list[str]) -> None:
        self._date(int(v), out)

    def _decimal(self, v: Decimal128, out: list[str]) -> None:
        if self._simplified:
            out.append(json_string(str(v)))
        else:
            out.append('{"$numberDecimal": "' + str(v) + '"}')

    def _timestamp(self, v: Timestamp, out: list[str]) -> None:
        out.append(f'{{"$timestamp": {{"t": {v.time}, "i": {v.inc}}}}}')

    def _bytes(self, v: bytes, out: list[str]) -> None:
        subtype = v.subtype if isinstance(v, Binary) else 0  # plain bytes are subtype 0
        self._binary(bytes(v), subtype, out)

    def _min_key(self, v: MinKey, out: list[str]) -> None:
        out.append('{"$minKey": 1}')

    def _max_key(self, v: MaxKey, out: list[str]) -> None:
        out.append('{"$maxKey": 1}')

    def _write_other(self, v: Any, out: list[str]) -> None:
        """Subclasses of the common types, and the rare BSON types."""
        if isinstance(v, Code):  # a str subclass: before str
            out.append('{"$code": ' + json_string(str(v)))
            if v.scope is not None:
                out.append(', "$scope": ')
                self._document(v.scope, out)
            out.append("}")
        elif isinstance(v, Mapping | RawBSONDocument):
            self._document(v, out)
        elif isinstance(v, bool):
            self._bool(bool(v), out)
        elif isinstance(v, int):
            self._int(int(v), out)
        elif isinstance(v, float):
            self._double(float(v), out)
        elif isinstance(v, str):
            self._string(str(v), out)
        elif isinstance(v, dt.datetime):
            self._datetime(v, out)
        elif isinstance(v, bytes):
            self._bytes(v, out)
        elif isinstance(v, uuid.UUID):
            binary = Binary.from_uuid(v, UuidRepresentation.STANDARD)
            self._binary(bytes(binary), binary.subtype, out)
        elif isinstance(v, Regex | re.Pattern):
            regex = v if isinstance(v, Regex) else Regex.from_native(v)
            pattern = json_string(str(regex.pattern))
            options = json_string(_regex_options(regex))
            if self._strict:
                out.append(f'{{"$regex": {pattern}, "$options": {options}}}')
            else:
                out.append(
                    f'{{"$regularExpression": {{"pattern": {pattern}, "options": {options}}}}}'
                )
        elif isinstance(v, DBRef):
            self._document(v.as_doc(), out)
        elif isinstance(v, list | tuple):
            self._array(v, out)
        else:
            raise TypeError(f"Cannot write a {type(v).__name__} as BSON JSON: {v!r}")

    def _int32(self, v: int, out: list[str]) -> None:
        if self._extended:
            out.append('{"$numberInt": "' + str(v) + '"}')
        else:
            out.append(str(v))

    def _int64(self, v: int, out: list[str]) -> None:
        if self._strict or self._extended:
            out.append('{"$numberLong": "' + str(v) + '"}')
        else:
            out.append(str(v))

    def _double(self, v: float, out: list[str]) -> None:
        text = java_double(v)
        if self._extended or (not self._strict and (math.isnan(v) or math.isinf(v))):
            out.append('{"$numberDouble": "' + text + '"}')
        else:
            out.append(text)

    def _date(self, ms: int, out: list[str]) -> None:
        if self._strict:
            out.append('{"$date": ' + str(ms) + "}")
        elif self._simplified:
            out.append('"' + iso_millis(ms) + '"')
        elif self._extended or ms < 0 or ms > _LAST_MS_OF_YEAR_9999:
            out.append('{"$date": {"$numberLong": "' + str(ms) + '"}}')
        else:
            out.append('{"$date": "' + iso_millis(ms) + '"}')

    def _binary(self, data: bytes, subtype: int, out: list[str]) -> None:
        encoded = base64.b64encode(data).decode("ascii")
        if self._simplified:
            out.append('"' + encoded + '"')
        elif self._strict:
            out.append(f'{{"$binary": "{encoded}", "$type": "{subtype:02X}"}}')
        else:
            out.append(f'{{"$binary": {{"base64": "{encoded}", "subType": "{subtype:02X}"}}}}')


_PACKAGE: Final = "com.mongodb.kafka.connect.source.json.formatter."

DEFAULT_JSON: Final = JsonFormatter(JsonMode.STRICT, _PACKAGE + "DefaultJson")
EXTENDED_JSON: Final = JsonFormatter(JsonMode.EXTENDED, _PACKAGE + "ExtendedJson")
SIMPLIFIED_JSON: Final = JsonFormatter(JsonMode.SIMPLIFIED, _PACKAGE + "SimplifiedJson")
RELAXED_JSON: Final = JsonFormatter(JsonMode.RELAXED, "org.bson.BsonDocument#toJson")
"""The driver's default ``toJson()``: resume tokens in offsets, DLQ records, heartbeat keys."""

FORMATTERS: Final[dict[str, JsonFormatter]] = {
    f.class_name: f for f in (DEFAULT_JSON, EXTENDED_JSON, SIMPLIFIED_JSON)
}


def formatter_for(class_name: str, key: str = "output.json.formatter") -> JsonFormatter:
    """The formatter for one of the official class names (or its simple name, ``ExtendedJson``).

    The official connector also loads user classes implementing ``JsonWriterSettingsProvider``;
    Java classes cannot run here, so any other name is a :class:`ConfigError` naming ``key``.
    """
    name = class_name.strip()
    found = FORMATTERS.get(name) or FORMATTERS.get(_PACKAGE + name)
    if found is None:
        raise ConfigError.invalid(
            key,
            class_name,
            "Unknown JSON formatter; sluice provides "
            + ", ".join(sorted(FORMATTERS))
            + " (Java JsonWriterSettingsProvider classes cannot be loaded)",
        )
    return found
