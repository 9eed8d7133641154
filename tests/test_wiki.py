"""The MediaWiki Action API client (postmortem/publish.py).

Against the real test wiki (tests/mediawiki.py) for the happy paths and the
error codes a real MediaWiki gives; against a scripted transport for the codes
that are hard to provoke on demand (ratelimited, maxlag, a stale token).
"""

from __future__ import annotations

import json
import logging

import pytest
import requests

from postmortem.core.errors import InputError, WikiError
from postmortem.net.http import BoundedSession
from postmortem.net.mediawiki import Wiki
from tests.mediawiki import mediawiki  # noqa: F401  (the session fixture)


@pytest.fixture
def bot(mediawiki):  # noqa: F811
    wiki = Wiki(mediawiki.api_url)
    wiki.login(mediawiki.bot_user, mediawiki.bot_password)
    return wiki


def test_fixture_reports_its_startup_time(mediawiki):  # noqa: F811
    # Reported, not asserted: wall time depends on the machine's load. A wiki that never
    # comes up fails the fixture itself (tests/mediawiki.py wait_for_api).
    print(f"\nMediaWiki fixture started in {mediawiki.startup_seconds:.1f} s")
    assert mediawiki.startup_seconds > 0


# -- against the real wiki ---------------------------------------------------------------

def test_login_with_bot_password(bot, mediawiki):  # noqa: F811
    assert bot.user == mediawiki.admin


def test_login_from_environment(mediawiki, monkeypatch):  # noqa: F811
    monkeypatch.setenv("POSTMORTEM_WIKI_USER", mediawiki.bot_user)
    monkeypatch.setenv("POSTMORTEM_WIKI_PASSWORD", mediawiki.bot_password)
    assert Wiki(mediawiki.api_url).login() == mediawiki.admin


def test_wrong_password_is_a_clear_error_without_the_password(mediawiki, caplog):  # noqa: F811
    caplog.set_level(logging.DEBUG)
    wrong = "x" * 32
    with pytest.raises(WikiError) as err:
        Wiki(mediawiki.api_url).login(mediawiki.bot_user, wrong)
    assert err.value.code == "loginfailed"
    assert "login as 'Admin@postmortem' failed" in str(err.value)
    assert wrong not in str(err.value) and wrong not in caplog.text


def test_edit_read_and_history(bot, mediawiki):  # noqa: F811
    result = bot.edit("Client/Edit", "first", "test: create", create_only=True)
    assert result["new"] is True
    rev = bot.page("Client/Edit")
    assert (rev.text, rev.user, rev.comment) == ("first", mediawiki.admin, "test: create")
    bot.edit("Client/Edit", "second", "test: change", no_create=True, base=rev)
    history = list(bot.revisions("Client/Edit"))
    assert [r.comment for r in history] == ["test: change", "test: create"]
    assert bot.revision(history[1].revid).text == "first"


def test_createonly_on_existing_page_is_articleexists(bot):
    bot.edit("Client/Exists", "x", "test", create_only=True)
    with pytest.raises(WikiError) as err:
        bot.edit("Client/Exists", "y", "test", create_only=True)
    assert err.value.code == "articleexists"
    assert bot.page("Client/Exists").text == "x"


def test_nocreate_on_missing_page_is_missingtitle(bot):
    with pytest.raises(WikiError) as err:
        bot.edit("Client/Missing", "y", "test", no_create=True)
    assert err.value.code == "missingtitle"
    assert bot.page("Client/Missing") is None


def test_edit_made_since_reading_is_an_edit_conflict(bot, mediawiki):  # noqa: F811
    bot.edit("Client/Conflict", "line one\nline two", "test", create_only=True)
    read = bot.page("Client/Conflict")
    mediawiki.human_edit("Client/Conflict", lambda t: t.replace("line two", "line two by a person"))
    with pytest.raises(WikiError) as err:
        bot.edit("Client/Conflict", "line one\nline two by the bot", "test", base=read)
    assert err.value.code == "editconflict"
    assert mediawiki.text("Client/Conflict") == "line one\nline two by a person"


