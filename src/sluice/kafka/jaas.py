"""JAAS login configurations, read as Java reads them.

Two syntaxes share one tokenizer, ``java.io.StreamTokenizer`` with the settings Java uses:

* a ``sasl.jaas.config`` value (Kafka's ``JaasConfig``): one or more
  ``<LoginModuleClass> <flag> key=value ... ;`` entries;
* a JAAS file (``java.security.auth.login.config``, the JDK's ``ConfigFile``): named sections
  ``Name { <entry>; <entry>; };``.

Values are words (letters, digits, ``. - _ $``) or quoted strings, in which ``\\"`` is a quote,
``\\\\`` a backslash, ``\\n``, ``\\t``... the usual escapes and ``\\x`` any other ``x``, as
``StreamTokenizer`` reads them; ``//`` and ``/* */`` are comments. Error messages never repeat a
value: the line usually holds a password.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

__all__ = [
    "JaasError",
    "LoginModule",
    "jaas_file_from_environment",
    "parse_jaas_config",
    "parse_jaas_file",
]

_FLAGS: Final = ("REQUIRED", "REQUISITE", "SUFFICIENT", "OPTIONAL")
_ESCAPES: Final = {"a": "\x07", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\x0b"}


class JaasError(ValueError):
    """A JAAS line or file that does not parse; the message names no value."""


@dataclass(frozen=True)
class LoginModule:
    """One entry: the login module's class, its control flag and its options."""

    name: str
    flag: str
    options: Mapping[str, str] = field(repr=False)


@dataclass(frozen=True)
class _Token:
    kind: str  # "word", "quoted", "number", "char", "eof"
    text: str

    @property
    def sval(self) -> str | None:
        """``StreamTokenizer.sval``: the text of a word or quoted string, else ``None``."""
        return self.text if self.kind in ("word", "quoted") else None


class _Tokenizer:
    """``java.io.StreamTokenizer`` with its default syntax, ``slashSlashComments``,
    ``slashStarComments`` and the extra word characters Java's JAAS parsers add."""

    def __init__(self, text: str, word_chars: str) -> None:
        self.text = text
        self.pos = 0
        self.extra_word = word_chars

    def _is_word_start(self, c: str) -> bool:
        return (c.isascii() and c.isalpha()) or c in self.extra_word or ord(c) >= 0xA0

    def _is_word_part(self, c: str) -> bool:
        return self._is_word_start(c) or (c.isascii() and c.isdigit()) or c in ".-"

    def next(self) -> _Token:
        text, n = self.text, len(self.text)
        while True:
            while self.pos < n and ord(text[self.pos]) <= 32:
                self.pos += 1
            if self.pos >= n:
                return _Token("eof", "")
            c = text[self.pos]
            if c == "/":
                after = text[self.pos + 1 : self.pos + 2]
                if after == "*":
                    end = text.find("*/", self.pos + 2)
                    self.pos = n if end < 0 else end + 2
                    continue
                # "//" and, '/' being a comment character by default, a lone '/' as well
                while self.pos < n and text[self.pos] not in "\r\n":
                    self.pos += 1
                continue
            if c == "-":
                after = text[self.pos + 1 : self.pos + 2]
                if not after or after not in ".0123456789":
                    self.pos += 1  # '-' is numeric first: alone, it is an ordinary character
                    return _Token("char", c)
            if c in "-." or (c.isascii() and c.isdigit()):
                start = self.pos
                self.pos += 1
                while self.pos < n and (text[self.pos].isdigit() or text[self.pos] == "."):
                    self.pos += 1
                return _Token("number", text[start : self.pos])
            if self._is_word_start(c):
                start = self.pos
                while self.pos < n and self._is_word_part(text[self.pos]):
                    self.pos += 1
                return _Token("word", text[start : self.pos])
            if c in "\"'":
                return self._quoted(c)
            self.pos += 1
            return _Token("char", c)

    def _quoted(self, quote: str) -> _Token:
        text, n = self.text, len(self.text)
        self.pos += 1
        out: list[str] = []
        while self.pos < n and text[self.pos] not in (quote, "\n", "\r"):
            c = text[self.pos]
            self.pos += 1
            if c == "\\" and self.pos < n:
                c = text[self.pos]
                self.pos += 1
                if "0" <= c <= "7":
                    digits = c
                    limit = 3 if c <= "3" else 2
                    while len(digits) < limit and self.pos < n and "0" <= text[self.pos] <= "7":
                        digits += text[self.pos]
                        self.pos += 1
                    c = chr(int(digits, 8))
                else:
                    c = _ESCAPES.get(c, c)
            out.append(c)
        if self.pos < n and text[self.pos] == quote:
            self.pos += 1
        return _Token("quoted", "".join(out))


