"""sal-wikitext's wiki variant (wiki + page) against a local MediaWiki Action API."""

from __future__ import annotations

import re

import pytest

from postmortem.core.accounting import Tally
from postmortem.core.errors import SourceError, SourceFormatError
from postmortem.net.http import BoundedSession
from postmortem.core.model import SourceConfig, Window, utc
from postmortem.collect.sources import needs_pull
from postmortem.collect.sources.sal_wikitext import SOURCE
from tests.services import (
    Answer, FakeServer, assert_broken_answer, broken, first, html_instead_of_json, transport_failures)

PAGES = {
    "Server Admin Log": "== 2023-10-02 ==\n* 10:00 joal: restart enrich\n== 2023-10-01 ==\n* 09:00 tchin: deploy\n",
    "Server admin log/Archive 2": "== 2023-09-30 ==\n* 12:00 joal: check {{!}} lag\n"
                                  "== 2023-09-28 ==\n* 15:08 tchin: restart the job\n* 14:33 brennen: scap\n",
    "Server admin log/Archive 1": "== 2023-09-27 ==\n* 23:59 logmsgbot: helmfile done\n",
}


def mediawiki_app(pages):
    """action=query with prop=revisions&rvslots=main, or list=allpages (formatversion=2)."""
    def app(request):
        query = request.query
        if first(query, "list") == "allpages":
            prefix = first(query, "apprefix")
            return Answer.json({"query": {"allpages": [{"ns": 0, "title": t} for t in sorted(pages)
                                                       if t.startswith(prefix)]}})
        title = first(query, "titles")
        if title not in pages:
            return Answer.json({"query": {"pages": [{"ns": 0, "title": title, "missing": True}]}})
        return Answer.json({"query": {"pages": [{"pageid": 1, "ns": 0, "title": title, "revisions": [
            {"slots": {"main": {"contentmodel": "wikitext", "contentformat": "text/x-wiki",
                                "content": pages[title]}}}]}]}})
    return app


def config(url, page="Server Admin Log"):
    return SourceConfig("sal-wikitext", {"type": "sal-wikitext", "wiki": url + "/api.php", "page": page}, index=5)


def read(server, window):
    return SOURCE.read(config(server.url), window, session=BoundedSession(timeout=2, deadline=5))


def test_the_wiki_variant_is_pulled_and_the_file_variant_is_not():
    assert needs_pull(config("https://wikitech.wikimedia.org/w"))
    assert not needs_pull(SourceConfig("sal-wikitext", {"type": "sal-wikitext", "path": "x"}, index=0))


def test_a_window_on_the_current_page_costs_one_request():
    with FakeServer(mediawiki_app(PAGES)) as server:
        events = read(server, Window(utc(2023, 10, 1, 8), utc(2023, 10, 1, 12)))
    assert [(e.actor, e.text) for e in events] == [("tchin", "deploy")]
    assert len(server.requests) == 1
    assert server.requests[0].query["rvslots"] == ["main"] and server.requests[0].query["prop"] == ["revisions"]


def test_older_windows_read_the_archives_newest_first_until_covered():
    with FakeServer(mediawiki_app(PAGES)) as server:
        events = read(server, Window(utc(2023, 9, 28, 14), utc(2023, 9, 30, 13)))
    assert [(e.time.day, e.actor, e.text) for e in events] == [
        (28, "brennen", "scap"), (28, "tchin", "restart the job"), (30, "joal", "check | lag")]
    assert events[0].source == "sal-wikitext" and events[0].precision == "minute"
    titles = [first(r.query, "titles") or first(r.query, "list") for r in server.requests]
    assert titles == ["Server Admin Log", "allpages", "allpages", "Server admin log/Archive 2"]


def test_every_entry_of_the_pages_fetched_counts_as_read_and_no_other():
    """Defect 17 (issue 21): the entries below the window on a fetched page were not
    counted as read. The archive not fetched (Archive 1) is not read: not counted."""
    tally = Tally()
    with FakeServer(mediawiki_app(PAGES)) as server:
        events = SOURCE.read(config(server.url), Window(utc(2023, 9, 30), utc(2023, 9, 30, 13)),
                             session=BoundedSession(timeout=2, deadline=5), tally=tally)
    assert [e.text for e in events] == ["check | lag"]
    assert tally.read == 2 + 3  # the current page's two, Archive 2's three (those of 09-28 below the window)
    assert "Server admin log/Archive 1" not in [first(r.query, "titles") for r in server.requests]


def test_a_window_older_than_an_archive_goes_on_to_the_next():
    with FakeServer(mediawiki_app(PAGES)) as server:
        events = read(server, Window(utc(2023, 9, 27, 23), utc(2023, 9, 28, 15)))
    assert [(e.actor, e.text) for e in events] == [("logmsgbot", "helmfile done"), ("brennen", "scap")]
    assert first(server.requests[-1].query, "titles") == "Server admin log/Archive 1"


def test_a_missing_page_is_a_clear_error():
    with FakeServer(mediawiki_app({})) as server:
        with pytest.raises(SourceFormatError, match="no page 'Server Admin Log'") as caught:
            read(server, Window(utc(2023, 10, 1), utc(2023, 10, 2)))
    assert caught.value.url == server.url + "/api.php"


def page_answer(title, **page):
    return {"query": {"pages": [{"ns": 0, "title": title, **page}]}}


# What the wiki variant raises for each broken answer of api.php (tests/services.py Broken):
# the error class, its exact message, err.status, the requests made and the waits.
BROKEN = [
    *transport_failures(),
    broken("truncated-json", "truncated", SourceFormatError,
           re.compile(r"answer is not valid JSON \(.+: line 1 column 136 \(char 135\); 138 bytes\)"),
           status=200),
    html_instead_of_json(),
    broken("not-an-object", [1], SourceFormatError, "not an Action API answer"),
    broken("no-query-pages", {"query": {}}, SourceFormatError, "Action API answer without query.pages"),
    broken("page-without-content", page_answer("Server Admin Log", pageid=1, revisions=[]), SourceFormatError,
           "page 'Server Admin Log' without revision content"),
    broken("page-without-day-headings", page_answer("Server Admin Log", pageid=1, revisions=[
        {"slots": {"main": {"content": "* 10:00 joal: restart enrich\n"}}}]), SourceFormatError,
           "Server Admin Log: no Server Admin Log day heading (like '== 2023-09-28 ==') found"),
    broken("api-error", {"error": {"code": "readapidenied", "info": "You need read permission to use this module."}},
           SourceError, "the wiki refused the request: You need read permission to use this module. (readapidenied)"),
]


@pytest.mark.parametrize("case", BROKEN)
def test_broken_answers(case):
    window = Window(utc(2023, 10, 1, 8), utc(2023, 10, 1, 12))
    read = lambda url, s: SOURCE.read(config(url), window, session=s)  # noqa: E731
    assert_broken_answer(case, read, mediawiki_app(PAGES), path="/api.php", source="source[5] (sal-wikitext)")


def test_a_page_written_oldest_first_is_read_too():
    pages = {"Server Admin Log": "== 2023-09-30 ==\n* 12:00 joal: check lag\n"
                                 "== 2023-10-01 ==\n* 09:00 tchin: deploy\n"
                                 "== 2023-10-02 ==\n* 10:00 joal: restart enrich\n"}
    with FakeServer(mediawiki_app(pages)) as server:
        events = read(server, Window(utc(2023, 10, 1, 8), utc(2023, 10, 1, 12)))
    assert [(e.actor, e.text) for e in events] == [("tchin", "deploy")]
    assert len(server.requests) == 1  # the page reaches back to the window: no archive is listed