def test_lost_session_is_assertuserfailed_not_an_anonymous_edit(bot, mediawiki):  # noqa: F811
    bot.session.cookies.clear()
    with pytest.raises(WikiError) as err:
        bot.edit("Client/Anonymous", "x", "test")
    assert err.value.code in ("assertuserfailed", "badtoken")
    assert mediawiki.current("Client/Anonymous") == {}


def test_parse_and_pre_save_transform(bot):
    bot.edit("Client/Parse", "== Head ==\n* [[Category:Tested]] item", "test", create_only=True)
    parsed = bot.parse("Client/Parse")
    assert "Head" in parsed.sections and parsed.categories == ("Tested",)
    assert "<li>" in parsed.html
    assert bot.pre_save_transform("a ~~~ b", "Client/Parse").startswith("a [[User:Admin|Admin]]")


def test_all_pages_by_prefix(bot):
    for name in ("Incidents/A", "Incidents/B", "Other"):
        bot.edit(name, "x", "test", create_only=True)
    assert list(bot.all_pages("Incidents/")) == ["Incidents/A", "Incidents/B"]


def test_plain_http_to_another_host_is_refused():
    with pytest.raises(InputError):
        Wiki("http://wiki.example.org/w/api.php").login("u@a", "p" * 32)


def test_invalid_title(bot):
    with pytest.raises(WikiError) as err:
        bot.page("Bad[title]")
    assert err.value.code == "invalidtitle"


# -- scripted answers ------------------------------------------------------------------------

class Scripted(requests.adapters.BaseAdapter):
    """A transport that answers each request with the next scripted JSON."""

    def __init__(self, answers):
        super().__init__()
        self.answers, self.requests = list(answers), []

    def send(self, request, **kwargs):
        self.requests.append(request)
        answer = self.answers.pop(0)
        response = requests.Response()
        response.status_code, response.url, response.request = 200, request.url, request
        response.headers["Content-Type"] = "application/json"
        if isinstance(answer, tuple):
            answer, headers = answer
            response.headers.update(headers)
        response._content = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
        return response

    def close(self):
        pass


def scripted(answers, **options):
    session = requests.Session()
    adapter = Scripted(answers)
    session.mount("https://", adapter)
    sleeps = []
    wiki = Wiki("https://wiki.example.org/w/api.php", session=session, sleep=sleeps.append, **options)
    return wiki, adapter, sleeps


def error(code, info="x"):
    return {"error": {"code": code, "info": info}}


TOKEN = {"query": {"tokens": {"csrftoken": "t+\\"}}}
SAVED = {"edit": {"result": "Success", "newrevid": 7, "oldrevid": 6}}


def test_ratelimited_is_retried_a_bounded_number_of_times():
    wiki, adapter, sleeps = scripted([TOKEN] + [error("ratelimited")] * 3 + [SAVED])
    assert wiki.edit("P", "t", "s")["newrevid"] == 7
    assert sleeps == [2.0, 4.0, 8.0]
    wiki, adapter, sleeps = scripted([TOKEN] + [error("ratelimited")] * 4, retries=3)
    with pytest.raises(WikiError) as err:
        wiki.edit("P", "t", "s")
    assert err.value.code == "ratelimited" and len(sleeps) == 3


def test_maxlag_honours_retry_after():
    wiki, _, sleeps = scripted([(error("maxlag"), {"Retry-After": "5"}), {"query": {}}])
    wiki.call({"action": "query"})
    assert sleeps == [5.0]


def test_badtoken_refreshes_the_token_once():
    wiki, adapter, _ = scripted([TOKEN, error("badtoken"), TOKEN, SAVED])
    assert wiki.edit("P", "t", "s")["newrevid"] == 7
    wiki, adapter, _ = scripted([TOKEN, error("badtoken"), TOKEN, error("badtoken")])
    with pytest.raises(WikiError) as err:
        wiki.edit("P", "t", "s")
    assert err.value.code == "badtoken"


