"""The `pagerduty` source against a local server answering like PagerDuty's REST
API v2 (tests/services.py pagerduty_app; answers from tests/fixtures/paging/pagerduty)."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest

from postmortem.collect.sources import get_source
from postmortem.core.accounting import Tally
from postmortem.core.errors import IncidentFileError, PostmortemError, SourceFormatError
from postmortem.core.model import SourceConfig, Window, utc
from postmortem.collect.cache import event_to_json
from tests.cases import broken_cases, case_by_id, cases, check_answered, compare_events
from tests.clock import clocked_session
from tests.services import (
    Answer, FakeServer, assert_broken_answer, broken, html_instead_of_json, pagerduty_app,
    transport_failures)

FIXTURES = Path(__file__).parent / "fixtures" / "paging" / "pagerduty"
TOKEN = "u+NEVER-PRINT-ME-pd-token"
WINDOW = Window(utc(2024, 3, 5), utc(2024, 3, 6))
SOURCE = get_source("pagerduty")


def load(name):
    return json.loads((FIXTURES / name).read_text())


INCIDENTS = load("incidents-list-page1.json")["incidents"] + load("incidents-list-last-page.json")["incidents"]
TIMELINE = load("log_entries-full-timeline.json")["log_entries"]
NOTES = load("notes-list.json")["notes"]
ANA = load("users-get.json")["user"]
JON = {**ANA, "id": "PQR34ST", "name": "Jon Doe", "summary": "Jon Doe", "email": "jon.doe@example.org",
       "time_zone": "America/Chicago"}


def log_entries(timeline=TIMELINE):
    return {INCIDENTS[0]["id"]: timeline, **{i["id"]: [] for i in INCIDENTS[1:]}}


@pytest.fixture(autouse=True)
def pd_token(monkeypatch):
    monkeypatch.setenv("PM_PD_TOKEN", TOKEN)


def config(url):
    return SourceConfig("pagerduty", {"type": "pagerduty", "url": url, "token_env": "PM_PD_TOKEN"}, index=4)


def app(timeline=TIMELINE, users=None, notes=NOTES, **kw):
    users = {ANA["id"]: ANA, JON["id"]: JON} if users is None else users
    return pagerduty_app(INCIDENTS, log_entries(timeline), users, token=TOKEN, notes={INCIDENTS[0]["id"]: notes},
                         **kw)


def read(url, session=None, tally=None):
    return SOURCE.read(config(url), WINDOW, session=session or clocked_session(timeout=2, retries=3, deadline=60),
                       tally=tally)


@pytest.mark.parametrize("case", cases("paging/pagerduty"))
def test_format_cases(case):
    check_answered(case, "paging/pagerduty", lambda url, window, tally: SOURCE.read(
        config(url), window, session=clocked_session(timeout=2, retries=3, deadline=60), tally=tally))


def test_incidents_log_entries_and_users_across_pages():
    """The case "incidents-log-entries-notes-and-a-user" served by the paginating API
    (pages of 2): the same events and records, asked with the fewest requests."""
    case = case_by_id("paging/pagerduty", "incidents-log-entries-notes-and-a-user")
    annotated = next(e for e in TIMELINE if e["type"] == "annotate_log_entry")
    assert annotated["summary"] == "Note added" and "note" not in annotated  # issue 21 defect 6: no text here
    with FakeServer(app(page_size=2)) as server:
        tally = Tally()
        events = read(server.url, tally=tally)
    got, wanted = compare_events(events, case["events"])
    assert got == wanted
    assert tally.read == case["read"] and [d.reason for d in tally.dropped] == [d["reason"] for d in case["dropped"]]
    paths = [(r.path, r.query.get("offset")) for r in server.requests]
    assert paths == [("/incidents", ["0"]), ("/incidents", ["2"]),
                     ("/incidents/Q1A2B3C4D5E6F7/log_entries", ["0"]), ("/incidents/Q1A2B3C4D5E6F7/log_entries", ["2"]),
                     ("/incidents/Q1A2B3C4D5E6F7/log_entries", ["4"]), ("/incidents/Q1A2B3C4D5E6F7/log_entries", ["6"]),
                     ("/incidents/Q1A2B3C4D5E6F7/notes", None),
                     ("/incidents/Q9Z8Y7X6W5V4U3/log_entries", ["0"]), ("/incidents/Q9Z8Y7X6W5V4U3/notes", None),
                     ("/incidents/QK1L2M3N4O5P6Q/log_entries", ["0"]), ("/incidents/QK1L2M3N4O5P6Q/notes", None),
                     ("/users/PAB12CD", None)]
    first = server.requests[0]
    assert first.query["since"] == ["2024-03-05T00:00:00Z"] and first.query["until"] == ["2024-03-06T00:00:00Z"]
    assert server.requests[2].query["is_overview"] == ["false"]
    assert all(r.headers["Authorization"] == f"Token token={TOKEN}" for r in server.requests)
    assert all(r.headers["Accept"] == "application/vnd.pagerduty+json;version=2" for r in server.requests)


def test_a_429_waits_ratelimit_reset_on_the_fake_clock():
    with FakeServer(app(rate_limit={1, 4})) as server:
        session = clocked_session(timeout=2, retries=3, deadline=60)
        events = read(server.url, session)
    assert len(events) == 8 and session.fake_clock.sleeps == [7.0, 7.0]


def test_the_token_is_never_logged_or_in_events(caplog):
    caplog.set_level(logging.DEBUG)
    with FakeServer(app()) as server:
        events = read(server.url)
    assert caplog.records and TOKEN not in caplog.text
    assert TOKEN not in json.dumps([(event_to_json(e)) for e in events])


def test_check_needs_token_env():
    with pytest.raises(IncidentFileError, match="token_env"):
        SOURCE.check(SourceConfig("pagerduty", {"type": "pagerduty"}, index=0))
    SOURCE.check(config("https://api.pagerduty.com"))


INCIDENTS_URL = "/incidents"
NOTES_URL = "/incidents/Q1A2B3C4D5E6F7/notes"
# Each broken answer and the one error it ends in: the source's own shapes in
# tests/fixtures/paging/pagerduty/cases.toml [[broken]], here those every source meets.
BROKEN = [
    *transport_failures(),
    broken("truncated-json", "truncated", SourceFormatError,
           re.compile(r"answer is not valid JSON \(.+; \d+ bytes\)"), status=200),
    html_instead_of_json(),
    broken("notes-html-error-page", "html", SourceFormatError, "expected JSON, got an HTML page ('Wikimedia Error')",
           status=200, path=NOTES_URL),
    *broken_cases("paging/pagerduty"),
]


def test_more_than_pagerduty_lists_asks_for_a_shorter_window():
    def full(request):  # every page 100 other incidents, and more
        offset = int(request.query["offset"][0])
        return Answer.json({"incidents": [{"id": f"P{offset + n}"} for n in range(100)], "more": True})
    with FakeServer(full) as server:
        with pytest.raises(SourceFormatError) as caught:
            read(server.url)
    assert caught.value.message == "more than 10000 incidents (PagerDuty lists no more): use a shorter window"
    assert len(server.requests) == 100 and server.requests[-1].query["offset"] == ["9900"]


@pytest.mark.parametrize("case", BROKEN)
def test_broken_answers(case):
    def read_it(url, session):
        return SOURCE.read(config(url), WINDOW, session=session)
    assert_broken_answer(case, read_it, app(), path=INCIDENTS_URL, source="source[4] (pagerduty)", secret=TOKEN)


def test_a_server_repeating_a_page_is_refused_not_asked_forever():
    same = Answer.json({"incidents": [{"id": f"P{n}"} for n in range(100)], "more": True})
    with FakeServer(lambda request: same) as server:
        with pytest.raises(SourceFormatError) as caught:
            read(server.url)
    assert caught.value.message == ("the answer to offset=100 says there is more but brought nothing new: stopped, "
                                    "asking again would not end")
    assert len(server.requests) == 2


def test_who_acted_on_a_page_has_their_user_id_and_email_as_other_names():
    """The agent of an acknowledgement, a note and a resolution (a ``user_reference``):
    ``aka`` their user id and e-mail (``GET /users/{id}``), by which ``[people]``
    aliases find them; a service that acted has none."""
    from postmortem.core.model import Person
    from postmortem.core.people import Roster
    with FakeServer(app()) as server:
        events = read(server.url)
    acted = [(e.page.phase, e.actor, e.aka) for e in events
             if e.page.incident == "#1402" and e.page.phase != "triggered"]
    ana = ("PAB12CD", "ana.kowalski@example.org")
    assert acted == [("note", None, ()), ("escalated", None, ()), ("acknowledged", "Ana Kowalski", ana),
                     ("note", "Ana Kowalski", ana), ("resolved", "Ana Kowalski", ana)]
    roster = Roster({"akowalski": Person("akowalski", aliases=("ana.kowalski@example.org",))})
    assert {roster.named(e).actor for e in events if e.actor} == {"akowalski"}


def read_failing(app_):
    with FakeServer(app_) as server:
        with pytest.raises(PostmortemError) as caught:
            read(server.url, clocked_session(timeout=2, retries=0, deadline=60))
    return caught.value, server.url


def test_notes_of_an_incident_the_token_lost_access_to_fail_the_pull_saying_so():
    """PagerDuty's 403 with code 2018 (docs/REST-API/14-Errors.md)."""
    err, url = read_failing(app(lost_access={"Q1A2B3C4D5E6F7"}))
    assert str(err) == (f"{url}{NOTES_URL}: HTTP 403 Forbidden: Access Denied: You may have lost access to this "
                        f"incident if it has been resolved (code 2018)")
    assert err.status == 403 and TOKEN not in str(err)
