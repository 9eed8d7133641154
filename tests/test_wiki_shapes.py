"""Every wiki answer checked for its shape before use (issue 22, item 3): a
wiki (or something posing as one) answering ``{"error": "boom"}``, a list where
the Action API has an object, or nothing where it has a key gave an
AttributeError or TypeError. Now each is the client's one-line WikiError naming
the api.php URL. The answers come from a server on 127.0.0.1."""

from __future__ import annotations

import pytest

from postmortem.net.mediawiki import Wiki
from postmortem.core.errors import WikiError
from tests.clock import FakeClock
from tests.services import Answer, FakeServer


@pytest.fixture(scope="module")
def server():
    """A server answering every request with ``server.answer`` (JSON)."""
    holder = {}
    with FakeServer(lambda request: Answer.json(holder["answer"])) as fake:
        fake.holder = holder
        yield fake


def wiki_answering(server, answer) -> Wiki:
    """The client, its retries (maxlag) waited on a fake clock (tests/clock.py)."""
    server.holder["answer"] = answer
    clock = FakeClock()
    return Wiki(server.url + "/w/api.php", sleep=clock.sleep, clock=clock)


CALLS = {
    "page": lambda wiki: wiki.page("Incidents/x"),
    "revisions": lambda wiki: list(wiki.revisions("Incidents/x")),
    "all_pages": lambda wiki: list(wiki.all_pages("Incidents/")),
    "texts": lambda wiki: list(wiki.texts(["A", "B"])),
    "parse": lambda wiki: wiki.parse("Incidents/x"),
    "file_info": lambda wiki: wiki.file_info("x.svg"),
    "login": lambda wiki: wiki.login("Bot@app", "not-a-real-password"),
    "csrf_token": lambda wiki: wiki.csrf_token(),
    "edit": lambda wiki: wiki.edit("Incidents/x", "text", "summary"),
    "upload_file": lambda wiki: wiki.upload_file("x.svg", b"<svg/>", comment="c"),
}

# (call, the answer to every request, the error's message)
CASES = [
    ("page", {"error": "boom"}, "the wiki refused the request: boom (unknown)"),
    ("page", {"error": ["boom"]}, "the wiki refused the request: ['boom'] (unknown)"),
    ("page", {"error": {"code": ["x"], "info": {"a": 1}}}, "the wiki refused the request: {'a': 1} (unknown)"),
    ("page", {"error": {"code": "maxlag"}}, "the wiki's database replicas are lagged and retries ran out; try again "
                                           "later (maxlag)"),
    ("page", {"error": None}, "the wiki refused the request: None (unknown)"),
    ("page", {"query": []}, "Action API answer without query.pages"),
    ("revisions", {"query": {"pages": [{"title": "X", "revisions": {}}]}},
     "the answer to revisions is not in the API's shape (ValueError: revisions is no list)"),
    ("all_pages", {"query": []}, "the answer to all_pages is not in the API's shape (ValueError: query is no object)"),
    ("all_pages", {"query": {"allpages": {"title": "X"}}},
     "the answer to all_pages is not in the API's shape (ValueError: query.allpages is no list)"),
    ("all_pages", {"query": {"allpages": [{"title": "X"}]}, "continue": ["x"]},
     "the answer to all_pages is not in the API's shape (ValueError: a continue that is no object of texts and "
     "numbers: ['x'])"),
    ("all_pages", {"query": {"allpages": [{"title": "X"}]}, "continue": {"apcontinue": {"a": 1}}},
     "the answer to all_pages is not in the API's shape (ValueError: a continue that is no object of texts and "
     "numbers: {'apcontinue': {'a': 1}})"),
    ("texts", {"query": []}, "the answer to texts is not in the API's shape (AttributeError: 'list' object has no "
                             "attribute 'get')"),
    ("parse", {"parse": []}, "the answer to parse is not in the API's shape (AttributeError: 'list' object has no "
                             "attribute 'get')"),
    ("file_info", {"query": {"pages": [{"imageinfo": "x"}]}},
     "the answer to file_info is not in the API's shape (AttributeError: 'str' object has no attribute 'get')"),
    ("login", {"query": []}, "the answer to login is not in the API's shape (ValueError: no object at query)"),
    ("login", {"query": {"tokens": []}},
     "the answer to login is not in the API's shape (ValueError: no object at query.tokens)"),
    ("login", {"query": {"tokens": {"logintoken": ["t"]}}}, "the wiki gave no login token"),
    ("csrf_token", {"query": {"tokens": "t"}},
     "the answer to csrf_token is not in the API's shape (ValueError: no object at query.tokens)"),
    ("edit", {"query": {"tokens": {"csrftoken": "t+\\"}}, "edit": []},
     "the answer to edit is not in the API's shape (ValueError: no object at edit)"),
    ("upload_file", {"query": {"tokens": {"csrftoken": "t+\\"}}, "upload": "Success"},
     "the answer to upload_file is not in the API's shape (ValueError: no object at upload)"),
    ("upload_file", {"query": {"tokens": {"csrftoken": "t+\\"}}, "upload": {"result": "Warning",
                                                                               "warnings": [{"a": 1}, {"b": 2}]}},
     "the wiki did not take the file File:x.svg ({'a': 1}, {'b': 2}); nothing was uploaded"),
]


@pytest.mark.parametrize("call, answer, message", CASES, ids=[f"{c}-{n}" for n, (c, _, _) in enumerate(CASES)])
def test_an_answer_of_another_shape_is_a_one_line_wiki_error(server, call, answer, message):
    wiki = wiki_answering(server, answer)
    with pytest.raises(WikiError) as caught:
        CALLS[call](wiki)
    assert caught.value.message == message
    assert str(caught.value) == f"{server.url}/w/api.php: {message}" and "\n" not in str(caught.value)


def test_login_with_a_list_shaped_login_answer_is_no_success():
    """The login answer (API:Login) is an object ``{"login": {"result": …}}``; a list is refused,
    and the client is not taken for logged in."""
    def app(request):
        if request.query.get("meta") == ["tokens"]:
            return Answer.json({"batchcomplete": True, "query": {"tokens": {"logintoken": "t+\\"}}})
        return Answer.json({"login": ["Success"]})
    with FakeServer(app) as fake:
        wiki = Wiki(fake.url + "/w/api.php")
        with pytest.raises(WikiError) as caught:
            wiki.login("Bot@app", "not-a-real-password")
    assert caught.value.message == "the answer to login is not in the API's shape (ValueError: no object at login)"
    assert wiki.user is None and [r.method for r in fake.requests] == ["GET", "POST"]
