"""The manual stays true (issue 24): the generated pages are current, every
command and option is in the reference, links point at files of the repository,
nothing cites a file outside it, and the Wikimedia example loads."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys

import pytest

from postmortem.cli import build_parser
from postmortem.incident.load import load_incident
from tests.conftest import ROOT

DOCS = ROOT / "docs"
PAGES = sorted(DOCS.rglob("*.md")) + [ROOT / "README.md"]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def _commands():
    action = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices


def test_the_generated_pages_are_current():
    done = subprocess.run([sys.executable, "tools/reference.py", "--check"], cwd=ROOT, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("command", sorted(_commands()))
def test_every_command_and_option_is_in_the_reference(command):
    reference = (DOCS / "cli.md").read_text(encoding="utf-8")
    section = reference.split(f"\n## {command}\n", 1)[1].split("\n## ", 1)[0]
    sub = _commands()[command]
    for action in sub._actions:
        if action.help == argparse.SUPPRESS or action.dest in ("help", "debug"):
            continue
        for flag in action.option_strings or [action.metavar or action.dest]:
            assert f"`{flag}" in section, f"{command}: {flag} is not in docs/cli.md"
    assert "```sh\npostmortem " in section or "```sh\nsource " in section, f"{command} has no example"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_links_point_at_files_in_the_repository(page):
    text = page.read_text(encoding="utf-8")
    for target in LINK.findall(text):
        if "://" in target or target.startswith("mailto:"):
            continue
        assert (page.parent / target).resolve().exists(), f"{page.relative_to(ROOT)} links to {target}"


def test_nothing_cites_a_file_outside_the_repository():
    cited = []
    for folder in ("postmortem", "tests", "tools", "bench", "docs", "templates"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in (".py", ".md", ".toml", ".j2") and path.name != "test_docs.py":
                text = path.read_text(encoding="utf-8", errors="replace")
                if "DESIGN.md" in text or "../shared" in text:
                    cited.append(str(path.relative_to(ROOT)))
    assert cited == []


def test_the_wikimedia_example_loads(tmp_path):
    block = re.search(r"```toml\n(.*?)```", (DOCS / "wikimedia.md").read_text(encoding="utf-8"), re.S)[1]
    path = tmp_path / "incident.toml"
    path.write_text(block, encoding="utf-8")
    (tmp_path / "irc").mkdir()
    (tmp_path / "irc" / "20240501.txt").write_text("[13:58:40] <jynus>\tlooking\n", encoding="utf-8")
    incident = load_incident(path)
    assert [s.type for s in incident.sources] == ["sal", "irc", "prometheus", "alertmanager", "phabricator", "slack",
                                                  "splunk-oncall", "statuspage", "gerrit"]


def test_every_source_type_has_its_page():
    from postmortem.collect.sources import REGISTRY
    index = (DOCS / "sources" / "README.md").read_text(encoding="utf-8")
    for kind in REGISTRY:
        assert (DOCS / "sources" / f"{kind}.md").exists() and f"]({kind}.md)" in index
