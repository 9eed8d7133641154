"""JSON and TOML read with a depth limit, so that no input shape is an internal error.

Python's parsers recurse once per level of nesting: ``[`` × 100,000 is a
RecursionError (json at about 1,000 levels, tomllib at about 300), and a value
that parses just below that limit breaks the next recursive step (``repr`` of
it in a message, a copy). Every format this tool reads — the services'
answers, a Slack export, a recorded graph, the event cache, incident.toml —
nests a dozen levels at most, so anything deeper than :data:`MAX_DEPTH` is
refused with :class:`TooDeep` (a ValueError: callers already turn those into a
one-line error naming the file or URL).

JSON is measured before it is parsed, in one pass of C-speed steps (bytes
methods and one regular expression; no Python loop per character): escapes
and everything but brackets and quotes are removed, then the strings, and
what is left is only brackets, whose running count is the depth. TOML files
are small: parsed (a RecursionError caught), then measured.
"""

from __future__ import annotations

import itertools
import json
import tomllib

from .lazy_regex import LazyRegex

MAX_DEPTH = 64  # levels of arrays and objects (tables); what this tool reads nests a dozen at most

_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'[]{}"')
_STRINGS = LazyRegex(rb'"[^"]*"')
_STEP = [0] * 256
for _open in b"[{":
    _STEP[_open] = 1
for _close in b"]}":
    _STEP[_close] = -1


class TooDeep(ValueError):
    """Input nested deeper than :data:`MAX_DEPTH` levels."""

    def __init__(self, what: str = "arrays and objects", limit: int = MAX_DEPTH):
        super().__init__(f"nested deeper than {limit} levels of {what}, more than any format this tool reads: "
                         f"not read")


def json_depth(data: str | bytes) -> int:
    """The deepest nesting of arrays and objects in JSON text (valid or not:
    an unclosed ``[`` counts as a level), brackets inside strings not counted."""
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    # An escaped backslash first, then an escaped quote: what remains of each
    # string is its quotes and any brackets in it.
    for escape in (b"\\\\", b'\\"'):
        if escape in data:
            data = data.replace(escape, b"")
    skeleton = data.translate(None, _NOT_STRUCTURE).replace(b'""', b"")  # empty or adjacent strings merged
    skeleton = _STRINGS.sub(b"", skeleton)
    return max(itertools.accumulate(map(_STEP.__getitem__, skeleton)), default=0)


def load_json(data: str | bytes, limit: int = MAX_DEPTH):
    """``json.loads(data)``, refusing more than ``limit`` levels (TooDeep) before parsing."""
    if json_depth(data) > limit:
        raise TooDeep(limit=limit)
    return json.loads(data)


def value_depth(value, limit: int = MAX_DEPTH) -> int:
    """The nesting of a parsed value (lists and dicts), counted without recursion
    and only up to ``limit + 1`` (deeper is not walked)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if not isinstance(item, (list, dict)):
            continue
        deepest = max(deepest, depth)
        if depth > limit:
            return deepest
        stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def load_toml(text: str, limit: int = MAX_DEPTH) -> dict:
    """``tomllib.loads(text)``; TooDeep (a ValueError, like tomllib's own
    TOMLDecodeError) for arrays and tables nested deeper than ``limit``."""
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise TooDeep("arrays and tables", limit) from None
    if value_depth(data, limit) > limit:
        raise TooDeep("arrays and tables", limit)
    return data