def _flag(token: _Token, module: str) -> str:
    flag = (token.sval or "").upper()
    if token.kind == "eof" or not token.sval:
        raise JaasError(f"login module {module}: control flag not specified")
    if flag not in _FLAGS:
        raise JaasError(
            f"login module {module}: invalid control flag (expected required, requisite, "
            "sufficient or optional)"
        )
    return flag.lower()


def _entry(tokens: _Tokenizer, first: _Token) -> LoginModule:
    """One ``Module flag key=value ...;`` entry, ``first`` being the module's token."""
    module = first.sval
    if module is None:
        raise JaasError("expected a login module class name")
    flag = _flag(tokens.next(), module)
    options: dict[str, str] = {}
    while True:
        token = tokens.next()
        if token.kind == "eof" or (token.kind == "char" and token.text == ";"):
            break
        key = token.sval
        if key is None:
            raise JaasError(f"login module {module}: expected an option name, or ';'")
        if not (tokens.next().text == "=" and (value := tokens.next()).sval is not None):
            raise JaasError(f"login module {module}: value not specified for option '{key}'")
        options[key] = value.text
    if token.kind != "char":
        raise JaasError(f"login module {module}: entry not terminated by a semicolon")
    return LoginModule(module, flag, options)


def parse_jaas_config(text: str) -> list[LoginModule]:
    """The entries of a ``sasl.jaas.config`` value (Kafka's ``JaasConfig``)."""
    tokens = _Tokenizer(text, "-_$")
    entries: list[LoginModule] = []
    while (token := tokens.next()).kind != "eof":
        entries.append(_entry(tokens, token))
    if not entries:
        raise JaasError("login module not specified")
    return entries


def parse_jaas_file(text: str) -> dict[str, list[LoginModule]]:
    """The sections of a JAAS file (the JDK's ``ConfigFile`` syntax), by name."""
    tokens = _Tokenizer(text, "-_$*")
    sections: dict[str, list[LoginModule]] = {}
    while (token := tokens.next()).kind != "eof":
        name = token.sval
        if name is None or tokens.next().text != "{":
            raise JaasError("expected a section such as KafkaConnect { ... };")
        entries: list[LoginModule] = []
        while True:
            token = tokens.next()
            if token.kind == "char" and token.text == "}":
                break
            if token.kind == "eof":
                raise JaasError(f"section {name}: missing closing '}}'")
            entries.append(_entry(tokens, token))
        if tokens.next().text != ";":
            raise JaasError(f"section {name}: expected ';' after '}}'")
        sections.setdefault(name, []).extend(entries)
    return sections


_JAAS_PROPERTY: Final = "-Djava.security.auth.login.config="


def jaas_file_from_environment(environ: Mapping[str, str] | None = None) -> str | None:
    """The JAAS file Kafka's launch scripts would give the JVM: ``-Djava.security.auth.login.
    config=<path>`` in ``$KAFKA_OPTS`` (or ``$KAFKA_OPTS``'s sibling ``$EXTRA_ARGS``), as it is
    (a leading ``=``, Java's "only this file" form, is dropped)."""
    env = os.environ if environ is None else environ
    for variable in ("KAFKA_OPTS", "EXTRA_ARGS"):
        value = env.get(variable, "")
        if _JAAS_PROPERTY not in value:
            continue
        try:
            words = shlex.split(value)
        except ValueError:
            words = value.split()
        for word in words:
            if word.startswith(_JAAS_PROPERTY):
                path = word[len(_JAAS_PROPERTY) :]
                return re.sub(r"^=", "", path) or None
    return None
