"""Every source's reader and every network source's answer parser, fuzzed
(issue 16): thousands of mutated inputs each, from real-format seeds; the only
outcomes are events, an accounted drop or skip, or the project's own error
naming file and line or URL. 0 internal errors (tests/fuzzing.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from postmortem.collect.http import BoundedSession
from postmortem.collect.sources import get_source
from postmortem.collect.sources.phabricator import fetch_tasks
from postmortem.core.accounting import Tally
from postmortem.core.model import SourceConfig, Window, utc
from postmortem.incident.load import parse_incident
from tests.fuzzing import fuzz, json_bytes, mutate_bytes, mutate_json
from tests.services import SalEntry, sal_html

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "2023-09-28-mw-page-content-change-enrich"
WINDOW = Window(utc(2023, 9, 27, 12), utc(2023, 9, 29, 12))
COUNT = 1500  # inputs per harness: a second or two each


# -- file sources: the mutated bytes are a file the source reads ---------------------------

def file_source(tmp_path: Path, type_name: str, name: str, **options):
    """``attempt(bytes)``: write the bytes as the source's one file and read it."""
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    config = SourceConfig(type_name, {"type": type_name, "path": name, **options}, index=0,
                          base_dir=str(tmp_path), file=str(tmp_path / "incident.toml"))

    def attempt(data: bytes):
        path.write_bytes(data)
        return get_source(type_name).read(config, WINDOW, tally=Tally())
    return attempt


IRC_SEEDS = {
    "wm-bot": ("#ops/20230928.txt", ["[14:33:05] <tchin>\t enrich is failing", "[14:34:00] * joal looks",
                                     "[14:35:10] *** Joins: someone (~s@host)", "[23:59:59] <@a>\t late"]),
    "znc": ("#ops/2023-09-28.log", ["[14:30:00] *** Joins: tchin (~tchin@user/tchin)", "[14:31:00] <tchin> hello",
                                    "[14:31:30] * tchin waves", "[14:32:40] -NickServ- identified",
                                    "[00:10:00] <a> after midnight"]),
    "irssi": ("#ops/ops.log", ["--- Log opened Thu Sep 28 00:00:00 2023", "14:05 <@tchin> the job is down",
                               "14:06  * joal looks", "14:07 -!- x [~u@h] has joined #ops",
                               "--- Day changed Fri Sep 29 2023", "00:01 < bob> next day", "--- Log closed"]),
    "weechat": ("ops.weechatlog", ["2023-09-28 14:05:00\ttchin\tthe job is down", "2023-09-28 14:06:00\t *\tjoal looks",
                                   "2023-09-28 14:07:00\t-->\tx has joined", "2023-09-28 14:08:00\t@joal\tok"]),
}


@pytest.mark.parametrize("logger", sorted(IRC_SEEDS))
def test_irc_reader(tmp_path, logger):
    name, lines = IRC_SEEDS[logger]
    seeds = ["\n".join(lines).encode() + b"\n", "\n".join(lines[::-1]).encode()]
    outcomes = fuzz(seeds, mutate_bytes, file_source(tmp_path, "irc", name), count=COUNT, seed=len(logger))
    assert outcomes.internal == [], outcomes.report()
    assert outcomes.events > 0 and outcomes.errors > 0  # both kinds of outcome were reached


def test_sal_wikitext_reader(tmp_path):
    seeds = [(FIXTURES / "sal" / name).read_bytes() for name in ("server-admin-log.wiki", "archive-2012.wiki")]
    seeds = [seed[:4000] for seed in seeds]
    outcomes = fuzz(seeds, mutate_bytes, file_source(tmp_path, "sal-wikitext", "sal.wiki"), count=COUNT, seed=2)
    assert outcomes.internal == [], outcomes.report()
    assert outcomes.events > 0 and outcomes.errors > 0


def test_alert_email_reader(tmp_path):
    seeds = [path.read_bytes() for path in sorted((FIXTURES / "alert-email").iterdir())]
    outcomes = fuzz(seeds, mutate_bytes, file_source(tmp_path, "alert-email", "mail.eml", time="2023-09-28 14:00"),
                    count=COUNT, seed=3)
    assert outcomes.internal == [], outcomes.report()
    assert outcomes.events > 0 and outcomes.errors > 0


