"""Templates are compiled once and kept between runs (issue 23, "render starts
fast"): the report's and the SVG pictures' (timeline picture, metric charts,
monthly chart) alike. A second process — here a second Environment over the
same cache folder — loads the compiled template instead of parsing it again."""

from __future__ import annotations

import jinja2
import pytest

from postmortem.core import files
from postmortem.write import axes, render


@pytest.fixture
def parses(monkeypatch, tmp_path):
    """Every template jinja2 parses from its source, by name; the compiled ones kept in tmp_path."""
    monkeypatch.setattr(files, "compiled_templates", lambda: jinja2.FileSystemBytecodeCache(str(tmp_path)))
    monkeypatch.setattr(axes, "compiled_templates", files.compiled_templates)
    monkeypatch.setattr(render, "compiled_templates", files.compiled_templates)
    parsed = []
    real = jinja2.Environment._parse

    def counting(self, source, name, filename):
        parsed.append(name)
        return real(self, source, name, filename)
    monkeypatch.setattr(jinja2.Environment, "_parse", counting)
    return parsed


@pytest.mark.parametrize("name", ["chart.svg.j2", "graph.svg.j2", "monthchart.svg.j2"])
def test_an_svg_template_is_parsed_once_across_environments(parses, name):
    axes.svg_environment().get_template(name)
    axes.svg_environment().get_template(name)
    assert parses.count(name) == 1


def test_the_report_template_is_parsed_once_across_environments(parses):
    render._load_template(None, "wikitext")
    render._load_template(None, "wikitext")
    assert parses.count("wikitech.wiki.j2") == 1
