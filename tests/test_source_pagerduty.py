"""The `pagerduty` source against a local server answering like PagerDuty's REST
API v2 (tests/services.py pagerduty_app; answers from tests/fixtures/paging/pagerduty)."""

from __future__ import annotations

import copy
import json
import logging
import re
from pathlib import Path

import pytest

from postmortem.collect.sources import get_source
from postmortem.core.accounting import Tally
from postmortem.core.errors import IncidentFileError, PostmortemError, SourceError, SourceFormatError
from postmortem.core.model import SourceConfig, Window, utc
from postmortem.core.timeutil import format_utc
from postmortem.collect.cache import event_to_json
from tests.clock import clocked_session
from tests.services import (
    Answer, FakeServer, assert_broken_answer, broken, html_instead_of_json, pagerduty_app, pd_error,
    transport_failures)

FIXTURES = Path(__file__).parent / "fixtures" / "paging" / "pagerduty"
TOKEN = "u+NEVER-PRINT-ME-pd-token"
WINDOW = Window(utc(2024, 3, 5), utc(2024, 3, 6))
SOURCE = get_source("pagerduty")


def notified(page, name):
    """Whom the page reached under ``name``: when, how, their zone and other names."""
    return next(n for n in page.page.notified if n.name == name)


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


def notify(entry_id, at, user, channel):
    entry = copy.deepcopy(next(e for e in TIMELINE if e["type"] == "notify_log_entry"))
    entry.update(id=entry_id, created_at=at, user={**entry["user"], "id": user["id"], "summary": user["name"]},
                 channel=channel)
    return entry


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


def test_incidents_log_entries_and_users_across_pages():
    with FakeServer(app(page_size=2)) as server:
        tally = Tally()
        events = read(server.url, tally=tally)
    page = events[0]
    assert (page.time, page.page.incident, ", ".join(page.page.names())) == (utc(2024, 3, 5, 6, 58, 12), "#1402",
                                                                          "Ana Kowalski")
    assert page.url == "https://acme-sre.pagerduty.com/incidents/Q1A2B3C4D5E6F7" and page.tags == ("page",)
    assert page.text == "Checkout API 5xx rate above 5%: paged Ana Kowalski (Payments) (PagerDuty incident #1402)"
    assert notified(page, "Ana Kowalski").timezone == "Europe/Warsaw"
    assert ", ".join(notified(page, "Ana Kowalski").aka) == "PAB12CD, ana.kowalski@example.org"
    assert ", ".join(notified(page, "Ana Kowalski").via) == "sms, push"  # channel.notification.type of two notify entries
    assert format_utc(notified(page, "Ana Kowalski").at) == "2024-03-05T06:58:14Z"
    assert not page.page.manual  # triggered through the API by a service
    assert [(e.time, e.page.phase, e.actor, e.text) for e in events[1:] if e.page.incident == "#1402"] == [
        (utc(2024, 3, 5, 6, 58, 13), "note", None,  # a note an event rule wrote: no log entry of it here
         "note on PagerDuty incident #1402 by Checkout event rule: Runbook: https://wiki.example.org/Checkout#5xx"),
        (utc(2024, 3, 5, 7, 3, 14), "escalated", None, "PagerDuty incident #1402 escalated to Jon Doe"),
        (utc(2024, 3, 5, 7, 4, 55), "acknowledged", "Ana Kowalski", "acknowledged PagerDuty incident #1402 (via website)"),
        (utc(2024, 3, 5, 7, 20, 31), "note", "Ana Kowalski",
         "note on PagerDuty incident #1402: Rolled back checkout to 2024.03.04-2; error rate dropping."),
        (utc(2024, 3, 5, 7, 41, 9), "resolved", "Ana Kowalski", "PagerDuty incident #1402 resolved by Ana Kowalski")]
    others = [e for e in events if e.page.incident != "#1402"]
    assert [e.text for e in others] == [
        "Checkout latency p99 above 2s: paged Payments, whom not recorded (PagerDuty incident #1403)",
        "Payment webhook queue backlog: paged Payments, whom not recorded (PagerDuty incident #1404)"]
    # 3 incidents + 8 log entries + 2 notes read; the trigger, the assignment, both notify entries and the
    # note whose text is its entry's accounted for: every record is an event or a drop (check's read =
    # in window + outside + dropped + skipped)
    assert tally.read == 13 and not tally.skipped
    assert tally.dropped_by_reason() == {"notify entry: its person is in the page's paged list": 2,
                                         "assignment (who was paged comes from the notify entries) (assign_log_entry)": 1,
                                         "trigger entry: the page's start, the incident's own event": 1,
                                         "note: the text of its annotate log entry's event": 1}
    assert tally.read == len(events) + len(tally.dropped)
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


