"""The `splunk-oncall` source against a local server answering like Splunk
On-Call's reporting API (tests/services.py splunk_app; answers from
tests/fixtures/paging/splunk-oncall)."""

from __future__ import annotations

import copy
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
from tests.clock import clocked_session
from tests.services import (
    Answer, FakeServer, assert_broken_answer, broken, html_instead_of_json, splunk_app, transport_failures)

FIXTURES = Path(__file__).parent / "fixtures" / "paging" / "splunk-oncall"
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


def test_pages_of_every_phase_with_acknowledgements_and_resolutions():
    with FakeServer(app(page_size=2)) as server:
        tally = Tally()
        events = read(server.url, tally=tally)
    pages = [e for e in events if e.page.phase == "triggered"]
    assert [(e.time, e.page.incident, ", ".join(e.page.names())) for e in pages] == [
        (utc(2024, 3, 5, 6, 58, 12), "4821", "akowalski, jdoe"), (utc(2024, 3, 5, 9, 12), "4823", "mbauer"),
        (utc(2024, 3, 6, 1, 5, 33), "4829", "tnguyen, rsilva"), (utc(2024, 3, 6, 2, 41, 19), "4830", "jdoe")]
    first = pages[0]
    assert first.text == ("MediaWiki appserver p75 latency high: paged akowalski, jdoe (SRE Core) "
                          "(Splunk On-Call incident 4821)")
    assert first.url == "https://portal.victorops.com/ui/wikimedia/incident/4821"
    assert first.tags == ("page",) and first.source == "splunk-oncall" and first.actor is None
    assert ", ".join(first.page.teams) == "SRE Core" and first.page.entity == "mediawiki/appserver-latency"
    assert not first.page.manual
    acks = [(e.time, e.actor, e.text) for e in events if e.page.phase == "acknowledged"]
    assert acks == [(utc(2024, 3, 5, 7, 4, 55), "akowalski",
                     "acknowledged Splunk On-Call incident 4821: looking, probably the 06:50 deploy"),
                    (utc(2024, 3, 6, 1, 9, 2), "tnguyen", "acknowledged Splunk On-Call incident 4829")]
    resolved = [(e.time, e.actor, e.page.state) for e in events if e.page.phase == "resolved"]
    assert resolved == [(utc(2024, 3, 5, 7, 33, 2), "akowalski", "resolved"), (utc(2024, 3, 5, 9, 19, 41), None,
                                                                               "resolved")]
    # 4 incidents and their 8 transitions read; each "triggered" is its incident's own page event (dropped):
    # every record is an event or a drop (check's read = in window + outside + dropped + skipped)
    assert tally.read == 4 + 8 and not tally.skipped
    assert [d.reason.split(": ")[1] for d in tally.dropped] == [
        "the triggered transition, the page's start (the incident's own event)"] * 4
    assert tally.read == len(events) + len(tally.dropped)
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


def team_page(number="5505", users=(), start="2024-03-05T12:00:00Z", policy="team-8Hk2Lm0Qp4Rs6Tu",
              team="team-8Hk2Lm0Qp4Rs6Tu"):
    item = copy.deepcopy(INCIDENTS[0])
    item.update(incidentNumber=number, startTime=start, pagedUsers=list(users), pagedTeams=[team],
                transitions=[{"name": "triggered", "at": start}])
    item["pagedPolicies"][0]["policy"]["slug"] = policy
    item["pagedPolicies"][0]["team"]["slug"] = team
    return item


def test_a_page_that_names_only_a_team_reaches_who_was_on_call_then():
    incidents = [team_page("5505"), team_page("5506", start="2024-03-05T20:00:00Z"),
                 team_page("5507", start="2024-03-05T12:00:00Z", policy="another-policy")]
    with FakeServer(app(incidents)) as server:
        events = read(server.url)
    paged = {e.page.incident: ((", ".join(e.page.names()) or None), (", ".join(e.page.unresolved_teams) or None)) for e in events}
    # 12:00: akowalski's shift (until 16:00); 20:00: jdoe's (16:00-24:00); a policy nobody is on call for
    assert paged == {"5505": ("akowalski", None), "5506": ("jdoe", None), "5507": (None, "SRE Core")}
    logs = [r for r in server.requests if "oncall" in r.path]
    assert [r.path for r in logs] == ["/api-reporting/v1/team/team-8Hk2Lm0Qp4Rs6Tu/oncall/log"]
    assert logs[0].query == {"start": ["2024-03-05T00:00:00Z"], "end": ["2024-03-07T00:00:00Z"]}
    unknown = next(e for e in events if e.page.incident == "5507")
    assert unknown.text == ("MediaWiki appserver p75 latency high: paged SRE Core, whom not recorded "
                               "(Splunk On-Call incident 5507)")


