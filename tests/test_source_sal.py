"""The `sal` source against a local server answering exactly like sal.toolforge.org."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from postmortem.core.accounting import Tally
from postmortem.core.errors import IncidentFileError, SourceFormatError
from postmortem.net.http import BoundedSession
from postmortem.core.model import SourceConfig, Window, utc
from postmortem.collect.sources.sal import SOURCE, parse_sal_page
from tests.cases import broken_cases, cases, check_answered
from tests.services import (
    FakeServer, SalEntry, assert_broken_answer, broken, sal_app, sal_entries, sal_html,
    transport_failures)

EVERY = dt.timedelta(minutes=7)
START = utc(2023, 9, 20)
ENTRIES = sal_entries(START, 3000, EVERY)  # 2023-09-20 .. 2023-10-04


def config(url, **options):
    return SourceConfig("sal", {"type": "sal", "url": url, **options}, index=0)


def session():
    return BoundedSession(timeout=2, retries=1, deadline=5, backoff=0.01)


def read(server, window, **options):
    s = session()
    events = SOURCE.read(config(server.url, **options), window, session=s)
    return events, s.requests_made


def expected_pages(window):
    """Pages the tool needs: entries from the window start to the end of its last day, /200."""
    end_of_day = dt.datetime.combine(window.end.date() + dt.timedelta(days=1), dt.time(), dt.timezone.utc)
    newer = [e for e in ENTRIES if window.start <= e.time < end_of_day]
    return math.ceil((len(newer) + 1) / 200)


def test_reads_the_window_across_pages_with_the_fewest_requests():
    window = Window(utc(2023, 9, 27, 10, 3), utc(2023, 9, 29, 23, 0))
    with FakeServer(sal_app(ENTRIES)) as server:
        events, requests = read(server, window)
    wanted = [e for e in ENTRIES if e.time in window]
    assert [e.fields["sal_id"] for e in events] == [e.id for e in wanted]
    assert requests == expected_pages(window) == 3
    first = events[0]
    assert first.source == "sal" and first.precision == "minute"
    assert first.time == wanted[0].time.replace(second=0)
    assert first.actor == wanted[0].nick and first.text == wanted[0].message
    assert first.url == f"{server.url}/log/{wanted[0].id}"
    queries = [r.query for r in server.requests]
    assert all(q["d"] == ["2023-09-29"] and q["i"] == ["200"] for q in queries)
    assert [q["p"] for q in queries] == [["0"], ["1"], ["2"]]
    assert "q" not in queries[0]


def test_a_short_window_costs_one_request():
    window = Window(utc(2023, 9, 28, 22, 0), utc(2023, 9, 28, 23, 30))
    with FakeServer(sal_app(ENTRIES)) as server:
        events, requests = read(server, window)
    assert requests == 1 and len(events) == len([e for e in ENTRIES if e.time in window])


def test_stops_when_the_log_runs_out():
    window = Window(utc(2023, 9, 1), utc(2023, 9, 20, 3, 0))  # 206 entries on 09-20
    with FakeServer(sal_app(ENTRIES)) as server:
        events, requests = read(server, window)
    assert requests == 2 and len(events) == len([e for e in ENTRIES if e.time in window])


def test_an_entry_shifted_onto_the_next_page_is_read_once_and_dropped_once():
    """Entries logged while the pages are walked (the window's last day is today: an
    incident still going on) shift them: the last row of a page is the first of the next. It is one event, and its second row a drop, so that `check`'s
    read = in window + outside + dropped holds (it counted a record outside the window)."""
    entries, served = list(ENTRIES), []

    def logging_meanwhile(request):
        answer = sal_app(entries)(request)
        served.extend(row.log_id for row in parse_sal_page(answer.body).rows)
        entries.append(SalEntry(f"NEW{len(entries)}", utc(2023, 9, 29, 23, 59), "tchin", "logged meanwhile"))
        return answer
    window = Window(utc(2023, 9, 27, 10, 3), utc(2023, 9, 29, 23))
    tally = Tally()
    with FakeServer(logging_meanwhile) as server:
        events = SOURCE.read(config(server.url), window, session=session(), tally=tally)
    assert [e.fields["sal_id"] for e in events] == [e.id for e in ENTRIES if e.time in window]
    assert tally.read == len(served) == 200 * len(server.requests)
    repeated = len(served) - len(set(served))
    assert repeated == len(server.requests) - 1 > 0
    assert [d.reason.split(" (")[0] for d in tally.dropped] == ["the same SAL entry again on the next page"] * repeated
    outside = {e.id for e in ENTRIES if e.time not in window} & set(served)
    assert tally.read - len(events) - len(tally.dropped) == len(outside)


def test_project_and_query_are_sent():
    entries = ENTRIES[:50] + [SalEntry("X1", START + dt.timedelta(minutes=3), "tchin", "deploy foo", "analytics")]
    window = Window(START, START + dt.timedelta(hours=2))
    with FakeServer(sal_app(entries)) as server:
        events, _ = read(server, window, project="analytics", query="deploy")
    assert [e.fields["sal_id"] for e in events] == ["X1"]
    assert server.requests[0].path == "/analytics" and server.requests[0].query["q"] == ["deploy"]


@pytest.mark.parametrize("case", cases("sal-tool"))
def test_format_cases(case):
    check_answered(case, "sal-tool", lambda url, window, tally: SOURCE.read(
        config(url), window, session=session(), tally=tally))


def test_parse_page_reads_the_template_markup():
    html = sal_html("production", ENTRIES[:3][::-1], p=0, i=200, total=3)
    page = parse_sal_page(html)
    assert page.hits == "3 results (4ms)"
    assert [(r.day, r.clock, r.log_id, r.nick) for r in page.rows] == [
        ("2023-09-20", "00:14", "AW000002", "user2"), ("2023-09-20", "00:07", "AW000001", "user1"),
        ("2023-09-20", "00:00", "AW000000", "user0")]


# Each broken answer and the one error it ends in: the tool's own shapes in
# tests/fixtures/sal-tool/cases.toml [[broken]], here those every source meets.
BROKEN = [
    *transport_failures(),
    broken("html-error-page", "html", SourceFormatError,
           'not a SAL page (no <div class="hits"> "N results" and <table class="sal">)'),
    *broken_cases("sal-tool"),
]


@pytest.mark.parametrize("case", BROKEN)
def test_broken_answers(case):
    window = Window(utc(2023, 9, 28, 14), utc(2023, 9, 28, 15))
    assert_broken_answer(case, lambda url, s: SOURCE.read(config(url), window, session=s),
                         path="/production", source="source[0] (sal)")


def test_check_refuses_unknown_options_and_bad_urls():
    with pytest.raises(IncidentFileError, match="unknown option"):
        SOURCE.check(config("https://sal.toolforge.org", chanel="x"))
    with pytest.raises(IncidentFileError, match="http"):
        SOURCE.check(config("sal.toolforge.org"))
    SOURCE.check(SourceConfig("sal", {"type": "sal"}, index=0))
