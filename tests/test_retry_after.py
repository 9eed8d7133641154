"""Retry-After in any form a server sends (issue 22, item 3): RFC 9110 §10.2.3
allows ``delay-seconds`` or an HTTP-date; anything else (``soon, please``,
``-5``, a fraction, ``²``) was a ValueError. Now a number is waited, a date is
the time until it, a wait past the deadline is not waited, and garbage is the
default back-off — for the sources' session (429/5xx, and PagerDuty's
RateLimit-Reset) and for the wiki client (``maxlag``/``ratelimited``). The
waits are counted on a fake clock (tests/clock.py), never timed; the servers
are on 127.0.0.1."""

from __future__ import annotations

import pytest

from postmortem.net.http import retry_after_seconds
from postmortem.net.mediawiki import Wiki
from postmortem.core.errors import SourceError
from tests.clock import FakeClock, clocked_session
from tests.services import Answer, FakeServer

BACKOFF = 0.5  # the session's first back-off below
# (Retry-After as sent, the wait before the second attempt; None: not waited, the 429 is the answer)
FORMS = [
    ("5", 5.0), ("0", 0.0), ("120", 120.0), ("007", 7.0),
    ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),              # a date in the past: at once
    ("Sunday, 06-Nov-94 08:49:37 GMT", 0.0),             # RFC 850, obsolete yet allowed
    ("Sun Nov  6 08:49:37 1994", 0.0),                   # asctime, the same
    ("Fri, 31 Dec 9999 23:59:59 GMT", None),             # far beyond the deadline
    ("99999999999999999999", None), ("9" * 400, None),   # huge: the deadline decides
    ("soon, please", BACKOFF), ("-5", BACKOFF), ("3.5", BACKOFF), ("1e3", BACKOFF), ("²", BACKOFF),
    ("inf", BACKOFF), ("nan", BACKOFF), ("5 seconds", BACKOFF), ("Mon, 32 Jan 2024 00:00:00 GMT",
                                                                                BACKOFF),
    ("Sat, 01 Jan 99999 00:00:00 GMT", BACKOFF), ("Wed, 21 Oct 2015 07:28:00 +9999", BACKOFF), (",", BACKOFF),
]


@pytest.fixture(scope="module")
def limited():
    """One server for every case: the first request of each case (its path) is
    answered 429 with the header and value the query names, the next 200."""
    seen = {}

    def app(request):
        seen[request.path] = seen.get(request.path, 0) + 1
        if seen[request.path] == 1:
            return Answer.json({"error": "rate limited"}, 429, **{request.query["header"][0]: request.query["value"][0]})
        return Answer.json({"ok": True})
    with FakeServer(app) as server:
        server.seen = seen
        yield server


def ask(server, header: str, value: str):
    """The session's answer and its waits for one case."""
    session = clocked_session(retries=2, deadline=600.0, backoff=BACKOFF)
    path = f"/case{len(server.seen)}"
    response = session.get(server.url + path, params={"header": header, "value": value})
    return response, session.fake_clock.sleeps, server.seen[path]


@pytest.mark.parametrize("value, wait", FORMS, ids=[repr(v)[:40] for v, _ in FORMS])
def test_every_form_of_retry_after_is_a_wait_or_the_back_off(limited, value, wait):
    response, sleeps, requests = ask(limited, "Retry-After", value)
    if wait is None:
        assert response.status_code == 429 and sleeps == [] and requests == 1
    else:
        assert response.status_code == 200 and sleeps == [wait] and requests == 2


@pytest.mark.parametrize("value, wait", [("3", 3.0), ("²", BACKOFF), ("-1", BACKOFF), ("soon", BACKOFF)])
def test_pagerdutys_ratelimit_reset_the_same(limited, value, wait):
    response, sleeps, _ = ask(limited, "RateLimit-Reset", value)
    assert response.status_code == 200 and sleeps == [wait]


def test_a_retry_after_past_the_deadline_ends_in_the_sources_error_not_a_wait():
    from postmortem.net.web import request
    with FakeServer(lambda r: Answer.json({"ok": False}, 429, **{"Retry-After": "Fri, 31 Dec 9999 23:59:59 GMT"})) \
            as server:
        session = clocked_session(retries=2, deadline=60.0, backoff=BACKOFF)
        with pytest.raises(SourceError) as caught:
            request(session, "GET", server.url + "/api", source="source[0] (slack)")
    assert caught.value.status == 429 and session.fake_clock.sleeps == []


def test_a_date_is_the_time_until_it_on_the_wall_clock():
    now = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC
    assert retry_after_seconds("Tue, 14 Nov 2023 22:13:50 GMT", now=lambda: now) == 30.0
    assert retry_after_seconds("Tue, 14 Nov 2023 22:13:50 -0000", now=lambda: now) == 30.0  # no zone: UTC
    assert retry_after_seconds("Tue, 14 Nov 2023 22:13:50", now=lambda: now) == 30.0
    assert retry_after_seconds(None) is None and retry_after_seconds("   ") is None


# -- the wiki client: maxlag and ratelimited say Retry-After too -------------------------

@pytest.fixture(scope="module")
def lagged():
    """A wiki whose first answer to each title is ``maxlag`` with the Retry-After
    the title names (https://www.mediawiki.org/wiki/Manual:Maxlag_parameter:
    HTTP 200 and Retry-After), the next "missing"."""
    seen = {}

    def app(request):
        title = request.query["titles"][0]
        seen[title] = seen.get(title, 0) + 1
        if seen[title] == 1:
            return Answer.json({"error": {"code": "maxlag", "info": "Waiting for 10.64.0.1: 7 seconds lagged",
                                          "host": "10.64.0.1", "lag": 7}}, **{"Retry-After": title.split("|")[1]})
        return Answer.json({"batchcomplete": True, "query": {"pages": [{"ns": 0, "title": title, "missing": True}]}})
    with FakeServer(app) as server:
        server.seen = seen
        yield server


@pytest.mark.parametrize("value, wait", [("5", 5.0), ("120", 30.0), ("99999999999999999999", 30.0),
                                         ("²", 2.0), ("soon, please", 2.0), ("-5", 2.0), ("3.5", 2.0),
                                         ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0)])
def test_the_wiki_waits_at_most_30_s_and_garbage_is_its_back_off(lagged, value, wait):
    clock = FakeClock()
    wiki = Wiki(lagged.url + "/w/api.php", sleep=clock.sleep, clock=clock)
    title = f"case{len(lagged.seen)}|{value}"
    assert wiki.page(title) is None
    assert clock.sleeps == [wait] and lagged.seen[title] == 2