def test_a_team_without_an_on_call_log_is_unresolved_and_said_so():
    item = team_page("5508", team="team-gone")
    with FakeServer(app([item])) as server:
        tally = Tally()
        events = read(server.url, tally=tally)
    assert ", ".join(events[0].page.unresolved_teams) == "SRE Core" and not events[0].page.notified
    assert [s.reason for s in tally.skipped] == ["team team-gone: no on-call log (404): who its pages reached is unknown"]


def test_a_manual_page_says_who_started_it():
    item = team_page("5510", users=["tchin"])
    item["transitions"][0].update(by="tchin", manually=True)
    with FakeServer(app([item])) as server:
        (event,) = read(server.url)
    assert event.page.manual and event.actor == "tchin" and event.page.by == "tchin"
    assert event.text.endswith("(Splunk On-Call incident 5510), started by tchin")


def test_team_and_routing_key_filter():
    with FakeServer(app()) as server:
        tally = Tally()
        events = read(server.url, tally=tally, team="ServiceOps")
        assert {e.page.incident for e in events} == {"4829"}
        assert [d.reason for d in tally.dropped][:3] == ["paged other teams than 'ServiceOps'"] * 3
        assert tally.read == 4 + 2 == len(events) + len(tally.dropped)  # 4829's triggered and acknowledged
        events = read(server.url, routing_key="data-persistence")
        assert {e.page.incident for e in events} == {"4823"}
        assert server.requests[-1].query["routingKey"] == ["data-persistence"]


def test_transitions_it_does_not_know_are_skipped_and_old_spellings_read():
    item = team_page("5520", users=["jdoe"])
    item["transitions"] += [{"name": "ACKED", "at": "2024-03-05T12:04:00Z", "by": "jdoe"},
                            {"name": "rerouted", "at": "2024-03-05T12:05:00Z"}]
    with FakeServer(app([item])) as server:
        tally = Tally()
        events = read(server.url, tally=tally)
    assert [e.page.phase for e in events] == ["triggered", "acknowledged"]
    assert len(tally.skipped) == 1 and "transition not understood" in tally.skipped[0].reason
    assert tally.read == len(events) + len(tally.dropped) + len(tally.skipped)


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
# What the source raises for each broken answer of the incidents call (tests/services.py Broken).
BROKEN = [
    *transport_failures(),
    broken("truncated-json", "truncated", SourceFormatError,
           re.compile(r"answer is not valid JSON \(.+; \d+ bytes\)"), status=200),
    html_instead_of_json(),
    broken("401-no-keys", Answer.json({"message": "Authentication parameters missing"}, 401), SourceError,
           'HTTP 401 Unauthorized: {"message": "Authentication parameters missing"}', status=401),
    broken("429-past-the-deadline", Answer.json({"message": "slow down"}, 429, **{"Retry-After": "60"}),
           SourceError, 'HTTP 429 Too Many Requests: {"message": "slow down"}', status=429),
    broken("no-total", {"incidents": []}, SourceFormatError, 'expected {"total": N, "incidents": [...]}'),
    broken("incidents-not-a-list", {"total": 1, "incidents": {"incidentNumber": "1"}}, SourceFormatError,
           'expected {"total": N, "incidents": [...]}'),
    broken("not-an-incident", {"total": 1, "incidents": [{"startTime": "2024-03-05T00:00:00Z"}]},
           SourceFormatError, "not an incident (no incidentNumber): \"{'startTime': '2024-03-05T00:00:00Z'}\""),
    broken("bad-start-time", {"total": 1, "incidents": [{"incidentNumber": "1", "startTime": "yesterday"}]},
           SourceFormatError, "not an ISO 8601 time with an offset: 'yesterday'"),
    broken("naive-start-time", {"total": 1, "incidents": [{"incidentNumber": "1", "startTime": "2024-03-05T01:00:00"}]},
           SourceFormatError, "not an ISO 8601 time with an offset: '2024-03-05T01:00:00'"),
]


@pytest.mark.parametrize("case", BROKEN)
def test_broken_answers(case):
    def read_it(url, session):
        return SOURCE.read(config(url), WINDOW, session=session)
    assert_broken_answer(case, read_it, app(), path=HISTORY, source="source[2] (splunk-oncall)", secret=API_KEY)
