"""Servers that always say "there is more" (issue 22, item 2): every paginated
read — the wiki client's ``continue`` (`stats --wiki`, `missing`, `followups
--wiki`, `update`'s search for its base) and every paginated source — stops on
a repeated token, on an answer that brings nothing new, and at its stated
maximum of requests, with a one-line error naming the URL. Each server here is
on 127.0.0.1 and speaks the service's real format; the requests are counted."""

from __future__ import annotations

import itertools

import pytest

from postmortem.cli import main
from postmortem.net.conduit import Conduit
from postmortem.net.http import BoundedSession
from postmortem.net.mediawiki import Wiki
from postmortem.net.pagination import MAX_REQUESTS, Pagination
from postmortem.collect.sources import get_source
from postmortem.core.accounting import Tally
from postmortem.core.errors import SourceFormatError, WikiError
from postmortem.core.model import SourceConfig, Window, utc
from tests.services import Answer, FakeServer, SalEntry, first, sal_html

ENDLESS = "says there is more but brought nothing new: stopped, asking again would not end"
PAGE_TEXT = "'''Report'''\n== Timeline ==\n* 10:00 something\n"


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


# -- the wiki: list=allpages and prop=revisions with an endless `continue` ----------------------

def endless_wiki(kind: str):
    """An Action API (formatversion=2, https://www.mediawiki.org/wiki/API:Continue)
    whose ``list=allpages`` and history (``prop=revisions`` without content)
    always answer with a ``continue``: "same" the same titles or revisions and
    the same token each time, "fresh" a new token with the same items, "new" a
    new token and one new item each time. Logging in and reading a page work."""
    count = itertools.count()

    def token(n):
        return {"apcontinue": "Incidents/x", "continue": "-||"} if kind == "same" else \
               {"apcontinue": f"Incidents/{n:06d}", "continue": "-||"}

    def app(request):
        query = {**request.query, **request.form}
        n = next(count)
        item = n if kind == "new" else 0
        if first(query, "meta") == "tokens":
            kind_ = first(query, "type")
            return Answer.json({"batchcomplete": True, "query": {"tokens": {f"{kind_}token": "abc+\\"}}})
        if first(query, "action") == "login":
            return Answer.json({"login": {"result": "Success", "lguserid": 1, "lgusername": "Bot"}})
        if first(query, "list") == "allpages":
            return Answer.json({"continue": token(n), "query": {"allpages": [
                {"pageid": item + 1, "ns": 0, "title": f"Incidents/2024-03-{1 + item % 28:02d} x{item}"}]}})
        rvprop = first(query, "rvprop", "")
        if "content" not in rvprop:  # the history, followed by update's search for its base
            return Answer.json({"continue": {"rvcontinue": token(n)["apcontinue"], "continue": "||"},
                                "query": {"pages": [{"pageid": 1, "ns": 0, "title": first(query, "titles"),
                                                     "revisions": [{"revid": 100 + item, "parentid": 99,
                                                                    "user": "Someone", "timestamp":
                                                                    "2024-03-05T10:00:00Z", "comment": "edit"}]}]}})
        titles = (first(query, "titles") or "").split("|")
        return Answer.json({"curtimestamp": "2024-03-06T00:00:00Z", "query": {"pages": [
            {"pageid": 1, "ns": 0, "title": title, "revisions": [
                {"revid": 7, "parentid": 6, "user": "Bot", "timestamp": "2024-03-05T10:00:00Z", "comment": "x",
                 "slots": {"main": {"contentmodel": "wikitext", "content": PAGE_TEXT}}}]} for title in titles]}})
    return app


def test_stats_on_a_wiki_that_always_continues_stops_after_two_requests(capsys):
    """It asked 1,285 times a minute, for ever."""
    with FakeServer(endless_wiki("same")) as server:
        code, out, err = run_cli(capsys, "stats", "--wiki", server.url + "/w/api.php")
    assert code == 1 and out == ""
    assert err == f"postmortem: error: {server.url}/w/api.php: the answer to continue=" \
                  f'{{"apcontinue": "Incidents/x", "continue": "-||"}} {ENDLESS}\n'
    assert len(server.requests) == 2


