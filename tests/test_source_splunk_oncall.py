"""The `splunk-oncall` source against a local server answering like Splunk
On-Call's reporting API (tests/services.py splunk_app; answers from
tests/fixtures/paging/splunk-oncall)."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest

from postmortem.collect.sources import get_source, needs_pull
from postmortem.core.accounting import Tally
from postmortem.core.errors import IncidentFileError, InputError, SourceError, SourceFormatError
from postmortem.collect.cache import event_to_json
from postmortem.core.model import SourceConfig, Window, utc
from tests.cases import answers_app, broken_cases, case_by_id, cases, check_answered, compare_events
from tests.clock import clocked_session
from tests.services import (
    Answer, FakeServer, assert_broken_answer, broken, html_instead_of_json, splunk_app, transport_failures)

FOLDER = "paging/splunk-oncall"
FIXTURES = Path(__file__).parent / "fixtures" / FOLDER
API_ID, API_KEY = "vo-id-1234", "vo-key-NEVER-PRINT-ME-5678"
WINDOW = Window(utc(2024, 3, 5), utc(2024, 3, 7))
SOURCE = get_source("splunk-oncall")


def load(name):
    return json.loads((FIXTURES / name).read_text())


INCIDENTS = load("incidents-resolved-page.json")["incidents"] + load("incidents-all-phases.json")["incidents"]
ONCALL = {"team-8Hk2Lm0Qp4Rs6Tu": load("oncall-log-team.json")["userLogs"],
          "team-Zq1Wx2Ec3Rv4Tb5": load("oncall-log-single-user.json")["userLogs"]}


@pytest.fixture(autouse=True)
def keys(monkeypatch):
    monkeypatch.setenv("PM_VO_ID", API_ID)
    monkeypatch.setenv("PM_VO_KEY", API_KEY)


def config(url, **options):
    return SourceConfig("splunk-oncall", {"type": "splunk-oncall", "url": url, "org": "wikimedia",
                                          "api_id_env": "PM_VO_ID", "api_key_env": "PM_VO_KEY", **options}, index=2)


def app(incidents=INCIDENTS, **kw):
    return splunk_app(incidents, ONCALL, api_id=API_ID, api_key=API_KEY, **kw)


def read(url, session=None, tally=None, **options):
    session = session or clocked_session(timeout=2, retries=3, deadline=600)
    return SOURCE.read(config(url, **options), WINDOW, session=session, tally=tally)


@pytest.mark.parametrize("case", cases(FOLDER))
def test_format_cases(case):
    check_answered(case, FOLDER, lambda url, window, tally: SOURCE.read(
        config(url, **case.get("options", {})), window, session=clocked_session(timeout=2, retries=3, deadline=600),
        tally=tally))


def test_pages_of_every_phase_page_after_page():
    """The case "pages-of-every-phase" served by the paginating API (pages of 2): the
    same events and records, every phase asked for, with both keys."""
    case = case_by_id(FOLDER, "pages-of-every-phase")
    with FakeServer(app(page_size=2)) as server:
        tally = Tally()
        events = read(server.url, tally=tally)
    got, wanted = compare_events(events, case["events"])
    assert got == wanted
    assert tally.read == case["read"] and not tally.skipped
    assert [d.reason for d in tally.dropped] == [d["reason"] for d in case["dropped"]]
    # every phase asked for (the default is "resolved only"), pages of 2 up to total 4, no on-call log needed
    calls = [r for r in server.requests]
    assert [r.query["offset"] for r in calls] == [["0"], ["2"]]
    assert calls[0].query["currentPhase"] == ["triggered,acknowledged,resolved"]
    assert calls[0].query["startedAfter"] == ["2024-03-05T00:00:00Z"] and calls[0].query["limit"] == ["100"]
    assert all(r.headers["X-VO-Api-Id"] == API_ID and r.headers["X-VO-Api-Key"] == API_KEY for r in calls)


def test_without_current_phase_the_api_would_give_only_resolved_ones():
    # the fake answers like the API: what the source would miss if it did not ask for every phase
    with FakeServer(app()) as server:
        import requests
        answer = requests.get(server.url + "/api-reporting/v2/incidents",
                              headers={"X-VO-Api-Id": API_ID, "X-VO-Api-Key": API_KEY}, timeout=5).json()
    assert {i["currentPhase"] for i in answer["incidents"]} == {"resolved"}


def test_the_on_call_log_is_asked_for_the_window():
    case = case_by_id(FOLDER, "a-page-that-names-only-a-team-reaches-who-was-on-call-then")
    with FakeServer(answers_app(case, FOLDER)) as server:
        read(server.url)
    logs = [r for r in server.requests if "oncall" in r.path]
    assert logs[0].query == {"start": ["2024-03-05T00:00:00Z"], "end": ["2024-03-07T00:00:00Z"]}


def test_a_routing_key_is_asked_of_the_api():
    with FakeServer(app()) as server:
        events = read(server.url, routing_key="data-persistence")
    assert {e.page.incident for e in events} == {"4823"}
    assert server.requests[-1].query["routingKey"] == ["data-persistence"]


def test_pages_through_total_waiting_out_a_429_on_the_fake_clock():
    with FakeServer(app(page_size=2, rate_limit={2}, retry_after="60")) as server:
        session = clocked_session(timeout=2, retries=3, deadline=600)
        events = read(server.url, session)
    assert len([e for e in events if e.page.phase == "triggered"]) == 4
    assert session.fake_clock.sleeps == [60.0] and session.requests_made == 3


def test_a_403_after_the_first_page_is_the_rate_limit_and_asked_again_after_a_minute():
    good, calls = app(page_size=2), {"n": 0}

    def limited(request):
        calls["n"] += 1
        return Answer.json({"message": "Authentication failed or rate-limit reached"}, 403) if calls["n"] == 2 \
            else good(request)
    with FakeServer(limited) as server:
        session = clocked_session(timeout=2, retries=3, deadline=600)
        events = read(server.url, session)
    assert len(events) == 8 and session.fake_clock.sleeps == [60.0] and session.requests_made == 3


def test_a_403_on_the_first_call_names_both_meanings():
    with FakeServer(splunk_app(INCIDENTS, ONCALL, api_id=API_ID, api_key="another")) as server:
        with pytest.raises(SourceError) as caught:
            read(server.url)
    assert caught.value.status == 403 and API_KEY not in str(caught.value)
    assert str(caught.value) == (f"{server.url}/api-reporting/v2/incidents: HTTP 403 Forbidden: "
                                 '{"message": "Authentication failed"} (Splunk On-Call answers 403 for keys it '
                                 "refuses or for its rate limit of one call a minute: check api_id_env/api_key_env)")


def test_the_keys_are_never_logged_cached_or_in_events(caplog):
    caplog.set_level(logging.DEBUG)
    with FakeServer(app()) as server:
        events = read(server.url)
    dumped = json.dumps([event_to_json(e) for e in events])
    assert caplog.records and API_KEY not in caplog.text and API_ID not in caplog.text
    assert API_KEY not in dumped and API_ID not in dumped


def test_the_keys_go_only_over_https_or_to_loopback():
    with pytest.raises(InputError, match="plain http"):
        read("http://api.victorops.example.org")


def test_check_needs_org_and_both_keys():
    with pytest.raises(IncidentFileError, match="'org'"):
        SOURCE.check(SourceConfig("splunk-oncall", {"type": "splunk-oncall", "api_id_env": "A",
                                                    "api_key_env": "B"}, index=0))
    with pytest.raises(IncidentFileError, match="unknown option 'token_env'"):
        SOURCE.check(SourceConfig("splunk-oncall", {"type": "splunk-oncall", "org": "o", "api_id_env": "A",
                                                    "api_key_env": "B", "token_env": "C"}, index=0))
    SOURCE.check(config("https://api.victorops.com"))
    assert needs_pull(config("https://api.victorops.com")) and SOURCE.family == "page"


HISTORY = "/api-reporting/v2/incidents"
# Each broken answer of the incidents call and the one error it ends in: the source's own
# shapes in tests/fixtures/paging/splunk-oncall/cases.toml [[broken]], here those every source meets.
BROKEN = [
    *transport_failures(),
    broken("truncated-json", "truncated", SourceFormatError,
           re.compile(r"answer is not valid JSON \(.+; \d+ bytes\)"), status=200),
    html_instead_of_json(),
    *broken_cases(FOLDER),
]


@pytest.mark.parametrize("case", BROKEN)
def test_broken_answers(case):
    def read_it(url, session):
        return SOURCE.read(config(url), WINDOW, session=session)
    assert_broken_answer(case, read_it, app(), path=HISTORY, source="source[2] (splunk-oncall)", secret=API_KEY)