def slack_export(tmp_path: Path):
    """``attempt(day file bytes)``: the sample's export with that day file for 2023-09-28."""
    root = tmp_path / "export"
    for name in ("users.json", "channels.json"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes((SAMPLE / "slack" / name).read_bytes())
    day = root / "event-platform" / "2023-09-28.json"
    day.parent.mkdir(parents=True, exist_ok=True)
    config = SourceConfig("slack-export", {"type": "slack-export", "path": "export"}, index=0,
                          base_dir=str(tmp_path), file=str(tmp_path / "incident.toml"))

    def attempt(data: bytes):
        day.write_bytes(data)
        return get_source("slack-export").read(config, WINDOW, tally=Tally())
    return attempt


def test_slack_export_day_files(tmp_path):
    messages = json.loads((SAMPLE / "slack" / "event-platform" / "2023-09-28.json").read_text())
    rng_mutations = lambda seed, rng: (json_bytes(mutate_json(seed, rng)) if rng.random() < 0.7  # noqa: E731
                                       else mutate_bytes(json_bytes(seed), rng))
    outcomes = fuzz([messages], rng_mutations, slack_export(tmp_path), count=COUNT, seed=4)
    assert outcomes.internal == [], outcomes.report()
    assert outcomes.events > 0 and outcomes.errors > 0


def test_incident_toml(tmp_path):
    seeds = [(SAMPLE / "incident.toml").read_bytes()]

    def attempt(data: bytes):
        text = data.decode("utf-8", "replace")
        incident = parse_incident(text, SAMPLE / "incident.toml")
        return list(incident.events)
    outcomes = fuzz(seeds, mutate_bytes, attempt, count=COUNT, seed=5)
    assert outcomes.internal == [], outcomes.report()
    assert outcomes.events > 0 and outcomes.errors > 0


# -- network sources: the mutated body is every answer of a local transport ----------------

class Answers(requests.adapters.BaseAdapter):
    """A transport that answers every request with one body (and counts them)."""

    def __init__(self, content_type: str):
        super().__init__()
        self.content_type, self.body, self.count = content_type, b"", 0

    def send(self, request, **kwargs):
        self.count += 1
        if self.count > 200:
            raise AssertionError(f"the source kept asking: {self.count} requests for one answer")
        response = requests.Response()
        response.status_code, response.url, response.request = 200, request.url, request
        response.headers["Content-Type"] = self.content_type
        response._content = self.body
        return response

    def close(self):
        pass


def network(read, content_type="application/json"):
    """``attempt(body)``: ``read(session)`` with every answer that body."""
    adapter = Answers(content_type)

    def attempt(body: bytes):
        adapter.body, adapter.count = body, 0
        session = BoundedSession(retries=0, deadline=30)
        session.mount("https://", adapter)
        return read(session)
    return attempt


def source(type_name: str, **options):
    config = SourceConfig(type_name, {"type": type_name, "url": "https://service.test", **options}, index=1)
    return lambda session: get_source(type_name).read(config, WINDOW, session=session, tally=Tally())


def json_mutations(seed, rng):
    return json_bytes(mutate_json(seed, rng)) if rng.random() < 0.75 else mutate_bytes(json_bytes(seed), rng)


ALERT = {"labels": {"alertname": "KafkaLag", "severity": "critical", "team": "data-eng"},
         "annotations": {"summary": "KafkaLag is bad"}, "startsAt": "2023-09-28T14:33:12.000Z",
         "endsAt": "2023-09-28T16:00:00.000Z", "updatedAt": "2023-09-28T14:33:12.000Z",
         "fingerprint": "0123456789abcdef", "status": {"state": "active", "silencedBy": [], "inhibitedBy": []},
         "receivers": [{"name": "blackhole"}], "generatorURL": "https://prometheus.example/graph"}
MATRIX = {"status": "success", "data": {"resultType": "matrix", "result": [
    {"metric": {"alertname": "KafkaLag", "alertstate": "firing", "severity": "critical"},
     "values": [[1695911592, "1695911592"], [1695911652, "1695911592"], [1695915192, "1695915192"]]}]}}
HISTORY = {"ok": True, "messages": [
    {"type": "message", "ts": "1695911580.000200", "user": "U1", "text": "the job is down <@U2>",
     "reply_count": 1, "thread_ts": "1695911580.000200", "reactions": [{"name": "eyes", "users": ["U2"], "count": 1}]},
    {"type": "message", "subtype": "bot_message", "ts": "1695911640.000100", "bot_id": "B1", "text": "",
     "attachments": [{"fallback": "[FIRING:1] KafkaLag"}], "blocks": [{"type": "rich_text", "elements": [
         {"type": "rich_text_section", "elements": [{"type": "text", "text": "alert"}]}]}]}],
    "has_more": False, "response_metadata": {"next_cursor": ""},
    # every call gets this answer: users.list reads its members (the other calls their messages)
    "members": [{"id": "U1", "name": "tchin", "real_name": "Tim Chin", "profile": {"display_name": "tchin"}}]}
STATUS = {"page": {"id": "p", "name": "Wikimedia", "url": "https://www.wikimediastatus.net"}, "incidents": [
    {"id": "inc1", "name": "Wikis slow", "status": "resolved", "impact": "major",
     "created_at": "2023-09-28T14:40:12.345Z", "updated_at": "2023-09-28T16:02:00Z", "shortlink": "https://stspg.io/x",
     "incident_updates": [{"id": "u1", "status": "investigating", "body": "We are aware",
                           "created_at": "2023-09-28T14:40:12.345Z", "display_at": "2023-09-28T14:40:12.345Z"}]}]}
CONDUIT = {"result": {"data": [
    {"id": 347884, "phid": "PHID-TASK-1", "fields": {"name": "Do not retry", "status": {"value": "open", "name": "Open"},
                                                    "ownerPHID": "PHID-USER-1"}}],
    "cursor": {"limit": 100, "after": None, "before": None}}, "error_code": None, "error_info": None}
WIKI = {"query": {"pages": [{"pageid": 1, "ns": 0, "title": "Server Admin Log", "revisions": [
    {"slots": {"main": {"contentmodel": "wikitext", "content":
                        "== 2023-09-28 ==\n* 15:08 tchin: restart the job\n* 14:33 brennen: scap\n"}}}]}]}}


@pytest.mark.parametrize("name, read, seed, content_type", [
    ("alertmanager", source("alertmanager"), [ALERT, {**ALERT, "endsAt": "2023-09-28T14:50:00Z"}], None),
    ("prometheus", source("prometheus"), MATRIX, None),
    ("statuspage", source("statuspage"), STATUS, None),
    ("slack", source("slack", channel="C0123", token_env="PM_FUZZ_TOKEN"), HISTORY, None),
    ("phabricator", lambda session: list(fetch_tasks(SourceConfig(
        "phabricator", {"type": "phabricator", "url": "https://service.test", "token_env": "PM_FUZZ_TOKEN"}, index=2),
        ["T347884", "T1"], session).values()), CONDUIT, None),
    ("sal-wikitext-wiki", lambda session: get_source("sal-wikitext").read(SourceConfig(
        "sal-wikitext", {"type": "sal-wikitext", "wiki": "https://service.test/w/api.php", "page": "Server Admin Log"},
        index=3), WINDOW, session=session, tally=Tally()), WIKI, None),
])
def test_network_answers(monkeypatch, name, read, seed, content_type):
    monkeypatch.setenv("PM_FUZZ_TOKEN", "xoxb-fuzz-token")
    outcomes = fuzz([seed], json_mutations, network(read, content_type or "application/json"),
                    count=COUNT, seed=len(name))
    assert outcomes.internal == [], outcomes.report()
    assert outcomes.events > 0 and outcomes.errors > 0  # the parser was reached, and refused some


def test_sal_tool_pages():
    entries = [SalEntry(f"id{n}", utc(2023, 9, 28, 14, n), "tchin", f"restart the job {n} T347884")
               for n in range(5)]
    seed = sal_html("production", entries, 0, 50, 5).encode()
    outcomes = fuzz([seed], mutate_bytes, network(source("sal"), "text/html; charset=utf-8"), count=COUNT, seed=7)
    assert outcomes.internal == [], outcomes.report()
    assert outcomes.events > 0 and outcomes.errors > 0


# -- paging services: several endpoints, one answer mutated per input ------------------------

class Routes(requests.adapters.BaseAdapter):
    """A transport answering each path with its own JSON (the first route whose
    prefix the path starts with, or for a route ``*suffix`` that it ends with)."""

    def __init__(self, routes: dict):
        super().__init__()
        self.routes, self.count = routes, 0

    def send(self, request, **kwargs):
        self.count += 1
        if self.count > 300:
            raise AssertionError(f"the source kept asking: {self.count} requests for one input")
        path = requests.utils.urlparse(request.url).path
        body = next((value for key, value in self.routes.items()
                     if (path.endswith(key[1:]) if key.startswith("*") else path.startswith(key))), b"{}")
        response = requests.Response()
        response.status_code, response.url, response.request = 200, request.url, request
        response.headers["Content-Type"] = "application/json"
        response._content = body
        return response

    def close(self):
        pass


def routed(read, good: dict):
    """``attempt(routes)``: ``read(session)`` with each path answering its (maybe mutated) JSON."""
    def attempt(routes: dict):
        session = BoundedSession(retries=0, deadline=30, sleep=lambda seconds: None)
        session.mount("https://", Routes(routes))
        return read(session)
    return attempt


def one_route_mutated(good: dict):
    def mutate(_, rng):
        routes = {prefix: json_bytes(value) for prefix, value in good.items()}
        prefix = rng.choice(list(good))
        routes[prefix] = json_mutations(good[prefix], rng)
        return routes
    return mutate


PAGING = FIXTURES / "paging"


def paging(name: str):
    return json.loads((PAGING / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("type_name, options, good", [
    ("pagerduty", {"token_env": "PM_FUZZ_TOKEN"}, {
        "*/notes": paging("pagerduty/notes-list.json"),
        "/incidents/": paging("pagerduty/log_entries-full-timeline.json"),
        "/incidents": paging("pagerduty/incidents-list-last-page.json"),
        "/users/": paging("pagerduty/users-get.json")}),
    ("splunk-oncall", {"org": "wikimedia", "api_id_env": "PM_FUZZ_TOKEN", "api_key_env": "PM_FUZZ_TOKEN"}, {
        "/api-reporting/v2/incidents": paging("splunk-oncall/incidents-all-phases.json"),
        "/api-reporting/v1/team/": paging("splunk-oncall/oncall-log-team.json")}),
])
def test_paging_answers(monkeypatch, type_name, options, good):
    monkeypatch.setenv("PM_FUZZ_TOKEN", "fuzz-token-value")
    window = Window(utc(2024, 3, 4), utc(2024, 3, 7))
    config = SourceConfig(type_name, {"type": type_name, "url": "https://service.test", **options}, index=4)
    read = lambda session: get_source(type_name).read(config, window, session=session, tally=Tally())  # noqa: E731
    outcomes = fuzz([None], one_route_mutated(good), routed(read, good), count=COUNT, seed=len(type_name))
    assert outcomes.internal == [], outcomes.report()
    assert outcomes.events > 0 and outcomes.errors > 0


GERRIT_WINDOW = Window(utc(2024, 3, 5, 0), utc(2024, 3, 6, 0))
GERRIT_PAGE = json.loads((FIXTURES / "gerrit" / "changes-merged-detailed-page1.txt").read_bytes()[len(b")]}'"):])


def gerrit_mutations(seed, rng):
    """Gerrit's answers: the ``)]}'`` line, then JSON (mutated whole, or the bytes after it)."""
    if rng.random() < 0.75:
        return b")]}'\n" + json_bytes(mutate_json(seed, rng))
    return mutate_bytes(b")]}'\n" + json_bytes(seed), rng)


def test_gerrit_answers():
    """Every answer the same mutated page: a page saying _more_changes forever
    must end in the source's error, not in endless asking."""
    config = SourceConfig("gerrit", {"type": "gerrit", "url": "https://service.test"}, index=1)
    read = lambda session: get_source("gerrit").read(config, GERRIT_WINDOW, session=session,  # noqa: E731
                                                     tally=Tally())
    outcomes = fuzz([GERRIT_PAGE], gerrit_mutations, network(read), count=COUNT, seed=7)
    assert outcomes.internal == [], outcomes.report()
    assert outcomes.events > 0 and outcomes.errors > 0