@pytest.mark.parametrize("kind, requests", [("same", 2), ("fresh", 2)])
def test_missing_stops_on_the_wiki_that_always_continues(capsys, tmp_path, kind, requests):
    def status(request):
        return Answer.json({"page": {"id": "p", "name": "Status", "url": "https://status.test"}, "incidents": []})
    with FakeServer(status) as statuspage, FakeServer(endless_wiki(kind)) as wiki:
        sources = tmp_path / "sources.toml"
        sources.write_text(f'[[source]]\ntype = "statuspage"\nurl = "{statuspage.url}"\n')
        code, _, err = run_cli(capsys, "missing", "--wiki", wiki.url + "/w/api.php", "--since", "2024-03-01",
                               "--until", "2024-03-02", "--sources", sources)
    assert code == 1 and len(err.splitlines()) == 1 and err.startswith(f"postmortem: error: {wiki.url}/w/api.php: ")
    assert "stopped, asking again would not end" in err
    assert len(wiki.requests) == requests


def test_followups_across_the_wiki_stops_on_an_answer_that_brings_nothing_new(capsys, monkeypatch):
    monkeypatch.setenv("PM_PHAB_TOKEN", "api-aaaaaaaaaaaaaaaaaaaaaaaaaaaa")
    with FakeServer(endless_wiki("fresh")) as wiki, FakeServer(lambda r: Answer.json({})) as phabricator:
        code, _, err = run_cli(capsys, "open-followups", "--wiki", wiki.url + "/w/api.php", "--phabricator",
                               phabricator.url, "--token-env", "PM_PHAB_TOKEN")
    assert code == 1
    assert err == f"postmortem: error: {wiki.url}/w/api.php: the answer to continue=" \
                  f'{{"apcontinue": "Incidents/000000", "continue": "-||"}} {ENDLESS}\n'
    assert len(wiki.requests) == 2 and phabricator.requests == []


def test_updates_search_for_its_base_stops_on_a_history_that_never_ends():
    """find_base walks the page's history (prop=revisions, continued) for the tool's
    last save; a history that always continues with the same revision ends there."""
    from postmortem.publishing.markers import find_base
    with FakeServer(endless_wiki("fresh")) as server:
        wiki = Wiki(server.url + "/w/api.php", session=BoundedSession(timeout=5, deadline=None))
        with pytest.raises(WikiError) as caught:
            find_base(wiki, "Incidents/2024-03-05 x")
    assert str(caught.value) == f"{server.url}/w/api.php: the answer to continue=" \
                                f'{{"continue": "||", "rvcontinue": "Incidents/000000"}} {ENDLESS}'
    assert caught.value.code == "badjson" and len(server.requests) == 2


def test_a_wiki_that_brings_a_new_title_with_every_answer_stops_at_the_stated_maximum():
    with FakeServer(endless_wiki("new")) as server:
        wiki = Wiki(server.url + "/w/api.php", session=BoundedSession(timeout=5, deadline=None))
        with pytest.raises(WikiError) as caught:
            list(wiki.all_pages("Incidents/", limit=10 * MAX_REQUESTS))
    assert caught.value.message == (f"still more pages after {MAX_REQUESTS} requests, the most one call makes: "
                                    f"stopped; narrow the window or the query")
    assert len(server.requests) == MAX_REQUESTS == 1000


def test_a_wiki_that_ends_is_followed_to_its_end():
    """The bound does not cut a listing short: three answers, the last without continue."""
    def app(request):
        page = int(first(request.query, "apcontinue", "0"))
        answer = {"query": {"allpages": [{"ns": 0, "title": f"Incidents/{page}-{n}"} for n in range(2)]}}
        return Answer.json({**answer, "continue": {"apcontinue": str(page + 1), "continue": "-||"}}
                           if page < 2 else answer)
    with FakeServer(app) as server:
        titles = list(Wiki(server.url + "/w/api.php").all_pages("Incidents/"))
    assert titles == [f"Incidents/{page}-{n}" for page in range(3) for n in range(2)]
    assert len(server.requests) == 3


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
