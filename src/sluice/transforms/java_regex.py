"""Java regular expressions and ``Matcher.replaceFirst`` replacements on Python's ``re``.

``RegexRouter`` and ``TopicNameMatches`` take Java patterns. Most Java syntax means the same in
Python; the differences handled here are named groups (``(?<n>...)``, ``\\k<n>``), ``\\Q...\\E``
quoting, ``\\z``/``\\Z``, ``\\h``/``\\v``/``\\R``, ``\\e``, ``\\cX``, ``\\x{...}``, octal ``\\0nn``,
the POSIX ``\\p{Alpha}``-style classes, and ASCII-only ``\\d``/``\\w``/``\\s``/``\\b`` and
case folding. Constructs with no Python equivalent (class intersections ``&&``, nested classes,
Unicode ``\\p{...}`` categories, flags switched on mid-pattern) are refused with a clear error
rather than silently matching something else.

Replacements follow ``Matcher.appendReplacement``: ``$n`` takes the longest group number that
exists, ``${name}`` a named group, and a backslash makes the next character literal.
"""

from __future__ import annotations

import functools
import re
from typing import Final

from sluice.api.errors import DataError

__all__ = ["compile_java_regex", "java_replace_first", "translate_java_regex"]

_H_CHARS: Final = r" \t\xa0\u1680\u180e\u2000-\u200a\u202f\u205f\u3000"
_V_CHARS: Final = r"\n\x0b\f\r\x85\u2028\u2029"
_POSIX: Final[dict[str, str]] = {
    "Lower": "a-z",
    "Upper": "A-Z",
    "ASCII": r"\x00-\x7f",
    "Alpha": "a-zA-Z",
    "Digit": "0-9",
    "Alnum": "a-zA-Z0-9",
    "Punct": r"!-/:-@\[-`{-~",
    "Graph": r"!-~",
    "Print": r" -~",
    "Blank": r" \t",
    "Cntrl": r"\x00-\x1f\x7f",
    "XDigit": "0-9a-fA-F",
    "Space": r" \t\n\x0b\f\r",
}
_DROPPED_FLAGS: Final = frozenset("du")
_PYTHON_FLAGS: Final = frozenset("imsx")


def _class_chars(text: str) -> str:
    return "".join("\\" + c if c in "\\]^-[" else c for c in text)


def _posix(name: str) -> str:
    key = name[2:] if name.startswith("Is") and name[2:] in _POSIX else name
    if key not in _POSIX:
        raise ValueError(f"Unsupported character property \\p{{{name}}} (only POSIX classes)")
    return _POSIX[key]


