"""Regular expressions compiled on first use, not at import.

Compiling costs ~0.1 ms a pattern and most of a module's patterns serve cases a
given command never meets (a secret kind whose hint is absent, a chat format
the incident does not use, Markdown when the report is wikitext): `render` of
the sample compiled ~180 at import and used fewer than half. A
:class:`LazyRegex` stands where an ``re.Pattern`` constant stood; on first use
it puts the compiled pattern's methods on itself, so every later call costs
what a call on the ``re.Pattern`` costs.
"""

from __future__ import annotations

import re

_METHODS = ("search", "match", "fullmatch", "sub", "subn", "split", "findall", "finditer")


def _compiling(name: str):
    """The stand-in for ``re.Pattern.<name>`` until the first call compiles the pattern."""
    def method(self, *args, **kwargs):
        return getattr(self.compiled(), name)(*args, **kwargs)
    method.__name__ = name
    return method


class LazyRegex:
    """``re.compile(source, flags)``, done the first time it is used. Its methods
    then stand on the instance (the compiled pattern's own: no call in between),
    so no ``__getattr__`` slows every lookup."""

    def __init__(self, source: str | bytes, flags: int = 0):
        self._source = source
        self._flags = flags
        self._pattern: re.Pattern | None = None

    def compiled(self) -> re.Pattern:
        """The ``re.Pattern`` (compiled now if it was not yet)."""
        if self._pattern is None:
            self._pattern = re.compile(self._source, self._flags)
            for name in _METHODS:
                self.__dict__[name] = getattr(self._pattern, name)
        return self._pattern

    search, match, fullmatch, sub, subn, split, findall, finditer = (_compiling(name) for name in _METHODS)
    pattern = property(lambda self: self.compiled().pattern)
    flags = property(lambda self: self.compiled().flags)
    groups = property(lambda self: self.compiled().groups)
    groupindex = property(lambda self: self.compiled().groupindex)

    def __repr__(self) -> str:
        return f"LazyRegex({self._source!r}, {self._flags!r})"
