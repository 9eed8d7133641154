"""`render` starts fast (issue 23): the package's regular expressions are compiled
when first used, not at import, and every one of them still compiles."""

from __future__ import annotations

import importlib
import pkgutil
import re

import pytest

import postmortem
from postmortem.core.lazy_regex import LazyRegex


def _every_module():
    for info in pkgutil.walk_packages(postmortem.__path__, "postmortem."):
        if not info.name.endswith("__main__"):
            yield importlib.import_module(info.name)


def _lazy_regexes(value, depth=0):
    """The LazyRegex objects in a module constant (itself, or in a tuple, dict or record of them)."""
    if isinstance(value, LazyRegex):
        yield value
    elif depth < 2 and isinstance(value, (tuple, list)):
        for item in value:
            yield from _lazy_regexes(item, depth + 1)
    elif depth < 2 and isinstance(value, dict):
        for item in value.values():
            yield from _lazy_regexes(item, depth + 1)
    elif depth < 2 and hasattr(type(value), "__dataclass_fields__") and not isinstance(value, type):
        for name in value.__dataclass_fields__:
            yield from _lazy_regexes(getattr(value, name), depth + 1)


def test_every_module_pattern_compiles():
    # A typo in a pattern no longer fails at import: it fails here.
    found = [(module.__name__, name, lazy) for module in _every_module()
             for name, value in vars(module).items() for lazy in _lazy_regexes(value)]
    assert len(found) > 100
    for module, name, lazy in found:
        assert isinstance(lazy.compiled(), re.Pattern), f"{module}.{name}"


def test_a_lazy_regex_compiles_on_first_use_and_then_is_the_pattern(monkeypatch):
    compiled = []
    real = re.compile
    monkeypatch.setattr(re, "compile", lambda *args: compiled.append(args) or real(*args))
    lazy = LazyRegex(r"(?P<word>b\w+)", re.I)
    assert compiled == []
    assert lazy.search("a Bc d").group("word") == "Bc"
    assert lazy.sub("-", "a bc BD") == "a - -"
    assert (lazy.pattern, lazy.flags, lazy.groupindex) == (r"(?P<word>b\w+)", re.I | re.U, {"word": 1})
    assert compiled == [(r"(?P<word>b\w+)", re.I)]


def test_a_lazy_regex_has_only_what_a_pattern_has():
    with pytest.raises(AttributeError):
        LazyRegex("a").no_such_method
