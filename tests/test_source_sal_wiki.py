"""sal-wikitext's wiki variant (wiki + page) against a local MediaWiki Action API."""

from __future__ import annotations

import re

import pytest

from postmortem.core.errors import SourceFormatError
from postmortem.net.http import BoundedSession
from postmortem.core.model import SourceConfig, Window, utc
from postmortem.collect.sources import needs_pull
from postmortem.collect.sources.sal_wikitext import SOURCE
from tests.cases import answers_app, broken_cases, case_by_id, cases, check_answered, utc_window
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


FOLDER = "sal-wiki"


def config(url, page="Server Admin Log"):
    return SourceConfig("sal-wikitext", {"type": "sal-wikitext", "wiki": url + "/api.php", "page": page}, index=5)


def read(server, window):
    return SOURCE.read(config(server.url), window, session=BoundedSession(timeout=2, deadline=5))


def test_the_wiki_variant_is_pulled_and_the_file_variant_is_not():
    assert needs_pull(config("https://wikitech.wikimedia.org/w"))
    assert not needs_pull(SourceConfig("sal-wikitext", {"type": "sal-wikitext", "path": "x"}, index=0))


@pytest.mark.parametrize("case", cases(FOLDER))
def test_format_cases(case):
    check_answered(case, FOLDER, lambda url, window, tally: SOURCE.read(
        config(url), window, session=BoundedSession(timeout=2, deadline=5), tally=tally))


def asked(case_id: str) -> list:
    """What the source asks of api.php, answered as the case ``case_id`` says."""
    case = case_by_id(FOLDER, case_id)
    with FakeServer(answers_app(case, FOLDER)) as server:
        read(server, Window(*utc_window(case["window"])))
    return [request.query for request in server.requests]


def test_the_page_is_asked_for_its_main_slots_text():
    [query] = asked("a-window-on-the-current-page")
    assert query["rvslots"] == ["main"] and query["prop"] == ["revisions"]


def test_the_archives_are_listed_then_read_newest_first():
    titles = [first(query, "titles") or first(query, "list")
              for query in asked("an-older-window-reads-the-archives-newest-first-until-covered")]
    assert titles == ["Server Admin Log", "allpages", "allpages", "Server admin log/Archive 2"]
    titles = [first(query, "titles") for query in asked("a-window-older-than-an-archive-goes-on-to-the-next")]
    assert titles[-1] == "Server admin log/Archive 1"


# Each broken answer of api.php and the one error it ends in: the API's own shapes in
# tests/fixtures/sal-wiki/cases.toml [[broken]], here those every source meets.
BROKEN = [
    *transport_failures(),
    broken("truncated-json", "truncated", SourceFormatError,
           re.compile(r"answer is not valid JSON \(.+: line 1 column 136 \(char 135\); 138 bytes\)"),
           status=200),
    html_instead_of_json(),
    *broken_cases(FOLDER),
]


@pytest.mark.parametrize("case", BROKEN)
def test_broken_answers(case):
    window = Window(utc(2023, 10, 1, 8), utc(2023, 10, 1, 12))
    read = lambda url, s: SOURCE.read(config(url), window, session=s)  # noqa: E731
    assert_broken_answer(case, read, mediawiki_app(PAGES), path="/api.php", source="source[5] (sal-wikitext)")
