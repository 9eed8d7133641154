"""Shared fixtures: the bundled sample, and running the CLI in-process."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "2023-09-28-mw-page-content-change-enrich"
# Real Wikitech reports, copied byte for byte (sources and licence: tests/fixtures/reports/README.md).
REFERENCE = ROOT / "tests" / "fixtures" / "reports"
SEED = REFERENCE / "seed-2023-09-28-mw-page-content-change-enrich.txt"
WIKITECH = REFERENCE / "wikitech"

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture
def sample_incident_path() -> Path:
    return SAMPLE / "incident.toml"


@pytest.fixture
def run_cli(capsys):
    """Run `postmortem ARGS…` in-process; returns (exit code, stdout, stderr)."""
    from postmortem.cli import main

    def run(*args):
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err
    return run


def write_incident(directory: Path, body: str, name: str = "incident.toml") -> Path:
    """Write an incident.toml (with a default [incident] table unless given)."""
    if "[incident]" not in body:
        body = '[incident]\nid = "2023-09-28 test"\nstart = "2023-09-28 14:00"\nend = "2023-09-28 18:00"\n' + body
    path = directory / name
    path.write_text(body, encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def _forget_held_secrets():
    """Each test starts with no credential held (postmortem.core.scrub keeps those a
    process read, for its lifetime; the suite is one process for many incidents)."""
    from postmortem.core import scrub
    scrub._held.clear()
    yield
    scrub._held.clear()


@pytest.fixture(autouse=True)
def _no_user_config(monkeypatch, tmp_path_factory):
    """No test reads the config of the user running the suite: each starts with an
    empty $XDG_CONFIG_HOME and none of the settings' variables."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))
    for name in ("POSTMORTEM_WIKI", "POSTMORTEM_CONTACT"):
        monkeypatch.delenv(name, raising=False)


# The fixtures that start a real service (tests/mediawiki.py, tests/services.py): a test that
# uses one, even through another fixture, carries the `services` marker, so that
# `pytest -m "not services"` is the fast lane (registered in pyproject.toml).
SERVICE_FIXTURES = frozenset({"mediawiki", "prometheus", "alertmanager"})


# The modules whose tests take most of the rest of the suite's time (measured with
# `pytest -m "not services" --durations=0`: each of these took 4 s or more in all):
# local servers answering with real back-offs and deadlines, subprocesses, browsers,
# thousands of generated inputs. They carry the `slow` marker, so that
# `pytest -m "not services and not slow"` is a lane of seconds; run them all before committing.
SLOW_MODULES = frozenset({
    "test_accounting", "test_endless_answers", "test_faults", "test_followups", "test_fuzz_sources", "test_http",
    "test_http_hostile", "test_interrupt", "test_merges_by_meaning", "test_packaging", "test_pull", "test_pull_cache",
    "test_pull_graphs", "test_report_browser", "test_report_fuzz", "test_review_browser", "test_secrets_echoed",
    "test_simulator", "test_source_alertmanager", "test_source_gerrit", "test_source_pagerduty",
    "test_source_phabricator", "test_source_prometheus", "test_source_sal", "test_source_sal_wiki",
    "test_source_slack", "test_source_splunk_oncall", "test_source_statuspage"})


def pytest_collection_modifyitems(items):
    for item in items:
        if SERVICE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.services)
        if item.path.stem in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)
