"""The event cache is read once per command (issue 23): one command opens
``<stem>.events.json`` at most once, whatever it needs from it — a network
source's events, the Phabricator tasks, the previous reports from the wiki,
a pulled ``[[graph]]``'s series, the follow-up tasks `followups --create` made.

The cache is written here in its documented format (version 3, see
postmortem/collect/cache.py) and every open of that one file is counted,
however it is opened."""

from __future__ import annotations

import builtins
import datetime as dt
import io
import json
import os

import pytest

from postmortem.collect import cache
from postmortem.collect.metric_series import planned
from postmortem.core.model import Event, TaskInfo, Window
from postmortem.core.timeutil import format_utc
from postmortem.incident.load import load_incident

START = dt.datetime(2024, 3, 5, 6, 45, tzinfo=dt.timezone.utc)
ACTIONABLE = "Alert on checkout-api error ratio"
INCIDENT = f'''
[incident]
id = "2024-03-05 checkout-api"
start = "2024-03-05 06:45"
end = "2024-03-05 07:45"
previous_wiki = "http://127.0.0.1:9/w/api.php"

[[source]]
type = "sal"
url = "http://127.0.0.1:9/sal"
project = "production"

[[source]]
type = "phabricator"
url = "http://127.0.0.1:9/phab"
token_env = "PM_PHAB_TOKEN"

[[graph]]
title = "Error ratio"
url = "http://127.0.0.1:9/prom"
query = "http_error_ratio"

[[actionable]]
text = "{ACTIONABLE}"
'''
PREVIOUS = """{{Incident scorecard}}
== Summary ==
{{Incident metadata|id=2024-02-01 search|start=2024-02-01 10:00:00|end=2024-02-01 11:00:00}}
Search was slow.
"""


def write_cache(path):
    incident = load_incident(path)
    keys = cache.source_keys(incident.sources)
    window = Window(START - dt.timedelta(hours=2), START + dt.timedelta(hours=3))
    event = Event(START + dt.timedelta(minutes=5), "sal", "restart checkout-api pods", actor="jon")
    graph = incident.graphs[0]
    graph_window, step = planned(graph, incident)
    moment = int(START.timestamp())
    data = {
        "version": cache.FORMAT_VERSION, "incident": incident.id,
        "sources": {keys[source.index]: {
            "fetched": "2026-12-04T20:31:07Z", "tally": {}, "window": [format_utc(window.start), format_utc(window.end)],
            "events": [cache.event_to_json(event)] if source.type == "sal" else []} for source in incident.sources},
        "tasks": {"T1234": TaskInfo("Alert on errors", "open").to_json()},
        "previous": [{"title": "Incidents/2024-02-01 search", "text": PREVIOUS}],
        "graphs": {cache.graph_key(graph): {
            "fetched": "2026-12-04T20:31:07Z", "step": step,
            "window": [format_utc(graph_window.start), format_utc(graph_window.end)],
            "series": [{"metric": {"job": "api"}, "values": [[moment, "0.5"], [moment + step, "0.25"]]}]}},
        "followups": {cache.actionable_key(ACTIONABLE): {"text": ACTIONABLE, "title": ACTIONABLE,
                                                         "task": "T1234", "at": "2026-12-04T21:00:00Z"}},
    }
    cache.cache_path(incident).write_text(json.dumps(data), encoding="utf-8")
    return cache.cache_path(incident)


@pytest.fixture
def opens(monkeypatch):
    """Every file opened, by path (builtins.open and io.open are what Path.open,
    read_text and read_bytes call)."""
    opened = []
    real = io.open

    def counting(file, *args, **kwargs):
        if isinstance(file, (str, os.PathLike)):
            opened.append(os.fspath(file))
        return real(file, *args, **kwargs)
    monkeypatch.setattr(builtins, "open", counting)
    monkeypatch.setattr(io, "open", counting)
    return opened


@pytest.mark.parametrize("command", [
    ["render"], ["render", "--format", "markdown"], ["timeline"], ["timeline", "--format", "json"],
    ["check"], ["scorecard"], ["followups"],
])
def test_one_command_opens_the_cache_once(tmp_path, run_cli, opens, command, monkeypatch):
    monkeypatch.setenv("PM_PHAB_TOKEN", "not-used")
    path = tmp_path / "incident.toml"
    path.write_text(INCIDENT, encoding="utf-8")
    cached = write_cache(path)
    opens.clear()
    code, out, err = run_cli(command[0], path, *command[1:])
    assert code in (0, 1), err
    assert opens.count(os.fspath(cached)) == 1


def test_what_the_one_read_gives(tmp_path, run_cli, monkeypatch):
    """The records really come from the cache: the SAL line, the task's status,
    the follow-up's task, the graph's series."""
    path = tmp_path / "incident.toml"
    path.write_text(INCIDENT, encoding="utf-8")
    write_cache(path)
    code, out, err = run_cli("timeline", path, "--format", "json")
    assert code == 0, err
    assert [e["text"] for e in json.loads(out) if e["source"] == "sal"] == ["restart checkout-api pods"]
    code, out, err = run_cli("followups", path)
    assert "T1234" in out and "open" in out
