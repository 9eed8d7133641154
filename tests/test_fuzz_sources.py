"""Every source's reader and every network source's answer parser, fuzzed
(issue 16): thousands of mutated inputs each, from real-format seeds; the only
outcomes are events, an accounted drop or skip, or the project's own error
naming file and line or URL. 0 internal errors (tests/fuzzing.py)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import requests

from postmortem.net.conduit import Conduit
from postmortem.net.http import BoundedSession
from postmortem.net.mediawiki import Wiki
from postmortem.net.pagination import MAX_REQUESTS
from postmortem.collect.sources import get_source
from postmortem.collect.sources.phabricator import fetch_tasks
from postmortem.core.accounting import Tally
from postmortem.core.model import SourceConfig, Window, utc
from postmortem.incident.load import parse_incident
from tests.clock import FakeClock
from tests.fuzzing import (JSON_VALUES, Outcomes, fuzz, json_bytes, mutate_bytes, mutate_json,
                           retry_after_value)
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


# -- Retry-After in any form (issue 22): the first answer a 429 saying when to come back --------

class RateLimitedOnce(Answers):
    """The first request answered 429 with ``retry_after`` (as Retry-After, or as
    PagerDuty's RateLimit-Reset), every other with the body."""

    def __init__(self, content_type: str):
        super().__init__(content_type)
        self.retry_after, self.header = "", "Retry-After"

    def send(self, request, **kwargs):
        response = super().send(request, **kwargs)
        if self.count == 1:
            response.status_code = 429
            response.headers[self.header] = self.retry_after
        return response


def rate_limited(read, body: bytes, content_type="application/json"):
    """``attempt((header, value))``: ``read(session)`` on a session whose waits pass on a fake clock."""
    adapter = RateLimitedOnce(content_type)
    adapter.body = body

    def attempt(sample):
        adapter.header, adapter.retry_after = sample
        adapter.count = 0
        clock = FakeClock()
        session = BoundedSession(retries=2, deadline=30, backoff=0.5, sleep=clock.sleep, clock=clock)
        session.mount("https://", adapter)
        return read(session)
    return attempt


def retry_after_sample(_, rng):
    return rng.choice(["Retry-After"] * 3 + ["RateLimit-Reset"]), retry_after_value(rng)


RETRY_COUNT = 300  # Retry-After values per source: every form, as it is and mutated


@pytest.mark.parametrize("name, read, seed, content_type", [
    ("alertmanager", source("alertmanager"), [ALERT], "application/json"),
    ("statuspage", source("statuspage"), STATUS, "application/json"),
    ("slack", source("slack", channel="C0123", token_env="PM_FUZZ_TOKEN"), HISTORY, "application/json"),
    ("prometheus", source("prometheus"), MATRIX, "application/json"),
    ("sal-wikitext-wiki", lambda session: get_source("sal-wikitext").read(SourceConfig(
        "sal-wikitext", {"type": "sal-wikitext", "wiki": "https://service.test/w/api.php", "page": "Server Admin Log"},
        index=3), WINDOW, session=session, tally=Tally()), WIKI, "application/json"),
])
def test_retry_after_in_any_form(monkeypatch, name, read, seed, content_type):
    monkeypatch.setenv("PM_FUZZ_TOKEN", "xoxb-fuzz-token")
    outcomes = fuzz([None], retry_after_sample, rate_limited(read, json_bytes(seed), content_type), count=RETRY_COUNT,
                    seed=len(name))
    assert outcomes.internal == [], outcomes.report()
    assert outcomes.events > 0 and outcomes.errors > 0  # waited and read; and a wait past the deadline refused


def test_the_wiki_clients_retry_after_in_any_form():
    """``maxlag`` (HTTP 200) with Retry-After, then the page."""
    answers = [json_bytes({"error": {"code": "maxlag", "info": "7 seconds lagged", "lag": 7}}), json_bytes(WIKI)]

    class Lagged(Answers):
        def send(self, request, **kwargs):
            self.body = answers[min(self.count, 1)]
            response = super().send(request, **kwargs)
            response.headers["Retry-After"] = self.retry_after
            return response

    adapter = Lagged("application/json")

    def attempt(value):
        adapter.count, adapter.retry_after = 0, value
        clock = FakeClock()
        session = requests.Session()
        session.mount("https://", adapter)
        page = Wiki("https://service.test/w/api.php", session=session, sleep=clock.sleep, clock=clock).page(
            "Server Admin Log")
        assert len(clock.sleeps) == 1 and 0 <= clock.sleeps[0] <= 30, clock.sleeps
        return [page]
    outcomes = fuzz([None], lambda _, rng: retry_after_value(rng), attempt, count=RETRY_COUNT, seed=11)
    assert outcomes.internal == [], outcomes.report()
    assert outcomes.events == RETRY_COUNT  # every form ends in a wait of 0 to 30 s, then the page


# -- the wiki client: every call against answers of every shape --------------------------------

TOKENS = {"logintoken": "l+\\", "csrftoken": "c+\\"}
REVISION = {"revid": 7, "parentid": 6, "user": "Bot", "timestamp": "2024-03-05T10:00:00Z", "comment": "c",
            "slots": {"main": {"contentmodel": "wikitext", "content": "== x ==\n* 10:00 a: b\n"}}}
# One answer per call, good for each of its requests (a token, then the action).
WIKI_ANSWERS = {
    "page": {"curtimestamp": "2024-03-06T00:00:00Z", "query": {"pages": [
        {"pageid": 1, "ns": 0, "title": "X", "revisions": [REVISION]}]}},
    "revisions": {"query": {"pages": [{"pageid": 1, "ns": 0, "title": "X", "revisions": [REVISION]}]}},
    "all_pages": {"query": {"allpages": [{"pageid": 1, "ns": 0, "title": "Incidents/2024-03-05 x"}]}},
    "texts": {"query": {"normalized": [{"from": "a", "to": "A"}], "pages": [
        {"pageid": 1, "ns": 0, "title": "A", "revisions": [REVISION]}, {"ns": 0, "title": "B", "missing": True}]}},
    "parse": {"parse": {"title": "X", "revid": 7, "text": "<p>x</p>", "categories": [{"sortkey": "", "category": "I"}],
                        "sections": [{"line": "Timeline", "level": "2"}]}},
    "file_info": {"query": {"pages": [{"pageid": 2, "ns": 6, "title": "File:x.svg", "imagerepository": "local",
                                       "imageinfo": [{"user": "Bot", "comment": "c", "timestamp": "2024-03-05T10:00:00Z",
                                                      "sha1": "ab"}]}]}},
    "login": {"query": {"tokens": TOKENS}, "login": {"result": "Success", "lguserid": 1, "lgusername": "Bot"}},
    "csrf_token": {"query": {"tokens": TOKENS}},
    "edit": {"query": {"tokens": TOKENS}, "edit": {"result": "Success", "pageid": 1, "newrevid": 8, "oldrevid": 7}},
    "upload_file": {"query": {"tokens": TOKENS}, "upload": {"result": "Warning", "warnings": {"exists": "x.svg"}}},
    "error": {"error": {"code": "ratelimited", "info": "slow down", "*": "See https://x/w/api.php"},
              "servedby": "mw1"},
}
WIKI_CALLS = {
    "page": lambda wiki: [wiki.page("X")],
    "revisions": lambda wiki: list(wiki.revisions("X", limit=3)),
    "all_pages": lambda wiki: list(wiki.all_pages("Incidents/", limit=3)),
    "texts": lambda wiki: list(wiki.texts(["A", "B"])),
    "parse": lambda wiki: [wiki.parse("X")],
    "file_info": lambda wiki: [wiki.file_info("x.svg")],
    "login": lambda wiki: [wiki.login("Bot@app", "not-a-password")],
    "csrf_token": lambda wiki: [wiki.csrf_token()],
    "edit": lambda wiki: [wiki.edit("X", "text", "summary", base=None)],
    "upload_file": lambda wiki: [wiki.upload_file("x.svg", b"<svg/>", comment="c", replace=True)],
}


def wiki_answer_mutations(_, rng):
    """A call and the one answer its every request gets: the good answer mutated (or an API
    error's), a list or text where an object belongs, keys removed, deep nesting."""
    call = rng.choice(sorted(WIKI_CALLS))
    seed = WIKI_ANSWERS["error" if rng.random() < 0.1 else call]
    return call, json_mutations(seed, rng)


def test_wiki_answers():
    adapter = Answers("application/json")

    def attempt(sample):
        call, adapter.body = sample
        adapter.count = 0
        session = requests.Session()
        session.mount("https://", adapter)
        clock = FakeClock()
        return WIKI_CALLS[call](Wiki("https://service.test/w/api.php", session=session, sleep=clock.sleep,
                                     clock=clock))
    outcomes = fuzz([None], wiki_answer_mutations, attempt, count=COUNT, seed=12)
    assert outcomes.internal == [], outcomes.report()
    assert outcomes.events > 0 and outcomes.errors > 0


# -- endless answers: every paginated reader against a server that always says "more" ----------

class Endless(requests.adapters.BaseAdapter):
    """Answers ``page(n)`` to the n-th request (from 0); more requests than any
    call may make (the stated maximum, and one) are a hang, failed here."""

    def __init__(self, page, content_type="application/json"):
        super().__init__()
        self.page, self.content_type, self.count = page, content_type, 0

    def send(self, request, **kwargs):
        if self.count > MAX_REQUESTS:
            raise AssertionError(f"the reader kept asking: {self.count + 1} requests")
        response = requests.Response()
        response.status_code, response.url, response.request = 200, request.url, request
        response.headers["Content-Type"] = self.content_type
        response._content = self.page(self.count)
        self.count += 1
        return response

    def close(self):
        pass


# What an endless server sends back: the items of answer n, and its next-page token.
ITEMS = {"same": lambda n: [0], "fresh": lambda n: [n], "none": lambda n: [], "every-other": lambda n: [n // 2]}
TOKENS_OF = {"same": lambda n, rng: "t", "fresh": lambda n, rng: f"t{n}", "cycle": lambda n, rng: f"t{n % 3}",
             "odd": lambda n, rng: rng.choice(JSON_VALUES[:13])}


def slack_answer(items, token):
    return {"ok": True, "messages": [{"type": "message", "ts": f"{1709632800 + i}.000100", "user": "U1", "text": "x"}
                                     for i in items], "response_metadata": {"next_cursor": token}}


# reader: (read(session), answer(items, token) -> bytes, content type, whether the server gives the token)
ENDLESS_READERS = {
    "wiki all_pages": (lambda session: list(Wiki("https://service.test/w/api.php", session=session).all_pages(
        "Incidents/", limit=10 ** 6)), lambda items, token: json_bytes(
        {"continue": {"apcontinue": token, "continue": "-||"} if isinstance(token, str) else token,
         "query": {"allpages": [{"ns": 0, "title": f"Incidents/{i}"} for i in items]}}), True),
    "wiki revisions": (lambda session: list(Wiki("https://service.test/w/api.php", session=session).revisions(
        "X", limit=10 ** 6)), lambda items, token: json_bytes(
        {"continue": {"rvcontinue": token, "continue": "||"} if isinstance(token, str) else token,
         "query": {"pages": [{"ns": 0, "title": "X", "revisions": [{**REVISION, "revid": i} for i in items]}]}}), True),
    "slack": (source("slack", channel="C0123", token_env="PM_FUZZ_TOKEN"),
              lambda items, token: json_bytes(slack_answer(items, token)), True),
    "conduit": (lambda session: Conduit("https://service.test", "api-token", session).search(
        "user.search", {"usernames": ["u1"]}, max_pages=MAX_REQUESTS), lambda items, token: json_bytes(
        {"result": {"data": [{"id": i, "phid": f"PHID-USER-{i}"} for i in items], "cursor": {"after": token}},
         "error_code": None, "error_info": None}), True),
    "pagerduty": (source("pagerduty", token_env="PM_FUZZ_TOKEN"), lambda items, token: json_bytes(
        {"incidents": [{"id": f"P{i}"} for i in items], "limit": 100, "offset": 0, "more": True}), False),
    "splunk-oncall": (source("splunk-oncall", org="wm", api_id_env="PM_FUZZ_TOKEN", api_key_env="PM_FUZZ_TOKEN"),
                      lambda items, token: json_bytes({"total": 10 ** 9, "offset": 0, "limit": 100, "incidents": [
                          {"incidentNumber": str(i), "startTime": "2024-03-05T06:58:12Z"} for i in items]}), False),
    "gerrit": (source("gerrit"), lambda items, token: b")]}'\n" + json_bytes(
        [{"_number": i, "project": "p", "subject": "s", "status": "MERGED", "_more_changes": True} for i in items]
        or [{"_more_changes": True}]), False),
    "sal": (source("sal"), lambda items, token: sal_html("production", [
        SalEntry(f"id{i}", utc(2023, 9, 28, 14, 0), "tchin", "x") for i in items], 0, 200, 10 ** 9).encode(), False),
}


def endless_inputs(reader: str, gives_token: bool) -> list:
    """Every kind of endless server for ``reader``: its items × its tokens (where
    the server gives them; an offset the reader counts itself)."""
    tokens = sorted(TOKENS_OF) if gives_token else [None]
    return [(reader, items, token, seed) for items in sorted(ITEMS) for token in tokens for seed in range(2)]


@pytest.mark.parametrize("reader", sorted(ENDLESS_READERS))
def test_endless_answers(monkeypatch, reader):
    """0 internal errors, 0 hangs: every input ends in the reader's own error
    (or events, where an odd token reads as the end), within the stated maximum."""
    monkeypatch.setenv("PM_FUZZ_TOKEN", "fuzz-token-value")
    read, answer, gives_token = ENDLESS_READERS[reader]

    def attempt(sample):
        _, items, token, seed = sample
        rng = random.Random(seed)
        adapter = Endless(lambda n: answer(ITEMS[items](n), TOKENS_OF[token](n, rng) if token else None),
                          "text/html; charset=utf-8" if reader == "sal" else "application/json")
        session = BoundedSession(retries=0, deadline=None)
        session.mount("https://", adapter)
        return read(session)
    outcomes = Outcomes()
    for sample in endless_inputs(reader, gives_token):
        outcomes.run(attempt, sample)
    assert outcomes.internal == [], outcomes.report()
    assert outcomes.errors > 0