def test_both_shapes_of_a_notify_entrys_channel_and_each_persons_own_time():
    timeline = TIMELINE[:2] + [
        notify("N1", "2024-03-05T06:58:14Z", ANA, {"type": "auto", "notification": {"type": "phone"}}),
        notify("N2", "2024-03-05T07:03:20Z", JON, {"type": "sms"})]  # the OpenAPI's own: only channel.type
    with FakeServer(app(timeline)) as server:
        page = read(server.url)[0]
    assert ", ".join(page.page.names()) == "Ana Kowalski, Jon Doe"
    assert (", ".join(notified(page, "Ana Kowalski").via), ", ".join(notified(page, "Jon Doe").via)) == ("phone", "sms")
    assert format_utc(notified(page, "Jon Doe").at) == "2024-03-05T07:03:20Z"
    assert notified(page, "Jon Doe").timezone == "America/Chicago"


def test_a_person_notified_later_is_an_event_from_their_notify_entry_not_also_a_drop():
    """Jon, reached five minutes after the page (an escalation), is an event of his own:
    his notify entry is that event, not dropped as well (check showed -1 outside the window)."""
    timeline = TIMELINE[:2] + [
        notify("N1", "2024-03-05T06:58:14Z", ANA, {"type": "auto", "notification": {"type": "sms"}}),
        notify("N2", "2024-03-05T06:58:14Z", ANA, {"type": "auto", "notification": {"type": "push"}}),
        notify("N3", "2024-03-05T07:03:20Z", JON, {"type": "sms"})]
    tally = Tally()
    with FakeServer(app(timeline, notes=[])) as server:
        events = read(server.url, tally=tally)
    assert [e.text for e in events if e.page.phase == "notified"] == ["PagerDuty incident #1402: notified Jon Doe (sms)"]
    assert tally.dropped_by_reason()["notify entry: its person is in the page's paged list"] == 2
    assert tally.read == len(events) + len(tally.dropped) and not tally.skipped


def started_by(user):
    """The page, and the requests made, of an incident ``user`` triggered on the website."""
    trigger = copy.deepcopy(TIMELINE[0])
    trigger.update(agent={"id": user["id"], "type": "user_reference", "summary": user["name"]},
                   channel={"type": "web_trigger"})
    with FakeServer(app([trigger] + TIMELINE[1:])) as server:
        return read(server.url)[0], server.requests


def test_a_page_a_person_triggered_is_manual():
    page, _ = started_by(ANA)
    assert page.page.manual and page.actor == "Ana Kowalski"
    assert page.text.endswith(", started by Ana Kowalski")


