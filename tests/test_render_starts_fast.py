"""`render` starts fast (issue 23): it imports what the incident uses, the
package's regular expressions are compiled when first used, not at import (and
every one of them still compiles), and no record class makes ``dataclasses``
ask ``inspect`` for a signature at import (it does for a class with no docstring)."""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

import postmortem
from postmortem.collect.sources import REGISTRY
from postmortem.core.lazy_regex import LazyRegex
from tests.conftest import SAMPLE

ROOT = Path(__file__).resolve().parent.parent
# Run `postmortem render` of the sample in a fresh interpreter; print the modules it
# imported and how many times inspect.signature was called.
_RENDER = """
import inspect, json, sys
calls = []
real = inspect.signature
inspect.signature = lambda *args, **kwargs: calls.append(args) or real(*args, **kwargs)
from postmortem.cli import main
code = main(["render", sys.argv[1], "-o", sys.argv[2]])
patterns = [f"{name}.{key}" for name, module in list(sys.modules.items()) if name.startswith("postmortem")
            for key, value in vars(module).items() if type(value).__name__ == "Pattern"]
print(json.dumps({"code": code, "modules": sorted(sys.modules), "signatures": len(calls), "patterns": patterns}))
"""


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("render") / "report.wiki"
    done = subprocess.run([sys.executable, "-c", _RENDER, str(SAMPLE / "incident.toml"), str(out)],
                          cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.splitlines()[-1])


def test_render_imports_only_the_sources_the_incident_uses(rendered):
    assert rendered["code"] == 0
    used = {"slack_export", "irc", "sal_wikitext", "alert_email",
            "prometheus", "alertmanager"}   # its [[graph]] is a Prometheus answer (prometheus reads alert facts)
    imported = {name.rsplit(".", 1)[1] for name in rendered["modules"]
                if name.startswith("postmortem.collect.sources.")}
    assert imported & set(REGISTRY.values()) == used
    # a plain-text alert mail needs no HTML parser; nothing here is HTML
    assert not {"html", "html.parser", "html.entities"} & set(rendered["modules"])


def test_render_of_the_sample_needs_no_date_guessing(rendered):
    # the sample's times are all in known forms: python-dateutil's parser is the
    # reader's, for dates written by people
    assert not {m for m in rendered["modules"] if m.startswith("dateutil")}


def test_month_names_are_python_dateutils():
    from dateutil.parser import parserinfo
    from postmortem.core.timeutil import month_number
    names = {name for spellings in parserinfo.MONTHS for name in spellings}
    for name in names | {n.upper() for n in names} | {n.lower() for n in names}:
        assert month_number(name) == parserinfo().month(name), name
    for other in ("", "Ja", "Janu", "Mai", "Septem", "13"):
        assert month_number(other) is None, other


def test_no_module_render_imports_compiles_a_pattern_at_import(rendered):
    # module constants are LazyRegex: compiled when a command first uses them
    assert rendered["patterns"] == []


def test_no_record_class_asks_inspect_for_its_signature(rendered):
    assert rendered["signatures"] == 0


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
