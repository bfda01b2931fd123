"""A stream of JSON values: one per line, several per line, pretty-printed across lines, or the
elements of one top-level array (even a minified one on a single line).

The file is decoded in chunks and parsed incrementally with ``JSONDecoder.raw_decode``, so memory
stays bounded by the largest single value, not by the file or its longest line.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable, Iterator
from typing import IO, Any, Final

from sluice.connectors.spooldir.errors import BadDataError

__all__ = ["MAX_VALUE_CHARS", "JsonValues"]

MAX_VALUE_CHARS: Final = 64 * 1024 * 1024
"""A value still incomplete after this many characters is reported as bad, not buffered on."""

CHUNK: Final = 256 * 1024
_WS: Final = " \t\r\n"


class JsonValues:
    """Iterates ``(value, line it starts on)``; ``line`` is the line the parser has reached."""

    def __init__(
        self,
        stream: IO[bytes],
        charset: str,
        parse_float: Callable[[str], Any] | None = None,
    ) -> None:
        self.stream = stream
        name = codecs.lookup(charset).name
        self.charset = "utf-8" if name == "utf-8-sig" else name
        self.decoder = json.JSONDecoder(parse_float=parse_float)
        self.line = 1
        # buf[0:counted] has been scanned for newlines; the line at buf[counted] is self.line.
        self._buf = ""
        self._counted = 0
        self._eof = False
        self._text = codecs.getincrementaldecoder(self.charset)()
        self._first_chunk = True

    def _line_at(self, index: int) -> int:
        if index > self._counted:
            self.line += self._buf.count("\n", self._counted, index)
            self._counted = index
        return self.line

    def _more(self, keep_from: int) -> bool:
        """Append the next chunk, dropping ``buf[:keep_from]``; False at the end of the file."""
        if self._eof:
            return False
        self._line_at(keep_from)
        self._buf = self._buf[keep_from:]
        self._counted -= keep_from
        data = self.stream.read(CHUNK)
        try:
            text = self._text.decode(data, final=not data)
        except UnicodeDecodeError as e:
            raise BadDataError(
                self._line_at(len(self._buf)),
                f"the text is not valid {self.charset} ({e.reason}); check file.charset",
            ) from None
        if not data:
            self._eof = True
        if self._first_chunk and text:
            self._first_chunk = False
            if text.startswith("\ufeff"):
                text = text[1:]
        self._buf += text
        if len(self._buf) > MAX_VALUE_CHARS:
            raise BadDataError(
                self._line_at(0), f"a JSON value longer than {MAX_VALUE_CHARS} characters"
            )
        return True

    def __iter__(self) -> Iterator[tuple[Any, int]]:
        decode = self.decoder.raw_decode
        pos = 0
        mode = "start"  # start | values | array-value | array-next
        while True:
            buf = self._buf
            n = len(buf)
            while pos < n and buf[pos] in _WS:
                pos += 1
            if pos >= n:
                if not self._more(pos):
                    if mode in ("array-value", "array-next"):
                        raise BadDataError(self._line_at(pos), "the JSON array is not closed")
                    return
                pos = 0
                continue
            c = buf[pos]
            if mode == "start":
                if c == "[":
                    mode = "array-value"
                    pos += 1
                    continue
                mode = "values"
            elif mode == "array-next":
                if c == ",":
                    mode = "array-value"
                elif c == "]":
                    mode = "values"
                else:
                    raise BadDataError(
                        self._line_at(pos), "expected ',' or ']' between array elements"
                    )
                pos += 1
                continue
            elif mode == "array-value" and c == "]":
                mode = "values"
                pos += 1
                continue
            try:
                value, end = decode(buf, pos)
            except json.JSONDecodeError as e:
                incomplete = e.pos >= len(buf.rstrip(_WS)) or e.msg.startswith("Unterminated")
                if incomplete and self._more(pos):
                    pos = 0
                    continue
                what = "truncated JSON" if incomplete else "invalid JSON"
                raise BadDataError(self._line_at(e.pos), f"{what}: {e.msg}") from None
            if end >= n and self._more(pos):
                pos = 0  # a number may go on in the next chunk: parse it again
                continue
            yield value, self._line_at(pos)
            pos = end
            if mode == "array-value":
                mode = "array-next"