def test_a_user_pagerduty_no_longer_knows_leaves_their_zone_unknown():
    with FakeServer(app(users={})) as server:
        tally = Tally()
        page = read(server.url, tally=tally)[0]
    assert ", ".join(page.page.names()) == "Ana Kowalski" and notified(page, "Ana Kowalski").timezone is None
    assert ", ".join(notified(page, "Ana Kowalski").aka) == "PAB12CD"
    assert [s.reason for s in tally.skipped] == [
        "user PAB12CD: PagerDuty no longer knows them (404): their time zone and e-mail are unknown"]


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
BROKEN = [
    broken("401", load("error-401.json") and pd_error("Authentication failed", 2006, 401), SourceError,
           "HTTP 401 Unauthorized: Authentication failed (code 2006)", status=401),
    broken("400-with-details", Answer.json(load("error-400-statuses.json"), 400), SourceError,
           "HTTP 400 Bad Request: Invalid Input Provided (code 2001): Status must be a list of triggered, "
           "acknowledged, or resolved.", status=400),
    broken("429-past-the-deadline", Answer.json(load("error-429.json"), 429, **{"ratelimit-reset": "60"}),
           SourceError, "HTTP 429 Too Many Requests: Rate Limit Exceeded (code 2020)", status=429),
    *transport_failures(),
    broken("truncated-json", "truncated", SourceFormatError,
           re.compile(r"answer is not valid JSON \(.+; \d+ bytes\)"), status=200),
    html_instead_of_json(),
    broken("no-more", {"incidents": []}, SourceFormatError, 'expected {"incidents": [...], "more": …}'),
    broken("not-an-incident", {"incidents": [{"title": "x"}], "more": False}, SourceFormatError,
           "not an incident (no id): \"{'title': 'x'}\""),
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


# -- notes: their text is in GET /incidents/{id}/notes, not in the annotate log entry ------------

def annotate(entry_id, at, user):
    """An ``annotate_log_entry`` as the OpenAPI's ``AnnotateLogEntry`` has it: its summary, no text."""
    entry = copy.deepcopy(next(e for e in TIMELINE if e["type"] == "annotate_log_entry"))
    entry.update(id=entry_id, created_at=at, agent={**entry["agent"], "id": user["id"], "summary": user["name"]})
    return entry


def note(note_id, at, user, content):
    """A note of ``GET /incidents/{id}/notes`` (the OpenAPI's ``IncidentNote``) written by ``user``."""
    return {**copy.deepcopy(NOTES[0]), "id": note_id, "created_at": at, "content": content,
            "user": {**NOTES[0]["user"], "id": user["id"], "summary": user["name"]}}


def note_events(events):
    return [(format_utc(e.time), e.actor, e.text, e.page.note) for e in events if e.page.phase == "note"]


def test_a_notes_text_is_its_notes_content_not_the_log_entrys_summary():
    """Issue 21, defect 6: the report said ``note on PagerDuty incident #4711: Note added``."""
    annotated = next(e for e in TIMELINE if e["type"] == "annotate_log_entry")
    assert annotated["summary"] == "Note added" and "note" not in annotated  # the entry holds no text
    with FakeServer(app()) as server:
        events = read(server.url)
    [entry] = [e for e in events if e.page.phase == "note" and e.actor]
    assert entry.text == "note on PagerDuty incident #1402: Rolled back checkout to 2024.03.04-2; error rate dropping."
    assert entry.page.note == "Rolled back checkout to 2024.03.04-2; error rate dropping."
    assert format_utc(entry.time) == "2024-03-05T07:20:31Z"  # the note says 08:20:31+01:00: the same moment
    assert [r.path for r in server.requests].count("/incidents/Q1A2B3C4D5E6F7/notes") == 1


def test_each_annotate_entry_gets_the_note_of_its_author_nearest_in_time():
    """Ana wrote two notes 30 s apart and Jon one between them; the answer lists them
    newest first. A note no entry records is a note of its own; an entry whose note
    is not in the list keeps its summary and says so."""
    timeline = TIMELINE[:6] + [annotate("A1", "2024-03-05T07:20:31Z", ANA), annotate("A2", "2024-03-05T07:20:40Z", JON),
                               annotate("A3", "2024-03-05T07:21:00Z", ANA), annotate("A4", "2024-03-05T07:35:00Z", JON)]
    notes = [note("N4", "2024-03-05T07:30:00Z", ANA, "paging storage too"),
             note("N3", "2024-03-05T07:21:01Z", ANA, "second:\n  errors down"),
             note("N2", "2024-03-05T07:20:40Z", JON, "Jon's"),
             note("N1", "2024-03-05T07:20:30Z", ANA, "first")]
    tally = Tally()
    with FakeServer(app(timeline, notes=notes)) as server:
        events = read(server.url, tally=tally)
    assert note_events(events) == [
        ("2024-03-05T07:20:31Z", "Ana Kowalski", "note on PagerDuty incident #1402: first", "first"),
        ("2024-03-05T07:20:40Z", "Jon Doe", "note on PagerDuty incident #1402: Jon's", "Jon's"),
        ("2024-03-05T07:21:00Z", "Ana Kowalski", "note on PagerDuty incident #1402: second: errors down",
         "second:\n  errors down"),
        ("2024-03-05T07:30:00Z", "Ana Kowalski", "note on PagerDuty incident #1402: paging storage too",
         "paging storage too"),
        ("2024-03-05T07:35:00Z", "Jon Doe",
         "note on PagerDuty incident #1402: Note added (its text is not among the incident's notes)", None)]
    assert tally.dropped_by_reason()["note: the text of its annotate log entry's event"] == 3
    assert tally.read == len(events) + len(tally.dropped) and not tally.skipped


def test_a_note_more_than_a_minute_from_its_entry_is_not_its_text():
    timeline = TIMELINE[:6] + [annotate("A1", "2024-03-05T07:20:31Z", ANA)]
    with FakeServer(app(timeline, notes=[note("N1", "2024-03-05T07:21:32Z", ANA, "later")])) as server:
        events = read(server.url)
    assert [text for _, _, text, _ in note_events(events)] == [
        "note on PagerDuty incident #1402: Note added (its text is not among the incident's notes)",
        "note on PagerDuty incident #1402: later"]


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


def test_a_page_started_by_hand_has_the_starters_other_names():
    page, requests = started_by(JON)
    assert (page.actor, page.aka) == ("Jon Doe", ("PQR34ST", "jon.doe@example.org"))
    assert [r.path for r in requests if r.path.startswith("/users/")] == ["/users/PAB12CD", "/users/PQR34ST"]


NOTES_URL = "/incidents/Q1A2B3C4D5E6F7/notes"
BROKEN_NOTES = [
    broken("notes-not-a-list", {"notes": {"content": "x"}}, SourceFormatError, 'expected {"notes": [{...}, …]}'),
    broken("a-note-no-object", {"notes": ["x"]}, SourceFormatError, 'expected {"notes": [{...}, …]}'),
    broken("bad-created-at", {"notes": [{**NOTES[0], "created_at": "05/03/2024"}]}, SourceFormatError,
           "not an ISO 8601 time with an offset: '05/03/2024'"),
    html_instead_of_json(),
]


def read_failing(app_):
    with FakeServer(app_) as server:
        with pytest.raises(PostmortemError) as caught:
            read(server.url, clocked_session(timeout=2, retries=0, deadline=60))
    return caught.value, server.url


@pytest.mark.parametrize("case", BROKEN_NOTES)
def test_broken_answers_of_the_notes(case):
    """The notes' answer broken, the rest good: the pull fails naming the notes' URL."""
    good = app()
    err, url = read_failing(lambda request: case.app(good)(request) if request.path == NOTES_URL else good(request))
    assert type(err) is case.error and case.says(err.message), err.message
    assert str(err) == f"{url}{NOTES_URL}: {err.message}" and getattr(err, "status", None) == case.status


def test_notes_of_an_incident_the_token_lost_access_to_fail_the_pull_saying_so():
    """PagerDuty's 403 with code 2018 (docs/REST-API/14-Errors.md)."""
    err, url = read_failing(app(lost_access={"Q1A2B3C4D5E6F7"}))
    assert str(err) == (f"{url}{NOTES_URL}: HTTP 403 Forbidden: Access Denied: You may have lost access to this "
                        f"incident if it has been resolved (code 2018)")
    assert err.status == 403 and TOKEN not in str(err)
