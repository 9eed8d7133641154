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

# What callers use of an re.Pattern, copied onto the LazyRegex once compiled.
_PATTERN_ATTRIBUTES = ("search", "match", "fullmatch", "sub", "subn", "split", "findall", "finditer",
                       "pattern", "flags", "groups", "groupindex")


class LazyRegex:
    """``re.compile(source, flags)``, done the first time any attribute is read."""

    def __init__(self, source: str, flags: int = 0):
        self._source = source
        self._flags = flags

    def __getattr__(self, name: str):
        # Only reached before the first compile (afterwards the attributes are on the instance).
        if name.startswith("__") or name not in _PATTERN_ATTRIBUTES:
            raise AttributeError(name)
        return getattr(self.compiled(), name)

    def compiled(self) -> re.Pattern:
        """The ``re.Pattern`` (compiled now if it was not yet)."""
        pattern = re.compile(self._source, self._flags)
        for name in _PATTERN_ATTRIBUTES:
            self.__dict__[name] = getattr(pattern, name)
        self.__dict__["compiled"] = lambda: pattern
        return pattern

    def __repr__(self) -> str:
        return f"LazyRegex({self._source!r}, {self._flags!r})"