@pytest.mark.parametrize("code, words", [
    ("protectedpage", "protected"), ("editconflict", "edit conflict"),
    ("articleexists", "already exists"), ("assertuserfailed", "not logged in"),
    ("somethingnew", "somethingnew"),
])
def test_each_error_code_has_a_clear_message(code, words):
    wiki, _, _ = scripted([TOKEN, error(code, "info from the wiki")])
    with pytest.raises(WikiError) as err:
        wiki.edit("P", "t", "s")
    assert err.value.code == code and words in str(err.value)
    assert "https://wiki.example.org/w/api.php" in str(err.value)


def test_every_edit_asserts_user_and_sends_the_token_last():
    wiki, adapter, _ = scripted([TOKEN, SAVED])
    wiki.edit("P", "text", "s", create_only=True)
    body = adapter.requests[-1].body
    assert "assert=user" in body and "createonly=1" in body and body.rsplit("&", 1)[1].startswith("token=")


def test_not_json_is_a_wiki_error():
    wiki, _, _ = scripted([b"<html>not the api</html>"])
    with pytest.raises(WikiError) as err:
        wiki.call({"action": "query"})
    assert err.value.code == "badjson"


def test_credentials_from_an_owner_only_config_file(mediawiki, monkeypatch, tmp_path):  # noqa: F811
    monkeypatch.delenv("POSTMORTEM_WIKI_USER", raising=False)
    monkeypatch.delenv("POSTMORTEM_WIKI_PASSWORD", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / ".config"))
    config = tmp_path / ".config" / "postmortem" / "credentials.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'POSTMORTEM_WIKI_USER = "{mediawiki.bot_user}"\n'
                      f'POSTMORTEM_WIKI_PASSWORD = "{mediawiki.bot_password}"\n')
    config.chmod(0o644)
    with pytest.raises(InputError) as err:
        Wiki(mediawiki.api_url).login()
    assert "chmod 600" in str(err.value) and mediawiki.bot_password not in str(err.value)
    config.chmod(0o600)
    assert Wiki(mediawiki.api_url).login() == mediawiki.admin


class SlowScripted(Scripted):
    """Each answer takes ``seconds`` on a fake clock."""

    def __init__(self, answers, clock, seconds):
        super().__init__(answers)
        self.clock, self.seconds = clock, seconds

    def send(self, request, **kwargs):
        self.clock[0] += self.seconds
        return super().send(request, **kwargs)


def test_the_deadline_bounds_each_call_not_the_client_life():
    """A long `stats --wiki` makes many calls: together they may take longer than
    one call's deadline, each on its own may not."""
    now = [0.0]
    clock = lambda: now[0]  # noqa: E731
    session = BoundedSession(deadline=None, clock=clock, sleep=lambda s: None)
    adapter = SlowScripted([{"query": {"pages": []}}] * 6, now, seconds=50)
    session.mount("https://", adapter)
    wiki = Wiki("https://wiki.example.org/w/api.php", session=session, clock=clock, call_deadline=120)
    for _ in range(6):
        wiki.call({"action": "query"})
    assert now[0] == 300 and len(adapter.requests) == 6
    assert Wiki("https://wiki.example.org/w/api.php").session.deadline_at == float("inf")


def test_retries_within_one_call_stop_at_its_deadline():
    now = [0.0]
    clock = lambda: now[0]  # noqa: E731
    session = BoundedSession(deadline=None, clock=clock, sleep=lambda s: None)
    session.mount("https://", SlowScripted([error("ratelimited")] * 10, now, seconds=50))
    sleeps = []
    wiki = Wiki("https://wiki.example.org/w/api.php", session=session, clock=clock,
                sleep=lambda s: (sleeps.append(s), now.__setitem__(0, now[0] + s)), call_deadline=120)
    with pytest.raises(WikiError) as err:
        wiki.call({"action": "query"})
    # 50 s answer, wait 2, 50 s answer, wait 4 (at 106 s); the next wait would end after 120 s
    assert err.value.code == "ratelimited" and sleeps == [2.0, 4.0]
