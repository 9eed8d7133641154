"""The layout rules of the package (tools/census.py): modules of at most 500
lines, no import cycle (module level or inside functions), no layer importing
a higher one, thin CLI commands; and what the cut promises."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import census  # noqa: E402


def test_the_layout_rules_hold():
    assert census.problems() == []


def test_the_census_sees_a_cycle_and_an_upward_import():
    graph = {"postmortem.core.a": {"postmortem.write.b"}, "postmortem.write.b": {"postmortem.core.a"}}
    assert census.cycles(graph) == [["postmortem.core.a", "postmortem.write.b"]]
    assert census.upward_imports(graph) == [("postmortem.core.a", "postmortem.write.b")]


def test_function_level_imports_count_in_the_graph():
    graph = census.import_graph()
    # collect/sources/sal_wikitext.py imports the wiki variant inside read()
    assert "postmortem.collect.sources.sal_wiki" in graph["postmortem.collect.sources.sal_wikitext"]


def test_every_source_says_what_it_is_in_one_place():
    from postmortem.collect.sources import REGISTRY, get_source
    for type_name in REGISTRY:
        source = get_source(type_name)
        assert source.type == type_name
        assert isinstance(source.family, str) and source.family
        assert source.label is None or isinstance(source.label, str)
        assert all(isinstance(getattr(source, flag), bool) for flag in ("talking", "network", "gives_tasks"))
        module = importlib.import_module(type(source).__module__)
        assert module.SOURCE is source


@pytest.mark.parametrize("layer", ["read", "collect", "timeline", "scorecard", "write"])
def test_pure_layers_hold_no_cli_code(layer):
    assert not any("argparse" in p.read_text() for p in (ROOT / "postmortem" / layer).rglob("*.py"))


def test_the_census_sees_a_private_module_of_another_package():
    graph = {"postmortem.net.conduit": {"postmortem.collect.sources._page_records"},
             "postmortem.collect.sources.pagerduty": {"postmortem.collect.sources._page_records"},
             "postmortem": {"postmortem._version"}, "postmortem.write.view": {"postmortem._version"}}
    assert census.private_imports(graph) == [("postmortem.net.conduit", "postmortem.collect.sources._page_records")]


def test_the_census_sees_a_private_name_of_another_package():
    sources = {"postmortem.database.stats_page": ("from ..publishing.pictures import Picture, _same_title\n", False),
               "postmortem.publishing.report_page": ("from .pictures import _ours\n", False),
               "postmortem.publishing": ("from .pictures import _ours\n", True),
               "postmortem.publishing.pictures": ("def _same_title(a, b): ...\n", False)}
    assert census.private_names(sources) == [("postmortem.database.stats_page",
                                              "postmortem.publishing.pictures._same_title")]


@pytest.mark.parametrize("code, said", [
    ("def is_alert(event):\n    return True\n", "defines is_alert()"),
    ("x = 'page' in event.tags\n", "asks 'page' in tags"),
    ("x = event.fields.get('state', 'firing')\n", "reads fields['state']"),
    ("x = event.fields['alertname']\n", "reads fields['alertname']"),
])
def test_the_census_sees_what_an_event_is_said_again(code, said):
    import ast
    defined = {"is_alert"}
    found = [why for node in ast.walk(ast.parse(code)) for why in census._says_again(node, defined)]
    assert len(found) == 1 and found[0].startswith(said)


def test_the_census_sees_two_modules_of_one_name():
    names = ["postmortem.timeline.merge", "postmortem.publishing._merge", "postmortem.write.render",
             "postmortem.cli.render", "postmortem.net.web"]
    assert census.clashing_names(names) == [("merge", ["postmortem.publishing._merge", "postmortem.timeline.merge"])]


def test_the_census_sees_the_database_flow_under_collect():
    graph = {"postmortem.collect.missing": {"postmortem.read.report", "postmortem.core.model"},
             "postmortem.collect.stats_page": {"postmortem.database.stats"},
             "postmortem.cli.stats": {"postmortem.collect.pull", "postmortem.database.stats"},
             "postmortem.cli.pull": {"postmortem.collect.pull"},
             "postmortem.timeline.gather": {"postmortem.read.previous", "postmortem.collect.cache"}}
    found = census.database_flow_in_collect(graph)
    assert found == ["postmortem.cli.stats (a database command) calls postmortem.collect.pull (the database flow does not go through collect/)",
                     "postmortem.collect.missing imports postmortem.read.report (reading reports is read/ or database/)",
                     "postmortem.collect.stats_page imports postmortem.database.stats "
                     "(reading reports is read/ or database/)"]


def test_the_package_has_no_two_modules_of_one_name_and_no_database_flow_in_collect():
    assert census.clashing_names(census.file_modules()) == []
    assert census.database_flow_in_collect(census.import_graph()) == []


def test_only_the_vocabulary_says_what_an_event_is():
    assert census.vocabulary_rules() == []
