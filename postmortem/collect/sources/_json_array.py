"""The values of a file holding one JSON array (RFC 8259 §5: ``[`` value
*( ``,`` value ) ``]``), one by one, each with the line it begins on, so that
a source can skip a broken one and read the rest.

A value that is no JSON (a bad byte, a cut-off string) is given as a problem,
and reading goes on at the next value that begins a line with the same
indentation as the array's first value did (Slack exports and ``json.dump(...,
indent=N)`` put each value of the top array on its own lines; a JSON string
holds no raw line break, so such a line is never inside one). A file cut short
ends with a problem saying so. Only text that does not start as an array is an
error (:class:`NotAnArray`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterator

from ...core.nesting import MAX_DEPTH, TooDeep, json_depth

_DECODER = json.JSONDecoder()
_SPACE = " \t\r\n"
_VALUE_STARTS = frozenset('{["-0123456789tfn')


class NotAnArray(ValueError):
    """The text is not a JSON array at all."""


@dataclass(frozen=True)
class Value:
    """One value of the array: where it begins, and it or why it could not be read."""

    line: int
    value: Any = None
    problem: str | None = None


class _Lines:
    """Line numbers of offsets, asked in increasing order (one pass over the text)."""

    def __init__(self, text: str):
        self.text, self.offset, self.line = text, 0, 1

    def at(self, offset: int) -> int:
        self.line += self.text.count("\n", self.offset, offset)
        self.offset = offset
        return self.line


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _SPACE:
        pos += 1
    return pos


def array_values(text: str) -> Iterator[Value]:
    """Each value of the JSON array ``text`` (see the module docstring)."""
    pos = _skip_space(text, 0)
    if not text.startswith("[", pos):
        raise NotAnArray("not a JSON array (it does not start with '[')")
    lines, pos = _Lines(text), _skip_space(text, pos + 1)
    if text.startswith("]", pos):
        yield from _after_the_end(text, pos + 1, lines)
        return
    indent = _indent_of(text, pos)
    while True:
        start = pos
        try:
            value, pos = _decoded(text, pos)
        except (json.JSONDecodeError, TooDeep) as err:
            pos = _next_start(text, start, indent)
            yield Value(lines.at(start), problem=_bad_json(err, text, pos) + _rest_lost(indent, text, start))
            if pos is None:
                return
            continue
        yield Value(lines.at(start), value)
        pos = _skip_space(text, pos)
        if text.startswith(",", pos):
            pos = _skip_space(text, pos + 1)
        elif text.startswith("]", pos):
            yield from _after_the_end(text, pos + 1, lines)
            return
        # (a comma missing: what follows is read as the next value, or is the broken one)
        if pos >= len(text):
            yield Value(lines.at(pos), problem="the file ends before the array's closing ']' (cut short?)")
            return


def _decoded(text: str, pos: int):
    """The value beginning at ``pos`` and where it ends; TooDeep for one nested
    deeper than the array's values may be (:mod:`postmortem.core.nesting`: the
    parser would hit the recursion limit, or what reads the value would)."""
    try:
        value, end = _DECODER.raw_decode(text, pos)
    except RecursionError:
        raise TooDeep(limit=MAX_DEPTH - 1) from None
    if json_depth(text[pos:end]) > MAX_DEPTH - 1:
        raise TooDeep(limit=MAX_DEPTH - 1)
    return value, end


def _bad_json(err: ValueError, text: str, following: int | None) -> str:
    """Why a value could not be read; ``following``: where the next one begins, if any."""
    if isinstance(err, TooDeep):
        return f"a value {err}"
    if following is None and not text.rstrip().endswith("]"):
        return "the file ends inside this value (cut short?)"
    return f"bad JSON: {err.msg} (line {err.lineno} column {err.colno})"


def _rest_lost(indent: str | None, text: str, pos: int) -> str:
    """What a broken value at ``pos`` takes with it when the values do not begin their own lines."""
    if indent is not None or "," not in text[pos:]:
        return ""
    return "; the rest of the file is skipped with it (its values share lines)"


def _after_the_end(text: str, pos: int, lines: _Lines) -> Iterator[Value]:
    """Nothing may follow the closing ``]`` but white space."""
    pos = _skip_space(text, pos)
    if pos < len(text):
        yield Value(lines.at(pos), problem=f"bad JSON: text after the array's closing ']': {text[pos:pos + 20]!r}")


def _indent_of(text: str, pos: int) -> str | None:
    """The white space before ``pos`` on its line, when nothing else is before it there."""
    line_start = text.rfind("\n", 0, pos) + 1
    before = text[line_start:pos]
    return before if line_start > 0 and not before.strip() else None


def _next_start(text: str, after: int, indent: str | None) -> int | None:
    """Where the next value of the array begins after a broken one: a line
    starting with ``indent`` and then a value (not the broken value's closing
    ``}``); None when there is none (or the values do not begin their own lines)."""
    if indent is None:
        return None
    pos = text.find("\n" + indent, after)
    while pos != -1:
        start = pos + 1 + len(indent)
        if start < len(text) and text[start] in _VALUE_STARTS:
            return start
        pos = text.find("\n" + indent, pos + 1)
    return None
