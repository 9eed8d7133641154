"""Servers that always say "there is more" (issue 22, item 2): every paginated
source stops on a repeated token, on an answer that brings nothing new, and at
its stated maximum of requests, with a one-line error naming the URL. Each server here is
on 127.0.0.1 and speaks the service's real format; the requests are counted."""

from __future__ import annotations

import itertools

import pytest

from postmortem.collect.conduit import Conduit
from postmortem.collect.http import BoundedSession
from postmortem.collect.pagination import Pagination
from postmortem.collect.sources import get_source
from postmortem.core.accounting import Tally
from postmortem.core.errors import SourceFormatError
from postmortem.core.model import SourceConfig, Window, utc
from tests.services import Answer, FakeServer, SalEntry, sal_html

ENDLESS = "says there is more but brought nothing new: stopped, asking again would not end"


# -- the paginated sources ---------------------------------------------------------------

WINDOW = Window(utc(2024, 3, 5), utc(2024, 3, 6))


def read_source(type_name: str, url: str, **options):
    config = SourceConfig(type_name, {"type": type_name, "url": url, **options}, index=1)
    session = BoundedSession(timeout=5, retries=0, deadline=60)
    return get_source(type_name).read(config, WINDOW, session=session, tally=Tally())


def slack_page(messages, cursor):
    return Answer.json({"ok": True, "messages": messages, "has_more": bool(cursor),
                        "response_metadata": {"next_cursor": cursor}})


def test_slack_cursors_that_never_end_with_empty_pages_stop_after_three(monkeypatch):
    """Slack may answer fewer messages than asked, even none (api.slack.com/apis/pagination):
    three empty pages in a row are followed, the fourth is the end."""
    monkeypatch.setenv("PM_SLACK_TOKEN", "xoxb-never-print")
    count = itertools.count()
    with FakeServer(lambda request: slack_page([], f"cursor{next(count)}")) as server:
        with pytest.raises(SourceFormatError) as caught:
            read_source("slack", server.url, channel="C0123", token_env="PM_SLACK_TOKEN")
    assert caught.value.message == f'the answer to cursor="cursor2" {ENDLESS}'
    assert caught.value.url == server.url + "/conversations.history" and len(server.requests) == 4


def test_slack_repeating_its_page_under_new_cursors_is_stopped(monkeypatch):
    monkeypatch.setenv("PM_SLACK_TOKEN", "xoxb-never-print")
    message = {"type": "message", "ts": f"{utc(2024, 3, 5, 10).timestamp():.0f}.000100", "user": "U1", "text": "x"}
    count = itertools.count()
    with FakeServer(lambda request: slack_page([message], f"c{next(count)}")) as server:
        with pytest.raises(SourceFormatError) as caught:
            read_source("slack", server.url, channel="C0123", token_env="PM_SLACK_TOKEN")
    assert ENDLESS in caught.value.message and len(server.requests) == 5  # one with the message, four without


def test_pagerduty_saying_more_with_an_empty_page_is_an_error_not_the_end(monkeypatch):
    """It ended there quietly: a listing cut short without a word."""
    monkeypatch.setenv("PM_PD_TOKEN", "pd-never-print")
    with FakeServer(lambda request: Answer.json({"incidents": [], "limit": 100, "offset": 0, "more": True})) as server:
        with pytest.raises(SourceFormatError) as caught:
            read_source("pagerduty", server.url, token_env="PM_PD_TOKEN")
    assert caught.value.message == f"the first answer {ENDLESS}"
    assert caught.value.url == server.url + "/incidents" and len(server.requests) == 1


def test_splunk_oncall_with_a_total_never_reached_is_stopped(monkeypatch):
    monkeypatch.setenv("PM_VO_ID", "vo-id")
    monkeypatch.setenv("PM_VO_KEY", "vo-key")
    incident = {"incidentNumber": "1", "startTime": "2024-03-05T06:58:12Z", "currentPhase": "RESOLVED",
                "pagedUsers": [], "pagedTeams": [], "pagedPolicies": [], "transitions": []}
    with FakeServer(lambda request: Answer.json({"offset": 0, "limit": 100, "total": 5000,
                                                 "incidents": [incident]})) as server:
        with pytest.raises(SourceFormatError) as caught:
            read_source("splunk-oncall", server.url, org="wm", api_id_env="PM_VO_ID", api_key_env="PM_VO_KEY")
    assert caught.value.message == f"the answer to offset=1 {ENDLESS}"
    assert len(server.requests) == 2


def test_the_sal_tool_repeating_a_page_is_asked_twice_not_ten_thousand_times():
    entries = [SalEntry(f"id{n}", utc(2024, 3, 5, 14, n), "tchin", f"restart {n}") for n in range(3)]
    page = sal_html("production", entries, 0, 200, 100_000)  # "1-3 of 100000 results": more, always the same
    with FakeServer(lambda request: Answer.html(page)) as server:
        with pytest.raises(SourceFormatError) as caught:
            read_source("sal", server.url)
    assert caught.value.message == f"the answer to p=1 {ENDLESS}"
    assert caught.value.url == server.url + "/production" and len(server.requests) == 2


def test_conduit_pointing_back_at_a_page_it_gave_is_stopped():
    """A result ``after`` the cursor asked for already: the same pages again."""
    count = itertools.count()

    def app(request):
        n = next(count)
        return Answer.json({"result": {"data": [{"id": n, "phid": f"PHID-USER-{n}", "fields": {"username": f"u{n}"}}],
                                       "cursor": {"limit": 100, "after": str(n % 2), "before": None}},
                            "error_code": None, "error_info": None})
    with FakeServer(app) as server:
        conduit = Conduit(server.url, "api-token", BoundedSession(timeout=5, deadline=60))
        with pytest.raises(SourceFormatError) as caught:
            conduit.search("user.search", {"usernames": ["a"]}, max_pages=50)
    assert caught.value.message == ('user.search: the answer to after="1" points back at after="0", asked for '
                                    'already: stopped, asking again would not end')
    assert len(server.requests) == 3


# -- the rule itself ----------------------------------------------------------------------

def test_the_rule_counts_requests_tokens_and_new_items():
    pages = Pagination(ValueError, what="cursor", most=3)
    pages.ask()
    assert pages.more("a", ["x", "y"])
    pages.ask()
    assert pages.more("b", ["y", "z"])        # one new item is progress
    pages.ask()
    assert not pages.more(None, [])           # the end, even with nothing on the last page
    with pytest.raises(ValueError, match="still more pages after 3 requests"):
        pages.ask()
    again = Pagination(ValueError, what="cursor")
    assert again.more("a", [1]) and again.more("b", [2])
    with pytest.raises(ValueError, match='the answer to cursor="b" points back at cursor="a", asked for already'):
        again.more("a", [3])


def test_keys_of_any_shape_are_compared_not_hashed():
    """Items whose key is a list or an object (a hostile answer) are told apart, not a TypeError."""
    pages = Pagination(ValueError)
    assert pages.more({"c": 1}, [["a"], {"b": 1}])
    with pytest.raises(ValueError, match="brought nothing new"):
        pages.more({"c": 2}, [["a"]])
