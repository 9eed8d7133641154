"""Read-only string mappings that an alert storm can afford: an alert's labels,
an event's fields.

Thirty thousand alerts of one rule carry thirty thousand label sets with the
same keys: a :class:`FrozenStrings` keeps its keys in one tuple shared by every
mapping of those keys, and its values in a tuple of its own (about a third of
the memory of a small dict behind a ``MappingProxyType``), the keys and the
values that repeat (``alertname``, ``critical``) as shared strings.
"""

from __future__ import annotations

import sys
from typing import Iterator, Mapping

_TUPLES: dict[tuple, tuple] = {}   # each tuple of strings once: tags, merged sources, label keys
_MOST_TUPLES = 4096                 # a bound for a long-running process (`review`) fed odd records


class FrozenStrings(Mapping):
    """An immutable mapping; ``replace()`` of the event or alert holding it copies nothing."""

    __slots__ = ("_keys", "_values")

    def __init__(self, mapping: Mapping = ()):
        items = dict(mapping)
        self._keys = shared_tuple(shared_string(key) for key in items)
        self._values = tuple(shared_string(value) for value in items.values())

    def __getitem__(self, key):
        try:
            return self._values[self._keys.index(key)]
        except ValueError:
            raise KeyError(key) from None

    def __iter__(self) -> Iterator:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, key) -> bool:
        return key in self._keys

    def __repr__(self) -> str:
        return f"FrozenStrings({dict(self)!r})"


def shared_tuple(values) -> tuple:
    """``values`` as a tuple shared with every equal one (an event's tags, the
    sources merged into it, an alert's label names: a few dozen distinct tuples
    in any incident); a tuple of anything but strings is its own."""
    values = tuple(values)
    if not all(type(value) is str for value in values):
        return values
    if len(_TUPLES) >= _MOST_TUPLES:
        return _TUPLES.get(values, values)
    return _TUPLES.setdefault(values, values)


def shared_string(value):
    """``value`` shared with every equal string (itself when it is no string)."""
    return sys.intern(value) if type(value) is str else value


NO_STRINGS = FrozenStrings()


def frozen_strings(mapping: Mapping) -> FrozenStrings:
    """``mapping`` as a :class:`FrozenStrings` (itself when it is one already)."""
    if isinstance(mapping, FrozenStrings):
        return mapping
    return FrozenStrings(mapping) if mapping else NO_STRINGS


def strings(mapping) -> dict[str, str]:
    """A JSON table read back as strings (an alert's labels, an event's fields)."""
    if not isinstance(mapping, dict):
        raise TypeError(f"not a table of strings: {mapping!r}")
    return {str(k): str(v) for k, v in mapping.items()}