def translate_java_regex(pattern: str) -> str:
    """The Python ``re`` spelling of a Java pattern; ``ValueError`` when there is none."""
    out: list[str] = []
    i = 0
    n = len(pattern)
    in_class = False
    while i < n:
        c = pattern[i]
        if c == "\\":
            if i + 1 >= n:
                raise ValueError(f"Unexpected internal error near index {n}")
            d = pattern[i + 1]
            i += 2
            if d == "Q":
                end = pattern.find("\\E", i)
                literal = pattern[i:] if end < 0 else pattern[i:end]
                out.append(_class_chars(literal) if in_class else re.escape(literal))
                i = n if end < 0 else end + 2
            elif d == "E":
                pass
            elif d == "z":
                out.append(r"\Z")
            elif d == "Z":
                out.append(r"(?=(?:\r\n|[" + _V_CHARS + r"])?\Z)")
            elif d in "hv":
                chars = _H_CHARS if d == "h" else _V_CHARS
                out.append(chars if in_class else "[" + chars + "]")
            elif d in "HV":
                if in_class:
                    raise ValueError(f"\\{d} inside a character class is not supported")
                out.append("[^" + (_H_CHARS if d == "H" else _V_CHARS) + "]")
            elif d == "R":
                out.append(r"(?:\r\n|[" + _V_CHARS + "])")
            elif d == "e":
                out.append(r"\x1b")
            elif d == "c":
                if i >= n:
                    raise ValueError("Illegal control escape sequence")
                out.append(re.escape(chr(ord(pattern[i]) ^ 64)))
                i += 1
            elif d == "x" and i < n and pattern[i] == "{":
                end = pattern.find("}", i)
                if end < 0:
                    raise ValueError("Unclosed hexadecimal escape sequence")
                ch = chr(int(pattern[i + 1 : end], 16))
                out.append(_class_chars(ch) if in_class else re.escape(ch))
                i = end + 1
            elif d == "0":
                j = i
                while j < n and j < i + 3 and pattern[j] in "01234567":
                    j += 1
                if j == i:
                    raise ValueError("Illegal octal escape sequence")
                if j - i == 3 and pattern[i] > "3":
                    j -= 1
                ch = chr(int(pattern[i:j], 8))
                out.append(_class_chars(ch) if in_class else re.escape(ch))
                i = j
            elif d in "pP":
                if i < n and pattern[i] == "{":
                    end = pattern.find("}", i)
                    if end < 0:
                        raise ValueError("Unclosed character family")
                    name = pattern[i + 1 : end]
                    i = end + 1
                elif i < n:
                    name = pattern[i]
                    i += 1
                else:
                    raise ValueError("Illegal character family")
                chars = _posix(name)
                if in_class:
                    if d == "P":
                        raise ValueError("\\P inside a character class is not supported")
                    out.append(chars)
                else:
                    out.append(("[^" if d == "P" else "[") + chars + "]")
            elif d == "k" and i < n and pattern[i] == "<":
                end = pattern.find(">", i)
                if end < 0:
                    raise ValueError("named capturing group is missing trailing '>'")
                out.append("(?P=" + pattern[i + 1 : end] + ")")
                i = end + 1
            elif d == "G":
                raise ValueError("\\G is not supported")
            else:
                out.append("\\" + d)
            continue
        if in_class:
            if c == "[":
                raise ValueError("Nested character classes are not supported")
            if c == "&" and pattern.startswith("&&", i):
                raise ValueError("Character class intersections (&&) are not supported")
            if c == "]":
                in_class = False
            out.append(c)
            i += 1
            continue
        if c == "[":
            in_class = True
            out.append(c)
            i += 1
            if i < n and pattern[i] == "^":
                out.append("^")
                i += 1
            continue
        if c == "(" and pattern.startswith("(?<", i) and i + 3 < n and pattern[i + 3] not in "=!":
            out.append("(?P<")
            i += 3
            continue
        if c == "(" and pattern.startswith("(?", i):
            m = re.match(r"\(\?([a-zA-Z]*)(?:-([a-zA-Z]*))?([:)])", pattern[i:])
            if m and (m.group(1) or m.group(2) is not None):
                on, off, closer = m.group(1), m.group(2) or "", m.group(3)
                for flag in on + off:
                    if flag not in _PYTHON_FLAGS | _DROPPED_FLAGS:
                        raise ValueError(f"Unsupported inline flag ({flag})")
                on = "".join(f for f in on if f in _PYTHON_FLAGS)
                off = "".join(f for f in off if f in _PYTHON_FLAGS)
                if closer == ")":
                    if off or (out and on):
                        raise ValueError(
                            "Inline flags after the start of a pattern are not supported"
                        )
                    if on:
                        out.append(f"(?{on})")
                else:
                    out.append("(?" + on + ("-" + off if off else "") + ":" if on or off else "(?:")
                i += m.end()
                continue
        out.append(c)
        i += 1
    return "".join(out)


@functools.lru_cache(maxsize=256)
def compile_java_regex(pattern: str) -> re.Pattern[str]:
    """Compile a Java pattern; raises ``ValueError`` or ``re.error`` when it is invalid."""
    return re.compile(translate_java_regex(pattern), re.ASCII)


def _is_ascii_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _group_text(match: re.Match[str], group: int | str) -> str:
    text = match.group(group)
    return "" if text is None else text


def java_replace_first(pattern: re.Pattern[str], text: str, replacement: str) -> str:
    """``pattern.matcher(text).replaceFirst(replacement)``.

    Raises :class:`DataError` with Java's message for a malformed replacement.
    """
    match = pattern.search(text)
    if match is None:
        return text
    out: list[str] = []
    cursor = 0
    n = len(replacement)
    groups = pattern.groups
    while cursor < n:
        c = replacement[cursor]
        if c == "\\":
            cursor += 1
            if cursor == n:
                raise DataError("character to be escaped is missing")
            out.append(replacement[cursor])
            cursor += 1
        elif c == "$":
            cursor += 1
            if cursor == n:
                raise DataError("Illegal group reference: group index is missing")
            c = replacement[cursor]
            if c == "{":
                cursor += 1
                start = cursor
                while cursor < n and _is_ascii_alnum(replacement[cursor]):
                    cursor += 1
                name = replacement[start:cursor]
                if not name:
                    raise DataError("named capturing group has 0 length name")
                if cursor >= n or replacement[cursor] != "}":
                    raise DataError("named capturing group is missing trailing '}'")
                if name[0].isdigit():
                    raise DataError(f"capturing group name {{{name}}} starts with digit character")
                if name not in pattern.groupindex:
                    raise DataError(f"No group with name {{{name}}}")
                cursor += 1
                out.append(_group_text(match, name))
            else:
                if not "0" <= c <= "9":
                    raise DataError("Illegal group reference")
                ref = ord(c) - 48
                cursor += 1
                while cursor < n and "0" <= replacement[cursor] <= "9":
                    candidate = ref * 10 + ord(replacement[cursor]) - 48
                    if groups < candidate:
                        break
                    ref = candidate
                    cursor += 1
                if ref > groups:
                    raise DataError(f"No group {ref}")
                out.append(_group_text(match, ref))
        else:
            out.append(c)
            cursor += 1
    return text[: match.start()] + "".join(out) + text[match.end() :]
